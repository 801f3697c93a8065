"""Recognition calibrated by control triggers, on real tiny SDXL pipelines (CPU, 64x64, 2 steps).

- tiny-random knows nothing: over 40 artist triggers at most 5 % may come out `yes`;
- a tiny model with planted triggers (their token-embedding rows changed in both text encoders,
  as fine-tuning a trigger changes them): the planted ones come out `yes`, the others do not.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("diffusers")

from kb.recognition import Recognition
from kb.sheets.plan import plan_sheet
from kb.sheets.recognize import score_rows
from kb.sheets.run import run_sheet
from kb.sheets.spec import SheetRow, SheetSpec, spec_from_values

pytestmark = pytest.mark.slow

# Real Danbooru artist triggers, as AIDXL users write them; the random model knows none of them.
ARTISTS = (
    "by wlop",
    "by ask",
    "by chi4",
    "by ningen mame",
    "by yoneyama mai",
    "by hiten",
    "by mignon",
    "by fkey",
    "by rella",
    "by ciloranko",
    "by kantoku",
    "by tiv",
    "by sho (sho lwlw)",
    "by redum4",
    "by kawacy",
    "by mika pikazo",
    "by as109",
    "by torino aqua",
    "by nardack",
    "by yuu (higashi no penguin)",
    "by ikky",
    "by hoshi (snacherubi)",
    "by sakimichan",
    "by lack",
    "by modare",
    "by neco",
    "by kieed",
    "by anmi",
    "by kani biimu",
    "by mochizuki kei",
    "by void 0",
    "by namie",
    "by ogipote",
    "by fuzichoco",
    "by dsmile",
    "by ke-ta",
    "by saitou naoki",
    "by tidsean",
    "by kishida mel",
    "by yoshida akihiko",
)


def sheet(styles: Sequence[str], *, seeds: tuple[int, ...] = (1, 2)) -> SheetSpec:
    return spec_from_values(
        rows=[SheetRow(style) for style in styles],
        seeds=seeds,
        bases=["1girl, solo, upper body"],
        negative="lowres",
        model="tiny-random",
        width=64,
        height=64,
        steps=2,
        cell_px=32,
        controls=8,
    )


@pytest.fixture()
def isolated_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    import torch

    monkeypatch.setenv("AIDXL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("AIDXL_STATE_DIR", str(tmp_path / "state"))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # toy-sized layers: thread hand-offs cost more than they save
    try:
        yield tmp_path
    finally:
        torch.set_num_threads(threads)


def style_verdicts(records: Sequence[Recognition]) -> dict[str, str]:
    return {record.trigger: record.verdict for record in records if not record.control}


def test_random_weights_call_at_most_five_percent_of_forty_triggers_known(isolated_state: Path) -> None:
    assert len(ARTISTS) == 40
    result = run_sheet(sheet(ARTISTS), isolated_state / "out", record_scores=False, batch_size=16)
    verdicts = style_verdicts(result.recognitions)
    assert len(verdicts) == 40
    yes = sorted(trigger for trigger, verdict in verdicts.items() if verdict == "yes")
    assert len(yes) <= 2, yes  # 5 % of 40
    controls = [record for record in result.recognitions if record.control]
    assert len(controls) == 8 and all(record.random_weights for record in result.recognitions)


def planted_model(triggers: Sequence[str]) -> object:
    """tiny-random with the trigger words' token rows pushed far from where they were."""
    import torch

    from kb.generate.loading import DeviceChoice, LoadedModel
    from kb.generate.request import ModelIdentity
    from kb.generate.tiny import build_tiny_pipeline
    from kb.prompt.clip_bpe import get_tokenizer

    pipeline = build_tiny_pipeline()
    token_ids = {
        token for trigger in triggers for token in get_tokenizer().encode(trigger.removeprefix("by "))
    }
    generator = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for encoder in (pipeline.text_encoder, pipeline.text_encoder_2):
            rows = encoder.get_input_embeddings().weight
            for token in token_ids:
                rows[token] = torch.randn(rows.shape[1], generator=generator) * 8
    pipeline.set_progress_bar_config(disable=True)
    identity = ModelIdentity("tiny-planted", "planted" * 9, "Automatic", "", True)
    device = DeviceChoice("cpu", "float32", upcast_vae=False, warning=None)
    return LoadedModel(pipeline, identity, device, dict(pipeline.scheduler.config))


def test_planted_triggers_come_out_known(isolated_state: Path) -> None:
    from kb.generate.engine import generate_previews
    from kb.sheets.render_cells import _preview_request

    planted = ["by yoneyama mai", "by saitou naoki"]  # no control syllables make "ai" or "ao"
    plain = ["by wlop", "by chi4", "by ask", "by hiten", "by kantoku", "by lack"]
    plan = plan_sheet(sheet([*planted, *plain]))
    model = planted_model(planted)
    previews = generate_previews(
        model,  # type: ignore[arg-type]
        [_preview_request(cell.request) for cell in plan.cells],
        batch_size=16,
    )
    files = {
        cell.cell_id: preview.preview.png_path for cell, preview in zip(plan.cells, previews, strict=True)
    }
    records = score_rows(plan, files, model_hash="planted", model_name="tiny-planted")
    verdicts = style_verdicts(records)
    assert [verdicts[trigger] for trigger in planted] == ["yes", "yes"], records
    assert all(verdicts[trigger] != "yes" for trigger in plain), records
