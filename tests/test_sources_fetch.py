"""The source registry, `aidxl sources` and the download path of `aidxl ingest --fetch`.

URL downloads run against a real HTTP server on localhost (with Range support, like the real
hosts); the mirror folder is ../shared/data itself. Nothing here reaches the network.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ingest.fetch import (
    MIRROR_ENV,
    Network,
    ResumableDownloader,
    SourceState,
    fetch_source,
    source_status,
    sources_cache_dir,
)
from ingest.registry import RegisteredSource, identify_source, load_registry, registered_source, registry
from kb.errors import IngestError

REPO_ROOT = Path(__file__).resolve().parents[1]


def run_aidxl(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *args], capture_output=True, text=True, cwd=REPO_ROOT, env=env
    )


# --- the registry itself ---------------------------------------------------------------------------


def test_every_registered_source_is_complete_and_unique() -> None:
    sources = registry()
    assert len({source.name for source in sources}) == len(sources)
    assert len({source.file_name for source in sources}) == len(sources)
    for source in sources:
        assert source.license and source.flag.startswith("--")
        if source.url is not None:
            # pinned to a commit: the download can never change under the checksum
            assert re.search(r"/[0-9a-f]{40}/", source.url), source.url
            assert source.sha256 is not None, f"{source.name}: a pinned URL has fixed content"


def test_the_issue_names_are_registered() -> None:
    assert registered_source("wd14-tagger").hub is not None
    assert registered_source("wd14-tagger").hub.repo == "SmilingWolf/wd-v1-4-convnext-tagger-v2"  # type: ignore[union-attr]
    trigger_list = registered_source("aidxl-trigger-list")
    assert trigger_list.hub is not None
    assert (trigger_list.hub.repo, trigger_list.hub.file) == (
        "Eugeoter/anime_illust_diffusion_xl",
        "references/artist.csv",
    )
    assert {source.feeds for source in registry()} >= {
        "tagger",
        "tagcomplete",
        "vocab",
        "implications",
        "aliases",
        "priorities",
        "chants",
        "triggers",
    }


def test_the_registry_is_in_ingest_order() -> None:
    from ingest.specs import SOURCE_KINDS

    positions = [SOURCE_KINDS.index(source.feeds) for source in registry()]
    assert positions == sorted(positions)


def test_fixed_checksums_match_the_shared_copies(shared_data: Path) -> None:
    for source in registry():
        copy = shared_data / source.file_name
        if source.sha256 is None or not copy.is_file():
            continue
        assert hashlib.sha256(copy.read_bytes()).hexdigest() == source.sha256, source.name


def test_a_malformed_registry_is_refused_with_the_entry(tmp_path: Path) -> None:
    bad = tmp_path / "registry.toml"
    bad.write_text(
        '[[source]]\nname = "x"\ntitle = "t"\nfeeds = "nonsense"\n'
        'file = "x.csv"\nlicense = "MIT"\nflag = "--x"\n'
    )
    with pytest.raises(IngestError, match=r"registry.toml: \[\[source\]\] #1: feeds 'nonsense'"):
        load_registry(bad)
    bad.write_text('[[source]]\nname = "x"\n')
    with pytest.raises(IngestError, match="missing key"):
        load_registry(bad)


def test_local_files_are_identified_by_checksum_then_file_name(shared_data: Path) -> None:
    danbooru = shared_data / "danbooru.csv"
    sha256 = hashlib.sha256(danbooru.read_bytes()).hexdigest()
    assert identify_source("tagcomplete", "whatever.csv", sha256) == registered_source("danbooru-tags")
    assert identify_source("tagcomplete", "danbooru.csv", "0" * 64) == registered_source("danbooru-tags")
    assert identify_source("vocab", "danbooru.csv", sha256) is None  # another reader: not that source
    assert identify_source(
        "tagger",
        "selected_tags.csv",
        "0" * 64,
        ("SmilingWolf/wd-v1-4-convnext-tagger-v2", "selected_tags.csv"),
    ) == registered_source("wd14-tagger")


# --- states ---------------------------------------------------------------------------------------------


def test_states_from_the_mirror(shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    shutil.copyfile(shared_data / "danbooru.csv", mirror / "danbooru.csv")
    (mirror / "waifuset.tag_aliases.json").write_text("{}\n")  # not the registered content
    monkeypatch.setenv(MIRROR_ENV, str(mirror))
    states = {source.name: source_status(source) for source in registry()}
    assert states["danbooru-tags"].state is SourceState.LOCAL
    assert states["danbooru-tags"].path == mirror / "danbooru.csv"
    assert states["author-aliases"].state is SourceState.BAD_CHECKSUM
    assert "expected 10ce6bc6533b" in states["author-aliases"].detail
    assert states["character-chants"].state is SourceState.MISSING


def test_aidxl_sources_json_lists_every_source_with_its_state(shared_data: Path) -> None:
    env = {**__import__("os").environ, MIRROR_ENV: str(shared_data)}
    completed = run_aidxl("sources", "--json", env=env)
    assert completed.returncode == 0, completed.stderr
    listed = {entry["name"]: entry for entry in json.loads(completed.stdout)}
    assert set(listed) == {source.name for source in registry()}
    assert listed["danbooru-tags"]["state"] == "local path"
    assert listed["danbooru-tags"]["license"].startswith("MIT")
    assert listed["wd14-tagger"]["state"] == "missing"  # not in ../shared/data
    plain = run_aidxl("sources", env=env)
    assert plain.returncode == 0 and "danbooru-tags" in plain.stdout and "local path" in plain.stdout


def test_a_hub_source_in_the_hub_cache_is_cached(tmp_path: Path) -> None:
    commit = "a" * 40
    snapshot = tmp_path / "hub" / "models--SmilingWolf--wd-v1-4-convnext-tagger-v2" / "snapshots" / commit
    snapshot.mkdir(parents=True)
    (snapshot / "selected_tags.csv").write_text("tag_id,name,category,count\n1,1girl,0,10\n")
    refs = snapshot.parents[1] / "refs"
    refs.mkdir()
    (refs / "main").write_text(commit)
    # huggingface_hub reads HF_HUB_CACHE when imported: a fresh process
    env = {**__import__("os").environ, "HF_HUB_CACHE": str(tmp_path / "hub")}
    completed = run_aidxl("sources", "--json", env=env)
    listed = {entry["name"]: entry for entry in json.loads(completed.stdout)}
    assert listed["wd14-tagger"]["state"] == "cached"
    assert listed["wd14-tagger"]["path"] == str(snapshot / "selected_tags.csv")


# --- downloads from a local HTTP server -------------------------------------------------------------


class _RangeHandler(SimpleHTTPRequestHandler):
    """Serves a folder like the real hosts do, with `Range: bytes=N-` answered by 206."""

    requests_seen: list[str | None]

    def log_message(self, format: str, *args: object) -> None:  # quiet test output
        pass

    def do_GET(self) -> None:
        self.requests_seen.append(self.headers.get("Range"))
        path = Path(self.translate_path(self.path))
        if not path.is_file():
            self.send_error(404)
            return
        data = path.read_bytes()
        wanted = self.headers.get("Range")
        if wanted:
            start = int(wanted.removeprefix("bytes=").removesuffix("-"))
            if start >= len(data):
                self.send_response(416)
                self.end_headers()
                return
            self.send_response(206)
            body = data[start:]
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
            body = data
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def file_server(tmp_path: Path) -> Iterator[tuple[str, Path, list[str | None]]]:
    served = tmp_path / "served"
    served.mkdir()
    seen: list[str | None] = []

    class Handler(_RangeHandler):
        requests_seen = seen

        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(served), **kwargs)  # type: ignore[arg-type]

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", served, seen
    finally:
        server.shutdown()
        server.server_close()


def _served_source(
    base_url: str, served: Path, content: bytes, name: str = "danbooru-tags"
) -> RegisteredSource:
    source = registered_source(name)
    (served / source.file_name).write_bytes(content)
    return replace(source, url=f"{base_url}/{source.file_name}", sha256=hashlib.sha256(content).hexdigest())


def _no_bar(label: str, total: int | None):  # type: ignore[no-untyped-def]
    from contextlib import nullcontext

    return nullcontext(lambda advance: None)


def test_a_download_lands_in_the_cache_checksum_verified(
    file_server: tuple[str, Path, list[str | None]],
) -> None:
    base_url, served, seen = file_server
    content = b'1girl,0,100,"1girls"\n' * 5000
    source = _served_source(base_url, served, content)
    outcome = fetch_source(source, Network(), progress=_no_bar)
    assert outcome.downloaded and outcome.status.state is SourceState.CACHED
    assert outcome.status.path == sources_cache_dir() / source.file_name
    assert outcome.status.path.read_bytes() == content
    assert seen == [None]
    again = fetch_source(source, Network(), progress=_no_bar)
    assert not again.downloaded and seen == [None]  # cached: no second request
    assert not list(sources_cache_dir().glob("*.part"))


def test_an_interrupted_download_resumes_from_its_part_file(
    file_server: tuple[str, Path, list[str | None]],
) -> None:
    base_url, served, seen = file_server
    content = bytes(range(256)) * 400
    source = _served_source(base_url, served, content)
    part = sources_cache_dir() / f"{source.file_name}.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(content[:40_000])  # what a cut-off download left
    outcome = fetch_source(source, Network(), progress=_no_bar)
    assert seen == ["bytes=40000-"]
    assert outcome.status.path is not None and outcome.status.path.read_bytes() == content
    assert not part.exists()


def test_a_download_with_the_wrong_checksum_is_refused_and_not_kept(
    file_server: tuple[str, Path, list[str | None]],
) -> None:
    base_url, served, _ = file_server
    source = replace(_served_source(base_url, served, b"real content\n"), sha256="0" * 64)
    with pytest.raises(IngestError, match=r"danbooru-tags: downloaded .* hash"):
        fetch_source(source, Network(), progress=_no_bar)
    assert not (sources_cache_dir() / source.file_name).exists()
    assert not list(sources_cache_dir().glob("*.part"))


def test_a_stale_part_longer_than_the_file_starts_over(
    file_server: tuple[str, Path, list[str | None]],
) -> None:
    base_url, served, seen = file_server
    content = b"short file\n"
    source = _served_source(base_url, served, content)
    part = sources_cache_dir() / f"{source.file_name}.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"x" * 100)
    outcome = fetch_source(source, Network(), progress=_no_bar)
    assert seen == ["bytes=100-", None]
    assert outcome.status.path is not None and outcome.status.path.read_bytes() == content


def test_a_missing_file_on_the_server_is_reported_not_raised(
    file_server: tuple[str, Path, list[str | None]],
) -> None:
    base_url, _, _ = file_server
    source = replace(registered_source("danbooru-tags"), url=f"{base_url}/nothing-here.csv")
    outcome = fetch_source(source, Network(), progress=_no_bar)
    assert outcome.status.state is SourceState.MISSING
    assert "404" in outcome.status.detail


def test_resumable_downloader_alone_writes_the_output_file(
    file_server: tuple[str, Path, list[str | None]], tmp_path: Path
) -> None:
    base_url, served, _ = file_server
    (served / "f.txt").write_bytes(b"abc" * 1000)
    output = tmp_path / "out.tmp"
    ResumableDownloader(tmp_path / "f.txt.part", "f", progress=_no_bar)(
        f"{base_url}/f.txt", str(output), None
    )
    assert output.read_bytes() == b"abc" * 1000


# --- offline ------------------------------------------------------------------------------------------


def test_offline_is_known_at_once_and_nothing_is_tried(monkeypatch: pytest.MonkeyPatch) -> None:
    network = Network.from_environment()  # conftest sets HF_HUB_OFFLINE=1
    assert network.offline_reason == "HF_HUB_OFFLINE is set"
    outcome = fetch_source(registered_source("danbooru-tags"), network, progress=_no_bar)
    assert outcome.status.state is SourceState.MISSING and not outcome.downloaded


def test_an_unreachable_host_makes_the_whole_run_offline_after_one_attempt() -> None:
    network = Network()
    # Port 9 on localhost: nothing listens, the connection is refused at once.
    assert not network.reachable("http://127.0.0.1:9/file.csv")
    assert network.offline_reason is not None and "cannot reach 127.0.0.1" in network.offline_reason
    assert not network.reachable("https://example.invalid/x")  # decided: no second attempt


def test_fetch_offline_on_a_bare_machine_builds_the_curated_catalog(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.duckdb"
    completed = run_aidxl("ingest", "--fetch", "--catalog", str(catalog), "--no-search-index")
    assert completed.returncode == 0, completed.stderr
    assert "offline: HF_HUB_OFFLINE is set" in completed.stderr
    missing_lines = [line for line in completed.stderr.splitlines() if "missing " in line]
    assert len(missing_lines) == len(registry())  # one line per source
    assert "aidxl ingest: missing danbooru-tags: add it with `aidxl ingest --fetch` when online, or " in (
        completed.stderr
    )
    assert "Traceback" not in completed.stderr
    stats = json.loads(run_aidxl("stats", "--json", "--catalog", str(catalog)).stdout)
    assert stats["tags"] == 0 and stats["triggers_per_kind"]["quality"] >= 6


def test_fetch_through_the_mirror_builds_what_the_local_config_builds(
    shared_data: Path, tmp_path: Path
) -> None:
    env = {**__import__("os").environ, MIRROR_ENV: str(shared_data)}
    fetched = tmp_path / "fetched.duckdb"
    local = tmp_path / "local.duckdb"
    completed = run_aidxl("ingest", "--fetch", "--catalog", str(fetched), "--no-search-index", env=env)
    assert completed.returncode == 0, completed.stderr
    assert "missing wd14-tagger" in completed.stderr  # the mirror does not hold it
    assert (
        run_aidxl(
            "ingest", "--config", "sources.toml", "--catalog", str(local), "--no-search-index"
        ).returncode
        == 0
    )
    fetched_stats = json.loads(run_aidxl("stats", "--json", "--catalog", str(fetched)).stdout)
    local_stats = json.loads(run_aidxl("stats", "--json", "--catalog", str(local)).stdout)
    for key in ("tags", "aliases", "characters", "tags_per_category", "triggers_per_kind"):
        assert fetched_stats[key] == local_stats[key], key
    assert [source["file_name"] for source in fetched_stats["sources"]] == [
        source["file_name"] for source in local_stats["sources"]
    ]


# --- adding to a catalog: --add and --fetch keep what it has --------------------------------------


def _stats(catalog: Path) -> dict[str, object]:
    completed = run_aidxl("stats", "--json", "--catalog", str(catalog))
    assert completed.returncode == 0, completed.stderr
    return dict(json.loads(completed.stdout))


def test_fetch_offline_never_drops_what_the_catalog_has(shared_data: Path, tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.duckdb"
    built = run_aidxl("ingest", "--config", "sources.toml", "--catalog", str(catalog), "--no-search-index")
    assert built.returncode == 0, built.stderr
    before = catalog.read_bytes()
    # Offline (HF_HUB_OFFLINE=1): the registry's two Hub sources are missing, the rest is kept.
    fetched = run_aidxl("ingest", "--fetch", "--catalog", str(catalog), "--no-search-index")
    assert fetched.returncode == 0, fetched.stderr
    assert "up to date (sources unchanged)" in fetched.stdout
    assert [line for line in fetched.stderr.splitlines() if "missing " in line] == [
        "aidxl ingest: missing wd14-tagger: add it with `aidxl ingest --fetch` when online, or "
        "`aidxl ingest --add --tagger PATH|hub`",
        "aidxl ingest: missing aidxl-trigger-list: add it with `aidxl ingest --fetch` when online, or "
        "`aidxl ingest --add --triggers PATH|hub`",
    ]
    assert catalog.read_bytes() == before


def test_add_keeps_the_catalogs_sources_and_a_regiven_file_changes_nothing(
    shared_data: Path, tmp_path: Path
) -> None:
    catalog = tmp_path / "catalog.duckdb"
    tagger = shared_data / "selected_tags.wd-eva02-large-tagger-v3.csv"
    listed = tmp_path / "mine.txt"
    listed.write_text("by someone new\n")
    steps = (
        ("--tagger", str(tagger)),
        ("--add", "--tagcomplete", str(shared_data / "danbooru.csv")),
        ("--add", "--list", str(listed), "--kind", "artist_style"),  # a list whose kind is a flag
    )
    for step in steps:
        completed = run_aidxl("ingest", *step, "--catalog", str(catalog), "--no-search-index")
        assert completed.returncode == 0, completed.stderr
    stats = _stats(catalog)
    assert stats["tags"] == 140940  # both tag files
    assert [source["file_name"] for source in stats["sources"] if source["kind"] != "curated"] == [  # type: ignore[attr-defined]
        tagger.name,
        "danbooru.csv",
        "mine.txt",
    ]
    before = catalog.read_bytes()
    again = run_aidxl(
        "ingest", "--add", "--tagger", str(tagger), "--catalog", str(catalog), "--no-search-index"
    )
    assert "up to date" in again.stdout and catalog.read_bytes() == before
    # Without --add the catalog is built from what is given: one source.
    alone = run_aidxl("ingest", "--tagger", str(tagger), "--catalog", str(catalog), "--no-search-index")
    assert alone.returncode == 0 and _stats(catalog)["tags"] == 10861


def test_add_says_which_sources_it_cannot_keep(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.duckdb"
    listed = tmp_path / "mine.txt"
    listed.write_text("by someone new\n")
    assert (
        run_aidxl(
            "ingest",
            "--list",
            str(listed),
            "--kind",
            "artist_style",
            "--catalog",
            str(catalog),
            "--no-search-index",
        ).returncode
        == 0
    )
    listed.unlink()
    completed = run_aidxl("ingest", "--add", "--catalog", str(catalog), "--no-search-index")
    assert (
        f"aidxl ingest: cannot keep {listed}: its file is gone; give it again to keep it" in completed.stderr
    )


def test_a_mirror_that_is_not_a_folder_is_an_error(tmp_path: Path) -> None:
    env = {**__import__("os").environ, MIRROR_ENV: str(tmp_path / "nowhere")}
    completed = run_aidxl("ingest", "--fetch", "--catalog", str(tmp_path / "c.duckdb"), env=env)
    assert completed.returncode == 2
    assert completed.stderr.startswith(f"aidxl: {MIRROR_ENV}={tmp_path / 'nowhere'}: no such folder")
    assert not (tmp_path / "c.duckdb").exists()


def test_sources_agrees_with_the_catalog(shared_data: Path, tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.duckdb"
    assert (
        run_aidxl(
            "ingest", "--config", "sources.toml", "--catalog", str(catalog), "--no-search-index"
        ).returncode
        == 0
    )
    completed = run_aidxl("sources", "--json", "--catalog", str(catalog))
    listed = {entry["name"]: entry for entry in json.loads(completed.stdout)}
    assert {name for name, entry in listed.items() if not entry["in_catalog"]} == {
        "wd14-tagger",
        "aidxl-trigger-list",
    }
    # The files the catalog was built from are these sources' copies.
    assert listed["danbooru-tags"]["state"] == "local path"
    assert listed["danbooru-tags"]["path"] == str((shared_data / "danbooru.csv").resolve())
    plain = run_aidxl("sources", "--catalog", str(catalog)).stdout
    assert "the catalog holds 10 of 12 sources; not: wd14-tagger, aidxl-trigger-list" in plain
    without = run_aidxl("sources", "--json", "--catalog", str(tmp_path / "none.duckdb"))
    assert {entry["in_catalog"] for entry in json.loads(without.stdout)} == {None}
