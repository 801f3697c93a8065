"""The builder view's generation jobs: a preview (of the built prompt, or of a trigger from the
search view) and a style sheet, each in a cancellable worker reporting its progress.

`BuilderView` (tui/screens/builder.py) extends `JobsView`; the progress bar is the app's status
bar (`ExplorerHost.show_progress`), the status line counts steps or cells with their rate and ETA
(`kb.generate.progress` readings, `session.job_words`), and the image stays in the preview panel
(`ExplorerHost.show_generated`) and the search view's detail pane.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.worker import get_current_worker

from kb.errors import AidxlError
from kb.paths import state_dir
from tui.screens.view import ExplorerView
from tui.state import actions as prompt_actions
from tui.state import generation_view as generation
from tui.state.sheets import SheetRequest, run_explorer_sheet, sheet_request
from tui.widgets.builder_pane import BuilderPane
from tui.widgets.messages import PreviewFinished, PreviewProgress, SheetCellDone, SheetFinished

if TYPE_CHECKING:
    from kb.generate.progress import ProgressReading
    from tui.screens.view import ExplorerHost
    from tui.state.rendering import RenderedPrompt
    from tui.state.session import ExplorerSession


class JobsView(ExplorerView, BuilderPane):
    """Previews and sheets of the builder's prompt (`rendered`: the builder view keeps it current)."""

    def __init__(self, session: ExplorerSession, host: ExplorerHost, *, id: str) -> None:
        super().__init__(session, host, id=id)
        self.rendered: RenderedPrompt | None = None  # the builder's prompt as last rendered
        self.preview_running = False
        self.last_preview: PreviewFinished | None = None
        self.preview_steps_seen: list[tuple[int, int]] = []
        self.sheet_running = False
        self.last_sheet: SheetFinished | None = None
        self.sheet_cells_seen: list[tuple[int, int]] = []

    @property
    def job_running(self) -> bool:
        return self.preview_running or self.sheet_running

    # ------------------------------------------------------------ preview

    def start_preview(self, trigger: str | None) -> None:
        """ctrl+g: a preview of `trigger` (the search view's highlighted result) or, None, of the
        builder's prompt."""
        if self.job_running:
            self.notify("a preview is already running (escape cancels it)", timeout=3)
            return
        builder = self.session.builder
        if trigger is None:
            prompt = self.rendered.positive if self.rendered else ""
            negative = self.rendered.negative if self.rendered else builder.negative
        else:
            prompt, negative = "", builder.negative
        try:
            spec = prompt_actions.preview_spec(
                prompt, negative, trigger, builder.settings, self.session.preview_model
            )
        except AidxlError as missing:  # kb.workbench.jobs.JobRefused: what to do first
            self.notify(str(missing), severity="warning", timeout=6)
            return
        self.preview_running = True
        self.preview_steps_seen = []
        self.host.show_progress(None, 0)
        self.show_job_progress("preview", None)
        self.preview_worker(spec)

    @work(thread=True, exclusive=True, group="preview", exit_on_error=False)
    def preview_worker(self, spec: prompt_actions.PreviewSpec) -> None:
        worker = get_current_worker()
        try:
            outcome = prompt_actions.run_preview(
                spec,
                lambda reading: self.post_message(PreviewProgress(reading.done, reading.total, reading)),
                lambda: worker.is_cancelled,
                self.session.loaded_models,
            )
        except AidxlError as error:
            self.post_message(PreviewFinished(None, prompt_actions.explorer_error_line(error)))
            return
        except Exception as error:  # one line for the user, never a traceback
            self.post_message(PreviewFinished(None, f"preview failed: {type(error).__name__}: {error}"))
            return
        self.post_message(PreviewFinished(str(outcome.thumbnail_path), outcome.message, outcome))

    @on(PreviewProgress)
    def preview_progress(self, message: PreviewProgress) -> None:
        if self.shutting_down:
            return
        self.preview_steps_seen.append((message.step, message.total))
        self.host.show_progress(message.total, message.step)
        self.show_job_progress("preview", message.reading)

    @on(PreviewFinished)
    def preview_finished(self, message: PreviewFinished) -> None:
        if self.shutting_down:
            return
        self.preview_running = False
        self.last_preview = message
        self.host.hide_progress()
        self.session.job_words = ""
        if message.outcome is not None:  # the panel keeps the image, its path, model and real size
            shown = generation.shown_preview(message.outcome)
            self.host.show_generated(shown)
            self.notify(generation.finished_words(shown), timeout=8)
        else:
            self.notify(message.message, severity="warning", timeout=8)
        self.host.update_status()
        if message.image_path:
            self.host.show_image(Path(message.image_path))

    def show_job_progress(self, kind: str, reading: ProgressReading | None) -> None:
        """`preview: step 7/20 · 0.40 s/step · ETA 0:05 (escape cancels)` in either view's status."""
        self.session.job_words = generation.progress_words(kind, reading)
        self.host.update_status()

    def action_cancel_preview(self) -> None:
        if self.preview_running:
            self.workers.cancel_group(self, "preview")
            self.notify("cancelling the preview…", timeout=2)
        if self.sheet_running:
            self.workers.cancel_group(self, "sheet")
            self.notify("cancelling the sheet…", timeout=2)

    # ------------------------------------------------------------ sheet

    def action_sheet(self) -> None:
        if self.job_running:
            self.notify("a preview or sheet is already running (escape cancels it)", timeout=3)
            return
        try:
            request = sheet_request(self.session.builder, self.session.preview_model)
        except AidxlError as missing:  # kb.workbench.jobs.JobRefused: what to do first
            self.notify(str(missing), severity="warning", timeout=6)
            return
        self.sheet_running = True
        self.sheet_cells_seen = []
        self.host.show_progress(None, 0)
        self.show_job_progress("sheet", None)
        self.sheet_worker(request)

    @work(thread=True, exclusive=True, group="sheet", exit_on_error=False)
    def sheet_worker(self, request: SheetRequest) -> None:
        worker = get_current_worker()
        try:
            outcome = run_explorer_sheet(
                request,
                state_dir() / "sheets",
                lambda reading: self.post_message(SheetCellDone(reading.done, reading.total, reading)),
                lambda: worker.is_cancelled,
            )
        except AidxlError as error:
            self.post_message(SheetFinished(None, None, prompt_actions.explorer_error_line(error)))
            return
        except Exception as error:  # one line for the user, never a traceback
            self.post_message(SheetFinished(None, None, f"sheet failed: {type(error).__name__}: {error}"))
            return
        self.post_message(SheetFinished(str(outcome.page), str(outcome.html), outcome.message, outcome))

    @on(SheetCellDone)
    def sheet_cell_done(self, message: SheetCellDone) -> None:
        if self.shutting_down:
            return
        self.sheet_cells_seen.append((message.done, message.total))
        self.host.show_progress(message.total, message.done)
        self.show_job_progress("sheet", message.reading)

    @on(SheetFinished)
    def sheet_finished(self, message: SheetFinished) -> None:
        if self.shutting_down:
            return
        self.sheet_running = False
        self.last_sheet = message
        self.host.hide_progress()
        self.session.job_words = ""
        if message.outcome is not None:  # the panel shows the first page; `v` opens them all
            shown = generation.shown_sheet(message.outcome)
            self.host.show_generated(shown)
            self.notify(generation.finished_words(shown), timeout=10)
        else:
            self.notify(message.message, severity="warning", timeout=10)
        self.host.update_status()
        if message.page and message.html:
            self.host.show_sheet(Path(message.page), Path(message.html))
