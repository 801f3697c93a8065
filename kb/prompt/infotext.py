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
from dataclasses import dataclass

NEGATIVE_PREFIX = "Negative prompt:"
# The web UI's `re_param_code` (modules/infotext_utils.py) is
#     \s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)
# Searched through a line, it rescans a run of blanks or words from each of its positions (quadratic:
# 16,000 spaces took 10 s), so `settings_pairs` finds the same pairs in one pass.
_KEY_CHARACTERS = frozenset(" -/")


@dataclass(frozen=True)
class Infotext:
    """A parsed `parameters` text: prompt, negative prompt and the settings line as ordered pairs."""

    prompt: str
    negative_prompt: str
    settings: tuple[tuple[str, str], ...]

    def get(self, key: str) -> str | None:
        return dict(self.settings).get(key)

    # The fields the web UI writes that this project reads back (generation, `aidxl prompt import`).

    @property
    def schedule_type(self) -> str | None:
        """`Schedule type` (web UI 1.9+ writes the sampler's schedule apart: `DPM++ 2M` + `Karras`)."""
        return self.get("Schedule type")

    @property
    def emphasis(self) -> str | None:
        """`Emphasis` as the web UI names the mode (`Original`, `No norm`, ...); absent means Original."""
        return self.get("Emphasis")

    @property
    def rng(self) -> str | None:
        """`RNG`: where the noise came from (`CPU`, `NV`); absent means the web UI's GPU noise."""
        return self.get("RNG")

    @property
    def pad_conds(self) -> bool:
        """`Pad conds: True`: cond and uncond were padded to one length with empty-prompt chunks."""
        return (self.get("Pad conds") or "").strip().lower() == "true"

    @property
    def lora_hashes(self) -> tuple[tuple[str, str], ...]:
        """`Lora hashes: "name: hash, name: hash"` as (name, hash) pairs (the web UI's reading:
        items split at `,`, each at its first `:`; items without one are skipped)."""
        value = self.get("Lora hashes") or ""
        pairs = []
        for item in value.split(","):
            name, colon, short_hash = item.partition(":")
            if colon and name.strip() and short_hash.strip():
                pairs.append((name.strip(), short_hash.strip()))
        return tuple(pairs)


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
    """The web UI's infotext for one image. A field with an empty value is left out, as the web UI
    leaves out a None one: its parser reads `Key: ,` as an error (`parse_generation_parameters`
    looks at the value's first character) and drops the field."""
    settings_line = ", ".join(f"{key}: {quote_value(value)}" for key, value in settings if value != "")
    negative_line = f"\n{NEGATIVE_PREFIX} {negative_prompt}" if negative_prompt else ""
    return f"{prompt}{negative_line}\n{settings_line}"


# Keys the web UI writes on every settings line; a last line without any of them is prompt text.
GENERATION_KEYS = frozenset({"Steps", "Sampler", "CFG scale", "Seed", "Size"})


def parse_infotext(text: str, *, generation_keys_required: bool = False) -> Infotext:
    """Parse infotext as the web UI's `parse_generation_parameters` does. With
    `generation_keys_required`, a last line is a settings line only when it names one of
    `GENERATION_KEYS`: the web UI reads a one-line prompt of three `(tag:w)` as settings."""
    lines = text.strip().split("\n")
    settings_line = lines[-1]
    found = settings_pairs(settings_line)
    if len(found) < 3 or (
        generation_keys_required and not any(key.strip() in GENERATION_KEYS for key, _ in found)
    ):
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
        (key.strip(), unquote_value(value.strip())) for key, value in settings_pairs(settings_line)
    )
    return Infotext("\n".join(prompt_lines), "\n".join(negative_lines), settings)


def settings_pairs(line: str) -> list[tuple[str, str]]:
    """`re.findall` of the web UI's `re_param_code` on `line` (see above), in time linear in the line.

    A key is a word character and one or more of word characters, ` `, `-`, `/`, up to a `:`; since
    `:` is not one of them, only the colon ending the run after the key's first character can end
    it. A value is a JSON-quoted string when one follows the blanks and is followed by `,` or the
    end, else everything up to the next `,`."""
    length = len(line)
    # key_run_end[i]: where the run of key characters starting at i ends.
    key_run_end = [length] * (length + 1)
    for position in range(length - 1, -1, -1):
        character = line[position]
        is_key_character = character.isalnum() or character == "_" or character in _KEY_CHARACTERS
        key_run_end[position] = key_run_end[position + 1] if is_key_character else position
    closing_quote = _closing_quotes(line) if '"' in line else None
    pairs: list[tuple[str, str]] = []
    position = 0
    while position < length:  # where the web UI's search tries next
        key_start = position
        while key_start < length and line[key_start].isspace():
            key_start += 1
        key_end = key_run_end[key_start + 1] if key_start < length else length
        word_first = key_start < length and (line[key_start].isalnum() or line[key_start] == "_")
        if not (word_first and key_end >= key_start + 2 and key_end < length and line[key_end] == ":"):
            # A miss; a search from anywhere in the blanks before key_start reaches the same miss.
            position = key_start if key_start > position else position + 1
            continue
        value_start = key_end + 1
        while value_start < length and line[value_start].isspace():
            value_start += 1
        value_end, match_end = -1, -1
        if closing_quote is not None and line[value_start : value_start + 1] == '"':
            close = closing_quote[value_start + 1]
            if close > value_start + 1:  # at least one character quoted
                if close + 1 == length or (close + 2 == length and line[close + 1] == "\n"):
                    value_end, match_end = close + 1, close + 1
                elif line[close + 1] == ",":
                    value_end, match_end = close + 1, close + 2
        if value_end == -1:
            comma = line.find(",", value_start)
            value_end, match_end = (length, length) if comma == -1 else (comma, comma + 1)
        pairs.append((line[key_start:key_end], line[value_start:value_end]))
        position = match_end
    return pairs


def _closing_quotes(line: str) -> list[int]:
    """For each position i: where `(?:\\.|[^\\"])*"` from i finds its closing quote, -1 when it finds none
    (a backslash before a line end, or the end of the line)."""
    length = len(line)
    closing = [-1] * (length + 2)
    for position in range(length - 1, -1, -1):
        character = line[position]
        if character == '"':
            closing[position] = position
        elif character == "\\":
            if position + 1 < length and line[position + 1] != "\n":
                closing[position] = closing[position + 2]
        else:
            closing[position] = closing[position + 1]
    return closing


def pasted_prompt(text: str) -> tuple[str, Infotext | None]:
    """The prompt part of pasted text: the text itself when it is a plain prompt, else (an infotext:
    a `Negative prompt:` line or a settings line) its prompt, with the parsed infotext."""
    infotext = parse_infotext(text, generation_keys_required=True)
    if not infotext.negative_prompt and not infotext.settings and not _has_negative_line(text):
        return text, None
    return infotext.prompt, infotext


def _has_negative_line(text: str) -> bool:
    return any(line.strip().startswith(NEGATIVE_PREFIX) for line in text.split("\n"))
