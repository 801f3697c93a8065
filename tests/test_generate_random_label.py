"""RANDOM WEIGHTS in the pixels of every random-weight image: previews, sheet cells, pages."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from kb.generate import cache
from kb.generate.random_label import BAND_COLOUR, stamp_random_weights


def yellow_pixels(pixels: np.ndarray) -> int:
    """Pixels of the letters (anti-aliased on the black band: yellow, dimmed)."""
    red, green, blue = (pixels[..., channel].astype(int) for channel in range(3))
    return int(((red > 100) & (green > 90) & (blue < 40) & (red >= green)).sum())


@pytest.mark.parametrize("size", [(64, 64), (64, 128), (832, 1216), (1024, 1024)])
def test_the_label_is_a_band_at_the_bottom_and_leaves_the_rest(size: tuple[int, int]) -> None:
    picture = Image.new("RGB", size, (120, 140, 160))
    stamped = np.asarray(stamp_random_weights(picture))
    width, height = size
    assert stamped.shape == (height, width, 3)
    assert np.all(stamped[0] == (120, 140, 160)) and np.all(stamped[height // 2] == (120, 140, 160))
    bottom = stamped[-1]
    assert np.all(bottom[0] == BAND_COLOUR)  # the band's corner
    band = stamped[int(height * 0.7) :]
    assert yellow_pixels(band) > 0.01 * band.shape[0] * band.shape[1]  # the letters


def test_a_64_pixel_label_takes_two_lines_a_large_one_one() -> None:
    small = np.asarray(stamp_random_weights(Image.new("RGB", (64, 64), (255, 255, 255))))
    large = np.asarray(stamp_random_weights(Image.new("RGB", (1024, 1024), (255, 255, 255))))
    small_band_rows = int(np.all(small[:, 0] == BAND_COLOUR, axis=-1).sum())
    large_band_rows = int(np.all(large[:, 0] == BAND_COLOUR, axis=-1).sum())
    assert 16 <= small_band_rows <= 24  # two 8-pixel lines
    assert large_band_rows < 0.1 * 1024  # one line


@pytest.mark.slow  # loads the tiny model
def test_a_tiny_random_preview_carries_the_label_and_an_unlabelled_entry_is_made_again() -> None:
    from kb.generate.engine import generate_preview
    from kb.generate.loading import choose_device, load_model, resolve_model_source
    from kb.generate.request import PreviewRequest

    source = resolve_model_source("tiny-random")
    model = load_model(source, choose_device(source, allow_cpu=True))
    request = PreviewRequest("1girl, by chi4", "lowres", 3, "Euler a", 2, 7.0, 64, 64)
    preview = generate_preview(model, request)
    with Image.open(preview.png_path) as image:
        pixels = np.asarray(image.convert("RGB"))
    assert np.all(pixels[-1, 0] == BAND_COLOUR) and yellow_pixels(pixels[40:]) > 20
    with Image.open(preview.thumbnail_path) as thumbnail:
        assert np.all(np.asarray(thumbnail.convert("RGB"))[-1, 0] == BAND_COLOUR)
    assert cache.random_weights_of(preview.png_path) and cache.random_weights_of(preview.thumbnail_path)
    # An entry written before the label (no stamp in its sidecar) is a miss: it is made again, labelled.
    record = json.loads(preview.sidecar_path.read_text(encoding="utf-8"))
    del record[cache.RANDOM_WEIGHTS_STAMP_KEY]
    preview.sidecar_path.write_text(json.dumps(record), encoding="utf-8")
    assert cache.lookup(preview.digest) is None
