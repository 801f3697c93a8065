"""Imports a reader (and mypy) can follow: no import cycles inside `kb` or `ingest`, so their modules
form layers a newcomer can read bottom-up, and no module of ours imported by a name in a string.

Every import counts, at module level or inside a function (a lazy import is still a dependency and
only hides a cycle until someone moves it); imports under `TYPE_CHECKING` do not (they never run).
grimp builds the graph from the source without importing anything.
"""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
OUR_PACKAGES = ("kb", "ingest", "tui")
# The imports by a computed name we keep, and why (file: call).
IMPORTS_BY_COMPUTED_NAME = {
    # `aidxl` loads only the command group it runs (start-up time); tests/test_cli_help.py checks
    # that `tui.cli.COMMAND_MODULES` and `MODULE_OF_COMMAND` name every command's module.
    "tui/cli.py: importlib.import_module(module_name)",
    # The gpu extra's libraries (torch, diffusers, transformers), tried in turn to name the missing one.
    "kb/generate/extra.py: importlib.import_module(module_name)",
    # The CLIP vocabulary's providers are located, never imported (CONTRIBUTING, import rules).
    "kb/prompt/clip_vocab.py: importlib.util.find_spec(package)",
}


def import_cycles(graph: grimp.ImportGraph, package: str) -> list[str]:
    """Each module of `package` that reaches itself again, as `a -> b -> ... -> a` (shortest)."""
    cycles = []
    for module in sorted(graph.find_descendants(package) | {package}):
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            chain = graph.find_shortest_chain(importer=imported, imported=module)
            if chain is not None:
                cycles.append(" -> ".join((module, *chain)))
    return cycles


@pytest.mark.parametrize("package", ["kb", "ingest"])
def test_the_package_has_no_import_cycle(package: str) -> None:
    graph = grimp.build_graph(package, exclude_type_checking_imports=True, cache_dir=None)
    assert import_cycles(graph, package) == []


def test_a_sheet_spec_and_its_catalog_query_import_one_way() -> None:
    graph = grimp.build_graph("kb", exclude_type_checking_imports=True, cache_dir=None)
    assert graph.direct_import_exists(importer="kb.sheets.spec", imported="kb.sheets.query")
    assert not graph.chain_exists(importer="kb.sheets.query", imported="kb.sheets.spec")


def test_a_lazy_cycle_is_found() -> None:
    graph = grimp.ImportGraph()
    for module in ("kb", "kb.a", "kb.b", "kb.c"):
        graph.add_module(module)
    graph.add_import(importer="kb.a", imported="kb.b")
    graph.add_import(importer="kb.b", imported="kb.c")
    assert import_cycles(graph, "kb") == []
    graph.add_import(importer="kb.c", imported="kb.a")  # e.g. `from kb.a import x` inside a function
    assert import_cycles(graph, "kb") == ["kb.a -> kb.b -> kb.c -> kb.a", "kb.b -> kb.c -> kb.a -> kb.b",
                                          "kb.c -> kb.a -> kb.b -> kb.c"]  # fmt: skip


def imports_by_name(path: Path, root: Path = REPO_ROOT) -> list[str]:
    """`importlib.import_module(...)`, `__import__(...)` and `find_spec(...)` calls in a file whose
    argument is one of our modules' names, or not a literal at all (a name computed at run time)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        function = node.func
        name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
        if name not in ("import_module", "__import__", "find_spec"):
            continue
        argument = node.args[0]
        literal = argument.value if isinstance(argument, ast.Constant) else None
        if not isinstance(literal, str) or literal.split(".")[0] in OUR_PACKAGES:
            found.append(f"{path.relative_to(root)}: {ast.unparse(node)}")
    return found


def test_no_module_of_ours_is_imported_by_a_name_in_a_string() -> None:
    """A module imported by name arrives untyped and hides the dependency; ours are imported by
    `import` statements (inside a function where start-up time needs it)."""
    found = [
        hit
        for package in OUR_PACKAGES
        for path in sorted((REPO_ROOT / package).rglob("*.py"))
        for hit in imports_by_name(path)
    ]
    assert sorted(set(found) - IMPORTS_BY_COMPUTED_NAME) == []


def test_an_import_by_name_is_found(tmp_path: Path) -> None:
    module = tmp_path / "probe.py"  # read, never imported
    module.write_text(
        'import importlib\nimportlib.import_module("kb.search")\n'
        '__import__("json")\nimportlib.import_module(n)\n',
        encoding="utf-8",
    )
    assert imports_by_name(module, tmp_path) == [
        "probe.py: importlib.import_module('kb.search')",
        "probe.py: importlib.import_module(n)",
    ]
