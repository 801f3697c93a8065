"""PNG metadata in the web UI's format: the `parameters` text chunk (read by its PNG Info tab and
by civitai), its parser, the JSON sidecar and the TUI thumbnail. No torch here.

The `parameters` text is the web UI's infotext:

    <prompt>
    Negative prompt: <negative prompt>
    Steps: 28, Sampler: Euler a, Schedule type: Automatic, CFG scale: 7, Seed: 7, Size: 832x1216, ...

Values holding `,`, `:` or a newline are JSON-quoted, as the web UI's `infotext_utils.quote` does.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PARAMETERS_KEY = "parameters"
NEGATIVE_PREFIX = "Negative prompt:"
THUMBNAIL_MAX_SIDE = 256
# The web UI's `re_param_code` from modules/infotext_utils.py.
_PARAM_PATTERN = re.compile(r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')


@dataclass(frozen=True)
class Infotext:
    """A parsed `parameters` text: prompt, negative prompt and the settings line as ordered pairs."""

    prompt: str
    negative_prompt: str
    settings: tuple[tuple[str, str], ...]

    def get(self, key: str) -> str | None:
        return dict(self.settings).get(key)


def quote_value(value: str) -> str:
    if "," not in value and "\n" not in value and ":" not in value:
        return value
    return json.dumps(value, ensure_ascii=False)


def unquote_value(value: str) -> str:
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        try:
            unquoted = json.loads(value)
        except json.JSONDecodeError:
            return value
        return unquoted if isinstance(unquoted, str) else value
    return value


def format_infotext(prompt: str, negative_prompt: str, settings: list[tuple[str, str]]) -> str:
    """The web UI's infotext for one image."""
    settings_line = ", ".join(f"{key}: {quote_value(value)}" for key, value in settings)
    negative_line = f"\n{NEGATIVE_PREFIX} {negative_prompt}" if negative_prompt else ""
    return f"{prompt}{negative_line}\n{settings_line}"


def parse_infotext(text: str) -> Infotext:
    """Parse infotext as the web UI's `parse_generation_parameters` does."""
    lines = text.strip().split("\n")
    settings_line = lines[-1]
    if len(_PARAM_PATTERN.findall(settings_line)) < 3:
        settings_line = ""
    else:
        lines = lines[:-1]
    prompt_lines: list[str] = []
    negative_lines: list[str] = []
    in_negative = False
    for line in lines:
        stripped = line.strip()
        if stripped.startswith(NEGATIVE_PREFIX):
            in_negative = True
            stripped = stripped[len(NEGATIVE_PREFIX) :].strip()
        (negative_lines if in_negative else prompt_lines).append(stripped)
    settings = tuple(
        (key.strip(), unquote_value(value.strip())) for key, value in _PARAM_PATTERN.findall(settings_line)
    )
    return Infotext("\n".join(prompt_lines), "\n".join(negative_lines), settings)


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
