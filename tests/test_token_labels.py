"""`aidxl prompt tokens`: per-tag labels read as written (schedule and alternation brackets kept, no
label across `AND`), and counts of one are singular."""

from __future__ import annotations

import re

import pytest

from kb.prompt.tokens import bracket_partners, count_prompt_tokens
from tui.cli import main


def labels(prompt: str) -> list[tuple[str, int]]:
    return [(tag.text, tag.tokens) for tag in count_prompt_tokens(prompt).tags]


def test_schedule_and_alternation_labels_keep_their_brackets_and_stop_at_and() -> None:
    # The counted text is AND part 2 (' c:0.5, x'): `[a|b]` costs nothing in it, `c:0.5` five tokens.
    assert labels("[a|b] AND c:0.5, x") == [("[a|b]", 0), ("c:0.5", 5), ("x", 1)]
    assert [text for text, _ in labels("[cat:dog:0.5], (red:1.2) hair AND [a|b]")] == [
        "[cat:dog:0.5]",
        "(red:1.2) hair",
        "[a|b]",
    ]
    assert [text for text, _ in labels("x, [a:b:3]")] == ["x", "[a:b:3]"]


def test_labels_stay_within_their_tag_and_keep_the_plain_cases() -> None:
    assert [text for text, _ in labels("(a, b) c, d")] == ["a", "b) c", "d"]  # never into `a`
    assert [text for text, _ in labels("(long hair:1.2), ganyu (genshin impact)")] == [
        "long hair",
        "ganyu (genshin impact)",
    ]


@pytest.mark.parametrize(
    "prompt",
    [
        "[a|b] AND c:0.5, x",
        "[[a|b]:c:0.3] AND d AND [e:f:0.5]:0.8",
        "(a AND b), [c:d:0.2] e, ((f)), \\(g\\)",
        "1girl, [smile|frown] AND [cat:dog:10], <lora:x:0.8> solo",
    ],
)
def test_every_label_is_written_text_with_balanced_brackets_and_no_and(prompt: str) -> None:
    report = count_prompt_tokens(prompt)
    partners = bracket_partners(prompt)
    for tag in report.tags:
        assert tag.text in prompt
        assert re.search(r"\bAND\b", tag.text) is None, tag.text
        start = prompt.index(tag.text, max(0, tag.start - len(tag.text)))
        inside = range(start, start + len(tag.text))
        # Every paired bracket in the label has its partner in the label too.
        assert all(partners[position] in inside for position in inside if partners[position] >= 0), tag.text


def test_a_chunk_of_one_token_is_singular(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prompt", "tokens", "a"]) == 0
    out = capsys.readouterr().out
    assert "chunk 1: 1 token, from token 0" in out
    assert main(["prompt", "tokens", "a, b"]) == 0
    assert "chunk 1: 3 tokens," in capsys.readouterr().out
