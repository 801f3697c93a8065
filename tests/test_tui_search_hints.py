"""What the search view says when nothing matches (issue 12's trial): a pasted prompt is named as
one, with the way into the builder, and the query is quoted as typed (no doubled backslashes)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pilot_helpers import search, settle, sync
from prompt_fixture import build_tiny_catalog
from textual import events

from tui.app import ExplorerApp
from tui.state.searching import SearchFilter
from tui.state.sources import looks_like_prompt, no_results_hint
from tui.widgets.detail import DetailBody
from tui.widgets.search_input import SearchInput

PROMPT_HINT = "looks like a prompt: ctrl+b then p pastes it into the builder"


@pytest.fixture(scope="module")
def tiny_catalog_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_catalog(tmp_path_factory.mktemp("catalog") / "catalog.duckdb")


@pytest.fixture(autouse=True)
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIDXL_STATE_DIR", str(tmp_path / "state"))


@pytest.mark.parametrize(
    "text",
    [
        "qqqq, zzzz",
        "(by qqqq:1.2)",
        "qqqq <lora:zzzz:0.8>",
        "qqqq BREAK zzzz",
        "(qqqq:.5)",
        "[qqqq:zzzz:0.5]",
    ],
)
def test_a_prompts_marks_make_it_a_prompt(text: str) -> None:
    assert looks_like_prompt(text)


@pytest.mark.parametrize(
    "text", ["qqqq", "by qqqq", "2b (nier:automata)", ":)", "qqqq,", "ganyu \\(genshin impact\\)", "o_o"]
)
def test_a_search_is_not_a_prompt(text: str) -> None:
    assert not looks_like_prompt(text)


def test_the_hint_quotes_the_query_as_typed() -> None:
    hint = no_results_hint("qqqqzzzz\\(xx\\)", SearchFilter(), None)
    assert hint.startswith("Nothing matches 'qqqqzzzz\\(xx\\)'.")
    assert PROMPT_HINT not in hint
    long = no_results_hint("q" * 200, SearchFilter(), None)
    assert len(long.splitlines()[0]) < 80  # a long paste is shortened around …


@sync
async def test_a_pasted_prompt_that_matches_nothing_is_named_a_prompt(tiny_catalog_file: Path) -> None:
    app = ExplorerApp(tiny_catalog_file, watch_catalog=False, show_timings=False, detail_delay=0)
    async with app.run_test(size=(100, 30)) as pilot:
        await search(pilot, "qqqqzzzz\\(xx\\)")
        assert app.query_one(DetailBody).plain.startswith("Nothing matches 'qqqqzzzz\\(xx\\)'.")
        await pilot.press("ctrl+u")
        app.query_one(SearchInput).post_message(events.Paste("(qqqq:1.2), zzzz, <lora:wwww:0.8>"))
        await settle(pilot)
        detail = app.query_one(DetailBody).plain
        assert detail.startswith("Nothing matches '(qqqq:1.2), zzzz, <lora:wwww:0.8>'.")
        assert f"It {PROMPT_HINT}." in detail


class ReRankingIndex:
    """The real index, except that a search of `limit` entries swaps its last entry with the next
    one of a longer search: a shorter search is not a prefix of a longer one (ties ranked anew, as
    the real index does for `by a` at 300 vs 200 entries)."""

    def __init__(self, index: object) -> None:
        self.index = index

    def __getattr__(self, name: str) -> object:
        return getattr(self.index, name)

    def search(self, query: str, *, limit: int = 20, **options: object) -> list[object]:
        hits = list(self.index.search(query, limit=limit + 1, **options))  # type: ignore[attr-defined]
        if len(hits) > limit >= 1:
            hits[limit - 1], hits[limit] = hits[limit], hits[limit - 1]
        return hits[:limit]


def test_pages_of_a_re_ranked_search_show_every_match_once(
    tiny_catalog_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The trial's `200 of 405` with rows past 200 shown: each page holds the longer search's rows
    not shown yet, so N of M counts the rows shown and ends at M of M."""
    from kb.catalog import open_catalog
    from tui.state import searching
    from tui.state.searching import has_more, list_page, load_index

    monkeypatch.setattr(searching, "PAGE_SIZE", 1)
    connection = open_catalog(tiny_catalog_file)
    try:
        index = ReRankingIndex(load_index(connection, tiny_catalog_file))
        everything = [row.key for row in searching.run_search(index.index, "by", None, limit=1000)]
        assert len(everything) >= 4
        shown: list[str] = []
        total: int | None = None
        for _ in range(len(everything)):
            page = list_page(index, connection, "by", SearchFilter(), None, len(shown), frozenset(shown))
            shown += [row.key for row in page.rows]
            total = page.total
            if not has_more(len(shown), total):
                break
        assert len(shown) == len(set(shown))  # no row twice
        assert sorted(shown) == sorted(everything) and total == len(shown)  # every match, M of M
    finally:
        connection.close()
