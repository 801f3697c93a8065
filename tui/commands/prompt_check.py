"""Placeholder until its part of issue 3 lands."""

from __future__ import annotations

import argparse
from typing import Any


def register_prompt_subcommands(prompt_subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Add subcommands under `aidxl prompt`."""


def register_top_level(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Add top-level commands (e.g. `aidxl char`, `aidxl size`)."""
