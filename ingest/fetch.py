"""Getting the registry's sources: a mirror folder, the download cache, or the network.

- URL sources download with `pooch` into `<cache dir>/sources/` (checksum-verified; an interrupted
  download resumes from its `.part` file through an HTTP Range request; a progress bar on a terminal).
- Hub sources go through `huggingface_hub` and its own cache (offline mode honoured).
- `AIDXL_SOURCE_MIRROR=DIR` names a folder holding the files under their registry `file` names
  (the names used in ../shared/data); it is used instead of the network, never beside it.
- Offline is known at once: `HF_HUB_OFFLINE=1`, or the first host that cannot be reached (one
  short connection attempt, no retries); after that nothing else tries the network.

`pooch`, `requests` and `huggingface_hub` are imported inside the functions that use them.
"""

from __future__ import annotations

import hashlib
import os
import socket
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from ingest.registry import RegisteredSource
from ingest.specs import SourceSpec
from kb.errors import IngestError
from kb.paths import cache_dir

MIRROR_ENV = "AIDXL_SOURCE_MIRROR"
HUB_ENDPOINT = "https://huggingface.co"
CONNECT_TIMEOUT_SECONDS = 5.0
READ_TIMEOUT_SECONDS = 60.0
_CHUNK_BYTES = 1 << 16
OFFLINE_DETAIL = "offline"  # the detail of a source not fetched because the network is unreachable


class SourceState(StrEnum):
    CACHED = "cached"  # in the download cache (or the Hub cache), checksum right
    LOCAL = "local path"  # in the mirror folder, checksum right
    MISSING = "missing"
    BAD_CHECKSUM = "bad checksum"


@dataclass(frozen=True)
class SourceStatus:
    source: RegisteredSource
    state: SourceState
    path: Path | None  # the file to read, when there is a good one
    detail: str  # one line for people: where it is, or why it is not usable


def sources_cache_dir() -> Path:
    return cache_dir() / "sources"


def mirror_dir() -> Path | None:
    """The mirror folder `AIDXL_SOURCE_MIRROR` names; a name that is not a folder is an error."""
    configured = os.environ.get(MIRROR_ENV)
    if not configured:
        return None
    folder = Path(configured)
    if not folder.is_dir():
        raise IngestError(f"{MIRROR_ENV}={configured}: no such folder (it names the folder of source files)")
    return folder


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _checked(source: RegisteredSource, path: Path, good: SourceState) -> SourceStatus:
    if source.sha256 is not None:
        found = sha256_of(path)
        if found != source.sha256:
            return SourceStatus(
                source,
                SourceState.BAD_CHECKSUM,
                None,
                f"{path}: sha256 {found[:12]}…, expected {source.sha256[:12]}…",
            )
    return SourceStatus(source, good, path, str(path))


def _hub_cached_path(source: RegisteredSource) -> Path | None:
    from huggingface_hub import try_to_load_from_cache

    assert source.hub is not None
    found = try_to_load_from_cache(source.hub.repo, source.hub.file, revision=source.hub.revision)
    return Path(found) if isinstance(found, str) else None


def source_status(source: RegisteredSource) -> SourceStatus:
    """Where a usable copy of `source` is right now, without touching the network."""
    mirror = mirror_dir()
    if mirror is not None:
        mirrored = mirror / source.file_name
        if mirrored.is_file():
            return _checked(source, mirrored, SourceState.LOCAL)
    if source.url is not None:
        cached = sources_cache_dir() / source.file_name
        if cached.is_file():
            return _checked(source, cached, SourceState.CACHED)
    if source.hub is not None:
        hub_path = _hub_cached_path(source)
        if hub_path is not None:
            return _checked(source, hub_path, SourceState.CACHED)
    where = f"not in the mirror {mirror}" if mirror is not None else "not downloaded yet"
    if not source.downloadable:
        where = "no public download: " + (
            f"not in the mirror {mirror}" if mirror is not None else f"set {MIRROR_ENV} or use {source.flag}"
        )
    return SourceStatus(source, SourceState.MISSING, None, where)


@dataclass
class Network:
    """Whether downloads may be tried: decided once per run, at the first sign of being offline."""

    offline_reason: str | None = None
    _reachable: set[tuple[str, int]] = field(default_factory=set)

    @classmethod
    def from_environment(cls) -> Network:
        if mirror_dir() is not None:
            return cls(f"{MIRROR_ENV} is set: the mirror is used instead of the network")
        if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}:
            return cls("HF_HUB_OFFLINE is set")
        return cls()

    def reachable(self, url: str) -> bool:
        """One short connection attempt per host; the first failure makes the whole run offline."""
        if self.offline_reason is not None:
            return False
        parts = urlsplit(url)
        host = parts.hostname or ""
        address = (host, parts.port or (80 if parts.scheme == "http" else 443))
        if address in self._reachable:
            return True
        try:
            with socket.create_connection(address, timeout=CONNECT_TIMEOUT_SECONDS):
                pass
        except OSError as error:
            reason = error.strerror or str(error) or type(error).__name__
            self.offline_reason = f"cannot reach {host} ({reason})"
            return False
        self._reachable.add(address)
        return True


@dataclass(frozen=True)
class FetchOutcome:
    status: SourceStatus
    downloaded: bool


# progress(label, total bytes or None) -> a context manager yielding advance(bytes)
ProgressFactory = Callable[[str, int | None], AbstractContextManager[Callable[[int], None]]]


@contextmanager
def terminal_progress(label: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A download bar on stderr (rich), only when stderr is a terminal."""
    if not sys.stderr.isatty():
        yield lambda advance: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(label, total=total)
        yield lambda advance: progress.advance(task, advance)


class ResumableDownloader:
    """A pooch downloader that keeps a `.part` file and resumes it with an HTTP Range request.

    Pooch hands it a temporary output name, checks the checksum of what it wrote and moves it
    into the cache; a download cut short leaves the `.part` file for the next attempt.
    """

    def __init__(
        self,
        part_path: Path,
        label: str,
        progress: ProgressFactory = terminal_progress,
    ) -> None:
        self.part_path = part_path
        self.label = label
        self.progress = progress

    def __call__(self, url: str, output_file: str, pooch: object) -> None:
        import requests

        start = self.part_path.stat().st_size if self.part_path.is_file() else 0
        headers = {"Range": f"bytes={start}-"} if start else {}
        timeout = (CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS)
        response = requests.get(url, headers=headers, stream=True, timeout=timeout)
        try:
            if response.status_code == 416:  # the part is not a prefix of the file any more
                response.close()
                self.part_path.unlink(missing_ok=True)
                start = 0
                response = requests.get(url, stream=True, timeout=timeout)
            response.raise_for_status()
            resumed = response.status_code == 206
            length = response.headers.get("Content-Length")
            total = int(length) + (start if resumed else 0) if length and length.isdigit() else None
            self.part_path.parent.mkdir(parents=True, exist_ok=True)
            mode = "ab" if resumed else "wb"
            with self.progress(self.label, total) as advance, self.part_path.open(mode) as out:
                if resumed:
                    advance(start)
                for chunk in response.iter_content(_CHUNK_BYTES):
                    out.write(chunk)
                    advance(len(chunk))
        finally:
            response.close()
        os.replace(self.part_path, output_file)


def _download_url(source: RegisteredSource, progress: ProgressFactory) -> Path:
    import pooch

    assert source.url is not None
    pooch.get_logger().setLevel("WARNING")  # our own line says what is downloaded
    folder = sources_cache_dir()
    downloader = ResumableDownloader(folder / f"{source.file_name}.part", source.name, progress)
    known_hash = f"sha256:{source.sha256}" if source.sha256 else None
    return Path(
        pooch.retrieve(source.url, known_hash, fname=source.file_name, path=folder, downloader=downloader)
    )


def _download_hub(source: RegisteredSource) -> Path:
    from huggingface_hub import hf_hub_download
    from huggingface_hub.utils.tqdm import disable_progress_bars

    assert source.hub is not None
    if not sys.stderr.isatty():
        disable_progress_bars()
    return Path(hf_hub_download(source.hub.repo, source.hub.file, revision=source.hub.revision))


def fetch_source(
    source: RegisteredSource,
    network: Network,
    *,
    progress: ProgressFactory = terminal_progress,
) -> FetchOutcome:
    """A usable copy of `source`: the mirror or a cache when there is one, else a download when the
    network allows; a MISSING status with the reason otherwise (offline, a refused download).
    Raises IngestError only when a download arrives with the wrong checksum."""
    status = source_status(source)
    if status.state in (SourceState.LOCAL, SourceState.CACHED):
        return FetchOutcome(status, False)
    if status.state is SourceState.BAD_CHECKSUM and mirror_dir() is not None:
        return FetchOutcome(status, False)  # a mirror is never "repaired" from the network
    if not source.downloadable:
        return FetchOutcome(status, False)
    if not network.reachable(source.url if source.url is not None else hub_endpoint()):
        return FetchOutcome(SourceStatus(source, SourceState.MISSING, None, OFFLINE_DETAIL), False)
    try:
        path = _download_url(source, progress) if source.url is not None else _download_hub(source)
    except ValueError as error:  # pooch: the checksum of what arrived is wrong
        raise IngestError(f"{source.name}: downloaded {source.location} but {error}") from None
    except Exception as error:  # requests/httpx errors are OSErrors; huggingface_hub's own errors too
        if isinstance(error, OSError) and _is_connection_error(error):
            network.offline_reason = f"lost the connection while downloading {source.name} ({error})"
            return FetchOutcome(SourceStatus(source, SourceState.MISSING, None, OFFLINE_DETAIL), False)
        detail = f"cannot download {source.location}: {_one_line(error)}"
        return FetchOutcome(SourceStatus(source, SourceState.MISSING, None, detail), False)
    checked = _checked(source, path, SourceState.CACHED)
    if checked.state is SourceState.BAD_CHECKSUM:
        raise IngestError(f"{source.name}: downloaded file has the wrong checksum: {checked.detail}")
    return FetchOutcome(checked, True)


def hub_endpoint() -> str:
    """The Hub's address (HF_ENDPOINT when set)."""
    return os.environ.get("HF_ENDPOINT") or HUB_ENDPOINT


def _is_connection_error(error: OSError) -> bool:
    import requests

    return isinstance(error, (requests.ConnectionError, requests.Timeout, ConnectionError, TimeoutError))


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text[:200] if text else type(error).__name__


def fetch_registry(
    sources: tuple[RegisteredSource, ...],
    network: Network,
    *,
    progress: ProgressFactory = terminal_progress,
) -> list[FetchOutcome]:
    """`fetch_source` for each registry source, in registry order (the order they are ingested)."""
    return [fetch_source(source, network, progress=progress) for source in sources]


def spec_of(status: SourceStatus) -> SourceSpec:
    """The ingest spec reading a usable fetched source."""
    if status.path is None:
        raise IngestError(f"{status.source.name}: no usable copy ({status.detail})")
    source = status.source
    return SourceSpec(source.feeds, path=status.path, list_kind=source.list_kind, registry_name=source.name)
