"""Tag forms: a canonical Danbooru tag name and the text a user writes into a prompt.

Canonical names use underscores and lower case (`long_hair`, `bishop_(chess)`). In a prompt the
underscores become spaces, except in emoticon tags where the underscore is part of the face
(`^_^`, `>_<`), and the A1111/ComfyUI dialect needs `(`, `)`, `[`, `]` and `\\` escaped with a
backslash, otherwise the web UI reads them as attention brackets (`bishop (chess)` would be
`bishop ` plus `chess` weighted 1.1). Escaping also makes bracket emoticons (`:(`, `;)`, `(:3)`)
come out literally.
"""

from __future__ import annotations

import re

# Emoticon tags whose underscore is part of the face (GUIDE §2). Tags made only of symbols
# (no letter or digit, e.g. `;_;`) are treated the same way, see `keeps_underscores`.
EMOTICON_TAGS: frozenset[str] = frozenset(
    {
        "^_^",
        ">_<",
        "o_o",
        "0_0",
        "+_+",
        "=_=",
        "@_@",
        "u_u",
        "x_x",
        "3_3",
        "6_9",
        "|_|",
        "||_||",
        "._.",
        "+_-",
        ">_o",
        "<o>_<o>",
        "<|>_<|>",
        "(o)_(o)",
    }
)

# Characters the A1111 attention parser gives a meaning (`\()[]`); a backslash makes them literal.
_ESCAPE_PATTERN = re.compile(r"([\\()\[\]])")
_UNESCAPE_PATTERN = re.compile(r"\\([\\()\[\]])")
_WHITESPACE_RUN = re.compile(r"\s+")


def keeps_underscores(name: str) -> bool:
    """True for emoticon tags whose underscores must stay underscores in a prompt."""
    lowered = name.lower()
    if lowered in EMOTICON_TAGS:
        return True
    # A face made only of symbols (`;_;`, `>_<`) has no word to separate.
    return "_" in lowered and not any(character.isalnum() for character in lowered)


def escape_a1111(text: str) -> str:
    """Backslash-escape the characters the A1111 attention parser would interpret."""
    return _ESCAPE_PATTERN.sub(r"\\\1", text)


def unescape_a1111(text: str) -> str:
    """Undo `escape_a1111`; other backslashes stay (a pasted `\\m/` is the tag `\\m/`)."""
    return _UNESCAPE_PATTERN.sub(r"\1", text)


def to_plain_form(name: str) -> str:
    """Canonical name → unescaped prompt text: `bishop_(chess)` → `bishop (chess)`."""
    if keeps_underscores(name):
        return name
    return name.replace("_", " ")


def to_prompt_form(name: str) -> str:
    """Canonical name → A1111 prompt text: `bishop_(chess)` → `bishop \\(chess\\)`, `^_^` stays."""
    return escape_a1111(to_plain_form(name))


def to_canonical(text: str) -> str:
    """Any pasted form of a tag → its canonical lookup key.

    Escaped or not, underscores or spaces, any case, surrounding blanks:
    `Lucy \\(Cyberpunk\\)`, `lucy (cyberpunk)` and `lucy_(cyberpunk)` all give `lucy_(cyberpunk)`.
    Runs of blanks count as one underscore. Emoticons keep their faces (`^_^`, `:(`).
    """
    unescaped = unescape_a1111(text.strip())
    collapsed = _WHITESPACE_RUN.sub(" ", unescaped).strip().lower()
    return collapsed.replace(" ", "_")
