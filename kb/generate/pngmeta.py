"""PNG metadata in the web UI's format: the `parameters` text chunk (read by its PNG Info tab and
by civitai), its parser, the JSON sidecar and the TUI thumbnail. No torch here.

The `parameters` text is the web UI's infotext (kb/prompt/infotext.py):

    <prompt>
    Negative prompt: <negative prompt>
    Steps: 28, Sampler: Euler a, Schedule type: Automatic, CFG scale: 7, Seed: 7, Size: 832x1216, ...

Values holding `,`, `:` or a newline are JSON-quoted, as the web UI's `infotext_utils.quote` does.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from kb.prompt.infotext import parse_infotext

PARAMETERS_KEY = "parameters"
THUMBNAIL_MAX_SIDE = 256


def png_bytes(image: Any, parameters: str) -> bytes:
    """PNG file contents with the `parameters` tEXt/iTXt chunk (deterministic: no timestamps)."""
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text(PARAMETERS_KEY, parameters)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def thumbnail_png_bytes(image: Any, max_side: int = THUMBNAIL_MAX_SIDE) -> bytes:
    """A copy no larger than `max_side` on its longer side (never enlarged), without metadata."""
    thumbnail = image.copy()
    thumbnail.thumbnail((max_side, max_side))
    buffer = io.BytesIO()
    thumbnail.save(buffer, format="PNG")
    return buffer.getvalue()


def read_png_parameters(path: Path) -> str | None:
    """The `parameters` text of a PNG, or None when it has none."""
    from PIL import Image

    with Image.open(path) as image:
        image.load()
        value = image.info.get(PARAMETERS_KEY)
    return value if isinstance(value, str) else None


def sidecar_record(parameters: str, extra: dict[str, Any]) -> dict[str, Any]:
    """The JSON sidecar's fields: the infotext and its parsed parts, plus what the infotext cannot hold."""
    infotext = parse_infotext(parameters)
    return {
        "parameters": parameters,
        "prompt": infotext.prompt,
        "negative_prompt": infotext.negative_prompt,
        "settings": dict(infotext.settings),
        **extra,
    }
