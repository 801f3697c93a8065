"""The attention parser against the web UI's own documented examples and edge cases."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.errors import PromptSyntaxError
from kb.prompt.attention import (
    ROUND_BRACKET_MULTIPLIER,
    SQUARE_BRACKET_MULTIPLIER,
    AlternationNode,
    BreakNode,
    EmphasisNode,
    ExtraNetworkNode,
    ScheduleNode,
    TextNode,
    _multiply_after_unclosed,
    _OpenPiece,
    attention_pieces,
    parse_prompt_attention,
    parse_prompt_structure,
    render_structure,
)

# The docstring examples of modules/prompt_parser.py::parse_prompt_attention in the web UI.
WEB_UI_DOCSTRING_EXAMPLES = [
    ("normal text", [("normal text", 1.0)]),
    ("an (important) word", [("an ", 1.0), ("important", 1.1), (" word", 1.0)]),
    ("(unbalanced", [("unbalanced", 1.1)]),
    ("\\(literal\\]", [("(literal]", 1.0)]),
    ("(unnecessary)(parens)", [("unnecessaryparens", 1.1)]),
    (
        "a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).",
        [
            ("a ", 1.0),
            ("house", 1.5730000000000004),
            (" ", 1.1),
            ("on", 1.0),
            (" a ", 1.1),
            ("hill", 0.55),
            (", sun, ", 1.1),
            ("sky", 1.4641000000000006),
            (".", 1.1),
        ],
    ),
]

MORE_CASES = [
    ("", [("", 1.0)]),
    ("((a))", [("a", 1.2100000000000002)]),
    ("[[a]]", [("a", 0.8264462809917354)]),
    ("(a: 1.5 )", [("a", 1.5)]),
    ("((a:1.2))", [("a", 1.32)]),
    ("(a:.5)", [("a", 0.5)]),
    ("(a:+2)", [("a", 2.0)]),
    ("(a:-0.5) b", [("a", -0.5), (" b", 1.0)]),
    ("(a [b] c)", [("a ", 1.1), ("b", 1.0), (" c", 1.1)]),
    ("\\\\", [("\\", 1.0)]),
    ("a\\b", [("ab", 1.0)]),  # a lone backslash vanishes
    ("a \\(b\\) c", [("a (b) c", 1.0)]),
    ("ganyu (genshin impact)", [("ganyu ", 1.0), ("genshin impact", 1.1)]),
    ("ganyu \\(genshin impact\\)", [("ganyu (genshin impact)", 1.0)]),
    # unbalanced: open round brackets apply first, then open square ones
    ("a (b [c", [("a ", 1.0), ("b ", 1.1), ("c", 1.0)]),
    ("[a [b] c", [("a ", 0.9090909090909091), ("b", 0.8264462809917354), (" c", 0.9090909090909091)]),
    ("a) b]", [("a) b]", 1.0)]),
    ("a:1.2)", [("a:1.2)", 1.0)]),
    # emoticon traps
    ("(:3)", [("", 1.0)]),
    (":( a, b", [(":", 1.0), (" a, b", 1.1)]),
    ("smile :), (b)", [("smile :), ", 1.0), ("b", 1.1)]),
    # BREAK
    ("a BREAK b", [("a", 1.0), ("BREAK", -1), ("b", 1.0)]),
    ("(a BREAK b)", [("a", 1.1), ("BREAK", -1.1), ("b", 1.1)]),
    ("BREAK", [("", 1.0), ("BREAK", -1), ("", 1.0)]),
    ("aBREAK b", [("aBREAK b", 1.0)]),
    ("a BREAK BREAK b", [("a", 1.0), ("BREAK", -1), ("", 1.0), ("BREAK", -1), ("b", 1.0)]),
    # the rest of the syntax is plain text to the attention parser
    ("a AND b", [("a AND b", 1.0)]),
    ("[a:b:0.5]", [("a:b:0.5", 0.9090909090909091)]),
    ("<lora:x:0.5>", [("<lora:x:0.5>", 1.0)]),
]


@pytest.mark.parametrize(("prompt", "expected"), WEB_UI_DOCSTRING_EXAMPLES + MORE_CASES)
def test_parse_prompt_attention_matches_the_web_ui(prompt: str, expected: list[tuple[str, float]]) -> None:
    assert parse_prompt_attention(prompt) == expected


def test_break_weight_is_the_web_uis_integer() -> None:
    assert repr(parse_prompt_attention("a BREAK b")[1][1]) == "-1"


def test_unreadable_weight_raises_with_position() -> None:
    with pytest.raises(PromptSyntaxError) as raised:
        parse_prompt_attention("x, (a:1.2.3)")
    assert (raised.value.start, raised.value.end) == (6, 11)
    assert "prompt position 6" in str(raised.value)


def test_pieces_carry_source_spans() -> None:
    pieces = attention_pieces("a, (b:1.2), \\(c\\)")
    assert [(piece.text, piece.weight, piece.start, piece.end) for piece in pieces] == [
        ("a, ", 1.0, 0, 3),
        ("b", 1.2, 4, 5),
        (", ", 1.0, 10, 12),
        ("(", 1.0, 12, 14),
        ("c", 1.0, 14, 15),
        (")", 1.0, 15, 17),
    ]


def test_structure_recognises_every_construct() -> None:
    prompt = "x <lora:foo:0.8>, [a:b:0.5], [c::3], [d:2], [e|f], (g:1.2), [h] BREAK i :1.1 AND j"
    structure = parse_prompt_structure(prompt)
    nodes = list(structure.walk())
    extra = next(node for node in nodes if isinstance(node, ExtraNetworkNode))
    assert (extra.network, extra.name, extra.multiplier, extra.start, extra.end) == (
        "lora",
        "foo",
        0.8,
        2,
        16,
    )
    schedules = [node for node in nodes if isinstance(node, ScheduleNode)]
    assert [(node.before is None, node.when, node.start, node.end) for node in schedules] == [
        (False, 0.5, 18, 27),
        (False, 3.0, 29, 35),
        (True, 2.0, 37, 42),
    ]
    assert schedules[1].after == ()
    alternation = next(node for node in nodes if isinstance(node, AlternationNode))
    assert [
        [child.source for child in option if isinstance(child, TextNode)] for option in alternation.options
    ] == [
        ["e"],
        ["f"],
    ]
    emphases = [node for node in nodes if isinstance(node, EmphasisNode)]
    assert [(node.opener, node.weight, node.closed) for node in emphases] == [
        ("(", 1.2, True),
        ("[", None, True),
    ]
    assert any(isinstance(node, BreakNode) for node in nodes)
    assert [(part.weight, part.start, part.end) for part in structure.subprompts] == [
        (1.1, 0, 77),
        (1.0, 80, 82),
    ]


def test_unclosed_square_bracket_keeps_its_separators_as_text() -> None:
    structure = parse_prompt_structure("[a:b")
    (node,) = structure.subprompts[0].nodes
    assert isinstance(node, EmphasisNode) and not node.closed
    assert [child.source for child in node.children if isinstance(child, TextNode)] == ["a", ":", "b"]


SYNTAX_ALPHABET = st.sampled_from([*"ab :|()[]\\<>,.0123", "BREAK", "AND", "<lora:x:0.5>", " 1.5", "\n"])


@settings(max_examples=1000, deadline=None)
@given(st.lists(SYNTAX_ALPHABET, max_size=30).map("".join))
def test_structure_is_lossless(prompt: str) -> None:
    assert render_structure(parse_prompt_structure(prompt)) == prompt


@settings(max_examples=500, deadline=None)
@given(st.lists(SYNTAX_ALPHABET, max_size=30).map("".join))
def test_attention_pieces_cover_their_spans(prompt: str) -> None:
    try:
        pieces = attention_pieces(prompt)
    except PromptSyntaxError:
        return
    for piece in pieces:
        assert 0 <= piece.start <= piece.end <= len(prompt)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.sampled_from([1.0, 1.1, 0.5, 1.21, -1.0, 1.5730000000000004]), max_size=40),
    st.lists(st.integers(min_value=0, max_value=40), max_size=30).map(sorted),
    st.sampled_from([ROUND_BRACKET_MULTIPLIER, SQUARE_BRACKET_MULTIPLIER]),
)
def test_unclosed_brackets_weigh_the_rest_as_the_web_ui_does(
    weights: list[float], openers: list[int], multiplier: float
) -> None:
    """One pass gives the very floats of the web UI's multiplication per unclosed bracket."""
    pieces = [_OpenPiece("x", weight, index, index + 1) for index, weight in enumerate(weights)]
    expected = list(weights)
    for first_index in openers:  # the web UI: every piece from the bracket on, bracket after bracket
        for index in range(first_index, len(expected)):
            expected[index] *= multiplier
    _multiply_after_unclosed(pieces, openers, multiplier)
    assert [piece.weight for piece in pieces] == expected


def test_many_open_brackets_in_one_prompt() -> None:
    assert parse_prompt_attention(":( a, :( b, [c") == [
        (":", 1.0),
        (" a, :", 1.1),
        (" b, ", 1.2100000000000002),
        ("c", 1.1),  # 1.21 / 1.1, as the web UI computes it
    ]
