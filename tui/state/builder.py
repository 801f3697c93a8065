"""The builder's model as the explorer names it: `kb.workbench.draft` (one model for the CLI and
the explorer). `BuilderState` is the workbench's `PromptDraft`, `BuilderEntry` its `DraftEntry`;
`GenerationSettings` is `kb.settings`' (the one settings record, with the seed)."""

from __future__ import annotations

from kb.settings import GenerationSettings
from kb.workbench.draft import (
    AESTHETIC_TOGGLE_TEXTS,
    QUALITY_TOGGLE_TEXTS,
    SYNTAX_KIND,
    WEIGHT_MAX,
    WEIGHT_MIN,
    WEIGHT_STEP,
)
from kb.workbench.draft import DraftEntry as BuilderEntry
from kb.workbench.draft import PromptDraft as BuilderState

__all__ = [
    "AESTHETIC_TOGGLE_TEXTS",
    "QUALITY_TOGGLE_TEXTS",
    "SYNTAX_KIND",
    "WEIGHT_MAX",
    "WEIGHT_MIN",
    "WEIGHT_STEP",
    "BuilderEntry",
    "BuilderState",
    "GenerationSettings",
]
