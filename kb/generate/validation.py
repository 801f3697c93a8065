"""Setting checks for a preview request, by `kb.settings` (the one place the rules live)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kb import settings

if TYPE_CHECKING:
    from kb.generate.request import PreviewRequest


def check_settings(request: PreviewRequest, *, small_sizes_allowed: bool) -> list[str]:
    """Raise `SettingsError` for a size, step count or CFG scale the model cannot take; return warnings."""
    warnings = [
        *settings.check_size(request.width, request.height, small_sizes_allowed=small_sizes_allowed),
        *settings.check_steps(request.sampler, request.steps),
        *settings.check_cfg(request.cfg_scale),
    ]
    return [warning.message for warning in warnings]
