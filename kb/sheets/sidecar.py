"""The sheet's JSON sidecar: the spec, the model, every page and every cell with its parameters.

Format `aidxl-sheet/1` (docs/sheets.md). Paths inside are relative to the sidecar's folder so a
sheet folder can be moved or shared; `cache_file` is the absolute path in the preview cache.
Written atomically (temp + rename) like every file a sheet writes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb.errors import SheetSpecError
from kb.outpath import atomic_write_bytes
from kb.sheets.spec import SheetSpec, spec_from_dict, spec_hash, spec_to_dict

SIDECAR_FORMAT = "aidxl-sheet/1"


@dataclass(frozen=True)
class SidecarCell:
    cell_id: str
    row: int
    column: int
    row_label: str
    column_label: str
    style: str | None
    seed: int
    base_name: str
    positive: str
    negative: str
    parameters: str  # the cell's own A1111 infotext, as its PNG carries it
    file: str | None  # relative to the sidecar; None when the cell is missing
    cache_file: str | None
    pages: tuple[int, ...]  # 1-based pages it appears on (the baseline is on every page)


def write_atomic(path: Path, data: bytes) -> None:
    """Write a sheet file atomically (kb.outpath: symlinks followed, non-regular targets refused)."""
    atomic_write_bytes(path, data, what="sheet file")


def sidecar_document(
    spec: SheetSpec,
    *,
    model: dict[str, Any],
    tool_version: str,
    composed_on: str,
    pages: list[dict[str, Any]],
    cells: list[SidecarCell],
    recognition: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "format": SIDECAR_FORMAT,
        "spec_hash": spec_hash(spec),
        "spec": spec_to_dict(spec),
        "query": None
        if spec.query is None
        else {
            "kind": spec.query.kind,
            "verified": spec.query.verified,
            "min_count": spec.query.min_count,
            "limit": spec.query.limit,
            "verdict": spec.query.verdict,
            "text": spec.query.text,
        },
        "model": model,
        "tool": {"name": "aidxl-kb", "version": tool_version},
        "composed_on": composed_on,
        "pages": pages,
        "cells": [
            {
                "id": cell.cell_id,
                "row": cell.row,
                "column": cell.column,
                "row_label": cell.row_label,
                "column_label": cell.column_label,
                "style": cell.style,
                "seed": cell.seed,
                "base": cell.base_name,
                "positive": cell.positive,
                "negative": cell.negative,
                "sampler": spec.sampler,
                "steps": spec.steps,
                "cfg_scale": spec.cfg_scale,
                "size": spec.size_text,
                "emphasis": spec.emphasis,
                "model": spec.model,
                "parameters": cell.parameters,
                "file": cell.file,
                "cache_file": cell.cache_file,
                "pages": list(cell.pages),
            }
            for cell in cells
        ],
        "missing": [cell.cell_id for cell in cells if cell.file is None],
        "recognition": recognition,
    }


def write_sidecar(path: Path, document: dict[str, Any]) -> None:
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    write_atomic(path, text.encode("utf-8"))


def read_sidecar(path: Path) -> tuple[SheetSpec, dict[str, Any]]:
    """The spec and the whole document; refuses another format or a hash that does not match."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise SheetSpecError(f"{path}: not a readable sheet sidecar ({error})") from None
    if document.get("format") != SIDECAR_FORMAT:
        raise SheetSpecError(f"{path}: format {document.get('format')!r}, expected {SIDECAR_FORMAT!r}")
    spec = spec_from_dict(document["spec"])
    if spec_hash(spec) != document.get("spec_hash"):
        raise SheetSpecError(f"{path}: spec hash {document.get('spec_hash')} does not match its spec")
    return spec, document
