"""Which distance tells a known trigger from an unknown one better: pixels (`mad64`) or the VAE's latents?

Run: .venv/bin/python bench/recognition.py [--seeds 1,2] [--controls 8]
Two tiny SDXL pipelines (CPU, 64x64, 2 steps): `tiny-random`, which knows no trigger, and the same
model with PLANTED triggers (their token rows moved in both text encoders, as fine-tuning moves
them). Each gets one sheet: the baseline, 10 planted names, 30 real artist names and the made-up
controls (kb/sheets/controls.py), every cell against the baseline of its seed. Two distances:

- `mad64`: the product's measure (kb/sheets/recognize.py), mean |pixel difference| at 64x64;
- `vae-latent`: the cell PNG encoded by the model's own VAE (no extra weights), mean |latent
  difference| scaled by the baseline latent's spread.

Each distance's verdicts come from the product's test (log distance against the controls, p <= 0.01
is `yes`). Printed per distance: on tiny-random the share of `yes` (false positives, all 40 are
unknown); on the planted model how many planted names come out `yes` (hits) and how many of the
30 unplanted ones do (false positives), and the separation: mean log distance of the planted names
minus that of the controls, in control standard deviations. The better distance is the one with
more hits at no more false positives, then the larger separation.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

PLANTED = (
    "by yoneyama mai",
    "by saitou naoki",
    "by kishida mel",
    "by tidsean",
    "by ogipote",
    "by fuzichoco",
    "by mochizuki kei",
    "by kani biimu",
    "by torino aqua",
    "by nardack",
)
PLAIN = (
    "by wlop",
    "by ask",
    "by chi4",
    "by ningen mame",
    "by hiten",
    "by mignon",
    "by fkey",
    "by rella",
    "by ciloranko",
    "by kantoku",
    "by tiv",
    "by redum4",
    "by kawacy",
    "by mika pikazo",
    "by as109",
    "by ikky",
    "by sakimichan",
    "by lack",
    "by modare",
    "by neco",
    "by kieed",
    "by anmi",
    "by void 0",
    "by namie",
    "by dsmile",
    "by ke-ta",
    "by yoshida akihiko",
    "by hoshi",
    "by rei",
    "by wada arco",
)


def planted_pipeline(triggers: tuple[str, ...]) -> Any:
    import torch

    from kb.generate.tiny import build_tiny_pipeline
    from kb.prompt.clip_bpe import get_tokenizer

    pipeline = build_tiny_pipeline()
    tokenizer = get_tokenizer()
    # Only tokens of 4 characters or more: a short one (`fu`, `z`) also sits in made-up control names,
    # which would then be "known" too (a real fine-tune moves common tokens a little, not like this).
    tokens = {
        token
        for trigger in triggers
        for token in tokenizer.encode(trigger.removeprefix("by "))
        if len(tokenizer.token_text(token).strip()) >= 4
    }
    generator = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for encoder in (pipeline.text_encoder, pipeline.text_encoder_2):
            rows = encoder.get_input_embeddings().weight
            for token in sorted(tokens):
                rows[token] = torch.randn(rows.shape[1], generator=generator) * 8
    return pipeline


def cell_files(pipeline: Any, plan: Any, name: str) -> dict[str, Path]:
    from kb.generate.engine import generate_previews
    from kb.generate.loading import DeviceChoice, LoadedModel
    from kb.generate.request import ModelIdentity
    from kb.sheets.render_cells import _preview_request

    pipeline.set_progress_bar_config(disable=True)
    identity = ModelIdentity(name, name.ljust(64, "0"), "Automatic", "", True)
    model = LoadedModel(
        pipeline, identity, DeviceChoice("cpu", "float32", False, None), dict(pipeline.scheduler.config)
    )
    previews = generate_previews(
        model, [_preview_request(cell.request) for cell in plan.cells], batch_size=16
    )
    return {cell.cell_id: item.preview.png_path for cell, item in zip(plan.cells, previews, strict=True)}


def latent_distance(pipeline: Any) -> Any:
    import numpy as np
    import torch
    from PIL import Image

    cache: dict[Path, Any] = {}

    def latent(path: Path) -> Any:
        if path not in cache:
            with Image.open(path) as image:
                pixels = np.asarray(image.convert("RGB"), dtype=np.float32) / 127.5 - 1.0
            tensor = torch.from_numpy(pixels).permute(2, 0, 1)[None]
            with torch.no_grad():
                cache[path] = pipeline.vae.encode(tensor).latent_dist.mean[0].numpy()
        return cache[path]

    def distance(first: Path, second: Path) -> float:
        a, b = latent(first), latent(second)
        return float(np.mean(np.abs(a - b)) / max(float(np.std(b)), 1e-9))

    return distance


def verdicts(plan: Any, files: dict[str, Path], distance: Any) -> dict[str, tuple[float, str]]:
    """trigger -> (mean distance, verdict) by the product's scoring (kb/sheets/recognize.py) with
    `distance`; `__controls__` holds the controls' distances."""
    from kb.sheets.recognize import score_rows

    records = score_rows(plan, dict(files), model_hash="bench", model_name="bench", distance=distance)
    found = {record.trigger: (record.score, record.verdict) for record in records if not record.control}
    controls = [record.score for record in records if record.control]
    found["__controls__"] = (0.0, ",".join(f"{value:.6g}" for value in controls))
    return found


def separation(found: dict[str, tuple[float, str]]) -> float:
    controls = [math.log(max(float(v), 1e-9)) for v in found["__controls__"][1].split(",")]
    planted = [math.log(max(found[t][0], 1e-9)) for t in PLANTED]
    return (statistics.fmean(planted) - statistics.fmean(controls)) / max(statistics.stdev(controls), 1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", default="1,2")
    parser.add_argument("--controls", type=int, default=8)
    args = parser.parse_args()
    import tempfile

    import torch

    from kb.generate.tiny import build_tiny_pipeline
    from kb.sheets.plan import plan_sheet
    from kb.sheets.recognize import image_distance
    from kb.sheets.spec import SheetRow, spec_from_values

    torch.set_num_threads(1)
    spec = spec_from_values(
        rows=[SheetRow(style) for style in (*PLANTED, *PLAIN)],
        seeds=[int(seed) for seed in args.seeds.split(",")],
        bases=["1girl, solo, upper body"],
        negative="lowres",
        model="tiny-random",
        width=64,
        height=64,
        steps=2,
        controls=args.controls,
    )
    plan = plan_sheet(spec)
    import os

    with tempfile.TemporaryDirectory(prefix="aidxl-recognition-bench-") as folder:
        os.environ["AIDXL_CACHE_DIR"] = folder
        print(f"{len(plan.cells)} cells per model, {len(spec.seeds)} seeds, {args.controls} controls")
        header = ("model", "distance", "yes (unknown)", "planted yes", "unplanted yes", "separation", "time")
        print("{:<12} {:<11} {:>14} {:>12} {:>14} {:>11} {:>7}".format(*header))
        for name, pipeline in (
            ("tiny-random", build_tiny_pipeline()),
            ("planted", planted_pipeline(PLANTED)),
        ):
            files = cell_files(pipeline, plan, name)
            for label, distance in (("mad64", image_distance), ("vae-latent", latent_distance(pipeline))):
                started = time.perf_counter()
                found = verdicts(plan, files, distance)
                seconds = time.perf_counter() - started
                styles = {t: v for t, v in found.items() if t in PLANTED or t in PLAIN}
                if name == "tiny-random":
                    yes = sum(v[1] == "yes" for v in styles.values())
                    shown = f"{yes:>8}/{len(styles):<5}"
                    print(f"{name:<12} {label:<11} {shown} {'':>12} {'':>14} {'':>11} {seconds:>6.2f}s")
                else:
                    hits = sum(found[t][1] == "yes" for t in PLANTED)
                    false = sum(found[t][1] == "yes" for t in PLAIN)
                    counts = f"{hits:>7}/{len(PLANTED):<4} {false:>8}/{len(PLAIN):<5}"
                    gap = separation(found)
                    print(f"{name:<12} {label:<11} {'':>14} {counts} {gap:>11.2f} {seconds:>6.2f}s")


if __name__ == "__main__":
    main()
