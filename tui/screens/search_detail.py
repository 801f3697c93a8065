"""The detail half of the search view: the highlighted result's detail, read ahead and cached,
its forms (copy, insert, the sentence's noun) and a character's features into the builder.

`SearchView` (tui/screens/search.py) extends `DetailView`; the workers here are its own.
"""

from __future__ import annotations

import contextlib
import gc
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.message import Message
from textual.timer import Timer
from textual.worker import get_current_worker

from kb.knowledge.tagforms import escape_a1111, to_canonical, unescape_a1111
from tui.screens.view import ExplorerView
from tui.state import actions as prompt_actions
from tui.state.builder import BuilderEntry
from tui.state.catalog_view import EntryDetail, SyntaxForm
from tui.state.character_features import FeaturePart, add_character_features, no_features_reason
from tui.state.detail_cache import CachedDetail, DetailCache, DetailReader, prefetch_order
from tui.state.searching import ResultRow
from tui.widgets.detail import DetailPane
from tui.widgets.messages import CharacterInfoLoaded, DetailLoaded
from tui.widgets.results import ResultsTable
from tui.widgets.search_input import SearchInput

if TYPE_CHECKING:
    import duckdb

    from kb.knowledge.author_tables import AuthorTables
    from kb.knowledge.character_info import CharacterInfo
    from tui.screens.view import ExplorerHost
    from tui.state.session import ExplorerSession


def author_tables_of_catalog(connection: duckdb.DuckDBPyConnection) -> AuthorTables:
    """The author's tables of the open catalog (a worker's call: the first reads them whole)."""
    from kb.knowledge.author_tables import shared_author_tables

    cursor = connection.cursor()
    try:
        return shared_author_tables(cursor)
    finally:
        cursor.close()


class DetailsWarmed(Message):
    """The catalog's parts that details read are in memory (DetailReader.warm)."""


class DetailView(ExplorerView):
    """The results' detail pane and what its keys do; the search itself is `SearchView`'s."""

    def __init__(self, session: ExplorerSession, host: ExplorerHost, *, id: str) -> None:
        super().__init__(session, host, id=id)
        self.detail_shown: EntryDetail | None = None  # the detail pane's entry, for its keys
        self.detail_shown_key: str | None = None
        self.detail_timer: Timer | None = None
        self.detail_cache = DetailCache()
        self.detail_coming: str | None = None  # the first row's detail, read by the search worker
        self.detail_latencies_ms: list[float] = []  # keystroke → the first result's detail painted
        self.detail_wait: tuple[str, float] | None = None  # (row key, typed at) of that detail
        self.highlight_latencies_ms: list[float] = []  # a highlight → its detail painted
        self.highlight_wait: tuple[str, float] | None = None
        self.detail_cache_hits = [0, 0]  # highlights whose detail was not / was cached (bench/tui.py)
        self.detail_reader: DetailReader | None = None  # the open catalog's (tui/state/detail_cache.py)
        self.details_with_results = 0  # results whose first row's detail their handler showed (bench)

    def highlighted_row(self) -> ResultRow | None:
        return self.query_one(ResultsTable).highlighted_row()

    def show_detail_message(self, message: str) -> None:
        self.detail_shown = self.detail_shown_key = None
        self.query_one(DetailPane).show(None, dark=self.dark, message=message)

    def add_to_builder(self, prompt: str, kind: str, tag: str | None, form: str = "") -> None:
        """One entry into the builder: `prompt` in A1111 form (entries hold it unescaped)."""
        builder = self.session.builder
        index = builder.add(BuilderEntry(unescape_a1111(prompt), kind, 1.0, tag))
        self.host.builder_edited(cursor=index)
        as_form = f" ({form} form)" if form else ""
        self.notify(f"added {prompt}{as_form} ({len(builder.entries)} in prompt)", timeout=2)

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
        row = self.highlighted_row()
        if row is None or self.session.connection is None:
            return
        self.highlight_wait = (row.key, time.perf_counter())
        cached = self.detail_cache.get(row.key)
        self.detail_cache_hits[cached is not None] += 1
        if cached is not None:
            self.show_detail(row.key, cached)
            # A preview made since (here, or by `aidxl sheet` elsewhere) is looked up afresh.
            self.thumbnail_worker(row)
        delay = self.session.options.detail_delay
        if delay <= 0 or cached is not None:
            self.read_ahead()
        else:
            self.detail_timer = self.set_timer(delay, self.read_ahead)

    def read_ahead(self) -> None:
        """Read the details of the highlighted row and its neighbours that are not cached yet."""
        self.detail_timer = None
        if self.shutting_down or self.session.connection is None:
            return
        table = self.query_one(ResultsTable)
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
        with contextlib.suppress(OSError):
            reader.previews.refresh()  # a preview made since shows
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
            generation=cached.generation,
            tables=cached.tables,
        )

    @work(thread=True, group="warm-details", exit_on_error=False)
    def warm_details_worker(self, reader: DetailReader) -> None:
        """Read the catalog's parts that details ask about, once the search is ready (so that the
        search worker can read the first rows' details with the results, tui/state/detail_cache.py)."""
        with contextlib.suppress(Exception):  # a read error shows with the first detail instead
            reader.warm()
        self.post_message(DetailsWarmed())  # dropped if the view has gone meanwhile

    @on(DetailsWarmed)
    def freeze_long_lived(self) -> None:
        """What start-up built (modules, widgets, the index, the lookup) lives as long as the app:
        kept out of the cyclic collector's full passes, which otherwise scan it all and stall a
        frame by 50-150 ms a few times a minute of typing (bench/tui.py counts them). Thawed when
        the view goes, so that a process running many apps (the tests) collects each one's cycles."""
        if not self.shutting_down and self.is_mounted:
            gc.freeze()

    def on_unmount(self) -> None:
        gc.unfreeze()  # see freeze_long_lived

    @work(thread=True, exclusive=True, group="thumbnail", exit_on_error=False)
    def thumbnail_worker(self, row: ResultRow) -> None:
        reader = self.detail_reader
        try:
            if reader is None:
                thumbnail = prompt_actions.cached_thumbnail(row.prompt)
            else:  # the previews folder is read again only when it changed
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
        if message.tables is not None and message.generation == self.session.index_generation:
            self.session.author_tables = message.tables
        if message.key == self.detail_coming:
            self.detail_coming = None
        cached = None
        if message.detail is not None:
            cached = CachedDetail(message.detail, message.thumbnail, message.tables, message.generation)
            self.detail_cache.put(message.key, cached, message.generation)
        row = self.highlighted_row()
        if row is None or row.key != message.key:
            return
        if cached is None:
            self.detail_shown, self.detail_shown_key = None, message.key
            self.query_one(DetailPane).show(None, dark=self.dark, message=message.error or "")
            return
        self.show_detail(message.key, cached)

    def thumbnail_found(self, key: str, thumbnail: Path | None) -> None:
        """The cached preview of a row shown from the detail cache: shown (and kept) when new."""
        cached = self.detail_cache.get(key)
        if cached is None or cached.thumbnail == thumbnail:
            return
        self.detail_cache.put(key, replace(cached, thumbnail=thumbnail), self.detail_cache.generation)
        row = self.highlighted_row()
        if thumbnail is not None and row is not None and row.key == key:
            self.query_one(DetailPane).show_preview(thumbnail)

    def show_detail(self, key: str, cached: CachedDetail) -> None:
        """The detail pane shows `cached` (the highlighted row's); kept as it is when it already does."""
        if self.detail_shown_key == key and self.detail_shown is cached.detail:
            self.note_detail_painted(key)
            return
        self.detail_shown, self.detail_shown_key = cached.detail, key
        pane = self.query_one(DetailPane)
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

    def action_scroll_detail(self, direction: int, page: bool) -> None:
        """shift+pgup / shift+pgdn (a page), alt+↑ / alt+↓ (a few lines): the detail pane, while
        the focus stays in the search box."""
        self.query_one(DetailPane).scroll_by_keys(direction, page=page)

    # -------------------------------------------------------------- forms

    def shown_detail_of(self, row: ResultRow) -> EntryDetail | None:
        """The detail pane's entry when it is the highlighted row's (else it is still loading)."""
        return self.detail_shown if self.detail_shown_key == row.key else None

    def highlighted_forms(self) -> tuple[SyntaxForm, ...]:
        """The forms in the detail pane when they are the highlighted row's (else still loading)."""
        row = self.highlighted_row()
        if row is None or self.shown_detail_of(row) is None:
            return ()
        return tuple(self.query_one(DetailPane).forms())

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
        row = self.highlighted_row()
        if use == "insert":
            if row is not None:
                self.add_to_builder(escape_a1111(unescape_a1111(form.text)), row.kind, row.tag, form.label)
            return
        self.app.copy_to_clipboard(form.text)
        try:
            where = f"; also in {prompt_actions.write_clipboard_fallback(form.text)}"
        except OSError as error:
            where = f"; file fallback failed: {error}"
        self.notify(f"copied the {form.label} form: {form.text}{where}", timeout=4)

    def action_toggle_sentence_noun(self) -> None:
        """alt+g (g in the forms): the sentence's noun, girl ↔ boy, for the character shown."""
        noun = self.query_one(DetailPane).toggle_noun()
        if noun is None:
            self.notify("the sentence form is a character's (highlight one)", severity="warning", timeout=3)
        else:
            self.notify(f"sentence: a {noun} named …", timeout=2)

    def action_focus_forms(self) -> None:
        """tab in the search box: the detail pane's forms take the keys (tab or escape go back)."""
        if self.highlighted_forms():
            self.screen.set_focus(self.query_one(DetailPane))

    def tab_focus_target(self) -> str | None:
        """Where tab goes from the search box (the forms, when shown) and from the forms (back)."""
        focused = self.screen.focused
        if isinstance(focused, DetailPane):
            return "search"
        if isinstance(focused, SearchInput) and self.highlighted_forms():
            return "forms"
        return None

    def action_tab_focus(self) -> None:
        if self.tab_focus_target() == "forms":
            self.action_focus_forms()
        else:
            self.action_leave_forms()

    def action_leave_forms(self) -> None:
        """escape or tab in the forms: back to the search box."""
        self.screen.set_focus(self.query_one("#search", SearchInput))

    # -------------------------------------------- a character's features

    def action_add_features(self, part: FeaturePart) -> None:
        """ctrl+n / ctrl+o: the highlighted character's appearance / outfit into the builder."""
        row = self.highlighted_row()
        connection = self.session.connection
        if row is None or row.kind != "character" or connection is None:
            self.notify("highlight a character first (F7 lists characters)", severity="warning", timeout=3)
            return
        detail = self.shown_detail_of(row)
        tables = self.session.author_tables
        if detail is not None and detail.character is not None and tables is not None:
            self.add_features(row.prompt, row.kind, row.tag, part, detail.character, tables)
        else:
            known = detail.character if detail is not None else None
            self.character_info_worker(self.session.index_generation, connection, row, part, known)

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
            self.app.call_from_thread(self.notify, f"catalog read failed: {error}", severity="error")
            return
        finally:
            cursor.close()
        self.post_message(CharacterInfoLoaded(generation, row.prompt, row.kind, row.tag, part, info, tables))

    @on(CharacterInfoLoaded)
    def character_info_loaded(self, message: CharacterInfoLoaded) -> None:
        if self.shutting_down or message.generation != self.session.index_generation:
            return  # closing, or read from a catalog reloaded since
        self.session.author_tables = message.tables
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
        added = add_character_features(self.session.builder, info, part, character_entry, tables)
        self.host.builder_edited(cursor=added.cursor)
        self.notify(added.message, timeout=4)
