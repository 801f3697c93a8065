"""Search filters: which kinds of entry a user asked for, by the names they type."""

from __future__ import annotations

from collections.abc import Iterable

from kb.errors import SearchError
from kb.schema import TriggerKind

# Names accepted by `--kind` beside the TriggerKind values themselves.
KIND_SYNONYMS: dict[str, TriggerKind] = {
    "style": TriggerKind.ARTIST_STYLE,
    "artist": TriggerKind.ARTIST_STYLE,
    "painting": TriggerKind.PAINTING_STYLE,
    "painting-style": TriggerKind.PAINTING_STYLE,
    "painting style": TriggerKind.PAINTING_STYLE,
    "artist-style": TriggerKind.ARTIST_STYLE,
    "char": TriggerKind.CHARACTER,
    "series": TriggerKind.COPYRIGHT,
    "tag": TriggerKind.GENERAL,
}

# Stable small codes stored in the index for each kind; unknown kinds from a newer catalog get 0.
KIND_CODES: tuple[str, ...] = ("other", *(str(kind) for kind in TriggerKind))


def kind_code(kind: str) -> int:
    try:
        return KIND_CODES.index(kind)
    except ValueError:
        return 0


def parse_kind(name: str) -> TriggerKind:
    """`style`, `painting style`, `character`... → the TriggerKind; SearchError names the choices."""
    key = name.strip().lower()
    synonym = KIND_SYNONYMS.get(key)
    if synonym is not None:
        return synonym
    try:
        return TriggerKind(key.replace("-", "_").replace(" ", "_"))
    except ValueError:
        choices = ", ".join(sorted({*(str(kind) for kind in TriggerKind), *KIND_SYNONYMS}))
        raise SearchError(f"unknown kind {name!r}; choose one of: {choices}") from None


def parse_kinds(names: Iterable[str] | None) -> frozenset[TriggerKind] | None:
    """None (no filter) or the set of kinds; comma-separated names are accepted."""
    if names is None:
        return None
    kinds = {parse_kind(part) for name in names for part in name.split(",") if part.strip()}
    return frozenset(kinds) or None
