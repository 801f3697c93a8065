"""The builder's rendering as the explorer names it: `kb.workbench.rendering` (prompt text, lint
findings, token counts) with the linter's catalog context from `kb.workbench.linting`."""

from __future__ import annotations

from kb.workbench.linting import LintContext as CatalogContext
from kb.workbench.rendering import (
    KIND_CATEGORY,
    TRIGGER_KINDS,
    RenderedPrompt,
    TokenSummary,
    assemble_draft,
    count_tokens,
    entries_matcher,
)
from kb.workbench.rendering import render_draft as render_builder

__all__ = [
    "KIND_CATEGORY",
    "TRIGGER_KINDS",
    "CatalogContext",
    "RenderedPrompt",
    "TokenSummary",
    "assemble_draft",
    "count_tokens",
    "entries_matcher",
    "render_builder",
]
