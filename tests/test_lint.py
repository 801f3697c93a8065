"""The prompt linter: findings, spans and fixes, with and without a catalog."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from prompt_fixture import build_tiny_catalog

from kb.catalog import open_catalog
from kb.lint import Finding, Severity, catalog_suggester, lint_prompt
from kb.tagview import CatalogMatcher, DictMatcher

DONE_WHEN_PROMPT = "ganyu (genshin impact), long_hair, :(, by chi4"


def codes(findings: list[Finding]) -> list[tuple[str, int, int, str | None]]:
    return [(finding.code, finding.start, finding.end, finding.fix) for finding in findings]


@pytest.fixture(scope="module")
def tiny_catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = open_catalog(build_tiny_catalog(tmp_path_factory.mktemp("tiny") / "catalog.duckdb"))
    yield connection
    connection.close()


def test_done_when_prompt_without_catalog() -> None:
    findings = lint_prompt(DONE_WHEN_PROMPT)
    assert codes(findings) == [
        ("unescaped-qualifier", 0, 22, "ganyu \\(genshin impact\\)"),
        ("underscore", 24, 33, "long hair"),
        ("emoticon-open-bracket", 35, 37, ":\\("),
        ("slot-order", 39, 46, None),
    ]
    qualifier, _, emoticon, _ = findings
    assert "reads `ganyu` weighted 1 and `genshin impact` weighted 1.1" in qualifier.message
    assert "everything after it (`, by chi4`) is weighted ×1.1" in emoticon.message
    assert [finding.severity for finding in findings] == [
        Severity.WARNING, Severity.WARNING, Severity.WARNING, Severity.INFO,
    ]


def test_clean_prompt_has_no_findings() -> None:
    assert lint_prompt("by chi4, ganyu \\(genshin impact\\), long hair, smile, (best quality:1.3)") == []
    assert lint_prompt("") == []


def test_vanishing_emoticon() -> None:
    (finding,) = lint_prompt("smile (:3), cat")
    assert codes([finding]) == [("emoticon-vanishes", 6, 10, "\\(:3\\)")]
    assert "empty group weighted 3" in finding.message


def test_emoticon_bracket_closed_by_another_emoticon() -> None:
    assert codes(lint_prompt("sad :(, happy :), x")) == [("emoticon-bracket", 4, 6, ":\\(")]


def test_unclosed_bracket_that_is_not_an_emoticon() -> None:
    (finding,) = lint_prompt("(cat, dog")
    assert codes([finding]) == [("unclosed-bracket", 0, 1, "\\(")]
    assert "everything after it (`cat, dog`) is weighted ×1.1" in finding.message


def test_unreadable_weight_is_an_error() -> None:
    (finding,) = lint_prompt("(cat:1.2.3)")
    assert codes([finding]) == [("bad-weight", 5, 10, None)]
    assert finding.severity == Severity.ERROR


def test_weights_out_of_range() -> None:
    findings = lint_prompt("cat, (dog:2), [[[[[[[[bird]]]]]]]], (fish:0)")
    assert codes(findings) == [
        ("weight-range", 5, 12, "(dog:1.5)"),
        ("weight-range", 14, 34, "(bird:0.5)"),
        ("weight-not-positive", 36, 44, None),
    ]
    assert [finding.severity for finding in findings] == [Severity.WARNING, Severity.WARNING, Severity.ERROR]


def test_emoticon_tags_keep_their_underscores() -> None:
    assert lint_prompt("^_^, >_<, smile") == []


def test_duplicates_are_removed_with_their_separator() -> None:
    prompt = "smile, long hair, smile"
    (finding,) = lint_prompt(prompt)
    assert codes([finding]) == [("duplicate-tag", 16, 23, "")]
    assert prompt[: finding.start] + finding.fix + prompt[finding.end :] == "smile, long hair"  # type: ignore[operator]


def test_chunk_border_inside_a_tag() -> None:
    long_tag = " ".join(["cat"] * 30)
    prompt = " ".join(["dog"] * 50) + ", " + long_tag
    (finding,) = lint_prompt(prompt)
    assert codes([finding]) == [("chunk-border", 201, 320, "BREAK " + long_tag)]
    assert "token 75" in finding.message


def test_quality_first_and_style_last_are_out_of_slot() -> None:
    findings = lint_prompt("best quality, white hair, cowboy shot, white dress, smile, by chi4")
    assert codes(findings) == [("slot-order", 0, 12, None), ("slot-order", 59, 66, None)]


def test_slot_order_follows_the_assembly() -> None:
    prompt = "masterpiece, best quality, 1girl, solo, white hair, smile, cowboy shot, white dress, by chi4"
    findings = lint_prompt(prompt)
    assert codes(findings) == [("slot-order", 13, 25, None), ("slot-order", 85, 92, None)]
    assert [finding.message for finding in findings] == [
        "`best quality` (quality) is tag 2 of 9; in the card's order (`aidxl prompt assemble`) it is "
        "tag 9: quality tags go near the end, after the aesthetics",
        "`by chi4` (art style) is tag 9 of 9; in the card's order (`aidxl prompt assemble`) it is "
        "tag 1: art style opens the prompt (appending it is a deliberate softening)",
    ]


def test_subject_count_is_in_the_character_slot() -> None:
    assert codes(lint_prompt("smile, long hair, white dress, outdoors, cowboy shot, 1girl")) == [
        ("slot-order", 54, 59, None)
    ]


def test_small_displacements_are_not_far() -> None:
    # 7 tags: by chi4 is 2 places from where the assembly puts it, not more than a third of 6.
    prompt = "1girl, solo, by chi4, ganyu \\(genshin impact\\), long hair, smile, best quality"
    assert lint_prompt(prompt) == []
    # One place is never far, even in a 4-tag prompt.
    assert lint_prompt("1girl, by chi4, smile, best quality") == []


def test_duplicates_count_once_for_slots() -> None:
    # 4 distinct tags: best quality is tag 1 of 4, the assembly puts it 4th.
    assert codes(lint_prompt("best quality, smile, best quality, long hair, white dress")) == [
        ("slot-order", 0, 12, None),
        ("duplicate-tag", 19, 33, ""),
    ]


def test_an_assembled_prompt_has_no_slot_findings() -> None:
    from kb.assemble import assemble_prompt

    messy = "best quality, white dress, smile, 1girl, cowboy shot, impasto, grass, beautiful color, by chi4"
    assembled = assemble_prompt(messy).positive
    assert assembled == (
        "by chi4, 1girl, cowboy shot, impasto, smile, white dress, grass, beautiful color, (best quality:1.3)"
    )
    assert [finding.code for finding in lint_prompt(messy)].count("slot-order") == 2
    assert lint_prompt(assembled) == []


def test_with_the_tiny_catalog(tiny_catalog: duckdb.DuckDBPyConnection) -> None:
    matcher = CatalogMatcher(tiny_catalog)
    findings = lint_prompt("long hiar, smile, ganyu", matcher, catalog_suggester(tiny_catalog))
    assert codes(findings) == [("unknown-tag", 0, 9, "long hair")]
    assert findings[0].message == (
        "`long hiar` is not a tag or trigger in the catalog; did you mean `long hair`?"
    )
    # The emoticon trap explains `:`, so no "unknown tag" for it.
    assert [finding.code for finding in lint_prompt(DONE_WHEN_PROMPT, matcher)] == [
        "unescaped-qualifier", "underscore", "emoticon-open-bracket", "slot-order",
    ]


def test_unverified_style_trigger() -> None:
    matcher = DictMatcher(
        tags={"smile": 0},
        triggers={"by someone": ("artist_style", None, False), "smile": ("general", "smile", False)},
    )
    findings = lint_prompt("by someone, smile", matcher)
    assert codes(findings) == [("unverified-trigger", 0, 10, None)]
    assert "not verified as one of AIDXL's own" in findings[0].message


@pytest.mark.slow  # builds the real catalog once per session (shared with other tests)
def test_done_when_prompt_with_the_real_catalog(tmp_path_factory: pytest.TempPathFactory) -> None:
    from catalog_fixture import build_real_catalog

    path: Path = build_real_catalog(tmp_path_factory.mktemp("real") / "catalog.duckdb")
    connection = open_catalog(path)
    try:
        matcher = CatalogMatcher(connection)
        findings = lint_prompt(DONE_WHEN_PROMPT, matcher, catalog_suggester(connection))
        typo = lint_prompt("ganyu \\(genshn impact\\)", matcher, catalog_suggester(connection))
    finally:
        connection.close()
    assert [finding.code for finding in findings][:3] == [
        "unescaped-qualifier", "underscore", "emoticon-open-bracket",
    ]
    assert codes(typo) == [("unknown-tag", 0, 23, "ganyu \\(genshin impact\\)")]
