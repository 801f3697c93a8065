"""One discovery run: read both checkpoints' token rows, rank every candidate, measure the best."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from kb.discover.score import Evidence, ranked, score_candidates, token_drift
from kb.discover.store import StoredEvidence
from kb.discover.weights import read_token_rows
from kb.generate.remembered_hashes import file_or_folder_sha256

DEFAULT_TOP = 256  # candidates whose CLIP-L output drift is measured (the costly part)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Discovery:
    checkpoint: Path
    base: Path
    model_hash: str
    base_hash: str
    ranked: tuple[Evidence, ...]  # best first
    output_measured: int  # how many of them have an output drift

    def stored(self, measured_at: datetime | None = None) -> list[StoredEvidence]:
        when = (measured_at or datetime.now(UTC)).isoformat(timespec="seconds")
        name = self.checkpoint.stem if self.checkpoint.is_file() else self.checkpoint.name
        return [
            StoredEvidence(
                trigger=item.trigger,
                model_hash=self.model_hash,
                model_name=name,
                base_hash=self.base_hash,
                tokens=item.tokens,
                rows_changed=item.rows_changed,
                row_drift=round(item.row_drift, 6),
                row_score=round(item.row_score, 6),
                output_drift=None if item.output_drift is None else round(item.output_drift, 6),
                rank=rank,
                candidates=len(self.ranked),
                measured_at=when,
            )
            for rank, item in enumerate(self.ranked, start=1)
        ]


def discover(
    checkpoint: Path,
    base: Path,
    candidates: Sequence[str],
    *,
    top: int = DEFAULT_TOP,
    on_progress: Progress | None = None,
) -> Discovery:
    """Rank `candidates` by (a) for all, then measure (b) for the `top` best (0: none, or no torch)."""

    def say(message: str) -> None:
        if on_progress is not None:
            on_progress(message)

    say(f"reading token rows of {base}")
    base_rows = read_token_rows(base)
    say(f"reading token rows of {checkpoint}")
    tuned_rows = read_token_rows(checkpoint)
    drift = token_drift(base_rows, tuned_rows)
    del base_rows, tuned_rows  # the matrices are the run's largest objects
    say(f"scoring {len(candidates)} candidates by their token rows")
    order = ranked(score_candidates(dict.fromkeys(candidates), drift))
    measured = 0
    if top > 0 and order and importlib.util.find_spec("torch") is not None:
        from kb.discover.drift import load_clip_l, output_drifts

        best = order[:top]
        say(f"measuring CLIP-L output drift of the best {len(best)}")
        drifts = output_drifts(load_clip_l(base), load_clip_l(checkpoint), [item.trigger for item in best])
        order = (
            ranked([replace(item, output_drift=value) for item, value in zip(best, drifts, strict=True)])
            + order[top:]
        )
        measured = len(best)
    return Discovery(
        checkpoint=checkpoint,
        base=base,
        model_hash=file_or_folder_sha256(checkpoint),
        base_hash=file_or_folder_sha256(base),
        ranked=tuple(order),
        output_measured=measured,
    )
