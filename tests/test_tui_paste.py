"""The explorer's paste of a PNG path: the image's prompt, negative and settings into the builder."""

from __future__ import annotations

from pathlib import Path

import pytest
from pilot_helpers import sync
from prompt_fixture import build_tiny_catalog

from tui.app import ExplorerApp

SIZE = (80, 24)
PARAMETERS = (
    "1girl, (smile:1.2), [cat|dog], <lora:ganyu_v2:0.8>\n"
    "Negative prompt: lowres, bad hands\n"
    "Steps: 35, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: 1234, Size: 832x1216, "
    "Model: animeIllustDiffusion_v08, Version: v1.10.1"
)


@pytest.fixture(scope="module")
def tiny_catalog_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_catalog(tmp_path_factory.mktemp("catalog") / "catalog.duckdb")


@sync
async def test_pasting_a_png_path_imports_its_parameters(tiny_catalog_file: Path, tmp_path: Path) -> None:
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo
    from textual.widgets import TextArea

    info = PngInfo()
    info.add_text("parameters", PARAMETERS)
    image_path = tmp_path / "00042-1234.png"
    Image.new("RGB", (8, 8)).save(image_path, format="PNG", pnginfo=info)
    app = ExplorerApp(tiny_catalog_file, watch_catalog=False, detail_delay=0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+b", "p")
        app.screen.query_one(TextArea).text = f"'{image_path}'\n"  # as a file manager pastes it
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.builder_view.rendered is not None
        assert app.builder_view.rendered.positive == "1girl, (smile:1.2), [cat|dog], <lora:ganyu_v2:0.8>"
        assert app.session.builder.negative == "lowres, bad hands"
        settings = app.session.builder.settings
        assert (settings.width, settings.height, settings.sampler, settings.steps) == (
            832,
            1216,
            "DPM++ 2M Karras",
            35,
        )
        assert (settings.cfg_scale, settings.seed) == (6.5, 1234)
        assert [entry.kind for entry in app.session.builder.entries][2:] == ["syntax", "syntax"]


@sync
async def test_a_png_without_a_prompt_is_one_line(tiny_catalog_file: Path, tmp_path: Path) -> None:
    from PIL import Image
    from textual.widgets import TextArea

    image_path = tmp_path / "plain.png"
    Image.new("RGB", (8, 8)).save(image_path, format="PNG")
    app = ExplorerApp(tiny_catalog_file, watch_catalog=False, detail_delay=0)
    async with app.run_test(size=SIZE) as pilot:
        notices: list[str] = []
        app.notify = lambda message, **options: notices.append(message)  # type: ignore[method-assign,assignment]
        await pilot.press("ctrl+b", "p")
        app.screen.query_one(TextArea).text = str(image_path)
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert notices[-1] == f"{image_path}: no web-UI `parameters` or ComfyUI `prompt` chunk"
        assert app.session.builder.entries == []


def test_redo_keys_are_what_terminals_send() -> None:
    """ctrl+shift+z arrives as its own key only through the kitty keyboard protocol (Textual asks
    for it); a legacy terminal sends ctrl+z's byte for it, so `Z` redoes everywhere."""
    from textual._xterm_parser import XTermParser

    from tui.screens.builder import BuilderView

    redo_keys = {
        key
        for binding in BuilderView.BINDINGS
        if not isinstance(binding, tuple) and binding.action == "builder_redo"
        for key in binding.key.split(",")
    }
    parser = XTermParser()
    for sequence in ("\x1b[122;6u", "\x1b[90;6u", "Z"):  # kitty: z or Z with ctrl+shift; shift+z
        (event,) = list(parser.feed(sequence))
        assert getattr(event, "key", None) in redo_keys, sequence
    (legacy,) = list(parser.feed("\x1a"))
    assert getattr(legacy, "key", None) == "ctrl+z"  # undo: the byte legacy terminals send for both
