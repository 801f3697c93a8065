"""Open the catalog and load its search index on a thread started with the app object.

Textual's start-up (driver, CSS, first layout and paint) and the index load then overlap,
which is most of the way to "search ready within a second". The first `open_current_catalog`
takes the prefetched results; reloads go the normal way.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb


class CatalogPrefetch:
    def __init__(self, catalog_path: Path) -> None:
        self.catalog_path = catalog_path
        self.connection: Future[duckdb.DuckDBPyConnection] = Future()
        self.index: Future[tuple[Any, float]] = Future()  # (index, seconds to load)
        threading.Thread(target=self._run, name="aidxl-prefetch", daemon=True).start()

    def _run(self) -> None:
        # Imported here: this thread pays for duckdb and the search while the main thread imports Textual.
        from kb.catalog import open_catalog
        from tui.state.searching import load_index

        try:
            connection = open_catalog(self.catalog_path)
        except BaseException as error:  # handed to the app, which explains it
            self.connection.set_exception(error)
            self.index.set_exception(error)
            return
        self.connection.set_result(connection)
        started = time.perf_counter()
        cursor = connection.cursor()
        try:
            index = load_index(cursor, self.catalog_path)
        except BaseException as error:
            self.index.set_exception(error)
            return
        finally:
            cursor.close()
        self.index.set_result((index, time.perf_counter() - started))
