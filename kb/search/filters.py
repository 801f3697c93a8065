"""Search filters: which kinds and tiers of entry a user asked for, by the names they type."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from kb.errors import SearchError
from kb.recognition import UNMEASURED, VERDICTS
from kb.schema import TriggerKind, TriggerTier
from kb.search.hits import SearchHit

if TYPE_CHECKING:
    from kb.recognition import Recognition
    from kb.search.index import SearchIndex

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


def parse_tier(name: str) -> TriggerTier:
    """`verified`, `author` or `danbooru` (any case) → the TriggerTier; SearchError names the choices."""
    try:
        return TriggerTier(name.strip().lower())
    except ValueError:
        choices = ", ".join(str(tier) for tier in TriggerTier)
        raise SearchError(f"unknown tier {name!r}; choose one of: {choices}") from None


def parse_tiers(names: Iterable[str] | None) -> frozenset[TriggerTier] | None:
    """None (no filter) or the set of tiers; comma-separated names are accepted."""
    if names is None:
        return None
    tiers = {parse_tier(part) for name in names for part in name.split(",") if part.strip()}
    return frozenset(tiers) or None


# Recognition verdicts (kb.recognition) a search can be narrowed to, `unmeasured` for none stored.
VERDICT_CHOICES: tuple[str, ...] = (*VERDICTS, UNMEASURED)
# The verdict filter looks at most at this many best hits of the query (the index knows no verdicts).
VERDICT_SCAN_LIMIT = 20_000


def parse_verdicts(names: Iterable[str] | None) -> frozenset[str] | None:
    """None (no filter) or the set of verdicts (`yes`, `unsure`, `no`, `unmeasured`); comma-separated ok."""
    if names is None:
        return None
    verdicts = {part.strip().lower() for name in names for part in name.split(",") if part.strip()}
    unknown = sorted(verdicts - set(VERDICT_CHOICES))
    if unknown:
        raise SearchError(f"unknown verdict {unknown[0]!r}; choose one of: {', '.join(VERDICT_CHOICES)}")
    return frozenset(verdicts) or None


def verdict_of(hit: SearchHit, verdicts: Mapping[str, Recognition]) -> str:
    """The hit's stored verdict (keyed by the unescaped trigger text), else `unmeasured`."""
    record = verdicts.get(hit.text)
    return record.verdict if record is not None else UNMEASURED


def search_by_verdict(
    index: SearchIndex,
    query: str,
    verdicts: Mapping[str, Recognition],
    wanted: frozenset[str],
    *,
    limit: int = 20,
    kinds: Iterable[str] | None = None,
    min_count: int = 0,
    verified_only: bool = False,
    tiers: Iterable[str] | None = None,
) -> list[SearchHit]:
    """`index.search` keeping only hits whose verdict (from `verdicts`, e.g. `read_verdicts()`) is
    wanted; widens the search until `limit` are kept or the best VERDICT_SCAN_LIMIT hits are seen."""
    return search_kept(
        index,
        query,
        lambda hit: verdict_of(hit, verdicts) in wanted,
        limit=limit,
        kinds=kinds,
        min_count=min_count,
        verified_only=verified_only,
        tiers=tiers,
    )


def search_kept(
    index: SearchIndex,
    query: str,
    keep: Callable[[SearchHit], bool],
    *,
    limit: int = 20,
    kinds: Iterable[str] | None = None,
    min_count: int = 0,
    verified_only: bool = False,
    tiers: Iterable[str] | None = None,
    scan_limit: int = VERDICT_SCAN_LIMIT,
) -> list[SearchHit]:
    """`index.search` keeping only the hits `keep` accepts (a filter the index does not know, such as
    a recognition verdict or a copyright's characters), best first; widens the search until `limit`
    are kept or the best `scan_limit` hits are seen."""
    kind_list = list(kinds) if kinds is not None else None
    tier_list = list(tiers) if tiers is not None else None
    fetch = max(limit, 1)
    while True:
        hits = index.search(
            query,
            limit=fetch,
            kinds=kind_list,
            min_count=min_count,
            verified_only=verified_only,
            tiers=tier_list,
        )
        kept = [hit for hit in hits if keep(hit)]
        if len(kept) >= limit or len(hits) < fetch or fetch >= scan_limit:
            return kept[: max(limit, 0)]
        fetch = min(fetch * 8, scan_limit)
