"""What the bridges export: AIDXL's triggers read from the catalog, best first.

An entry is one trigger as a user types it (`by yoneyama mai`, `frieren (sousou no frieren)`,
`impasto`, `best quality`), with its kind and tier, the post count of its Danbooru tag and the
names that also find it (the tag's own name where it differs, the tag's aliases). Characters come
in the form AIDXL was trained on (the author's caption form: the trigger text, `kb.schema`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import duckdb

from kb.errors import AidxlError
from kb.schema import TriggerKind, TriggerTier

# The kinds a bridge exports by default: what a generic Danbooru completer does not know.
DEFAULT_KINDS: tuple[TriggerKind, ...] = (
    TriggerKind.ARTIST_STYLE,
    TriggerKind.CHARACTER,
    TriggerKind.PAINTING_STYLE,
    TriggerKind.QUALITY,
    TriggerKind.AESTHETIC,
)
EXPORTABLE_KINDS: tuple[TriggerKind, ...] = (*DEFAULT_KINDS, TriggerKind.COPYRIGHT)

# `--tier`: the tiers each choice keeps, best first.
TIER_CHOICES: dict[str, tuple[TriggerTier, ...]] = {
    "verified": (TriggerTier.VERIFIED,),
    "author": (TriggerTier.VERIFIED, TriggerTier.AUTHOR),
    "all": (TriggerTier.VERIFIED, TriggerTier.AUTHOR, TriggerTier.DANBOORU),
}
TIER_ORDER: tuple[TriggerTier, ...] = TIER_CHOICES["all"]


class ExportOptionError(AidxlError):
    """An export option names something that does not exist (a kind, a tier)."""


@dataclass(frozen=True)
class ExportEntry:
    text: str  # unescaped prompt text: by yoneyama mai, frieren (sousou no frieren)
    kind: TriggerKind
    tier: TriggerTier
    count: int | None  # the linked tag's post count; None without a tag
    tag: str | None  # the linked tag's canonical name
    rank: int | None  # quality ladder position, 1 = best
    aliases: tuple[str, ...]  # other names that find it, canonical form (underscores), no commas


def parse_kinds(text: str) -> tuple[TriggerKind, ...]:
    """`--kinds artist_style,character` (or the short names `style`, `painting`) → kinds."""
    short_names = {"style": TriggerKind.ARTIST_STYLE, "painting": TriggerKind.PAINTING_STYLE}
    kinds: list[TriggerKind] = []
    for word in (part.strip() for part in text.split(",")):
        if not word:
            continue
        kind = short_names.get(word)
        if kind is None:
            try:
                kind = TriggerKind(word)
            except ValueError:
                kind = None
        if kind is None or kind not in EXPORTABLE_KINDS:
            names = ", ".join(str(k) for k in EXPORTABLE_KINDS)
            raise ExportOptionError(f"--kinds: unknown kind {word!r}; exportable kinds: {names}")
        if kind not in kinds:
            kinds.append(kind)
    if not kinds:
        raise ExportOptionError("--kinds: name at least one kind")
    return tuple(kinds)


def tiers_of(choice: str) -> tuple[TriggerTier, ...]:
    try:
        return TIER_CHOICES[choice]
    except KeyError:
        raise ExportOptionError(
            f"--tier: unknown tier {choice!r}; choose one of {', '.join(TIER_CHOICES)}"
        ) from None


_ENTRIES_QUERY = """
    SELECT t.text, t.kind, t.tier, tg.count, tg.name, t.rank, t.tag_id
    FROM triggers t LEFT JOIN tags tg USING (tag_id)
    WHERE list_contains($kinds, t.kind) AND list_contains($tiers, t.tier)
"""
_ALIASES_QUERY = """
    SELECT a.tag_id, a.alias FROM aliases a
    WHERE a.tag_id IN (SELECT tag_id FROM triggers
                       WHERE list_contains($kinds, kind) AND list_contains($tiers, tier))
"""


def export_entries(
    connection: duckdb.DuckDBPyConnection,
    *,
    kinds: Sequence[TriggerKind] = DEFAULT_KINDS,
    tiers: Sequence[TriggerTier] = TIER_CHOICES["author"],
) -> list[ExportEntry]:
    """Triggers of `kinds` and `tiers`, one per text, in a fixed order: best tier first, then the
    quality ladder, then most posted, then by text (a completer lists an extra file in file order)."""
    parameters = {"kinds": [str(kind) for kind in kinds], "tiers": [str(tier) for tier in tiers]}
    aliases_of: dict[int, list[str]] = {}
    for tag_id, alias in connection.execute(_ALIASES_QUERY, parameters).fetchall():
        aliases_of.setdefault(int(tag_id), []).append(str(alias))
    entries = [
        ExportEntry(
            text=str(text),
            kind=TriggerKind(kind),
            tier=TriggerTier(tier),
            count=int(count) if count is not None else None,
            tag=str(tag) if tag is not None else None,
            rank=int(rank) if rank is not None else None,
            aliases=_other_names(
                str(text), tag, aliases_of.get(int(tag_id), []) if tag_id is not None else []
            ),
        )
        for text, kind, tier, count, tag, rank, tag_id in connection.execute(
            _ENTRIES_QUERY, parameters
        ).fetchall()
    ]
    entries.sort(key=_export_order)
    return list(_first_of_each_text(entries))


def _export_order(entry: ExportEntry) -> tuple[int, int, int, int, str, str]:
    return (
        TIER_ORDER.index(entry.tier),
        entry.rank if entry.rank is not None else 0,
        -(entry.count if entry.count is not None else -1),
        EXPORTABLE_KINDS.index(entry.kind),
        entry.text,
        entry.tag or "",
    )


def _first_of_each_text(entries: Iterable[ExportEntry]) -> Iterable[ExportEntry]:
    seen: set[str] = set()
    for entry in entries:
        if entry.text not in seen:
            seen.add(entry.text)
            yield entry


def _other_names(text: str, tag: str | None, aliases: list[str]) -> tuple[str, ...]:
    """The tag's name when the trigger reads differently (`ask_(askzy)` for `by ask`), then the
    tag's aliases, sorted; never one with a comma (the completers split alias lists on commas),
    nor one that only spells the trigger with underscores."""
    names: list[str] = []
    if tag is not None and tag.replace("_", " ") != text:
        names.append(tag)
    if aliases:
        names += sorted(alias for alias in aliases if alias not in names and alias.replace("_", " ") != text)
    return tuple(name for name in names if "," not in name and name.strip())
