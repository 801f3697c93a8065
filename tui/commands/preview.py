"""`aidxl preview`: placeholder until its issue lands; registers nothing yet."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Add this group's commands to `aidxl`."""
