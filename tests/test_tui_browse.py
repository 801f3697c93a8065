"""Pilot tests of browsing in the explorer (issue 12: 4, 5, 8, 9): lists of a kind or tier with an
empty box, paged past their first page with `N of M`; Enter on a copyright opens its characters;
the tier filter's steps; real relations only; every form one key away (copy, insert, girl/boy),
never wrapped mid-tag; keys acting in the order typed; details read ahead.

On the tiny catalog with its knowledge tables (tests/prompt_fixture.py, pages of 2 rows so paging
shows); the done-when flows of the issue on the real catalog (F4, F7 `genshin`, a copyright's
characters, the sentence copied with one key). Waits on workers, never sleeps.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pilot_helpers import search, settle, shown, sync
from prompt_fixture import build_tiny_catalog
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input, Static

from tui.app import ExplorerApp
from tui.state import searching
from tui.widgets.detail import DetailBody, DetailPane
from tui.widgets.results import ResultsTable

SIZE = (80, 24)
WIDE = (140, 42)


@pytest.fixture(scope="module")
def knowledge_catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_catalog(tmp_path_factory.mktemp("browse") / "catalog.duckdb", knowledge=True)


@pytest.fixture()
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The explorer's own files (clipboard fallback, favourites) in this test's folder."""
    monkeypatch.setenv("AIDXL_STATE_DIR", str(tmp_path / "state"))
    return tmp_path / "state"


@pytest.fixture()
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(searching, "PAGE_SIZE", 2)


def make_app(catalog: Path, **options: object) -> ExplorerApp:
    return ExplorerApp(catalog, watch_catalog=False, show_timings=False, **options)  # type: ignore[arg-type]


def status(app: ExplorerApp) -> str:
    return str(app.query_one("#status", Static).render())


def detail_plain(app: ExplorerApp) -> str:
    return app.query_one(DetailBody).plain


def clipboard(state: Path) -> str:
    return (state / "clipboard.txt").read_text(encoding="utf-8").rstrip("\n")


async def type_fast(pilot: Pilot[object], *keys: str) -> None:
    """Keys as a terminal delivers a burst: all posted before the first is handled."""
    app = pilot.app
    for key in keys:
        character = {"question_mark": "?"}.get(key, key if len(key) == 1 else None)
        app.post_message(events.Key(key, character))
    await settle(pilot)


# ---------------------------------------------------------------- browsing


@sync
async def test_an_empty_box_under_a_kind_lists_it_page_after_page_and_says_n_of_m(
    knowledge_catalog: Path, state_dir: Path, small_pages: None
) -> None:
    app = make_app(knowledge_catalog)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("f3")  # styles: verified first, then the author's, then by posts
        await settle(pilot)
        table = app.query_one(ResultsTable)
        # Pages of 2: the table asked for the next pages as its end came within reach.
        assert shown(app)[:4] == ["by ask", "by chi4", "by dino", "by yoneyama mai"]
        assert shown(app)[4] == "by mika pikazo"
        assert len(shown(app)) == len(set(shown(app))) == app.search_view.results_total
        assert not table.more_available
        assert f"{len(shown(app))} of {len(shown(app))}, best tier first" in status(app)
        # Quality: the ladder in its curated order; painting styles with their descriptions.
        await pilot.press("f5")
        await settle(pilot)
        assert shown(app) == ["amazing quality", "best quality", "worst quality"]  # no rank here: by name
        await pilot.press("f4")
        await settle(pilot)
        assert shown(app) == ["flat color", "impasto"]  # by posts (no description in the tiny one)


@sync
async def test_a_search_fills_the_view_page_after_page_and_counts_every_match(
    knowledge_catalog: Path, state_dir: Path, small_pages: None
) -> None:
    app = make_app(knowledge_catalog)
    async with app.run_test(size=WIDE) as pilot:
        await search(pilot, "by")
        table = app.query_one(ResultsTable)
        everything = [hit.prompt for hit in app.session.index.search("by", limit=1000)]
        assert app.search_view.results_total == len(everything) > 4
        assert shown(app) == everything  # pages of 2, in the search's own order, none twice
        assert not table.more_available
        assert f"{len(everything)} results" in status(app)


@sync
async def test_enter_on_a_copyright_opens_its_characters(knowledge_catalog: Path, state_dir: Path) -> None:
    app = make_app(knowledge_catalog)
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("f8")
        await search(pilot, "genshin")
        assert shown(app)[0] == "genshin impact"
        await pilot.press("enter")
        await settle(pilot)
        assert (
            app.search_view.copyright_scope is not None
            and app.search_view.copyright_scope.tag == "genshin_impact"
        )
        assert shown(app) == [
            "ganyu \\(genshin impact\\)",
            "ganyu \\(twilight blossom\\) \\(genshin impact\\)",
        ]
        assert "2 of 2 genshin impact characters" in status(app)
        assert app.session.builder.entries == []  # opened, not added
        # The copyright's detail relates its characters; a style relates nothing (no fixed list).
        await pilot.press("escape", "f2")
        await search(pilot, "genshin impact")
        assert "its most posted characters\nganyu \\(genshin impact\\)" in detail_plain(app)
        await search(pilot, "by chi4")
        assert "triggers\n" not in detail_plain(app) and "related" not in detail_plain(app)


@sync
async def test_ctrl_l_steps_from_likely_to_verified_to_every_tier(
    knowledge_catalog: Path, state_dir: Path
) -> None:
    app = make_app(knowledge_catalog)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("f3", "ctrl+l")
        await settle(pilot)
        assert "by mika pikazo" in shown(app) and "filter style + likely" in status(app)
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert shown(app) == ["by ask", "by chi4", "by dino", "by yoneyama mai"]
        assert "filter style + verified" in status(app)
        assert str(app.query_one("#chip-likely", Static).render()) == "^L verified"
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert (
            not app.search_view.likely_filter
            and not app.search_view.verified_filter
            and "by dino" in shown(app)
        )
        assert "+ " not in status(app).split("filter style")[1].split("·")[0]


# ------------------------------------------------------------------- forms


@sync
async def test_every_form_is_one_key_away_and_the_sentence_switches_girl_and_boy(
    knowledge_catalog: Path, state_dir: Path
) -> None:
    app = make_app(knowledge_catalog)
    async with app.run_test(size=WIDE) as pilot:
        await search(pilot, "2b")
        assert shown(app)[0] == "2b \\(nier:automata\\)"
        for key, expected in (
            ("alt+a", "2b \\(nier:automata\\)"),
            ("alt+p", "2b (nier:automata)"),
            ("alt+s", "a girl named 2b from nier:automata series"),
            ("alt+o", "1 2b \\(nier:automata\\)"),
        ):
            await pilot.press(key)
            assert clipboard(state_dir) == expected, key
        assert app.query_one("#search", Input).value == "2b"  # alt+letters never type
        await pilot.press("alt+g", "alt+s")
        assert clipboard(state_dir) == "a boy named 2b from nier:automata series"
        assert "boy: chosen (the sources say girl)" in detail_plain(app)
        # tab: the forms take the keys that are not text; ↓↓ chooses the sentence, ctrl+c copies
        # it, enter inserts it.
        await pilot.press("tab")
        await settle(pilot)
        assert app.query_one(DetailPane).has_focus
        await pilot.press("down", "down", "ctrl+c")
        assert clipboard(state_dir) == "a boy named 2b from nier:automata series"
        await pilot.press("enter")
        await settle(pilot)
        assert [(entry.text, entry.kind) for entry in app.session.builder.entries] == [
            ("a boy named 2b from nier:automata series", "character")
        ]


@sync
async def test_letters_and_digits_typed_in_the_forms_are_search_text_never_commands(
    knowledge_catalog: Path, state_dir: Path
) -> None:
    """The trial: `ganyu`, tab, `kiki` read `ganyukk` and each `i` inserted a form."""
    app = make_app(knowledge_catalog)
    async with app.run_test(size=WIDE) as pilot:
        await search(pilot, "2b")
        await pilot.press("tab")
        await settle(pilot)
        assert app.query_one(DetailPane).has_focus
        await pilot.press("k", "i", "k", "i", "c", "g", "3")
        await settle(pilot)
        assert app.query_one("#search", Input).has_focus
        assert app.query_one("#search", Input).value == "2bkikicg3"
        assert app.session.builder.entries == []
        assert not (state_dir / "clipboard.txt").exists()


@sync
async def test_forms_are_cut_with_an_ellipsis_never_wrapped_and_whole_when_chosen(
    knowledge_catalog: Path, state_dir: Path
) -> None:
    app = make_app(knowledge_catalog)
    async with app.run_test(size=SIZE) as pilot:
        await search(pilot, "2b")
        body = app.query_one(DetailBody)
        width = body.content_size.width

        def drawn() -> list[str]:
            return [line.plain.rstrip() for line in body.lines_at(width)]

        sentence = next(line for line in drawn() if line.startswith("3 sentence"))
        assert sentence.endswith("…") and len(sentence) <= width
        after = drawn()[drawn().index(sentence) + 1]
        assert after.lstrip().startswith("girl:"), after  # no continuation line of the form
        await pilot.press("tab", "down", "down")
        await settle(pilot)
        lines = drawn()
        start = next(index for index, line in enumerate(lines) if line.startswith("3 sentence"))
        whole = " ".join(line.strip() for line in lines[start : start + 4])
        assert "a girl named 2b from nier:automata series" in whole.replace("3 sentence ", "").strip()
        assert not lines[start].endswith("…")


# -------------------------------------------------------------------- keys


@sync
async def test_keys_typed_in_a_burst_act_in_order_where_the_focus_is(
    knowledge_catalog: Path, state_dir: Path
) -> None:
    app = make_app(knowledge_catalog)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        # Enter before its results arrived acts on what was typed; the keys after it are kept.
        await type_fast(pilot, *"by chi", "enter", "ctrl+u", *"ganyu")
        assert [entry.text for entry in app.session.builder.entries] == ["by chi4"]
        assert app.query_one("#search", Input).value == "ganyu"
        # A filter changed just before Enter: Enter acts on the new filter's results.
        await type_fast(pilot, "f7", "ctrl+u", *"genshin")
        await type_fast(pilot, "f8", "ctrl+u", *"genshin", "enter")
        assert (
            app.search_view.copyright_scope is not None
            and app.search_view.copyright_scope.tag == "genshin_impact"
        )
        assert [entry.text for entry in app.session.builder.entries] == ["by chi4"]
        await type_fast(pilot, "escape", "f2", "ctrl+u", *"ganyu")
        # ctrl+b then `y`: the builder's copy, never a `y` typed into the search box.
        await type_fast(pilot, "ctrl+b", "y")
        assert app.in_builder and app.query_one("#search", Input).value == "ganyu"
        assert clipboard(state_dir).startswith("by chi4")  # the positive prompt
        # Back to search and type at once: every letter reaches the search box, none is a command.
        options = (
            app.session.builder.auto_order,
            app.session.builder.include_quality,
            app.session.builder.include_aesthetic,
        )
        await type_fast(pilot, "ctrl+b", "ctrl+u", *"toqan")
        assert not app.in_builder and app.query_one("#search", Input).value == "toqan"
        assert (
            app.session.builder.auto_order,
            app.session.builder.include_quality,
            app.session.builder.include_aesthetic,
        ) == options
        # Builder letters act only where the builder has the focus.
        app.query_one(ResultsTable).focus()
        await settle(pilot)
        await pilot.press("q")
        await settle(pilot)
        assert app.session.builder.include_quality == options[1]
        assert app.query_one("#search", Input).value == "toqanq"  # typed, into the search box
        # A key bound somewhere (`?` opens the help) is text in the search box.
        await type_fast(pilot, "question_mark")
        assert app.query_one("#search", Input).value == "toqanq?"
        assert app.screen is app.screen_stack[0]


@sync
async def test_the_search_box_is_cleared_after_enter_unless_kept(
    knowledge_catalog: Path, state_dir: Path
) -> None:
    app = make_app(knowledge_catalog)
    async with app.run_test(size=WIDE) as pilot:
        await search(pilot, "by chi4")
        await pilot.press("enter")
        await settle(pilot)
        assert app.query_one("#search", Input).value == ""
    app = make_app(knowledge_catalog, keep_search=True)
    async with app.run_test(size=WIDE) as pilot:
        await search(pilot, "by chi4")
        await pilot.press("enter")
        await settle(pilot)
        assert app.query_one("#search", Input).value == "by chi4"
        assert [entry.text for entry in app.session.builder.entries] == ["by chi4"]


# ------------------------------------------------------------------ detail


@sync
async def test_details_are_read_ahead_so_the_pane_follows_the_cursor_at_once(
    knowledge_catalog: Path, state_dir: Path
) -> None:
    app = make_app(knowledge_catalog)
    async with app.run_test(size=WIDE) as pilot:
        await search(pilot, "by")
        rows = app.query_one(ResultsTable).rows_shown
        assert len(rows) > 3
        assert all(row.key in app.search_view.detail_cache for row in rows[:4])  # the first and those below
        started = len(app.workers)
        await pilot.press("down")
        # Shown from the cache in the cursor's own handler: no worker, no wait.
        assert app.search_view.detail_shown_key == rows[1].key
        assert detail_plain(app).startswith(rows[1].prompt)
        assert len(app.workers) <= started + 1


# ------------------------------------------------------------ real catalog


@pytest.fixture(scope="module")
def real_catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from catalog_fixture import build_real_catalog

    return build_real_catalog(tmp_path_factory.mktemp("real-browse") / "catalog.duckdb")


@pytest.mark.slow
@sync
async def test_real_catalog_painting_styles_genshin_characters_and_the_sentence(
    real_catalog: Path,
    state_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cache = tmp_path_factory.getbasetemp() / "browse-real-index-cache"
    cache.mkdir(exist_ok=True)
    monkeypatch.setenv("AIDXL_CACHE_DIR", str(cache))
    app = make_app(real_catalog)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        # F4 on an empty box: the model card's painting styles first, with their descriptions.
        await pilot.press("f4")
        await settle(pilot)
        rows = app.query_one(ResultsTable).rows_shown
        assert [row.prompt for row in rows[:3]] == ["flat color", "clean color", "celluloid"]
        assert rows[0].description and "light and shadow" in rows[0].description
        assert f"of {app.search_view.results_total}, best tier first" in status(app)
        await pilot.press("f5")  # the quality ladder, best to worst
        await settle(pilot)
        assert shown(app) == [
            f"{grade} quality" for grade in ("amazing", "best", "high", "normal", "low", "worst", "horrible")
        ]
        # F7 `genshin`: how many exist, and the list goes on past 100.
        await pilot.press("f7")
        await search(pilot, "genshin")
        total = app.search_view.results_total
        assert total is not None and total > 300
        assert f"100 of {total} results" in status(app)
        for _ in range(15):
            await pilot.press("pagedown")
        await settle(pilot)
        assert len(shown(app)) > 100 and len(set(shown(app))) == len(shown(app))
        # A copyright opens its characters (Enter), most posted first.
        await pilot.press("f8")
        await search(pilot, "genshin")
        await pilot.press("enter")
        await settle(pilot)
        assert (
            app.search_view.copyright_scope is not None
            and app.search_view.copyright_scope.tag == "genshin_impact"
        )
        assert shown(app)[0] == "ganyu \\(genshin impact\\)"
        assert f"of {app.search_view.copyright_scope.total} genshin impact characters" in status(app)
        # The sentence form copies with one key.
        await pilot.press("alt+s")
        assert clipboard(state_dir) == "a girl named ganyu from genshin impact series"
