"""What the explorer's actions do, apart from the screen: copy, export, paste, fixes, previews.

No textual here; the views call these and show the result. The builder's model, paste, fixes and
jobs are `kb.workbench`'s; this module names them for the explorer and adds what only the explorer
does (favourites, clipboard fallback, exports; the palette is tui/keys.py's).
"""

from __future__ import annotations

import json
import shlex
import sqlite3
import sys
import time
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb

from kb.errors import AidxlError
from kb.generate.cache import find_previews
from kb.knowledge.tagforms import unescape_a1111
from kb.paths import state_dir
from kb.settings import default_negative
from kb.usage import record_copy, record_prompt
from kb.workbench.fixes import apply_fix, entry_for_span, fixed_tag, lint_fixes_of_unknown_entries, tag_at
from kb.workbench.importing import ImportedPrompt, import_source
from kb.workbench.jobs import PreviewOutcome, PreviewSpec, prepare, preview_spec, run_preview
from kb.workbench.linting import lint_context
from tui.state.builder import BuilderState
from tui.state.rendering import CatalogContext, RenderedPrompt
from tui.state.searching import ResultRow, run_search

CLIPBOARD_FALLBACK_NAME = "clipboard.txt"
EXPORT_DIR_NAME = "exports"
SOURCES_CONFIG = "sources.toml"
FAVOURITE_LOOKUP_LIMIT = 10  # hits searched for a favourite's own row (its text is an exact match)

def ingest_arguments(cwd: Path | None = None) -> list[str]:
    """What `aidxl ingest` needs to build a catalog here: the checkout's sources.toml when every
    file it names is present (the demo data beside the checkout), else the registry's public
    sources (`--fetch`: downloads when online, the curated lists alone offline)."""
    config = (cwd or Path.cwd()) / SOURCES_CONFIG
    if config.is_file():
        from ingest.specs import load_sources_config

        try:
            specs = load_sources_config(config)
        except AidxlError:
            specs = []
        if specs and all(spec.path is None or spec.path.is_file() for spec in specs):
            return ["--config", str(config)]
    return ["--fetch"]


def ingest_argv(catalog_path: Path, cwd: Path | None = None) -> list[str]:
    """The ingest the "no catalog" screen runs, as a subprocess of this interpreter."""
    return [sys.executable, "-m", "tui.cli", "ingest", *ingest_arguments(cwd), "--catalog", str(catalog_path)]


def ingest_command_line(cwd: Path | None = None) -> str:
    return shlex.join(["aidxl", "ingest", *ingest_arguments(cwd)])


# ------------------------------------------------------------------ favourites


def favourite_key(row: ResultRow) -> str:
    return json.dumps([row.prompt, row.kind, row.tag])


def favourite_rows(keys: Iterable[str], index: Any = None) -> list[ResultRow]:
    """The favourites as result rows; with the search index, each with its posts, tier and verdict
    as a search shows it (the row the index gives for its text and kind)."""
    rows = []
    for key in keys:
        try:
            prompt, kind, tag = json.loads(key)
        except (ValueError, TypeError):
            continue
        row = ResultRow(prompt, tag, kind, None, None, False, "favourite", None, None)
        if index is not None:
            found = next(
                (
                    found
                    for found in run_search(index, unescape_a1111(prompt), kind, limit=FAVOURITE_LOOKUP_LIMIT)
                    if found.prompt == prompt
                ),
                None,
            )
            if found is not None:
                row = replace(found, match="favourite", alias=None)
        rows.append(row)
    return rows


# ------------------------------------------------------------- copy, export


def clipboard_text(rendered: RenderedPrompt, which: str) -> str:
    if which == "positive":
        return rendered.positive
    if which == "negative":
        return rendered.negative
    return f"{rendered.positive}\nNegative prompt: {rendered.negative}"


def write_clipboard_fallback(text: str) -> Path:
    """Terminals without OSC 52 drop the clipboard write silently; the file always has it."""
    path = state_dir() / CLIPBOARD_FALLBACK_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def parameters_text(state: BuilderState, rendered: RenderedPrompt) -> str:
    """A1111's `parameters` layout, which web UIs' PNG-info and civitai read back."""
    settings = state.settings
    return (
        f"{rendered.positive}\nNegative prompt: {rendered.negative}\n"
        f"Steps: {settings.steps}, Sampler: {settings.sampler}, CFG scale: {settings.cfg_scale:g}, "
        f"Seed: {settings.seed}, Size: {settings.width}x{settings.height}"
    )


def export_prompt(
    state: BuilderState, rendered: RenderedPrompt, kind: str, directory: Path | None = None
) -> Path:
    target_dir = directory if directory is not None else state_dir() / EXPORT_DIR_NAME
    target_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    if kind == "json":
        path = target_dir / f"prompt-{stamp}.json"
        document = {
            "positive": rendered.positive,
            "negative": rendered.negative,
            "settings": state.settings.to_json(),
            "builder": state.to_json(),
        }
        path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    else:
        path = target_dir / f"prompt-{stamp}.txt"
        path.write_text(parameters_text(state, rendered) + "\n", encoding="utf-8")
    return path


def record_usage(state: BuilderState, action: str) -> None:
    """Feed the search's usage bias (kb.usage): entries of a copied or exported prompt."""
    texts = [entry.text for entry in state.entries if entry.known]
    try:
        if action == "copy":
            record_copy(texts)
        else:
            record_prompt(texts)
    except (AidxlError, OSError, sqlite3.Error):
        return  # the bias is a nicety; never fail a copy over it


# ------------------------------------------------------------- lint, paste


def catalog_context(cursor: duckdb.DuckDBPyConnection | None, index: Any) -> CatalogContext | None:
    """Lint against the catalog (known tags, verified triggers) with the search's suggestions:
    the same context `aidxl prompt lint` and `aidxl prompt import` use (kb.workbench.linting)."""
    return lint_context(cursor, index)


def import_pasted(text: str, connection: duckdb.DuckDBPyConnection | None, index: Any) -> ImportedPrompt:
    """A pasted prompt, infotext or PNG path → what the builder would hold (kb.workbench.importing,
    the function `aidxl prompt import` prints). Raises PromptImportError for a PNG without a prompt."""
    cursor = connection.cursor() if connection is not None else None
    try:
        return import_source(text, lint_context(cursor, index))
    finally:
        if cursor is not None:
            cursor.close()


# ---------------------------------------------------------------- previews


def explorer_error_line(error: BaseException) -> str:
    """An error as the explorer says it: no model chosen names the explorer's ways to choose one
    (the settings dialog, `aidxl explore --model`, $AIDXL_MODEL, the config file); other errors
    kb's advice for a program without generation flags where it has one."""
    from kb.generate.loading import NoModelConfigured
    from kb.generate.model_choice import how_to_choose_a_model

    if isinstance(error, NoModelConfigured):
        return f"No model is configured; {how_to_choose_a_model()}."
    return str(getattr(error, "without_flags", None) or error)


def cached_thumbnail(trigger: str) -> Path | None:
    """The newest cached preview thumbnail of a trigger, without torch; None when there is none."""
    previews = find_previews(trigger)
    return Path(previews[0].thumbnail_path) if previews else None


__all__ = [
    "PreviewOutcome",
    "PreviewSpec",
    "apply_fix",
    "default_negative",
    "entry_for_span",
    "fixed_tag",
    "lint_fixes_of_unknown_entries",
    "prepare",
    "preview_spec",
    "run_preview",
    "tag_at",
]
