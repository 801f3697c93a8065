"""Optional parts of `kb` the explorer uses, and the sentence shown while one is missing.

The explorer is built in parallel with the `kb` modules it drives; a feature whose module is
absent is shown as "not available yet" instead of guessing its results.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from kb.errors import AidxlError


class FeatureUnavailable(AidxlError):
    """A part of aidxl-kb that this feature needs is not installed or not built yet."""


def optional_module(module_name: str, feature: str, needs: str | None = None) -> ModuleType:
    """Import `module_name` (and check it offers `needs`) or raise FeatureUnavailable saying why."""
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name is not None and module_name.startswith(error.name):
            raise FeatureUnavailable(f"{feature} is not available yet ({module_name} is missing)") from error
        raise
    if needs is not None and not hasattr(module, needs):
        raise FeatureUnavailable(f"{feature} is not available yet ({module_name}.{needs} is missing)")
    return module
