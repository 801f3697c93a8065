"""The builder's long jobs: a preview and a style sheet, each with progress and cancel.

Front ends build a job from the draft (`preview_spec`, `sheet_request`: a `JobRefused` says what is
missing, in one line) and run it on a thread of their own (`run_preview`, `run_sheet_job`), passing a
progress callback and a cancel check read between steps. Progress comes as the estimator's reading
(`kb.generate.progress.ProgressReading`: `step 7/20 · 0.40 s/step · ETA 0:05`, `cell 5/40 · …`),
the same the CLI prints. No torch at import:
torch is imported by the engine only when an image has to be generated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb.errors import AidxlError
from kb.generate.extra import missing_extra_message
from kb.generate.progress import ProgressClock, ProgressReading
from kb.settings import TINY_MODEL_SIZE, GenerationSettings
from kb.workbench.draft import PromptDraft
from kb.workbench.sheet_prompts import SheetPromptError, builder_sheet_prompts


class JobRefused(AidxlError):
    """A preview or sheet that cannot start or produced nothing: what to do instead, in one line."""


@dataclass(frozen=True)
class PreviewSpec:
    """What the user asked to preview: a trigger (on the engine's default base) or a built prompt."""

    prompt: str  # the built positive prompt; "" when previewing a trigger
    negative: str
    trigger: str | None
    settings: GenerationSettings
    model_flag: str | None  # `tiny-random`, a path, or None for $AIDXL_MODEL / the config file


@dataclass(frozen=True)
class PreviewOutcome:
    image_path: Path
    thumbnail_path: Path
    message: str
    cached: bool
    size: tuple[int, int] = (0, 0)  # width x height of the image actually made (read from the PNG)
    model_label: str = ""  # the infotext's `Model:`
    random_weights: bool = False


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) of an image file, from its header; (0, 0) when it cannot be read."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return int(image.width), int(image.height)
    except (OSError, UnidentifiedImageError):
        return (0, 0)


def size_text(size: tuple[int, int]) -> str:
    return f"{size[0]}×{size[1]}"


def preview_spec(
    prompt: str, negative: str, trigger: str | None, settings: GenerationSettings, model_flag: str | None
) -> PreviewSpec:
    if not prompt and trigger is None:
        raise JobRefused("nothing to preview: the prompt is empty")
    return PreviewSpec(prompt, negative, trigger, settings, model_flag)


def prepare(spec: PreviewSpec) -> Any:
    """The engine's request, model and cache digest; no torch (kb.generate.preview)."""
    from kb.generate import loading, preview

    source = loading.resolve_model_source(spec.model_flag)
    settings = spec.settings
    size = None if source.kind == "tiny" else (settings.width, settings.height)
    # a trigger goes on the engine's default base and negative; a built prompt is the whole prompt
    built = spec.trigger is None
    options = preview.PreviewOptions(
        trigger=spec.prompt if built else str(spec.trigger),
        base="" if built else None,
        negative=spec.negative if built else None,
        seed=settings.seed,
        sampler=settings.sampler,
        steps=settings.steps,
        cfg_scale=settings.cfg_scale,
        size=size,
        in_explorer=True,
    )
    return preview.prepare_preview(options, model=spec.model_flag)


def run_preview(
    spec: PreviewSpec,
    on_step: Callable[[ProgressReading], object],  # its result is ignored
    should_cancel: Callable[[], bool],
    loaded_models: dict[str, Any],
) -> PreviewOutcome:
    """Serve from the cache, else load the model (torch imported here, first time only) and generate."""
    from kb.generate import preview

    prepared = prepare(spec)
    cached = preview.cached_preview(prepared)
    identity = prepared.identity
    if cached is not None:
        size = image_size(cached.png_path)
        return PreviewOutcome(
            cached.png_path,
            cached.thumbnail_path,
            f"preview (cached, {size_text(size)}{_random_note(identity.random_weights)}): {cached.png_path}",
            True,
            size,
            identity.label,
            identity.random_weights,
        )
    from kb.generate import engine, loading
    from kb.generate.extra import require_generation_extra

    require_generation_extra()  # the CLI's sentence when torch & co. are missing, before any loading
    model_key = prepared.identity.model_hash
    if model_key not in loaded_models:
        device = loading.choose_device(prepared.source, allow_cpu=False)
        loaded_models.clear()  # one model in memory at a time
        loaded_models[model_key] = loading.load_model(prepared.source, device, prepared.identity)
    model = loaded_models[model_key]
    clock = ProgressClock("step")  # from here: loading the model is not a step

    def report_step(progress: Any) -> None:
        on_step(clock.update(progress.step, progress.total))

    result = engine.generate_preview(
        model,
        prepared.request,
        on_step=report_step,
        should_cancel=should_cancel,
    )
    size = image_size(result.png_path)
    return PreviewOutcome(
        result.png_path,
        result.thumbnail_path,
        f"preview ({size_text(size)}{_random_note(result.random_weights)}): {result.png_path}",
        False,
        size,
        identity.label,
        result.random_weights,
    )


def _random_note(random_weights: bool) -> str:
    return ", RANDOM WEIGHTS" if random_weights else ""


TINY_SIZE = TINY_MODEL_SIZE  # tiny-random's own size (its previews ignore the size setting too)


@dataclass(frozen=True)
class SheetRequest:
    """What the user asked a sheet of: rows as pasted, one base prompt, the builder's settings."""

    rows: tuple[tuple[str, str | None], ...]  # (style text, blend name or None)
    base: str
    negative: str
    style_position: str
    sampler: str
    steps: int
    cfg_scale: float
    size: tuple[int, int]
    seed: int
    model_flag: str | None  # `tiny-random`, a path, or None for $AIDXL_MODEL / the config file


@dataclass(frozen=True)
class SheetOutcome:
    page: Path
    html: Path
    cells: int
    generated: int
    cached: int
    message: str
    pages: tuple[Path, ...] = ()
    sidecar: Path | None = None  # the sheet's JSON: rows, columns and cells of every page
    size: tuple[int, int] = (0, 0)  # each cell's width x height as generated
    model_label: str = ""
    random_weights: bool = False


def sheet_request(state: PromptDraft, model_flag: str | None) -> SheetRequest:
    """The sheet of the builder's style entries, each cell exactly the builder's prompt with that
    cell's style (`kb.workbench.sheet_prompts`); JobRefused says why there is none."""
    try:
        prompts = builder_sheet_prompts(state)
    except SheetPromptError as error:
        raise JobRefused(str(error)) from error
    settings = state.settings
    return SheetRequest(
        rows=prompts.rows,
        base=prompts.base,
        negative=state.negative,
        style_position="append" if state.styles_appended else "first",
        sampler=settings.sampler,
        steps=settings.steps,
        cfg_scale=settings.cfg_scale,
        size=(settings.width, settings.height),
        seed=settings.seed,
        model_flag=model_flag,
    )


def build_spec(request: SheetRequest) -> Any:
    """The `kb.sheets` spec, merged as `aidxl sheet` merges its flags (`kb.sheets.options`): model
    from the flag, $AIDXL_MODEL or the config; tiny-random at its own size, as its previews; no torch."""
    from kb.generate.loading import resolve_model_source
    from kb.sheets.options import SheetValues, merged_spec
    from kb.sheets.spec import SheetRow

    tiny = resolve_model_source(request.model_flag).kind == "tiny"
    values = SheetValues(
        rows=tuple(SheetRow(style=style, name=name) for style, name in request.rows),
        seeds=(request.seed,),
        bases=(request.base,),
        negative=request.negative,
        model=request.model_flag,
        size=None if tiny else request.size,
        settings={
            "sampler": request.sampler,
            "steps": request.steps,
            "cfg_scale": request.cfg_scale,
            "style_position": request.style_position,
            "title": "explorer sheet",
            "controls": 0,  # one seed: verdicts stay unsure whatever the controls say, so draw none
        },
    )
    return merged_spec(values)


def run_sheet_job(
    request: SheetRequest,
    out_dir: Path,
    on_cell: Callable[[ProgressReading], object],  # its result is ignored
    should_cancel: Callable[[], bool],
) -> SheetOutcome:
    """Build and run the sheet (only this process: no `accelerate` split); pages under `out_dir`."""
    from kb.sheets.render_cells import resolve_model
    from kb.sheets.run import run_sheet
    from kb.sheets.split import ProcessShare

    spec = build_spec(request)
    model = resolve_model(spec.model)
    try:
        if not model.random_weights:
            # As previews: a full-size model needs a GPU; say so in one line instead of minutes per cell.
            from kb.generate.loading import choose_device

            choose_device(model.source, allow_cpu=False)

        def report_cell(progress: Any) -> None:
            on_cell(progress.reading)

        result = run_sheet(
            spec,
            out_dir,
            on_progress=report_cell,
            share=ProcessShare(),
            should_cancel=should_cancel,
        )
    except ImportError as error:  # torch & co. are checked in choose_device; this is any other library
        raise JobRefused(missing_extra_message(error.name)) from error
    if not result.pages or result.html is None:
        raise JobRefused("the sheet composed no page")
    missing = f", {len(result.missing)} missing" if result.missing else ""
    random = " (RANDOM WEIGHTS, not AIDXL)" if model.random_weights else ""
    return SheetOutcome(
        page=result.pages[0],
        html=result.html,
        cells=result.cells,
        generated=result.generated,
        cached=result.cached,
        message=(
            f"sheet: {result.pages[0]} ({result.cells} cells: {result.generated} generated, "
            f"{result.cached} cached{missing}); open {result.html}{random}"
        ),
        pages=result.pages,
        sidecar=result.sidecar,
        size=(spec.width, spec.height),
        model_label=model.label,
        random_weights=model.random_weights,
    )
