"""kb.usage: the usage-count store under the state directory (SQLite, WAL)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kb.errors import UsageStoreError
from kb.paths import state_dir
from kb.usage import read_usage_counts, record_copy, record_prompt, usage_key, usage_store_path


def test_store_lives_in_the_state_dir_and_is_created_on_first_record() -> None:
    assert usage_store_path() == state_dir() / "usage.sqlite3"
    assert read_usage_counts() == {}
    assert not usage_store_path().exists()
    assert record_prompt(["by yoneyama mai", "lucy \\(cyberpunk\\)"]) == 2
    assert usage_store_path().exists()


def test_any_pasted_form_counts_for_one_key() -> None:
    assert usage_key("(Lucy \\(Cyberpunk\\):1.2)") == "lucy (cyberpunk)"
    assert usage_key("lucy_(cyberpunk)") == "lucy (cyberpunk)"
    assert usage_key("^_^") == "^_^"
    record_prompt(["lucy \\(cyberpunk\\)", "(by yoneyama mai:0.9)", "  "])
    record_prompt(["Lucy_(Cyberpunk)"])
    record_copy(["lucy (cyberpunk)", "lucy (cyberpunk)"])
    assert read_usage_counts() == {"lucy (cyberpunk)": 4, "by yoneyama mai": 1}


def test_wal_mode_lets_a_reader_read_while_a_writer_holds_a_transaction(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    record_prompt(["hat"], path=path)
    writer = sqlite3.connect(path)
    try:
        assert writer.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE uses SET assembled = 99")
        # The uncommitted write neither blocks nor shows to the reader.
        assert read_usage_counts(path) == {"hat": 1}
        writer.commit()
    finally:
        writer.close()
    assert read_usage_counts(path) == {"hat": 99}


def test_unusable_store_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(UsageStoreError, match=r"usage\.sqlite3: cannot (open|record)"):
        record_prompt(["hat"], path=path)
    with pytest.raises(UsageStoreError, match=r"usage\.sqlite3: cannot read the usage store"):
        read_usage_counts(path)
