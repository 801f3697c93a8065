"""The explorer's "Sheet" action apart from the screen: `kb.workbench.jobs` (the sheet job of the
builder's styles, with progress and cancel; its spec merged by `kb.sheets.options`, as
`aidxl sheet`'s) under the names the explorer uses."""

from __future__ import annotations

from kb.workbench.jobs import SheetOutcome, SheetRequest, sheet_request
from kb.workbench.jobs import run_sheet_job as run_explorer_sheet

__all__ = ["SheetOutcome", "SheetRequest", "run_explorer_sheet", "sheet_request"]
