"""`aidxl prompt render|assemble|parse` on prompts with more than plain tags (issue 12 trial): render
re-renders through the paste's lossless cut, assembly never moves a bracket left open, parse reports
prompt editing and alternation step by step instead of as literal text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.prompt.assemble import OpenBracketInAssembly, assemble_prompt
from kb.prompt.schedule import prompt_readings
from kb.prompt.segments import normalise_prompt
from kb.prompt.tokens import chunk_segments
from kb.workbench.draft import PromptDraft
from kb.workbench.importing import import_prompt
from kb.workbench.rendering import render_draft
from tui.cli import main

SYNTAX_PROMPTS = [
    "a BREAK b, [c|d], [e:f:0.5], <lora:x_y:0.5>",
    ":(, smile, blue eyes",
    "ganyu (genshin impact), long hair, ((smile)), [x]",
    "(by ask:1.2, white_dress, <lora:ganyu_v2:0.8>",
    "cat AND dog:0.5 AND (bird:1.2)",
    "[ [a] : (b) : 0.5 ], [a|[b|c]], x, ((y)), [z]",
]


def generation_reading(prompt: str, steps: int = 8) -> object:
    """What generation feeds the text encoders at each step: token ids and weights of each chunk of
    each AND part, and the extra networks. Weights to two decimals: render writes a plain tag's
    weight in its canonical form (`((x))` as `(x:1.21)`, `[x]` as `(x:0.91)`), as documented."""
    readings, networks = prompt_readings(prompt, steps)
    per_step: dict[tuple[int, int], object] = {}
    for reading in readings:
        chunks = [
            (chunk.tokens, tuple(round(weight, 2) for weight in chunk.weights))
            for chunk in chunk_segments(reading.segments)
        ]
        for step in reading.steps:
            per_step[(reading.part, step)] = (reading.part_weight, chunks)
    return sorted(per_step.items()), [(call.name, call.items) for call in networks]


@pytest.mark.parametrize("prompt", SYNTAX_PROMPTS)
def test_render_of_a_prompt_with_syntax_reads_the_same_at_every_step(prompt: str) -> None:
    assert generation_reading(normalise_prompt(prompt)) == generation_reading(prompt)


def test_render_cli_keeps_syntax_and_names_the_traps(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prompt", "render", "a BREAK b, [c|d], [e:f:0.5], <lora:x_y:0.5>"]) == 0
    assert capsys.readouterr().out.strip() == "a BREAK b, [c|d], [e:f:0.5], <lora:x_y:0.5>"
    assert main(["prompt", "render", ":(, smile"]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == ":(, smile"
    assert "0-2: ':(' kept as written (a bracket left open)" in captured.err
    assert main(["prompt", "render", "--json", ":(, smile"]) == 0
    assert json.loads(capsys.readouterr().out)["traps"] == [[0, 2, ":(", "a bracket left open"]]


def test_render_keeps_its_plain_tag_and_json_behaviour(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prompt", "render", "long hair, ((smile)), [x]"]) == 0
    assert capsys.readouterr().out.strip() == "long hair, (smile:1.21), (x:0.91)"
    assert main(["prompt", "render", '[["long hair", 1.2], ["(x)", 1]]']) == 0
    assert capsys.readouterr().out.strip() == "(long hair:1.2), \\(x\\)"


def test_assembly_refuses_to_move_an_open_bracket_and_says_where(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """It used to move `:(` to the end and write its ×1.1 into the other tags as explicit weights."""
    prompt = "white_dress, :(, by ask, smile"
    with pytest.raises(OpenBracketInAssembly) as refused:
        assemble_prompt(prompt)
    assert (refused.value.start, refused.value.end) == (13, 15)
    assert main(["prompt", "assemble", "--catalog", str(tmp_path / "none.duckdb"), prompt]) == 2
    assert "position 13: ':('" in capsys.readouterr().err
    escaped = assemble_prompt("white_dress, :\\(, by ask, smile").positive
    assert ":\\(" in escaped and "1.1" not in escaped  # a frown, no weight moved into other tags


def test_the_builder_with_auto_order_says_why_instead_of_reweighting() -> None:
    draft: PromptDraft = import_prompt(":(, smile").draft()
    draft.auto_order = True
    rendered = render_draft(draft)
    assert rendered.positive == "" and "position 0" in rendered.unavailable[0]


def test_parse_reports_alternation_and_editing_step_by_step(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prompt", "parse", "--json", "--steps", "4", "[c|d], [e:f:0.5], <lora:x:1>"]) == 0
    parsed = json.loads(capsys.readouterr().out)
    texts = {"".join(piece for piece, _ in reading["segments"]) for reading in parsed["readings"]}
    assert not any("|" in text or ":" in text for text in texts)
    assert {"c, e,", "d, e,", "c, f,"} <= {text.strip() for text in texts}
    assert sorted(step for reading in parsed["readings"] for step in reading["steps"]) == [1, 2, 3, 4]
    assert parsed["extra_networks"] == [["lora", "x", "1"]]
    assert main(["prompt", "parse", "--json", "(a:1.2), b"]) == 0  # a plain prompt: the array, as before
    assert json.loads(capsys.readouterr().out) == [["a", 1.2], [", b", 1.0]]
