"""The search view: the search box, the kind and tier chips, a copyright's listing, the results
and (from `DetailView`, tui/screens/search_detail.py) the detail pane and its forms.

Workers compute, handlers mutate: the list, favourites, copyright and sources workers post
messages (tui/widgets/messages.py) back to this view, whose `@on` handlers drop answers that no
longer match the box, the filters or the catalog.
"""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING, Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from tui.keys import bindings_of
from tui.screens.search_detail import DetailView
from tui.state import actions as prompt_actions
from tui.state.detail_cache import DetailReader, read_ahead_of_results
from tui.state.searching import (
    KIND_FILTERS,
    CopyrightScope,
    ResultRow,
    SearchFilter,
    copyright_of_row,
    empty_copyright_hint,
    has_more,
    list_page,
    load_copyright_scope,
    next_tier_filter,
    results_summary,
    tier_counts,
    tier_filter_suffix,
)
from tui.state.sources import check_sources, empty_browse_hint, empty_search_hint, no_results_hint
from tui.widgets.detail import DetailPane
from tui.widgets.focus_keys import SearchTypedText
from tui.widgets.marks import AUTHOR_MARK, VERIFIED_MARK
from tui.widgets.messages import CopyrightListed, SearchResults, SearchUnavailable, SourcesChecked
from tui.widgets.results import KindChips, ResultsTable
from tui.widgets.search_input import SearchInput
from tui.widgets.sources_banner import SourcesBanner
from tui.widgets.view_actions import RunsViewActions, view_action

if TYPE_CHECKING:
    import duckdb

    from tui.screens.view import ExplorerHost
    from tui.state.session import ExplorerSession

SEARCH_PLACEHOLDER = "search triggers, tags, characters…"


class ScopeChip(RunsViewActions, Static):
    """`copyright: X ✕` left of the search box while a copyright's characters are listed."""


class SearchView(DetailView):
    """Search, filters and the results' detail; Enter adds the highlighted result to the builder."""

    BINDINGS: ClassVar[list[BindingType]] = bindings_of("SearchView")

    def __init__(self, session: ExplorerSession, host: ExplorerHost) -> None:
        super().__init__(session, host, id="search-view")
        self.kind_filter: str | None = None
        self.likely_filter = False  # only verified and author-tier triggers (ctrl+l)
        self.verified_filter = False  # only verified triggers (ctrl+l a second time)
        self.copyright_scope: CopyrightScope | None = None  # listing a copyright's characters
        self.query_before_scope = ""  # the search box before a copyright's listing replaced it
        self.sources_banner_hidden = False  # escape / `d` hid it until the next catalog (re)load
        self.sources_generation = 0  # the catalog generation whose sources were compared
        self.last_search_ms: float | None = None
        self.results_query: str | None = None  # the query whose results the table shows
        self.results_total: int | None = None  # entries in the whole list shown (None: not counted)
        self.results_filter: SearchFilter | None = None  # the filters the rows shown answer
        self.showing_favourites = False  # the results are the favourites (an empty search box)
        self.typed_at: dict[str, float] = {}  # query -> when it was typed
        self.search_latencies_ms: list[float] = []

    def compose(self) -> ComposeResult:
        with Horizontal(id="search-row"):
            yield ScopeChip("", id="scope-chip")
            yield SearchInput(placeholder=SEARCH_PLACEHOLDER, id="search")
        yield KindChips(id="chips")
        yield SourcesBanner(id="sources-banner")
        with Horizontal(id="search-body"):
            yield ResultsTable(id="results")
            yield DetailPane(id="detail")

    def on_mount(self) -> None:
        self.query_one("#scope-chip", Static).display = False
        self.query_one(SourcesBanner).display = False

    @property
    def search_box(self) -> SearchInput:
        return self.query_one("#search", SearchInput)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "tab_focus":  # else tab moves the focus as usual
            return self.tab_focus_target() is not None
        return True

    def status_parts(self) -> list[str]:
        session = self.session
        parts: list[str] = []
        if session.search_problem:
            parts.append(session.search_problem)
        elif session.index is None:
            parts.append("loading search index…")
        else:
            table = self.query_one(ResultsTable)
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
            if self.last_search_ms is not None and session.options.show_timings:
                parts.append(f"{self.last_search_ms:.1f} ms")
        label = next(label for label, _, kind in KIND_FILTERS if kind == self.kind_filter)
        parts.append(f"filter {label}" + tier_filter_suffix(self.search_filter))
        parts.append(f"{len(session.builder.entries)} in prompt")
        if session.job_words:  # a running preview or sheet's step counter and ETA
            parts.append(session.job_words)
        return parts

    # ------------------------------------------------------- the catalog

    def catalog_opened(self) -> None:
        """A catalog was (re)opened: what was read from the old one goes."""
        self.detail_cache.reset(self.session.index_generation)
        connection = self.session.connection
        self.detail_reader = DetailReader(connection, self.session.index_generation) if connection else None
        self.sources_banner_hidden = False

    def index_ready(self) -> None:
        self.start_search()
        self.check_sources_once()
        if self.detail_reader is not None:
            self.warm_details_worker(self.detail_reader)

    @on(SearchUnavailable)
    def search_failed(self, message: SearchUnavailable) -> None:
        """A search, listing or favourites worker failed: the status and the detail pane say why."""
        if self.shutting_down:
            return
        self.session.search_problem = message.reason
        self.host.update_status()
        self.index_unavailable(message.reason)

    def index_unavailable(self, reason: str) -> None:
        """The index did not load (the app's worker), or a search failed (this view's)."""
        self.query_one(DetailPane).show(None, dark=self.dark, message=reason)
        self.check_sources_once()

    def check_sources_once(self) -> None:
        """Compare the open catalog with the registry, once per catalog (re)load: after its index
        is ready (or known broken), so that start-up to a working search box waits for nothing more."""
        session = self.session
        if session.connection is None or self.sources_generation == session.index_generation:
            return
        self.sources_generation = session.index_generation
        self.sources_worker(session.index_generation, session.connection)

    # -------------------------------------------------------------- search

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
        session = self.session
        if session.index is None:
            return
        query = self.search_box.value
        search_filter = self.search_filter
        unfiltered = search_filter.kind is None and search_filter.tiers is None and not self.copyright_scope
        if not query.strip() and unfiltered:
            if offset == 0:
                self.show_favourites()
            return
        scope, generation = self.copyright_scope, session.index_generation
        # A next page holds the rows not shown yet (tui.state.searching.search_page: re-ranking).
        rows_shown = self.query_one(ResultsTable).rows_shown if offset else []
        shown = frozenset(row.key for row in rows_shown)
        self.list_worker(
            session.index, session.connection, query, search_filter, scope, offset, generation, shown
        )

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
        shown: frozenset[str] = frozenset(),
    ) -> None:
        started = time.perf_counter()
        try:
            page = list_page(index, connection, query, search_filter, scope, offset, shown)
        except Exception as error:  # report, never crash the explorer on a search bug
            what = f"search failed for {query!r}" if query.strip() else "listing failed"
            self.post_message(SearchUnavailable(f"{what}: {error}"))
            return
        if get_current_worker().is_cancelled:
            return
        elapsed_ms = (time.perf_counter() - started) * 1000
        # The first rows' details are read right here, once the catalog's parts are (about 0.1 ms
        # a row): they go with the results, and the results' handler shows the first one, so one
        # refresh paints both (bench/tui.py). Before that, the first row's detail follows them.
        # (Not with a detail delay: the detail then waits for the highlight to settle.)
        delay = self.session.options.detail_delay
        reader = self.detail_reader
        reads_first = page.rows and not offset and reader is not None and delay <= 0
        first = page.rows[0] if reads_first else None
        details = {}
        if first is not None and reader is not None and reader.generation == generation:
            with contextlib.suppress(Exception):  # the detail's own read below reports it
                details = read_ahead_of_results(reader, page.rows, self.detail_cache)
        follows = None
        if first is not None and not details and first.key not in self.detail_cache:
            follows = first.key
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
        if self.results_query == self.search_box.value and not self.showing_favourites:
            self.start_search(offset=message.shown)

    @on(SearchResults)
    def search_results(self, message: SearchResults) -> None:
        if self.shutting_down:
            return
        if message.query != self.search_box.value or message.search_filter != self.search_filter:
            return  # stale: the user typed on or changed a filter
        table = self.query_one(ResultsTable)
        if message.offset:
            if message.offset != table.row_count or self.results_query != message.query:
                return  # a page of a list replaced since
            self.results_total = message.total
            table.append_rows(message.hits, more=has_more(table.row_count + len(message.hits), message.total))
            self.host.update_status()
            return
        self.last_search_ms = None if message.favourites else message.milliseconds
        self.session.search_problem = None
        self.results_query = message.query
        self.results_filter = message.search_filter
        self.results_total = message.total
        self.showing_favourites = message.favourites
        self.detail_coming = message.detail_follows
        for key, cached in message.details.items():  # read with the results
            self.detail_cache.put(key, cached, cached.generation)
        table.show_rows(message.hits, dark=self.dark, more=has_more(len(message.hits), message.total))
        self.host.update_status()
        if not message.hits:
            sources = self.session.catalog_sources
            if self.copyright_scope is not None and not message.query.strip():
                hint = empty_copyright_hint(self.copyright_scope, message.search_filter)
            elif not message.query.strip() and not message.favourites:
                hint = empty_browse_hint(message.search_filter, sources)
            else:
                hint = no_results_hint(message.query, message.search_filter, sources)
            self.show_detail_message(hint)
        typed_at = self.typed_at.pop(message.query, None)
        if typed_at is not None:
            first = message.hits[0] if message.hits else None
            self.detail_wait = (first.key, typed_at) if isinstance(first, ResultRow) else None
            # Keystroke → results on screen: measured after the refresh that paints them (bench/tui.py).
            self.call_after_refresh(self.record_latency, typed_at)
        shown_first = table.highlighted_row()
        with_results = message.details.get(shown_first.key) if shown_first is not None else None
        if shown_first is not None and with_results is not None:  # painted with the results
            self.show_detail(shown_first.key, with_results)
            self.details_with_results += 1

    def record_latency(self, typed_at: float) -> None:
        self.search_latencies_ms.append((time.perf_counter() - typed_at) * 1000)
        del self.search_latencies_ms[:-1000]

    def show_favourites(self) -> None:
        """The empty search box: the favourites, with their posts and tiers (read in a worker)."""
        session = self.session
        if session.user_data.favourites and session.index is not None:
            self.favourites_worker(session.index, list(session.user_data.favourites), self.search_filter)
            return
        self.query_one(ResultsTable).show_rows([], dark=self.dark)
        self.last_search_ms = None
        self.results_query = ""
        self.results_filter = self.search_filter
        self.results_total = None
        self.showing_favourites = False
        self.host.update_status()
        self.show_detail_message(empty_search_hint(session.catalog_sources))

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

    @on(SearchTypedText)
    def typed_elsewhere(self, message: SearchTypedText) -> None:
        """Text typed while the results or the forms have the focus goes into the search box."""
        search = self.search_box
        self.screen.set_focus(search)
        search.insert_text_at_cursor(message.text)

    def action_results_cursor(self, rows: int) -> None:
        results = self.query_one(ResultsTable)
        if results.row_count:
            results.move_cursor(row=max(0, results.cursor_position + rows))

    # ------------------------------------------------------------ filters

    def action_kind_filter(self, index: int) -> None:
        self.set_kind_filter(KIND_FILTERS[index][2])

    @on(KindChips.Chosen)
    def chip_chosen(self, message: KindChips.Chosen) -> None:
        self.set_kind_filter(message.kind)

    def set_kind_filter(self, kind: str | None) -> None:
        self.kind_filter = kind
        self.query_one(KindChips).mark(kind)
        self.host.update_status()
        self.start_search()

    @on(KindChips.LikelyToggled)
    def likely_chip_clicked(self) -> None:
        self.action_toggle_likely()

    def action_toggle_likely(self) -> None:
        """ctrl+l steps the tier filter: AIDXL-likely (verified and author-vocabulary triggers), then
        verified only, then every tier again; it combines with the kind filter."""
        self.likely_filter, self.verified_filter = next_tier_filter(self.likely_filter, self.verified_filter)
        self.query_one(KindChips).mark(self.kind_filter, self.likely_filter, verified=self.verified_filter)
        self.host.update_status()
        self.start_search()

    # -------------------------------------------- a copyright's characters

    def action_copyright_characters(self) -> None:
        """ctrl+s: list the highlighted copyright's characters (a character's: its series')."""
        self.open_copyright_of(self.highlighted_row())

    def open_copyright_of(self, row: ResultRow | None) -> None:
        """List the characters of `row`'s copyright (a copyright's own, a character's series)."""
        connection = self.session.connection
        if row is None or row.kind not in ("copyright", "character") or connection is None:
            self.notify("highlight a copyright or character first (F8 lists copyrights)", severity="warning")
            return
        detail = self.shown_detail_of(row)
        copyright_tag = detail.copyright_tag if detail is not None else None
        if detail is not None and copyright_tag is None:
            self.notify(f"{row.prompt}: no characters of this copyright in the catalog", severity="warning")
            return
        self.copyright_worker(connection, row, copyright_tag)

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
        search = self.search_box
        if self.copyright_scope is None:
            self.query_before_scope = search.value
        self.copyright_scope = scope
        chip = self.query_one("#scope-chip", Static)
        chip.update(
            Text.assemble(
                (f" copyright: {scope.label} ", "bold"),
                ("✕", Style(bold=True, meta={"@click": view_action("leave_copyright")})),
                " ",
            )
        )
        chip.display = True
        search.placeholder = f"search {scope.label}'s characters… (escape leaves)"
        self.host.show_search()
        if search.value:
            search.value = ""  # Input.Changed starts the listing
        else:
            self.start_search()

    def action_leave_copyright(self) -> None:
        """Back to the whole catalog (escape, ctrl+u on an empty box, the chip's ✕)."""
        if self.copyright_scope is None:
            return
        self.copyright_scope = None
        self.query_one("#scope-chip", Static).display = False
        search = self.search_box
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
            self.app.call_from_thread(self.notify, f"could not compare the catalog's sources: {error}")
            return
        self.post_message(SourcesChecked(generation, sources))

    @on(SourcesChecked)
    def sources_checked(self, message: SourcesChecked) -> None:
        if self.shutting_down:
            return
        if message.generation != self.session.index_generation:
            return  # a catalog reloaded since
        self.session.catalog_sources = message.sources
        self.query_one(SourcesBanner).show_sources(None if self.sources_banner_hidden else message.sources)
        searching = self.search_box.value.strip() or self.copyright_scope is not None
        if not searching and not self.query_one(ResultsTable).rows_shown:
            self.show_detail_message(empty_search_hint(message.sources))

    def action_hide_sources_banner(self) -> None:
        self.sources_banner_hidden = True
        self.query_one(SourcesBanner).show_sources(None)

    @property
    def banner_shown(self) -> bool:
        return bool(self.query_one(SourcesBanner).display)

    # ------------------------------------------------------- enter: add

    @on(Input.Submitted, "#search")
    def search_submitted(self, event: Input.Submitted) -> None:
        """Enter in the search box: act on the first result of the text as it was when Enter was
        pressed (keys typed after it may already be in the box: they are kept)."""
        query = event.value
        search = self.search_box
        row = self.highlighted_row()
        stale = self.results_query != query or self.results_filter != self.search_filter
        search_filter = self.search_filter
        listed = search_filter.kind is not None or search_filter.tiers is not None or self.copyright_scope
        if stale and (query.strip() or listed) and self.session.index is not None:
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
        self.act_on_row(self.highlighted_row(), clear=self.search_box.value == self.results_query)

    def act_on_row(self, row: ResultRow | None, *, clear: bool) -> None:
        """Enter's action: add the row to the prompt, or open a copyright's characters; then clear
        the search box for the next search (unless `keep_search`, or typing went on)."""
        if row is None:
            return
        if row.kind == "copyright":
            self.open_copyright_of(row)  # a copyright is opened; its forms insert it (detail pane)
            return
        self.add_to_builder(row.prompt, row.kind, row.tag)
        search = self.search_box
        if clear and not self.session.options.keep_search and search.value:
            search.value = ""  # Input.Changed lists what an empty box shows

    def search_now(self, query: str) -> SearchResults:
        """The first page for `query`, searched on the spot (Enter's fallback for stale results)."""
        search_filter = self.search_filter
        session = self.session
        if session.index is None:  # (Enter searches on the spot only once the index is loaded)
            return SearchResults(query, search_filter, [], 0.0, 0)
        page = list_page(session.index, session.connection, query, search_filter, self.copyright_scope)
        return SearchResults(query, search_filter, page.rows, 0.0, page.total)

    def action_toggle_keep_search(self) -> None:
        options = self.session.options
        options.keep_search = not options.keep_search
        kept = "kept" if options.keep_search else "cleared"
        self.notify(f"the search box is now {kept} after Enter adds a result", timeout=3)

    def action_favourite(self) -> None:
        row = self.highlighted_row()
        if row is None:
            return
        user_data = self.session.user_data
        now_favourite = user_data.toggle_favourite(prompt_actions.favourite_key(row))
        try:
            user_data.save()
        except OSError as error:
            self.notify(f"could not save history: {error}", severity="warning")
        self.notify(f"{'favourited' if now_favourite else 'unfavourited'} {row.prompt}", timeout=2)

    def action_focus_search(self) -> None:
        self.screen.set_focus(self.search_box)
