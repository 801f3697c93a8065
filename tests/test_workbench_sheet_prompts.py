"""A sheet of the builder's styles: every cell's prompt is exactly the builder's rendered prompt with
that cell's style, quality and aesthetic tags included; checked on the cells' own PNG infotext."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from kb.generate.pngmeta import read_png_parameters
from kb.prompt.infotext import parse_infotext
from kb.settings import GenerationSettings
from kb.workbench.draft import DraftEntry, PromptDraft
from kb.workbench.jobs import JobRefused, run_sheet_job, sheet_request
from kb.workbench.rendering import render_draft
from kb.workbench.sheet_prompts import builder_sheet_prompts, with_styles


def draft(**options: object) -> PromptDraft:
    state = PromptDraft(
        entries=[
            DraftEntry("1girl", "general", tag="1girl"),
            DraftEntry("by chi4", "artist_style", 0.9),
            DraftEntry("smile", "general", tag="smile"),
            DraftEntry("by ask", "artist_style"),
        ],
        negative="lowres",
        settings=GenerationSettings(steps=2, seed=7),
    )
    return replace(state, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"include_aesthetic": True},
        {"styles_appended": True},
        {"auto_order": False},
        {"auto_order": False, "include_aesthetic": True},
        {"include_quality": False},
    ],
)
def test_each_row_is_the_builder_rendering_with_that_style(options: dict[str, object]) -> None:
    state = draft(**options)
    prompts = builder_sheet_prompts(state)
    assert [name for _, name in prompts.rows] == [None, None, "blend"]
    chi4, ask = state.style_entries()
    variants = [with_styles(state, [chi4]), with_styles(state, [ask]), with_styles(state, [chi4, ask])]
    for (style, _), variant, expected in zip(prompts.rows, variants, prompts.expected, strict=True):
        rendered = render_draft(variant).positive
        assert expected == rendered
        assert prompts.base.replace("{style}", style) == rendered
    if state.include_quality:
        assert all(
            "(amazing quality:" in prompt or "amazing quality" in prompt for prompt in prompts.expected
        )
        assert "amazing quality" in prompts.baseline
    if state.include_aesthetic:
        assert all("beautiful color" in prompt for prompt in [*prompts.expected, prompts.baseline])
    no_styles = replace(state, entries=[entry for entry in state.entries if entry.kind != "artist_style"])
    assert prompts.baseline == render_draft(no_styles).positive


def test_the_blend_row_is_the_builders_own_prompt_when_its_styles_are_together() -> None:
    state = draft(
        entries=[
            DraftEntry("by chi4", "artist_style", 0.9),
            DraftEntry("by ask", "artist_style"),
            DraftEntry("smile", "general", tag="smile"),
        ]
    )
    prompts = builder_sheet_prompts(state)
    assert prompts.expected[-1] == render_draft(state).positive


def test_no_styles_or_the_sheet_marker_refuse_in_one_line() -> None:
    with pytest.raises(JobRefused, match="add style entries"):
        sheet_request(PromptDraft(entries=[DraftEntry("smile", "general")]), "tiny-random")
    marked = draft(auto_order=False)
    marked.entries.append(DraftEntry("{style}", "syntax"))
    with pytest.raises(JobRefused, match=r"holds the sheet's own marker \{style\}"):
        sheet_request(marked, "tiny-random")


@pytest.mark.slow  # a real 4-cell sheet on the tiny model
def test_every_cells_infotext_prompt_is_the_builders_prompt_with_its_style(tmp_path: Path) -> None:
    state = draft(include_aesthetic=True)
    prompts = builder_sheet_prompts(state)
    seen: list[str] = []
    outcome = run_sheet_job(
        sheet_request(state, "tiny-random"),
        tmp_path,
        lambda reading: seen.append(reading.label),
        lambda: False,
    )
    assert seen[-1].startswith("cell 4/4 · ") and seen[-1].endswith("ETA 0:00")
    assert outcome.random_weights and outcome.size == (64, 64) and outcome.sidecar is not None
    document = json.loads(outcome.sidecar.read_text(encoding="utf-8"))
    expected_of_row = {None: prompts.baseline} | {
        style: expected for (style, _), expected in zip(prompts.rows, prompts.expected, strict=True)
    }
    checked = 0
    for cell in document["cells"]:
        parameters = read_png_parameters(outcome.sidecar.parent / cell["file"])
        assert parameters is not None
        infotext = parse_infotext(parameters)
        assert infotext.prompt == expected_of_row[cell["style"]], cell["id"]
        assert infotext.negative_prompt == "lowres"
        assert "amazing quality" in infotext.prompt and "beautiful color" in infotext.prompt
        checked += 1
    assert checked == 4  # baseline, by chi4, by ask, their blend
    # Every cell says RANDOM WEIGHTS in its pixels (the label's black band), the pages in their title.
    for cell in document["cells"]:
        with Image.open(outcome.sidecar.parent / cell["file"]) as picture:
            assert picture.convert("RGB").getpixel((0, 63)) == (0, 0, 0), cell["id"]
    assert "RANDOM WEIGHTS, not AIDXL - explorer sheet" in outcome.html.read_text(encoding="utf-8")
