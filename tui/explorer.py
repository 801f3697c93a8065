"""The Textual explorer's app: the catalog (open, reload, a rebuilt file noticed), the theme, the
toasts, help and palette, and the switch between its two views.

The views own their widgets, workers and keys: the search view (tui/screens/search.py) and the
builder view (tui/screens/builder.py). What they share is the session (tui/state/session.py);
what they ask of the app is `ExplorerHost` (tui/screens/view.py), which this class implements.
Start-up goes through tui/app.py, which loads the catalog on a thread before importing Textual.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import BindingType
from textual.dom import DOMNode
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Footer

from kb.catalog import open_catalog
from kb.errors import AidxlError, CatalogError
from kb.userdata import UserDataError, load_user_data
from tui.keys import ExplorerAction, bindings_of, palette_entries
from tui.screens.builder import BuilderView
from tui.screens.help import HelpScreen
from tui.screens.missing_catalog import MissingCatalogScreen
from tui.screens.search import SearchView
from tui.state import actions as prompt_actions
from tui.state.generation_view import ShownImage
from tui.state.prefetch import CatalogPrefetch
from tui.state.searching import load_index
from tui.state.session import DETAIL_DELAY_SECONDS, ExplorerOptions, ExplorerSession, file_identity
from tui.widgets.detail import DetailPane
from tui.widgets.messages import CatalogReplaced, SearchIndexReady, SearchUnavailable
from tui.widgets.preview_panel import PathLine, PreviewPanel
from tui.widgets.results import ResultsTable
from tui.widgets.sources_banner import SourcesBanner
from tui.widgets.status_bar import StatusBar, TopBar

DARK_THEME = "textual-dark"
LIGHT_THEME = "textual-light"
CATALOG_POLL_SECONDS = 1.0

__all__ = ["ExplorerApp", "file_identity"]


class ExplorerApp(App[int]):
    """`aidxl` with no command."""

    CSS_PATH = Path(__file__).parent / "app.tcss"  # absolute: subclasses elsewhere find it too
    TITLE = "aidxl"
    ENABLE_COMMAND_PALETTE = True
    # A terminal shorter than 32 rows (80x24) gets the short layout (app.tcss: `Screen.-short`). Textual
    # annotates it `ClassVar[...] | None`, which mypy reads as an instance variable: no ClassVar here.
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]  # noqa: RUF012
    BINDINGS: ClassVar[list[BindingType]] = bindings_of("ExplorerApp")

    def __init__(
        self,
        catalog_path: Path,
        *,
        user_data_path: Path | None = None,
        watch_catalog: bool = True,
        preview_model: str | None = None,
        show_timings: bool = True,
        detail_delay: float = DETAIL_DELAY_SECONDS,
        prefetch: CatalogPrefetch | None = None,
        keep_search: bool = False,
    ) -> None:
        super().__init__()
        options = ExplorerOptions(
            user_data_path, watch_catalog, preview_model, show_timings, detail_delay, keep_search
        )
        self.session = ExplorerSession(catalog_path, options)
        self.search_view = SearchView(self.session, self)
        self.builder_view = BuilderView(self.session, self)
        self.started_at = time.perf_counter()
        # Catalog and search index load while Textual starts (see tui/state/prefetch.py).
        self.prefetch: CatalogPrefetch | None = prefetch or CatalogPrefetch(catalog_path)
        self.ready_at: float | None = None

    # ----------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        yield TopBar(id="topbar")
        with ContentSwitcher(initial="search-view", id="views"):
            yield self.search_view
            yield self.builder_view
        yield PreviewPanel(id="preview-panel")  # the last preview or sheet, until replaced or closed
        yield StatusBar(id="statusbar")
        yield Footer()

    def on_mount(self) -> None:
        self.theme = DARK_THEME
        session = self.session
        session.builder.negative = prompt_actions.default_negative()
        try:
            session.user_data = load_user_data(session.options.user_data_path)
        except UserDataError as error:
            self.notify(f"{error}; starting with empty history", severity="warning", timeout=8)
        self.query_one(TopBar).show_view("search")
        session.check_model()  # the status and settings line name it; a broken one says why
        self.builder_view.refresh_builder()
        self.catalog_built(True)

    def open_current_catalog(self) -> bool:
        session = self.session
        prefetch, self.prefetch = self.prefetch, None
        try:
            if prefetch is not None:
                session.connection = prefetch.connection.result()
            else:
                session.connection = open_catalog(session.catalog_path)
        except CatalogError as error:
            self.push_screen(MissingCatalogScreen(str(error), session.catalog_path), self.catalog_built)
            return False
        session.catalog_identity = file_identity(session.catalog_path)
        session.catalog_replaced = False
        session.index_generation += 1
        session.author_tables = None
        self.search_view.catalog_opened()
        cursor = session.connection.cursor() if prefetch is None else None
        self.index_worker(session.index_generation, prefetch, cursor)
        self.update_status()
        return True

    def catalog_built(self, built: bool | None) -> None:
        """Open the catalog (at start, or once the missing-catalog screen's ingest built it)."""
        if built and self.open_current_catalog():
            self.search_view.action_focus_search()
            if self.session.options.watch_catalog:
                self.set_interval(CATALOG_POLL_SECONDS, self.check_catalog_file)

    # ---------------------------------------------------- the search index

    @work(thread=True, exclusive=True, group="index", exit_on_error=False)
    def index_worker(self, generation: int, prefetch: CatalogPrefetch | None, cursor: Any) -> None:
        """The search index: the prefetch thread's (at start-up), else loaded with this worker's `cursor`."""
        started = time.perf_counter()
        try:
            if prefetch is not None:
                index, seconds = prefetch.index.result()
            else:
                index = load_index(cursor, self.session.catalog_path)
                seconds = time.perf_counter() - started
        except AidxlError as error:
            self.post_message(SearchUnavailable(str(error)))
            return
        except Exception as error:  # a broken index must not take the explorer down
            self.post_message(SearchUnavailable(f"search index failed to load: {error}"))
            return
        finally:
            if cursor is not None:
                cursor.close()
        self.post_message(SearchIndexReady(generation, index, seconds))

    @on(SearchIndexReady)
    def index_ready(self, message: SearchIndexReady) -> None:
        if self.shutting_down or message.generation != self.session.index_generation:
            return  # closing, or the index of a catalog that was reloaded since
        self.session.index = message.index
        self.session.index_seconds = message.seconds
        self.session.search_problem = None
        self.ready_at = time.perf_counter()
        self.search_view.index_ready()

    @on(SearchUnavailable)
    def index_unavailable(self, message: SearchUnavailable) -> None:
        if self.shutting_down:
            return
        self.session.search_problem = message.reason
        self.update_status()
        self.search_view.index_unavailable(message.reason)

    # ------------------------------------------------------- catalog swap

    def check_catalog_file(self) -> None:
        session = self.session
        if session.catalog_replaced or session.connection is None:
            return
        identity = file_identity(session.catalog_path)
        if identity is not None and identity != session.catalog_identity:
            self.post_message(CatalogReplaced())

    @on(CatalogReplaced)
    def catalog_was_replaced(self) -> None:
        if self.shutting_down or self.session.catalog_replaced:
            return
        self.session.catalog_replaced = True
        self.update_status()
        self.notify("The catalog file was rebuilt (aidxl ingest). Press ctrl+r to reload it.", timeout=10)

    def action_reload_catalog(self) -> None:
        session = self.session
        try:
            open_catalog(session.catalog_path).close()  # check the new file before letting go of the old
        except CatalogError as error:
            self.notify(f"{error}; keeping the catalog that is open", severity="error")
            return
        # DuckDB keeps one database per path inside a process: the old one must be closed first,
        # or the new connection would be handed the replaced file.
        self.workers.cancel_group(self, "index")
        self.search_view.action_leave_copyright()  # its characters are the old catalog's
        old_connection, session.connection, session.index = session.connection, None, None
        if old_connection is not None:
            old_connection.close()
        if self.open_current_catalog():
            self.update_status("catalog reloaded")
            self.notify("catalog reloaded", timeout=2)

    @on(SourcesBanner.Clicked)
    def action_missing_sources(self) -> None:
        """F12 / a click on the banner: each missing source and the command that adds it."""
        from tui.screens.missing_sources import MissingSourcesScreen  # first use only

        sources = self.session.catalog_sources
        if sources is None or isinstance(self.screen, MissingSourcesScreen):
            return

        def closed(hide: bool | None) -> None:
            if hide:
                self.search_view.action_hide_sources_banner()

        self.push_screen(MissingSourcesScreen(sources), closed)

    # ------------------------------------------------- what views ask for

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """A toast, plain text by default: most carry kb's and ingest's messages (paths, prompts,
        TOML such as `[generate]`), which Textual would otherwise read as markup and eat."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    @property
    def shutting_down(self) -> bool:
        """No screen left: a worker's message that arrives now has nothing to update."""
        return not self.screen_stack

    @property
    def dark(self) -> bool:
        return self.current_theme.dark

    @property
    def in_builder(self) -> bool:
        return bool(self.query_one("#views", ContentSwitcher).current == "builder-view")

    def update_status(self, extra: str = "") -> None:
        """The status line of the view shown: the search's results, or the builder's prompt."""
        view = self.builder_view if self.in_builder else self.search_view
        self.query_one(StatusBar).show_status(
            view.status_parts(), catalog_replaced=self.session.catalog_replaced, extra=extra
        )

    def builder_edited(self, cursor: int | None = None) -> None:
        self.builder_view.refresh_builder(cursor=cursor)

    def show_progress(self, total: int | None, progress: int) -> None:
        self.query_one(StatusBar).show_progress(total, progress)

    def hide_progress(self) -> None:
        self.query_one(StatusBar).hide_progress()

    def show_image(self, path: Path) -> None:
        self.search_view.query_one(DetailPane).show_preview(path)

    def show_sheet(self, page: Path, html: Path) -> None:
        self.search_view.query_one(DetailPane).show_sheet(page, html)

    # -------------------------------- the preview panel and a sheet's pages (issue 12 item 6)

    def show_generated(self, shown: ShownImage) -> None:
        self.session.shown_image = shown
        self.query_one(PreviewPanel).show_image(shown)

    @on(PreviewPanel.CopyPath)
    def copy_image_path(self, message: PreviewPanel.CopyPath) -> None:
        """`c` on the panel: the whole path, OSC 52 and the clipboard file."""
        self.copy_to_clipboard(message.path)
        fallback = prompt_actions.write_clipboard_fallback(message.path)
        self.notify(f"copied the path (OSC 52); also in {fallback}", timeout=4)

    @on(PreviewPanel.ViewSheet)
    def view_sheet_pages(self, message: PreviewPanel.ViewSheet) -> None:
        self.action_view_sheet()

    def action_view_sheet(self) -> None:
        """`v` on the panel, or the palette: the last sheet's pages in the terminal."""
        from tui.screens.sheet_viewer import open_sheet_viewer

        shown = self.session.shown_image
        if shown is None or shown.kind != "sheet" or shown.sidecar is None:
            self.notify("no sheet yet: run one of the builder's styles first", severity="warning", timeout=4)
            return
        problem = open_sheet_viewer(self, shown.sidecar)
        if problem is not None:
            self.notify(problem, severity="error", timeout=8)

    def action_focus_preview_panel(self) -> None:
        """The palette's "Preview panel": focus the path line (c copies it, x closes the panel)."""
        panel = self.query_one(PreviewPanel)
        if panel.shown is None:
            self.notify("no preview yet: ctrl+g makes one", severity="warning", timeout=3)
            return
        panel.show_panel(True)
        self.screen_stack[0].set_focus(panel.query_one(PathLine))

    # ------------------------------------------------------ views, theme

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # A dialog is open: its own keys (and text boxes) come first.
        return not (action == "switch_view" and self.screen_stack and self.screen is not self.screen_stack[0])

    def action_switch_view(self) -> None:
        if self.in_builder:
            self.show_search()
        else:
            self.show_builder()

    def show_builder(self) -> None:
        self.query_one("#views", ContentSwitcher).current = "builder-view"
        self.builder_view.show_entries()
        self.view_switched()

    def show_search(self) -> None:
        self.query_one("#views", ContentSwitcher).current = "search-view"
        self.search_view.action_focus_search()  # at once (see BuilderView.show_entries)
        self.view_switched()

    def view_switched(self) -> None:
        self.query_one(TopBar).show_view("builder" if self.in_builder else "search")
        self.update_status()
        self.refresh_bindings()

    def action_escape(self) -> None:
        """Escape closes the newest thing: a running preview or sheet, a copyright listing, the banner."""
        search = self.search_view
        if self.builder_view.job_running:
            self.builder_view.action_cancel_preview()
        elif search.copyright_scope is not None:
            search.action_leave_copyright()
        elif search.banner_shown:
            search.action_hide_sources_banner()

    def action_copy(self, which: str) -> None:
        """ctrl+y, anywhere: the builder's positive prompt."""
        self.builder_view.copy_prompt(which)

    def action_preview(self) -> None:
        """ctrl+g: the builder's prompt (builder) or the highlighted trigger (search)."""
        if self.in_builder:
            self.builder_view.start_preview(None)
            return
        row = self.search_view.highlighted_row()
        if row is not None:
            self.builder_view.start_preview(row.prompt)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT_THEME if self.dark else DARK_THEME

    def watch_theme(self, theme: str) -> None:
        if not self.is_running or not isinstance(self.screen, Screen) or self.session.connection is None:
            return
        results = self.search_view.query_one(ResultsTable)
        results.show_rows(results.rows_shown, dark=self.dark)
        self.builder_view.refresh_builder()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for entry in palette_entries():
            yield SystemCommand(
                entry.title, entry.explains, lambda entry=entry: self.run_palette_action(entry)
            )

    def run_palette_action(self, entry: ExplorerAction) -> None:
        """A palette entry: the view whose action it is is shown (and focused) first."""
        target: DOMNode = self
        if entry.runs == "builder":
            target = self.builder_view
            if not self.in_builder and entry.name not in BuilderView.FROM_EITHER_VIEW:
                self.show_builder()
        elif entry.runs == "search":
            target = self.search_view
            if self.in_builder:
                self.show_search()
        self.call_later(self.run_action, entry.action, target)
