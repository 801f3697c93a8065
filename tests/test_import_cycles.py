"""No import cycles inside `kb` or `ingest`: their modules form layers a newcomer can read bottom-up.

Every import counts, at module level or inside a function (a lazy import is still a dependency and
only hides a cycle until someone moves it); imports under `TYPE_CHECKING` do not (they never run).
grimp builds the graph from the source without importing anything.
"""

from __future__ import annotations

import grimp
import pytest


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
