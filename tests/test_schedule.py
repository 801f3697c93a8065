"""Prompt schedules, AND and extra networks against the web UI's documented examples and our own cases.

Expected values: the doctests of the web UI's `modules/prompt_parser.py`
(`get_learned_conditioning_prompt_schedules`, steps 10), its `extra_networks.parse_prompt` docstring
example, and cases worked out by hand from its grammar and step arithmetic.
"""

from __future__ import annotations

import pytest

from kb.prompt.schedule import (
    Alternation,
    Edit,
    ExtraNetworkCall,
    ScheduleError,
    parse_schedule,
    prompt_schedule,
    split_and,
    strip_extra_networks,
    text_at_step,
)


def alternating(first: str, second: str, steps: int = 10) -> list[tuple[int, str]]:
    return [(step, first if step % 2 else second) for step in range(1, steps + 1)]


# The web UI's doctests (steps=10), as (prompt, schedule).
WEB_UI_DOCTESTS = [
    ("test", [(10, "test")]),
    ("a [b:3]", [(3, "a "), (10, "a b")]),
    ("a [b: 3]", [(3, "a "), (10, "a b")]),
    ("a [[[b]]:2]", [(2, "a "), (10, "a [[b]]")]),
    ("[(a:2):3]", [(3, ""), (10, "(a:2)")]),
    ("a [b : c : 1] d", [(1, "a b  d"), (10, "a  c  d")]),
    ("a[b:[c:d:2]:1]e", [(1, "abe"), (2, "ace"), (10, "ade")]),
    ("a [unbalanced", [(10, "a [unbalanced")]),
    ("a [b:.5] c", [(5, "a  c"), (10, "a b c")]),
    ("((a][:b:c [d:3]", [(3, "((a][:b:c "), (10, "((a][:b:c d")]),
    ("[a|(b:1.1)]", alternating("a", "(b:1.1)")),
    ("[fe|]male", alternating("female", "male")),
    (
        "[fe|||]male",
        [(step, "female" if step % 4 == 1 else "male") for step in range(1, 11)],
    ),
]


@pytest.mark.parametrize(("prompt", "expected"), WEB_UI_DOCTESTS)
def test_web_ui_doctests(prompt: str, expected: list[tuple[int, str]]) -> None:
    assert prompt_schedule(prompt, 10) == expected


def test_web_ui_comment_example_at_100_steps() -> None:
    prompt = (
        "fantasy landscape with a [mountain:lake:0.25] and [an oak:a christmas tree:0.75]"
        "[ in foreground::0.6][ in background:0.25] [shoddy:masterful:0.5]"
    )
    assert prompt_schedule(prompt, 100) == [
        (25, "fantasy landscape with a mountain and an oak in foreground shoddy"),
        (50, "fantasy landscape with a lake and an oak in foreground in background shoddy"),
        (60, "fantasy landscape with a lake and an oak in foreground in background masterful"),
        (75, "fantasy landscape with a lake and an oak in background masterful"),
        (100, "fantasy landscape with a lake and a christmas tree in background masterful"),
    ]


def test_web_ui_hires_doctests() -> None:
    # With hires steps, a fraction counts from 1.0 (the hires pass) and steps from the base steps.
    assert prompt_schedule("a [b:.5] c", 10, hires_steps=10) == [(10, "a b c")]
    assert prompt_schedule("a [b:1.5] c", 10, hires_steps=10) == [(5, "a  c"), (10, "a b c")]
    # The old scheduling option reads every number below 1 as a fraction.
    assert prompt_schedule("[a:b:0]", 10, use_old_scheduling=True) == [(10, "b")]


@pytest.mark.parametrize(
    ("prompt", "steps", "expected"),
    [
        # A number with a dot is a fraction of the steps; without one it is a step.
        ("[cat:dog:0.5]", 20, [(10, "cat"), (20, "dog")]),
        ("[cat:dog:5]", 20, [(5, "cat"), (20, "dog")]),
        ("[cat:dog:1.]", 20, [(20, "cat")]),  # `1.` is the fraction 1.0: the whole run
        ("[cat:dog:1]", 20, [(1, "cat"), (20, "dog")]),
        ("[cat:dog:50]", 20, [(20, "cat")]),  # capped at the steps
        ("[cat:dog:-1]", 20, [(20, "dog")]),  # below 1: never before, always after
        ("[cat:dog:0]", 20, [(20, "dog")]),
        ("[cat:dog:5e-1]", 20, [(20, "dog")]),  # no dot: 0.5 is a step, int(0.5) = 0
        ("[cat:dog:1e1]", 20, [(10, "cat"), (20, "dog")]),
        ("[cat:dog: 0.5 ]", 20, [(10, "cat"), (20, "dog")]),  # blanks around the number
        ("[cat:dog:+3]", 20, [(3, "cat"), (20, "dog")]),
        ("[cat:dog:0.29]", 100, [(28, "cat"), (100, "dog")]),  # 0.29 * 100 = 28.999...: step 28
        ("[cat::3]", 10, [(3, "cat"), (10, "")]),
        ("[:dog:3]", 10, [(3, ""), (10, "dog")]),
        ("[::3]", 10, [(3, ""), (10, "")]),  # a boundary is listed even when nothing changes
        # Alternation with nested editing: every step is listed.
        ("[a|[b:c:2]]", 4, [(1, "a"), (2, "b"), (3, "a"), (4, "c")]),
        ("[a|b|c]", 4, [(1, "a"), (2, "b"), (3, "c"), (4, "a")]),
        ("[|]", 2, [(1, ""), (2, "")]),
        # Not editing: the text is read as written.
        ("[cat:dog]", 10, [(10, "[cat:dog]")]),
        ("[a:b:c:3]", 10, [(10, "[a:b:c:3]")]),
        ("[cat:dog:1e]", 10, [(10, "[cat:dog:1e]")]),
        ("[cat:dog:.]", 10, [(10, "[cat:dog:.]")]),
        ("[cat:dog:٣]", 10, [(10, "[cat:dog:٣]")]),  # only ASCII digits are numbers
        ("(a:b:c) [x:2]", 10, [(2, "(a:b:c) "), (10, "(a:b:c) x")]),
        ("[[a:3]", 10, [(3, "["), (10, "[a")]),
        ("([a:3]:b:c)", 10, [(3, "(:b:c)"), (10, "(a:b:c)")]),
        ("\\[a:3\\]", 10, [(10, "\\[a:3\\]")]),  # escaped brackets are text
        ("[a\\:b:3]", 10, [(3, ""), (10, "a\\:b")]),
    ],
)
def test_schedules(prompt: str, steps: int, expected: list[tuple[int, str]]) -> None:
    assert prompt_schedule(prompt, steps) == expected


@pytest.mark.parametrize(
    ("prompt", "position"),
    [
        ("cat|dog", 3),  # `|` outside any alternation
        ("[a|b]|c", 5),
        ("(a|b)", 2),
        ("[a|b:3]", 2),  # editing and alternation mixed: neither
        ("[a|(b:c:d)]", 2),  # an invalid inner bracket invalidates the alternation around it
        ("[a|b", 2),  # never closed
        ("a [b:3] \\", 8),  # a backslash that escapes nothing
        ("a\\\nb [c:3]", 1),
    ],
)
def test_malformed_prompts_are_read_literally(prompt: str, position: int) -> None:
    parsed = parse_schedule(prompt)
    assert parsed.problem is not None
    assert parsed.problem.position == position
    assert "literally" in parsed.problem.reason
    assert prompt_schedule(prompt, 10) == [(10, prompt)]


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        # Stray brackets or colons right after a construct: the web UI's Earley parser may read the
        # construct as plain characters. Worked out against its parser; see _choose_top_level_readings.
        ("[a:3]:", [(3, ":"), (10, "a:")]),
        ("[a:3]::", [(10, "[a:3]::")]),
        ("[a:3]:::", [(3, ":::"), (10, "a:::")]),
        ("[a:3]::::", [(10, "[a:3]::::")]),
        ("[a:3]::x", [(10, "[a:3]::x")]),
        ("[a:3] ::", [(3, " ::"), (10, "a ::")]),  # a blank between: kept
        ("[a:3]:[b:4]::", [(10, "[a:3]:[b:4]::")]),  # decided right to left
        ("([a:3]):", [(10, "([a:3]):")]),
        ("([a:3])::", [(3, "()::"), (10, "(a)::")]),
        ("[[:-.5]][]]", [(10, "[[:-.5]][]]")]),
        ("([a:3])([b:3])::", [(3, "()()::"), (10, "(a)(b)::")]),
        ("[a:3]():", [(3, "():"), (10, "a():")]),
        ("[a:3]()::", [(10, "[a:3]()::")]),
        ("(([a:3])):::", [(3, "(()):::"), (10, "((a)):::")]),
        ("[a:3]:[b|c]::", [(1, ":b::"), (2, ":c::"), (3, ":b::"), (4, "a:c::")]),
    ],
)
def test_stray_brackets_after_a_construct(prompt: str, expected: list[tuple[int, str]]) -> None:
    assert prompt_schedule(prompt, 10)[: len(expected)] == expected


def test_parse_exposes_edits_and_alternations() -> None:
    parsed = parse_schedule("a [b:[c:d:2]:1] [x|y]")
    assert parsed.problem is None
    assert [edit.when_source for edit in parsed.edits] == ["1", "2"]
    assert isinstance(parsed.edits[0], Edit)
    assert [len(alternation.options) for alternation in parsed.alternations] == [2]
    assert isinstance(parsed.alternations[0], Alternation)


def test_too_large_step_raises_like_the_web_ui() -> None:
    with pytest.raises(ScheduleError, match="too large"):
        prompt_schedule("[a:b:1e999]", 10)


def test_text_at_step_uses_the_samplers_zero_based_step() -> None:
    schedule = prompt_schedule("a [b:3]", 10)
    # The web UI's reconstruct_cond_batch: the first entry whose end step >= the sampler's step.
    assert [text_at_step(schedule, step) for step in range(10)] == ["a "] * 4 + ["a b"] * 6
    assert text_at_step(schedule, 11) == "a "  # past the end: the first entry, as the web UI


def test_deep_nesting_is_iterative() -> None:
    depth = 50_000
    prompt = "[" * depth + "a" + "]" * depth + " [b:c:0.5] " + "(" * depth
    schedule = prompt_schedule(prompt, 4)
    assert [step for step, _ in schedule] == [2, 4]
    assert schedule[0][1].endswith(" b " + "(" * depth)
    # Stray brackets right after the construct: the parser's choice is decided without recursion too.
    assert prompt_schedule("[a:b:0.5]" + "(" * (depth + 1), 4)[0] == (2, "a" + "(" * (depth + 1))


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("a cat AND a dog:0.5", [("a cat", 1.0), (" a dog", 0.5)]),
        ("a AND b : 1.5  ", [("a", 1.0), (" b", 1.5)]),
        ("a:1. AND b:.5 AND c:x", [("a", 1.0), (" b", 0.5), (" c:x", 1.0)]),
        ("ANDROID AND", [("ANDROID", 1.0), ("", 1.0)]),
        ("(a:1.2) AND [b:c:0.5]", [("(a:1.2)", 1.0), (" [b:c:0.5]", 1.0)]),
        ("a:-2", [("a", -2.0)]),
        ("a :1:2", [("a :1", 2.0)]),
        ("a" + " " * 50_000 + "b", [("a" + " " * 50_000 + "b", 1.0)]),
    ],
)
def test_split_and(prompt: str, expected: list[tuple[str, float]]) -> None:
    assert split_and(prompt) == expected


def test_strip_extra_networks_as_the_web_ui_docstring() -> None:
    text, calls = strip_extra_networks(
        "1girl, <hypernet:agm:1.1> <extrasupernet:master:12:13:14> <hypernet:ray>"
    )
    assert text == "1girl,   "
    assert calls == [
        ExtraNetworkCall("hypernet", ("agm", "1.1"), 7, 25),
        ExtraNetworkCall("extrasupernet", ("master", "12", "13", "14"), 26, 57),
        ExtraNetworkCall("hypernet", ("ray",), 58, 72),
    ]
    assert strip_extra_networks("<lora:a b:0.8>x<:y><lora:>") == (
        "x<:y><lora:>",
        [ExtraNetworkCall("lora", ("a b", "0.8"), 0, 14)],
    )
