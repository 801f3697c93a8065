"""The Textual explorer: search the catalog, read an entry's forms, build and copy a prompt.

Workers compute, handlers mutate: search, detail lookups, prompt rendering, paste parsing,
ingest and previews run in `@work(thread=True, exclusive=True, exit_on_error=False)` workers
that only post messages (tui/widgets/messages.py); the `on_*` handlers below apply them and
drop results that no longer match the input.
"""

from __future__ import annotations

import contextlib
import gc
import shlex
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import duckdb
from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import ContentSwitcher, Footer, Input, ProgressBar, Static
from textual.worker import get_current_worker

from kb.catalog import open_catalog
from kb.errors import AidxlError, CatalogError
from kb.knowledge.tagforms import escape_a1111, to_canonical, unescape_a1111
from kb.paths import state_dir
from kb.userdata import BlendStyle, UserData, UserDataError, load_user_data
from kb.workbench.history import History
from kb.workbench.importing import ImportedPrompt, prompt_entries
from tui.screens.dialogs import ChoiceScreen, MultilineEntryScreen, TextEntryScreen
from tui.screens.help import HelpScreen
from tui.screens.missing_catalog import MissingCatalogScreen
from tui.state import actions as prompt_actions
from tui.state.builder import BuilderEntry, BuilderState
from tui.state.catalog_view import EntryDetail, SyntaxForm
from tui.state.character_features import FeaturePart, add_character_features, no_features_reason
from tui.state.detail_cache import (
    CachedDetail,
    DetailCache,
    DetailReader,
    prefetch_order,
    read_ahead_of_results,
)
from tui.state.features import FeatureUnavailable
from tui.state.prefetch import CatalogPrefetch
from tui.state.rendering import RenderedPrompt, render_builder
from tui.state.searching import (
    BROWSE_PALETTE_ENTRIES,
    KIND_FILTERS,
    CopyrightScope,
    ResultRow,
    SearchFilter,
    copyright_of_row,
    empty_copyright_hint,
    has_more,
    list_page,
    load_copyright_scope,
    load_index,
    next_tier_filter,
    results_summary,
    tier_counts,
    tier_filter_suffix,
)
from tui.state.sheets import SheetRequest, run_explorer_sheet, sheet_request
from tui.state.sources import (
    CatalogSources,
    check_sources,
    empty_browse_hint,
    empty_search_hint,
    no_results_hint,
)
from tui.state.wording import counted
from tui.widgets.builder_pane import BuilderPane, EntriesTable
from tui.widgets.detail import FORM_COPY_KEYS, DetailPane
from tui.widgets.focus_keys import SearchTypedText
from tui.widgets.marks import AUTHOR_MARK, VERIFIED_MARK
from tui.widgets.messages import (
    CatalogReplaced,
    CharacterInfoLoaded,
    CopyrightListed,
    DetailLoaded,
    IngestFinished,
    PastedPromptParsed,
    PreviewFinished,
    PreviewProgress,
    PromptRendered,
    SearchIndexReady,
    SearchResults,
    SearchUnavailable,
    SheetCellDone,
    SheetFinished,
    SourcesChecked,
)
from tui.widgets.results import KindChips, ResultsTable
from tui.widgets.search_input import SearchInput
from tui.widgets.sources_banner import SourcesBanner

if TYPE_CHECKING:
    from kb.knowledge.author_tables import AuthorTables
    from kb.knowledge.character_info import CharacterInfo

DARK_THEME = "textual-dark"
LIGHT_THEME = "textual-light"
CATALOG_POLL_SECONDS = 1.0
DETAIL_DELAY_SECONDS = 0.0  # details are read ahead and cached (tui/state/detail_cache.py)
CLIPBOARD_FALLBACK_NAME = "clipboard.txt"
SEARCH_PLACEHOLDER = "search triggers, tags, characters…"


def author_tables_of_catalog(connection: duckdb.DuckDBPyConnection) -> AuthorTables:
    """The author's tables of the open catalog (a worker's call: the first reads them whole)."""
    from kb.knowledge.author_tables import shared_author_tables

    cursor = connection.cursor()
    try:
        return shared_author_tables(cursor)
    finally:
        cursor.close()


def file_identity(path: Path) -> tuple[int, int, int] | None:
    """(inode, mtime, size): an atomic rename by `aidxl ingest` changes at least the inode."""
    try:
        status = path.stat()
    except OSError:
        return None
    return (status.st_ino, status.st_mtime_ns, status.st_size)


PASTE_CHOICES = ("append to the builder", "replace the builder")


class ExplorerApp(App[int]):
    """`aidxl` with no command."""

    CSS_PATH = Path(__file__).parents[1] / "app.tcss"  # absolute: subclasses elsewhere find it too
    TITLE = "aidxl"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help"),
        Binding("question_mark", "help", "Help", show=False),
        # priority: handled before the keys typed after it are handed to a widget, so they go to
        # the view it shows (tui/widgets/focus_keys.py explains the queueing).
        Binding("ctrl+b", "switch_view", "Builder/Search", priority=True),
        Binding("tab", "tab_focus", "Forms / search", show=False, priority=True),
        Binding("ctrl+y", "copy('positive')", "Copy"),
        Binding("ctrl+g", "preview", "Preview"),
        Binding("escape", "escape", "Cancel / leave / hide", show=False),
        Binding("ctrl+t", "toggle_theme", "Theme", show=False),
        Binding("ctrl+r", "reload_catalog", "Reload catalog", show=False),
        Binding("ctrl+f", "favourite", "Favourite", show=False),
        Binding("ctrl+l", "toggle_likely", "AIDXL-likely", show=False),
        Binding("ctrl+n", "add_features('appearance')", "Add looks", show=False),
        Binding("ctrl+o", "add_features('outfit')", "Add outfit", show=False),
        Binding("ctrl+s", "copyright_characters", "Copyright's characters", show=False),
        Binding("f12", "missing_sources", "Missing sources", show=False),
        *(
            Binding(key, f"kind_filter({index})", label, show=False)
            for index, (label, key, _) in enumerate(KIND_FILTERS)
        ),
        Binding("down", "results_cursor(1)", show=False),
        Binding("up", "results_cursor(-1)", show=False),
        Binding("pagedown", "results_cursor(10)", show=False),
        Binding("pageup", "results_cursor(-10)", show=False),
        Binding("shift+pagedown", "scroll_detail(1, True)", "Detail page down", show=False),
        Binding("shift+pageup", "scroll_detail(-1, True)", "Detail page up", show=False),
        Binding("alt+down", "scroll_detail(1, False)", "Detail down", show=False),
        Binding("alt+up", "scroll_detail(-1, False)", "Detail up", show=False),
        # priority: the search box would otherwise type the letter of alt+letter (Textual's Input
        # inserts any key with a printable character).
        *(
            Binding(f"alt+{key}", f"copy_form('{label}')", f"Copy {label}", show=False, priority=True)
            for label, key in FORM_COPY_KEYS.items()
        ),
        Binding("alt+g", "toggle_sentence_noun", "Sentence girl/boy", show=False, priority=True),
        # Builder keys; only active while the builder view is shown (see check_action).
        Binding("o", "toggle_option('auto_order')", "Auto-order", show=False),
        Binding("q", "toggle_option('include_quality')", "Quality", show=False),
        Binding("a", "toggle_option('include_aesthetic')", "Aesthetic", show=False),
        Binding("t", "toggle_option('styles_appended')", "Styles first/appended", show=False),
        Binding("n", "edit_negative", "Negative", show=False),
        Binding("s", "settings", "Settings", show=False),
        Binding("p", "paste_prompt", "Paste", show=False),
        Binding("b", "save_blend", "Save blend", show=False),
        Binding("l", "load_blend", "Load blend", show=False),
        Binding("S", "save_prompt", "Save prompt", show=False),
        Binding("L", "load_prompt", "Load prompt", show=False),
        Binding("y", "builder_copy('positive')", "Copy +", show=False),
        Binding("Y", "builder_copy('negative')", "Copy -", show=False),
        Binding("c", "builder_copy('both')", "Copy both", show=False),
        Binding("e", "export('text')", "Export", show=False),
        Binding("E", "export('json')", "Export JSON", show=False),
        Binding("ctrl+z", "builder_undo", "Undo", show=False),
        # ctrl+shift+z reaches the app only where the terminal reports shift with ctrl (the kitty
        # keyboard protocol: kitty, foot, WezTerm, Ghostty); others send plain ctrl+z for it, so Z (shift+z)
        # redoes everywhere (ctrl+y is copy).
        Binding("ctrl+shift+z,ctrl+shift+Z,Z", "builder_redo", "Redo", show=False),
        Binding("slash", "focus_search", "Search", show=False),
    ]
    BUILDER_ONLY_ACTIONS = frozenset(
        {
            "toggle_option",
            "edit_negative",
            "settings",
            "paste_prompt",
            "save_blend",
            "load_blend",
            "save_prompt",
            "load_prompt",
            "export",
            "focus_search",
            "builder_undo",
            "builder_copy",
            "builder_redo",
        }
    )
    PRIORITY_ACTIONS = frozenset({"copy_form", "toggle_sentence_noun", "switch_view", "tab_focus"})
    # Actions on the highlighted search result: off while the builder hides it.
    SEARCH_ONLY_ACTIONS = frozenset(
        {
            "add_features",
            "copyright_characters",
            "scroll_detail",
            "copy_form",
            "toggle_sentence_noun",
            "focus_forms",
        }
    )

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
        self.keep_search = keep_search  # keep the search box's text after Enter adds a result
        self.catalog_path = catalog_path
        self.user_data_path = user_data_path
        self.watch_catalog = watch_catalog
        self.connection: duckdb.DuckDBPyConnection | None = None
        self.catalog_identity: tuple[int, int, int] | None = None
        self.catalog_replaced = False
        self.index: Any = None
        self.index_generation = 0
        self.index_seconds: float | None = None
        self.search_problem: str | None = None
        self.kind_filter: str | None = None
        self.likely_filter = False  # only verified and author-tier triggers (ctrl+l)
        self.verified_filter = False  # only verified triggers (ctrl+l a second time)
        self.copyright_scope: CopyrightScope | None = None  # listing a copyright's characters
        self.catalog_sources: CatalogSources | None = None  # what the open catalog lacks
        self.author_tables: AuthorTables | None = None  # the open catalog's (ctrl+n reads implications)
        self.sources_banner_hidden = False  # escape / `d` hid it until the next catalog (re)load
        self.sources_generation = 0  # the catalog generation whose sources were compared
        self.detail_shown: EntryDetail | None = None  # the detail pane's entry, for its keys
        self.detail_shown_key: str | None = None
        self.last_search_ms: float | None = None
        self.results_query: str | None = None  # the query whose results the table shows
        self.results_total: int | None = None  # entries in the whole list shown (None: not counted)
        self.results_filter: SearchFilter | None = None  # the filters the rows shown answer
        self.showing_favourites = False  # the results are the favourites (an empty search box)
        self.query_before_scope = ""  # the search box before a copyright's listing replaced it
        self.detail_timer: Timer | None = None
        self.typed_at: dict[str, float] = {}
        self.status_text = ""  # query -> when it was typed
        self.search_latencies_ms: list[float] = []
        self.detail_latencies_ms: list[float] = []  # keystroke → the first result's detail painted
        self.detail_wait: tuple[str, float] | None = None  # (row key, typed at) of that detail
        self.highlight_latencies_ms: list[float] = []  # a highlight → its detail painted
        self.highlight_wait: tuple[str, float] | None = None
        self.detail_cache_hits = [0, 0]  # highlights whose detail was not / was cached (bench/tui.py)
        self.detail_cache = DetailCache()
        self.detail_reader: DetailReader | None = None  # fast: the open catalog's (tui/state/detail_cache.py)
        self.details_with_results = 0  # fast: results whose first row's detail their handler showed
        self.detail_coming: str | None = None  # the first row's detail, read by the search worker
        self.builder = BuilderState()
        # Undo / redo of every builder edit (kb.workbench.history): refresh_builder records the builder as
        # it was before each change (`builder_before`), labelled by `pending_change` when an action names it.
        self.history: History[BuilderState] = History()
        self.builder_before: BuilderState | None = None
        self.pending_change: str | None = None
        self.rendered: RenderedPrompt | None = None
        self.render_generation = 0
        self.user_data = UserData(state_dir() / "explorer.json")
        self.preview_running = False
        self.detail_delay = detail_delay  # 0 in tests: load the detail at once
        self.show_timings = show_timings  # off for snapshot tests, where times vary
        self.preview_model = preview_model  # None: $AIDXL_MODEL or the config file decides
        self.loaded_models: dict[str, Any] = {}
        self.last_preview: PreviewFinished | None = None
        self.preview_steps_seen: list[tuple[int, int]] = []
        self.sheet_running = False
        self.last_sheet: SheetFinished | None = None
        self.sheet_cells_seen: list[tuple[int, int]] = []
        self.started_at = time.perf_counter()
        # Catalog and search index load while Textual starts (see tui/state/prefetch.py).
        self.prefetch: CatalogPrefetch | None = prefetch or CatalogPrefetch(catalog_path)
        self.ready_at: float | None = None

    # ----------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        yield Static(id="topbar")
        with ContentSwitcher(initial="search-view", id="views"):
            with Vertical(id="search-view"):
                with Horizontal(id="search-row"):
                    yield Static("", id="scope-chip")
                    yield SearchInput(placeholder=SEARCH_PLACEHOLDER, id="search")
                yield KindChips(id="chips")
                yield SourcesBanner(id="sources-banner")
                with Horizontal(id="search-body"):
                    yield ResultsTable(id="results")
                    yield DetailPane(id="detail")
            yield BuilderPane(id="builder-view")
        with Horizontal(id="statusbar"):
            yield Static(id="status")
            yield ProgressBar(id="preview-progress", show_eta=False)
        yield Footer()

    def on_mount(self) -> None:
        self.theme = DARK_THEME
        self.builder.negative = prompt_actions.default_negative()
        try:
            self.user_data = load_user_data(self.user_data_path)
        except UserDataError as error:
            self.notify(f"{error}; starting with empty history", severity="warning", timeout=8)
        self.ui("#preview-progress", ProgressBar).display = False
        self.ui("#scope-chip", Static).display = False
        self.ui(SourcesBanner).display = False
        self.update_topbar()
        self.refresh_builder()
        if not self.open_current_catalog():
            return
        self.ui("#search", Input).focus()
        if self.watch_catalog:
            self.set_interval(CATALOG_POLL_SECONDS, self.check_catalog_file)

    def open_current_catalog(self) -> bool:
        prefetch, self.prefetch = self.prefetch, None
        try:
            if prefetch is not None:
                self.connection = prefetch.connection.result()
            else:
                self.connection = open_catalog(self.catalog_path)
        except CatalogError as error:
            self.push_screen(MissingCatalogScreen(str(error), prompt_actions.ingest_command_line()))
            return False
        self.catalog_identity = file_identity(self.catalog_path)
        self.catalog_replaced = False
        self.index_generation += 1
        self.detail_cache.reset(self.index_generation)
        self.detail_reader = DetailReader(self.connection, self.index_generation)  # fast
        self.author_tables = None
        if prefetch is not None:
            self.prefetched_index_worker(self.index_generation, prefetch)
        else:
            self.load_index_worker(self.index_generation, self.connection.cursor(), self.catalog_path)
        self.sources_banner_hidden = False
        self.update_status()
        return True

    # ------------------------------------------------------------- helpers

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

    def ui(self, selector: Any, expect_type: Any = None) -> Any:
        """A widget of the explorer's own screen, whatever dialog is on top of it."""
        main_screen = self.screen_stack[0] if self.screen_stack else self.screen
        if expect_type is None:
            return main_screen.query_one(selector)
        return main_screen.query_one(selector, expect_type)

    @property
    def dark(self) -> bool:
        return self.current_theme.dark

    @property
    def in_builder(self) -> bool:
        return bool(self.ui("#views", ContentSwitcher).current == "builder-view")

    def update_topbar(self) -> None:
        view = "builder" if self.in_builder else "search"
        tabs = " ".join(
            f"[reverse] {name} [/]" if name == view else f" {name} " for name in ("search", "builder")
        )
        self.ui("#topbar", Static).update(
            f"[b]aidxl[/b] {tabs} [dim]ctrl+b switch · F1 help · ctrl+p commands[/dim]"
        )

    def update_status(self, extra: str = "") -> None:
        """The status line of the view shown: the search's results, or the builder's prompt."""
        parts = self.builder_status_parts() if self.in_builder else self.search_status_parts()
        # Plain text (errors and names carry brackets, never markup); the rebuilt notice is styled.
        texts = [Text(part) for part in parts]
        if self.catalog_replaced:
            texts.append(Text("catalog rebuilt: ctrl+r reloads", style="bold yellow"))
        if extra:
            texts.append(Text(extra))
        status = Text(" · ").join(texts)
        status_text = status.plain
        if status_text != self.status_text:
            self.status_text = status_text
            # One line of fixed height: no layout pass needed (it costs a whole-screen reflow).
            self.ui("#status", Static).update(status, layout=False)

    def search_status_parts(self) -> list[str]:
        parts: list[str] = []
        if self.search_problem:
            parts.append(self.search_problem)
        elif self.index is None:
            parts.append("loading search index…")
        else:
            table = self.ui(ResultsTable)
            rows = table.rows_shown
            counts = tier_counts(rows)
            shown = results_summary(
                len(rows),
                self.results_total,
                more=table.more_available,
                favourites=self.showing_favourites,
                listing=not (self.results_query or "").strip(),  # the query the rows answer
                scope=self.copyright_scope,
            )
            if rows:
                shown += f" ({VERIFIED_MARK}{counts['verified']} {AUTHOR_MARK}{counts['author']})"
            parts.append(shown)
            if self.last_search_ms is not None and self.show_timings:
                parts.append(f"{self.last_search_ms:.1f} ms")
        label = next(label for label, _, kind in KIND_FILTERS if kind == self.kind_filter)
        parts.append(f"filter {label}" + tier_filter_suffix(self.search_filter))
        parts.append(f"{len(self.builder.entries)} in prompt")
        return parts

    def builder_status_parts(self) -> list[str]:
        """`4 entries · tokens 17/75 · negative 36/75 · 1 lint finding`."""
        parts = [counted(len(self.builder.entries), "entry", "entries")]
        rendered = self.rendered
        if rendered is not None and rendered.tokens is not None:
            parts.append(f"tokens {rendered.tokens.label}")
        if rendered is not None and rendered.negative_tokens is not None:
            parts.append(f"negative {rendered.negative_tokens.label}")
        if rendered is not None and rendered.linted:
            parts.append(counted(len(rendered.findings), "lint finding"))
        return parts

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.PRIORITY_ACTIONS and self.screen_stack and self.screen is not self.screen_stack[0]:
            return False  # a dialog is open: its own keys (and text boxes) come first
        if action == "tab_focus":  # else tab moves the focus as usual (the builder's lists)
            return self.tab_focus_target() is not None
        if action in self.BUILDER_ONLY_ACTIONS and not self.builder_has_focus():
            return False  # single letters: commands only where the builder has the keys
        if action in self.SEARCH_ONLY_ACTIONS and self.in_builder:
            return False
        if action == "copy" and parameters != ("positive",) and not self.in_builder:
            return False
        return not (action == "results_cursor" and self.in_builder)

    # -------------------------------------------------------------- search

    @work(thread=True, exclusive=True, group="index", exit_on_error=False)
    def load_index_worker(
        self, generation: int, connection: duckdb.DuckDBPyConnection, catalog_path: Path
    ) -> None:
        started = time.perf_counter()
        try:
            index = load_index(connection, catalog_path)
        except (FeatureUnavailable, AidxlError) as error:
            self.post_message(SearchUnavailable(str(error)))
            return
        except Exception as error:  # a broken index must not take the explorer down
            self.post_message(SearchUnavailable(f"search index failed to load: {error}"))
            return
        finally:
            connection.close()  # this worker's own cursor
        self.post_message(SearchIndexReady(generation, index, time.perf_counter() - started))

    @work(thread=True, exclusive=True, group="index", exit_on_error=False)
    def prefetched_index_worker(self, generation: int, prefetch: CatalogPrefetch) -> None:
        try:
            index, seconds = prefetch.index.result()
        except (FeatureUnavailable, AidxlError) as error:
            self.post_message(SearchUnavailable(str(error)))
            return
        except Exception as error:  # a broken index must not take the explorer down
            self.post_message(SearchUnavailable(f"search index failed to load: {error}"))
            return
        self.post_message(SearchIndexReady(generation, index, seconds))

    @on(SearchIndexReady)
    def index_ready(self, message: SearchIndexReady) -> None:
        if self.shutting_down:
            return
        if message.generation != self.index_generation:
            return  # the index of a catalog that was reloaded since
        self.index = message.index
        self.index_seconds = message.seconds
        self.search_problem = None
        self.ready_at = time.perf_counter()
        self.start_search()
        self.check_sources_once()
        if self.detail_reader is not None:  # fast: the catalog's parts read once the search is ready
            self.warm_details_worker(self.detail_reader)

    @work(thread=True, group="warm-details", exit_on_error=False)
    def warm_details_worker(self, reader: DetailReader) -> None:
        """fast: read the catalog's parts that details ask about (tui/state/detail_cache.py)."""
        with contextlib.suppress(Exception):  # a read error shows with the first detail instead
            reader.warm()
        with contextlib.suppress(Exception):  # the app may have closed meanwhile
            self.call_from_thread(self.freeze_long_lived)

    def freeze_long_lived(self) -> None:
        """fast: what start-up built (modules, widgets, the index, the lookup) lives as long as the
        app: kept out of the cyclic collector's full passes, which otherwise scan it all and stall a
        frame by 50-150 ms a few times a minute of typing (bench/tui.py counts them). Thawed when
        the app closes, so that a process running many apps (the tests) collects each one's cycles."""
        if self.is_running and not self.shutting_down:
            gc.freeze()

    def on_unmount(self) -> None:
        gc.unfreeze()  # fast: see freeze_long_lived

    @on(SearchUnavailable)
    def search_unavailable(self, message: SearchUnavailable) -> None:
        if self.shutting_down:
            return
        self.search_problem = message.reason
        self.update_status()
        self.ui(DetailPane).show(None, dark=self.dark, message=message.reason)
        self.check_sources_once()

    def check_sources_once(self) -> None:
        """Compare the open catalog with the registry, once per catalog (re)load: after its index
        is ready (or known broken), so that start-up to a working search box waits for nothing more."""
        if self.connection is None or self.sources_generation == self.index_generation:
            return
        self.sources_generation = self.index_generation
        self.sources_worker(self.index_generation, self.connection)

    @on(Input.Changed, "#search")
    def search_changed(self, event: Input.Changed) -> None:
        self.typed_at[event.value] = time.perf_counter()
        self.workers.cancel_group(self, "detail")  # the rows it reads ahead are about to go
        self.start_search()

    @property
    def search_filter(self) -> SearchFilter:
        scope = self.copyright_scope
        return SearchFilter(
            self.kind_filter,
            self.likely_filter,
            scope.tag if scope is not None else None,
            verified=self.verified_filter,
        )

    def start_search(self, offset: int = 0) -> None:
        """The list for the search box and the filters: a query's hits, else a copyright's
        characters, a kind's or tier's entries, or the favourites; `offset` > 0: its next page."""
        if self.index is None:
            return
        query = self.ui("#search", Input).value
        search_filter = self.search_filter
        unfiltered = search_filter.kind is None and search_filter.tiers is None and not self.copyright_scope
        if not query.strip() and unfiltered:
            if offset == 0:
                self.show_favourites()
            return
        scope, generation = self.copyright_scope, self.index_generation
        self.list_worker(self.index, self.connection, query, search_filter, scope, offset, generation)

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def list_worker(
        self,
        index: Any,
        connection: duckdb.DuckDBPyConnection | None,
        query: str,
        search_filter: SearchFilter,
        scope: CopyrightScope | None,
        offset: int,
        generation: int,
    ) -> None:
        started = time.perf_counter()
        try:
            page = list_page(index, connection, query, search_filter, scope, offset)
        except Exception as error:  # report, never crash the explorer on a search bug
            what = f"search failed for {query!r}" if query.strip() else "listing failed"
            self.post_message(SearchUnavailable(f"{what}: {error}"))
            return
        if get_current_worker().is_cancelled:
            return
        elapsed_ms = (time.perf_counter() - started) * 1000
        # The first row's detail is read right here (unless cached): one worker and one message
        # fewer between a keystroke and its detail (bench/tui.py measures both).
        # (Not with a detail delay: the detail then waits for the highlight to settle.)
        reader = self.detail_reader
        reads_first = page.rows and not offset and reader is not None and self.detail_delay <= 0
        first = page.rows[0] if reads_first else None
        # fast: once the catalog's parts are read, the first rows' details go with the results, so
        # both are painted in one frame (tui/state/detail_cache.py); before, the detail follows.
        details = {}
        if first is not None and reader is not None and reader.generation == generation:
            try:
                details = read_ahead_of_results(reader, page.rows, self.detail_cache)
            except Exception:  # the detail's own read below reports it
                details = {}
        follows = (
            first.key if first is not None and not details and first.key not in self.detail_cache else None
        )
        self.post_message(
            SearchResults(
                query,
                search_filter,
                page.rows,
                elapsed_ms,
                page.total,
                offset=offset,
                detail_follows=follows,
                details=details,
            )
        )
        if first is not None and follows is not None and reader is not None:
            if get_current_worker().is_cancelled:
                return
            self.post_message(self.read_detail(reader, first))

    @on(ResultsTable.NeedMore, "#results")
    def results_need_more(self, message: ResultsTable.NeedMore) -> None:
        """The cursor nears the end of a list that has more: its next page."""
        if self.results_query == self.ui("#search", Input).value and not self.showing_favourites:
            self.start_search(offset=message.shown)

    @on(SearchResults)
    def search_results(self, message: SearchResults) -> None:
        if self.shutting_down:
            return
        if message.query != self.ui("#search", Input).value or message.search_filter != self.search_filter:
            return  # stale: the user typed on or changed a filter
        table = self.ui(ResultsTable)
        if message.offset:
            if message.offset != table.row_count or self.results_query != message.query:
                return  # a page of a list replaced since
            self.results_total = message.total
            table.append_rows(message.hits, more=has_more(table.row_count + len(message.hits), message.total))
            self.update_status()
            return
        self.last_search_ms = None if message.favourites else message.milliseconds
        self.search_problem = None
        self.results_query = message.query
        self.results_filter = message.search_filter
        self.results_total = message.total
        self.showing_favourites = message.favourites
        self.detail_coming = message.detail_follows
        for key, cached in message.details.items():  # fast: read with the results
            self.detail_cache.put(key, cached, cached.generation)
        table.show_rows(message.hits, dark=self.dark, more=has_more(len(message.hits), message.total))
        self.update_status()
        if not message.hits:
            if self.copyright_scope is not None and not message.query.strip():
                hint = empty_copyright_hint(self.copyright_scope, message.search_filter)
            elif not message.query.strip() and not message.favourites:
                hint = empty_browse_hint(message.search_filter, self.catalog_sources)
            else:
                hint = no_results_hint(message.query, message.search_filter, self.catalog_sources)
            self.show_detail_message(hint)
        typed_at = self.typed_at.pop(message.query, None)
        if typed_at is not None:
            first = message.hits[0] if message.hits else None
            self.detail_wait = (first.key, typed_at) if isinstance(first, ResultRow) else None
            # Keystroke → results on screen: measured after the refresh that paints them (bench/tui.py).
            self.call_after_refresh(self.record_latency, typed_at)
        shown_first = table.highlighted_row()
        with_results = message.details.get(shown_first.key) if shown_first is not None else None
        if shown_first is not None and with_results is not None:  # fast: painted with the results
            self.show_detail(shown_first.key, with_results)
            self.details_with_results += 1

    def record_latency(self, typed_at: float) -> None:
        self.search_latencies_ms.append((time.perf_counter() - typed_at) * 1000)
        del self.search_latencies_ms[:-1000]

    def show_favourites(self) -> None:
        """The empty search box: the favourites, with their posts and tiers (read in a worker)."""
        if self.user_data.favourites and self.index is not None:
            self.favourites_worker(self.index, list(self.user_data.favourites), self.search_filter)
            return
        self.ui(ResultsTable).show_rows([], dark=self.dark)
        self.last_search_ms = None
        self.results_query = ""
        self.results_filter = self.search_filter
        self.results_total = None
        self.showing_favourites = False
        self.update_status()
        self.show_detail_message(empty_search_hint(self.catalog_sources))

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def favourites_worker(self, index: Any, keys: list[str], search_filter: SearchFilter) -> None:
        started = time.perf_counter()
        try:
            rows = prompt_actions.favourite_rows(keys, index)
        except Exception as error:  # report, never crash the explorer
            self.post_message(SearchUnavailable(f"favourites failed: {error}"))
            return
        if get_current_worker().is_cancelled:
            return
        elapsed_ms = (time.perf_counter() - started) * 1000
        self.post_message(SearchResults("", search_filter, rows, elapsed_ms, len(rows), favourites=True))

    def show_detail_message(self, message: str) -> None:
        self.detail_shown = self.detail_shown_key = None
        self.ui(DetailPane).show(None, dark=self.dark, message=message)

    def action_kind_filter(self, index: int) -> None:
        self.set_kind_filter(KIND_FILTERS[index][2])

    @on(KindChips.Chosen)
    def chip_chosen(self, message: KindChips.Chosen) -> None:
        self.set_kind_filter(message.kind)

    def set_kind_filter(self, kind: str | None) -> None:
        self.kind_filter = kind
        self.ui(KindChips).mark(kind)
        self.update_status()
        self.start_search()

    @on(KindChips.LikelyToggled)
    def likely_chip_clicked(self) -> None:
        self.action_toggle_likely()

    def action_toggle_likely(self) -> None:
        """ctrl+l steps the tier filter: AIDXL-likely (verified and author-vocabulary triggers), then
        verified only, then every tier again; it combines with the kind filter."""
        self.likely_filter, self.verified_filter = next_tier_filter(self.likely_filter, self.verified_filter)
        self.ui(KindChips).mark(self.kind_filter, self.likely_filter, verified=self.verified_filter)
        self.update_status()
        self.start_search()

    def action_scroll_detail(self, direction: int, page: bool) -> None:
        """shift+pgup / shift+pgdn (a page), alt+↑ / alt+↓ (a few lines): the detail pane, while
        the focus stays in the search box."""
        self.ui(DetailPane).scroll_by_keys(direction, page=page)

    def action_results_cursor(self, rows: int) -> None:
        results = self.ui(ResultsTable)
        if results.row_count:
            results.move_cursor(row=max(0, results.cursor_position + rows))

    # -------------------------------------------------------------- detail

    @on(ResultsTable.RowHighlighted, "#results")
    def result_highlighted(self) -> None:
        self.request_detail()

    def request_detail(self) -> None:
        """Show the highlighted row's detail: at once when it was read ahead (tui/state/detail_cache.py),
        else as soon as the read-ahead worker has it; then read ahead around the cursor."""
        if self.detail_timer is not None:
            self.detail_timer.stop()
            self.detail_timer = None
        row = self.ui(ResultsTable).highlighted_row()
        if row is None or self.connection is None:
            return
        self.highlight_wait = (row.key, time.perf_counter())
        cached = self.detail_cache.get(row.key)
        self.detail_cache_hits[cached is not None] += 1
        if cached is not None:
            self.show_detail(row.key, cached)
            # A preview made since (here, or by `aidxl sheet` elsewhere) is looked up afresh.
            self.thumbnail_worker(row)
        if self.detail_delay <= 0 or cached is not None:
            self.read_ahead()
        else:
            self.detail_timer = self.set_timer(self.detail_delay, self.read_ahead)

    def read_ahead(self) -> None:
        """Read the details of the highlighted row and its neighbours that are not cached yet."""
        self.detail_timer = None
        if self.shutting_down or self.connection is None:
            return
        table = self.ui(ResultsTable)
        rows = table.rows_shown
        wanted = [
            rows[position]
            for position in prefetch_order(len(rows), table.cursor_row)
            if rows[position].key not in self.detail_cache and rows[position].key != self.detail_coming
        ]
        if wanted and self.detail_reader is not None:
            self.detail_worker(self.detail_reader, wanted)

    @work(thread=True, exclusive=True, group="detail", exit_on_error=False)
    def detail_worker(self, reader: DetailReader, rows: list[ResultRow]) -> None:
        """Details of `rows`, best first, each posted as soon as it is read; a newer highlight
        cancels the rest."""
        worker = get_current_worker()
        reader.previews.refresh()  # fast: a preview made since shows
        for row in rows:
            if worker.is_cancelled:
                return
            self.post_message(self.read_detail(reader, row))

    @staticmethod
    def read_detail(reader: DetailReader, row: ResultRow) -> DetailLoaded:
        """A row's detail as the message that shows it (a worker's call). A character's ctrl+n /
        ctrl+o need the author's tables: read with its detail, so that the keys act at once."""
        try:
            cached = reader.read(row)
        except Exception as error:  # a read error shows in the pane, never as a traceback
            return DetailLoaded(row.key, None, f"catalog read failed: {error}")
        return DetailLoaded(
            row.key,
            cached.detail,
            thumbnail=cached.thumbnail,
            generation=reader.generation,
            tables=cached.tables,
        )

    @work(thread=True, exclusive=True, group="thumbnail", exit_on_error=False)
    def thumbnail_worker(self, row: ResultRow) -> None:
        reader = self.detail_reader
        try:
            if reader is None:
                thumbnail = prompt_actions.cached_thumbnail(row.prompt)
            else:  # fast: the previews folder is read again only when it changed
                reader.previews.refresh()
                thumbnail = reader.previews.thumbnail(row.prompt)
        except OSError:
            return
        self.post_message(DetailLoaded(row.key, None, thumbnail=thumbnail, thumbnail_only=True))

    @on(DetailLoaded)
    def detail_loaded(self, message: DetailLoaded) -> None:
        if self.shutting_down:
            return
        if message.thumbnail_only:
            self.thumbnail_found(message.key, message.thumbnail)
            return
        if message.tables is not None and message.generation == self.index_generation:
            self.author_tables = message.tables
        if message.key == self.detail_coming:
            self.detail_coming = None
        cached = None
        if message.detail is not None:
            cached = CachedDetail(message.detail, message.thumbnail, message.tables)
            self.detail_cache.put(message.key, cached, message.generation)
        row = self.ui(ResultsTable).highlighted_row()
        if row is None or row.key != message.key:
            return
        if cached is None:
            self.detail_shown, self.detail_shown_key = None, message.key
            self.ui(DetailPane).show(None, dark=self.dark, message=message.error or "")
            return
        self.show_detail(message.key, cached)

    def thumbnail_found(self, key: str, thumbnail: Path | None) -> None:
        """The cached preview of a row shown from the detail cache: shown (and kept) when new."""
        cached = self.detail_cache.get(key)
        if cached is None or cached.thumbnail == thumbnail:
            return
        self.detail_cache.put(key, replace(cached, thumbnail=thumbnail), self.detail_cache.generation)
        row = self.ui(ResultsTable).highlighted_row()
        if thumbnail is not None and row is not None and row.key == key:
            self.ui(DetailPane).show_preview(thumbnail)

    def show_detail(self, key: str, cached: CachedDetail) -> None:
        """The detail pane shows `cached` (the highlighted row's); kept as it is when it already does."""
        if self.detail_shown_key == key and self.detail_shown is cached.detail:
            self.note_detail_painted(key)
            return
        self.detail_shown, self.detail_shown_key = cached.detail, key
        pane = self.ui(DetailPane)
        pane.show(cached.detail, dark=self.dark)
        if cached.thumbnail is not None:
            pane.show_preview(cached.thumbnail)
        self.note_detail_painted(key)

    def note_detail_painted(self, key: str) -> None:
        """Keystroke → detail painted (bench/tui.py): when the first row of a typed query's
        results is the one shown, measured after the refresh that paints it."""
        waiting = self.detail_wait
        if waiting is not None and waiting[0] == key:
            self.detail_wait = None
            self.call_after_refresh(self.record_detail_latency, waiting[1])
        highlighted = self.highlight_wait
        if highlighted is not None and highlighted[0] == key:
            self.highlight_wait = None
            self.call_after_refresh(self.record_highlight_latency, highlighted[1])

    def record_highlight_latency(self, highlighted_at: float) -> None:
        """Highlight (a cursor move, new results) → its detail painted (bench/tui.py)."""
        self.highlight_latencies_ms.append((time.perf_counter() - highlighted_at) * 1000)
        del self.highlight_latencies_ms[:-1000]

    def record_detail_latency(self, typed_at: float) -> None:
        self.detail_latencies_ms.append((time.perf_counter() - typed_at) * 1000)
        del self.detail_latencies_ms[:-1000]

    # -------------------------------------------------------------- forms

    def highlighted_forms(self) -> tuple[SyntaxForm, ...]:
        """The forms in the detail pane when they are the highlighted row's (else still loading)."""
        row = self.ui(ResultsTable).highlighted_row()
        if row is None or self.shown_detail_of(row) is None:
            return ()
        return tuple(self.ui(DetailPane).forms())

    def action_copy_form(self, label: str) -> None:
        """alt+a / alt+p / alt+s / alt+o: copy the highlighted result's A1111, plain, sentence or
        `1 `-prefixed form."""
        forms = {form.label: form for form in self.highlighted_forms()}
        if not forms:
            self.notify("no result's forms shown yet", severity="warning", timeout=2)
        elif label not in forms:
            self.notify(f"no {label} form: the sentence and the 1 prefix are a character's", timeout=3)
        else:
            self.use_form(forms[label], "copy")

    @on(DetailPane.FormChosen)
    def form_chosen(self, message: DetailPane.FormChosen) -> None:
        self.use_form(message.form, message.use)

    def use_form(self, form: SyntaxForm, use: str) -> None:
        """Copy a form to the clipboard (OSC 52 and the file), or insert it into the builder."""
        row = self.ui(ResultsTable).highlighted_row()
        if use == "insert":
            if row is not None:
                self.add_to_builder(escape_a1111(unescape_a1111(form.text)), row.kind, row.tag, form.label)
            return
        self.copy_to_clipboard(form.text)
        try:
            where = f"; also in {prompt_actions.write_clipboard_fallback(form.text)}"
        except OSError as error:
            where = f"; file fallback failed: {error}"
        self.notify(f"copied the {form.label} form: {form.text}{where}", timeout=4)

    def action_toggle_sentence_noun(self) -> None:
        """alt+g (g in the forms): the sentence's noun, girl ↔ boy, for the character shown."""
        noun = self.ui(DetailPane).toggle_noun()
        if noun is None:
            self.notify("the sentence form is a character's (highlight one)", severity="warning", timeout=3)
        else:
            self.notify(f"sentence: a {noun} named …", timeout=2)

    def action_focus_forms(self) -> None:
        """tab in the search box: the detail pane's forms take the keys (tab or escape go back)."""
        if self.highlighted_forms():
            self.screen_stack[0].set_focus(self.ui(DetailPane))

    def tab_focus_target(self) -> str | None:
        """Where tab goes from the search box (the forms, when shown) and from the forms (back)."""
        focused = self.screen_stack[0].focused if self.screen_stack else None
        if isinstance(focused, DetailPane):
            return "search"
        if isinstance(focused, SearchInput) and not self.in_builder and self.highlighted_forms():
            return "forms"
        return None

    def action_tab_focus(self) -> None:
        if self.tab_focus_target() == "forms":
            self.action_focus_forms()
        else:
            self.action_leave_forms()

    def action_leave_forms(self) -> None:
        """escape or tab in the forms: back to the search box."""
        self.screen_stack[0].set_focus(self.ui("#search", Input))

    def shown_detail_of(self, row: ResultRow) -> EntryDetail | None:
        """The detail pane's entry when it is the highlighted row's (else it is still loading)."""
        return self.detail_shown if self.detail_shown_key == row.key else None

    # -------------------------------------------- a character's features

    def action_add_features(self, part: FeaturePart) -> None:
        """ctrl+n / ctrl+o: the highlighted character's appearance / outfit into the builder."""
        row = self.ui(ResultsTable).highlighted_row()
        if row is None or row.kind != "character" or self.connection is None:
            self.notify("highlight a character first (F7 lists characters)", severity="warning", timeout=3)
            return
        detail = self.shown_detail_of(row)
        if detail is not None and detail.character is not None and self.author_tables is not None:
            self.add_features(row.prompt, row.kind, row.tag, part, detail.character, self.author_tables)
        else:
            known = detail.character if detail is not None else None
            self.character_info_worker(self.index_generation, self.connection, row, part, known)

    @work(thread=True, exclusive=True, group="features", exit_on_error=False)
    def character_info_worker(
        self,
        generation: int,
        connection: duckdb.DuckDBPyConnection,
        row: ResultRow,
        part: FeaturePart,
        known: CharacterInfo | None,
    ) -> None:
        """The character's info (unless the detail pane has it) and the author's implications, which
        decide the features that another feature or a tag of the prompt makes redundant (kept for
        the next ctrl+n / ctrl+o: read on first use, nothing at start-up)."""
        from kb.knowledge.character_info import character_info

        cursor = connection.cursor()
        try:
            info = known or character_info(cursor, row.tag or to_canonical(unescape_a1111(row.prompt)))
            tables = author_tables_of_catalog(cursor)
        except Exception as error:  # one line for the user, never a traceback
            self.call_from_thread(self.notify, f"catalog read failed: {error}", severity="error")
            return
        finally:
            cursor.close()
        self.post_message(CharacterInfoLoaded(generation, row.prompt, row.kind, row.tag, part, info, tables))

    @on(CharacterInfoLoaded)
    def character_info_loaded(self, message: CharacterInfoLoaded) -> None:
        if self.shutting_down or message.generation != self.index_generation:
            return  # closing, or read from a catalog reloaded since
        self.author_tables = message.tables
        if message.info is None:
            self.notify(f"{message.prompt} is not a character of this catalog", severity="warning")
            return
        self.add_features(
            message.prompt, message.kind, message.tag, message.part, message.info, message.tables
        )

    def add_features(
        self,
        prompt: str,
        kind: str,
        tag: str | None,
        part: FeaturePart,
        info: CharacterInfo,
        tables: AuthorTables | None,
    ) -> None:
        reason = no_features_reason(info, part)
        if reason is not None:
            self.notify(reason, severity="warning", timeout=6)
            return
        character_entry = BuilderEntry(unescape_a1111(prompt), kind, 1.0, tag)
        added = add_character_features(self.builder, info, part, character_entry, tables)
        self.refresh_builder(cursor=added.cursor)
        self.notify(added.message, timeout=4)

    # -------------------------------------------- a copyright's characters

    def action_copyright_characters(self) -> None:
        """ctrl+s: list the highlighted copyright's characters (a character's: its series')."""
        self.open_copyright_of(self.ui(ResultsTable).highlighted_row())

    def open_copyright_of(self, row: ResultRow | None) -> None:
        """List the characters of `row`'s copyright (a copyright's own, a character's series)."""
        if row is None or row.kind not in ("copyright", "character") or self.connection is None:
            self.notify("highlight a copyright or character first (F8 lists copyrights)", severity="warning")
            return
        detail = self.shown_detail_of(row)
        copyright_tag = detail.copyright_tag if detail is not None else None
        if detail is not None and copyright_tag is None:
            self.notify(f"{row.prompt}: no characters of this copyright in the catalog", severity="warning")
            return
        self.copyright_worker(self.connection, row, copyright_tag)

    @work(thread=True, exclusive=True, group="copyright", exit_on_error=False)
    def copyright_worker(
        self, connection: duckdb.DuckDBPyConnection, row: ResultRow, copyright_tag: str | None
    ) -> None:
        try:
            tag = copyright_tag or copyright_of_row(connection, row)
            if tag is None:
                self.post_message(CopyrightListed(None, f"{row.prompt}: no copyright known"))
                return
            scope = load_copyright_scope(connection, tag)
        except Exception as error:  # one line for the user, never a traceback
            self.post_message(CopyrightListed(None, f"copyright listing failed: {error}"))
            return
        self.post_message(CopyrightListed(scope))

    @on(CopyrightListed)
    def copyright_listed(self, message: CopyrightListed) -> None:
        if self.shutting_down:
            return
        if message.scope is None:
            self.notify(message.error or "no copyright", severity="warning", timeout=5)
            return
        self.enter_copyright_scope(message.scope)

    def enter_copyright_scope(self, scope: CopyrightScope) -> None:
        if self.copyright_scope is None:
            self.query_before_scope = self.ui("#search", Input).value
        self.copyright_scope = scope
        chip = self.ui("#scope-chip", Static)
        chip.update(
            Text.assemble(
                (f" copyright: {scope.label} ", "bold"),
                ("✕", Style(bold=True, meta={"@click": "app.leave_copyright"})),
                " ",
            )
        )
        chip.display = True
        search = self.ui("#search", Input)
        search.placeholder = f"search {scope.label}'s characters… (escape leaves)"
        self.show_search()
        if search.value:
            search.value = ""  # Input.Changed starts the listing
        else:
            self.start_search()

    def action_leave_copyright(self) -> None:
        """Back to the whole catalog (escape, ctrl+u on an empty box, the chip's ✕)."""
        if self.copyright_scope is None:
            return
        self.copyright_scope = None
        self.ui("#scope-chip", Static).display = False
        search = self.ui("#search", Input)
        search.placeholder = SEARCH_PLACEHOLDER
        previous, self.query_before_scope = self.query_before_scope, ""
        if search.value != previous:
            search.value = previous  # Input.Changed searches it again
            search.cursor_position = len(previous)
        else:
            self.start_search()

    @on(SearchInput.ClearedEmpty)
    def search_cleared_empty(self) -> None:
        self.action_leave_copyright()

    # -------------------------------------------------- missing sources

    @work(thread=True, exclusive=True, group="sources", exit_on_error=False)
    def sources_worker(self, generation: int, connection: duckdb.DuckDBPyConnection) -> None:
        try:
            sources = check_sources(connection)
        except Exception as error:  # the banner is a help, never a reason to fail
            self.call_from_thread(self.notify, f"could not compare the catalog's sources: {error}")
            return
        self.post_message(SourcesChecked(generation, sources))

    @on(SourcesChecked)
    def sources_checked(self, message: SourcesChecked) -> None:
        if self.shutting_down:
            return
        if message.generation != self.index_generation:
            return  # a catalog reloaded since
        self.catalog_sources = message.sources
        self.ui(SourcesBanner).show_sources(None if self.sources_banner_hidden else message.sources)
        searching = self.ui("#search", Input).value.strip() or self.copyright_scope is not None
        if not searching and not self.ui(ResultsTable).rows_shown:
            self.show_detail_message(empty_search_hint(message.sources))

    @on(SourcesBanner.Clicked)
    def action_missing_sources(self) -> None:
        """F12 / a click on the banner: each missing source and the command that adds it."""
        from tui.screens.missing_sources import MissingSourcesScreen  # first use only

        if self.catalog_sources is None or isinstance(self.screen, MissingSourcesScreen):
            return

        def closed(hide: bool | None) -> None:
            if hide:
                self.action_hide_sources_banner()

        self.push_screen(MissingSourcesScreen(self.catalog_sources), closed)

    def action_hide_sources_banner(self) -> None:
        self.sources_banner_hidden = True
        self.ui(SourcesBanner).show_sources(None)

    def action_escape(self) -> None:
        """Escape closes the newest thing: a running preview or sheet, a copyright listing, the banner."""
        if self.preview_running or self.sheet_running:
            self.action_cancel_preview()
        elif self.copyright_scope is not None:
            self.action_leave_copyright()
        elif self.ui(SourcesBanner).display:
            self.action_hide_sources_banner()

    # ------------------------------------------------------------- builder

    @on(Input.Submitted, "#search")
    def search_submitted(self, event: Input.Submitted) -> None:
        """Enter in the search box: act on the first result of the text as it was when Enter was
        pressed (keys typed after it may already be in the box: they are kept)."""
        query = event.value
        search = self.ui("#search", Input)
        row = self.ui(ResultsTable).highlighted_row()
        stale = self.results_query != query or self.results_filter != self.search_filter
        search_filter = self.search_filter
        listed = search_filter.kind is not None or search_filter.tiers is not None or self.copyright_scope
        if stale and (query.strip() or listed) and self.index is not None:
            # Enter came before the results of the text typed: search it now (a few ms), so
            # Enter acts on what was typed, never on the row an older query left highlighted.
            found = self.search_now(query)
            if search.value == query:
                self.workers.cancel_group(self, "search")
                self.search_results(found)
            row = found.hits[0] if found.hits else None
        self.act_on_row(row, clear=search.value == query)

    @on(ResultsTable.RowSelected, "#results")
    def result_selected(self) -> None:
        search = self.ui("#search", Input)
        self.act_on_row(self.ui(ResultsTable).highlighted_row(), clear=search.value == self.results_query)

    def act_on_row(self, row: ResultRow | None, *, clear: bool) -> None:
        """Enter's action: add the row to the prompt, or open a copyright's characters; then clear
        the search box for the next search (unless `keep_search`, or typing went on)."""
        if row is None:
            return
        if row.kind == "copyright":
            self.open_copyright_of(row)  # a copyright is opened; its forms insert it (detail pane)
            return
        self.add_to_builder(row.prompt, row.kind, row.tag)
        search = self.ui("#search", Input)
        if clear and not self.keep_search and search.value:
            search.value = ""  # Input.Changed lists what an empty box shows

    def search_now(self, query: str) -> SearchResults:
        """The first page for `query`, searched on the spot (Enter's fallback for stale results)."""
        search_filter = self.search_filter
        page = list_page(self.index, self.connection, query, search_filter, self.copyright_scope)
        return SearchResults(query, search_filter, page.rows, 0.0, page.total)

    def add_to_builder(self, prompt: str, kind: str, tag: str | None, form: str = "") -> None:
        """One entry into the builder: `prompt` in A1111 form (entries hold it unescaped)."""
        entry = BuilderEntry(unescape_a1111(prompt), kind, 1.0, tag)
        index = self.builder.add(entry)
        self.refresh_builder(cursor=index)
        as_form = f" ({form} form)" if form else ""
        self.notify(f"added {prompt}{as_form} ({len(self.builder.entries)} in prompt)", timeout=2)

    def action_toggle_keep_search(self) -> None:
        self.keep_search = not self.keep_search
        kept = "kept" if self.keep_search else "cleared"
        self.notify(f"the search box is now {kept} after Enter adds a result", timeout=3)

    def refresh_builder(self, cursor: int | None = None) -> None:
        if self.builder_before is not None and self.builder != self.builder_before:
            self.history.record(self.pending_change or "edit", self.builder_before)
        self.builder_before, self.pending_change = self.builder.snapshot(), None
        self.ui(BuilderPane).show_state(self.builder, dark=self.dark, cursor=cursor)
        self.render_generation += 1
        self.render_worker(self.render_generation, self.builder.snapshot(), self.connection, self.index)
        if self.is_running:
            self.update_status()

    @work(thread=True, exclusive=True, group="render", exit_on_error=False)
    def render_worker(
        self,
        generation: int,
        state: BuilderState,
        connection: duckdb.DuckDBPyConnection | None,
        index: Any,
    ) -> None:
        cursor = connection.cursor() if connection is not None else None
        try:
            context = prompt_actions.catalog_context(cursor, index)
            rendered = render_builder(state, context)
            try:
                fixes = prompt_actions.lint_fixes_of_unknown_entries(state, rendered)
            except AidxlError:
                fixes = ()
            self.post_message(PromptRendered(generation, replace(rendered, entry_fixes=fixes)))
        finally:
            if cursor is not None:
                cursor.close()

    @on(PromptRendered)
    def prompt_rendered(self, message: PromptRendered) -> None:
        if self.shutting_down:
            return
        if message.generation != self.render_generation:
            return
        self.rendered = message.rendered
        self.ui(BuilderPane).show_rendered(message.rendered)
        if self.in_builder:
            self.update_status()  # its tokens and findings

    def selected_entry(self) -> int | None:
        index = self.ui(BuilderPane).selected_entry_index()
        return index if index is not None and index < len(self.builder.entries) else None

    def remember_builder(self, change: str) -> None:
        """Name the next builder change (a paste, a load, a removal) for undo's and redo's messages;
        every change is undoable, named or not (refresh_builder records it)."""
        if self.builder_before is None:
            self.builder_before = self.builder.snapshot()
        self.pending_change = change

    def action_builder_undo(self) -> None:
        self.step_history(undo=True)

    def action_builder_redo(self) -> None:
        self.step_history(undo=False)

    def step_history(self, *, undo: bool) -> None:
        step = (
            self.history.undo(self.builder.snapshot()) if undo else self.history.redo(self.builder.snapshot())
        )
        if step is None:
            keys = "ctrl+z undoes builder edits" if undo else "Z or ctrl+shift+z redoes what ctrl+z undid"
            self.notify(f"nothing to {'undo' if undo else 'redo'} ({keys})", timeout=3)
            return
        change, state = step
        self.builder = state
        self.builder_before = state.snapshot()  # showing it is not a new edit
        self.refresh_builder(cursor=0)
        verb = "undid" if undo else "redid"
        self.notify(f"{verb} the {change} ({counted(len(state.entries), 'entry', 'entries')})", timeout=3)

    def action_builder_edit_entry(self) -> None:
        """Edit the highlighted entry's text (as prompt text: brackets and weights are read like a paste)."""
        index = self.selected_entry()
        if index is None:
            return
        entry = self.builder.entries[index]

        def apply(answer: str | None) -> None:
            if answer is None or index >= len(self.builder.entries):
                return
            cursor = self.connection.cursor() if self.connection is not None else None
            try:
                entries = prompt_entries(answer, context=prompt_actions.catalog_context(cursor, self.index))
            finally:
                if cursor is not None:
                    cursor.close()
            self.remember_builder(f"edit of {entry.text}")
            self.builder.replace_entries(index, entries)
            self.refresh_builder(cursor=index)

        self.push_screen(TextEntryScreen(f"edit {entry.text} (prompt syntax)", entry.prompt_text()), apply)

    def action_builder_remove(self) -> None:
        index = self.selected_entry()
        if index is not None:
            self.remember_builder(f"removal of {self.builder.entries[index].text}")
            removed = self.builder.remove(index)
            self.refresh_builder(cursor=index)
            self.notify(f"removed {removed.text} (ctrl+z brings it back)", timeout=2)

    def action_builder_move(self, offset: int) -> None:
        index = self.selected_entry()
        if index is not None:
            self.refresh_builder(cursor=self.builder.move(index, offset))

    def action_builder_weight(self, steps: int) -> None:
        index = self.selected_entry()
        if index is not None and not self.refuse_weight_of_syntax(index):
            self.builder.nudge_weight(index, steps)
            self.refresh_builder(cursor=index)

    def refuse_weight_of_syntax(self, index: int) -> bool:
        """Syntax kept as written (editing, alternation, an extra network, an open bracket) has no
        weight of its own: say how to change it instead."""
        entry = self.builder.entries[index]
        if entry.is_syntax:
            self.notify(f"{entry.text} is prompt syntax kept as written: i edits its text", timeout=4)
        return entry.is_syntax

    def action_builder_type_weight(self) -> None:
        index = self.selected_entry()
        if index is None or self.refuse_weight_of_syntax(index):
            return
        entry = self.builder.entries[index]

        def apply(answer: str | None) -> None:
            if answer is None:
                return
            try:
                weight = float(answer)
            except ValueError:
                self.notify(f"weight {answer!r} is not a number", severity="error")
                return
            self.builder.set_weight(index, weight)
            self.refresh_builder(cursor=index)

        self.push_screen(TextEntryScreen(f"weight of {entry.text}", f"{entry.weight:.2f}"), apply)

    def action_toggle_option(self, attribute: str) -> None:
        setattr(self.builder, attribute, not getattr(self.builder, attribute))
        self.refresh_builder()

    def action_edit_negative(self) -> None:
        def apply(answer: str | None) -> None:
            if answer is not None:
                self.builder.negative = answer.strip() or prompt_actions.default_negative()
                self.refresh_builder()

        self.push_screen(
            MultilineEntryScreen("negative prompt (empty = model page default)", self.builder.negative), apply
        )

    def action_settings(self) -> None:
        from tui.screens.settings import SettingsScreen

        def apply(answer: Any) -> None:
            if answer is not None:
                self.builder.settings = answer
                self.refresh_builder()

        self.push_screen(SettingsScreen(self.builder.settings), apply)

    # --------------------------------------------------------------- lint

    def selected_finding(self) -> Any:
        if self.rendered is None:
            return None
        index = self.ui(BuilderPane).selected_finding_index(len(self.rendered.findings))
        return None if index is None else self.rendered.findings[index]

    def action_finding_jump(self) -> None:
        finding = self.selected_finding()
        if finding is None or self.rendered is None:
            return
        index = prompt_actions.entry_for_span(self.builder, self.rendered, finding.start, finding.end)
        if index is None:
            self.notify("this finding is about no single tag", timeout=3)
            return
        self.ui(BuilderPane).focus_entry(index)

    def action_finding_fix(self) -> None:
        finding = self.selected_finding()
        if finding is None or self.rendered is None:
            return
        cursor = self.connection.cursor() if self.connection is not None else None
        try:
            self.remember_builder(f"fix for {finding.code}")
            context = prompt_actions.catalog_context(cursor, self.index)
            changed = prompt_actions.apply_fix(self.builder, self.rendered, finding, context)
        finally:
            if cursor is not None:
                cursor.close()
        if changed is None:
            self.notify(f"{finding.code}: no automatic fix", timeout=3)
            return
        self.refresh_builder(cursor=changed)
        self.notify(f"applied fix for {finding.code}", timeout=2)

    # --------------------------------------------------------------- paste

    def action_paste_prompt(self) -> None:
        def apply(answer: str | None) -> None:
            if answer and answer.strip() and self.connection is not None:
                self.paste_worker(answer, self.index)

        self.push_screen(
            MultilineEntryScreen("paste an A1111 prompt, a whole infotext or a PNG's path (ctrl+s accepts)"),
            apply,
        )

    @work(thread=True, exclusive=True, group="paste", exit_on_error=False)
    def paste_worker(self, text: str, index: Any) -> None:
        try:
            imported = prompt_actions.import_pasted(text, self.connection, index)
        except AidxlError as error:
            self.post_message(PastedPromptParsed([], [str(error)]))
            return
        self.post_message(PastedPromptParsed([imported], []))

    @on(PastedPromptParsed)
    def pasted_prompt_parsed(self, message: PastedPromptParsed) -> None:
        if self.shutting_down:
            return
        if message.problems:
            self.notify("; ".join(message.problems), severity="warning", timeout=6)
            return
        imported: ImportedPrompt = message.entries[0]
        if not self.builder.entries:
            self.take_import(imported, append=False)
            return

        def apply(answer: str | None) -> None:
            if answer in PASTE_CHOICES:
                self.take_import(imported, append=answer == PASTE_CHOICES[0])

        count = counted(len(self.builder.entries), "entry", "entries")
        self.push_screen(
            ChoiceScreen(f"the builder holds {count}: add the paste or replace them?", list(PASTE_CHOICES)),
            apply,
        )

    def take_import(self, imported: ImportedPrompt, *, append: bool) -> None:
        replaced = 0 if append else len(self.builder.entries)
        self.remember_builder("paste")
        first_new = len(self.builder.entries) if append else 0
        self.builder = imported.draft(self.builder, append=append)
        unknown = sum(1 for entry in imported.entries if not entry.known)
        syntax = sum(1 for entry in imported.entries if entry.is_syntax)
        self.refresh_builder(cursor=first_new)
        self.show_builder()
        flagged = f", {unknown} unknown (flagged ?)" if unknown else ""
        kept = f", {syntax} kept as written (syntax)" if syntax else ""
        settings = "; settings taken from it" if imported.settings is not None else ""
        undo = (
            f"; it replaced {counted(replaced, 'entry', 'entries')}: ctrl+z brings them back"
            if replaced
            else "; ctrl+z undoes it"
        )
        how = "added" if append else "pasted"
        self.notify(
            f"{how} {counted(len(imported.entries), 'entry', 'entries')}{flagged}{kept}{settings}{undo}",
            timeout=8 if replaced else 4,
        )

    # ------------------------------------------------------------ blends

    def action_save_blend(self) -> None:
        styles = self.builder.style_entries()
        if not styles:
            self.notify("no style entries (`by …`) in the prompt to save as a blend", severity="warning")
            return

        blend = [BlendStyle(entry.text, entry.weight) for entry in styles]
        self.save_named(
            "name of the style blend",
            lambda name: self.user_data.save_blend(name, blend),
            lambda name: f"saved blend {name!r} ({counted(len(styles), 'style')})",
        )

    def action_load_blend(self) -> None:
        def apply(name: str | None) -> None:
            if name is None:
                return
            blend = self.user_data.blends[name]
            self.remember_builder(f"load of blend {name!r}")
            self.builder.set_style_blend([(style.text, style.weight) for style in blend])
            self.refresh_builder(cursor=0)
            self.notify(f"loaded blend {name!r}")

        self.user_data.refresh()  # blends `aidxl import styles` added meanwhile
        self.push_screen(ChoiceScreen("load a style blend", sorted(self.user_data.blends)), apply)

    def action_save_prompt(self) -> None:
        builder_json = self.builder.to_json()
        self.save_named(
            "name for this prompt",
            lambda name: self.user_data.save_prompt(name, builder_json),
            lambda name: f"saved prompt {name!r}",
        )

    def save_named(
        self, question: str, store: Callable[[str], None], done_message: Callable[[str], str]
    ) -> None:
        """Ask for a name, store the item under it in the user data, save, and say so (or why not)."""

        def apply(name: str | None) -> None:
            if not name:
                return
            try:
                store(name)
                self.user_data.save()
            except (UserDataError, OSError) as error:
                self.notify(str(error), severity="error")
                return
            self.notify(done_message(name))

        self.push_screen(TextEntryScreen(question), apply)

    def action_load_prompt(self) -> None:
        def apply(name: str | None) -> None:
            if name is None:
                return
            self.remember_builder(f"load of prompt {name!r}")
            self.builder = BuilderState.from_json(self.user_data.saved_prompts[name])
            self.refresh_builder(cursor=0)
            self.notify(f"loaded prompt {name!r} (ctrl+z brings back the one before)")

        self.user_data.refresh()  # prompts `aidxl import styles` added meanwhile
        self.push_screen(ChoiceScreen("load a saved prompt", sorted(self.user_data.saved_prompts)), apply)

    # ------------------------------------------------------ copy / export

    def action_copy(self, which: str) -> None:
        if self.rendered is None or (not self.rendered.positive and which != "negative"):
            self.notify(
                "the prompt is empty: add entries first (Enter on a search result)", severity="warning"
            )
            return
        text = prompt_actions.clipboard_text(self.rendered, which)
        self.copy_to_clipboard(text)
        try:
            fallback = prompt_actions.write_clipboard_fallback(text)
            where = f"; also written to {fallback}"
        except OSError as error:
            where = f"; file fallback failed: {error}"
        self.user_data.record_history(self.rendered.positive, self.rendered.negative, f"copy-{which}")
        self.save_user_data()
        prompt_actions.record_usage(self.builder, "copy")
        self.notify(f"copied {which} prompt to the clipboard (OSC 52){where}", timeout=6)

    def action_export(self, kind: str) -> None:
        if self.rendered is None:
            return
        try:
            path = prompt_actions.export_prompt(self.builder, self.rendered, kind)
        except OSError as error:
            self.notify(f"export failed: {error}", severity="error")
            return
        self.user_data.record_history(self.rendered.positive, self.rendered.negative, "export")
        prompt_actions.record_usage(self.builder, "export")
        self.save_user_data()
        self.notify(f"exported to {path}", timeout=8)

    def save_user_data(self) -> None:
        try:
            self.user_data.save()
        except OSError as error:
            self.notify(f"could not save history: {error}", severity="warning")

    def action_favourite(self) -> None:
        row = self.ui(ResultsTable).highlighted_row()
        if row is None:
            return
        now_favourite = self.user_data.toggle_favourite(prompt_actions.favourite_key(row))
        self.save_user_data()
        self.notify(f"{'favourited' if now_favourite else 'unfavourited'} {row.prompt}", timeout=2)

    # ------------------------------------------------------------ preview

    def action_preview(self) -> None:
        if self.preview_running or self.sheet_running:
            self.notify("a preview is already running (escape cancels it)", timeout=3)
            return
        if self.in_builder:
            prompt = self.rendered.positive if self.rendered else ""
            negative = self.rendered.negative if self.rendered else self.builder.negative
            trigger = None
        else:
            row = self.ui(ResultsTable).highlighted_row()
            if row is None:
                return
            prompt, negative, trigger = "", self.builder.negative, row.prompt
        try:
            spec = prompt_actions.preview_spec(
                prompt, negative, trigger, self.builder.settings, self.preview_model
            )
        except AidxlError as missing:  # kb.workbench.jobs.JobRefused: what to do first
            self.notify(str(missing), severity="warning", timeout=6)
            return
        self.preview_running = True
        self.preview_steps_seen = []
        bar = self.ui("#preview-progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.display = True
        self.update_status("preview running (escape cancels)")
        self.preview_worker(spec)

    @work(thread=True, exclusive=True, group="preview", exit_on_error=False)
    def preview_worker(self, spec: prompt_actions.PreviewSpec) -> None:
        worker = get_current_worker()
        try:
            outcome = prompt_actions.run_preview(
                spec,
                lambda step, total: self.post_message(PreviewProgress(step, total)),
                lambda: worker.is_cancelled,
                self.loaded_models,
            )
        except (FeatureUnavailable, AidxlError) as error:
            self.post_message(PreviewFinished(None, prompt_actions.explorer_error_line(error)))
            return
        except Exception as error:  # one line for the user, never a traceback
            self.post_message(PreviewFinished(None, f"preview failed: {type(error).__name__}: {error}"))
            return
        self.post_message(PreviewFinished(str(outcome.thumbnail_path), outcome.message))

    @on(PreviewProgress)
    def preview_progress(self, message: PreviewProgress) -> None:
        if self.shutting_down:
            return
        self.preview_steps_seen.append((message.step, message.total))
        self.ui("#preview-progress", ProgressBar).update(total=message.total, progress=message.step)

    @on(PreviewFinished)
    def preview_finished(self, message: PreviewFinished) -> None:
        if self.shutting_down:
            return
        self.preview_running = False
        self.last_preview = message
        self.ui("#preview-progress", ProgressBar).display = False
        self.update_status()
        self.notify(message.message, severity="information" if message.image_path else "warning", timeout=8)
        if message.image_path:
            self.ui(DetailPane).show_preview(Path(message.image_path))

    def action_cancel_preview(self) -> None:
        if self.preview_running:
            self.workers.cancel_group(self, "preview")
            self.notify("cancelling the preview…", timeout=2)
        if self.sheet_running:
            self.workers.cancel_group(self, "sheet")
            self.notify("cancelling the sheet…", timeout=2)

    # ------------------------------------------------------------ sheet

    def action_sheet(self) -> None:
        if self.sheet_running or self.preview_running:
            self.notify("a preview or sheet is already running (escape cancels it)", timeout=3)
            return
        try:
            request = sheet_request(self.builder, self.preview_model)
        except AidxlError as missing:  # kb.workbench.jobs.JobRefused: what to do first
            self.notify(str(missing), severity="warning", timeout=6)
            return
        self.sheet_running = True
        self.sheet_cells_seen = []
        bar = self.ui("#preview-progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.display = True
        self.update_status(f"sheet of {counted(len(request.rows), 'style')} running (escape cancels)")
        self.sheet_worker(request)

    @work(thread=True, exclusive=True, group="sheet", exit_on_error=False)
    def sheet_worker(self, request: SheetRequest) -> None:
        worker = get_current_worker()
        try:
            outcome = run_explorer_sheet(
                request,
                state_dir() / "sheets",
                lambda done, total: self.post_message(SheetCellDone(done, total)),
                lambda: worker.is_cancelled,
            )
        except (FeatureUnavailable, AidxlError) as error:
            self.post_message(SheetFinished(None, None, prompt_actions.explorer_error_line(error)))
            return
        except Exception as error:  # one line for the user, never a traceback
            self.post_message(SheetFinished(None, None, f"sheet failed: {type(error).__name__}: {error}"))
            return
        self.post_message(SheetFinished(str(outcome.page), str(outcome.html), outcome.message))

    @on(SheetCellDone)
    def sheet_cell_done(self, message: SheetCellDone) -> None:
        if self.shutting_down:
            return
        self.sheet_cells_seen.append((message.done, message.total))
        self.ui("#preview-progress", ProgressBar).update(total=message.total, progress=message.done)

    @on(SheetFinished)
    def sheet_finished(self, message: SheetFinished) -> None:
        if self.shutting_down:
            return
        self.sheet_running = False
        self.last_sheet = message
        self.ui("#preview-progress", ProgressBar).display = False
        self.update_status()
        self.notify(message.message, severity="information" if message.page else "warning", timeout=10)
        if message.page and message.html:
            self.ui(DetailPane).show_sheet(Path(message.page), Path(message.html))

    # ------------------------------------------------------- catalog swap

    def check_catalog_file(self) -> None:
        if self.catalog_replaced or self.connection is None:
            return
        identity = file_identity(self.catalog_path)
        if identity is not None and identity != self.catalog_identity:
            self.post_message(CatalogReplaced())

    @on(CatalogReplaced)
    def catalog_was_replaced(self) -> None:
        if self.shutting_down:
            return
        if self.catalog_replaced:
            return
        self.catalog_replaced = True
        self.update_status()
        self.notify("The catalog file was rebuilt (aidxl ingest). Press ctrl+r to reload it.", timeout=10)

    def action_reload_catalog(self) -> None:
        try:
            open_catalog(self.catalog_path).close()  # check the new file before letting go of the old
        except CatalogError as error:
            self.notify(f"{error}; keeping the catalog that is open", severity="error")
            return
        # DuckDB keeps one database per path inside a process: the old one must be closed first,
        # or the new connection would be handed the replaced file.
        self.workers.cancel_group(self, "index")
        self.action_leave_copyright()  # its characters are the old catalog's
        old_connection, self.connection, self.index = self.connection, None, None
        if old_connection is not None:
            old_connection.close()
        if self.open_current_catalog():
            self.update_status("catalog reloaded")
            self.notify("catalog reloaded", timeout=2)

    # ---------------------------------------------------- missing catalog

    def action_run_ingest(self) -> None:
        command = prompt_actions.ingest_argv(self.catalog_path)
        self.screen.query_one("#ingest-output", Static).update(Text("running: " + shlex.join(command)))
        self.ingest_worker(command)

    @work(thread=True, exclusive=True, group="ingest", exit_on_error=False)
    def ingest_worker(self, command: list[str]) -> None:
        finished = subprocess.run(command, capture_output=True, text=True, check=False)
        tail = (finished.stdout + finished.stderr).strip().splitlines()[-6:]
        self.post_message(IngestFinished(finished.returncode, "\n".join(tail)))

    @on(IngestFinished)
    def ingest_finished(self, message: IngestFinished) -> None:
        if self.shutting_down:
            return
        if message.return_code != 0:
            self.screen.query_one("#ingest-output", Static).update(
                Text(f"ingest failed (exit {message.return_code}):\n{message.output_tail}")
            )
            return
        if isinstance(self.screen, MissingCatalogScreen):
            self.pop_screen()
        if self.open_current_catalog():
            self.ui("#search", Input).focus()
            if self.watch_catalog:
                self.set_interval(CATALOG_POLL_SECONDS, self.check_catalog_file)

    # ------------------------------------------------------ views, theme

    def action_switch_view(self) -> None:
        if self.in_builder:
            self.show_search()
        else:
            self.show_builder()

    def builder_has_focus(self) -> bool:
        """The builder is shown and a widget of it has the focus: the switch has completed."""
        if not self.screen_stack or not self.in_builder:
            return False
        focused = self.screen_stack[0].focused
        return focused is not None and self.ui("#builder-view") in focused.ancestors_with_self

    def action_builder_copy(self, which: str) -> None:
        """y / Y / c in the builder (ctrl+y copies the positive prompt anywhere)."""
        self.action_copy(which)

    @on(SearchTypedText)
    def typed_elsewhere(self, message: SearchTypedText) -> None:
        """Text typed while the results or the forms have the focus goes into the search box."""
        search = self.ui("#search", Input)
        self.screen_stack[0].set_focus(search)
        search.insert_text_at_cursor(message.text)

    def show_builder(self) -> None:
        self.ui("#views", ContentSwitcher).current = "builder-view"
        entries = self.ui(EntriesTable)
        # At once, not after the keys already queued: the next key goes to the view now shown.
        self.screen_stack[0].set_focus(entries)
        # Its rows were laid out while hidden: once shown, the cursor's entry is scrolled into view.
        self.call_after_refresh(entries.scroll_cursor_into_view)
        self.update_topbar()
        self.update_status()
        self.refresh_bindings()

    def show_search(self) -> None:
        self.ui("#views", ContentSwitcher).current = "search-view"
        self.screen_stack[0].set_focus(self.ui("#search", Input))  # at once (see show_builder)
        self.update_topbar()
        self.update_status()
        self.refresh_bindings()

    def action_focus_search(self) -> None:
        self.show_search()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT_THEME if self.dark else DARK_THEME

    def watch_theme(self, theme: str) -> None:
        if not self.is_running or not isinstance(self.screen, Screen) or self.connection is None:
            return
        results = self.ui(ResultsTable)
        results.show_rows(results.rows_shown, dark=self.dark)
        self.refresh_builder()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for title, help_text, action in (*prompt_actions.PALETTE_ENTRIES, *BROWSE_PALETTE_ENTRIES):
            yield SystemCommand(title, help_text, lambda action=action: self.run_palette_action(action))

    def run_palette_action(self, action: str) -> None:
        builder_action = action.split("(")[0] in self.BUILDER_ONLY_ACTIONS or action.startswith(
            ("copy('negative')", "copy('both')", "builder_")
        )  # (a palette action runs without check_action: the builder is shown and focused first)
        if builder_action and not self.in_builder:
            self.show_builder()
        elif action.split("(")[0] in self.SEARCH_ONLY_ACTIONS and self.in_builder:
            self.show_search()
        self.call_later(self.run_action, action)
