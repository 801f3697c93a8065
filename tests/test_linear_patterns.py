"""The one-pass readings that replaced backtracking patterns find exactly what those patterns find.

The web UI reads prompts with `\\s*\\bBREAK\\b\\s*` (BREAK), its subprompt weight pattern (AND),
`<(\\w+):([^>]+)>` (extra networks) and `re_param_code` (an infotext's settings line). Each is
quadratic on some text (a run of blanks, `<a:<a:...`), so kb reads the same in one pass; here each
reading is compared with the pattern itself on text drawn from the characters that matter to it.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from kb.prompt.assemble import _bare_weight
from kb.prompt.attention import (
    ExtraNetworkReader,
    _break_separators,
    _subprompt_weight,
    extra_network_matches,
    parse_prompt_structure,
)
from kb.prompt.infotext import settings_pairs

WEB_UI_BREAK = re.compile(r"\s*\bBREAK\b\s*", re.S)
WEB_UI_SUBPROMPT_WEIGHT = re.compile(r"^((?:\s|.)*?)(?:\s*:\s*([-+]?(?:\d+\.?|\d*\.\d+)))?\s*$")
WEB_UI_EXTRA_NETWORK = re.compile(r"<(\w+):([^>]+)>")
WEB_UI_PARAM = re.compile(r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')


def text_of(*pieces: str, max_size: int = 16) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(pieces), max_size=max_size).map("".join)


BLANKS = (" ", "\n", "\t", "\u3000", "\u00a0", "\x1c")


@settings(max_examples=200, deadline=None)
@given(text_of(*BLANKS, "BREAK", "BREAKS", "xBREAK", "a", ",", "_", "é"))
def test_break_separators_are_the_web_uis(text: str) -> None:
    assert list(_break_separators(text)) == [match.span() for match in WEB_UI_BREAK.finditer(text)]


@settings(max_examples=200, deadline=None)
@given(text_of(*BLANKS, ":", ".", "1", "25", "+", "-", "a", "٣", "e"))
def test_the_subprompt_weight_is_the_web_uis(text: str) -> None:
    match = WEB_UI_SUBPROMPT_WEIGHT.search(text)
    assert match is not None
    assert _subprompt_weight(text) == (match.end(1), match.group(2))


@settings(max_examples=200, deadline=None)
@given(text_of("<", ">", ":", "a", "lora", " ", "é", "\n", "-", "<a:", "\\"))
def test_extra_networks_are_the_web_uis(text: str) -> None:
    expected = [(m.start(), m.end(), m.group(1), m.group(2)) for m in WEB_UI_EXTRA_NETWORK.finditer(text)]
    assert [tuple(match) for match in extra_network_matches(text)] == expected
    reader = ExtraNetworkReader(text)
    for position in range(len(text)):  # asked at every position in turn, as the structure parser does
        match = WEB_UI_EXTRA_NETWORK.match(text, position)
        found = reader.match_at(position)
        assert (found and tuple(found)) == (
            match and (match.start(), match.end(), match.group(1), match.group(2))
        )


@settings(max_examples=200, deadline=None)
@given(text_of(" ", "\n", "a", "Steps", ":", ",", '"', "\\", "-", "/", "é", "1", "_", "\t", '\\"'))
def test_settings_pairs_are_the_web_uis(line: str) -> None:
    assert settings_pairs(line) == WEB_UI_PARAM.findall(line)


def test_a_real_settings_line_and_the_structure_of_an_and_prompt() -> None:
    line = 'Steps: 28, Sampler: Euler a, CFG scale: 7, Size: 832x1216, Lora hashes: "a: 1, b: 2"'
    assert settings_pairs(line)[-1] == ("Lora hashes", '"a: 1, b: 2"')
    assert settings_pairs(line) == WEB_UI_PARAM.findall(line)
    structure = parse_prompt_structure("a cat :1.2 AND <lora:x:0.5> dog BREAK  :  -0.5  ")
    assert [part.weight for part in structure.subprompts] == [1.2, -0.5]
    assert [part.weight_source for part in structure.subprompts] == [" :1.2 ", "  :  -0.5  "]


BARE_WEIGHT = re.compile(r"^(?P<trigger>.*?)\s*:\s*(?P<weight>[+-]?(?:\d+\.?\d*|\.\d+))\s*$", re.S)


@settings(max_examples=200, deadline=None)
@given(text_of(*BLANKS, ":", ".", "1", "25", "+", "-", "by a", "٣", "e"))
def test_a_blend_entrys_bare_weight_is_read_as_the_pattern_reads_it(text: str) -> None:
    match = BARE_WEIGHT.match(text)
    assert _bare_weight(text) == (None if match is None else (match.group("trigger"), match.group("weight")))
