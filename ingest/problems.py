"""Problems found in a source file, reported as `path:line: reason`, all of them up to a cap."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from kb.errors import IngestError

# More than this many problems in one report are summarised as "... and N more".
MAX_REPORTED_PROBLEMS = 20


class Problem(NamedTuple):
    """One thing wrong with a source file; `line` is 1-based, None when it concerns the whole file."""

    path: Path
    line: int | None
    reason: str

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.path}: {self.reason}"
        return f"{self.path}:{self.line}: {self.reason}"


def format_problems(problems: Sequence[Problem], limit: int = MAX_REPORTED_PROBLEMS) -> str:
    """One problem per line, the first `limit` of them, then `... and N more`."""
    lines = [str(problem) for problem in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"... and {len(problems) - limit} more")
    return "\n".join(lines)


class SourceFileError(IngestError):
    """A source file cannot be ingested: carries every problem found, not only the first."""

    def __init__(self, problems: Iterable[Problem], hint: str | None = None) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        message = format_problems(self.problems)
        if hint:
            message = f"{message}\n{hint}"
        super().__init__(message)
