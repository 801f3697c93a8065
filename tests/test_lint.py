"""The prompt linter: findings, spans and fixes, with and without a catalog."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from prompt_fixture import build_tiny_catalog

from kb.catalog import open_catalog
from kb.knowledge.author_tables import AuthorTables
from kb.prompt.lint import Finding, Severity, catalog_suggester, lint_prompt
from kb.prompt.tagview import CatalogMatcher, DictMatcher

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
        Severity.WARNING,
        Severity.WARNING,
        Severity.WARNING,
        Severity.INFO,
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


def test_an_open_bracket_at_the_end_says_nothing_follows_it() -> None:
    (_, emoticon) = lint_prompt("long_hair, :(")
    assert codes([emoticon]) == [("emoticon-open-bracket", 11, 13, ":\\(")]
    assert "(nothing follows it)" in emoticon.message
    assert "``" not in emoticon.message
    (bracket,) = lint_prompt("cat, (")
    assert "(nothing follows it)" in bracket.message and "``" not in bracket.message


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
    findings = [finding for finding in lint_prompt(prompt) if finding.code != "foreign-quality"]
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
    from kb.prompt.assemble import assemble_prompt

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
        "unescaped-qualifier",
        "underscore",
        "emoticon-open-bracket",
        "slot-order",
    ]


def test_editing_and_alternation_are_not_unknown_tags() -> None:
    matcher = DictMatcher(tags={"smile": 0, "solo": 0}, triggers={})
    findings = lint_prompt("[cat|dog], smile, [day:night:0.5], catz, <lora:x:0.8> [a|b]", matcher)
    # Only the real unknown tag is reported; the constructs are not tags (they were, before).
    assert codes(findings) == [("unknown-tag", 35, 39, None)]
    # Malformed: the syntax finding explains `cat|dog`, no "unknown tag" beside it.
    assert codes(lint_prompt("smile, cat|dog", matcher)) == [("schedule-syntax", 10, 11, None)]


def test_malformed_schedule_syntax_is_one_finding_where_it_breaks() -> None:
    findings = lint_prompt("smile, cat|dog, [a:b:0.5]")
    assert codes(findings) == [("schedule-syntax", 10, 11, None)]
    assert findings[0].severity == Severity.WARNING
    assert findings[0].message == (
        "prompt position 10: `|` is outside any alternation `[a|b]`, so the web UI reads the whole prompt "
        "literally: no editing, no alternation"
    )
    # In an AND part after extra networks: the position is the prompt's own.
    after_lora = lint_prompt("smile AND <lora:x:1>[a|b")
    assert codes(after_lora) == [("unclosed-bracket", 20, 21, "\\["), ("schedule-syntax", 22, 23, None)]
    assert after_lora[1].message.startswith(
        "prompt position 22: `|` is outside any alternation `[a|b]` (the bracket at position 20 is not"
    )
    assert lint_prompt("smile, [a:b:0.5], [c|d]") == []


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
        "unescaped-qualifier",
        "underscore",
        "emoticon-open-bracket",
    ]
    assert codes(typo) == [("unknown-tag", 0, 23, "ganyu \\(genshin impact\\)")]


# ------------------------------------------------------------------------------------------------
# Implied tags (the author's implication table)

HAIR_IMPLICATIONS = AuthorTables(
    {},
    {
        "very_long_hair": frozenset({"long_hair"}),
        "absurdly_long_hair": frozenset({"long_hair", "very_long_hair"}),
        "bow_(weapon)": frozenset({"weapon"}),
    },
)


def apply(prompt: str, finding: Finding) -> str:
    assert finding.fix is not None
    return prompt[: finding.start] + finding.fix + prompt[finding.end :]


def implied(prompt: str, tables: AuthorTables = HAIR_IMPLICATIONS) -> list[Finding]:
    return [finding for finding in lint_prompt(prompt, tables=tables) if finding.code == "implied"]


def test_an_implied_tag_is_reported_and_dropped() -> None:
    for prompt, fixed in (
        ("long hair, very long hair", "very long hair"),
        ("very long hair, long hair", "very long hair"),
        ("smile, long hair, white hair, very long hair", "smile, white hair, very long hair"),
    ):
        (finding,) = implied(prompt)
        assert finding.severity == Severity.WARNING
        assert "`long hair` is implied by `very long hair`" in finding.message
        assert apply(prompt, finding) == fixed


def test_implied_tags_with_weights_escapes_and_shared_brackets() -> None:
    for prompt, fixed in (
        ("(very long hair:1.2), long hair", "(very long hair:1.2)"),
        ("(long hair:0.9), very long hair", "very long hair"),
        ("(long hair, very long hair:1.2), smile", "(very long hair:1.2), smile"),
        ("(very long hair, long hair:1.2), smile", "(very long hair:1.2), smile"),
        ("bow \\(weapon\\), weapon", "bow \\(weapon\\)"),
    ):
        (finding,) = implied(prompt)
        assert apply(prompt, finding) == fixed, prompt


def test_an_implied_tag_weighted_up_may_be_deliberate() -> None:
    (finding,) = implied("very long hair, (long hair:1.3)")
    assert finding.severity == Severity.INFO
    assert "weighted 1.3, more than `very long hair` at 1" in finding.message


def test_each_implied_tag_once_and_repeats_left_to_duplicate_tag() -> None:
    prompt = "long hair, very long hair, absurdly long hair, long hair"
    findings = lint_prompt(prompt, tables=HAIR_IMPLICATIONS)
    shown = {"implied", "duplicate-tag"}
    assert [(f.code, prompt[f.start : f.end]) for f in findings if f.code in shown] == [
        ("implied", "long hair, "),
        ("implied", ", very long hair"),
        ("duplicate-tag", ", long hair"),
    ]
    # Both are named after the tag that stays, not after `very long hair`, which goes too.
    assert [f.message.split(" (")[0] for f in findings if f.code == "implied"] == [
        "`long hair` is implied by `absurdly long hair`",
        "`very long hair` is implied by `absurdly long hair`",
    ]


def test_no_implied_findings_without_the_table() -> None:
    assert implied("long hair, very long hair", AuthorTables()) == []
    assert [f.code for f in lint_prompt("long hair, very long hair")] == []


def test_the_matchers_tables_are_read_by_default() -> None:
    matcher = DictMatcher({"long_hair": 0, "very_long_hair": 0}, author_tables=HAIR_IMPLICATIONS)
    assert [f.code for f in lint_prompt("long hair, very long hair", matcher)] == ["implied"]


# ------------------------------------------------------------------------------------------------
# Other models' quality words (kb/data/foreign_quality.toml)


def foreign(prompt: str) -> list[Finding]:
    return [finding for finding in lint_prompt(prompt) if finding.code == "foreign-quality"]


def test_other_models_quality_words_get_the_nearest_rung() -> None:
    for word, rung in (
        ("masterpiece", "amazing quality"),
        ("score_9", "amazing quality"),
        ("score_8_up", "best quality"),
        ("score 7 up", "high quality"),
        ("score_4_up", "worst quality"),
        ("very aesthetic", "aesthetic"),
        ("Masterpiece", "amazing quality"),
    ):
        prompt = f"1girl, {word}, smile"
        (finding,) = foreign(prompt)
        assert finding.fix == rung, word
        assert apply(prompt, finding) == f"1girl, {rung}, smile"
        assert finding.severity == Severity.WARNING
        assert "not one of AIDXL's" in finding.message


def test_the_rung_keeps_the_weight() -> None:
    prompt = "(masterpiece:1.2), 1girl"
    (finding,) = foreign(prompt)
    assert apply(prompt, finding) == "(amazing quality:1.2), 1girl"
    assert "`amazing quality` … `horrible quality`" in finding.message


def test_words_without_a_counterpart_or_with_the_rung_present_are_removed() -> None:
    prompt = "1girl, source_anime, rating_safe, score_9, amazing quality"
    findings = foreign(prompt)
    assert [prompt[f.start : f.end] for f in findings] == [", source_anime", ", rating_safe", ", score_9"]
    assert all(finding.fix == "" for finding in findings)
    assert "AIDXL has no counterpart" in findings[0].message
    assert "the prompt already has `amazing quality`" in findings[2].message
    assert apply(prompt, findings[0]) == "1girl, rating_safe, score_9, amazing quality"


def test_underscores_of_other_models_words_are_not_an_underscore_finding() -> None:
    # `score_9` is not AIDXL's with spaces either; AIDXL's own rung with an underscore is.
    assert [f.code for f in lint_prompt("score_9")] == ["foreign-quality"]
    assert [(f.code, f.fix) for f in lint_prompt("best_quality")] == [("underscore", "best quality")]


def test_aidxls_own_words_are_not_foreign() -> None:
    prompt = "amazing quality, best quality, worst quality, highres, absurdres, lowres, aesthetic, detailed"
    assert foreign(prompt) == []


def test_foreign_words_get_no_unknown_tag_suggestion(tiny_catalog: duckdb.DuckDBPyConnection) -> None:
    def search(_: str) -> list[str]:
        return ["world masterpiece theater"]

    findings = lint_prompt("masterpiece, score_9, source_anime", CatalogMatcher(tiny_catalog), search)
    assert {finding.code for finding in findings} == {"foreign-quality"}


# ------------------------------------------------------------------------------------------------
# With the real catalog: the author's implication table, aliases, other models' words


@pytest.fixture(scope="module")
def real_catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    from catalog_fixture import build_real_catalog

    connection = open_catalog(build_real_catalog(tmp_path_factory.mktemp("real") / "catalog.duckdb"))
    yield connection
    connection.close()


def real_lint(connection: duckdb.DuckDBPyConnection, prompt: str) -> list[Finding]:
    return lint_prompt(prompt, CatalogMatcher(connection), catalog_suggester(connection))


def test_real_catalog_reports_implied_tags(real_catalog: duckdb.DuckDBPyConnection) -> None:
    (finding,) = [f for f in real_lint(real_catalog, "long hair, very long hair") if f.code == "implied"]
    assert (finding.start, finding.end, finding.fix) == (0, 11, "")
    assert "`long hair` is implied by `very long hair`" in finding.message
    for prompt, implied_text in (
        ("very_long_hair, long_hair", "long_hair"),  # underscores
        ("(very long hair:1.2), long hair", "long hair"),  # weights
        ("/vlh, long hair", "long hair"),  # an alias of very_long_hair
        ("hair past feet, very long hair", "very long hair"),  # an alias of absurdly_long_hair
        ("Very Long Hair, LONG HAIR", "LONG HAIR"),
        ("bow \\(weapon\\), weapon", "weapon"),  # escapes
        ("holding sword, sword, smile", "sword"),
        ("frieren \\(sousou no frieren\\), large breasts, breasts", "breasts"),
    ):
        findings = [f for f in real_lint(real_catalog, prompt) if f.code == "implied"]
        assert [f"`{implied_text}` is implied by" in f.message for f in findings] == [True], prompt
        fixed = apply(prompt, findings[0])
        assert [f.code for f in real_lint(real_catalog, fixed) if f.code == "implied"] == [], prompt


def test_real_catalog_foreign_words_never_suggest_unrelated_tags(
    real_catalog: duckdb.DuckDBPyConnection,
) -> None:
    from kb.knowledge.curated import load_foreign_quality_words

    for word in load_foreign_quality_words():
        findings = real_lint(real_catalog, f"1girl, {word.text}, smile")
        assert [f.code for f in findings] == ["foreign-quality"], word.text
        assert findings[0].fix == (word.nearest or ""), word.text
        assert "masterpiece theater" not in findings[0].message


def test_a_character_in_its_danbooru_name_is_offered_the_form_aidxl_knows(
    real_catalog: duckdb.DuckDBPyConnection,
) -> None:
    (finding,) = [f for f in real_lint(real_catalog, "smile, (frieren:1.2)") if f.code == "character-form"]
    assert finding.fix == "frieren \\(sousou no frieren\\)"
    assert "smile, (frieren:1.2)"[finding.start : finding.end] == "frieren"  # the weight stays
    assert finding.severity is Severity.INFO
    for prompt in ("frieren \\(sousou no frieren\\)", "ganyu \\(genshin impact\\)", "hatsune miku"):
        assert "character-form" not in [f.code for f in real_lint(real_catalog, prompt)], prompt


def test_the_qualifier_message_quotes_only_the_tag_not_the_text_before_it() -> None:
    (finding,) = [
        f for f in lint_prompt("masterpiece, ganyu (genshin impact)") if f.code == "unescaped-qualifier"
    ]
    assert "the web UI reads `ganyu` weighted 1 and `genshin impact` weighted 1.1" in finding.message
