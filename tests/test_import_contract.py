"""kb/ and ingest/ stay headless: importing them never loads textual, torch or diffusers,
and the arrows point one way (tui -> kb, tui -> ingest, ingest -> kb)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
HEAVY_MODULES = ("textual", "torch", "diffusers", "transformers")


def core_modules() -> list[str]:
    names = []
    for package in ("kb", "ingest"):
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            relative = path.relative_to(REPO_ROOT).with_suffix("")
            parts = list(relative.parts)
            if parts[-1] == "__init__":
                parts.pop()
            names.append(".".join(parts))
    return names


@pytest.mark.parametrize("module_name", core_modules())
def test_core_module_imports_no_heavy_library(module_name: str) -> None:
    probe = (
        "import importlib, sys\n"
        f"importlib.import_module({module_name!r})\n"
        f"loaded = [m for m in {HEAVY_MODULES!r} if m in sys.modules]\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"{module_name} imported {result.stdout.strip()} at import time"


def imported_top_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [("kb", {"ingest", "tui", "textual"}), ("ingest", {"tui", "textual"})],
)
def test_imports_point_one_way(package: str, forbidden: set[str]) -> None:
    offenders = {
        str(path.relative_to(REPO_ROOT)): sorted(imported_top_packages(path) & forbidden)
        for path in (REPO_ROOT / package).rglob("*.py")
        if imported_top_packages(path) & forbidden
    }
    assert offenders == {}
