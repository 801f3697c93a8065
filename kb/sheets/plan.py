"""Cell planning: which images a sheet needs, where each goes, and the exact request for each.

Rows are the spec's styles, preceded by the baseline row (same prompt, no style) when the spec
has one; columns are base prompts x seeds (base-major). Every page repeats the baseline row so
that each page compares against it. The baseline is one cell per (seed, base prompt): the cell
every style cell of that column is measured against (recognition score). Control rows (made-up
triggers, kb/sheets/controls.py) follow the styles; they are drawn and measured like styles and
give the distances a style's distance is tested against.
"""

from __future__ import annotations

from dataclasses import dataclass

from kb.sheets.controls import control_styles
from kb.sheets.prompts import build_cell_prompt
from kb.sheets.spec import BasePrompt, SheetSpec

BASELINE_LABEL = "baseline (no style)"
CONTROL_LABEL_PREFIX = "control: "


@dataclass(frozen=True)
class CellRequest:
    """Everything that decides a cell's pixels: what the preview engine is asked for."""

    positive: str
    negative: str
    seed: int
    sampler: str
    steps: int
    cfg_scale: float
    width: int
    height: int
    emphasis: str
    model: str


@dataclass(frozen=True)
class PlannedRow:
    index: int  # 0-based over the planned rows, baseline first when present
    style: str | None  # None for the baseline
    label: str  # as pasted, with weights; a blend's name first
    control: bool = False  # a made-up trigger measured for calibration, not a style

    @property
    def is_baseline(self) -> bool:
        return self.style is None


@dataclass(frozen=True)
class PlannedColumn:
    index: int
    seed: int
    base: BasePrompt
    label: str  # `seed 3`, plus the base's short name when the sheet has several bases


@dataclass(frozen=True)
class PlannedCell:
    row: PlannedRow
    column: PlannedColumn
    request: CellRequest

    @property
    def cell_id(self) -> str:
        """Stable name inside one sheet: r00c02 (row 0 is the baseline when there is one)."""
        return f"r{self.row.index:02d}c{self.column.index:02d}"


@dataclass(frozen=True)
class SheetPlan:
    spec: SheetSpec
    rows: tuple[PlannedRow, ...]
    columns: tuple[PlannedColumn, ...]
    cells: tuple[PlannedCell, ...]  # row-major

    def cell_at(self, row_index: int, column_index: int) -> PlannedCell:
        return self.cells[row_index * len(self.columns) + column_index]

    @property
    def baseline_row(self) -> PlannedRow | None:
        return self.rows[0] if self.rows and self.rows[0].is_baseline else None

    @property
    def style_rows(self) -> tuple[PlannedRow, ...]:
        """Every row drawn beside the baseline: the styles, then the controls."""
        return tuple(row for row in self.rows if not row.is_baseline)

    @property
    def control_rows(self) -> tuple[PlannedRow, ...]:
        return tuple(row for row in self.rows if row.control)


def plan_sheet(spec: SheetSpec) -> SheetPlan:
    rows: list[PlannedRow] = []
    if spec.baseline:
        rows.append(PlannedRow(index=0, style=None, label=BASELINE_LABEL))
    for sheet_row in spec.rows:
        rows.append(PlannedRow(index=len(rows), style=sheet_row.style, label=sheet_row.label))
    if spec.baseline:  # controls are measured against the baseline; without one they say nothing
        styles = [row.style for row in spec.rows]
        for control in control_styles(styles, spec.seeds, spec.controls):
            rows.append(
                PlannedRow(index=len(rows), style=control, label=CONTROL_LABEL_PREFIX + control, control=True)
            )
    several_bases = len(spec.bases) > 1
    columns = [
        PlannedColumn(
            index=base_index * len(spec.seeds) + seed_index,
            seed=seed,
            base=base,
            label=f"seed {seed} · {base.name}" if several_bases else f"seed {seed}",
        )
        for base_index, base in enumerate(spec.bases)
        for seed_index, seed in enumerate(spec.seeds)
    ]
    cells = [
        PlannedCell(row=row, column=column, request=_request(spec, row, column))
        for row in rows
        for column in columns
    ]
    return SheetPlan(spec=spec, rows=tuple(rows), columns=tuple(columns), cells=tuple(cells))


def _request(spec: SheetSpec, row: PlannedRow, column: PlannedColumn) -> CellRequest:
    return CellRequest(
        positive=build_cell_prompt(column.base.prompt, row.style, position=spec.style_position),
        negative=spec.negative,
        seed=column.seed,
        sampler=spec.sampler,
        steps=spec.steps,
        cfg_scale=spec.cfg_scale,
        width=spec.width,
        height=spec.height,
        emphasis=spec.emphasis,
        model=spec.model,
    )


def pages_of(plan: SheetPlan) -> list[tuple[PlannedRow, ...]]:
    """Rows of each page: `page_rows` style rows per page, each page led by the baseline row."""
    per_page = plan.spec.page_rows
    style_rows = plan.style_rows
    baseline = plan.baseline_row
    if not style_rows:
        return [(baseline,)] if baseline is not None else []
    pages = []
    for start in range(0, len(style_rows), per_page):
        chunk = style_rows[start : start + per_page]
        pages.append((baseline, *chunk) if baseline is not None else chunk)
    return pages
