"""Pilot tests of what the explorer shows from the catalog's knowledge (schema 2): trigger tiers and
the AIDXL-likely filter, a character's appearance and outfit, implications, a copyright's
characters, and the banner naming the registry sources a catalog lacks. Waits on workers, never sleeps.

Flows run on the tiny catalog with its knowledge tables (tests/prompt_fixture.py); where the data
itself matters (2b's features, genshin_impact's characters, the demo build's missing sources), on
the real catalog (tests/catalog_fixture.py), with one search-index cache for the module.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pilot_helpers import search, settle, shown, sync
from prompt_fixture import add_features, build_tiny_catalog
from textual.pilot import Pilot
from textual.widgets import Input, Static

from tui.app import ExplorerApp
from tui.keys import palette_entries
from tui.screens.help import KEYS
from tui.screens.missing_sources import MissingSourcesScreen
from tui.widgets.detail import DetailBody, DetailPane
from tui.widgets.results import ResultsTable
from tui.widgets.sources_banner import SourcesBanner

SIZE = (80, 24)
WIDE = (110, 32)


@pytest.fixture(scope="module")
def knowledge_catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_catalog(tmp_path_factory.mktemp("knowledge") / "catalog.duckdb", knowledge=True)


def make_app(catalog: Path) -> ExplorerApp:
    return ExplorerApp(catalog, watch_catalog=False, detail_delay=0, show_timings=False)


def text_of(app: ExplorerApp, selector: str) -> str:
    """A widget's text; the detail pane's before wrapping."""
    widget = app.screen.query_one(selector, Static)
    return widget.plain if isinstance(widget, DetailBody) else str(widget.render())


async def highlight(pilot: Pilot[object], prompt: str) -> None:
    """Move the results' cursor to `prompt` and wait for its detail."""
    app = pilot.app
    assert isinstance(app, ExplorerApp)
    rows = shown(app)
    assert prompt in rows, rows
    app.query_one(ResultsTable).move_cursor(row=rows.index(prompt))
    await settle(pilot)


# ------------------------------------------------------------------ tiers


@sync
async def test_tier_marks_and_the_likely_filter_alone_and_with_a_kind(knowledge_catalog: Path) -> None:
    app = make_app(knowledge_catalog)
    async with app.run_test(size=SIZE) as pilot:
        await search(pilot, "by")
        tiers = {row.prompt: row.tier for row in app.query_one(ResultsTable).rows_shown}
        assert tiers["by chi4"] == "verified" and tiers["by mika pikazo"] == "author"
        table = app.query_one(ResultsTable)
        lines = [table.render_line(y).text for y in range(1, 1 + len(shown(app)))]
        assert any("by chi4" in line and line.rstrip().endswith("✓") for line in lines), lines
        assert any("by mika pikazo" in line and line.rstrip().endswith("○") for line in lines), lines
        await search(pilot, "ganyu")
        assert shown(app)[:2] == [
            "ganyu \\(genshin impact\\)",
            "ganyu \\(twilight blossom\\) \\(genshin impact\\)",
        ]
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert app.search_view.likely_filter
        assert [chip.id for chip in app.query(".chip.-active")] == ["chip-all", "chip-likely"]
        assert shown(app) == ["ganyu \\(genshin impact\\)"]  # the twilight costume is a Danbooru tag only
        assert "filter all + likely" in text_of(app, "#status")
        # Empty box, F3 + likely: the model's probable style triggers, verified first.
        await pilot.press("ctrl+u", "f3")
        await settle(pilot)
        rows = app.query_one(ResultsTable).rows_shown
        assert [row.tier for row in rows] == ["verified"] * 4 + ["author"]
        assert rows[-1].prompt == "by mika pikazo"
        assert {row.kind for row in rows} == {"artist_style"}
        status = text_of(app, "#status")
        assert "5 of 5, best tier first (✓4 ○1)" in status and "filter style + likely" in status
        # The chip turns it off again (a click, like the kind chips).
        await pilot.click("#chip-likely")
        await settle(pilot)
        assert not app.search_view.likely_filter
        assert "by dino" in shown(app) and "chi4" not in shown(app)  # the tag without trigger is no style


@sync
async def test_detail_names_the_tier_and_source_of_the_trigger(knowledge_catalog: Path) -> None:
    app = make_app(knowledge_catalog)
    async with app.run_test(size=WIDE) as pilot:
        await search(pilot, "by mika")
        assert shown(app)[0] == "by mika pikazo"
        detail = text_of(app, "#detail-body")
        assert "○ author's vocabulary\n  from author-vocabulary\n" in detail
        await search(pilot, "by chi4")
        assert "✓ verified AIDXL trigger\n  from curated artist_styles.toml\n" in text_of(app, "#detail-body")


# -------------------------------------------------------------- features


@sync
async def test_character_detail_lists_appearance_and_outfit_and_keys_add_them_once(
    knowledge_catalog: Path,
) -> None:
    app = make_app(knowledge_catalog)
    async with app.run_test(size=WIDE) as pilot:
        await search(pilot, "2b")
        assert shown(app)[0] == "2b \\(nier:automata\\)"
        detail = text_of(app, "#detail-body")
        appearance = detail.split("\nappearance")[1].split("\noutfit")[0]
        outfit = detail.split("\noutfit")[1]
        assert "mole under mouth, short hair, white hair" in appearance
        assert "black dress, highleg leotard, black blindfold" in outfit
        assert "from character-chants" in outfit
        assert "a girl named 2b from nier:automata series" in detail
        assert "girl: character-chants · alt+g: boy" in detail
        # A tag already in the prompt is not added twice; the features follow the character.
        from tui.state.builder import BuilderEntry

        app.session.builder.add(BuilderEntry("short hair", "general", 1.0, "short_hair"))
        await pilot.press("ctrl+n")
        await pilot.press("ctrl+n")
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert [entry.text for entry in app.session.builder.entries] == [
            "short hair",
            "2b (nier:automata)",
            "mole under mouth",
            "white hair",
            "black dress",
            "highleg leotard",
            "black blindfold",
        ]
        # Not a character: a warning, nothing added.
        await search(pilot, "smile")
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert len(app.session.builder.entries) == 7


@pytest.mark.parametrize("detail_delay", [0, 60], ids=["detail-shown", "detail-not-loaded"])
@sync
async def test_features_implied_by_another_feature_or_the_prompt_are_not_added(
    tmp_path: Path, detail_delay: float
) -> None:
    """ganyu + ctrl+n added `goat horns` and `horns`, which the builder's linter then flagged."""
    catalog = build_tiny_catalog(tmp_path / "catalog.duckdb", knowledge=True)
    looks = ("goat_horns", "horns", "purple_eyes", "long_hair")
    add_features(catalog, "ganyu_(genshin_impact)", looks, (("goat_horns", "horns"),))
    app = ExplorerApp(catalog, watch_catalog=False, detail_delay=detail_delay, show_timings=False)
    async with app.run_test(size=WIDE) as pilot:
        notices: list[str] = []
        app.notify = lambda message, **options: notices.append(message)  # type: ignore[method-assign,assignment]
        from tui.state.builder import BuilderEntry

        app.session.builder.add(BuilderEntry("very long hair", "general", 1.0, "very_long_hair"))
        await search(pilot, "ganyu")
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert [entry.text for entry in app.session.builder.entries] == [
            "very long hair",
            "ganyu (genshin impact)",
            "goat horns",
            "purple eyes",
        ]
        assert notices[-1] == (
            "added 2 appearance tags of ganyu (genshin impact); skipped horns (implied by goat horns), "
            "long hair (implied by very long hair)"
        )
        assert app.builder_view.rendered is not None
        assert [
            finding.code for finding in app.builder_view.rendered.findings if finding.code == "implied"
        ] == []


@sync
async def test_detail_puts_the_features_first_wraps_with_a_hanging_indent_and_scrolls_by_keys(
    knowledge_catalog: Path,
) -> None:
    app = make_app(knowledge_catalog)
    async with app.run_test(size=SIZE) as pilot:
        await search(pilot, "2b")
        detail = text_of(app, "#detail-body")
        assert detail.index("\nappearance") < detail.index("\noutfit") < detail.index("\nforms")
        pane = app.query_one(DetailPane)
        body = app.query_one(DetailBody)
        drawn = [strip.text.rstrip() for strip in body.render_lines(body.region.reset_offset)]
        # At 80×24 the appearance and its key are above the fold.
        assert (
            next(y for y, line in enumerate(drawn) if line.startswith("appearance  ^n adds"))
            < pane.size.height
        )
        # A wrapped line stays under the start of its own (the appearance is indented by two);
        # a form is never wrapped: cut with … (tests/test_tui_browse.py).
        looks = next(y for y, line in enumerate(drawn) if line.startswith("  mole under mouth"))
        assert drawn[looks + 1].startswith("  ") and drawn[looks + 1].strip(), drawn
        assert next(line for line in drawn if line.startswith("3 sentence")).endswith("…"), drawn
        facts = next(y for y, line in enumerate(drawn) if line.startswith("character · danbooru"))
        assert drawn[facts + 1].startswith("  "), drawn  # an unindented line continues indented
        # The focus stays in the search box; shift+pgdn / alt+↑ scroll the pane.
        assert app.query_one("#search").has_focus and pane.scroll_offset.y == 0
        await pilot.press("shift+pagedown")
        paged = pane.scroll_offset.y
        assert paged >= pane.size.height // 2
        await pilot.press("alt+up")
        assert pane.scroll_offset.y == paged - 3
        await pilot.press("shift+pageup")
        assert pane.scroll_offset.y == 0
        await pilot.press("alt+down")
        assert pane.scroll_offset.y == 3
        assert app.query_one("#search").has_focus


@sync
async def test_features_key_before_the_detail_loaded_reads_the_character_in_a_worker(
    knowledge_catalog: Path,
) -> None:
    app = ExplorerApp(knowledge_catalog, watch_catalog=False, detail_delay=60, show_timings=False)
    async with app.run_test(size=SIZE) as pilot:
        await search(pilot, "2b")
        assert app.search_view.detail_shown is None  # the pane waits for the highlight to settle
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert [entry.text for entry in app.session.builder.entries] == [
            "2b (nier:automata)",
            "black dress",
            "highleg leotard",
            "black blindfold",
        ]


@sync
async def test_a_character_without_features_says_which_source_adds_them(knowledge_catalog: Path) -> None:
    app = make_app(knowledge_catalog)
    async with app.run_test(size=WIDE) as pilot:
        await search(pilot, "ganyu")
        assert "none known; add a chants source" in text_of(app, "#detail-body")
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.session.builder.entries == []


# ---------------------------------------------------------- implications


@sync
async def test_detail_lists_what_a_tag_implies_and_what_implies_it(knowledge_catalog: Path) -> None:
    app = make_app(knowledge_catalog)
    async with app.run_test(size=WIDE) as pilot:
        await search(pilot, "very long hair")
        assert shown(app)[0] == "very long hair"
        detail = text_of(app, "#detail-body")
        assert "implications  from author-implications" in detail
        assert "implies long hair\n" in detail
        assert "implied by absurdly long hair\n" in detail


# --------------------------------------------------- a copyright's characters


@sync
async def test_copyright_detail_lists_its_characters_by_posts_and_searches_among_them(
    knowledge_catalog: Path,
) -> None:
    app = make_app(knowledge_catalog)
    async with app.run_test(size=WIDE) as pilot:
        await search(pilot, "genshin impact")
        await highlight(pilot, "genshin impact")
        assert "^s lists its 2 characters" in text_of(app, "#detail-body")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert (
            app.search_view.copyright_scope is not None
            and app.search_view.copyright_scope.tag == "genshin_impact"
        )
        assert shown(app) == [
            "ganyu \\(genshin impact\\)",
            "ganyu \\(twilight blossom\\) \\(genshin impact\\)",
        ]
        chip = app.query_one("#scope-chip", Static)
        assert chip.display and "copyright: genshin impact" in str(chip.render())
        assert "2 of 2 genshin impact characters, most posted first" in text_of(app, "#status")
        # The likely filter narrows the listing too (the twilight costume is a Danbooru tag only).
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert shown(app) == ["ganyu \\(genshin impact\\)"]
        await pilot.press("ctrl+l")  # verified only: none of its characters is
        await settle(pilot)
        assert shown(app) == []
        await pilot.press("ctrl+l")  # every tier again
        await settle(pilot)
        # Typing searches among them only.
        await pilot.press(*"twi")
        await settle(pilot)
        assert shown(app) == ["ganyu \\(twilight blossom\\) \\(genshin impact\\)"]
        # ctrl+u clears the box (the listing again), once more leaves: the search as it was.
        await pilot.press("ctrl+u")
        await settle(pilot)
        assert len(shown(app)) == 2 and app.search_view.copyright_scope is not None
        await pilot.press("ctrl+u")
        await settle(pilot)
        assert app.search_view.copyright_scope is None
        assert not chip.display
        assert app.query_one("#search", Input).value == "genshin impact"
        assert shown(app)[0] == "genshin impact"


@sync
async def test_a_characters_copyright_line_opens_the_listing_by_click_and_escape_leaves(
    knowledge_catalog: Path,
) -> None:
    app = make_app(knowledge_catalog)
    async with app.run_test(size=(110, 50)) as pilot:
        await search(pilot, "2b")
        body = app.query_one("#detail-body", Static)
        drawn = [strip.text for strip in body.render_lines(body.region.reset_offset)]
        link_line = next(y for y, line in enumerate(drawn) if line.startswith("^s lists its 2 characters"))
        await pilot.click(body, offset=(2, link_line))
        await settle(pilot)
        assert (
            app.search_view.copyright_scope is not None
            and app.search_view.copyright_scope.tag == "nier:automata"
        )
        assert shown(app) == ["2b \\(nier:automata\\)", "9s \\(nier:automata\\)"]
        await pilot.press("escape")
        await settle(pilot)
        assert app.search_view.copyright_scope is None
        assert app.query_one("#search", Input).value == "2b"


# ------------------------------------------------------- missing sources


@sync
async def test_banner_names_the_missing_sources_f12_gives_each_command_and_d_hides_it(
    knowledge_catalog: Path,
) -> None:
    app = make_app(knowledge_catalog)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        banner = app.query_one(SourcesBanner)
        assert banner.display
        assert str(banner.render()) == (
            "⚠ 2 sources missing (F12 details · esc hides): wd14-tagger, aidxl-trigger-list"
        )
        await pilot.press("f12")
        await pilot.pause()
        assert isinstance(app.screen, MissingSourcesScreen)
        details = text_of(app, "#missing-sources-text")
        assert (
            "wd14-tagger — WD v1.4 ConvNeXt v2 tagger tag list (SmilingWolf): "
            "aidxl ingest --fetch, or aidxl ingest --add --tagger PATH|hub"
        ) in details
        assert "aidxl-trigger-list — " in details and "aidxl ingest --add --triggers PATH|hub" in details
        assert "danbooru-tags" not in details
        await pilot.press("d")
        await pilot.pause()
        assert not isinstance(app.screen, MissingSourcesScreen)
        assert not banner.display
        # ctrl+r reads the catalog again: the banner is back.
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert banner.display
        await pilot.press("escape")
        assert not banner.display
        await pilot.click("#chips")  # nothing hidden comes back by accident
        assert not banner.display


@sync
async def test_banner_on_a_catalog_without_registry_sources_lists_all_and_a_click_opens_details(
    tmp_path: Path,
) -> None:
    from ingest.registry import registry

    app = make_app(build_tiny_catalog(tmp_path / "catalog.duckdb"))  # no sources rows at all
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        banner = str(app.query_one(SourcesBanner).render())
        names = [source.name for source in registry()]
        assert banner.startswith(f"⚠ {len(names)} sources missing")
        assert banner.endswith(", ".join(names))
        await pilot.click("#sources-banner")
        await pilot.pause()
        assert isinstance(app.screen, MissingSourcesScreen)
        details = text_of(app, "#missing-sources-text")
        for source in registry():
            assert f"{source.name} — {source.title}: {', or '.join(source.add_commands)}" in details
        assert "author-benchmark-triggers — " in details
        assert "aidxl ingest --add --list PATH --kind artist_style" in details
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, MissingSourcesScreen)
        assert app.query_one(SourcesBanner).display  # closing the details keeps the banner


@sync
async def test_curated_only_catalog_is_useful(tmp_path: Path) -> None:
    """`aidxl ingest --fetch` offline on a bare machine: the curated lists alone."""
    from ingest.build import ingest_catalog
    from ingest.registry import registry

    catalog = tmp_path / "curated.duckdb"
    ingest_catalog([], catalog, allow_curated_only=True)
    app = make_app(catalog)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.session.catalog_sources is not None and app.session.catalog_sources.source_kinds == {
            "curated"
        }
        banner = str(app.query_one(SourcesBanner).render())
        assert banner.startswith(f"⚠ curated triggers only; {len(registry())} sources missing")
        assert "aidxl ingest --fetch" in text_of(app, "#detail-body")
        assert "curated triggers" in text_of(app, "#detail-body")
        await search(pilot, "by chi4")
        assert shown(app)[0] == "by chi4"
        assert app.query_one(ResultsTable).rows_shown[0].tier == "verified"
        await search(pilot, "ganyu")
        assert shown(app) == []
        assert "only the" in text_of(app, "#detail-body") and "aidxl ingest --fetch" in text_of(
            app, "#detail-body"
        )
        await pilot.press("ctrl+u", "f7")
        await settle(pilot)
        assert shown(app) == []
        empty = text_of(app, "#detail-body")
        assert "This catalog has no character entries." in empty and "F12" in empty


@sync
async def test_a_catalog_of_the_authors_vocabulary_alone_is_not_called_curated_only(
    tmp_path: Path, shared_data: Path
) -> None:
    """No Danbooru tags, but 40k triggers from a registry source: the banner names what is missing
    without saying "curated triggers only" (that is decided by the sources, not the tag count)."""
    from ingest.build import ingest_catalog
    from ingest.specs import SourceSpec

    catalog = tmp_path / "vocab.duckdb"
    ingest_catalog([SourceSpec("vocab", path=shared_data / "waifuset.custom_tags.dcfd297.json")], catalog)
    app = make_app(catalog)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        sources = app.session.catalog_sources
        assert sources is not None and sources.tags == 0 and sources.triggers > 40_000
        assert not sources.curated_only
        banner = str(app.query_one(SourcesBanner).render())
        assert banner.startswith("⚠ ") and "curated" not in banner, banner
        assert "only the" not in text_of(app, "#detail-body")


def test_help_and_palette_know_the_new_keys() -> None:
    keys = {keys for _, keys, _ in KEYS}
    assert {
        "ctrl+l",
        "ctrl+n / ctrl+o",
        "ctrl+s",
        "F12",
        "escape",
        "shift+pgup / shift+pgdn",
        "alt+↑ / alt+↓",
    } <= keys
    actions = {entry.action for entry in palette_entries()}
    assert {
        "toggle_likely",
        "add_features('appearance')",
        "add_features('outfit')",
        "copyright_characters",
        "leave_copyright",
        "missing_sources",
        "hide_sources_banner",
    } <= actions


# ------------------------------------------------------------ real catalog


@pytest.fixture(scope="module")
def real_catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from catalog_fixture import build_real_catalog

    return build_real_catalog(tmp_path_factory.mktemp("real-explorer") / "catalog.duckdb")


@pytest.fixture()
def shared_index_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """One search-index cache for this module's real-catalog tests: the index is built once."""
    cache = tmp_path_factory.getbasetemp() / "explorer-real-index-cache"
    cache.mkdir(exist_ok=True)
    monkeypatch.setenv("AIDXL_CACHE_DIR", str(cache))


@sync
async def test_real_catalog_2b_features_and_the_keys_that_add_them(
    real_catalog: Path, shared_index_cache: None
) -> None:
    app = make_app(real_catalog)
    async with app.run_test(size=WIDE) as pilot:
        await search(pilot, "2b")
        assert shown(app)[0] == "2b \\(nier:automata\\)"
        detail = text_of(app, "#detail-body")
        appearance = detail.split("\nappearance")[1].split("\noutfit")[0]
        outfit = detail.split("\noutfit")[1].split("\n\n")[0]
        assert "white hair" in appearance and "black blindfold" not in appearance
        assert "black blindfold" in outfit and "white hair" not in outfit
        assert "from character-chants" in outfit
        await pilot.press("ctrl+n", "ctrl+o", "ctrl+n", "ctrl+o")
        await settle(pilot)
        texts = [entry.text for entry in app.session.builder.entries]
        assert texts[0] == "2b (nier:automata)"
        assert "white hair" in texts and "black blindfold" in texts
        assert len(texts) == len(set(texts))  # the second presses added nothing
        assert texts.index("white hair") < texts.index("black blindfold")


@sync
async def test_real_catalog_implications_of_very_long_hair(
    real_catalog: Path, shared_index_cache: None
) -> None:
    app = make_app(real_catalog)
    async with app.run_test(size=WIDE) as pilot:
        await search(pilot, "very long hair")
        assert shown(app)[0] == "very long hair"
        detail = text_of(app, "#detail-body")
        assert "implications  from author-implications" in detail
        assert "implies long hair" in detail
        assert "implied by absurdly long hair" in detail


@sync
async def test_real_catalog_genshin_impacts_characters_from_its_detail(
    real_catalog: Path, shared_index_cache: None
) -> None:
    app = make_app(real_catalog)
    async with app.run_test(size=WIDE) as pilot:
        await search(pilot, "genshin impact")
        await highlight(pilot, "genshin impact")
        assert (
            app.search_view.detail_shown is not None
            and app.search_view.detail_shown.copyright_tag == "genshin_impact"
        )
        await pilot.press("ctrl+s")
        await settle(pilot)
        rows = app.query_one(ResultsTable).rows_shown
        assert "ganyu \\(genshin impact\\)" in [row.prompt for row in rows[:3]]
        counts = [row.count or 0 for row in rows]
        assert counts == sorted(counts, reverse=True)
        assert (
            app.search_view.copyright_scope is not None
            and app.search_view.copyright_scope.total > len(rows) == 100
        )
        assert f"100 of {app.search_view.copyright_scope.total} genshin impact characters" in text_of(
            app, "#status"
        )


@sync
async def test_real_demo_catalog_banner_lists_only_the_hub_sources(
    real_catalog: Path, shared_index_cache: None
) -> None:
    app = make_app(real_catalog)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.session.catalog_sources is not None
        assert app.session.catalog_sources.missing_names == ("wd14-tagger", "aidxl-trigger-list")
        assert str(app.query_one(SourcesBanner).render()).endswith(": wd14-tagger, aidxl-trigger-list")


def test_features_go_right_after_their_character_not_at_the_end(knowledge_catalog: Path) -> None:
    from kb.catalog import open_catalog
    from kb.knowledge.character_info import character_info
    from tui.state.builder import BuilderEntry, BuilderState
    from tui.state.character_features import add_character_features

    connection = open_catalog(knowledge_catalog)
    try:
        info = character_info(connection, "2b_(nier:automata)")
    finally:
        connection.close()
    assert info is not None
    character = BuilderEntry("2b (nier:automata)", "character", 1.0, "2b_(nier:automata)")
    state = BuilderState(
        [BuilderEntry("by chi4", "artist_style"), character, BuilderEntry("smile", "general")]
    )
    outfit = add_character_features(state, info, "outfit", character)
    looks = add_character_features(state, info, "appearance", character)
    again = add_character_features(state, info, "appearance", character)
    assert [entry.text for entry in state.entries] == [
        "by chi4",
        "2b (nier:automata)",
        "black dress",
        "highleg leotard",
        "black blindfold",
        "mole under mouth",
        "short hair",
        "white hair",
        "smile",
    ]
    assert outfit.message == "added 3 outfit tags of 2b (nier:automata)"
    assert looks.cursor == 7 and again.added == () and len(again.already_there) == 3
    assert again.message == "the appearance of 2b (nier:automata) is already in the prompt"
    assert state.entries[2].tag == "black_dress" and state.entries[2].kind == "general"
