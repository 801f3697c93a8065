"""Trigger discovery from weights, on a tiny base and a tiny "fine-tune" whose planted trigger tokens moved.

Both are real SDXL pipelines at toy size (kb/generate/tiny.py) saved by diffusers; the fine-tune
changes the token-embedding rows of two names in both text encoders, as training on captions
with those names does. Also the web UI's single-file layout, and the errors a user can make.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("torch")
pytest.importorskip("diffusers")

from kb.discover.run import discover
from kb.discover.score import CHANGED_AT
from kb.discover.store import read_evidence
from kb.discover.weights import SINGLE_FILE_KEYS, CheckpointError, read_token_rows
from kb.prompt.clip_bpe import get_tokenizer
from tui.cli import main

PLANTED = ("by yoneyama mai", "by saitou naoki")
OTHERS = ("by wlop", "by chi4", "by ask", "by hiten", "by kantoku", "by lack", "by mignon", "by fkey")


def plant(pipeline: Any, triggers: tuple[str, ...]) -> None:
    import torch

    generator = torch.Generator().manual_seed(3)
    token_ids = {
        token for trigger in triggers for token in get_tokenizer().encode(trigger.removeprefix("by "))
    }
    with torch.no_grad():
        for encoder in (pipeline.text_encoder, pipeline.text_encoder_2):
            rows = encoder.get_input_embeddings().weight
            for token in sorted(token_ids):
                rows[token] += torch.randn(rows.shape[1], generator=generator) * rows[token].norm() * 0.3


@pytest.fixture(scope="module")
def tiny_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from kb.generate.tiny import build_tiny_pipeline

    root = tmp_path_factory.mktemp("discover")
    build_tiny_pipeline().save_pretrained(root / "base")
    tuned = build_tiny_pipeline()
    plant(tuned, PLANTED)
    tuned.save_pretrained(root / "tuned")
    return root / "base", root / "tuned"


def single_file(folder: Path, target: Path) -> Path:
    """The web UI's layout: CLIP-L under conditioner.embedders.0.transformer., bigG's token rows."""
    from safetensors.torch import load_file, save_file

    clip_l = load_file(next((folder / "text_encoder").glob("*.safetensors")))
    big_g = load_file(next((folder / "text_encoder_2").glob("*.safetensors")))
    prefix = "conditioner.embedders.0.transformer.text_model."
    tensors = {prefix + key.removeprefix("text_model."): value for key, value in clip_l.items()}
    rows_key = next(key for key in big_g if key.endswith("embeddings.token_embedding.weight"))
    tensors[SINGLE_FILE_KEYS[1]] = big_g[rows_key]
    save_file(tensors, str(target))
    return target


def test_planted_triggers_rank_first_by_rows_and_by_output_drift(tiny_pair: tuple[Path, Path]) -> None:
    base, tuned = tiny_pair
    found = discover(tuned, base, [*OTHERS, *PLANTED], top=4)
    assert {item.trigger for item in found.ranked[:2]} == set(PLANTED)
    top = {item.trigger: item for item in found.ranked[:2]}
    assert all(item.rows_changed == item.tokens > 0 for item in top.values())
    assert all(item.rows_changed == 0 and item.row_drift <= CHANGED_AT for item in found.ranked[2:])
    drifts = {item.trigger: item.output_drift for item in found.ranked}
    assert found.output_measured == 4
    measured_others = [
        value for trigger, value in drifts.items() if trigger not in PLANTED and value is not None
    ]
    assert min(drifts[trigger] or 0.0 for trigger in PLANTED) > max(measured_others)


def test_the_single_file_layout_reads_the_same_rows(tiny_pair: tuple[Path, Path], tmp_path: Path) -> None:
    base, tuned = tiny_pair
    base_file = single_file(base, tmp_path / "base.safetensors")
    tuned_file = single_file(tuned, tmp_path / "tuned.safetensors")
    folder_rows = read_token_rows(tuned)
    file_rows = read_token_rows(tuned_file)
    assert all((a == b).all() for a, b in zip(folder_rows.encoders, file_rows.encoders, strict=True))
    found = discover(tuned_file, base_file, [*OTHERS, *PLANTED], top=0)
    assert {item.trigger for item in found.ranked[:2]} == set(PLANTED)
    assert found.output_measured == 0


def test_cli_ranks_stores_and_search_can_read_the_evidence(
    tiny_pair: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AIDXL_STATE_DIR", str(tmp_path / "state"))
    base, tuned = tiny_pair
    names = tmp_path / "names.txt"
    names.write_text(
        "# artists to check\n" + "\n".join(["wlop", *OTHERS[1:], *PLANTED]) + "\n", encoding="utf-8"
    )
    assert (
        main(
            [
                "discover",
                "--model",
                str(tuned),
                "--base",
                str(base),
                "--candidates",
                str(names),
                "--top",
                "2",
                "--json",
            ]
        )
        == 0
    )
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["candidates"] == 10
    assert {row["trigger"] for row in report["ranking"][:2]} == set(PLANTED)
    assert "10 candidates in" in captured.err and "/s)" in captured.err
    stored = read_evidence(PLANTED)
    assert {record.rank for record in stored.values()} == {1, 2}
    assert all(record.model_hash == report["model_hash"] for record in stored.values())
    assert (
        main(
            ["discover", "--model", str(tuned), "--base", str(base), "--candidates", str(names), "--top", "0"]
        )
        == 0
    )
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["rank", "rows", "drift", "output", "trigger"]
    assert table[1].endswith(tuple(PLANTED))


def test_bad_checkpoints_say_what_is_wrong_in_one_line(
    tiny_pair: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import numpy as np
    from safetensors.numpy import save_file

    base, _tuned = tiny_pair
    names = tmp_path / "names.txt"
    names.write_text("wlop\n", encoding="utf-8")
    other = tmp_path / "not-sdxl.safetensors"
    save_file({"weight": np.zeros((2, 2), dtype=np.float32)}, str(other))
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"\xff" * 64)
    for model, message in (
        (tmp_path / "absent.safetensors", "no such checkpoint file or folder"),
        (other, "not an SDXL checkpoint"),
        (garbage, "cannot read it as safetensors"),
    ):
        code = main(["discover", "--model", str(model), "--base", str(base), "--candidates", str(names)])
        error = capsys.readouterr().err
        assert code != 0 and message in error and "Traceback" not in error
    with pytest.raises(CheckpointError, match="no text_encoder"):
        read_token_rows(tmp_path)
    conn = sqlite3.connect(tmp_path / "x.sqlite3")
    conn.close()
    assert read_evidence(store_path=tmp_path / "x.sqlite3") == {}
