"""Text a command reads from its arguments, stdin or a file: always valid UTF-8, or one clear line.

Python hands undecodable bytes over as lone surrogates (`surrogateescape`, in `sys.argv` and, under
the C.UTF-8 locale, in `sys.stdin`); passed on, they end in tracebacks deep inside DuckDB or at
`print`. Every command that reads text goes through this module (files through `kb.utf8`), which
decodes strictly and names where the bad byte is: "stdin: not UTF-8 at byte 17 (0xc6)".
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from kb.errors import NotUtf8Error
from kb.prompt.infotext import Infotext, pasted_prompt
from kb.utf8 import decode_utf8

STDIN_NAME = "stdin"


def checked_argument(value: str, where: str) -> str:
    """A command-line value; one that carries undecodable bytes (as surrogates) raises NotUtf8Error."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        pass
    else:
        return value
    try:
        # The bytes the shell passed, as Python's file system encoding stood in for them.
        data = os.fsencode(value)
    except UnicodeEncodeError as error:  # a surrogate no byte stands for (a caller's own string)
        code_point = ord(value[error.start])
        raise NotUtf8Error(
            f"{where}: not text at character {error.start} (U+{code_point:04X}, a lone surrogate)"
        ) from None
    return decode_utf8(data, where)


def utf8_text(where: str) -> Callable[[str], str]:
    """An argparse `type=` for a free-text option or argument named `where` (e.g. "--blend").

    It raises NotUtf8Error, which argparse does not catch, so `aidxl` reports it in one line."""

    def check(value: str) -> str:
        return checked_argument(value, f"argument {where}")

    check.__name__ = "text"  # argparse names the type in its own messages
    return check


def read_stdin_text() -> str:
    """All of stdin, decoded strictly (whatever the locale), less the line end `echo` adds."""
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:  # stdin replaced by a text stream (an embedding program): check what it gave
        return _without_final_newline(checked_argument(sys.stdin.read(), STDIN_NAME))
    return _without_final_newline(decode_utf8(buffer.read(), STDIN_NAME))


def read_text_argument(value: str | None, where: str = "TEXT") -> str:
    """The argument's text, or stdin's when it is omitted or '-' (less one final newline)."""
    if value is None or value == "-":
        return read_stdin_text()
    return checked_argument(value, f"argument {where}")


def read_prompt_argument(value: str | None, where: str = "TEXT") -> tuple[str, Infotext | None]:
    """`read_text_argument`, and when the text is a pasted A1111 infotext (a `Negative prompt:` line,
    a settings line) its prompt alone, with the parsed infotext and a note on stderr."""
    text, infotext = pasted_prompt(read_text_argument(value, where))
    if infotext is not None:
        print(
            "aidxl: note: the text is an A1111 infotext: reading its prompt (negative prompt and "
            "settings left out)",
            file=sys.stderr,
        )
    return text, infotext


def _without_final_newline(text: str) -> str:
    if text.endswith("\r\n"):
        return text[:-2]
    return text[:-1] if text.endswith("\n") else text
