"""Composition, page `parameters`, sidecar and HTML index, on solid-colour cells made here."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from kb.errors import SheetSpecError
from kb.sheets.compose import PageText, compose_page, fit_thumbnail, wrap_text
from kb.sheets.html_index import IndexCell, IndexPage, render_index
from kb.sheets.infotext import page_parameters, spec_from_parameters
from kb.sheets.plan import pages_of, plan_sheet
from kb.sheets.render_cells import parse_parameters
from kb.sheets.spec import SheetRow, SheetSpec, spec_from_values


def small_spec(**settings: object) -> SheetSpec:
    return spec_from_values(
        rows=(
            SheetRow("by chi4"),
            SheetRow("(by yoneyama mai:0.9)"),
            SheetRow("by ask, by ikky", name="mix"),
        ),
        seeds=(1, 2),
        bases=["1girl, solo, upper body"],
        negative="(worst quality:1.3), lowres",
        controls=0,
        width=64,
        height=64,
        steps=2,
        model="tiny-random",
        cell_px=64,
        **settings,
    )


def solid_cells(tmp_path: Path, spec: SheetSpec) -> dict[str, Path | None]:
    files: dict[str, Path | None] = {}
    for number, cell in enumerate(plan_sheet(spec).cells):
        path = tmp_path / f"{cell.cell_id}.png"
        Image.new("RGB", (64, 64), (number * 20, 40, 200)).save(path)
        files[cell.cell_id] = path
    return files


def test_page_places_each_cell_in_its_box_and_marks_missing(tmp_path: Path) -> None:
    spec = small_spec()
    plan = plan_sheet(spec)
    files = solid_cells(tmp_path, spec)
    files["r02c01"] = None
    page = compose_page(plan.rows, plan.columns, files, PageText("title", ("footer line",)), cell_px=64)
    assert page.missing == ("r02c01",)
    assert sorted(page.cell_boxes) == [cell.cell_id for cell in plan.cells]
    for number, cell in enumerate(plan.cells):
        left, top, right, bottom = page.cell_boxes[cell.cell_id]
        centre = page.image.getpixel(((left + right) // 2, (top + bottom) // 2))
        expected = (225, 225, 225) if cell.cell_id == "r02c01" else (number * 20, 40, 200)
        assert centre == expected, cell.cell_id


def test_labels_and_footer_are_drawn(tmp_path: Path) -> None:
    spec = small_spec()
    plan = plan_sheet(spec)
    files = solid_cells(tmp_path, spec)
    page = compose_page(plan.rows, plan.columns, files, PageText("t", ("Euler a · 2 steps",)), cell_px=64)
    image = page.image
    first_box = page.cell_boxes["r01c00"]
    label_strip = image.crop((16, first_box[1], first_box[0] - 8, first_box[1] + 20))
    assert (np.asarray(label_strip) != 255).any()
    footer_strip = image.crop((16, image.height - 40, image.width - 16, image.height - 16))
    assert (np.asarray(footer_strip) != 255).any()


def test_thumbnails_shrink_with_lanczos_and_grow_without_inventing_pixels() -> None:
    big = Image.new("RGB", (256, 128), (10, 20, 30))
    assert fit_thumbnail(big, 64).size == (64, 32)
    checker = Image.new("RGB", (2, 2), (0, 0, 0))
    checker.putpixel((1, 0), (255, 255, 255))
    grown = fit_thumbnail(checker, 4)
    assert sorted({tuple(pixel) for pixel in np.asarray(grown).reshape(-1, 3).tolist()}) == [
        (0, 0, 0),
        (255, 255, 255),
    ]


def test_wrap_keeps_every_character() -> None:
    from PIL import ImageFont

    font = ImageFont.load_default(size=14)
    lines = wrap_text("(by yoneyama mai:0.9), (by chi4:0.8), by ask", font, 90)
    assert len(lines) > 1
    assert " ".join(lines) == "(by yoneyama mai:0.9), (by chi4:0.8), by ask"


def test_page_parameters_parse_back_to_the_spec() -> None:
    spec = small_spec(title="portraits: three styles")
    text = page_parameters(
        spec,
        page_number=1,
        page_count=2,
        model_name="tiny-random",
        model_hash="tinyrand",
        version="aidxl-kb 0.1.0",
    )
    prompt, negative, fields = parse_parameters(text)
    assert prompt == "by chi4, 1girl, solo, upper body"
    assert negative == "(worst quality:1.3), lowres"
    assert (fields["Steps"], fields["Sampler"], fields["CFG scale"], fields["Size"]) == (
        "2",
        "Euler a",
        "7",
        "64x64",
    )
    assert (fields["Schedule type"], fields["Emphasis"], fields["Sheet page"]) == (
        "Automatic",
        "Original",
        "1/2",
    )
    assert spec_from_parameters(text) == spec
    karras = small_spec(sampler="DPM++ 2M Karras", emphasis="no_norm")
    karras_text = page_parameters(
        karras, page_number=1, page_count=1, model_name="m", model_hash="h", version="aidxl-kb 0.1.0"
    )
    assert "Sampler: DPM++ 2M, Schedule type: Karras, " in karras_text
    assert "Emphasis: No norm, " in karras_text
    assert spec_from_parameters(karras_text) == karras
    with pytest.raises(SheetSpecError, match="the fields give spec hash"):
        spec_from_parameters(text.replace("Steps: 2,", "Steps: 3,"))


def test_page_parameters_have_no_empty_value_and_name_the_noise_source() -> None:
    untitled = small_spec(title="")
    text = page_parameters(
        untitled, page_number=1, page_count=1, model_name="m", model_hash="h", version="aidxl-kb 0.1.0"
    )
    _prompt, _negative, fields = parse_parameters(text)
    assert "Sheet title" not in fields  # the web UI's parser reports `Sheet title: ,` as an error
    assert all(value != "" for value in fields.values())
    assert fields["RNG"] == "CPU"
    assert spec_from_parameters(text) == untitled


class IndexStructure(HTMLParser):
    """Pages (`section.page` with `img.page-image`) and their cell overlays and table rows."""

    def __init__(self) -> None:
        super().__init__()
        self.pages: list[str] = []
        self.images: list[str] = []
        self.cells: dict[str, list[tuple[str, str]]] = {}  # page -> (cell id, title)
        self.rows: dict[str, list[str]] = {}
        self.current = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        if tag == "section" and values.get("class") == "page":
            self.current = values["data-page"]
            self.pages.append(self.current)
        elif tag == "img" and values.get("class") == "page-image":
            self.images.append(values["src"])
        elif tag == "a" and values.get("class") == "cell":
            self.cells.setdefault(self.current, []).append((values["data-cell"], values["title"]))
        elif tag == "tr" and "data-cell" in values:
            self.rows.setdefault(self.current, []).append(values["data-cell"])


def test_html_index_lists_every_page_and_cell_prompt() -> None:
    cells = tuple(
        IndexCell(
            f"r0{row}c00",
            f"row {row}",
            "seed 1",
            1,
            f'by "x{row}" & <y>',
            "lowres",
            f"cells/r0{row}c00.png",
            (10, 10 + 20 * row, 30, 30 + 20 * row),
        )
        for row in range(2)
    )
    pages = [IndexPage(1, "sheet-p1.png", 100, 100, cells), IndexPage(2, "sheet-p2.png", 100, 100, cells[:1])]
    structure = IndexStructure()
    structure.feed(render_index("sheet", pages, ["Euler a · 2 steps"]))
    assert structure.pages == ["1", "2"]
    assert structure.images == ["sheet-p1.png", "sheet-p2.png"]
    assert structure.cells["1"] == [("r00c00", 'by "x0" & <y>'), ("r01c00", 'by "x1" & <y>')]
    assert structure.rows == {"1": ["r00c00", "r01c00"], "2": ["r00c00"]}


def test_pages_split_by_page_rows(tmp_path: Path) -> None:
    spec = small_spec(page_rows=2)
    plan = plan_sheet(spec)
    assert [[row.label for row in rows] for rows in pages_of(plan)] == [
        ["baseline (no style)", "by chi4", "(by yoneyama mai:0.9)"],
        ["baseline (no style)", "mix: by ask, by ikky"],
    ]
