"""What a search returns: typed hits that say what to paste and how the query matched."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class MatchReason(StrEnum):
    """How the query matched, best first; the ranking tier of a hit."""

    EXACT = "exact"  # the whole string, ignoring case, brackets, `_`/space: `lucy cyberpunk`
    PREFIX = "prefix"  # the string starts with the query: `detached col`
    WORD_START = "word-start"  # words of the string start with the query's words: `miku`
    SUBSTRING = "substring"  # the query occurs inside a word: `pasto`
    ABBREVIATION = "abbreviation"  # starts of consecutive words: `detco` → `detached collar`
    FUZZY = "fuzzy"  # within a few typing errors: `hatsne miku`


class MatchedVia(StrEnum):
    """Which of the entry's strings matched."""

    TRIGGER = "trigger"  # the trigger text itself
    TAG = "tag"  # the Danbooru tag name (`yoneyama mai` for `by yoneyama mai`)
    CHARACTER = "character"  # the character's name without its qualifier (`ganyu`)
    ALIAS = "alias"  # an alias of the tag (`lucyna kushinada`)


@dataclass(frozen=True)
class SearchHit:
    """One catalog entry found by a query."""

    prompt: str  # the text to paste, A1111-escaped: lucy \(cyberpunk\)
    text: str  # the trigger text unescaped: lucy (cyberpunk)
    tag: str | None  # canonical Danbooru tag name, None for triggers without a tag
    kind: str  # TriggerKind value
    category: int | None  # Danbooru category, None without a tag
    count: int  # post count (0 without a tag)
    verified: bool  # a known AIDXL trigger (curated), not a candidate: tier == "verified"
    tier: str  # TriggerTier value, the best of the entry's triggers: verified | author | danbooru
    match: MatchReason
    via: MatchedVia
    matched: str  # the string that matched, normalized: lucyna kushinada
    score: float  # 0-100, higher is better: the tier's score, fuzzy scaled by similarity
    uses: int  # times the user assembled or copied it

    @property
    def display(self) -> str:
        """`alias → tag` for alias hits, else the text to paste."""
        if self.via is MatchedVia.ALIAS:
            return f"{self.matched} → {self.prompt}"
        return self.prompt

    def to_json(self) -> dict[str, Any]:
        return {
            "prompt": self.prompt,
            "tag": self.tag,
            "kind": self.kind,
            "count": self.count,
            "match": str(self.match),
            "via": str(self.via),
            "matched": self.matched,
            "display": self.display,
            "category": self.category,
            "verified": self.verified,
            "tier": self.tier,
            "score": round(self.score, 2),
            "uses": self.uses,
        }
