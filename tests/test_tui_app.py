"""Pilot tests of the explorer's flows on a tiny catalog. Wait on workers, never sleep."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pilot_helpers import settle, sync
from prompt_fixture import build_tiny_catalog
from rich.text import Text
from textual.widgets import Static
from textual.widgets._toast import Toast

from tui.app import ExplorerApp
from tui.keys import palette_entries
from tui.screens.help import KEYS, HelpScreen
from tui.screens.missing_catalog import MissingCatalogScreen
from tui.widgets.detail import DetailBody
from tui.widgets.results import KindChips, ResultsTable
from tui.widgets.search_input import SearchInput

SIZE = (80, 24)


@pytest.fixture(scope="module")
def tiny_catalog_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_catalog(tmp_path_factory.mktemp("catalog") / "catalog.duckdb")


def make_app(catalog: Path, **options: object) -> ExplorerApp:
    return ExplorerApp(catalog, watch_catalog=False, detail_delay=0, **options)  # type: ignore[arg-type]


def static_text(app: ExplorerApp, selector: str) -> str:
    """A widget's text; the detail pane's before wrapping."""
    widget = app.screen.query_one(selector, Static)
    return widget.plain if isinstance(widget, DetailBody) else str(widget.render())


@sync
async def test_missing_catalog_offers_the_checkouts_sources_when_their_files_are_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tags.csv").write_text("tag_id,name,category,count\n1,1girl,0,10\n", encoding="utf-8")
    (tmp_path / "sources.toml").write_text('[[tagger]]\npath = "tags.csv"\n', encoding="utf-8")
    app = make_app(tmp_path / "none.duckdb")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, MissingCatalogScreen)
        assert static_text(app, "#missing-reason") == (
            f"{tmp_path / 'none.duckdb'}: no catalog here; build one with `aidxl ingest`"
        )
        assert f"aidxl ingest --config {tmp_path / 'sources.toml'}" in static_text(app, "#missing-help")


@sync
async def test_missing_catalog_without_the_demo_data_fetches_and_offline_opens_the_curated_catalog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A clone without ../shared: sources.toml names files that are not there. HF_HUB_OFFLINE=1
    # (conftest): `i` runs the real `aidxl ingest --fetch`, which builds the curated lists alone.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sources.toml").write_text('[[tagger]]\npath = "../shared/data/x.csv"\n', encoding="utf-8")
    app = make_app(tmp_path / "catalog.duckdb")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, MissingCatalogScreen)
        assert "aidxl ingest --fetch" in static_text(app, "#missing-help")
        await pilot.press("i")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, MissingCatalogScreen)
        assert (tmp_path / "catalog.duckdb").is_file()
        await app.workers.wait_for_complete()
        await pilot.press(*"best quality")
        await app.workers.wait_for_complete()
        await pilot.pause()
        shown = app.query_one(ResultsTable).rows_shown
        assert shown and shown[0].prompt == "best quality"


@sync
async def test_help_lists_every_key_and_closes(tiny_catalog_file: Path) -> None:
    app = make_app(tiny_catalog_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
    assert ("builder", "+ / = / -", "weight ±0.05") in KEYS


@sync
async def test_kind_filter_keys_and_chips(tiny_catalog_file: Path) -> None:
    app = make_app(tiny_catalog_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f7")
        assert app.search_view.kind_filter == "character"
        assert [chip.id for chip in app.query(".chip.-active")] == ["chip-char"]
        await pilot.click("#chip-paint")
        assert app.search_view.kind_filter == "painting_style"
        await pilot.press("f2")
        assert app.search_view.kind_filter is None
        assert app.query_one(KindChips).query(".-active").first().id == "chip-all"


@sync
async def test_builder_keys_edit_the_state(tiny_catalog_file: Path) -> None:
    from tui.state.builder import BuilderEntry

    app = make_app(tiny_catalog_file)
    async with app.run_test(size=SIZE) as pilot:
        for text, kind in (("by chi4", "artist_style"), ("by ask", "artist_style"), ("smile", "general")):
            app.session.builder.add(BuilderEntry(text, kind))
        app.builder_view.refresh_builder(cursor=0)
        await pilot.press("ctrl+b")
        assert app.in_builder
        await pilot.press("minus", "minus", "minus", "shift+down")
        assert [(e.text, e.weight) for e in app.session.builder.entries] == [
            ("by ask", 1.0),
            ("by chi4", 0.85),
            ("smile", 1.0),
        ]
        await pilot.press("w")
        await pilot.press("ctrl+a", "ctrl+k", *"0.7", "enter")
        assert app.session.builder.entries[1].weight == 0.7
        await pilot.press("x")
        assert [e.text for e in app.session.builder.entries] == ["by ask", "smile"]
        await pilot.press("q", "a", "o")
        assert (
            app.session.builder.include_quality,
            app.session.builder.include_aesthetic,
            app.session.builder.auto_order,
        ) == (
            False,
            True,
            False,
        )


@sync
async def test_blend_save_and_load(tiny_catalog_file: Path) -> None:
    from tui.state.builder import BuilderEntry

    app = make_app(tiny_catalog_file)
    async with app.run_test(size=SIZE) as pilot:
        app.session.builder.add(BuilderEntry("by chi4", "artist_style", 0.8))
        app.session.builder.add(BuilderEntry("by ask", "artist_style", 0.9))
        app.session.builder.add(BuilderEntry("smile", "general"))
        app.builder_view.refresh_builder(cursor=0)
        await pilot.press("ctrl+b", "b", *"soft", "enter")
        saved = [(style.text, style.weight) for style in app.session.user_data.blends["soft"]]
        assert saved == [("by chi4", 0.8), ("by ask", 0.9)]
        app.session.builder.set_style_blend([])
        app.builder_view.refresh_builder(cursor=0)
        await pilot.press("l")
        await pilot.press("enter")
        assert [(e.text, e.weight) for e in app.session.builder.entries] == [
            ("by chi4", 0.8),
            ("by ask", 0.9),
            ("smile", 1.0),
        ]
    reloaded = make_app(tiny_catalog_file)
    async with reloaded.run_test(size=SIZE):
        assert sorted(reloaded.session.user_data.blends) == ["soft"]


@sync
async def test_command_palette_offers_every_action(tiny_catalog_file: Path) -> None:
    app = make_app(tiny_catalog_file)
    async with app.run_test(size=SIZE):
        titles = [command.title for command in app.get_system_commands(app.screen)]
    entries = palette_entries()
    assert {entry.title for entry in entries} <= set(titles)
    runs_on = {"app": app, "search": app.search_view, "builder": app.builder_view}
    for entry in entries:  # each action where the palette runs it (tui.keys: `runs`)
        assert callable(getattr(runs_on[entry.runs], f"action_{entry.name}", None)), entry.action


@sync
async def test_a_palette_entry_shows_its_view_and_acts_there(tiny_catalog_file: Path) -> None:
    """Through the palette itself (ctrl+p, type, enter): a builder action from the search view shows
    the builder and acts there; a search action from the builder comes back to the search."""
    app = make_app(tiny_catalog_file)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        auto_order = app.session.builder.auto_order
        await pilot.press("ctrl+p", *"toggle auto-order")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.in_builder and app.session.builder.auto_order is not auto_order
        await pilot.press("ctrl+p", *"filter: characters")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert not app.in_builder and app.search_view.kind_filter == "character"
        assert isinstance(app.focused, SearchInput)


@sync
async def test_each_view_runs_its_own_workers(tiny_catalog_file: Path) -> None:
    """The app loads the catalog's index; the search view searches and reads details; the builder
    view renders; their workers' answers come back to them (tui/screens/)."""
    app = make_app(tiny_catalog_file)
    started: dict[str, set[object]] = {}
    add_worker = app.workers.add_worker

    def recording(worker: Any, start: bool = True, exclusive: bool = True) -> None:
        started.setdefault(worker.group, set()).add(worker.node)
        add_worker(worker, start=start, exclusive=exclusive)

    app.workers.add_worker = recording  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*"by chi4")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert [entry.text for entry in app.session.builder.entries] == ["by chi4"]
        rendered = app.builder_view.rendered
        assert rendered is not None and rendered.positive.startswith("by chi4")
    assert started["index"] == {app}
    assert started["search"] == {app.search_view}
    assert started["render"] == {app.builder_view}
    search_groups = set(started) - {"index", "render"}  # search, sources, thumbnail, details read ahead
    assert {"search", "sources"} <= search_groups
    assert all(started[group] == {app.search_view} for group in search_groups), started
    assert all(
        node in (app, app.search_view, app.builder_view) for nodes in started.values() for node in nodes
    )


@sync
async def test_theme_toggle(tiny_catalog_file: Path) -> None:
    app = make_app(tiny_catalog_file)
    async with app.run_test(size=SIZE) as pilot:
        assert app.theme == "textual-dark"
        await pilot.press("ctrl+t")
        assert app.theme == "textual-light"


@sync
async def test_catalog_replaced_on_disk_is_noticed_and_reloaded(tmp_path: Path) -> None:
    catalog = build_tiny_catalog(tmp_path / "catalog.duckdb")
    app = make_app(catalog)
    async with app.run_test(size=SIZE) as pilot:
        replacement = build_tiny_catalog(tmp_path / "next.duckdb")
        os.replace(replacement, catalog)
        app.check_catalog_file()
        await pilot.pause()
        assert app.session.catalog_replaced
        assert "catalog rebuilt: ctrl+r reloads" in static_text(app, "#status")
        await pilot.press("ctrl+r")
        assert not app.session.catalog_replaced


def test_heavy_libraries_wait_for_a_preview(tmp_path: Path) -> None:
    """Start the app, search and build a prompt: torch, diffusers and transformers stay unloaded."""
    probe = (
        "import asyncio, sys\n"
        "sys.path.insert(0, 'tests')\n"
        "from pathlib import Path\n"
        "from prompt_fixture import build_tiny_catalog\n"
        "from tui.app import ExplorerApp\n"
        "async def main():\n"
        "    catalog = build_tiny_catalog(Path(sys.argv[1]) / 'c.duckdb')\n"
        "    app = ExplorerApp(catalog, watch_catalog=False)\n"
        "    async with app.run_test(size=(80, 24)) as pilot:\n"
        "        await pilot.press(*'ganyu')\n"
        "        await app.workers.wait_for_complete()\n"
        "        await pilot.press('enter', 'ctrl+b')\n"
        "        await app.workers.wait_for_complete()\n"
        "asyncio.run(main())\n"
        "print(','.join(m for m in ('torch', 'diffusers', 'transformers') if m in sys.modules))\n"
    )
    repo = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path)], cwd=repo, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1:] in ([], [""])


@sync
async def test_paste_prompt_keeps_weights_and_flags_unknown_tags(tiny_catalog_file: Path) -> None:
    """A paste keeps the prompt as written (kb.workbench.importing): tags with their written
    brackets, aliases and underscores as they are (the linter says what to change), settings read."""
    from textual.widgets import TextArea

    app = make_app(tiny_catalog_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+b", "p")
        app.screen.query_one(TextArea).text = (
            "(by chi4:0.8), ganyu \\(genshin impact\\), long_hair, [smile], lucyna kushinada, blorbo\n"
            "Negative prompt: lowres, bad hands\n"
            # the whole infotext, as the web UI's PNG Info gives it: the settings line is no prompt
            "Steps: 28, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 832x1216"
        )
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [(e.text, e.kind, e.weight, e.known) for e in app.session.builder.entries] == [
            ("by chi4", "artist_style", 0.8, True),
            ("ganyu (genshin impact)", "character", 1.0, True),
            ("long_hair", "general", 1.0, True),
            ("smile", "general", 1 / 1.1, True),
            ("lucyna kushinada", "character", 1.0, True),
            ("blorbo", "unknown", 1.0, False),
        ]
        assert app.session.builder.negative == "lowres, bad hands"
        assert (app.session.builder.settings.width, app.session.builder.settings.height) == (832, 1216)
        assert app.builder_view.rendered is not None
        assert app.builder_view.rendered.positive == (
            "(by chi4:0.8), ganyu \\(genshin impact\\), long_hair, [smile], lucyna kushinada, blorbo"
        )
        assert "underscore" in [finding.code for finding in app.builder_view.rendered.findings]


@sync
async def test_paste_over_a_prompt_asks_append_or_replace_and_undo_redo_step_through(
    tiny_catalog_file: Path,
) -> None:
    from textual.widgets import TextArea

    from tui.screens.dialogs import ChoiceScreen
    from tui.state.builder import BuilderEntry
    from tui.widgets.builder_pane import EntriesTable

    app = make_app(tiny_catalog_file)
    async with app.run_test(size=SIZE) as pilot:
        notices: list[str] = []
        app.notify = lambda message, **options: notices.append(message)  # type: ignore[method-assign,assignment]
        app.session.builder.add(BuilderEntry("by chi4", "artist_style", 0.8))
        app.session.builder.add(BuilderEntry("blorbo", "unknown", 1.0, None, False, ("long hair",)))
        app.session.builder.negative = "lowres"
        before = app.session.builder.snapshot()
        app.builder_view.refresh_builder(cursor=0)

        async def paste(text: str, choice: int | None) -> None:
            await pilot.press(*([] if app.in_builder else ["ctrl+b"]), "p")
            app.screen.query_one(TextArea).text = text
            await pilot.press("ctrl+s")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert isinstance(app.screen, ChoiceScreen), notices  # the builder is not empty: ask
            if choice is None:
                await pilot.press("escape")
            else:
                await pilot.press(*(["down"] * choice), "enter")
                await app.workers.wait_for_complete()
            await pilot.pause()

        await paste("smile, frieren\nNegative prompt: bad hands", None)
        assert app.session.builder == before  # cancelled: nothing changed
        await paste("smile, frieren\nNegative prompt: bad hands", 1)
        assert [entry.text for entry in app.session.builder.entries] == ["smile", "frieren"]
        assert notices[-1] == "pasted 2 entries; it replaced 2 entries: ctrl+z brings them back"
        await pilot.press("ctrl+z")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.session.builder == before  # entries (suggestions too), negative, settings
        assert notices[-1] == "undid the paste (2 entries)"
        await pilot.press("Z")  # redo (ctrl+shift+z where the terminal reports it)
        assert [entry.text for entry in app.session.builder.entries] == ["smile", "frieren"]
        assert notices[-1] == "redid the paste (2 entries)"
        await pilot.press("ctrl+z")
        assert app.session.builder == before
        await pilot.press("ctrl+shift+z")  # where the terminal reports it (kitty keyboard protocol)
        assert [entry.text for entry in app.session.builder.entries] == ["smile", "frieren"]
        await pilot.press("ctrl+z")
        await paste("[cat|dog], <lora:x_y:0.8>", 0)  # append keeps what is there
        appended = ["by chi4", "blorbo", "[cat|dog]", "<lora:x_y:0.8>"]
        assert [entry.text for entry in app.session.builder.entries] == appended
        assert notices[-1].startswith("added 2 entries, 2 kept as written (syntax)")
        app.builder_view.query_one(EntriesTable).move_cursor(row=3)
        await pilot.press("plus")  # an extra network has no weight of its own
        assert notices[-1] == "<lora:x_y:0.8> is prompt syntax kept as written: i edits its text"
        await pilot.press("ctrl+z")
        assert app.session.builder == before
        # A removal, a weight change: every edit is undone the same way.
        await pilot.press("x")
        assert [entry.text for entry in app.session.builder.entries] == ["blorbo"]
        await pilot.press("plus")
        assert app.session.builder.entries[0].weight == 1.05
        await pilot.press("ctrl+z", "ctrl+z")
        assert app.session.builder == before


@sync
async def test_entry_text_is_edited_in_place(tiny_catalog_file: Path) -> None:
    from textual.widgets import Input

    from tui.state.builder import BuilderEntry
    from tui.widgets.builder_pane import EntriesTable

    app = make_app(tiny_catalog_file)
    async with app.run_test(size=SIZE) as pilot:
        app.session.builder.auto_order = False
        app.session.builder.include_quality = False
        app.session.builder.add(BuilderEntry("smile", "general"))
        app.session.builder.add(BuilderEntry("long_hair", "general"))
        app.builder_view.refresh_builder(cursor=1)
        await pilot.press("ctrl+b")
        app.builder_view.query_one(EntriesTable).focus()
        app.builder_view.query_one(EntriesTable).move_cursor(row=1)
        await pilot.press("i")
        await pilot.pause()
        field = app.screen.query_one(Input)
        assert field.value == "long_hair"
        field.value = "(long hair:1.2), [day:night:0.5]"
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [entry.prompt_text() for entry in app.session.builder.entries] == [
            "smile",
            "(long hair:1.2)",
            "[day:night:0.5]",
        ]
        assert (
            app.builder_view.rendered is not None
            and app.builder_view.rendered.positive == "smile, (long hair:1.2), [day:night:0.5]"
        )
        await pilot.press("ctrl+z")
        assert [entry.text for entry in app.session.builder.entries] == ["smile", "long_hair"]


@sync
async def test_an_unknown_entry_suggests_the_linters_fix_when_a_finding_covers_it(
    tiny_catalog_file: Path,
) -> None:
    """`masterpiece`: the builder said "did you mean" from the search while the linter said
    `amazing quality`; now the entry shows the linter's fix, and `f` on the finding applies it."""
    from textual.widgets import TextArea

    from tui.widgets.builder_pane import EntriesTable

    app = make_app(tiny_catalog_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+b", "p")
        app.screen.query_one(TextArea).text = "masterpiece, blorbo, smile"
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.builder_view.rendered is not None
        assert [finding.code for finding in app.builder_view.rendered.findings][:1] == ["foreign-quality"]
        entries = app.query_one(EntriesTable)

        def labels() -> list[str]:
            return [entries.get_cell(str(index), "text").plain for index in range(3)]

        # A paste adds no quality tags; the linter's fix names AIDXL's rung.
        assert labels()[0] == "masterpiece  did you mean amazing quality?"
        await pilot.press("q")  # the quality toggle adds `amazing quality`: the fix removes the word
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert labels()[0] == "masterpiece  lint: remove it (tab to the finding, f)"
        await pilot.press("q")
        await app.workers.wait_for_complete()
        await pilot.pause()
        suggestions = app.session.builder.entries[1].suggestions
        assert suggestions and labels()[1] == f"blorbo  did you mean {', '.join(suggestions[:3])}?"
        assert labels()[2] == "smile"
        await pilot.press("tab", "f")  # the fix the entry named
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.session.builder.entries[0].text == "amazing quality"


@sync
async def test_a_frown_stays_a_frown(tiny_catalog_file: Path) -> None:
    """The explorer shows `aidxl prompt lint`'s findings for the pasted `:(`, and its fix escapes
    the bracket: the entry is still `:(` (it once became `smile`)."""
    from textual.widgets import TextArea

    app = make_app(tiny_catalog_file)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+b", "p")
        app.screen.query_one(TextArea).text = "1girl, :(, (smile:1.1"
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.builder_view.rendered is not None
        assert app.builder_view.rendered.positive == "1girl, :(, (smile:1.1"
        codes = [finding.code for finding in app.builder_view.rendered.findings]
        assert "emoticon-open-bracket" in codes and "unclosed-bracket" in codes
        frown = codes.index("emoticon-open-bracket")
        await pilot.press("tab", *(["down"] * frown), "f")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.session.builder.entries[1].text == ":(" and app.session.builder.entries[1].kind != "syntax"
        assert app.builder_view.rendered.positive.startswith("1girl, :\\(, ")


def test_detail_lists_character_forms(tiny_catalog_file: Path) -> None:
    from kb.catalog import open_catalog
    from tui.state.catalog_view import load_detail

    connection = open_catalog(tiny_catalog_file)
    try:
        detail = load_detail(connection, "ganyu \\(genshin impact\\)", "character", "ganyu_(genshin_impact)")
    finally:
        connection.close()
    assert [(form.label, form.text) for form in detail.forms] == [
        ("A1111", "ganyu \\(genshin impact\\)"),
        ("plain", "ganyu (genshin impact)"),
        ("sentence", "a girl named ganyu from genshin impact series"),
        ("1 prefix", "1 ganyu \\(genshin impact\\)"),
    ]
    assert detail.aliases == ("ganyu", "kan'u_(genshin_impact)")
    assert detail.count == 18_317


@pytest.mark.slow  # loads the tiny model in the preview worker
@sync
async def test_preview_of_the_built_prompt_on_the_tiny_model(tiny_catalog_file: Path) -> None:
    from tui.state.builder import BuilderEntry

    app = make_app(tiny_catalog_file, preview_model="tiny-random")
    async with app.run_test(size=SIZE) as pilot:
        app.session.builder.add(BuilderEntry("by chi4", "artist_style", 0.9))
        app.session.builder.add(BuilderEntry("smile", "general"))
        app.session.builder.settings = replace(app.session.builder.settings, steps=3)
        app.builder_view.refresh_builder(cursor=0)
        await app.workers.wait_for_complete()
        await pilot.pause()  # the render worker's result message is handled: the builder has a prompt
        assert app.builder_view.rendered is not None
        await pilot.press("ctrl+b", "ctrl+g")
        # Started: still running, or (torch already warm in this process) finished while Pilot waited.
        assert app.builder_view.preview_running or app.builder_view.last_preview is not None
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.builder_view.last_preview is not None, "no PreviewFinished message"
        assert app.builder_view.last_preview.image_path is not None, app.builder_view.last_preview.message
        assert Path(app.builder_view.last_preview.image_path).is_file()
        assert app.builder_view.preview_steps_seen[-1] == (3, 3)
        assert not app.query_one("#preview-progress").display
        # A trigger's preview from the search view; its thumbnail then shows in the detail pane.
        await pilot.press("ctrl+b", *"by chi4")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("ctrl+g")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.builder_view.last_preview.image_path is not None, app.builder_view.last_preview.message
        assert app.query_one("#detail").query(".preview-image")
        await pilot.press("ctrl+u", *"by ch")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.query_one("#detail").query(".preview-image"), "cached thumbnail not shown for by chi4"


@sync
async def test_preview_without_a_model_explains_in_one_line(
    tiny_catalog_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AIDXL_MODEL", raising=False)
    app = make_app(tiny_catalog_file)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        from tui.state.builder import BuilderEntry

        app.session.builder.add(BuilderEntry("smile", "general"))
        app.builder_view.refresh_builder(cursor=0)
        await app.workers.wait_for_complete()
        await pilot.press("ctrl+b", "ctrl+g")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.builder_view.last_preview is not None
        assert app.builder_view.last_preview.image_path is None
        message = app.builder_view.last_preview.message
        assert message.startswith("No model is configured;")
        assert "\n" not in message
        # The explorer's own ways to choose one: its settings, `aidxl explore --model`, the environment.
        assert "choose one in the settings (s in the builder)" in message
        assert "`aidxl explore --model PATH`" in message
        assert "AIDXL_MODEL=PATH" in message and "AIDXL_MODEL=tiny-random" in message
        # The toast shows the config section as written (it was read as markup and vanished).
        await pilot.pause()
        toasts = [str(toast.render()) for toast in app.screen.query(Toast)]
        assert any('set `model = "PATH"` under [generate] in ' in toast for toast in toasts), toasts


@sync
async def test_messages_from_kb_are_never_read_as_markup(tiny_catalog_file: Path) -> None:
    """Errors and names carry brackets (`[generate]`, `[b]`): notifications, the status line, the
    detail pane, dialogs' titles and the banner show them as written."""
    from tui.screens.dialogs import TextEntryScreen
    from tui.state.builder import BuilderEntry

    app = make_app(tiny_catalog_file)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        app.notify("under [generate] in [b]config.toml[/b]")
        app.session.search_problem = "search failed for '[red]x': [generate]"
        app.update_status()
        assert static_text(app, "#status").startswith("search failed for '[red]x': [generate] · ")
        app.search_view.show_detail_message("no [b]catalog[/b] at /tmp/[generate]")
        app.session.builder.add(BuilderEntry("[o]_[o]", "general"))
        app.builder_view.refresh_builder(cursor=0)
        await pilot.press("ctrl+b", "w")
        assert isinstance(app.screen, TextEntryScreen)
        await pilot.pause()
        title = app.screen.query_one(".dialog").border_title
        await pilot.press("escape")
        await pilot.pause()
        toasts = [str(toast.render()) for toast in app.screen.query(Toast)]
        assert "under [generate] in [b]config.toml[/b]" in toasts
        assert static_text(app, "#detail-body") == "no [b]catalog[/b] at /tmp/[generate]"
        assert title is not None and "[o]_[o]" in Text.from_markup(title).plain


@sync
async def test_search_select_add_weight_lint_fix_copy(tiny_catalog_file: Path) -> None:
    """The core flow: search as you type → add → weight → lint finding → fix → copy."""
    from kb.paths import state_dir
    from tui.widgets.builder_pane import FindingsTable
    from tui.widgets.results import ResultsTable

    app = make_app(tiny_catalog_file)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        for query in ("ganyu", "by chi4"):
            await pilot.press("ctrl+u", *query)
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert app.search_view.results_query == query
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert app.query_one("#search").value == ""  # cleared for the next search
        await pilot.press(*"by chi4")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [row.prompt for row in app.query_one(ResultsTable).rows_shown][:1] == ["by chi4"]
        detail = static_text(app, "#detail-body")
        assert detail.startswith("by chi4\nstyle · danbooru artist · 400 posts\n✓ verified AIDXL trigger")
        assert [(e.text, e.kind) for e in app.session.builder.entries] == [
            ("ganyu (genshin impact)", "character"),
            ("by chi4", "artist_style"),
        ]
        await pilot.press("ctrl+b", "down", "w", "ctrl+u", *"1.6", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.builder_view.rendered is not None
        assert app.builder_view.rendered.positive == (
            "(by chi4:1.6), ganyu \\(genshin impact\\), (amazing quality:1.3), (best quality:1.3)"
        )
        assert [finding.code for finding in app.builder_view.rendered.findings] == ["weight-range"]
        await pilot.press("tab")
        assert app.query_one(FindingsTable).has_focus
        await pilot.press("enter")
        assert app.query_one("#entries").has_focus
        assert app.builder_view.selected_entry() == 1
        await pilot.press("tab", "f")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.session.builder.entries[1].weight == 1.5
        assert app.builder_view.rendered.findings == ()
        assert (
            app.builder_view.rendered.tokens is not None and app.builder_view.rendered.tokens.label == "17/75"
        )
        await pilot.press("y")
        expected = "(by chi4:1.5), ganyu \\(genshin impact\\), (amazing quality:1.3), (best quality:1.3)"
        assert app.clipboard == expected
        assert (state_dir() / "clipboard.txt").read_text(encoding="utf-8") == expected + "\n"
        assert [entry.action for entry in app.session.user_data.history] == ["copy-positive"]


@sync
async def test_copy_negative_and_both_export_and_settings(tiny_catalog_file: Path) -> None:
    import json

    from textual.widgets import Input as TextInput

    from kb.paths import state_dir
    from tui.state.builder import BuilderEntry

    app = make_app(tiny_catalog_file)
    async with app.run_test(size=SIZE) as pilot:
        app.session.builder.add(BuilderEntry("smile", "general"))
        app.session.builder.include_quality = False
        app.session.builder.negative = "lowres"
        app.builder_view.refresh_builder(cursor=0)
        await app.workers.wait_for_complete()
        await pilot.press("ctrl+b", "Y")
        assert app.clipboard == "lowres"
        await pilot.press("c")
        assert app.clipboard == "smile\nNegative prompt: lowres"
        await pilot.press("s")
        app.screen.query_one("#size", TextInput).value = "832x1216"
        app.screen.query_one("#seed", TextInput).value = "42"
        await pilot.press("ctrl+s")
        assert (
            app.session.builder.settings.width,
            app.session.builder.settings.height,
            app.session.builder.settings.seed,
        ) == (
            832,
            1216,
            42,
        )
        await pilot.press("s")
        app.screen.query_one("#size", TextInput).value = "1000x1024"
        await pilot.press("ctrl+s")
        assert str(app.screen.query_one("#settings-message").render()).startswith(
            "size 1000x1024: width 1000 is not a multiple of 32; nearest valid sizes: 992x1024"
        )
        await pilot.press("escape")
        await pilot.press("E")
        exported = sorted((state_dir() / "exports").glob("prompt-*.json"))
        assert len(exported) == 1
        document = json.loads(exported[0].read_text(encoding="utf-8"))
        assert (document["positive"], document["negative"], document["settings"]["width"]) == (
            "smile",
            "lowres",
            832,
        )


@sync
async def test_favourites_show_on_an_empty_search(tiny_catalog_file: Path) -> None:
    from tui.widgets.results import ResultsTable

    app = make_app(tiny_catalog_file)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press(*"frieren")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("ctrl+f", "ctrl+u")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [(row.prompt, row.match) for row in app.query_one(ResultsTable).rows_shown] == [
            ("frieren", "favourite")
        ]
        # A favourite is drawn as its search row: posts and tier; counts in the singular.
        assert static_text(app, "#status").startswith("1 favourite (✓0 ○0) · ")
        await pilot.press(*"by chi4")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert static_text(app, "#status").startswith("1 result (✓1 ○0) · ")
        await pilot.press("ctrl+f", "ctrl+u")
        await app.workers.wait_for_complete()
        await pilot.pause()
        rows = app.query_one(ResultsTable).rows_shown
        assert [(row.prompt, row.count, row.tier, row.match) for row in rows] == [
            ("frieren", 8365, "danbooru", "favourite"),
            ("by chi4", 400, "verified", "favourite"),
        ]
        assert static_text(app, "#status").startswith("2 favourites (✓1 ○0) · ")
        table = app.query_one(ResultsTable)
        assert table.render_line(2).text.rstrip().endswith("400 ✓")


@sync
async def test_recognition_verdict_column(tiny_catalog_file: Path) -> None:
    from kb.recognition import Recognition, record_recognitions
    from tui.widgets.results import ResultsTable

    measured = Recognition("by chi4", 1.0, "abc", "tiny", "mad64/1", 0.3, "yes", 3, "s", "2026-01-01")
    record_recognitions([measured])
    app = make_app(tiny_catalog_file)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press(*"by chi4")
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.query_one(ResultsTable)
        assert [(row.prompt, row.verdict) for row in table.rows_shown[:1]] == [("by chi4", "yes")]
        assert "known" in "".join(segment.text for segment in table._header())


def test_tui_app_module_is_light() -> None:
    """`aidxl` imports tui.app first; Textual loads only after the catalog prefetch has started."""
    probe = "import sys, tui.app; print('textual' in sys.modules, 'duckdb' in sys.modules)"
    repo = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=repo, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]


@sync
async def test_sheet_of_the_builder_styles_on_the_tiny_model(tiny_catalog_file: Path) -> None:
    from tui.state.builder import BuilderEntry

    app = make_app(tiny_catalog_file, preview_model="tiny-random")
    async with app.run_test(size=SIZE) as pilot:
        app.session.builder.add(BuilderEntry("by chi4", "artist_style", 0.9))
        app.session.builder.add(BuilderEntry("by ask", "artist_style"))
        app.session.builder.add(BuilderEntry("smile", "general"))
        app.session.builder.settings = replace(app.session.builder.settings, steps=2, seed=7)
        app.builder_view.refresh_builder(cursor=0)
        await app.workers.wait_for_complete()
        app.builder_view.action_sheet()
        assert app.builder_view.sheet_running
        assert app.query_one("#preview-progress").display
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.builder_view.last_sheet is not None, "no SheetFinished message"
        assert app.builder_view.last_sheet.page is not None, app.builder_view.last_sheet.message
        page = Path(app.builder_view.last_sheet.page)
        assert page.is_file() and page.name.endswith("-p1.png")
        assert Path(app.builder_view.last_sheet.html or "").name == page.name.replace("-p1.png", ".html")
        # Rows: baseline, (by chi4:0.9), by ask, their blend; one seed on the prompt's other entries.
        assert app.builder_view.sheet_cells_seen[-1] == (4, 4)
        assert app.builder_view.last_sheet.message.startswith(f"sheet: {page} (4 cells: ")
        assert not app.builder_view.sheet_running and not app.query_one("#preview-progress").display
        assert str(page) in str(app.query_one("#detail-sheet").render())
        # The same sheet again comes from the cache, torch or not.
        app.builder_view.action_sheet()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "(4 cells: 0 generated, 4 cached)" in app.builder_view.last_sheet.message


@sync
async def test_sheet_without_styles_or_model_explains_in_one_line(
    tiny_catalog_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.state.builder import BuilderEntry

    monkeypatch.delenv("AIDXL_MODEL", raising=False)
    app = make_app(tiny_catalog_file)
    async with app.run_test(size=SIZE) as pilot:
        notices: list[str] = []
        app.notify = lambda message, **options: notices.append(message)  # type: ignore[method-assign,assignment]
        app.builder_view.action_sheet()
        assert notices == ["add style entries (`by …`) to the prompt first, then run a sheet"]
        app.session.builder.add(BuilderEntry("by chi4", "artist_style"))
        app.builder_view.action_sheet()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.builder_view.last_sheet is not None and app.builder_view.last_sheet.page is None
        assert app.builder_view.last_sheet.message.startswith("No model is configured;")
        assert "\n" not in app.builder_view.last_sheet.message


@sync
async def test_builder_layout_gives_the_findings_what_the_entries_leave(tiny_catalog_file: Path) -> None:
    """Entries take their rows, the prompts wrap (or end with …), the findings get the rest; Home/End
    move to the first / last entry; the status line is the builder's own."""
    from kb.knowledge.tagforms import to_canonical
    from kb.settings import default_negative
    from tui.state.builder import BuilderEntry
    from tui.widgets.builder_pane import EntriesTable, FindingsTable, PromptBox

    def box_lines(box: PromptBox) -> list[str]:
        """The text lines inside the box's border."""
        return [strip.text.strip("│ ") for strip in box.render_lines(box.region.reset_offset)][1:-1]

    app = make_app(tiny_catalog_file)
    async with app.run_test(size=(110, 45)) as pilot:
        for text, kind, weight in (
            ("by chi4", "artist_style", 1.6),
            ("ganyu (genshin impact)", "character", 1.0),
            ("long hair", "general", 1.0),
            ("smile", "general", 1.0),
        ):
            app.session.builder.add(BuilderEntry(text, kind, weight, to_canonical(text)))
        app.session.builder.negative = default_negative()
        app.builder_view.refresh_builder(cursor=0)
        await app.workers.wait_for_complete()
        await pilot.press("ctrl+b")
        await app.workers.wait_for_complete()
        await pilot.pause()
        entries = app.query_one(EntriesTable)
        assert entries.size.height == 1 + 4  # the header and its rows, no empty rows
        negative = " ".join(box_lines(app.query_one("#negative", PromptBox)))
        assert negative == default_negative()  # wrapped, whole
        assert app.query_one(FindingsTable).size.height >= 20
        status = static_text(app, "#status")
        assert status.startswith("4 entries · tokens ") and "1 lint finding" in status
        assert "result" not in status
        await pilot.press("end")
        assert entries.cursor_row == 3
        await pilot.press("home")
        assert entries.cursor_row == 0

    app = make_app(tiny_catalog_file)
    async with app.run_test(size=SIZE) as pilot:
        for index in range(30):
            app.session.builder.add(BuilderEntry(f"tag number {index}", "general"))
        app.session.builder.negative = default_negative() + ", " + default_negative()
        app.builder_view.refresh_builder(cursor=29)
        await app.workers.wait_for_complete()
        await pilot.press("ctrl+b")
        await app.workers.wait_for_complete()
        await pilot.pause()
        entries = app.query_one(EntriesTable)
        top = int(entries.scroll_offset.y)
        assert top <= 29 < top + entries.size.height - 1  # the cursor's entry is in view
        lines = box_lines(app.query_one("#negative", PromptBox))
        assert lines[-1].endswith("…")  # cut, and says so
        assert app.query_one("#settings-line").region.bottom <= app.query_one("#statusbar").region.y
        assert app.query_one(FindingsTable).size.height >= 2
        await pilot.press("home")
        assert entries.cursor_row == 0 and entries.scroll_offset.y == 0
