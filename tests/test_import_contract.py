"""kb/ and ingest/ stay headless: importing them never loads textual, torch or diffusers,
and the arrows point one way (tui -> kb, tui -> ingest, ingest -> kb)."""

from __future__ import annotations

import ast
import functools
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
HEAVY_MODULES = ("textual", "torch", "diffusers", "transformers")


CORE_PACKAGES = ("kb", "ingest")
# One interpreter per package imports each of its modules in turn and records, per module, the heavy
# libraries that its import loaded (new in sys.modules) or the traceback of a failed import. Every
# module passing proves no module of the package loads one at import time: none is loaded at the end.
IMPORT_PROBE = """
import importlib, json, sys, traceback
heavy = {heavy!r}
report = {{}}
for name in {modules!r}:
    before = {{module for module in heavy if module in sys.modules}}
    try:
        importlib.import_module(name)
    except BaseException:
        report[name] = {{"error": traceback.format_exc(), "loaded": []}}
        continue
    loaded = [module for module in heavy if module in sys.modules and module not in before]
    report[name] = {{"error": None, "loaded": loaded}}
print(json.dumps(report))
"""


def package_modules(package: str) -> list[str]:
    names = []
    for path in sorted((REPO_ROOT / package).rglob("*.py")):
        relative = path.relative_to(REPO_ROOT).with_suffix("")
        parts = list(relative.parts)
        if parts[-1] == "__init__":
            parts.pop()
        names.append(".".join(parts))
    return names


def core_modules() -> list[str]:
    return [name for package in CORE_PACKAGES for name in package_modules(package)]


@functools.cache
def import_report(package: str) -> dict[str, dict[str, object]]:
    """What importing each module of `package` loaded, from one fresh interpreter."""
    probe = IMPORT_PROBE.format(heavy=HEAVY_MODULES, modules=package_modules(package))
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    report: dict[str, dict[str, object]] = json.loads(result.stdout)
    return report


@pytest.mark.parametrize("module_name", core_modules())
def test_core_module_imports_no_heavy_library(module_name: str) -> None:
    outcome = import_report(module_name.split(".")[0])[module_name]
    assert outcome["error"] is None, outcome["error"]
    assert outcome["loaded"] == [], (
        f"{module_name} imported {outcome['loaded']} at import time (itself or through a module it imports)"
    )


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
