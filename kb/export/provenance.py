"""Where an export came from: the catalog, its build, the tool version.

Every export names these, in a comment where its format has comments and in a sidecar text file
where it has none. Nothing time-dependent goes in, so the same catalog exports the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from kb import __version__

TOOL_NAME = "aidxl-kb"
SIDECAR_SUFFIX = ".source.txt"  # .txt: neither completer lists it among its tag files (.csv, .json)


@dataclass(frozen=True)
class Provenance:
    """What an export was made from."""

    catalog: str  # the catalog file, absolute
    built_at: str  # the catalog's build time (meta.built_at), UTC
    fingerprint: str  # sha256 over the catalog's inputs (meta.fingerprint)
    catalog_tool_version: str  # the aidxl-kb that built the catalog
    tool_version: str = __version__  # the aidxl-kb that exported

    def lines(self, what: str) -> list[str]:
        """`key: value` lines for a comment block or a sidecar file."""
        return [
            f"{what}, exported by {TOOL_NAME} {self.tool_version}",
            f"catalog: {self.catalog}",
            f"catalog built: {self.built_at} by {TOOL_NAME} {self.catalog_tool_version}",
            f"catalog fingerprint: {self.fingerprint}",
        ]


def catalog_provenance(connection: duckdb.DuckDBPyConnection, catalog_path: Path) -> Provenance:
    meta = dict(connection.execute("SELECT key, value FROM meta").fetchall())
    return Provenance(
        catalog=str(catalog_path.absolute()),
        built_at=str(meta.get("built_at", "unknown")),
        fingerprint=str(meta.get("fingerprint", "unknown")),
        catalog_tool_version=str(meta.get("aidxl_kb_version", "unknown")),
    )


def sidecar_path(export_path: Path) -> Path:
    return export_path.with_name(export_path.name + SIDECAR_SUFFIX)


def sidecar_text(provenance: Provenance, what: str, details: list[str]) -> str:
    return "\n".join([*provenance.lines(what), *details]) + "\n"
