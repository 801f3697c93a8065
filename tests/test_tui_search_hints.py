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
