"""Bounded undo / redo of builder edits: snapshots of the whole draft, each labelled with its edit."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Generic, TypeVar

HISTORY_LIMIT = 100

State = TypeVar("State")


@dataclass
class History(Generic[State]):
    """`record(label, before)` before each edit; `undo(current)` / `redo(current)` return
    (label, state to show) or None. A new edit clears the redo side."""

    limit: int = HISTORY_LIMIT
    _undo: deque[tuple[str, State]] = field(default_factory=deque)
    _redo: list[tuple[str, State]] = field(default_factory=list)

    def record(self, label: str, before: State) -> None:
        self._undo.append((label, before))
        while len(self._undo) > self.limit:
            self._undo.popleft()
        self._redo.clear()

    def undo(self, current: State) -> tuple[str, State] | None:
        if not self._undo:
            return None
        label, before = self._undo.pop()
        self._redo.append((label, current))
        return label, before

    def redo(self, current: State) -> tuple[str, State] | None:
        if not self._redo:
            return None
        label, after = self._redo.pop()
        self._undo.append((label, current))
        return label, after
