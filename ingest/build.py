"""`aidxl ingest` as a library call: read every source, build the catalog atomically, report.

Order of work: lock → clean stale temp files → hash the sources → skip when nothing changed →
read and check every file (all problems of all files) → write a temp catalog → reopen and check
it → rename it over the target. Any failure before the rename leaves the old catalog untouched.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb

from ingest.aliasfile import AliasRows, read_aliases_file
from ingest.atomic import build_lock, commit_temp, remove_stale_temp_files, remove_temp, temp_path
from ingest.author_links import AuthorName, AuthorVocabulary
from ingest.chants import ChantRows, read_chants_file
from ingest.hub import fetch_hub_file
from ingest.implications import ImplicationRows, read_implications_file
from ingest.priorities import PriorityRows, read_priorities_file
from ingest.problems import Problem, SourceFileError
from ingest.progress import Progress
from ingest.registry import identify_source
from ingest.specs import SourceSpec
from ingest.tagcomplete import read_tagcomplete_file
from ingest.tagger import read_tagger_file
from ingest.tagrows import TagRows
from ingest.textfile import file_sha256
from ingest.triggerlist import read_trigger_list_file
from ingest.triggerrows import TriggerEntry, TriggerRows
from ingest.userlist import read_list_file
from ingest.vocab import VocabRows, read_vocab_file
from ingest.writer import AuthorTables, CatalogCounts, SourceRecord, count_rows, write_catalog
from kb.catalog import is_damage_error, open_catalog
from kb.catalog_digest import (
    CatalogDigest,
    check_catalog_content,
    digest_of,
    digest_path,
    digest_text,
    read_every_block,
)
from kb.errors import CatalogError, DamagedCatalogError, IngestError, OutputPathError
from kb.knowledge.curated import (
    CURATED_DIR,
    TRIGGER_FILES,
    CuratedTrigger,
    curated_fingerprint,
    load_curated_triggers,
)
from kb.outpath import atomic_write_bytes, os_reason, resolve_output_file
from kb.schema import SCHEMA_VERSION

# Bump when the build rules change without a schema change: old catalogs then count as stale.
BUILD_RULES_VERSION = 4  # 3: control characters, number ranges, duplicate tag_ids refused
# 4: a character takes the copyright its aliases name; another series' author form is a variant
# What one source file reads into.
SourceRows = TagRows | TriggerRows | ImplicationRows | PriorityRows | AliasRows | ChantRows
# Test hook: when set, the build stops after writing the temp file and before the rename, says so
# on stderr and waits for a signal (tests kill it there to prove the old catalog survives).
PAUSE_BEFORE_COMMIT_ENV = "AIDXL_INGEST_PAUSE_BEFORE_COMMIT"


@dataclass(frozen=True)
class SourceReport:
    kind: str
    location: str
    file_name: str
    rows: int
    skipped: int
    problems: tuple[Problem, ...]  # the skipped rows' problems (with --skip-bad)
    notes: tuple[str, ...] = ()  # what linking found: aliases whose tag is unknown, chants linked


@dataclass(frozen=True)
class IngestResult:
    catalog_path: Path
    rebuilt: bool  # False: the sources were unchanged and the catalog was kept
    sources: tuple[SourceReport, ...]
    counts: CatalogCounts
    removed_temp_files: tuple[Path, ...]
    seconds: float
    repaired: str | None = None  # rebuilt because the catalog there was damaged: how it was


@dataclass(frozen=True)
class _ResolvedSource:
    spec: SourceSpec
    path: Path
    location: str
    sha256: str
    registry_name: str | None  # the registry source this file is a copy of, if any


def _resolve(specs: Sequence[SourceSpec]) -> list[_ResolvedSource]:
    """Fetch Hub files and hash every file; all missing or unreadable files are reported at once."""
    resolved: list[_ResolvedSource] = []
    problems: list[Problem] = []
    seen: dict[tuple[str, str], SourceSpec] = {}
    for spec in specs:
        hub: tuple[str, str] | None = None
        if spec.hub_repo is not None:
            hub_file = fetch_hub_file(spec.hub_repo, spec.hub_file_name, spec.revision, spec.kind)
            path, location = hub_file.path, hub_file.location
            hub = (spec.hub_repo, spec.hub_file_name)
        else:
            assert spec.path is not None
            path = spec.path.resolve()
            location = str(path)
        key = (spec.kind, location)
        if key in seen:
            raise IngestError(f"{location}: given twice as a {spec.kind} source")
        seen[key] = spec
        try:
            sha256 = file_sha256(path)
        except SourceFileError as error:
            problems.extend(error.problems)
            continue
        registry_name = spec.registry_name
        if registry_name is None:
            identified = identify_source(spec.kind, path.name, sha256, hub)
            registry_name = identified.name if identified is not None else None
        resolved.append(_ResolvedSource(spec, path, location, sha256, registry_name))
    if problems:
        raise SourceFileError(problems)
    return resolved


def _fingerprint(sources: Sequence[_ResolvedSource], skip_bad: bool, curated_dir: Path) -> str:
    described = [
        [source.spec.kind, source.location, source.sha256, source.spec.list_kind, source.registry_name]
        for source in sources
    ]
    document = {
        "schema": SCHEMA_VERSION,
        "rules": BUILD_RULES_VERSION,
        "skip_bad": skip_bad,
        "sources": described,
        "curated": curated_fingerprint(curated_dir),
    }
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class _StoredCatalog:
    fingerprint: str | None  # None: nothing worth keeping (missing, another version, damaged)
    damaged: str | None = None  # why the catalog there cannot be trusted
    needs_record: bool = False  # verified by a full read, but without a digest record yet


def _stored_catalog(target: Path, wanted: str) -> _StoredCatalog:
    """The fingerprint of the catalog at `target`; when it is the `wanted` one, only after the content
    check (kb.catalog_digest) passed: the whole file hashed against its record, or, without a record,
    every block read by DuckDB. A catalog that will be rebuilt anyway is not checked."""
    if not target.is_file():
        return _StoredCatalog(None)
    try:
        connection = open_catalog(target)
    except DamagedCatalogError as error:
        return _StoredCatalog(None, damaged=error.reason)
    except CatalogError:
        return _StoredCatalog(None)  # not a catalog of this version: rebuilt without a word, as ever
    try:
        row = connection.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()
        stored = str(row[0]) if row else None
        if stored != wanted:
            return _StoredCatalog(stored)
        content = check_catalog_content(target, full=True)
        if content.damaged is not None:
            return _StoredCatalog(None, damaged=content.damaged)
        if not content.recorded:
            read_every_block(connection)
    except duckdb.Error as error:
        if is_damage_error(error):
            return _StoredCatalog(None, damaged=str(error).strip().splitlines()[0])
        return _StoredCatalog(None)
    finally:
        connection.close()
    # Without a record, or with one whose time is stale (same bytes, touched by a copy): record it now,
    # so readers go back to comparing times instead of hashing at every open.
    return _StoredCatalog(stored, needs_record=not content.recorded or content.time_changed)


def _record_digest(target: Path, digest: CatalogDigest) -> None:
    """Write the digest record beside the catalog; a failure (disk full) leaves no record, which only
    makes the next ingest check by a full read."""
    try:
        atomic_write_bytes(digest_path(target), digest_text(digest).encode("utf-8"), what="catalog digest")
    except OutputPathError:
        digest_path(target).unlink(missing_ok=True)


def _commit(temp: Path, target: Path) -> None:
    """Rename the checked temp catalog over the target and record its digest. The old record goes
    first: a crash between the steps leaves a catalog without a record (checked by a full read next
    time), never a record that does not match."""
    digest = digest_of(temp)
    digest_path(target).unlink(missing_ok=True)
    commit_temp(temp, target)
    _record_digest(target, digest)


def _read_source(source: _ResolvedSource) -> SourceRows:
    kind = source.spec.kind
    if kind == "tagger":
        return read_tagger_file(source.path)
    if kind == "tagcomplete":
        return read_tagcomplete_file(source.path)
    if kind == "vocab":
        return read_vocab_file(source.path)
    if kind == "list":
        return read_list_file(source.path, source.spec.list_kind)
    if kind == "implications":
        return read_implications_file(source.path)
    if kind == "priorities":
        return read_priorities_file(source.path)
    if kind == "aliases":
        return read_aliases_file(source.path)
    if kind == "chants":
        return read_chants_file(source.path)
    if kind == "triggers":
        return read_trigger_list_file(source.path)
    raise IngestError(f"{source.location}: unknown source kind {kind!r}")


def _pause_for_tests(temp: Path) -> None:
    if os.environ.get(PAUSE_BEFORE_COMMIT_ENV):
        print(f"aidxl ingest: paused before commit, temp catalog {temp}", file=sys.stderr, flush=True)
        signal.pause()


def _check_built(temp: Path, expected: CatalogCounts) -> None:
    connection = open_catalog(temp)  # also checks the schema version
    try:
        found = count_rows(connection)
    finally:
        connection.close()
    if found != expected:
        raise IngestError(f"{temp}: the built catalog does not read back as written ({found} != {expected})")


def ingest_catalog(
    specs: Sequence[SourceSpec],
    catalog_path: Path,
    *,
    skip_bad: bool = False,
    progress: Progress | None = None,
    curated_dir: Path = CURATED_DIR,
    allow_curated_only: bool = False,
) -> IngestResult:
    """Build the catalog at `catalog_path` from `specs` and the curated lists (kept when nothing changed).

    With no specs it refuses (a forgotten --config), unless `allow_curated_only` (`--fetch` found
    nothing: offline on a bare machine): then the catalog holds the curated lists alone.
    """
    started = time.perf_counter()
    if not specs and not allow_curated_only:
        raise IngestError(
            "no sources: give --config FILE (e.g. sources.toml) or --tagger / --tagcomplete / --vocab / "
            "--list / --implications / --priorities / --aliases / --chants / --triggers"
        )
    # Every file name below is the catalog's real one (symlinks followed): a build through a link
    # and one through the real name take the same lock; a directory, FIFO or device there is refused.
    target = resolve_output_file(catalog_path, what="catalog")
    progress = progress if progress is not None else Progress()
    progress.begin(len(specs) + 3)  # stages: hashing, reading each source, writing, checking
    with progress, build_lock(target):
        removed = tuple(remove_stale_temp_files(target))
        progress.step("hashing sources")
        resolved = _resolve(specs)
        fingerprint = _fingerprint(resolved, skip_bad, curated_dir)
        stored = _stored_catalog(target, fingerprint)
        if stored.fingerprint == fingerprint:
            connection = open_catalog(target)
            try:
                counts = count_rows(connection)
                stored_reports = _stored_reports(connection)
            finally:
                connection.close()
            if stored.needs_record:
                _record_digest(target, digest_of(target))
            return IngestResult(
                catalog_path, False, stored_reports, counts, removed, time.perf_counter() - started
            )

        # Parsing allocates millions of small objects; the cyclic GC only slows that down.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            read: list[tuple[_ResolvedSource, SourceRows]] = []
            file_problems: list[Problem] = []
            row_problems: list[Problem] = []
            for source in resolved:
                progress.step(f"reading {source.path.name}")
                try:
                    rows = _read_source(source)
                except SourceFileError as error:
                    file_problems.extend(error.problems)
                    continue
                read.append((source, rows))
                if not skip_bad:
                    row_problems.extend(rows.problems)
            if file_problems or row_problems:
                hint = "nothing was written; the catalog is unchanged."
                if row_problems:
                    hint += " Fix the file(s), or pass --skip-bad to ingest the good rows."
                raise SourceFileError([*file_problems, *row_problems], hint=hint)
            curated = load_curated_triggers(curated_dir)
            records, tag_sources, verified, author, author_tables, reports = _plan(read, curated, curated_dir)
            temp = temp_path(target)
            try:
                progress.step("writing the catalog")
                written = write_catalog(
                    temp, records, tag_sources, verified, fingerprint, author, author_tables
                )
                counts = written.counts
                reports = [
                    replace(report, notes=written.link_notes.get(record.source_id, ()))
                    for record, report in zip(records, reports, strict=True)
                ]
                _pause_for_tests(temp)
                progress.step("checking the catalog")
                _check_built(temp, counts)
                _commit(temp, target)
            except (OSError, duckdb.Error) as error:
                remove_temp(temp)
                if isinstance(error, OSError):
                    reason = os_reason(error)
                else:
                    found = _duckdb_write_failure(error)
                    if found is None:
                        raise
                    reason = found
                raise IngestError(
                    f"{catalog_path}: cannot write the catalog: {reason}; the catalog is unchanged"
                ) from error
            except BaseException:
                remove_temp(temp)
                raise
        finally:
            if gc_was_enabled:
                gc.enable()
    return IngestResult(
        catalog_path,
        True,
        tuple(reports),
        counts,
        removed,
        time.perf_counter() - started,
        repaired=stored.damaged,
    )


_WRITE_FAILURES = (
    "No space left on device",
    "File too large",
    "Permission denied",
    "Read-only file system",
    "Disk quota exceeded",
)


def _duckdb_write_failure(error: duckdb.Error) -> str | None:
    """The reason of a DuckDB error that says the temp catalog could not be written (disk full, a
    file size limit, a read-only folder), without DuckDB's prefix and path; None for any other."""
    text = str(error)
    found = next((known for known in _WRITE_FAILURES if known in text), None)
    if found is None and isinstance(error, duckdb.IOException):
        return text.strip().splitlines()[0] if text.strip() else type(error).__name__
    if found == "File too large":
        return "file too large (the file size limit or the disk is full)"
    return found


def _plan(
    read: Sequence[tuple[_ResolvedSource, SourceRows]],
    curated: Sequence[CuratedTrigger],
    curated_dir: Path,
) -> tuple[
    list[SourceRecord],
    list[tuple[int, TagRows]],
    list[tuple[int, TriggerEntry]],
    AuthorVocabulary,
    AuthorTables,
    list[SourceReport],
]:
    """Source ids (curated files first, then the given sources in order) and what each contributes."""
    records: list[SourceRecord] = []
    reports: list[SourceReport] = []
    tag_sources: list[tuple[int, TagRows]] = []
    verified: list[tuple[int, TriggerEntry]] = []
    implications: list[tuple[int, ImplicationRows]] = []
    priorities: list[tuple[int, PriorityRows]] = []
    aliases: list[tuple[int, AliasRows]] = []
    chants: list[tuple[int, ChantRows]] = []
    author_artists: list[AuthorName] = []
    author_characters: list[AuthorName] = []
    for file_name in TRIGGER_FILES:
        source_id = len(records) + 1
        path = curated_dir / file_name
        entries = [trigger for trigger in curated if trigger.file_name == file_name]
        records.append(
            SourceRecord(source_id, "curated", None, str(path), file_name, file_sha256(path), len(entries), 0)
        )
        reports.append(SourceReport("curated", str(path), file_name, len(entries), 0, ()))
        verified.extend(
            (
                source_id,
                TriggerEntry(
                    None,
                    trigger.text,
                    trigger.kind,
                    trigger.description,
                    trigger.source_note,
                    trigger.danbooru_tag,
                    trigger.rank,
                ),
            )
            for trigger in entries
        )
    for source, rows in read:
        source_id = len(records) + 1
        skipped = len(rows.problems)
        file_name = source.path.name
        records.append(
            SourceRecord(
                source_id,
                source.spec.kind,
                source.registry_name,
                source.location,
                file_name,
                source.sha256,
                len(rows),
                skipped,
                source.spec.list_kind.value if source.spec.list_kind is not None else None,
            )
        )
        reports.append(
            SourceReport(
                source.spec.kind, source.location, file_name, len(rows), skipped, tuple(rows.problems)
            )
        )
        if isinstance(rows, TagRows):
            tag_sources.append((source_id, rows))
        elif isinstance(rows, TriggerRows):
            verified.extend((source_id, entry) for entry in rows.entries)
            if isinstance(rows, VocabRows):
                author_artists.extend(AuthorName(source_id, name) for name in rows.author_artists.names)
                author_characters.extend(AuthorName(source_id, name) for name in rows.author_characters.names)
        elif isinstance(rows, ImplicationRows):
            implications.append((source_id, rows))
        elif isinstance(rows, PriorityRows):
            priorities.append((source_id, rows))
        elif isinstance(rows, AliasRows):
            aliases.append((source_id, rows))
        else:
            chants.append((source_id, rows))
    author = AuthorVocabulary(tuple(author_artists), tuple(author_characters))
    author_tables = AuthorTables(implications, priorities, aliases, chants)
    return records, tag_sources, verified, author, author_tables, reports


def _stored_reports(connection: duckdb.DuckDBPyConnection) -> tuple[SourceReport, ...]:
    rows = connection.execute(
        "SELECT kind, location, file_name, rows, skipped FROM sources ORDER BY source_id"
    ).fetchall()
    return tuple(
        SourceReport(kind, location, name, count, skipped, ())
        for kind, location, name, count, skipped in rows
    )
