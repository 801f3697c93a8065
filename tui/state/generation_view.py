"""What the explorer shows of a preview or a sheet: the panel's content, the status words, the pages.

View-models only: the jobs, the estimator, the model check and the sheet sidecar are kb's
(`kb.workbench.jobs`, `kb.generate.progress`, `kb.generate.model_choice`, `kb.sheets.sidecar`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text

from kb.errors import AidxlError
from kb.generate.cache import random_weights_of
from kb.generate.model_choice import NO_MODEL as NO_MODEL  # re-exported for the explorer
from kb.generate.model_choice import RANDOM_WEIGHTS_SHORT, ModelChoice
from kb.generate.model_choice import describe_model as describe_model
from kb.generate.progress import ProgressReading
from kb.settings import GenerationSettings
from kb.workbench.jobs import TINY_SIZE, PreviewOutcome, SheetOutcome, size_text

RANDOM_WEIGHTS_CAPTION = f"{RANDOM_WEIGHTS_SHORT} · built-in test model, not AIDXL"
ELLIPSIS = "…"


@dataclass(frozen=True)
class ShownImage:
    """The preview panel's content: an image made here, its file, what made it and its real size."""

    kind: str  # "preview" or "sheet"
    path: Path  # the full-size PNG (what the path line shows and copies)
    picture: Path  # what the panel draws: the thumbnail of a preview, the first page of a sheet
    model_label: str
    size: tuple[int, int]  # width x height actually generated (a sheet: each cell's)
    random_weights: bool
    sidecar: Path | None = None  # a sheet's JSON: its pages can be viewed (SheetViewerScreen)
    page_count: int = 0

    @property
    def info_line(self) -> str:
        """`preview 64×64 · tiny-random (RANDOM WEIGHTS, not AIDXL)`, `sheet of 3 pages · cells 64×64 · …`."""
        if self.kind == "sheet":
            pages = f"{self.page_count} page{'' if self.page_count == 1 else 's'}"
            return f"sheet of {pages} · cells {size_text(self.size)} · {self.model_label}"
        return f"preview {size_text(self.size)} · {self.model_label}"

    @property
    def status_words(self) -> str:
        """The status line's words for the last image, its real size first (the line is cut at 80
        columns): `preview 64×64 · RANDOM WEIGHTS`, `sheet cells 1024×1024 · aidxl_v10`."""
        what = "sheet cells" if self.kind == "sheet" else "preview"
        made_by = RANDOM_WEIGHTS_SHORT if self.random_weights else self.model_label
        return f"{what} {size_text(self.size)} · {made_by}"


def finished_words(shown: ShownImage) -> str:
    """The toast when an image is made: what and where, without its path (a toast wraps a long path
    and vanishes; the panel keeps it on one line)."""
    pages = " · v its pages" if shown.kind == "sheet" and shown.sidecar is not None else ""
    return f"{shown.info_line}: in the panel below (alt+v, then c copies its path{pages})"


def shown_preview(outcome: PreviewOutcome) -> ShownImage:
    return ShownImage(
        "preview",
        outcome.image_path,
        outcome.thumbnail_path,
        outcome.model_label,
        outcome.size,
        outcome.random_weights or random_weights_of(outcome.image_path),
    )


def shown_sheet(outcome: SheetOutcome) -> ShownImage:
    return ShownImage(
        "sheet",
        outcome.page,
        outcome.page,
        outcome.model_label,
        outcome.size,
        outcome.random_weights,
        outcome.sidecar,
        len(outcome.pages) or 1,
    )


def elided_middle(text: str, width: int) -> str:
    """`text` in at most `width` characters, cut in the middle with `…` (a path keeps its start and
    its file name); never more than one line."""
    if len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    kept = width - 1
    head = kept // 2
    tail = kept - head
    return text[:head] + ELLIPSIS + (text[-tail:] if tail else "")


def progress_words(kind: str, reading: ProgressReading | None) -> str:
    """The status line while a job runs: `preview: step 7/20 · 0.40 s/step · ETA 0:05 (escape cancels)`."""
    if reading is None:
        starting = "loading the model" if kind == "preview" else "planning the cells"
        return f"{kind}: {starting}… (escape cancels)"
    return f"{kind}: {reading.label} (escape cancels)"


def model_words(choice: ModelChoice) -> str:
    """The status line's model: `model tiny-random · RANDOM WEIGHTS`, `model aidxl-v1`, `no model set`."""
    if choice.problem is not None:
        return f"model {choice.label} cannot load (s: settings)"
    if choice.value is None and not choice.origin:
        return "no model set (s: settings)"
    return f"model {choice.short_label}"


def builder_status_words(choice: ModelChoice, shown: ShownImage | None) -> list[str]:
    """The builder status line's generation part: the last image's real size and what made it, else
    the model chosen (the settings line and the panel name the model too)."""
    return [shown.status_words] if shown is not None else [model_words(choice)]


def settings_line(settings: GenerationSettings, choice: ModelChoice) -> Text:
    """The builder's settings line; the size is what the chosen model really makes (tiny-random:
    64×64 whatever the setting), the setting beside it when they differ."""
    size = f"{settings.width}×{settings.height}"
    if choice.random_weights:
        size = f"{size_text(TINY_SIZE)} (tiny-random; setting {size})"
    return Text(
        f"{size} · {settings.sampler} · {settings.steps} steps · CFG {settings.cfg_scale:g} · "
        f"seed {settings.seed}   (s settings)",
        style="dim",
    )


@dataclass(frozen=True)
class SheetPageView:
    number: int  # 1-based
    file: Path
    rows: tuple[str, ...]  # the row labels on this page, top to bottom (baseline first)
    columns: tuple[str, ...]
    size: tuple[int, int]


@dataclass(frozen=True)
class SheetPages:
    title: str
    pages: tuple[SheetPageView, ...]
    model_label: str
    random_weights: bool


def load_sheet_pages(sidecar: Path) -> SheetPages:
    """A sheet's pages with their row and column labels, from its sidecar (`kb.sheets.sidecar`)."""
    from kb.sheets.sidecar import read_sidecar

    spec, document = read_sidecar(sidecar)
    label_of_row: dict[int, str] = {}
    label_of_column: dict[int, str] = {}
    for cell in document.get("cells", []):
        label_of_row.setdefault(int(cell["row"]), str(cell["row_label"]))
        label_of_column.setdefault(int(cell["column"]), str(cell["column_label"]))
    columns = tuple(label_of_column[index] for index in sorted(label_of_column))
    pages = []
    for number, record in enumerate(document.get("pages", []), start=1):
        pages.append(
            SheetPageView(
                number,
                sidecar.parent / str(record["file"]),
                tuple(label_of_row.get(int(row), f"row {row}") for row in record.get("rows", [])),
                columns,
                (int(record.get("width", 0)), int(record.get("height", 0))),
            )
        )
    if not pages:
        raise AidxlError(f"{sidecar}: the sheet has no pages")
    model = document.get("model", {})
    return SheetPages(
        spec.title or f"sheet {document.get('spec_hash', '')}",
        tuple(pages),
        str(model.get("name", "")),
        bool(model.get("random_weights", False)),
    )
