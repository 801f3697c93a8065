"""Which sources an `aidxl ingest --add` / `--fetch` reads: the catalog's current ones, the given
ones, and the registry's (fetched when missing), each source once.

`keep_current_sources` puts a given file in the place of the current source it replaces (the same
registry source, file or Hub file), so re-giving a file changes nothing; `plan_fetch` adds the
registry sources not given yet, downloading what is missing when the network allows
(ingest/fetch.py). Both only plan: the CLI says what they found, ingest/build.py builds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ingest.catalog_sources import catalog_sources
from ingest.fetch import (
    MIRROR_ENV,
    OFFLINE_DETAIL,
    Network,
    SourceStatus,
    fetch_registry,
    mirror_dir,
    sha256_of,
    spec_of,
)
from ingest.registry import identify_source, registry
from ingest.specs import SourceSpec


def registry_name_of(spec: SourceSpec) -> str | None:
    """The registry source a spec reads, when its file is a known copy of one."""
    if spec.registry_name is not None or spec.path is None or not spec.path.is_file():
        return spec.registry_name
    identified = identify_source(spec.kind, spec.path.name, sha256_of(spec.path))
    return identified.name if identified is not None else None


def _identity(spec: SourceSpec) -> set[object]:
    keys: set[object] = set()
    name = registry_name_of(spec)
    if name is not None:
        keys.add(("registry", name))
    if spec.path is not None:
        keys.add(("file", spec.path.resolve()))
    if spec.hub_repo is not None:
        keys.add(("hub", spec.kind, spec.hub_repo, spec.hub_file_name))
    return keys


def keep_current_sources(
    catalog_path: Path, given: list[SourceSpec]
) -> tuple[list[SourceSpec], tuple[str, ...]]:
    """The catalog's current sources with the given ones, and the current sources that cannot be
    read any more (their labels)."""
    current = catalog_sources(catalog_path)
    given_keys = [_identity(spec) for spec in given]
    placed: set[int] = set()
    merged: list[SourceSpec] = []
    for spec in current.specs:
        keys = _identity(spec)
        replacement = next((index for index, found in enumerate(given_keys) if found & keys), None)
        if replacement is None:
            merged.append(spec)
        elif replacement not in placed:
            placed.add(replacement)
            merged.append(given[replacement])
    merged.extend(spec for index, spec in enumerate(given) if index not in placed)
    return merged, current.gone


@dataclass(frozen=True)
class FetchPlan:
    specs: tuple[SourceSpec, ...]  # registry sources usable now, not given already
    downloaded: tuple[SourceStatus, ...]  # fetched by this run
    missing: tuple[SourceStatus, ...]  # not usable now: offline, not in the mirror, refused
    offline_reason: str | None

    @property
    def offline_line(self) -> str:
        """Why nothing (more) was downloaded."""
        mirror = mirror_dir()
        if mirror is not None:
            return f"the mirror {mirror} ({MIRROR_ENV}) is used instead of the network"
        return f"offline: {self.offline_reason}"


def plan_fetch(already_given: list[SourceSpec]) -> FetchPlan:
    """Every registry source not given already: its usable copy (cache, mirror, or a download when
    the network allows), or why it is missing."""
    given_paths = {spec.path.resolve() for spec in already_given if spec.path is not None}
    given_names = {name for spec in already_given if (name := registry_name_of(spec)) is not None}
    wanted = tuple(source for source in registry() if source.name not in given_names)
    network = Network.from_environment()
    specs: list[SourceSpec] = []
    downloaded: list[SourceStatus] = []
    missing: list[SourceStatus] = []
    for outcome in fetch_registry(wanted, network):
        status = outcome.status
        if outcome.downloaded:
            downloaded.append(status)
        if status.path is None:
            missing.append(status)
        elif status.path.resolve() not in given_paths:
            specs.append(spec_of(status))
    return FetchPlan(tuple(specs), tuple(downloaded), tuple(missing), network.offline_reason)


def missing_line(status: SourceStatus, *, offline: bool) -> str:
    """`missing NAME (why): add it with ...` for a source a fetch could not get."""
    source = status.source
    how = f"`aidxl ingest --add {source.flag}`"
    if source.downloadable and offline:
        how = f"`aidxl ingest --fetch` when online, or {how}"
    detail = "" if status.detail == OFFLINE_DETAIL else f" ({status.detail})"
    return f"missing {source.name}{detail}: add it with {how}"
