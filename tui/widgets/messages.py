"""Messages that workers post to the app; handlers in tui/app.py apply them to widgets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.message import Message

from tui.state.catalog_view import EntryDetail
from tui.state.rendering import RenderedPrompt


class SearchIndexReady(Message):
    def __init__(self, generation: int, index: Any, seconds: float) -> None:
        super().__init__()
        self.generation = generation
        self.index = index
        self.seconds = seconds


class SearchUnavailable(Message):
    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class SearchResults(Message):
    """Hits for `query` under `kind_filter`; the handler drops them when the input moved on."""

    def __init__(self, query: str, kind_filter: str | None, hits: list[Any], milliseconds: float) -> None:
        super().__init__()
        self.query = query
        self.kind_filter = kind_filter
        self.hits = hits
        self.milliseconds = milliseconds


class DetailLoaded(Message):
    def __init__(
        self, key: str, detail: EntryDetail | None, error: str | None = None, thumbnail: Path | None = None
    ) -> None:
        super().__init__()
        self.key = key
        self.thumbnail = thumbnail  # the newest cached preview of this trigger
        self.detail = detail
        self.error = error


class PromptRendered(Message):
    def __init__(self, generation: int, rendered: RenderedPrompt) -> None:
        super().__init__()
        self.generation = generation
        self.rendered = rendered


class PastedPromptParsed(Message):
    def __init__(self, entries: list[Any], problems: list[str]) -> None:
        super().__init__()
        self.entries = entries
        self.problems = problems


class PreviewProgress(Message):
    def __init__(self, step: int, total: int) -> None:
        super().__init__()
        self.step = step
        self.total = total


class PreviewFinished(Message):
    def __init__(self, image_path: str | None, message: str) -> None:
        super().__init__()
        self.image_path = image_path
        self.message = message


class CatalogReplaced(Message):
    """The catalog file on disk is a different file than the one open (an ingest swapped it)."""


class IngestFinished(Message):
    def __init__(self, return_code: int, output_tail: str) -> None:
        super().__init__()
        self.return_code = return_code
        self.output_tail = output_tail


class SheetCellDone(Message):
    def __init__(self, done: int, total: int) -> None:
        super().__init__()
        self.done = done
        self.total = total


class SheetFinished(Message):
    """A sheet ended: `page`/`html` set when it composed, else `message` says why not."""

    def __init__(self, page: str | None, html: str | None, message: str) -> None:
        super().__init__()
        self.page = page
        self.html = html
        self.message = message
