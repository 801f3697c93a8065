"""Rendering tags to prompt text, and the round trip through the tag view."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kb.knowledge.tagforms import to_plain_form
from kb.prompt.attention import extra_network_matches
from kb.prompt.render import (
    format_weight,
    parse_tags,
    render_canonical_tags,
    render_tag,
    render_tags,
)
from kb.prompt.segments import normalise_prompt

BUILT_IN_SAMPLE = (
    "long_hair",
    "bishop_(chess)",
    "ganyu_(genshin_impact)",
    "rem_(re:zero)",
    "ganyu_(twilight_blossom)_(genshin_impact)",
    "^_^",
    ">_<",
    "(o)_(o)",
    "<|>_<|>",
    ":(",
    ":)",
    ";)",
    "):",
    ":3",
    ":d",
    "\\m/",
    "[]",
    "ratio:1",
    "star_(symbol)",
    "by chi4",
    "best quality",
)


def test_render_tag() -> None:
    assert render_tag("long hair") == "long hair"
    assert render_tag("bishop (chess)", 1.2) == "(bishop \\(chess\\):1.2)"
    assert render_tag(":(", 0.9) == "(:\\(:0.9)"
    assert render_tag("x", 1.004) == "x"
    assert render_tag("x", 0.855) == "(x:0.85)"  # 0.855 is stored as 0.85499...
    assert render_tag("x", 1.5) == "(x:1.5)"


def test_format_weight() -> None:
    assert [format_weight(w) for w in (1.0, 1.2, 0.85, 2.0, 1.4641000000000006, -0.001, 0.0)] == [
        "1",
        "1.2",
        "0.85",
        "2",
        "1.46",
        "0",
        "0",
    ]


def test_render_tags_and_canonical() -> None:
    assert render_tags(
        [("by chi4", 0.8), ("ganyu (genshin impact)", 1.0), ("", 1.3), ("best quality", 1.3)]
    ) == ("(by chi4:0.8), ganyu \\(genshin impact\\), (best quality:1.3)")
    assert render_canonical_tags([("long_hair", 1.0), ("^_^", 1.1), ("bishop_(chess)", 1.0)]) == (
        "long hair, (^_^:1.1), bishop \\(chess\\)"
    )


def test_normalise_prompt() -> None:
    assert (
        normalise_prompt("((long_hair)), [smile], (a, b:1.25)")
        == "(long_hair:1.21), (smile:0.91), (a:1.25), (b:1.25)"
    )


def representable(text: str) -> bool:
    """Tags a comma-separated prompt can hold: no comma, no outer blanks, no BREAK keyword."""
    return bool(text) and "," not in text and text == text.strip() and not re.search(r"\bBREAK\b", text)


WEIGHTS = st.integers(min_value=-200, max_value=300).map(lambda hundredths: hundredths / 100)
RANDOM_TEXT = st.text(alphabet="ab z()[]\\:_^><;|.0123\n", min_size=1, max_size=12).filter(representable)


@pytest.fixture(scope="module")
def tag_lists(request: pytest.FixtureRequest) -> st.SearchStrategy[list[tuple[str, float]]]:
    """Lists of (tag, weight): real Danbooru tags when ../shared/data is present, else a built-in sample."""
    names = BUILT_IN_SAMPLE
    try:
        shared_data: Path = request.getfixturevalue("shared_data")
    except pytest.skip.Exception:
        pass
    else:
        with (shared_data / "danbooru.csv").open(encoding="utf-8", newline="") as handle:
            names += tuple(row[0] for row in csv.reader(handle) if row)
    texts = [text for text in map(to_plain_form, names) if representable(text)]
    catalog_text = st.integers(min_value=0, max_value=len(texts) - 1).map(texts.__getitem__)
    return st.lists(st.tuples(st.one_of(catalog_text, RANDOM_TEXT), WEIGHTS), max_size=8)


@pytest.mark.slow  # 2,000 examples
@settings(max_examples=2000, deadline=None)
@given(data=st.data())
def test_parse_of_render_returns_the_tags(
    tag_lists: st.SearchStrategy[list[tuple[str, float]]], data: st.DataObject
) -> None:
    tags = data.draw(tag_lists)
    rendered = render_tags(tags)
    # `<0` then `>` render as `(<0:0), (>:0)`, holding the extra network `<0:0), (>` that the web UI
    # takes out of the prompt: no prompt writes those tags, so there is nothing to read back.
    assume(next(extra_network_matches(rendered), None) is None)
    assert parse_tags(rendered) == tags


PROMPT_PIECES = st.sampled_from(
    [*"abz ,()[]\\:|.13", "BREAK", " AND ", ":(", "(:3)", "^_^", "bishop \\(chess\\)", "(x:1.3)", "\n"]
)


@settings(max_examples=1000, deadline=None)
@given(st.lists(PROMPT_PIECES, max_size=25).map("".join))
def test_render_of_parse_is_stable(prompt: str) -> None:
    once = normalise_prompt(prompt)
    assert normalise_prompt(once) == once


def test_a_tag_weighted_in_parts_keeps_its_weights() -> None:
    """One weight per tag would drop `:1.4` (or spread it over `girl`): such a prompt is cut losslessly."""
    from kb.prompt.segments import attention_vector

    for prompt in ("girl with (red hair:1.4), [blue eyes]", "(red hair:1.2) girl, smile", "a (b:1.3) c"):
        assert attention_vector(normalise_prompt(prompt)) == attention_vector(prompt)
    assert (
        normalise_prompt("girl with (red hair:1.4), [blue eyes]") == "girl with (red hair:1.4), [blue eyes]"
    )
    assert normalise_prompt("long hair, ((smile))") == "long hair, (smile:1.21)"  # the usual canonical form
