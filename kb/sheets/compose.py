"""Composition: cell images -> one labelled page image (Pillow only).

Layout, top to bottom: a title line, the column labels, one row per planned row (its label on
the left, exactly as pasted, wrapped to the label column), and a footer with the shared settings.
Cell images larger than the cell are downscaled with LANCZOS; smaller ones (the tiny test
model) are enlarged with NEAREST so no detail is invented. A missing cell is a grey box saying
so. The font is Pillow's built-in scalable font, so pages look the same on every machine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from kb.sheets.plan import PlannedColumn, PlannedRow

BACKGROUND = (255, 255, 255)
TEXT_COLOUR = (20, 20, 20)
MUTED_COLOUR = (90, 90, 90)
RULE_COLOUR = (200, 200, 200)
MISSING_FILL = (225, 225, 225)
BASELINE_FILL = (240, 244, 250)
MARGIN = 16
GAP = 6

Box = tuple[int, int, int, int]  # left, top, right, bottom in page pixels


@dataclass(frozen=True)
class ComposedPage:
    image: Image.Image
    cell_boxes: dict[str, Box]  # cell id -> where its thumbnail is, for the HTML index
    missing: tuple[str, ...]  # cell ids drawn as missing


@dataclass(frozen=True)
class PageText:
    title: str
    footer: tuple[str, ...]  # settings lines, already formatted


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def wrap_text(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: int) -> list[str]:
    """Greedy word wrap to `width` pixels; a word longer than the width is cut by characters."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current = ""
        for word in paragraph.split(" "):
            candidate = word if not current else f"{current} {word}"
            if font.getlength(candidate) <= width:
                current = candidate
                continue
            if current:
                lines.append(current)
            while font.getlength(word) > width and len(word) > 1:
                cut = len(word)
                while cut > 1 and font.getlength(word[:cut]) > width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            current = word
        lines.append(current)
    return lines


def fit_thumbnail(image: Image.Image, side: int) -> Image.Image:
    """Fit inside side x side: LANCZOS when shrinking, NEAREST when enlarging (pixels stay honest)."""
    rgb = image.convert("RGB")
    scale = min(side / rgb.width, side / rgb.height)
    size = (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale)))
    if size == rgb.size:
        return rgb
    resample = Image.Resampling.LANCZOS if scale < 1 else Image.Resampling.NEAREST
    return rgb.resize(size, resample)


def compose_page(
    rows: Sequence[PlannedRow],
    columns: Sequence[PlannedColumn],
    cell_files: Mapping[str, Path | None],
    text: PageText,
    *,
    cell_px: int,
) -> ComposedPage:
    """One page: `cell_files` maps cell id (`r01c02`) to its image, or None when missing."""
    font_size = max(12, min(22, cell_px // 10))
    label_font = _font(font_size)
    small_font = _font(max(11, font_size - 2))
    title_font = _font(font_size + 4)
    line_height = font_size + 4
    small_line = max(11, font_size - 2) + 4

    label_width = max(180, min(360, cell_px + cell_px // 2))
    column_width = max(cell_px, 72)
    grid_width = len(columns) * column_width + (len(columns) - 1) * GAP
    page_width = MARGIN * 2 + label_width + GAP + grid_width

    column_lines = [wrap_text(column.label, small_font, column_width - 4) for column in columns]
    column_header_height = max((len(lines) for lines in column_lines), default=1) * small_line + GAP
    row_lines = [wrap_text(row.label, label_font, label_width - 8) for row in rows]
    row_heights = [max(cell_px, len(lines) * line_height + 8) for lines in row_lines]
    footer_lines = [
        line for entry in text.footer for line in wrap_text(entry, small_font, page_width - 2 * MARGIN)
    ]
    title_lines = wrap_text(text.title, title_font, page_width - 2 * MARGIN)

    title_height = len(title_lines) * (font_size + 8) + GAP
    grid_top = MARGIN + title_height + column_header_height
    grid_height = sum(row_heights) + GAP * (len(rows) - 1 if rows else 0)
    footer_top = grid_top + grid_height + GAP * 2
    page_height = footer_top + GAP + len(footer_lines) * small_line + MARGIN

    page = Image.new("RGB", (page_width, page_height), BACKGROUND)
    draw = ImageDraw.Draw(page)
    y = MARGIN
    for line in title_lines:
        draw.text((MARGIN, y), line, font=title_font, fill=TEXT_COLOUR)
        y += font_size + 8

    grid_left = MARGIN + label_width + GAP
    for column, lines in zip(columns, column_lines, strict=True):
        x = grid_left + column.index * (column_width + GAP)
        for line_index, line in enumerate(lines):
            draw.text(
                (x + 2, MARGIN + title_height + line_index * small_line),
                line,
                font=small_font,
                fill=MUTED_COLOUR,
            )

    boxes: dict[str, Box] = {}
    missing: list[str] = []
    y = grid_top
    for row, lines, row_height in zip(rows, row_lines, row_heights, strict=True):
        if row.is_baseline:
            draw.rectangle((MARGIN, y, page_width - MARGIN, y + row_height - 1), fill=BASELINE_FILL)
        for line_index, line in enumerate(lines):
            draw.text((MARGIN + 4, y + 4 + line_index * line_height), line, font=label_font, fill=TEXT_COLOUR)
        for column in columns:
            cell_id = f"r{row.index:02d}c{column.index:02d}"
            left = grid_left + column.index * (column_width + GAP)
            box: Box = (left, y, left + column_width, y + cell_px)
            boxes[cell_id] = box
            image_path = cell_files.get(cell_id)
            if image_path is None:
                missing.append(cell_id)
                draw.rectangle(
                    (box[0], box[1], box[2] - 1, box[3] - 1), fill=MISSING_FILL, outline=RULE_COLOUR
                )
                draw.text((box[0] + 4, box[1] + 4), "missing", font=small_font, fill=MUTED_COLOUR)
                continue
            with Image.open(image_path) as cell_image:
                thumbnail = fit_thumbnail(cell_image, cell_px)
            offset_x = left + (column_width - thumbnail.width) // 2
            offset_y = y + (cell_px - thumbnail.height) // 2
            page.paste(thumbnail, (offset_x, offset_y))
        y += row_height + GAP
        draw.line((MARGIN, y - GAP // 2, page_width - MARGIN, y - GAP // 2), fill=RULE_COLOUR)

    y = footer_top
    draw.line((MARGIN, y, page_width - MARGIN, y), fill=RULE_COLOUR)
    y += GAP
    for line in footer_lines:
        draw.text((MARGIN, y), line, font=small_font, fill=MUTED_COLOUR)
        y += small_line
    return ComposedPage(image=page, cell_boxes=boxes, missing=tuple(missing))
