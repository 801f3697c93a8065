"""Pilot tests of generation from the explorer (issue 12 item 6) on the tiny-random model at 64×64:
the model picker, the step counter and ETA, the persistent preview panel, RANDOM WEIGHTS labels,
the real size, and a sheet's pages in the terminal. Wait on workers, never sleep."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from pilot_helpers import settle, sync
from prompt_fixture import build_tiny_catalog
from textual.widgets import Input, Static
from textual.widgets._toast import Toast

from kb.generate.progress import ProgressReading
from tui.app import ExplorerApp
from tui.screens.settings import SettingsScreen
from tui.screens.sheet_viewer import SheetViewerScreen
from tui.state.generation_view import elided_middle, load_sheet_pages
from tui.widgets.messages import PreviewProgress
from tui.widgets.preview_panel import PathLine, PreviewPanel

SIZE = (80, 24)
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tiny_catalog_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_catalog(tmp_path_factory.mktemp("catalog") / "catalog.duckdb")


@pytest.fixture(autouse=True)
def no_configured_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIDXL_MODEL", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def make_app(catalog: Path, **options: object) -> ExplorerApp:
    return ExplorerApp(catalog, watch_catalog=False, detail_delay=0, **options)  # type: ignore[arg-type]


def text_of(app: ExplorerApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def status(app: ExplorerApp) -> str:
    return str(app.query_one("#status", Static).render())


def builder_with_styles(app: ExplorerApp) -> None:
    from tui.state.builder import BuilderEntry

    app.session.builder.add(BuilderEntry("by chi4", "artist_style", 0.9))
    app.session.builder.add(BuilderEntry("by ask", "artist_style"))
    app.session.builder.add(BuilderEntry("smile", "general", tag="smile"))
    app.session.builder.settings = replace(app.session.builder.settings, steps=2, seed=7)
    app.builder_view.refresh_builder(cursor=0)


def test_elided_middle_keeps_both_ends_on_one_line() -> None:
    path = "/home/user/.cache/aidxl-kb/previews/ab/abcdef0123456789.png"
    assert elided_middle(path, 100) == path
    assert elided_middle(path, 21) == "/home/user…456789.png"
    assert elided_middle(path, 20) == "/home/use…456789.png"
    assert elided_middle(path, 1) == "…" and elided_middle(path, 0) == ""


@sync
async def test_the_status_counts_steps_with_rate_and_eta(tiny_catalog_file: Path) -> None:
    app = make_app(tiny_catalog_file, preview_model="tiny-random")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+b")
        app.builder_view.preview_running = True
        app.builder_view.post_message(PreviewProgress(7, 20, ProgressReading("step", 7, 20, 0.4, 5.2)))
        await pilot.pause()
        assert status(app) == "preview: step 7/20 · 0.40 s/step · ETA 0:05 (escape cancels)"
        app.builder_view.show_job_progress("sheet", ProgressReading("cell", 5, 40, 2.0, 80.0))
        assert status(app) == "sheet: cell 5/40 · 2.0 s/cell · ETA 1:20 (escape cancels)"


@pytest.mark.slow  # loads the tiny model in the preview worker
@sync
async def test_a_preview_stays_in_the_panel_with_its_path_model_real_size_and_label(
    tiny_catalog_file: Path,
) -> None:
    from kb.paths import state_dir
    from tui.state.builder import BuilderEntry

    app = make_app(tiny_catalog_file, preview_model="tiny-random")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        job_words: list[str] = []
        show = app.builder_view.show_job_progress
        app.builder_view.show_job_progress = lambda kind, reading: (
            show(kind, reading),
            job_words.append(app.session.job_words),
        )  # type: ignore[method-assign,func-returns-value]
        app.session.builder.add(BuilderEntry("smile", "general", tag="smile"))
        app.session.builder.settings = replace(
            app.session.builder.settings, steps=3
        )  # the setting says 1024×1024
        app.builder_view.refresh_builder(cursor=0)
        await settle(pilot)
        assert "64×64 (tiny-random; setting 1024×1024)" in text_of(app, "#settings-line")
        panel = app.query_one(PreviewPanel)
        assert not panel.display
        await pilot.press("ctrl+b", "ctrl+g")
        assert (
            "preview: loading the model… (escape cancels)" in status(app)
            or app.builder_view.last_preview is not None
        )
        await settle(pilot)
        assert app.builder_view.last_preview is not None and app.builder_view.last_preview.image_path, (
            app.builder_view.last_preview
        )
        assert [words.split(" · ")[0] for words in job_words] == [
            "preview: loading the model… (escape cancels)",
            "preview: step 1/3",
            "preview: step 2/3",
            "preview: step 3/3",
        ]
        assert job_words[-1].endswith("ETA 0:00 (escape cancels)")
        # The panel: the picture, RANDOM WEIGHTS, the model and the size actually made.
        assert panel.display and panel.picture() is not None
        shown = panel.shown
        assert shown is not None and shown.size == (64, 64) and shown.random_weights
        assert text_of(app, "#preview-panel-caption").startswith("RANDOM WEIGHTS")
        assert (
            text_of(app, "#preview-panel-info") == "preview 64×64 · tiny-random (RANDOM WEIGHTS, not AIDXL)"
        )
        assert status(app).endswith(" · preview 64×64 · RANDOM WEIGHTS")
        assert "(64×64, RANDOM WEIGHTS)" in app.builder_view.last_preview.message
        # The toast says what was made and where it stays, never the path (a toast wraps and vanishes).
        toasts = [str(toast.render()) for toast in app.screen.query(Toast)]
        assert (
            "preview 64×64 · tiny-random (RANDOM WEIGHTS, not AIDXL): in the panel below (alt+v, then c "
            "copies its path)" in toasts
        ), toasts
        assert not any(str(shown.path.name)[:20] in toast for toast in toasts)
        # The path: one line, cut in the middle at 80 columns; focused, its end, then all of it by scrolling.
        path = str(shown.path)
        line = app.query_one(PathLine)
        width = line.content_size.width
        assert len(path) > width > 20
        unfocused = line.shown_text(width)
        assert len(unfocused) == width and "…" in unfocused
        assert unfocused.endswith(path[-(width // 2) :]) and unfocused.startswith(path[: (width - 1) // 2])
        await pilot.press("alt+v")
        assert line.has_focus and line.shown_text(width).endswith(".png")
        await pilot.press("home")
        assert line.shown_text(width) == path[: width - 1] + "…"
        await pilot.press("right")
        assert line.shown_text(width).startswith("…") and path[9 : width - 1] in line.shown_text(width)
        await pilot.press("c")  # copies the whole path (OSC 52 and the fallback file)
        assert app.clipboard == path
        assert (state_dir() / "clipboard.txt").read_text(encoding="utf-8") == path + "\n"
        # It stays while the user works elsewhere, until closed.
        await pilot.press("ctrl+b", *"chi")
        await settle(pilot)
        assert panel.display and panel.shown is shown
        # The detail pane's thumbnail of a random-weight preview is captioned too.
        await pilot.press("ctrl+u", *"smile")
        await settle(pilot)
        app.search_view.query_one("#detail").show_preview(shown.picture)
        await pilot.pause()
        captions = [str(widget.render()) for widget in app.query("#detail .preview-image").results(Static)]
        assert any(caption.startswith("RANDOM WEIGHTS") for caption in captions), captions
        app.action_focus_preview_panel()
        await pilot.press("x")
        assert not panel.display


@sync
async def test_the_settings_dialog_checks_the_model_and_the_status_names_it(tiny_catalog_file: Path) -> None:
    app = make_app(tiny_catalog_file)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+b")
        assert "no model set (s: settings)" in status(app)
        await pilot.press("s")
        assert isinstance(app.screen, SettingsScreen)
        assert text_of(app, "#model-hint") == "empty: no model set"
        app.screen.query_one("#model", Input).value = "no/such/model.safetensors"
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, SettingsScreen)  # kept open, the reason in one sentence
        message = text_of(app, "#settings-message")
        assert message.startswith("model no/such/model.safetensors: no such file or folder; choose an SDXL")
        app.screen.query_one("#model", Input).value = "tiny-random"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, SettingsScreen)
        assert (
            app.session.builder.settings.model == "tiny-random" and app.session.preview_model == "tiny-random"
        )
        assert "model tiny-random · RANDOM WEIGHTS" in status(app)
        assert text_of(app, "#settings-line").startswith("64×64 (tiny-random; setting 1024×1024)")
        await pilot.resize_terminal(100, 30)  # the pane lays itself out again: the line stays true
        await settle(pilot)
        assert text_of(app, "#settings-line").startswith("64×64 (tiny-random; setting 1024×1024)")


@sync
async def test_a_broken_configured_model_is_reported_as_written(
    tiny_catalog_file: Path, tmp_path: Path
) -> None:
    config = tmp_path / "config" / "aidxl-kb" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[generate]\nmodel = "gone.safetensors"\n', encoding="utf-8")
    app = make_app(tiny_catalog_file)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+b", "s")
        await pilot.press("ctrl+s")  # an empty field: the config decides, and its model is missing
        message = text_of(app, "#settings-message")
        assert (
            "gone.safetensors (from " in message and "config.toml [generate] model) does not exist" in message
        )
        await pilot.press("escape")
        assert "model the configured model cannot load (s: settings)" in status(app)


@pytest.mark.slow  # a 4-cell sheet on the tiny model, then a cached 3-page one
@sync
async def test_a_sheet_shows_in_the_panel_and_its_pages_in_the_terminal(
    tiny_catalog_file: Path, tmp_path: Path
) -> None:
    from kb.sheets.run import run_sheet
    from kb.sheets.spec import SheetRow, spec_from_values

    app = make_app(tiny_catalog_file, preview_model="tiny-random")
    async with app.run_test(size=(120, 40)) as pilot:
        builder_with_styles(app)
        await settle(pilot)
        app.builder_view.action_sheet()
        await settle(pilot)
        assert app.builder_view.last_sheet is not None and app.builder_view.last_sheet.page, (
            app.builder_view.last_sheet.message
        )
        panel = app.query_one(PreviewPanel)
        assert panel.shown is not None and panel.shown.kind == "sheet"
        assert text_of(app, "#preview-panel-info") == (
            "sheet of 1 page · cells 64×64 · tiny-random (RANDOM WEIGHTS, not AIDXL)"
        )
        await pilot.press("ctrl+b")
        assert status(app).endswith(" · sheet cells 64×64 · RANDOM WEIGHTS")
        app.action_focus_preview_panel()
        await pilot.press("v")
        await pilot.pause()
        viewer = app.screen
        assert isinstance(viewer, SheetViewerScreen) and viewer.picture() is not None
        labels = text_of(app, "#sheet-viewer-labels")
        assert [line[3:] for line in labels.splitlines()[1:5]] == [
            "baseline (no style)",
            "(by chi4:0.9)",
            "by ask",
            "blend: (by chi4:0.9), by ask",
        ]
        assert "columns, left to right\n 1 seed 7" in labels
        assert text_of(app, "#sheet-viewer-title").startswith("RANDOM WEIGHTS")
        await pilot.press("escape")
        assert not isinstance(app.screen, SheetViewerScreen)

        # Three styles a page (each page repeats the baseline): pages, keys and labels follow.
        spec = spec_from_values(
            rows=[SheetRow(style="(by chi4:0.9)"), SheetRow(style="by ask")],
            seeds=[7],
            bases=["smile"],
            negative="lowres",
            model="tiny-random",
            sampler="Euler a",
            steps=2,
            cfg_scale=7.0,
            width=64,
            height=64,
            page_rows=1,
            controls=0,
        )
        result = run_sheet(spec, tmp_path / "sheets", record_scores=False)
        assert result.sidecar is not None and len(result.pages) == 2
        app.push_screen(SheetViewerScreen(load_sheet_pages(result.sidecar)))
        await pilot.pause()
        assert " · page 1/2 · " in text_of(app, "#sheet-viewer-title")
        assert "(by chi4:0.9)" in text_of(app, "#sheet-viewer-labels")
        await pilot.press("n")
        assert " · page 2/2 · " in text_of(app, "#sheet-viewer-title")
        assert "by ask" in text_of(app, "#sheet-viewer-labels")
        await pilot.press("n")  # the last page stays
        assert " · page 2/2 · " in text_of(app, "#sheet-viewer-title")
        await pilot.press("home")
        assert " · page 1/2 · " in text_of(app, "#sheet-viewer-title")


def test_explore_refuses_a_model_it_cannot_load_in_one_line(tmp_path: Path) -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "tui.cli", "explore", "--model", str(tmp_path / "x.ckpt")],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert finished.returncode == 2
    assert finished.stderr == (
        f"aidxl: model {tmp_path / 'x.ckpt'}: no such file or folder; choose an SDXL .safetensors file, a "
        "diffusers folder, a Hub id in the local cache, or tiny-random.\n"
    )


@sync
async def test_the_search_status_keeps_the_step_counter_while_typing(tiny_catalog_file: Path) -> None:
    app = make_app(tiny_catalog_file, preview_model="tiny-random")
    async with app.run_test(size=(140, 42)) as pilot:
        await settle(pilot)
        app.builder_view.preview_running = True
        app.builder_view.show_job_progress("preview", ProgressReading("step", 3, 28, 0.5, 12.5))
        await pilot.press(*"chi")
        await settle(pilot)
        assert status(app).endswith(" · preview: step 3/28 · 0.50 s/step · ETA 0:12 (escape cancels)")


@sync
async def test_the_settings_dialog_shows_and_keeps_the_explore_model(tiny_catalog_file: Path) -> None:
    """`aidxl explore --model tiny-random`: the dialog's model field holds it, and saving keeps it."""
    app = make_app(tiny_catalog_file, preview_model="tiny-random")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+b", "s")
        assert isinstance(app.screen, SettingsScreen)
        assert app.screen.query_one("#model", Input).value == "tiny-random"
        assert text_of(app, "#model-hint") == "tiny-random: from aidxl explore --model · empty: no model set"
        await pilot.press("ctrl+s")  # saved unchanged
        await settle(pilot)
        assert not isinstance(app.screen, SettingsScreen)
        assert app.session.preview_model == "tiny-random"
        assert "model tiny-random · RANDOM WEIGHTS" in status(app)
        assert text_of(app, "#settings-line").startswith("64×64 (tiny-random; setting 1024×1024)")


@sync
async def test_the_panel_offers_v_pages_only_for_a_sheet(tiny_catalog_file: Path, tmp_path: Path) -> None:
    from PIL import Image

    from tui.state.generation_view import ShownImage

    picture = tmp_path / "preview.png"
    Image.new("RGB", (64, 64), "gray").save(picture)
    sidecar = tmp_path / "sheet.json"
    sidecar.write_text("{}", encoding="utf-8")
    app = make_app(tiny_catalog_file)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = app.query_one(PreviewPanel)
        panel.show_image(ShownImage("preview", picture, picture, "tiny-random", (64, 64), True))
        await pilot.press("alt+v")  # the panel's path line has the focus
        await settle(pilot)
        keys = {key: active.binding.action for key, active in app.screen.active_bindings.items()}
        assert keys.get("c") == "copy_path" and "v" not in keys  # no "v View sheet pages" offered
        panel.show_image(ShownImage("sheet", picture, picture, "tiny-random", (64, 64), True, sidecar, 2))
        await settle(pilot)
        keys = {key: active.binding.action for key, active in app.screen.active_bindings.items()}
        assert keys.get("v") == "view_sheet"
