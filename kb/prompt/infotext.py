"""The web UI's infotext: a prompt, a `Negative prompt:` line and a settings line, as the web UI writes
it under an image (PNG Info, civitai) and as users paste it:

    <prompt>
    Negative prompt: <negative prompt>
    Steps: 28, Sampler: Euler a, Schedule type: Automatic, CFG scale: 7, Seed: 7, Size: 832x1216, ...

Values holding `,`, `:` or a newline are JSON-quoted, as the web UI's `infotext_utils.quote` does.
One parser serves PNG metadata (kb/generate/pngmeta.py), the explorer's paste and the prompt
commands reading a pasted infotext.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

NEGATIVE_PREFIX = "Negative prompt:"
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


def pasted_prompt(text: str) -> tuple[str, Infotext | None]:
    """The prompt part of pasted text: the text itself when it is a plain prompt, else (an infotext:
    a `Negative prompt:` line or a settings line) its prompt, with the parsed infotext.

    A settings line is one with a `Steps` field, which the web UI always writes: a one-line prompt
    such as `(best quality:1.3), (by chi4:0.8), (smile:1.2)` has three `key: value` pairs too."""
    infotext = parse_infotext(text)
    if infotext.get("Steps") is None and not _has_negative_line(text):
        return text, None
    return infotext.prompt, infotext


def _has_negative_line(text: str) -> bool:
    return any(line.strip().startswith(NEGATIVE_PREFIX) for line in text.split("\n"))
