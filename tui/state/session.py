"""What the explorer's views share, in one typed object: the open catalog and its search index,
the builder's draft and its undo history, the user's data, the preview model and the options.

The app (tui/explorer.py) opens and reloads the catalog into it; the search view
(tui/screens/search.py) and the builder view (tui/screens/builder.py) receive it and read or
change what they need. No textual here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.generate.model_choice import NO_MODEL, ModelChoice, describe_model
from kb.paths import state_dir
from kb.userdata import UserData
from kb.workbench.history import History
from tui.state.builder import BuilderState

if TYPE_CHECKING:
    import duckdb

    from kb.knowledge.author_tables import AuthorTables
    from kb.search import SearchIndex
    from tui.state.generation_view import ShownImage
    from tui.state.sources import CatalogSources

DETAIL_DELAY_SECONDS = 0.0  # details are read ahead and cached (tui/state/detail_cache.py)


@dataclass
class ExplorerOptions:
    """How the explorer was started (`aidxl explore` flags; tests turn some off)."""

    user_data_path: Path | None = None
    watch_catalog: bool = True  # poll the catalog file for a rebuild by `aidxl ingest`
    preview_model: str | None = None  # None: $AIDXL_MODEL or the config file decides
    show_timings: bool = True  # off for snapshot tests, where times vary
    detail_delay: float = DETAIL_DELAY_SECONDS  # 0 in tests: load the detail at once
    keep_search: bool = False  # keep the search box's text after Enter adds a result


class ExplorerSession:
    """The explorer's shared state; one per app."""

    def __init__(self, catalog_path: Path, options: ExplorerOptions) -> None:
        self.catalog_path = catalog_path
        self.options = options
        # The open catalog (None: not open yet, or being reloaded) and its identity on disk.
        self.connection: duckdb.DuckDBPyConnection | None = None
        self.catalog_identity: tuple[int, int, int] | None = None
        self.catalog_replaced = False  # `aidxl ingest` rebuilt the file: ctrl+r reloads it
        # Its search index (kb.search), loaded by a worker; the generation counts (re)loads, so
        # that answers read from a catalog reloaded since are dropped.
        self.index: SearchIndex | None = None
        self.index_generation = 0
        self.index_seconds: float | None = None
        self.search_problem: str | None = None  # why searching does not work (the status says it)
        self.catalog_sources: CatalogSources | None = None  # what the open catalog lacks
        self.author_tables: AuthorTables | None = None  # the open catalog's (ctrl+n reads implications)
        # The builder's draft (kb.workbench.draft) and the undo / redo of every edit to it.
        self.builder = BuilderState()
        self.history: History[BuilderState] = History()
        self.user_data = UserData(state_dir() / "explorer.json")
        self.loaded_models: dict[str, Any] = {}  # preview pipelines kept between previews
        # Generation (issue 12 item 6): the model as checked, the last image made (the preview panel),
        # the running preview's or sheet's words for the status line (`preview: step 7/20 · …`).
        self.model_choice: ModelChoice = NO_MODEL
        # Where the session's model came from, for the settings dialog's hint (None: no session model).
        self.model_origin: str | None = "aidxl explore --model" if options.preview_model else None
        self.shown_image: ShownImage | None = None
        self.job_words = ""

    @property
    def preview_model(self) -> str | None:
        """The model previews and sheets use: the builder's (a loaded prompt's, the settings
        dialog's), else the session's (`aidxl explore --model`, the last dialog choice); None: the
        environment or the config file decides (kb.generate.loading)."""
        return self.builder.settings.model or self.options.preview_model

    def choose_model(self, model: str | None) -> None:
        """The settings dialog's choice: the session's from now on (None: the environment or config)."""
        self.options.preview_model = model
        self.model_origin = "an earlier choice in these settings" if model else None
        self.check_model()

    def check_model(self) -> None:
        self.model_choice = describe_model(self.preview_model)

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection | None]:
        """A cursor of the open catalog for one read on this thread (None when none is open)."""
        cursor = self.connection.cursor() if self.connection is not None else None
        try:
            yield cursor
        finally:
            if cursor is not None:
                cursor.close()


def file_identity(path: Path) -> tuple[int, int, int] | None:
    """(inode, mtime, size): an atomic rename by `aidxl ingest` changes at least the inode."""
    try:
        status = path.stat()
    except OSError:
        return None
    return (status.st_ino, status.st_mtime_ns, status.st_size)
