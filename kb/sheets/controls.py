"""Control triggers: made-up artist names a sheet measures beside its styles.

Any change to a prompt moves pixels, so a style's distance from the baseline says little by itself:
an unknown word moves the picture too. Each sheet therefore adds `controls` rows of made-up names
(`by vorlekattin`), and a style's verdict comes from where its distance falls among theirs
(kb/sheets/recognize.py). A control is written like a style trigger (`by ` + name) and has the same
CLIP token length as a style of the sheet, so a long trigger is compared with equally long controls.

Names are built from syllables that are rare as English or Danbooru words, drawn from a generator
seeded by the sheet's seeds: the same sheet always gets the same controls, a sheet with other seeds
other ones. A name that collides with one of the sheet's styles is drawn again.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence

from kb.prompt.clip_bpe import count_tokens

CONTROL_PREFIX = "by "
# Onsets and rhymes chosen so that most names split into several uncommon CLIP tokens, as real
# romanised artist names do.
_ONSETS = ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "dr", "kr", "gl", "th")
_RHYMES = ("a", "e", "i", "o", "u", "ar", "el", "in", "or", "un", "ae", "ei", "ou", "ask", "ett", "olm")
_MAX_DRAWS = 400  # per control; then the closest length seen is kept


def control_seed(seeds: Sequence[int]) -> int:
    """A stable generator seed for a sheet's controls, from its seeds."""
    digest = hashlib.sha256(("controls:" + ",".join(str(seed) for seed in seeds)).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def style_token_length(style: str) -> int:
    """CLIP tokens of a style as written (`(by yoneyama mai:0.9)` counts its brackets too)."""
    return count_tokens(style)


def target_lengths(style_lengths: Sequence[int], count: int) -> list[int]:
    """`count` token lengths spread over the styles' lengths (evenly spaced quantiles)."""
    if count <= 0 or not style_lengths:
        return []  # no styles, nothing to calibrate
    ordered = sorted(style_lengths)
    if count == 1:
        return [ordered[len(ordered) // 2]]
    return [ordered[round(index * (len(ordered) - 1) / (count - 1))] for index in range(count)]


def control_styles(styles: Sequence[str], seeds: Sequence[int], count: int) -> tuple[str, ...]:
    """`count` made-up `by name` triggers matching the token lengths of `styles`."""
    rng = random.Random(control_seed(seeds))
    taken = {style.strip().lower() for style in styles}
    controls: list[str] = []
    for wanted in target_lengths([style_token_length(style) for style in styles], count):
        best: tuple[int, str] | None = None
        for _ in range(_MAX_DRAWS):
            candidate = CONTROL_PREFIX + _made_up_name(rng)
            if candidate in taken:
                continue
            miss = abs(style_token_length(candidate) - wanted)
            if best is None or miss < best[0]:
                best = (miss, candidate)
            if miss == 0:
                break
        assert best is not None
        taken.add(best[1])
        controls.append(best[1])
    return tuple(controls)


def _made_up_name(rng: random.Random) -> str:
    words = [
        "".join(rng.choice(_ONSETS) + rng.choice(_RHYMES) for _ in range(rng.randint(2, 4)))
        for _ in range(rng.choice((1, 1, 2)))
    ]
    return " ".join(words)
