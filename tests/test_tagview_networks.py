"""Extra networks in the tag view: the web UI takes `<name:args>` out of the prompt before it reads
the rest, so `<lora:x:0.8> 1girl` is the network and the tag `1girl`, not one tag."""

from __future__ import annotations

import pytest

from kb.prompt.lint import lint_prompt
from kb.prompt.segments import normalise_prompt
from kb.prompt.tagview import DictMatcher, split_tags
from kb.prompt.tokens import remove_extra_networks


def test_a_network_written_against_a_tag_is_a_tag_of_its_own() -> None:
    tags = split_tags("<lora:ganyu_v2:0.8> 1girl, solo")
    assert [(tag.text, tag.is_extra_network) for tag in tags] == [
        ("<lora:ganyu_v2:0.8>", True),
        ("1girl", False),
        ("solo", False),
    ]
    assert [(tag.start, tag.end) for tag in tags][1] == (20, 25)


@pytest.mark.parametrize(
    "prompt",
    [
        "<lora:x:1> 1girl, solo",
        "1girl <lora:x:1>, (smile:1.2) <hypernet:y:0.5> blush",
        "(<lora:x:1> long hair:1.2), [<lora:z:0.3> red eyes]",
        "a, <lora:x,y:1>, b <lora:a:1><lora:b:1> c",
    ],
)
def test_the_text_around_networks_is_what_the_web_ui_reads_without_them(prompt: str) -> None:
    """The same words in the same order. A network between two words of one comma-separated piece
    (`b <lora:a:1> c`) separates them into two tags here, where the web UI reads `b  c`: the words
    and their weights are the same, only the grouping into tags differs."""
    without, _ = remove_extra_networks(prompt)
    words = [word for tag in split_tags(prompt) if not tag.is_extra_network for word in tag.read_text.split()]
    assert words == [word for tag in split_tags(without) for word in tag.read_text.split()]
    if "," in prompt and "<lora:x:1> " in prompt.split(",")[0]:  # a network at a tag's start: exact
        first = split_tags(prompt)[1]
        assert (first.read_text, first.weight) == (
            split_tags(without)[0].read_text,
            split_tags(without)[0].weight,
        )


def test_a_misspelt_tag_after_a_network_is_found() -> None:
    matcher = DictMatcher({"1girl": 0, "solo": 0})
    findings = lint_prompt("<lora:x:1> 1gril, solo", matcher)
    assert [(finding.code, finding.start, finding.end) for finding in findings] == [("unknown-tag", 11, 16)]


def test_normalising_keeps_a_network_where_it_is_written() -> None:
    # A comma added between `<lora:x:1>` and `1girl` would be read by the web UI: none is added.
    assert normalise_prompt("((smile)), <lora:x:1> 1girl") == "(smile:1.21), <lora:x:1> 1girl"
    assert normalise_prompt("<lora:x:1>,  1girl") == "<lora:x:1>, 1girl"
