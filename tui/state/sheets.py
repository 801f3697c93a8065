"""The explorer's "Sheet" action apart from the screen: `kb.workbench.jobs` (the sheet job of the
builder's styles, with progress and cancel) under the names the explorer uses."""

from __future__ import annotations

from kb.workbench.defaults import DEFAULT_BASE_PROMPT as DEFAULT_BASE
from kb.workbench.jobs import TINY_SIZE, SheetOutcome, SheetRequest, build_spec, sheet_request
from kb.workbench.jobs import run_sheet_job as run_explorer_sheet
from kb.workbench.sheet_prompts import BLEND_NAME

__all__ = [
    "BLEND_NAME",
    "DEFAULT_BASE",
    "TINY_SIZE",
    "SheetOutcome",
    "SheetRequest",
    "build_spec",
    "run_explorer_sheet",
    "sheet_request",
]
