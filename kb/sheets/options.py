"""A sheet spec from what the user gave: the one place sheet values are merged and defaults filled.

`aidxl sheet` gives its flags over a spec file, the explorer its builder's prompt and settings; both
call `merged_spec`. The rules:
- a value given wins over the spec file's, which wins over the default (`kb.settings`' defaults:
  sampler and its steps, CFG scale, size; three seeds; the default base prompt and negative);
- rows given replace the file's rows; a catalog query (given, else the file's; query fields given
  override its fields) adds its triggers after them, without repeats, and finding none is an error,
  as is a sheet with no style row at all (its baseline alone compares nothing);
- the model is the one given, else $AIDXL_MODEL or the config file; the tiny random-weight model
  draws at its own size (64x64) unless a size is given; a sampler is named as `kb.settings` names it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from kb.errors import SettingsError, SheetSpecError
from kb.paths import resolve_catalog_path
from kb.settings import (
    DEFAULT_BASE_PROMPT,
    DEFAULT_SHEET_SEEDS,
    TINY_MODEL_SIZE,
    default_negative,
    sampler_named,
)
from kb.sheets.query import RowQuery, describe_row_query, styles_from_catalog
from kb.sheets.render_cells import is_tiny_model, model_setting, resolve_model
from kb.sheets.spec import BasePrompt, SheetRow, SheetSpec, SpecFile, spec_from_values


@dataclass(frozen=True)
class SheetValues:
    """What the user gave for a sheet; None (or empty) for what they did not. `settings` holds the
    other `SheetSpec` fields by name (sampler, steps, cfg_scale, emphasis, title, controls, ...)."""

    rows: tuple[SheetRow, ...] = ()
    query: RowQuery | None = None
    query_fields: Mapping[str, Any] = field(default_factory=dict)  # RowQuery fields over the query
    seeds: tuple[int, ...] | None = None
    bases: tuple[str | BasePrompt, ...] = ()
    negative: str | None = None
    model: str | None = None  # a path or `tiny-random`; None: $AIDXL_MODEL or the config file
    size: tuple[int, int] | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)


def merged_spec(
    values: SheetValues, spec_file: SpecFile | None = None, *, catalog_path: Path | None = None
) -> SheetSpec:
    """The spec of `values` over `spec_file` over the defaults, with catalog rows resolved
    (`catalog_path` is read only when there is a query; None: the configured catalog)."""
    settings: dict[str, Any] = dict(spec_file.settings) if spec_file else {}
    settings.update({key: value for key, value in values.settings.items() if value is not None})
    model = model_setting(values.model or settings.get("model"))
    settings["model"] = model
    if values.size is not None:
        settings["width"], settings["height"] = values.size
    elif "width" not in settings and is_tiny_model(model):
        settings["width"], settings["height"] = TINY_MODEL_SIZE
    if settings.get("sampler") is not None:
        try:
            settings["sampler"] = sampler_named(settings["sampler"]).name
        except SettingsError as error:
            raise SheetSpecError(f"sheet options: {error}") from None

    rows = list(values.rows) or (list(spec_file.rows) if spec_file else [])
    query = merged_query(values, spec_file)
    if query is not None:
        rows += catalog_rows(query, model, rows, catalog_path)
    elif not rows:  # a sheet of the baseline row alone compares nothing
        raise SheetSpecError(
            "no style rows: give --styles, --style, --styles-file, --query or a --spec with rows"
        )

    seeds = values.seeds or (spec_file.seeds if spec_file and spec_file.seeds else DEFAULT_SHEET_SEEDS)
    bases = values.bases or (spec_file.bases if spec_file and spec_file.bases else (DEFAULT_BASE_PROMPT,))
    negative = values.negative
    if negative is None:
        negative = spec_file.negative if spec_file and spec_file.negative is not None else default_negative()
    return spec_from_values(
        rows=rows, seeds=seeds, bases=bases, negative=negative.strip(), query=query, **settings
    )


def merged_query(values: SheetValues, spec_file: SpecFile | None) -> RowQuery | None:
    """The query given (else the file's), with the query fields given over it; None: no query."""
    query = values.query or (spec_file.query if spec_file else None)
    fields = {key: value for key, value in values.query_fields.items() if value is not None}
    if fields:
        query = replace(query or RowQuery(), **fields)
    return query


def catalog_rows(
    query: RowQuery, model: str, rows: list[SheetRow], catalog_path: Path | None
) -> list[SheetRow]:
    """The query's triggers not among `rows`, for `model`'s recognition verdicts; none is an error."""
    have = {row.style for row in rows}
    found = styles_from_catalog(
        query, resolve_catalog_path(catalog_path), model_hash=resolve_model(model).model_hash
    )
    added = [SheetRow(style=style) for style in found if style not in have]
    if not rows and not added:
        raise SheetSpecError(
            f"the catalog query found no triggers: {describe_row_query(query)}; "
            "widen it (lower --min-count, no --verified) or give --styles"
        )
    return added
