"""aidxl-kb core: catalog, search, prompt language and generation logic.

Nothing here imports textual, torch or diffusers at import time; generation code imports
torch inside the functions that generate (see tests/test_import_contract.py).
"""

from __future__ import annotations

__version__ = "0.1.0"
