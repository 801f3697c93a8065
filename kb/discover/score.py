"""Evidence from weights that a fine-tune was trained on a trigger: which of its tokens' rows moved.

The AIDXL author trained both text encoders (`train_text_encoder = True`, AdaFactor, no weight
decay; PROVENANCE.md §11). A token-embedding row moves only when a caption used that token, so
the rows of a trigger's name that differ from base SDXL's say the name was in the captions. That is
a necessary condition, not recognition: common words move too (they appear in general tags), and
a trained name can still fail to carry a style. Sheets (kb/sheets/recognize.py) measure whether
it does.

(a) rows: for each candidate `by name`, the CLIP tokens of `name` (the shared `by` is left out),
    how many moved in either encoder (relative change above `CHANGED_AT`) and their mean relative
    change; `row_score` = share of the name's tokens that moved + their mean change (capped at 1).
(b) outputs (kb/discover/drift.py, for the best `top` candidates): how far CLIP-L's last hidden
    states for the trigger moved from base's.
Candidates rank by (a), then (b).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from kb.discover.weights import TokenRows
from kb.errors import AidxlError
from kb.prompt.clip_bpe import get_tokenizer

CHANGED_AT = 1e-4  # relative row change; untouched rows are bit-identical in a fine-tune's file
TRIGGER_PREFIX = "by "


class DiscoveryError(AidxlError):
    """The base and the checkpoint cannot be compared."""


@dataclass(frozen=True)
class Evidence:
    trigger: str  # as written: `by yoneyama mai`
    tokens: int  # CLIP tokens of the name
    rows_changed: int  # of them, rows that moved in either encoder
    row_drift: float  # mean relative change of the name's rows (max over the two encoders)
    row_score: float  # rows_changed / tokens + min(row_drift, 1)
    output_drift: float | None = None  # CLIP-L hidden-state drift, for the top candidates only


def token_drift(base: TokenRows, tuned: TokenRows) -> np.ndarray:
    """Per token id: the largest relative change of its row over the two encoders."""
    drifts = []
    for index, (base_rows, tuned_rows) in enumerate(zip(base.encoders, tuned.encoders, strict=True)):
        if base_rows.shape != tuned_rows.shape:
            raise DiscoveryError(
                f"{tuned.path}: encoder {index + 1} has token rows {tuned_rows.shape}, "
                f"the base {base.path} has {base_rows.shape}; not a fine-tune of that base"
            )
        change = np.linalg.norm(tuned_rows - base_rows, axis=1)
        size = np.linalg.norm(base_rows, axis=1)
        drifts.append(change / np.maximum(size, 1e-12))
    most: np.ndarray = np.maximum(drifts[0], drifts[1])
    return most


def name_of(trigger: str) -> str:
    return trigger[len(TRIGGER_PREFIX) :] if trigger.startswith(TRIGGER_PREFIX) else trigger


def score_candidates(triggers: Iterable[str], drift: np.ndarray) -> list[Evidence]:
    """(a) for every candidate, in input order; a name with no tokens scores 0."""
    tokenizer = get_tokenizer()
    results = []
    for trigger in triggers:
        token_ids = tokenizer.encode(name_of(trigger))
        if not token_ids:
            results.append(Evidence(trigger, 0, 0, 0.0, 0.0))
            continue
        values = drift[token_ids]
        changed = int(np.count_nonzero(values > CHANGED_AT))
        mean = float(values.mean())
        results.append(
            Evidence(trigger, len(token_ids), changed, mean, changed / len(token_ids) + min(mean, 1.0))
        )
    return results


def ranked(evidence: Sequence[Evidence]) -> list[Evidence]:
    """Best first: by row score, then output drift (measured beats unmeasured), then text."""
    return sorted(
        evidence,
        key=lambda item: (
            -item.row_score,
            -(item.output_drift if item.output_drift is not None else -1.0),
            item.trigger,
        ),
    )
