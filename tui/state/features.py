"""FeatureUnavailable: kept only while tui/screens/explorer.py still names it in its `except` clauses.

Nothing raises it any more: the explorer imports its `kb` modules by name (kb is always installed
whole), and a missing library of the optional `gpu` extra is `kb.errors.GenerationExtraMissing`.
Remove this module with those clauses once the explorer's split has landed.
"""

from __future__ import annotations

from kb.errors import AidxlError


class FeatureUnavailable(AidxlError):
    """A part of aidxl-kb that this feature needs is not installed or not built yet."""
