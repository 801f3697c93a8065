"""The registry of public sources (ingest/data/registry.toml), loaded into typed values.

One entry per file the project knows how to read: where it lives (a URL pinned to a commit, a
Hugging Face Hub file, or nowhere public: a mirror or local copy only), which reader it feeds,
its checksum when the content is fixed, its license, and the `aidxl ingest` flag that reads a
local copy. `aidxl sources` and `aidxl ingest --fetch` work from this list; the explorer names the
registry sources a catalog lacks.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.errors import IngestError
from kb.schema import TriggerKind

if TYPE_CHECKING:
    import duckdb

REGISTRY_PATH = Path(__file__).resolve().parent / "data" / "registry.toml"

# The readers a source can feed (ingest/specs.py SOURCE_KINDS).
FEEDS = (
    "tagger",
    "tagcomplete",
    "vocab",
    "list",
    "implications",
    "aliases",
    "priorities",
    "chants",
    "triggers",
)
_REQUIRED_KEYS = frozenset({"name", "title", "feeds", "file", "license", "flag"})
_OPTIONAL_KEYS = frozenset({"url", "hub", "revision", "sha256", "kind"})


@dataclass(frozen=True)
class HubLocation:
    """A file in a Hugging Face Hub repository."""

    repo: str  # SmilingWolf/wd-v1-4-convnext-tagger-v2
    file: str  # selected_tags.csv
    revision: str | None  # a commit or branch; None is the Hub's default (main)

    def describe(self) -> str:
        return f"hub:{self.repo}:{self.file}" + (f"@{self.revision}" if self.revision else "")


@dataclass(frozen=True)
class RegisteredSource:
    """One public source of the registry."""

    name: str
    title: str
    feeds: str
    file_name: str  # its name in a mirror folder and in ../shared/data
    license: str
    flag: str  # how to read a local copy: `--tagcomplete PATH`
    url: str | None = None
    hub: HubLocation | None = None
    sha256: str | None = None  # None: the content is not fixed (a Hub branch) or not known
    list_kind: TriggerKind | None = None

    @property
    def location(self) -> str:
        """Where it is fetched from, for people."""
        if self.url is not None:
            return self.url
        if self.hub is not None:
            return self.hub.describe()
        return "no public download (a mirror or local copy only)"

    @property
    def downloadable(self) -> bool:
        return self.url is not None or self.hub is not None

    @property
    def add_commands(self) -> tuple[str, ...]:
        """The commands that add it to a catalog (keeping the catalog's other sources): `--fetch`
        (when it has a download), `--add` with its flag (a local copy)."""
        local = f"aidxl ingest --add {self.flag}"
        return ("aidxl ingest --fetch", local) if self.downloadable else (local,)

    @property
    def how_to_add(self) -> str:
        """One line for people: `name — title: aidxl ingest --fetch, or aidxl ingest --add --tagger …`."""
        return f"{self.name} — {self.title}: {', or '.join(self.add_commands)}"


def parse_hub_location(text: str, revision: str | None, where: str) -> HubLocation:
    """`owner/repo:path/in/repo` → HubLocation; the error names `where`."""
    repo, separator, file = text.partition(":")
    if not separator or repo.count("/") != 1 or not all(repo.split("/")) or not file:
        raise IngestError(f"{where}: hub must be OWNER/NAME:FILE, found {text!r}")
    return HubLocation(repo, file, revision)


def _entry(table: Any, position: int, path: Path) -> RegisteredSource:
    where = f"{path}: [[source]] #{position}"
    if not isinstance(table, dict):
        raise IngestError(f"{where}: expected a table")
    missing = sorted(_REQUIRED_KEYS - set(table))
    unknown = sorted(set(table) - _REQUIRED_KEYS - _OPTIONAL_KEYS)
    if missing or unknown:
        raise IngestError(f"{where}: missing key(s) {missing}, unknown key(s) {unknown}")
    for key, value in table.items():
        if not isinstance(value, str) or not value:
            raise IngestError(f"{where}: `{key}` must be a non-empty string")
    if table["feeds"] not in FEEDS:
        raise IngestError(f"{where}: feeds {table['feeds']!r} is not one of {', '.join(FEEDS)}")
    if "url" in table and "hub" in table:
        raise IngestError(f"{where}: give `url` or `hub`, not both")
    if "revision" in table and "hub" not in table:
        raise IngestError(f"{where}: `revision` needs `hub`")
    sha256 = table.get("sha256")
    if sha256 is not None and (len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256)):
        raise IngestError(f"{where}: sha256 must be 64 lower-case hex digits")
    list_kind = None
    if "kind" in table:
        if table["feeds"] != "list":
            raise IngestError(f"{where}: `kind` is only for a source that feeds `list`")
        list_kind = TriggerKind(table["kind"])
    hub = parse_hub_location(table["hub"], table.get("revision"), where) if "hub" in table else None
    return RegisteredSource(
        name=table["name"],
        title=table["title"],
        feeds=table["feeds"],
        file_name=table["file"],
        license=table["license"],
        flag=table["flag"],
        url=table.get("url"),
        hub=hub,
        sha256=sha256,
        list_kind=list_kind,
    )


def load_registry(path: Path = REGISTRY_PATH) -> tuple[RegisteredSource, ...]:
    """Every registered source, in the file's order (the order `--fetch` ingests them)."""
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise IngestError(f"{path}: cannot read the source registry ({error})") from error
    tables = document.get("source", [])
    if set(document) - {"source"} or not isinstance(tables, list):
        raise IngestError(f"{path}: expected only [[source]] tables")
    sources = tuple(_entry(table, position, path) for position, table in enumerate(tables, 1))
    for key in ("name", "file_name"):
        values = [getattr(source, key) for source in sources]
        duplicates = sorted({value for value in values if values.count(value) > 1})
        if duplicates:
            raise IngestError(f"{path}: {key} given twice: {', '.join(duplicates)}")
    return sources


@cache
def registry() -> tuple[RegisteredSource, ...]:
    """The registry shipped with the package (read once per process)."""
    return load_registry()


def registered_source(name: str) -> RegisteredSource:
    for source in registry():
        if source.name == name:
            return source
    names = ", ".join(source.name for source in registry())
    raise IngestError(f"no registered source named {name!r} (known: {names})")


def missing_sources(present_names: Iterable[str | None]) -> tuple[RegisteredSource, ...]:
    """The registry's sources (in registry order) whose name is not among `present_names`: the
    `sources.name` column of a catalog (`catalog_source_names`), NULL for unregistered files."""
    present = {name for name in present_names if name is not None}
    return tuple(source for source in registry() if source.name not in present)


def catalog_source_names(connection: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """The registry names of the sources a catalog was built from (`sources.name`)."""
    rows = connection.execute("SELECT DISTINCT name FROM sources WHERE name IS NOT NULL").fetchall()
    return frozenset(str(row[0]) for row in rows)


def catalog_source_locations(connection: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Registry name -> where the catalog read it (a path, or hub:REPO@COMMIT/FILE)."""
    rows = connection.execute(
        "SELECT name, location FROM sources WHERE name IS NOT NULL ORDER BY source_id"
    ).fetchall()
    return {str(name): str(location) for name, location in rows}


def missing_from_catalog(connection: duckdb.DuckDBPyConnection) -> tuple[RegisteredSource, ...]:
    """The registry sources a catalog lacks, in registry order (the explorer's banner)."""
    return missing_sources(catalog_source_names(connection))


def identify_source(
    feeds: str, file_name: str, sha256: str, hub: tuple[str, str] | None = None
) -> RegisteredSource | None:
    """The registry entry a file read for `feeds` is a copy of: the Hub file it came from, else the
    entry with its checksum, else the entry with its mirror file name (`danbooru.csv`, another
    version of the same source)."""
    candidates = [source for source in registry() if source.feeds == feeds]
    if hub is not None:
        for source in candidates:
            if source.hub is not None and (source.hub.repo, source.hub.file) == hub:
                return source
    for source in candidates:
        if source.sha256 == sha256:
            return source
    for source in candidates:
        if source.file_name == file_name:
            return source
    return None
