"""The Textual explorer (issue 7). Placeholder entry point until it lands."""

from __future__ import annotations


def run_app(catalog_flag: str | None) -> int:
    raise SystemExit("aidxl: the explorer is not built yet; try `aidxl stats` or `aidxl search`")
