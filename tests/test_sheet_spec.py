"""Sheet spec: TOML and flag parsing, the stable hash, cell planning and cell prompts."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from kb.errors import SheetSpecError
from kb.sheets.plan import BASELINE_LABEL, pages_of, plan_sheet
from kb.sheets.prompts import build_cell_prompt
from kb.sheets.query import RowQuery, parse_row_query
from kb.sheets.spec import (
    BasePrompt,
    SheetRow,
    SheetSpec,
    load_spec_file,
    parse_seeds,
    spec_from_dict,
    spec_from_values,
    spec_hash,
    spec_to_dict,
    split_top_level,
)

FOUR_STYLES = (
    SheetRow("by chi4"),
    SheetRow("by ask"),
    SheetRow("(by yoneyama mai:0.9)"),
    SheetRow("(by yoneyama mai:0.9), (by chi4:0.8), by ask", name="soft blend"),
)


def four_by_three() -> SheetSpec:
    return spec_from_values(
        rows=FOUR_STYLES,
        seeds=(1, 2, 3),
        bases=["1girl, solo, upper body"],
        negative="lowres",
        width=64,
        height=64,
        steps=2,
        model="tiny-random",
        controls=0,  # the control rows are tested in tests/test_recognition.py
    )


def test_styles_flag_splits_at_top_level_commas_only() -> None:
    assert split_top_level("by chi4,by ask,(by yoneyama mai:0.9)") == [
        "by chi4",
        "by ask",
        "(by yoneyama mai:0.9)",
    ]
    assert split_top_level(r"lucy \(cyberpunk\), [a, b], (c, d:0.8)") == [
        r"lucy \(cyberpunk\)",
        "[a, b]",
        "(c, d:0.8)",
    ]


def test_seeds_accept_lists_and_ranges() -> None:
    assert parse_seeds("1,2,3", where="--seeds") == (1, 2, 3)
    assert parse_seeds("5-7, 10", where="--seeds") == (5, 6, 7, 10)
    with pytest.raises(SheetSpecError, match="--seeds: seed 'x' is not a whole number"):
        parse_seeds("1,x", where="--seeds")


def test_spec_hash_is_stable_and_follows_every_setting() -> None:
    spec = four_by_three()
    assert spec_hash(spec) == "a0fc7a425826"  # pinned: a changed hash renames every sheet
    with_controls = replace(spec, controls=8)  # a sheet without controls kept its old hash
    assert (
        spec_hash(with_controls) not in (spec_hash(spec), "") and spec_to_dict(with_controls)["controls"] == 8
    )
    assert spec_from_dict(spec_to_dict(with_controls)) == with_controls
    assert spec_hash(four_by_three()) == spec_hash(spec)
    assert spec_hash(spec_from_dict(spec_to_dict(spec))) == spec_hash(spec)
    changed = spec_from_values(
        rows=FOUR_STYLES,
        seeds=(1, 2, 3),
        bases=["1girl, solo, upper body"],
        negative="lowres",
        width=64,
        height=64,
        steps=3,
        model="tiny-random",
    )
    assert spec_hash(changed) != spec_hash(spec)


def test_plan_has_baseline_row_then_styles_and_seed_columns() -> None:
    plan = plan_sheet(four_by_three())
    assert [row.label for row in plan.rows] == [
        BASELINE_LABEL,
        "by chi4",
        "by ask",
        "(by yoneyama mai:0.9)",
        "soft blend: (by yoneyama mai:0.9), (by chi4:0.8), by ask",
    ]
    assert [column.label for column in plan.columns] == ["seed 1", "seed 2", "seed 3"]
    assert len(plan.cells) == 15
    assert plan.cell_at(0, 0).request.positive == "1girl, solo, upper body"
    assert plan.cell_at(3, 2).request.positive == "(by yoneyama mai:0.9), 1girl, solo, upper body"
    assert plan.cell_at(3, 2).request.seed == 3
    assert plan.cell_at(3, 2).cell_id == "r03c02"


def test_pages_repeat_the_baseline_row() -> None:
    spec = spec_from_values(
        rows=FOUR_STYLES,
        seeds=(1,),
        bases=["1girl"],
        negative="",
        page_rows=3,
        model="tiny-random",
        controls=0,
    )
    assert [[row.index for row in page] for page in pages_of(plan_sheet(spec))] == [[0, 1, 2, 3], [0, 4]]


def test_cell_prompt_uses_the_style_slot_or_places_the_style() -> None:
    assert build_cell_prompt("1girl, {style}, smile", "(by ask:0.8)") == "1girl, (by ask:0.8), smile"
    assert build_cell_prompt("1girl, {style}, smile", None) == "1girl, smile"
    assert build_cell_prompt("{style}, 1girl", None) == "1girl"
    assert build_cell_prompt("1girl, smile", "by ask", position="append") == "1girl, smile, by ask"
    assert build_cell_prompt("1girl, smile", "by ask") == "by ask, 1girl, smile"
    # Without a marker the base goes through kb.prompt.assemble (card order, quality weighted); the
    # style stays verbatim, even where assembly would re-render it.
    assert build_cell_prompt("smile, 1girl, best quality, upper body", None) == (
        "1girl, upper body, smile, (best quality:1.3)"
    )
    assert build_cell_prompt("smile, 1girl", "[by ask]", position="append") == "1girl, smile, [by ask]"


def test_several_bases_make_base_major_columns() -> None:
    spec = spec_from_values(
        rows=FOUR_STYLES[:1],
        seeds=(1, 2),
        negative="",
        model="tiny-random",
        bases=[BasePrompt("1girl, solo", "girl"), BasePrompt("1boy, solo, {style}", "boy")],
    )
    plan = plan_sheet(spec)
    assert [column.label for column in plan.columns] == [
        "seed 1 · girl",
        "seed 2 · girl",
        "seed 1 · boy",
        "seed 2 · boy",
    ]
    assert plan.cell_at(1, 3).request.positive == "1boy, solo, by chi4"


def test_toml_spec_reads_rows_blends_bases_and_settings(tmp_path: Path) -> None:
    path = tmp_path / "sheet.toml"
    path.write_text(
        'title = "four styles"\n'
        'rows = ["by chi4", "(by yoneyama mai:0.9)"]\n'
        "seeds = [1, 2, 3]\n"
        'size = "64x64"\n'
        "steps = 2\n"
        "cfg_scale = 6.5\n"
        "[[row]]\n"
        'name = "soft blend"\n'
        'style = "(by yoneyama mai:0.9), by ask"\n'
        "[[base]]\n"
        'name = "portrait"\n'
        'prompt = "1girl, solo, upper body"\n',
        encoding="utf-8",
    )
    loaded = load_spec_file(path)
    assert loaded.rows == (
        SheetRow("by chi4"),
        SheetRow("(by yoneyama mai:0.9)"),
        SheetRow("(by yoneyama mai:0.9), by ask", "soft blend"),
    )
    assert loaded.bases == (BasePrompt("1girl, solo, upper body", "portrait"),)
    assert loaded.seeds == (1, 2, 3)
    assert loaded.settings == {
        "title": "four styles",
        "steps": 2,
        "cfg_scale": 6.5,
        "width": 64,
        "height": 64,
    }


def test_the_cfg_scale_keeps_its_old_name_readable_and_the_hash_unchanged(tmp_path: Path) -> None:
    """Spec files and sidecars written before the spec took GenerationSettings' `cfg_scale` say
    `cfg`: they still read, to the same spec and hash; a file giving both names is refused."""
    path = tmp_path / "old.toml"
    path.write_text('rows = ["by chi4"]\ncfg = 6\n', encoding="utf-8")
    assert load_spec_file(path).settings == {"cfg_scale": 6.0}
    path.write_text('rows = ["by chi4"]\ncfg_scale = 6\ncfg = 6\n', encoding="utf-8")
    with pytest.raises(SheetSpecError, match=r"old.toml:3: give `cfg_scale` or its old name `cfg`, not both"):
        load_spec_file(path)
    path.write_text('rows = ["by chi4"]\ncfg_scale = "six"\n', encoding="utf-8")
    with pytest.raises(SheetSpecError, match=r"old.toml:2: `cfg_scale` must be a number, got 'six'"):
        load_spec_file(path)

    spec = replace(four_by_three(), cfg_scale=6.5)
    written = spec_to_dict(spec)
    assert written["cfg_scale"] == 6.5 and "cfg" not in written
    old_document = {("cfg" if key == "cfg_scale" else key): value for key, value in written.items()}
    assert spec_from_dict(old_document) == spec
    assert spec_hash(four_by_three()) == "a0fc7a425826"  # the hash of before the rename


def test_toml_errors_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('rows = ["by chi4"]\nseeds = [1]\ncolour = "red"\n', encoding="utf-8")
    with pytest.raises(SheetSpecError, match=r"bad.toml:3: unknown key 'colour'"):
        load_spec_file(path)
    path.write_text('rows = ["by chi4"]\nsteps = "many"\n', encoding="utf-8")
    with pytest.raises(SheetSpecError, match=r"bad.toml:2: `steps` must be a whole number, got 'many'"):
        load_spec_file(path)
    path.write_text('rows = ["by chi4"\n', encoding="utf-8")
    with pytest.raises(SheetSpecError, match=r"bad.toml:1: not valid TOML"):
        load_spec_file(path)


def test_invalid_values_are_quoted() -> None:
    with pytest.raises(SheetSpecError, match=r"seeds repeat: \[1, 1\].*emphasis 'loud' is not one of"):
        spec_from_values(rows=FOUR_STYLES, seeds=(1, 1), bases=["1girl"], negative="", emphasis="loud")


def test_row_query_words() -> None:
    assert parse_row_query("verified artist styles with count > 1000") == RowQuery(
        kind="artist_style", verified=True, min_count=1001, text="verified artist styles with count > 1000"
    )
    query = parse_row_query("painting styles top 5 verdict unmeasured")
    assert (query.kind, query.verified, query.min_count, query.limit, query.verdict) == (
        "painting_style",
        False,
        0,
        5,
        "unmeasured",
    )
    assert parse_row_query("characters with count >= 2k").min_count == 2000
    with pytest.raises(SheetSpecError, match="did not understand 'populer'"):
        parse_row_query("populer artist styles")
