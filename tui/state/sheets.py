"""The explorer's "Sheet" action apart from the screen: a `kb.sheets` spec from the builder, and its run.

Rows are the builder's style entries in A1111 form (weights kept) and, with two or more, the
blend of all of them as one more row; the columns are the builder's seed on the prompt's other
entries (or the sheet's default base prompt). `kb.sheets.run` needs no torch to import; torch
is imported by the engine only when a cell has to be generated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb.generate.extra import missing_extra_message
from tui.state.builder import BuilderState
from tui.state.features import FeatureUnavailable, optional_module

DEFAULT_BASE = "1girl, solo, upper body"  # as `aidxl sheet`
TINY_SIZE = (64, 64)  # tiny-random's own size (its previews ignore the size setting too)
BLEND_NAME = "blend"


@dataclass(frozen=True)
class SheetRequest:
    """What the user asked a sheet of: rows as pasted, one base prompt, the builder's settings."""

    rows: tuple[tuple[str, str | None], ...]  # (style text, blend name or None)
    base: str
    negative: str
    style_position: str
    sampler: str
    steps: int
    cfg: float
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


def sheet_request(state: BuilderState, model_flag: str | None) -> SheetRequest:
    """The sheet for the builder's style entries; FeatureUnavailable says why there is none."""
    render = optional_module("kb.prompt.render", "style sheets", needs="render_tag")
    optional_module("kb.sheets.run", "style sheets", needs="run_sheet")
    styles = state.style_entries()
    if not styles:
        raise FeatureUnavailable("add style entries (`by …`) to the prompt first, then run a sheet")
    rows: list[tuple[str, str | None]] = [
        (render.render_tag(entry.text, entry.weight), None) for entry in styles
    ]
    if len(styles) > 1:
        rows.append((render.render_tags([(entry.text, entry.weight) for entry in styles]), BLEND_NAME))
    others = [(entry.text, entry.weight) for entry in state.entries if entry not in styles]
    settings = state.settings
    return SheetRequest(
        rows=tuple(rows),
        base=render.render_tags(others) or DEFAULT_BASE,
        negative=state.negative,
        style_position="append" if state.styles_appended else "first",
        sampler=settings.sampler,
        steps=settings.steps,
        cfg=settings.cfg,
        size=(settings.width, settings.height),
        seed=settings.seed,
        model_flag=model_flag,
    )


def build_spec(request: SheetRequest) -> Any:
    """The `kb.sheets` spec (model resolved from the flag, $AIDXL_MODEL or the config; no torch)."""
    from kb.sheets.render_cells import canonical_sampler, model_setting, resolve_model
    from kb.sheets.spec import SheetRow, spec_from_values

    model = model_setting(request.model_flag)
    width, height = TINY_SIZE if resolve_model(model).random_weights else request.size
    return spec_from_values(
        rows=[SheetRow(style=style, name=name) for style, name in request.rows],
        seeds=[request.seed],
        bases=[request.base],
        negative=request.negative,
        model=model,
        sampler=canonical_sampler(request.sampler),
        steps=request.steps,
        cfg=request.cfg,
        width=width,
        height=height,
        style_position=request.style_position,
        title="explorer sheet",
        controls=0,  # one seed: verdicts stay unsure whatever the controls say, so draw none
    )


def run_explorer_sheet(
    request: SheetRequest,
    out_dir: Path,
    on_cell: Callable[[int, int], object],  # its result is ignored
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
            on_cell(progress.done, progress.total)

        result = run_sheet(
            spec,
            out_dir,
            on_progress=report_cell,
            share=ProcessShare(),
            should_cancel=should_cancel,
        )
    except ImportError as error:  # torch & co. are checked in choose_device; this is any other library
        raise FeatureUnavailable(missing_extra_message(error.name)) from error
    if not result.pages or result.html is None:
        raise FeatureUnavailable("the sheet composed no page")
    missing = f", {len(result.missing)} missing" if result.missing else ""
    return SheetOutcome(
        page=result.pages[0],
        html=result.html,
        cells=result.cells,
        generated=result.generated,
        cached=result.cached,
        message=(
            f"sheet: {result.pages[0]} ({result.cells} cells: {result.generated} generated, "
            f"{result.cached} cached{missing}); open {result.html}"
        ),
    )
