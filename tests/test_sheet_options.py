"""`kb.sheets.options`: the one merge of sheet values over a spec file over the defaults, used by
`aidxl sheet` and the explorer's sheet job alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.errors import SheetSpecError
from kb.settings import DEFAULT_BASE_PROMPT, DEFAULT_SHEET_SEEDS, SAMPLERS, TINY_MODEL_SIZE, default_negative
from kb.sheets.options import SheetValues, merged_query, merged_spec
from kb.sheets.query import RowQuery
from kb.sheets.spec import BasePrompt, SheetRow, load_spec_file
from kb.workbench.jobs import SheetRequest, build_spec


def spec_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sheet.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_nothing_given_takes_the_shared_defaults() -> None:
    spec = merged_spec(SheetValues(rows=(SheetRow("by chi4"),), model="tiny-random"))
    assert spec.seeds == DEFAULT_SHEET_SEEDS
    assert spec.bases[0].prompt == DEFAULT_BASE_PROMPT
    assert spec.negative == default_negative()
    assert (spec.sampler, spec.steps) == ("Euler a", SAMPLERS["Euler a"].default_steps)
    assert (spec.width, spec.height) == TINY_MODEL_SIZE  # tiny-random at its own size, as its previews
    assert spec.model == "tiny-random"


def test_values_given_win_over_the_file_which_wins_over_the_defaults(tmp_path: Path) -> None:
    path = spec_file(
        tmp_path,
        'rows = ["by chi4", "by ask"]\nseeds = [7, 8]\nbase = "1boy"\nnegative = "lowres"\n'
        'sampler = "DPM++ 2M Karras"\ncfg = 6\nsize = "128x128"\n',
    )
    from_file = merged_spec(SheetValues(model="tiny-random"), load_spec_file(path))
    assert [row.style for row in from_file.rows] == ["by chi4", "by ask"]
    assert (from_file.seeds, from_file.bases, from_file.negative) == (
        (7, 8),
        (BasePrompt("1boy", "1boy"),),
        "lowres",
    )
    assert (from_file.sampler, from_file.steps, from_file.cfg_scale) == ("DPM++ 2M Karras", 35, 6.0)
    assert (from_file.width, from_file.height) == (128, 128)  # the file's size, tiny or not

    given = SheetValues(
        rows=(SheetRow("by ikky"),),
        seeds=(1,),
        bases=("1girl",),
        negative="",
        model="tiny-random",
        size=(64, 96),
        settings={"sampler": "euler A", "cfg_scale": 5.0, "steps": None, "title": None},
    )
    merged = merged_spec(given, load_spec_file(path))
    assert [row.style for row in merged.rows] == ["by ikky"]  # rows given replace the file's
    assert (merged.seeds, merged.bases[0].prompt, merged.negative) == ((1,), "1girl", "")
    # A sampler is spelt as kb.settings spells it; a None setting leaves the file's value alone.
    assert (merged.sampler, merged.cfg_scale, merged.steps) == (
        "Euler a",
        5.0,
        SAMPLERS["Euler a"].default_steps,
    )
    assert (merged.width, merged.height) == (64, 96)


def test_an_unknown_sampler_is_one_sheet_error() -> None:
    with pytest.raises(SheetSpecError, match="sampler 'DDIM' is not available; choose one of: Euler a"):
        merged_spec(
            SheetValues(rows=(SheetRow("by chi4"),), model="tiny-random", settings={"sampler": "DDIM"})
        )


def test_query_fields_given_override_the_query_or_start_one(tmp_path: Path) -> None:
    path = spec_file(tmp_path, 'query = "verified artist styles top 5"\n')
    loaded = load_spec_file(path)
    assert merged_query(SheetValues(), loaded) == RowQuery(
        verified=True, limit=5, text="verified artist styles top 5"
    )
    overridden = merged_query(SheetValues(query_fields={"limit": 9, "verified": None}), loaded)
    assert overridden is not None and (overridden.verified, overridden.limit) == (True, 9)
    assert merged_query(SheetValues(query_fields={"kind": "character"}), None) == RowQuery(kind="character")
    assert merged_query(SheetValues(), None) is None


def test_the_explorers_sheet_is_merged_as_the_cli_merges() -> None:
    request = SheetRequest(
        rows=(("by chi4", None), ("by chi4, by ask", "blend")),
        base="1girl, smile",
        negative="lowres",
        style_position="append",
        sampler="dpm++ 2m karras",
        steps=3,
        cfg_scale=6.5,
        size=(832, 1216),
        seed=4,
        model_flag="tiny-random",
    )
    spec = build_spec(request)
    same = merged_spec(
        SheetValues(
            rows=(SheetRow("by chi4"), SheetRow("by chi4, by ask", "blend")),
            seeds=(4,),
            bases=("1girl, smile",),
            negative="lowres",
            model="tiny-random",
            settings={
                "sampler": "DPM++ 2M Karras",
                "steps": 3,
                "cfg_scale": 6.5,
                "style_position": "append",
                "title": "explorer sheet",
                "controls": 0,
            },
        )
    )
    assert spec == same
    assert (spec.width, spec.height) == TINY_MODEL_SIZE  # the builder's size is for real models


def test_a_default_sheet_cell_is_the_default_preview_of_its_style() -> None:
    """One set of defaults: the sheet's cell for a style, on no other values, is the same request
    (the same cache entry) as `aidxl preview STYLE` and the explorer's preview of that trigger."""
    from kb.generate.preview import PreviewOptions, prepare_preview
    from kb.generate.request import preview_key
    from kb.sheets.plan import plan_sheet
    from kb.sheets.render_cells import _preview_request, resolve_model

    spec = merged_spec(
        SheetValues(rows=(SheetRow("by chi4"),), model="tiny-random", settings={"controls": 0})
    )
    plan = plan_sheet(spec)
    style_cell = plan.cell_at(1, 0)  # row 0 is the baseline; column 0 the first default seed
    sheet_digest = preview_key(
        _preview_request(style_cell.request), resolve_model(spec.model).identity
    ).digest()
    preview = prepare_preview(PreviewOptions(trigger="by chi4"), model="tiny-random")
    assert preview.request.positive == style_cell.request.positive
    assert preview.digest == sheet_digest
