"""The RANDOM WEIGHTS label stamped into the pixels of every image a random-weight model makes.

A tiny-random preview copied out of the cache, a sheet cell, a sheet page: the file itself says
that it shows nothing of AIDXL, whatever viewer opens it. The label is a black band across the
bottom of the image with `RANDOM WEIGHTS` in yellow (one line when it fits, two lines on a
64-pixel image), in Pillow's built-in font so it looks the same on every machine. Pillow only.
"""

from __future__ import annotations

from typing import Any

RANDOM_WEIGHTS_TEXT = "RANDOM WEIGHTS"
BAND_COLOUR = (0, 0, 0)
TEXT_COLOUR = (255, 230, 0)
# Font size as a share of the image's shorter side (1024 px: 64 px letters), and its floor.
FONT_SHARE = 1 / 16
MIN_FONT_PX = 8
PADDING_PX = 1


def label_lines(text_width: Any, width: int) -> list[str]:
    """The label on one line when it fits `width` pixels, else its words one per line."""
    return [RANDOM_WEIGHTS_TEXT] if text_width(RANDOM_WEIGHTS_TEXT) <= width else RANDOM_WEIGHTS_TEXT.split()


def stamp_random_weights(image: Any) -> Any:
    """A copy of the PIL image with the label band across its bottom (RGB)."""
    from PIL import ImageDraw, ImageFont

    stamped = image.convert("RGB")
    width, height = stamped.size
    font_px = max(MIN_FONT_PX, round(min(width, height) * FONT_SHARE))
    font = ImageFont.load_default(size=font_px)
    usable = width - 2 * PADDING_PX
    # Shrink until every line fits the width (a 64-pixel image: two lines at 8 px).
    while font_px > MIN_FONT_PX and _widest(font, usable) > usable:
        font_px -= 1
        font = ImageFont.load_default(size=font_px)
    lines = label_lines(font.getlength, usable)
    line_height = int(font.getbbox(RANDOM_WEIGHTS_TEXT)[3]) + 1  # down to the glyphs' lowest pixel
    band_height = min(height, line_height * len(lines) + 2 * PADDING_PX)
    draw = ImageDraw.Draw(stamped)
    draw.rectangle((0, height - band_height, width, height), fill=BAND_COLOUR)
    top = height - band_height + PADDING_PX
    for number, line in enumerate(lines):
        left = max(0, (width - font.getlength(line)) / 2)
        draw.text((left, top + number * line_height), line, fill=TEXT_COLOUR, font=font)
    return stamped


def _widest(font: Any, usable: int) -> float:
    return max(float(font.getlength(line)) for line in label_lines(font.getlength, usable))
