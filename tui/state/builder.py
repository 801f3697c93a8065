"""The prompt builder's state: entries with weights, toggles, negative prompt and settings.

Pure Python (no textual), so every operation is unit-tested without a screen. The state never
builds prompt strings itself: `tui.state.rendering` hands it to `kb.prompt.assemble` / `kb.prompt.render`.
Entry texts are unescaped (`ganyu (genshin impact)`, `by yoneyama mai`); escaping is the
renderer's job.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

WEIGHT_STEP = 0.05
WEIGHT_MIN = 0.0
WEIGHT_MAX = 3.0

# Quick toggles: the card's advice is quality tags late and weighted up, aesthetics before them.
QUALITY_TOGGLE_TEXTS: tuple[str, ...] = ("amazing quality", "best quality")
AESTHETIC_TOGGLE_TEXTS: tuple[str, ...] = ("beautiful color", "detailed")

# Model page's recommended negative prompt (also in kb/data/negative.toml, which wins when readable).
FALLBACK_NEGATIVE = (
    "(worst quality:1.3), low quality, lowres, messy, abstract, ugly, disfigured, bad anatomy, draft, "
    "deformed hands, fused fingers, signature, text, multi views"
)


@dataclass(frozen=True)
class BuilderEntry:
    """One tag or trigger in the prompt being built."""

    text: str  # unescaped prompt text: "ganyu (genshin impact)", "by chi4"
    kind: str  # a kb.schema.TriggerKind value, or "unknown" for pasted tags the catalog lacks
    weight: float = 1.0
    tag: str | None = None  # canonical Danbooru name when the entry is a catalog tag
    known: bool = True  # False for pasted tags that matched nothing in the catalog
    suggestions: tuple[str, ...] = ()  # "did you mean" prompt forms for unknown tags


@dataclass
class GenerationSettings:
    width: int = 1024
    height: int = 1024
    sampler: str = "Euler a"
    steps: int = 28
    cfg: float = 7.0
    seed: int = 1


@dataclass
class BuilderState:
    """What the builder pane shows; the widgets only call these methods."""

    entries: list[BuilderEntry] = field(default_factory=list)
    auto_order: bool = True
    include_quality: bool = True
    include_aesthetic: bool = False
    styles_appended: bool = False  # style blends go first by default; appended is gentler
    negative: str = FALLBACK_NEGATIVE
    settings: GenerationSettings = field(default_factory=GenerationSettings)

    def index_of(self, text: str) -> int | None:
        lowered = text.lower()
        for position, entry in enumerate(self.entries):
            if entry.text.lower() == lowered:
                return position
        return None

    def add(self, entry: BuilderEntry) -> int:
        """Append an entry; an entry already present is not added twice. Returns its index."""
        existing = self.index_of(entry.text)
        if existing is not None:
            return existing
        self.entries.append(entry)
        return len(self.entries) - 1

    def insert(self, position: int, entry: BuilderEntry) -> int:
        """Insert an entry at `position`; an entry already present stays where it is. Returns its index."""
        existing = self.index_of(entry.text)
        if existing is not None:
            return existing
        position = max(0, min(position, len(self.entries)))
        self.entries.insert(position, entry)
        return position

    def remove(self, index: int) -> BuilderEntry:
        return self.entries.pop(index)

    def move(self, index: int, offset: int) -> int:
        """Move an entry up (-1) or down (+1); returns its new index (unchanged at the ends)."""
        target = index + offset
        if not 0 <= index < len(self.entries) or not 0 <= target < len(self.entries):
            return index
        self.entries[index], self.entries[target] = self.entries[target], self.entries[index]
        return target

    def set_weight(self, index: int, weight: float) -> float:
        clamped = round(min(WEIGHT_MAX, max(WEIGHT_MIN, weight)), 2)
        self.entries[index] = replace(self.entries[index], weight=clamped)
        return clamped

    def nudge_weight(self, index: int, steps: int) -> float:
        return self.set_weight(index, self.entries[index].weight + steps * WEIGHT_STEP)

    def replace_text(self, index: int, text: str, *, known: bool = True) -> None:
        """Apply a lint fix or a suggestion to one entry."""
        self.entries[index] = replace(self.entries[index], text=text, known=known, suggestions=())

    def clear(self) -> None:
        self.entries.clear()

    def snapshot(self) -> BuilderState:
        """An independent copy (the explorer keeps one for ctrl+z)."""
        return replace(self, entries=list(self.entries), settings=replace(self.settings))

    def style_entries(self) -> list[BuilderEntry]:
        return [entry for entry in self.entries if entry.kind == "artist_style"]

    def set_style_blend(self, styles: list[tuple[str, float]]) -> None:
        """Replace the current style entries by a blend, keeping the other entries' order."""
        others = [entry for entry in self.entries if entry.kind != "artist_style"]
        blend = [BuilderEntry(text, "artist_style", round(weight, 2)) for text, weight in styles]
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
        return {
            "entries": [
                {"text": e.text, "kind": e.kind, "weight": e.weight, "tag": e.tag, "known": e.known}
                for e in self.entries
            ],
            "auto_order": self.auto_order,
            "include_quality": self.include_quality,
            "include_aesthetic": self.include_aesthetic,
            "styles_appended": self.styles_appended,
            "negative": self.negative,
            "settings": dict(self.settings.__dict__),
        }

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> BuilderState:
        entries = [
            BuilderEntry(
                str(item["text"]),
                str(item["kind"]),
                float(item.get("weight", 1.0)),
                item.get("tag"),
                bool(item.get("known", True)),
            )
            for item in document.get("entries", [])
        ]
        settings = GenerationSettings(**document.get("settings", {}))
        return cls(
            entries=entries,
            auto_order=bool(document.get("auto_order", True)),
            include_quality=bool(document.get("include_quality", True)),
            include_aesthetic=bool(document.get("include_aesthetic", False)),
            styles_appended=bool(document.get("styles_appended", False)),
            negative=str(document.get("negative", FALLBACK_NEGATIVE)),
            settings=settings,
        )
