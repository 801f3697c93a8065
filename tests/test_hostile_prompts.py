"""Hostile prompt text (issue 13): any length, any nesting, any characters, through every prompt command.

Work is counted, not timed (`kb_lines_run`: lines of kb/ that run) and output is measured in bytes:
at four times the input, about four times of each. The exact readings that replaced the web UI's
backtracking patterns are checked against those patterns in tests/test_linear_patterns.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from test_long_prompts import ALLOWED_GROWTH, kb_lines_run

from kb.prompt.assemble import assemble_prompt
from kb.prompt.attention import parse_prompt_attention, parse_prompt_structure, render_structure
from kb.prompt.lint import lint_prompt
from kb.prompt.segments import normalise_prompt
from kb.prompt.tagview import split_tags
from kb.prompt.tokens import count_prompt_tokens
from tui.cli import main
from tui.commands.prompt_check import tokens_to_json

# Each unit repeated: runs of blanks, NULs, unclosed weighted or editing brackets, alternations,
# extra-network openers, backslashes, closers, underscores, `AND`s, emoticons.
HOSTILE_UNITS = (" ", "\0", "(a:", "[a:", "[a|", "<a:", "\\", ")", "_", "AND ", ":( ", "a ", "(a", "[a")


def repeated(unit: str, length: int) -> str:
    return (unit * (length // len(unit) + 1))[:length]


def assemble_text(prompt: str) -> object:
    return assemble_prompt(split_tags(prompt))


PROMPT_COMMANDS: dict[str, Callable[[str], object]] = {
    "parse": lambda prompt: (
        parse_prompt_attention(prompt),
        render_structure(parse_prompt_structure(prompt)),
    ),
    "render": normalise_prompt,
    "assemble": assemble_text,
    "lint": lint_prompt,
    "tokens": count_prompt_tokens,
}


# The shapes whose Python-level work once grew faster than the text (openers re-weighting the rest,
# per-character scans); the line count does not see work inside `re` or `list.__contains__`, which
# the pattern tests and the full-size inputs below cover.
WORK_UNITS = (" ", "\0", "(a:", "[a|", "<a:")


@pytest.mark.parametrize("unit", WORK_UNITS, ids=repr)
@pytest.mark.parametrize("command", PROMPT_COMMANDS)
def test_hostile_shapes_cost_work_in_proportion(command: str, unit: str) -> None:
    """Lines of kb run at 300 and 1,200 characters of each shape: about 4 times as many."""
    work = PROMPT_COMMANDS[command]
    work(repeated(unit, 8))
    small = kb_lines_run(lambda: work(repeated(unit, 300)))
    large = kb_lines_run(lambda: work(repeated(unit, 1200)))
    assert large / small < ALLOWED_GROWTH


def json_output_bytes(prompt: str) -> int:
    lint_json = [finding.to_json() for finding in lint_prompt(prompt)]
    return len(json.dumps(lint_json)) + len(json.dumps(tokens_to_json(count_prompt_tokens(prompt))))


@pytest.mark.parametrize("unit", HOSTILE_UNITS, ids=repr)
def test_lint_and_token_json_grow_with_the_prompt_not_its_square(unit: str) -> None:
    """A long tag cut by many chunk borders was quoted once per border: 100 KB of NULs printed 1.6 GB."""
    small, large = json_output_bytes(repeated(unit, 1000)), json_output_bytes(repeated(unit, 4000))
    assert large / max(small, 1) < ALLOWED_GROWTH


def test_a_tag_cut_by_many_borders_is_one_finding() -> None:
    prompt = "ab" * 1000  # one tag of 1,000 tokens (ftfy drops NULs, as the web UI does)
    (finding,) = [finding for finding in lint_prompt(prompt) if finding.code == "chunk-border"]
    assert finding.message.startswith("13 chunk borders (tokens 75 to 975) fall inside `")
    assert (finding.start, finding.end, finding.fix) == (0, 2000, None)  # BREAK cannot help a long tag
    assert len(finding.message) < 300


# The done-when reproductions, at full size. Before, 100k blanks took over a minute per command (a
# regex retrying `\s*` at every blank), 20,000 `[` crashed render, and 100 KB of NULs printed 1.6 GB.
DONE_WHEN_INPUTS = {
    "100k blanks": "a," + " " * 100_000 + "b",
    "100 KB of NULs": "\0" * 100_000,
    "250 nested (": "(" * 250 + "x" + ")" * 250,
    "250 nested [": "[" * 250 + "x" + "]" * 250,
    "20,000 nested (": "(" * 20_000 + "x" + ")" * 20_000,
    "20,000 nested [": "[" * 20_000 + "x" + "]" * 20_000,
}
SLOW_INPUTS = {"100k blanks", "100 KB of NULs"}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=[pytest.mark.slow] if name in SLOW_INPUTS else [])
        for name in DONE_WHEN_INPUTS
    ],
)
def test_the_issue_inputs_end_in_a_result_in_every_prompt_command(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompt = DONE_WHEN_INPUTS[name]
    absent = str(tmp_path / "absent.duckdb")
    for command in (["parse"], ["render"], ["assemble"], ["lint", "--json"], ["tokens", "--json"]):
        assert main(["--catalog", absent, "prompt", *command, prompt]) in (0, 1)
        output = capsys.readouterr()
        # Linear: a NUL is printed as the 6 characters `\u0000`, at most twice (tokens: text and tag).
        assert len(output.out) <= 16 * len(prompt) + 4096, command
        assert "Traceback" not in output.err
    main(["--catalog", absent, "prompt", "render", prompt])
    assert capsys.readouterr().out == RENDERED[name] + "\n"


RENDERED = {
    "100k blanks": "a, b",
    "100 KB of NULs": "\\u0000" * 100_000,  # shown visibly (tests/test_visible_output.py)
    "250 nested (": "(x:22293142370.05)",  # 1.1 ** 250
    "250 nested [": "(x:0)",
    "20,000 nested (": "(x:inf)",
    "20,000 nested [": "(x:0)",
}
