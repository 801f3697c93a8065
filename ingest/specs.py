"""Which sources an ingest reads: from `sources.toml` and from command-line flags.

Config format (paths relative to the config file; every section may repeat):

    [[tagger]]       path = "selected_tags.csv"
    [[tagger]]       hub = "SmilingWolf/wd-v1-4-convnext-tagger-v2", revision = "main"   (revision optional)
    [[tagcomplete]]  path = "danbooru.csv"
    [[vocab]]        path = "custom_tags.json"
    [[list]]         path = "triggers.csv", kind = "artist_style"   (kind optional)
    [[implications]] path = "tag_implications.json"
    [[priorities]]   path = "tag_priorities.json"
    [[aliases]]      path = "tag_aliases.json"
    [[chants]]       path = "noob_characters-chants.json"
    [[triggers]]     hub = "Eugeoter/anime_illust_diffusion_xl:references/artist.csv"

Any section takes `hub = "OWNER/NAME:FILE"` (+ optional `revision`) instead of `path`: the file is
read through the Hugging Face cache (ingest/hub.py). `tagger` and `triggers` have a default file, so
`hub = "OWNER/NAME"` is enough for them.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ingest.controlchars import control_character_problem
from kb.errors import IngestError
from kb.schema import TriggerKind

SOURCE_KINDS = (
    "tagger",
    "tagcomplete",
    "vocab",
    "list",
    "implications",
    "priorities",
    "aliases",
    "chants",
    "triggers",
)
DEFAULT_TAGGER_REPO = "SmilingWolf/wd-v1-4-convnext-tagger-v2"
TAGGER_FILE_NAME = "selected_tags.csv"
# The model's own trigger list (PROVENANCE.md §11): `aidxl ingest --triggers hub`.
DEFAULT_TRIGGERS_REPO = "Eugeoter/anime_illust_diffusion_xl"
TRIGGERS_FILE_NAME = "references/artist.csv"
# What `--KIND hub` reads, and the file a hub source that names only its repository reads.
DEFAULT_HUB_REPOS: dict[str, str] = {"tagger": DEFAULT_TAGGER_REPO, "triggers": DEFAULT_TRIGGERS_REPO}
DEFAULT_HUB_FILES: dict[str, str] = {"tagger": TAGGER_FILE_NAME, "triggers": TRIGGERS_FILE_NAME}


@dataclass(frozen=True)
class SourceSpec:
    """One source to ingest: a local file, or a file of a Hugging Face Hub repository."""

    kind: str  # one of SOURCE_KINDS
    path: Path | None = None
    hub_repo: str | None = None
    revision: str | None = None
    list_kind: TriggerKind | None = None  # --kind for a list without a kind column
    hub_file: str | None = None  # file in the Hub repository; None: the kind's default file
    registry_name: str | None = None  # the registry source this file is (ingest/registry.py), when known

    @property
    def hub_file_name(self) -> str:
        """The file a Hub source reads (its own, else the kind's default)."""
        file_name = self.hub_file or DEFAULT_HUB_FILES.get(self.kind)
        assert file_name is not None, f"a {self.kind} hub source needs a file name"
        return file_name

    def describe(self) -> str:
        if self.hub_repo is not None:
            return f"hub:{self.hub_repo}@{self.revision or 'main'}/{self.hub_file_name}"
        return str(self.path)


def parse_trigger_kind(text: str, where: str) -> TriggerKind:
    try:
        return TriggerKind(text)
    except ValueError:
        names = ", ".join(kind.value for kind in TriggerKind)
        raise IngestError(f"{where}: unknown kind {text!r} (expected one of {names})") from None


def _split_hub_value(kind: str, value: str, where: str) -> tuple[str, str | None]:
    """`OWNER/NAME` or `OWNER/NAME:FILE` → (repository, file or None for the kind's default)."""
    repo, _, file_name = value.partition(":")
    has_default = kind in DEFAULT_HUB_FILES
    expected = "hub:OWNER/NAME or hub:OWNER/NAME:FILE" if has_default else "hub:OWNER/NAME:FILE"
    if repo.count("/") != 1 or not all(repo.split("/")) or (":" in value and not file_name):
        raise IngestError(f"{where}: expected {expected}")
    if not file_name and not has_default:
        raise IngestError(f"{where}: expected {expected} (a {kind} source has no default file)")
    return repo, file_name or None


def source_spec_from_flag(kind: str, value: str) -> SourceSpec:
    """`--KIND FILE`, `--KIND hub` (tagger, triggers: the default repository and file),
    `--KIND hub:OWNER/NAME` (tagger, triggers: the default file) or `--KIND hub:OWNER/NAME:FILE`."""
    where = f"--{kind} {value}"
    if value == "hub":
        if kind not in DEFAULT_HUB_REPOS:
            raise IngestError(f"{where}: no default Hub repository for {kind}; give hub:OWNER/NAME:FILE")
        return SourceSpec(kind, hub_repo=DEFAULT_HUB_REPOS[kind])
    if value.startswith("hub:"):
        repo, file_name = _split_hub_value(kind, value.removeprefix("hub:"), where)
        return SourceSpec(kind, hub_repo=repo, hub_file=file_name)
    return SourceSpec(kind, path=Path(value))


def with_revision(spec: SourceSpec, revision: str) -> SourceSpec:
    return replace(spec, revision=revision)


_COMMON_KEYS = frozenset({"path", "hub", "revision"})
_ALLOWED_KEYS: dict[str, frozenset[str]] = {kind: _COMMON_KEYS for kind in SOURCE_KINDS} | {
    "list": _COMMON_KEYS | {"kind"}
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
        control = control_character_problem(value, f"`{key}`")
        if control:  # a NUL in a path is no file name at all
            raise IngestError(f"{where}: {control}")
    list_kind = parse_trigger_kind(table["kind"], where) if "kind" in table else None
    if "hub" in table:
        if "path" in table:
            raise IngestError(f"{where}: give either `path` or `hub`, not both")
        repo, file_name = _split_hub_value(kind, table["hub"], f"{where}: hub = {table['hub']!r}")
        return SourceSpec(
            kind, hub_repo=repo, hub_file=file_name, revision=table.get("revision"), list_kind=list_kind
        )
    if "revision" in table:
        raise IngestError(f"{where}: `revision` needs `hub`")
    if "path" not in table:
        raise IngestError(f"{where}: `path` is missing")
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
