"""Messages that workers post to the view (or app) that started them; its `@on` handlers apply them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.message import Message

from tui.state.catalog_view import EntryDetail
from tui.state.character_features import FeaturePart
from tui.state.rendering import RenderedPrompt
from tui.state.searching import CopyrightScope, SearchFilter
from tui.state.sources import CatalogSources

if TYPE_CHECKING:
    from kb.knowledge.author_tables import AuthorTables
    from kb.knowledge.character_info import CharacterInfo
    from tui.state.detail_cache import CachedDetail


class WorkerMessage(Message, bubble=False):
    """Posted by a worker to the view (or app) that started it and handled there: it does not
    bubble on to the parents (nothing else handles it, and every hop costs a turn of the loop)."""


class SearchIndexReady(WorkerMessage):
    def __init__(self, generation: int, index: Any, seconds: float) -> None:
        super().__init__()
        self.generation = generation
        self.index = index
        self.seconds = seconds


class SearchUnavailable(WorkerMessage):
    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class SearchResults(WorkerMessage):
    """Hits for `query` under `search_filter`; the handler drops them when the input moved on."""

    def __init__(
        self,
        query: str,
        search_filter: SearchFilter,
        hits: list[Any],
        milliseconds: float,
        total: int | None = None,
        *,
        favourites: bool = False,
        offset: int = 0,
        detail_follows: str | None = None,
        details: dict[str, CachedDetail] | None = None,
    ) -> None:
        super().__init__()
        self.query = query
        self.search_filter = search_filter
        self.hits = hits
        self.milliseconds = milliseconds
        self.total = total  # how many entries the whole list has (None: not counted)
        self.favourites = favourites  # the empty search box's favourites
        self.offset = offset  # 0: a new list; else the next page of the list shown, from this row
        self.detail_follows = detail_follows  # the row key whose detail the same worker posts next
        self.details = details or {}  # the first rows' details, read with the results (by row key)


class CopyrightListed(WorkerMessage):
    """A copyright's characters were read (`scope`), or `error` says why not."""

    def __init__(self, scope: CopyrightScope | None, error: str | None = None) -> None:
        super().__init__()
        self.scope = scope
        self.error = error


class CharacterInfoLoaded(WorkerMessage):
    """A character's info, read to add its `part` (appearance or outfit) to the builder."""

    def __init__(
        self,
        generation: int,
        prompt: str,
        kind: str,
        tag: str | None,
        part: FeaturePart,
        info: CharacterInfo | None,
        tables: AuthorTables | None = None,
    ) -> None:
        super().__init__()
        self.generation = generation  # the catalog (re)load it was read from
        self.prompt = prompt
        self.kind = kind
        self.tag = tag
        self.part = part
        self.info = info
        self.tables = tables  # the catalog's author tables: which features another implies


class SourcesChecked(WorkerMessage):
    """The registry sources the catalog of `generation` lacks."""

    def __init__(self, generation: int, sources: CatalogSources) -> None:
        super().__init__()
        self.generation = generation
        self.sources = sources


class DetailLoaded(WorkerMessage):
    def __init__(
        self,
        key: str,
        detail: EntryDetail | None,
        error: str | None = None,
        thumbnail: Path | None = None,
        *,
        generation: int = 0,
        tables: AuthorTables | None = None,
        thumbnail_only: bool = False,
    ) -> None:
        super().__init__()
        self.key = key
        self.thumbnail_only = thumbnail_only  # a cached detail's preview looked up afresh
        self.thumbnail = thumbnail  # the newest cached preview of this trigger
        self.detail = detail
        self.error = error
        self.generation = generation  # the catalog (re)load it was read from
        self.tables = tables  # a character's: the author's tables, for ctrl+n / ctrl+o


class PromptRendered(WorkerMessage):
    def __init__(self, generation: int, rendered: RenderedPrompt) -> None:
        super().__init__()
        self.generation = generation
        self.rendered = rendered


class PastedPromptParsed(WorkerMessage):
    def __init__(self, entries: list[Any], problems: list[str]) -> None:
        super().__init__()
        self.entries = entries
        self.problems = problems


class PreviewProgress(WorkerMessage):
    def __init__(self, step: int, total: int, reading: Any = None) -> None:
        super().__init__()
        self.step = step
        self.total = total
        self.reading = reading  # kb.generate.progress.ProgressReading: `step 7/20 · 0.40 s/step · ETA 0:05`


class PreviewFinished(WorkerMessage):
    def __init__(self, image_path: str | None, message: str, outcome: Any = None) -> None:
        super().__init__()
        self.image_path = image_path
        self.message = message
        self.outcome = outcome  # kb.workbench.jobs.PreviewOutcome when an image was made


class CatalogReplaced(WorkerMessage):
    """The catalog file on disk is a different file than the one open (an ingest swapped it)."""


class IngestFinished(WorkerMessage):
    def __init__(self, return_code: int, output_tail: str) -> None:
        super().__init__()
        self.return_code = return_code
        self.output_tail = output_tail


class SheetCellDone(WorkerMessage):
    def __init__(self, done: int, total: int, reading: Any = None) -> None:
        super().__init__()
        self.done = done
        self.total = total
        self.reading = reading  # kb.generate.progress.ProgressReading: `cell 5/40 · 2.1 s/cell · ETA 1:13`


class SheetFinished(WorkerMessage):
    """A sheet ended: `page`/`html` set when it composed, else `message` says why not."""

    def __init__(self, page: str | None, html: str | None, message: str, outcome: Any = None) -> None:
        super().__init__()
        self.page = page
        self.html = html
        self.message = message
        self.outcome = outcome  # kb.workbench.jobs.SheetOutcome when pages were composed
