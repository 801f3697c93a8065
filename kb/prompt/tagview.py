"""A prompt seen as tags: each comma-separated tag with its effective weight, span and catalog match.

Splitting follows what the web UI reads, not the raw characters: the attention parser decides
which characters are text (escapes become their literal character, brackets and `:w` weights
are syntax) and the weight of each character. Tags are the runs of read text between commas
and `BREAK`s, so `(a, b:1.2)` gives two tags of weight 1.2 and `bishop \\(chess\\)` one tag.

Spans: `start`/`end` cover the tag as written, from its first to its last read character, plus
the closing brackets it needs to balance an unescaped bracket inside it (`ganyu (genshin
impact)` keeps its `)`); `outer_start`/`outer_end` also cover the bracket and weight syntax
right around it (`(long hair:1.2)`). `weight` is the weight of the tag's first character;
`weights` lists every distinct weight inside it (more than one means the web UI reads parts of
the tag differently, e.g. an unescaped qualifier).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from kb.knowledge.author_tables import EMPTY_AUTHOR_TABLES, AuthorTables, shared_author_tables
from kb.knowledge.tagforms import to_canonical
from kb.prompt.attention import BREAK_TEXT, AttentionPiece, attention_pieces, extra_network_matches

if TYPE_CHECKING:
    import duckdb


# The web UI's extra network call, `<(\w+):([^>]+)>`, as a whole tag.
_EXTRA_NETWORK = re.compile(r"<\w+:[^>]+>")


class MatchKind(StrEnum):
    EXACT = "exact"  # a catalog tag by its canonical name
    ALIAS = "alias"  # an alias of a catalog tag; `tag` is the canonical target
    TRIGGER = "trigger"  # a trigger (e.g. `by chi4`, `best quality`) that is not itself a tag name
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class TagMatch:
    kind: MatchKind
    tag: str | None = None  # canonical Danbooru tag (exact, alias, or the trigger's linked tag)
    category: int | None = None  # the tag's Danbooru category
    trigger: str | None = None  # trigger text, when the tag is also a known trigger
    trigger_kind: str | None = None  # TriggerKind value of that trigger
    verified: bool | None = None  # the trigger is known to be AIDXL's own

    @property
    def target(self) -> str | None:
        """What the tag resolves to: the canonical tag, else the trigger text."""
        return self.tag if self.tag is not None else self.trigger


UNKNOWN_MATCH = TagMatch(MatchKind.UNKNOWN)


class TagMatcher(Protocol):
    """Resolves canonical keys (see `kb.knowledge.tagforms.to_canonical`) against a catalog."""

    def match_all(self, keys: Sequence[str]) -> list[TagMatch]: ...


class NoCatalogMatcher:
    """Every tag unknown: the tag view without a catalog."""

    def match_all(self, keys: Sequence[str]) -> list[TagMatch]:
        return [UNKNOWN_MATCH for _ in keys]


class DictMatcher:
    """A matcher over plain dictionaries (tests, or data loaded once by a caller)."""

    def __init__(
        self,
        tags: dict[str, int],
        aliases: dict[str, str] | None = None,
        triggers: dict[str, tuple[str, str | None, bool]] | None = None,
        author_tables: AuthorTables | None = None,
    ) -> None:
        self.tags = tags  # canonical name -> category
        self.aliases = aliases or {}  # alias -> canonical name
        self.triggers = triggers or {}  # trigger text -> (kind, linked tag or None, verified)
        self._author_tables = author_tables or EMPTY_AUTHOR_TABLES

    def author_tables(self) -> AuthorTables:
        """The author's caption order and implications given to it (empty by default)."""
        return self._author_tables

    def match_all(self, keys: Sequence[str]) -> list[TagMatch]:
        return [self._match(key) for key in keys]

    def _match(self, key: str) -> TagMatch:
        trigger_text = key.replace("_", " ")
        trigger = self.triggers.get(trigger_text)
        tag: str | None
        if key in self.tags:
            kind, tag = MatchKind.EXACT, key
        elif key in self.aliases:
            kind, tag = MatchKind.ALIAS, self.aliases[key]
        elif trigger is not None:
            kind, tag = MatchKind.TRIGGER, trigger[1]
        else:
            return UNKNOWN_MATCH
        if trigger is None:
            return TagMatch(kind, tag, self.tags.get(tag) if tag else None)
        return TagMatch(kind, tag, self.tags.get(tag) if tag else None, trigger_text, trigger[0], trigger[2])


class CatalogMatcher:
    """A matcher reading the catalog, one batch of queries per call, answers cached."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self.connection = connection
        self._cache: dict[str, TagMatch] = {}

    def author_tables(self) -> AuthorTables:
        """Caption order and implications (`kb.knowledge.author_tables`), loaded once a process."""
        return shared_author_tables(self.connection)

    def match_all(self, keys: Sequence[str]) -> list[TagMatch]:
        missing = sorted({key for key in keys if key not in self._cache})
        if missing:
            self._cache.update(self._lookup(missing))
        return [self._cache[key] for key in keys]

    def _lookup(self, keys: list[str]) -> dict[str, TagMatch]:
        exact = dict(
            self.connection.execute(
                "SELECT name, category FROM tags WHERE name IN (SELECT unnest($keys))", {"keys": keys}
            ).fetchall()
        )
        alias_rows = self.connection.execute(
            """
            SELECT a.alias, t.name, t.category FROM aliases a JOIN tags t USING (tag_id)
            WHERE a.alias IN (SELECT unnest($keys)) ORDER BY t.count DESC
            """,
            {"keys": keys},
        ).fetchall()
        aliases: dict[str, tuple[str, int]] = {}
        for alias, alias_target, alias_category in alias_rows:
            aliases.setdefault(alias, (alias_target, alias_category))
        # Trigger texts are compared with underscores read as spaces, like the keys' plain form.
        trigger_rows = self.connection.execute(
            """
            SELECT replace(lower(tr.text), '_', ' ') AS plain,
                   tr.text, tr.kind, tr.verified, t.name, t.category
            FROM triggers tr LEFT JOIN tags t USING (tag_id)
            WHERE replace(lower(tr.text), '_', ' ') IN (SELECT unnest($plains))
            ORDER BY tr.verified DESC, tr.kind = 'general', tr.trigger_id
            """,
            {"plains": [key.replace("_", " ") for key in keys]},
        ).fetchall()
        triggers: dict[str, tuple[str, str, bool, str | None, int | None]] = {}
        for plain, text, trigger_kind, verified, linked_tag, linked_category in trigger_rows:
            triggers.setdefault(plain, (text, trigger_kind, verified, linked_tag, linked_category))
        matches: dict[str, TagMatch] = {}
        for key in keys:
            trigger = triggers.get(key.replace("_", " "))
            tag: str | None
            category: int | None
            if key in exact:
                kind, tag, category = MatchKind.EXACT, key, exact[key]
            elif key in aliases:
                kind, (tag, category) = MatchKind.ALIAS, aliases[key]
            elif trigger is not None:
                kind, tag, category = MatchKind.TRIGGER, trigger[3], trigger[4]
            else:
                matches[key] = UNKNOWN_MATCH
                continue
            if trigger is None:
                matches[key] = TagMatch(kind, tag, category)
            else:
                matches[key] = TagMatch(kind, tag, category, trigger[0], trigger[1], trigger[2])
        return matches


@dataclass(frozen=True)
class PromptTag:
    """One tag of a prompt as the web UI reads it."""

    text: str  # as written: `bishop \(chess\)`, `ganyu (genshin impact)`
    read_text: str  # what the web UI reads: `bishop (chess)`, `ganyu genshin impact`
    canonical: str  # lookup key: `bishop_(chess)`
    weight: float  # effective weight of its first character
    weights: tuple[float, ...]  # every distinct weight inside the tag, in order
    start: int
    end: int
    outer_start: int
    outer_end: int
    match: TagMatch

    @property
    def mixed_weight(self) -> bool:
        return len(self.weights) > 1

    @property
    def is_extra_network(self) -> bool:
        """`<lora:x:0.8>` and the like: the web UI takes it out of the prompt (see `split_tags`)."""
        return _EXTRA_NETWORK.fullmatch(self.text) is not None


@dataclass
class _ReadCharacter:
    character: str
    weight: float
    start: int  # source span of the character (2 long for an escape)
    end: int


def split_tags(prompt: str, matcher: TagMatcher | None = None) -> list[PromptTag]:
    """Split a prompt into tags with weights, spans and catalog matches (never raises).

    An extra network (`<lora:x:0.8>`) is a tag of its own, apart from the text around it even
    without a comma: the web UI takes every `<name:args>` out of the prompt before it reads the
    rest, so `<lora:x:0.8> 1girl` reads as `1girl` (`PromptTag.is_extra_network`)."""
    networks = [(match.start, match.end) for match in extra_network_matches(prompt)]
    runs = _tag_runs(attention_pieces(prompt, strict=False), networks)
    read_in_source = _read_mask(prompt, runs)
    drafts = [_draft_tag(prompt, run, read_in_source) for run in runs]
    keys = [draft[2] for draft in drafts]
    matches = (matcher or NoCatalogMatcher()).match_all(keys)
    return [PromptTag(*draft, match=match) for draft, match in zip(drafts, matches, strict=True)]


def _tag_runs(
    pieces: list[AttentionPiece], networks: Sequence[tuple[int, int]] = ()
) -> list[list[_ReadCharacter]]:
    """Runs of read characters between commas and BREAKs, blanks trimmed, empty runs dropped;
    each extra network (`networks`: source spans, in order) is a run of its own."""
    runs: list[list[_ReadCharacter]] = [[]]
    next_network = 0  # the first network not wholly before the current character
    in_network = False
    for piece in pieces:
        if piece.text == BREAK_TEXT and piece.weight < 0:
            runs.append([])
            continue
        escaped = piece.end - piece.start != len(piece.text)
        for offset, character in enumerate(piece.text):
            start = piece.start if escaped else piece.start + offset
            end = piece.end if escaped else start + 1
            while next_network < len(networks) and networks[next_network][1] <= start:
                next_network += 1
            inside = next_network < len(networks) and networks[next_network][0] <= start
            if inside != in_network or (inside and start == networks[next_network][0]):
                runs.append([])  # a network starts or ends here: a run of its own
                in_network = inside
            if character == "," and not inside:
                runs.append([])
                continue
            runs[-1].append(_ReadCharacter(character, piece.weight, start, end))
    trimmed = []
    for run in runs:
        first = 0  # index, not pop(0): each pop(0) moved the whole run
        while first < len(run) and run[first].character.isspace():
            first += 1
        last = len(run)
        while last > first and run[last - 1].character.isspace():
            last -= 1
        if last > first:
            trimmed.append(run[first:last])
    return trimmed


def _read_mask(prompt: str, runs: list[list[_ReadCharacter]]) -> list[bool]:
    """For each source position: does it hold a character the web UI reads as text?"""
    mask = [False] * (len(prompt) + 1)
    for run in runs:
        for read in run:
            for position in range(read.start, read.end):
                mask[position] = True
    return mask


def _draft_tag(
    prompt: str, run: list[_ReadCharacter], read_in_source: list[bool]
) -> tuple[str, str, str, float, tuple[float, ...], int, int, int, int]:
    start, end = run[0].start, run[-1].end
    # Take back the closing brackets an unescaped bracket inside the tag needs (`name (series)`).
    written = prompt[start:end]
    for opener, closer in (("(", ")"), ("[", "]")):
        missing = _unescaped_count(written, opener) - _unescaped_count(written, closer)
        while missing > 0 and end < len(prompt) and prompt[end] == closer and not read_in_source[end]:
            end += 1
            missing -= 1
        written = prompt[start:end]  # once, not per bracket: a run of closers would be quadratic
    outer_start, outer_end = start, end
    while outer_start > 0 and prompt[outer_start - 1] in "([" and not read_in_source[outer_start - 1]:
        outer_start -= 1
    while outer_end < len(prompt) and not read_in_source[outer_end] and prompt[outer_end] not in ",\\":
        if prompt[outer_end].isspace() or prompt[outer_end] in "([":
            break
        outer_end += 1
    weights = dict.fromkeys(read.weight for read in run)  # distinct, in order (a list scan is quadratic)
    read_text = "".join(read.character for read in run)
    return (
        written,
        read_text,
        to_canonical(written),
        run[0].weight,
        tuple(weights),
        start,
        end,
        outer_start,
        outer_end,
    )


def _unescaped_count(text: str, character: str) -> int:
    count = 0
    position = 0
    while position < len(text):
        if text[position] == "\\":
            position += 2
            continue
        if text[position] == character:
            count += 1
        position += 1
    return count
