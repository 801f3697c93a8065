"""Control characters in source text: C0 (U+0000-U+001F), DEL and C1 (U+0080-U+009F).

No name, alias or trigger may hold one: a NUL, ESC or BEL in a catalog name would reach every
terminal that prints it (`aidxl search` would emit a raw escape sequence). A line-based file with
one is bad on that line (`ingest.textfile`); a JSON string with one is bad where a name is read.
Tab, line feed and carriage return are left to the formats' own whitespace rules.
"""

from __future__ import annotations

import re

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SHORT_NAMES = {0x00: "NUL", 0x07: "BEL", 0x08: "BS", 0x1B: "ESC", 0x7F: "DEL"}


def has_no_control_character(text: str) -> bool:
    return _CONTROL.search(text) is None


def describe_control(character: str) -> str:
    """`U+001B (ESC)`, `U+0085`."""
    code = ord(character)
    short = _SHORT_NAMES.get(code)
    return f"U+{code:04X}" + (f" ({short})" if short else "")


def first_control_character(text: str) -> tuple[int, str] | None:
    """(0-based position, character) of the first control character in `text`, or None."""
    found = _CONTROL.search(text)
    return None if found is None else (found.start(), found.group())


def control_character_problem(text: str, what: str = "name") -> str | None:
    """`name 'a\\x1b[31m' contains the control character U+001B (ESC)`, or None without one."""
    found = first_control_character(text)
    if found is None:
        return None
    return f"{what} {text!r} contains the control character {describe_control(found[1])}"
