"""Setting checks for a preview request.

The rules live in `kb.settings`; until that module exists the same rules are applied here
(GUIDE §2: sides multiples of 32, never below 256, steps and CFG in range).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kb.errors import AidxlError

if TYPE_CHECKING:
    from kb.generate.request import PreviewRequest

MIN_SIDE = 256
SIDE_MULTIPLE = 32
SMALL_SIDE_MULTIPLE = 16  # the tiny test model: 8x VAE and one UNet downsample
MAX_STEPS = 150
CFG_RANGE = (1.0, 30.0)


class SettingsError(AidxlError):
    """A generation setting is out of range."""


def check_settings(request: PreviewRequest, *, small_sizes_allowed: bool) -> None:
    """Raise a clear error for a bad size, step count or CFG scale."""
    for side_name, side in (("width", request.width), ("height", request.height)):
        multiple = SMALL_SIDE_MULTIPLE if small_sizes_allowed else SIDE_MULTIPLE
        if side % multiple or side <= 0:
            raise SettingsError(f"{side_name} {side} is not a positive multiple of {multiple}.")
        if side < MIN_SIDE and not small_sizes_allowed:
            raise SettingsError(f"{side_name} {side} is below {MIN_SIDE}; the model needs at least {MIN_SIDE}x{MIN_SIDE}.")
    if not 1 <= request.steps <= MAX_STEPS:
        raise SettingsError(f"steps {request.steps} is outside 1..{MAX_STEPS}.")
    low, high = CFG_RANGE
    if not low <= request.cfg_scale <= high:
        raise SettingsError(f"CFG scale {request.cfg_scale:g} is outside {low:g}..{high:g}.")
