"""Text forms the search index compares: every string and every query goes through the same steps.

`normalize` turns any pasted or typed form into lower-case plain text (`Lucy \\(Cyberpunk\\)`,
`lucy_(cyberpunk)` → `lucy (cyberpunk)`); emoticon faces keep their underscores (`^_^`).
`loosen` then drops brackets and hyphens so that `lucy cyberpunk` and `flat pasto` match
`lucy (cyberpunk)` and `flat-pasto`; faces made of symbols are left alone (`:(` is not `:`).
"""

from __future__ import annotations

import re

from kb.knowledge.tagforms import EMOTICON_TAGS, keeps_underscores, unescape_a1111

_WHITESPACE_RUN = re.compile(r"\s+")
_LOOSE_DROPPED = re.compile(r"[()\[\]{}\\]")
_LOOSE_SPACED = re.compile(r"[-_]")
_LOOSE_ANY = re.compile(r"[()\[\]{}\\_-]")
# A word starts at the beginning or right after a character that is neither a letter nor a digit.
_WORD_START = re.compile(r"(?:^|(?<=[^0-9a-z]))(?=[0-9a-z])|^")


def normalize(text: str) -> str:
    """Any form of a tag or trigger → lower-case unescaped text with single spaces."""
    plain = (unescape_a1111(text) if "\\" in text else text).strip().lower()
    if "_" in plain and not keeps_underscores(plain.replace(" ", "_")):
        plain = plain.replace("_", " ")
    # Most catalog strings are clean already; the regex runs only when it has work to do.
    if "  " in plain or "\t" in plain or "\n" in plain:
        plain = _WHITESPACE_RUN.sub(" ", plain)
    return plain.strip()


def loosen(normal: str) -> str:
    """A normalized string without brackets or hyphens; symbol faces stay as they are."""
    if _LOOSE_ANY.search(normal) is None:
        return normal
    if keeps_underscores(normal) or sum(character.isalnum() for character in normal) < 2:
        return normal
    spaced = _LOOSE_SPACED.sub(" ", _LOOSE_DROPPED.sub(" ", normal))
    loose = _WHITESPACE_RUN.sub(" ", spaced).strip()
    return loose or normal


# Most catalog strings: lower-case ASCII words joined by single spaces or underscores. Their
# normal form only turns `_` into spaces (unless the whole is an emoticon face, `o_o`), and it is
# its own loose form.
_SIMPLE_NAME = re.compile(r"[a-z0-9]+(?:[ _][a-z0-9]+)*")
# The same words followed by a qualifier in brackets (`ganyu_(genshin_impact)`): the loose form
# drops the brackets (`ganyu genshin impact`).
_QUALIFIED_NAME = re.compile(r"[a-z0-9]+(?:[ _][a-z0-9]+)*[ _]\([a-z0-9]+(?:[ _][a-z0-9]+)*\)")


def searchable_forms(texts: list[str]) -> tuple[list[str], list[str]]:
    """`normalize` and `loosen` of many strings: the same forms, a fast path for the common shape."""
    simple = _SIMPLE_NAME.fullmatch
    qualified = _QUALIFIED_NAME.fullmatch
    normals: list[str] = []
    looses: list[str] = []
    for text in texts:
        if simple(text) is not None and not ("_" in text and text.replace(" ", "_") in EMOTICON_TAGS):
            normal = text.replace("_", " ")
            normals.append(normal)
            looses.append(normal)
        elif qualified(text) is not None:
            normal = text.replace("_", " ")
            normals.append(normal)
            looses.append(normal.replace(" (", " ")[:-1])
        else:
            normal = normalize(text)
            normals.append(normal)
            looses.append(loosen(normal))
    return normals, looses


_PLAIN_WORDS = re.compile(r"[a-z0-9 ]*")


def word_starts(loose: str) -> list[int]:
    """Offsets where a word starts (always 0): the places a word-start match may begin."""
    if _PLAIN_WORDS.fullmatch(loose) is not None:
        # Fast path for the common case: words of letters and digits separated by spaces.
        starts = [0]
        for word in loose.split(" ")[:-1]:
            starts.append(starts[-1] + len(word) + 1)
        return starts
    starts = sorted({match.start() for match in _WORD_START.finditer(loose)} | {0})
    return [start for start in starts if start < len(loose) or start == 0]


def words(loose: str) -> list[str]:
    return loose.split(" ")
