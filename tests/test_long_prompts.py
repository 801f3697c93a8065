"""Long prompts cost work in proportion to their length: lint and token counts are not quadratic.

Work is counted, not timed: the number of lines of `kb/` that run (a line tracer on kb's files
only). Four times the tags must cost about four times the lines; the quadratic parts this guards
against (the whole prompt parsed again per qualifier tag, every tag scanned per token, each
unclosed `:(` re-weighting the rest of the prompt, every finding checked against every bracket
trap) made it 12 to 20 times. bench/long_prompts.py prints the times.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import duckdb
import pytest
from prompt_fixture import build_tiny_catalog

import kb
from kb.catalog import open_catalog
from kb.prompt.attention import parse_prompt_structure, render_structure
from kb.prompt.lint import lint_prompt
from kb.prompt.tagview import CatalogMatcher
from kb.prompt.tokens import count_prompt_tokens

KB_FOLDER = str(Path(kb.__file__).resolve().parent)
SMALL, LARGE = 200, 800
LINEAR_GROWTH = LARGE / SMALL
# Headroom for the parts that grow a little faster than the prompt (sorting: n log n).
ALLOWED_GROWTH = LINEAR_GROWTH * 1.25
# Every shape the checks treat differently: plain, bare qualifier, underscore, weight, escaped
# qualifier, an emoticon whose `(` stays open, a style, a repeat.
TAG_SHAPES = (
    "tag{i}",
    "name{i} (series{i})",
    "long_hair_{i}",
    "(smile{i}:1.2)",
    "char{i} \\(series\\)",
    ":(",
    "by artist{i}",
    "tag{i}",
)


def long_prompt(tag_count: int) -> str:
    return ", ".join(TAG_SHAPES[index % len(TAG_SHAPES)].format(i=index) for index in range(tag_count))


def kb_lines_run(work: Callable[[], object]) -> int:
    """How many lines of kb/ run during `work()` (other code is not traced)."""
    lines = 0

    def count_lines(frame: FrameType, event: str, argument: Any) -> Any:
        nonlocal lines
        if event == "line":
            lines += 1
        return count_lines

    def trace_kb_only(frame: FrameType, event: str, argument: Any) -> Any:
        return count_lines if frame.f_code.co_filename.startswith(KB_FOLDER) else None

    previous = sys.gettrace()
    sys.settrace(trace_kb_only)
    try:
        work()
    finally:
        sys.settrace(previous)
    return lines


@pytest.fixture(scope="module")
def tiny_catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = open_catalog(
        build_tiny_catalog(tmp_path_factory.mktemp("tiny") / "c.duckdb", knowledge=True)
    )
    yield connection
    connection.close()


def growth(work: Callable[[str], object]) -> float:
    work(long_prompt(8))  # first use loads the vocabulary and the curated lists
    return kb_lines_run(lambda: work(long_prompt(LARGE))) / kb_lines_run(lambda: work(long_prompt(SMALL)))


def test_token_counting_grows_linearly() -> None:
    assert growth(count_prompt_tokens) < ALLOWED_GROWTH


def test_linting_grows_linearly_without_a_catalog() -> None:
    assert growth(lint_prompt) < ALLOWED_GROWTH


def test_linting_grows_linearly_with_a_catalog(tiny_catalog: duckdb.DuckDBPyConnection) -> None:
    matcher = CatalogMatcher(tiny_catalog)
    assert growth(lambda prompt: lint_prompt(prompt, matcher, lambda query: ["long hair"])) < ALLOWED_GROWTH


def test_the_long_prompt_has_every_finding_it_is_meant_to_exercise() -> None:
    codes = {finding.code for finding in lint_prompt(long_prompt(16))}
    assert {"unescaped-qualifier", "underscore", "emoticon-open-bracket", "duplicate-tag"} <= codes


def test_thousands_of_nested_brackets_are_read_without_recursion() -> None:
    """Each `:(` opens a group inside the previous one: 3,000 levels deep."""
    prompt = ", ".join(["smile", ":("] * 3000)
    assert render_structure(parse_prompt_structure(prompt)) == prompt
    findings = lint_prompt(prompt)
    assert sum(finding.code == "emoticon-open-bracket" for finding in findings) == 3000
    assert count_prompt_tokens(prompt).count > 0
