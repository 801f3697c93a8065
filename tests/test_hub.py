"""`--tagger hub` reads selected_tags.csv through the Hugging Face cache, offline: the test lays out a
hub cache folder holding the real eva02 tagger file and points HF_HOME / HF_HUB_CACHE at it."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
REPO = "SmilingWolf/wd-v1-4-convnext-tagger-v2"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
TAGGER_FILE = "selected_tags.wd-eva02-large-tagger-v3.csv"


def make_hub_cache(
    root: Path,
    file_bytes: bytes,
    repo: str = REPO,
    file_name: str = "selected_tags.csv",
    commit: str = COMMIT,
) -> Path:
    """The layout huggingface_hub writes: blobs/<sha256>, snapshots/<commit>/<file> -> blob, refs/main."""
    repo_dir = root / "hub" / ("models--" + repo.replace("/", "--"))
    blob = repo_dir / "blobs" / hashlib.sha256(file_bytes).hexdigest()
    blob.parent.mkdir(parents=True)
    blob.write_bytes(file_bytes)
    cached = repo_dir / "snapshots" / commit / file_name
    cached.parent.mkdir(parents=True)
    depth = len(Path(file_name).parts) + 1  # up to snapshots/ from the file's folder
    cached.symlink_to(Path(*[".."] * depth, "blobs", blob.name))
    (repo_dir / "refs").mkdir()
    (repo_dir / "refs" / "main").write_text(commit)
    return root


def aidxl(hf_home: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """Run aidxl in a fresh process: huggingface_hub reads HF_HOME / HF_HUB_CACHE when imported."""
    environment = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HF_HOME": str(hf_home),
        "HF_HUB_CACHE": str(hf_home / "hub"),
    }
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *arguments],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture()
def hub_home(tmp_path: Path, shared_data: Path) -> Path:
    return make_hub_cache(tmp_path / "hf", (shared_data / TAGGER_FILE).read_bytes())


def test_tagger_from_the_hub_cache(hub_home: Path, tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.duckdb"
    assert aidxl(hub_home, "ingest", "--catalog", str(catalog), "--tagger", "hub").returncode == 0
    stats = aidxl(hub_home, "stats", "--json", "--catalog", str(catalog))
    (tagger,) = [source for source in json.loads(stats.stdout)["sources"] if source["kind"] == "tagger"]
    assert tagger["location"] == f"hub:{REPO}@{COMMIT}/selected_tags.csv"
    assert tagger["file_name"] == "selected_tags.csv"
    assert tagger["rows_per_category"] == {"0": 8106, "4": 2751, "9": 4}


def test_tagger_from_the_hub_at_a_revision(hub_home: Path, tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.duckdb"
    built = aidxl(
        hub_home, "ingest", "--catalog", str(catalog), "--tagger", f"hub:{REPO}", "--revision", COMMIT
    )
    assert built.returncode == 0, built.stderr
    missing = aidxl(hub_home, "ingest", "--catalog", str(catalog), "--tagger", "hub", "--revision", "v9")
    assert missing.returncode == 2
    assert missing.stderr.startswith(
        f"aidxl: hub:{REPO}@v9: selected_tags.csv is not in the Hugging Face cache"
    )


def test_missing_hub_cache_says_how_to_get_the_file(tmp_path: Path) -> None:
    result = aidxl(
        tmp_path / "empty", "ingest", "--catalog", str(tmp_path / "catalog.duckdb"), "--tagger", "hub"
    )
    assert result.returncode == 2
    assert result.stderr == (
        f"aidxl: hub:{REPO}@main: selected_tags.csv is not in the Hugging Face cache and HF_HUB_OFFLINE "
        f"is set (offline); download it once with network access (`hf download {REPO} "
        "selected_tags.csv`) or pass a local file: `aidxl ingest --tagger PATH`\n"
    )
    assert not (tmp_path / "catalog.duckdb").exists()


def test_the_download_hint_holds_the_revision_inside_the_command(tmp_path: Path) -> None:
    result = aidxl(
        tmp_path / "empty",
        *("ingest", "--catalog", str(tmp_path / "catalog.duckdb"), "--tagger", "hub", "--revision", "v9"),
    )
    assert result.returncode == 2
    assert (
        f"(`hf download {REPO} selected_tags.csv --revision v9`) or pass a local file: "
        "`aidxl ingest --tagger PATH`\n"
    ) in result.stderr


TRIGGERS_REPO = "Eugeoter/anime_illust_diffusion_xl"
TRIGGERS_COMMIT = "f36f3c4819a3a934e9ef78f0027d7b1783c35dd3"
# The real file's layout is unknown offline (PROVENANCE.md §11): the successor model's sibling file
# has this header, so the test uses it; tests/test_ingest_triggerlist.py covers every other layout.
TRIGGER_LIST = b'"artist","count"\n"yoneyama mai",259\n"chi4",90\n"ask",12\n"some new artist",3\n'


def test_model_trigger_list_from_the_hub_cache(tmp_path: Path) -> None:
    hub_home = make_hub_cache(
        tmp_path / "hf", TRIGGER_LIST, TRIGGERS_REPO, "references/artist.csv", TRIGGERS_COMMIT
    )
    catalog = tmp_path / "catalog.duckdb"
    built = aidxl(hub_home, "ingest", "--catalog", str(catalog), "--triggers", "hub")
    assert built.returncode == 0, built.stderr
    stats = json.loads(aidxl(hub_home, "stats", "--json", "--catalog", str(catalog)).stdout)
    (source,) = [source for source in stats["sources"] if source["kind"] == "triggers"]
    assert source["location"] == f"hub:{TRIGGERS_REPO}@{TRIGGERS_COMMIT}/references/artist.csv"
    assert (source["file_name"], source["rows"]) == ("artist.csv", 4)
    import duckdb

    with duckdb.connect(str(catalog), read_only=True) as connection:
        triggers = connection.execute(
            "SELECT tr.text, tr.verified, tr.note FROM triggers tr JOIN sources s USING (source_id) "
            "WHERE s.kind = 'triggers' ORDER BY tr.text"
        ).fetchall()
        verified = connection.execute(
            "SELECT text FROM triggers WHERE verified AND text IN ('by yoneyama mai', 'by chi4', 'by ask') "
            "ORDER BY text"
        ).fetchall()
    # by yoneyama mai, by chi4, by ask are curated too: those rows keep the curated source, with the
    # trigger list's note added; the new artist is the trigger list's own verified row.
    assert triggers == [("by some new artist", True, "artist.csv; count=3")]
    assert verified == [("by ask",), ("by chi4",), ("by yoneyama mai",)]
    again = aidxl(
        hub_home, "ingest", "--catalog", str(catalog), "--triggers", "hub", "--revision", TRIGGERS_COMMIT
    )
    assert again.returncode == 0, again.stderr
    missing = aidxl(tmp_path / "empty", "ingest", "--catalog", str(catalog), "--triggers", "hub")
    assert missing.returncode == 2
    assert missing.stderr.startswith(
        f"aidxl: hub:{TRIGGERS_REPO}@main: references/artist.csv is not in the Hugging Face cache"
    )
    assert "pass a local file: `aidxl ingest --triggers PATH`" in missing.stderr


def test_an_unreachable_hub_fails_at_once_in_one_line(tmp_path: Path) -> None:
    """Online but unreachable (a closed local port stands for the Hub): one clear line, no retries."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("HF_HUB_OFFLINE", "HF_HOME", "HF_HUB_CACHE")
    }
    environment |= {"HF_ENDPOINT": "http://127.0.0.1:9", "HF_HOME": str(tmp_path / "hf")}
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "tui.cli",
            "ingest",
            "--catalog",
            str(tmp_path / "c.duckdb"),
            "--tagger",
            "hub",
        ],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 2
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1, completed.stderr
    assert "cannot reach 127.0.0.1" in lines[0] and "`hf download SmilingWolf/" in lines[0]
    assert "Retrying" not in completed.stderr
