"""Errors users see. Each message is a complete sentence naming the file or position at fault."""

from __future__ import annotations


class AidxlError(Exception):
    """Base of every error the CLI reports without a traceback (exit code 2)."""


class CatalogError(AidxlError):
    """The catalog is missing, unreadable or built by another schema version."""


class DamagedCatalogError(CatalogError):
    """The catalog file differs from what `aidxl ingest` wrote, or DuckDB finds a block that does not
    read back (kb.catalog_digest); `aidxl ingest` rebuilds it."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason  # how it is damaged, without the path and the advice


class CuratedDataError(AidxlError):
    """A curated list in kb/data is malformed (names the file and the entry)."""


class IngestError(AidxlError):
    """A source file cannot be ingested; the message lists `path:line: reason` for each problem."""


class NotUtf8Error(AidxlError):
    """Text read from an argument, stdin or a file is not valid UTF-8 (names where, and the byte)."""


class PromptSyntaxError(AidxlError):
    """A prompt the A1111 web UI itself rejects (e.g. a weight like `(a:1.2.3)`)."""

    def __init__(self, message: str, *, start: int, end: int) -> None:
        super().__init__(message)
        self.start = start
        self.end = end


class SheetSpecError(AidxlError):
    """A style-sheet spec (TOML file or flags) is invalid; names the file, line or flag at fault."""


class SheetError(AidxlError):
    """A style sheet cannot be planned, generated or composed (e.g. cells missing after a split run)."""


class ClipVocabularyError(AidxlError):
    """No provider gives the CLIP BPE vocabulary (`kb.prompt.clip_vocab`), or its file is unreadable."""


class SearchError(AidxlError):
    """A search request is invalid (e.g. an unknown `--kind`), or its index file cannot be used."""


class UsageStoreError(AidxlError):
    """The usage-count store under the state directory cannot be opened or written."""


class GenerationExtraMissing(AidxlError):
    """Previews and sheets were asked for, but the `gpu` extra (torch, diffusers, transformers) is not
    installed; the message names the missing library and the install command (kb.generate.extra)."""


class SettingsError(AidxlError):
    """A generation setting (size, aspect, sampler, steps, CFG) the model cannot use."""


class CharacterNotFoundError(AidxlError):
    """No character tag or alias in the catalog matches what the user typed."""


class UnknownCopyrightError(AidxlError):
    """No copyright tag matches what the user typed; the message suggests the nearest one."""

    def __init__(self, message: str, *, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.suggestion = suggestion  # canonical copyright tag, or None


class FeaturesNotFoundError(AidxlError):
    """A character whose appearance or outfit the catalog does not know (no chants source lists it)."""


class OutputPathError(AidxlError):
    """A file cannot be written where asked: the path names a directory, a FIFO, a device or a socket,
    its folder is read-only or missing, or the disk is full (kb.outpath)."""
