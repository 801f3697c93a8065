"""Which sources an ingest reads: from `sources.toml` and from command-line flags.

Config format (paths relative to the config file):

    [[tagger]]       path = "selected_tags.csv"
    [[tagger]]       hub = "SmilingWolf/wd-v1-4-convnext-tagger-v2", revision = "main"   (revision optional)
    [[tagcomplete]]  path = "danbooru.csv"
    [[vocab]]        path = "custom_tags.json"
    [[list]]         path = "triggers.csv", kind = "artist_style"   (kind optional)
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb.errors import IngestError
from kb.schema import TriggerKind

SOURCE_KINDS = ("tagger", "tagcomplete", "vocab", "list")
DEFAULT_TAGGER_REPO = "SmilingWolf/wd-v1-4-convnext-tagger-v2"
TAGGER_FILE_NAME = "selected_tags.csv"


@dataclass(frozen=True)
class SourceSpec:
    """One source to ingest: a local file, or (taggers only) a Hub repository."""

    kind: str  # tagger | tagcomplete | vocab | list
    path: Path | None = None
    hub_repo: str | None = None
    revision: str | None = None
    list_kind: TriggerKind | None = None  # --kind for a list without a kind column
    registry_name: str | None = None  # the registry source this file is (ingest/registry.py), when known

    def describe(self) -> str:
        if self.hub_repo is not None:
            return f"hub:{self.hub_repo}@{self.revision or 'main'}"
        return str(self.path)


def parse_trigger_kind(text: str, where: str) -> TriggerKind:
    try:
        return TriggerKind(text)
    except ValueError:
        names = ", ".join(kind.value for kind in TriggerKind)
        raise IngestError(f"{where}: unknown kind {text!r} (expected one of {names})") from None


def tagger_spec_from_flag(value: str) -> SourceSpec:
    """`--tagger FILE`, `--tagger hub` (the default repository) or `--tagger hub:OWNER/NAME`."""
    if value == "hub":
        return SourceSpec("tagger", hub_repo=DEFAULT_TAGGER_REPO)
    if value.startswith("hub:"):
        repo = value.removeprefix("hub:")
        if repo.count("/") != 1 or not all(repo.split("/")):
            raise IngestError(f"--tagger {value}: expected hub:OWNER/NAME")
        return SourceSpec("tagger", hub_repo=repo)
    return SourceSpec("tagger", path=Path(value))


_ALLOWED_KEYS: dict[str, frozenset[str]] = {
    "tagger": frozenset({"path", "hub", "revision"}),
    "tagcomplete": frozenset({"path"}),
    "vocab": frozenset({"path"}),
    "list": frozenset({"path", "kind"}),
}


def _spec_from_table(kind: str, table: Any, config_path: Path, position: int) -> SourceSpec:
    where = f"{config_path}: [[{kind}]] #{position}"
    if not isinstance(table, dict):
        raise IngestError(f"{where}: expected a table")
    unknown = sorted(set(table) - _ALLOWED_KEYS[kind])
    if unknown:
        raise IngestError(f"{where}: unknown key(s) {', '.join(unknown)}")
    for key, value in table.items():
        if not isinstance(value, str) or not value:
            raise IngestError(f"{where}: `{key}` must be a non-empty string")
    if kind == "tagger" and "hub" in table:
        if "path" in table:
            raise IngestError(f"{where}: give either `path` or `hub`, not both")
        return SourceSpec("tagger", hub_repo=table["hub"], revision=table.get("revision"))
    if "revision" in table:
        raise IngestError(f"{where}: `revision` needs `hub`")
    if "path" not in table:
        raise IngestError(f"{where}: `path` is missing")
    list_kind = parse_trigger_kind(table["kind"], where) if "kind" in table else None
    return SourceSpec(kind, path=config_path.parent / table["path"], list_kind=list_kind)


def load_sources_config(config_path: Path) -> list[SourceSpec]:
    try:
        with config_path.open("rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError:
        raise IngestError(f"{config_path}: no such config file") from None
    except IsADirectoryError:
        raise IngestError(f"{config_path}: is a directory, not a config file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise IngestError(f"{config_path}: not valid TOML: {error}") from None
    unknown = sorted(set(document) - set(SOURCE_KINDS))
    if unknown:
        raise IngestError(
            f"{config_path}: unknown section(s) {', '.join(unknown)} (expected {', '.join(SOURCE_KINDS)})"
        )
    specs: list[SourceSpec] = []
    for kind in SOURCE_KINDS:
        tables = document.get(kind, [])
        if not isinstance(tables, list):
            raise IngestError(f"{config_path}: `{kind}` must be an array of tables ([[{kind}]])")
        specs.extend(
            _spec_from_table(kind, table, config_path, index) for index, table in enumerate(tables, 1)
        )
    return specs
