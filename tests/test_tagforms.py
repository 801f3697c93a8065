"""Canonical Danbooru names ↔ prompt forms."""

from __future__ import annotations

import pytest

from kb.knowledge.tagforms import keeps_underscores, to_canonical, to_plain_form, to_prompt_form
from kb.prompt.attention import parse_prompt_attention

FORMS = [
    # canonical, plain, A1111 prompt form
    ("long_hair", "long hair", "long hair"),
    ("bishop_(chess)", "bishop (chess)", "bishop \\(chess\\)"),
    ("ganyu_(genshin_impact)", "ganyu (genshin impact)", "ganyu \\(genshin impact\\)"),
    ("rem_(re:zero)", "rem (re:zero)", "rem \\(re:zero\\)"),
    ("^_^", "^_^", "^_^"),
    (">_<", ">_<", ">_<"),
    ("o_o", "o_o", "o_o"),
    ("(o)_(o)", "(o)_(o)", "\\(o\\)_\\(o\\)"),
    (";_;", ";_;", ";_;"),
    (":(", ":(", ":\\("),
    (":)", ":)", ":\\)"),
    ("):", "):", "\\):"),
    (":3", ":3", ":3"),
    ("\\m/", "\\m/", "\\\\m/"),
    ("[]", "[]", "\\[\\]"),
]


@pytest.mark.parametrize(("canonical", "plain", "prompt"), FORMS)
def test_forms(canonical: str, plain: str, prompt: str) -> None:
    assert to_plain_form(canonical) == plain
    assert to_prompt_form(canonical) == prompt
    assert to_canonical(prompt) == canonical
    assert to_canonical(plain) == canonical


@pytest.mark.parametrize(("canonical", "plain", "prompt"), FORMS)
def test_web_ui_reads_the_prompt_form_literally(canonical: str, plain: str, prompt: str) -> None:
    assert parse_prompt_attention(prompt) == [(plain, 1.0)]


@pytest.mark.parametrize(
    ("pasted", "key"),
    [
        ("Lucy \\(Cyberpunk\\)", "lucy_(cyberpunk)"),
        ("lucy (cyberpunk)", "lucy_(cyberpunk)"),
        ("  LONG   hair ", "long_hair"),
        ("long_hair", "long_hair"),
        ("Bishop_\\(chess\\)", "bishop_(chess)"),
    ],
)
def test_any_pasted_form_gives_the_key(pasted: str, key: str) -> None:
    assert to_canonical(pasted) == key


def test_emoticon_rule() -> None:
    assert keeps_underscores("^_^") and keeps_underscores("<|>_<|>") and keeps_underscores("u_u")
    assert not keeps_underscores("long_hair") and not keeps_underscores(":d")
