"""`aidxl prompt lint` and `aidxl prompt tokens`: output contracts, stdin, no torch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from prompt_fixture import build_tiny_catalog

from tui.cli import main
from tui.commands.prompt_check import describe_fix

REPO_ROOT = Path(__file__).resolve().parents[1]
DONE_WHEN_PROMPT = "ganyu (genshin impact), long_hair, :(, by chi4"


def test_tokens_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prompt", "tokens", "--json", "cat BREAK long hair, dog"]) == 0
    output = json.loads(capsys.readouterr().out)
    assert output == {
        "count": 79,
        "target": 150,
        "steps": 28,
        "chunks": [
            {"index": 0, "start": 0, "tokens": 1, "source_start": 0, "split_tag": None},
            {"index": 1, "start": 1, "tokens": 4, "source_start": 10, "split_tag": None},
        ],
        "tags": [
            {"text": "cat", "start": 0, "end": 3, "tokens": 1},
            {"text": "long hair", "start": 10, "end": 19, "tokens": 2},
            {"text": "dog", "start": 21, "end": 24, "tokens": 1},
        ],
        "separator_tokens": 1,
    }


def test_tokens_json_lists_the_step_texts_of_a_schedule(capsys: pytest.CaptureFixture[str]) -> None:
    # The example: the web UI counts the expanded texts, `a cat` and `a dog`: 2/75.
    assert main(["prompt", "tokens", "--json", "--steps", "20", "a [cat:dog:0.5]"]) == 0
    output = json.loads(capsys.readouterr().out)
    assert (output["count"], output["target"], output["steps"]) == (2, 75, 20)
    assert output["texts"] == [
        {"part": 0, "weight": 1.0, "end_step": 10, "text": "a cat", "count": 2},
        {"part": 0, "weight": 1.0, "end_step": 20, "text": "a dog", "count": 2},
    ]
    assert output["counted"] == {"part": 0, "end_step": 10}


def test_tokens_counts_the_longest_and_part_and_negative_does_not_split(
    capsys: pytest.CaptureFixture[str],
) -> None:
    prompt = "cat AND a very long dog:0.5"
    assert main(["prompt", "tokens", "--json", prompt]) == 0
    output = json.loads(capsys.readouterr().out)
    assert output["count"] == 4  # ` a very long dog`
    assert [(text["text"], text["weight"]) for text in output["texts"]] == [
        ("cat", 1.0),
        (" a very long dog", 0.5),
    ]
    assert main(["prompt", "tokens", "--json", "--negative", prompt]) == 0
    negative = json.loads(capsys.readouterr().out)
    assert negative["count"] == 10  # one text: cat, and, a, very, long, dog, :, 0, ., 5
    assert "texts" not in negative


def test_tokens_human_output_names_the_counted_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prompt", "tokens", "--steps", "4", "[a|b c d]"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == ["3/75", "longest of 4 texts (4 steps): AND part 1, steps up to 2: 'b c d'"]


def test_tokens_rejects_zero_steps(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["prompt", "tokens", "--steps", "0", "cat"])
    assert exit_info.value.code == 2
    assert "--steps: 0: must be at least 1" in capsys.readouterr().err


def test_tokens_human_output(capsys: pytest.CaptureFixture[str]) -> None:
    long_tag = " ".join(["cat"] * 30)
    assert main(["prompt", "tokens", " ".join(["dog"] * 50) + ", " + long_tag]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "81/150",
        "chunk 1: 75 tokens, from token 0 at prompt position 0",
        # the cut tag named, cut short: it is listed whole below
        "chunk 2: 6 tokens, from token 75 at prompt position 297; the border cuts "
        f"`{long_tag[:39]}…{long_tag[-20:]}`",
        "tokens per tag:",
        "  50  " + " ".join(["dog"] * 50),
        "  30  " + long_tag,
        "   1  (separators)",
    ]


def test_tokens_reads_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"a photo of a cat\n")))
    assert main(["prompt", "tokens", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["count"] == 5


def test_lint_json_without_catalog(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "none.duckdb"
    assert main(["prompt", "lint", "--json", "--catalog", str(missing), DONE_WHEN_PROMPT]) == 0
    captured = capsys.readouterr()
    findings = json.loads(captured.out)
    assert [(f["code"], f["start"], f["end"], f["fix"]) for f in findings] == [
        ("unescaped-qualifier", 0, 22, "ganyu \\(genshin impact\\)"),
        ("underscore", 24, 33, "long hair"),
        ("emoticon-open-bracket", 35, 37, ":\\("),
        ("slot-order", 39, 46, None),
    ]
    assert all(set(f) >= {"code", "message", "start", "end", "fix"} for f in findings)
    assert "linting without it" in captured.err


def test_lint_with_catalog_suggests(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    catalog = build_tiny_catalog(tmp_path / "catalog.duckdb")
    assert main(["prompt", "lint", "--catalog", str(catalog), "long hiar, smile"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "0-9 info unknown-tag: `long hiar` is not a tag or trigger in the catalog; did you mean `long hair`?",
        "    fix: replace `long hiar` with `long hair`",
    ]


def test_lint_fixes_print_as_they_are_pasted(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = str(tmp_path / "none.duckdb")
    assert main(["prompt", "lint", "--catalog", missing, "long_hair, :(, long hair"]) == 0
    fixes = [line for line in capsys.readouterr().out.splitlines() if line.startswith("    fix: ")]
    assert fixes == [
        "    fix: replace `long_hair` with `long hair`",
        "    fix: replace `:(` with `:\\(`",  # one backslash on the terminal, as the web UI wants it
        "    fix: remove `long hair`",
    ]
    assert main(["prompt", "lint", "--json", "--catalog", missing, "long_hair, :("]) == 0
    assert [finding["fix"] for finding in json.loads(capsys.readouterr().out)] == ["long hair", ":\\("]


def test_code_spans_hold_backticks_exactly() -> None:
    assert describe_fix("a`b", "") == "remove ``a`b``"
    assert describe_fix("`x", "x") == "replace `` `x `` with `x`"


def test_lint_exit_code_1_on_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["prompt", "lint", "--catalog", str(tmp_path / "none"), "(cat:0)"]) == 1
    assert "weight-not-positive" in capsys.readouterr().out


def test_tokens_command_does_not_import_torch() -> None:
    code = (
        "import argparse, sys\n"
        "from tui.commands.prompt_check import run_tokens, run_lint\n"
        "run_tokens(argparse.Namespace(text='ganyu \\\\(genshin impact\\\\), cat', json=True))\n"
        "run_lint(argparse.Namespace(text='cat, :(', json=True, catalog='/nonexistent/catalog.duckdb'))\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
        "assert 'transformers' not in sys.modules and 'open_clip' not in sys.modules\n"
        "print('clean')\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines()[-1] == "clean"


def test_a_pasted_infotext_is_read_as_its_prompt(tmp_path: Path) -> None:
    """A whole A1111 infotext on stdin: its prompt is linted and counted, its negative prompt goes to
    assembly, and the settings line is never read as tags."""
    infotext = (
        "smile, long_hair\n"
        "Negative prompt: lowres, bad hands\n"
        "Steps: 28, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 832x1216, Model hash: abc\n"
    )

    def run(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tui.cli", *arguments, "--catalog", str(tmp_path / "none.duckdb")],
            input=infotext,
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
        )

    lint = run("prompt", "lint", "--json", "-")
    findings = json.loads(lint.stdout)
    assert [finding["code"] for finding in findings] == ["underscore"]
    assert "the text is an A1111 infotext" in lint.stderr
    tokens = json.loads(run("prompt", "tokens", "--json", "-").stdout)
    assert (
        tokens["count"]
        == json.loads(
            subprocess.run(
                [sys.executable, "-m", "tui.cli", "prompt", "tokens", "--json", "smile, long_hair"],
                capture_output=True,
                text=True,
                cwd=REPO_ROOT,
            ).stdout
        )["count"]
    )
    assembled = json.loads(run("prompt", "assemble", "--json", "-").stdout)
    assert assembled["negative"] == "lowres, bad hands"
    assert "Steps" not in assembled["positive"]


def test_a_one_line_prompt_of_weights_is_not_an_infotext(capsys: pytest.CaptureFixture[str]) -> None:
    # Three `key: value` pairs, but no `Steps` field: a prompt, not the web UI's settings line.
    assert main(["prompt", "tokens", "(best quality:1.3), (by chi4:0.8), (smile:1.2)"]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines()[0] == "8/75"
    assert "infotext" not in captured.err
