"""The prompt draft: entries with weights, toggles, negative prompt and settings.

Entry texts are unescaped (`ganyu (genshin impact)`, `by yoneyama mai`); escaping is the
renderer's job. Two kinds of entry never change meaning when they are rendered:

- a tag keeps the brackets it was written with (`emphasis`, innermost first), so `[x]` is
  rendered `[x]` (exactly ×1/1.1) and `((x))` stays `((x))`; a weight the user sets replaces them
  by `(x:w)`;
- a `syntax` entry (prompt editing, alternation, an extra network, `BREAK`, `AND`, a bracket left
  open, a tag weighted in parts) is held as written and rendered verbatim; it has no weight of
  its own to change (its text can be edited, and lint fixes apply to it).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from kb.knowledge.tagforms import escape_a1111
from kb.prompt.render import render_emphasised, render_tag
from kb.settings import GenerationSettings, default_negative

WEIGHT_STEP = 0.05
WEIGHT_MIN = 0.0
WEIGHT_MAX = 3.0
SYNTAX_KIND = "syntax"
UNKNOWN_KIND = "unknown"

# Quick toggles: the card's advice is quality tags late and weighted up, aesthetics before them.
QUALITY_TOGGLE_TEXTS: tuple[str, ...] = ("amazing quality", "best quality")
AESTHETIC_TOGGLE_TEXTS: tuple[str, ...] = ("beautiful color", "detailed")


@dataclass(frozen=True)
class DraftEntry:
    """One tag, trigger or piece of syntax in the prompt being built."""

    text: str  # unescaped prompt text: "ganyu (genshin impact)"; a syntax entry: its source as written
    kind: str  # a kb.schema.TriggerKind value, "unknown" (not in the catalog) or "syntax"
    weight: float = 1.0
    tag: str | None = None  # canonical Danbooru name when the entry is a catalog tag
    known: bool = True  # False for pasted tags that matched nothing in the catalog
    suggestions: tuple[str, ...] = ()  # "did you mean" prompt forms for unknown tags
    emphasis: tuple[str, ...] = ()  # the brackets it was written with, innermost first; () = `(x:w)`

    @property
    def is_syntax(self) -> bool:
        return self.kind == SYNTAX_KIND

    def prompt_text(self) -> str:
        """The entry as prompt text: verbatim syntax, the written brackets, or `(text:w)`."""
        if self.is_syntax:
            return self.text.strip()
        if self.emphasis:
            return render_emphasised(escape_a1111(self.text.strip()), self.emphasis)
        return render_tag(self.text, self.weight)


@dataclass
class PromptDraft:
    """What the builder holds; front ends only call these methods."""

    entries: list[DraftEntry] = field(default_factory=list)
    auto_order: bool = True
    include_quality: bool = True
    include_aesthetic: bool = False
    styles_appended: bool = False  # style blends go first by default; appended is gentler
    negative: str = field(default_factory=default_negative)
    settings: GenerationSettings = field(default_factory=GenerationSettings)

    def index_of(self, text: str) -> int | None:
        lowered = text.lower()
        for position, entry in enumerate(self.entries):
            if entry.text.lower() == lowered:
                return position
        return None

    def add(self, entry: DraftEntry) -> int:
        """Append an entry; an entry already present is not added twice. Returns its index."""
        existing = self.index_of(entry.text)
        if existing is not None:
            return existing
        self.entries.append(entry)
        return len(self.entries) - 1

    def insert(self, position: int, entry: DraftEntry) -> int:
        """Insert an entry at `position`; an entry already present stays where it is. Returns its index."""
        existing = self.index_of(entry.text)
        if existing is not None:
            return existing
        position = max(0, min(position, len(self.entries)))
        self.entries.insert(position, entry)
        return position

    def remove(self, index: int) -> DraftEntry:
        return self.entries.pop(index)

    def move(self, index: int, offset: int) -> int:
        """Move an entry up (-1) or down (+1); returns its new index (unchanged at the ends)."""
        target = index + offset
        if not 0 <= index < len(self.entries) or not 0 <= target < len(self.entries):
            return index
        self.entries[index], self.entries[target] = self.entries[target], self.entries[index]
        return target

    def set_weight(self, index: int, weight: float) -> float:
        """Set an entry's weight (rounded to two decimals, clamped); its written brackets give way to
        `(x:w)`. A syntax entry has no weight of its own: unchanged, its weight is returned."""
        entry = self.entries[index]
        if entry.is_syntax:
            return entry.weight
        clamped = round(min(WEIGHT_MAX, max(WEIGHT_MIN, weight)), 2)
        self.entries[index] = replace(entry, weight=clamped, emphasis=())
        return clamped

    def nudge_weight(self, index: int, steps: int) -> float:
        return self.set_weight(index, round(self.entries[index].weight, 2) + steps * WEIGHT_STEP)

    def replace_text(self, index: int, text: str, *, known: bool = True) -> None:
        """Apply a lint fix or a suggestion to one entry (its weight and brackets stay)."""
        self.entries[index] = replace(self.entries[index], text=text, known=known, suggestions=())

    def replace_entries(self, index: int, entries: list[DraftEntry]) -> None:
        """Put `entries` in place of the entry at `index` (an edited or fixed entry read again)."""
        self.entries[index : index + 1] = entries

    def clear(self) -> None:
        self.entries.clear()

    def snapshot(self) -> PromptDraft:
        """An independent copy (entries and settings are immutable; the list is copied)."""
        return replace(self, entries=list(self.entries))

    def style_entries(self) -> list[DraftEntry]:
        return [entry for entry in self.entries if entry.kind == "artist_style"]

    def set_style_blend(self, styles: list[tuple[str, float]]) -> None:
        """Replace the current style entries by a blend, keeping the other entries' order."""
        others = [entry for entry in self.entries if entry.kind != "artist_style"]
        blend = [DraftEntry(text, "artist_style", round(weight, 2)) for text, weight in styles]
        self.entries = blend + others

    def extra_texts(self) -> list[tuple[str, str]]:
        """(text, kind) of the quick-toggle tags not already in the entries."""
        extras: list[tuple[str, str]] = []
        if self.include_aesthetic:
            extras += [(text, "aesthetic") for text in AESTHETIC_TOGGLE_TEXTS]
        if self.include_quality:
            extras += [(text, "quality") for text in QUALITY_TOGGLE_TEXTS]
        return [(text, kind) for text, kind in extras if self.index_of(text) is None]

    def to_json(self) -> dict[str, Any]:
        entries: list[dict[str, Any]] = []
        for entry in self.entries:
            item: dict[str, Any] = {
                "text": entry.text,
                "kind": entry.kind,
                "weight": entry.weight,
                "tag": entry.tag,
                "known": entry.known,
            }
            if entry.emphasis:
                item["emphasis"] = list(entry.emphasis)
            entries.append(item)
        return {
            "entries": entries,
            "auto_order": self.auto_order,
            "include_quality": self.include_quality,
            "include_aesthetic": self.include_aesthetic,
            "styles_appended": self.styles_appended,
            "negative": self.negative,
            "settings": self.settings.to_json(),
        }

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> PromptDraft:
        entries = [
            DraftEntry(
                str(item["text"]),
                str(item["kind"]),
                float(item.get("weight", 1.0)),
                item.get("tag"),
                bool(item.get("known", True)),
                emphasis=tuple(str(step) for step in item.get("emphasis", ())),
            )
            for item in document.get("entries", [])
        ]
        return cls(
            entries=entries,
            auto_order=bool(document.get("auto_order", True)),
            include_quality=bool(document.get("include_quality", True)),
            include_aesthetic=bool(document.get("include_aesthetic", False)),
            styles_appended=bool(document.get("styles_appended", False)),
            negative=str(document.get("negative", default_negative())),
            settings=GenerationSettings.from_json(dict(document.get("settings", {}))),
        )
