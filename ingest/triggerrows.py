"""Trigger entries read from a vocabulary or a user list, before they are linked to tags."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ingest.problems import Problem
from kb.schema import TriggerKind


@dataclass(frozen=True)
class TriggerEntry:
    """One trigger as a file states it: `by modare` (artist_style), `flat color` (painting_style)."""

    line: int | None
    text: str  # unescaped prompt text
    kind: TriggerKind
    description: str | None = None
    note: str | None = None  # where it comes from, beyond the file name
    danbooru_tag: str | None = None  # canonical tag name the entry names explicitly
    rank: int | None = None  # ladder position (quality), 1 = best


@dataclass
class TriggerRows:
    path: Path
    sha256: str
    entries: list[TriggerEntry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.entries)
