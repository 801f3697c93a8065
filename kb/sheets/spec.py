"""The sheet spec: what a style sheet shows and how its cells are generated, with a stable hash.

A spec comes from a TOML file (`load_spec_file`) or from values (`spec_from_values`); merging the
two with the defaults is `kb.sheets.options`. Setting names are `kb.settings.GenerationSettings`'
(`cfg_scale`; a file's or a sidecar's old `cfg` is still read).
Rows are style triggers or named blends written exactly as pasted (`(by yoneyama mai:0.9)`);
columns are seeds x base prompts; a baseline row (same prompt, no style) is on by default.
`spec_hash` is sha256 over a canonical JSON form of everything that changes a pixel or the
layout, so the same spec always names the same files (`sheet-<hash12>...`).
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.errors import SettingsError, SheetSpecError
from kb.settings import (
    DEFAULT_CFG,
    DEFAULT_EMPHASIS,
    DEFAULT_SAMPLER,
    DEFAULT_SIZE,
    EMPHASIS_MODES,
    SAMPLERS,
    sampler_named,
)
from kb.sheets.query import RowQuery, parse_row_query
from kb.utf8 import decode_utf8

SPEC_FORMAT = "aidxl-sheet-spec/1"
# The CFG scale's key before the spec took GenerationSettings' name: still read, and still the key
# hashed, so a sheet keeps its hash (and file names) across the rename.
LEGACY_CFG_KEY = "cfg"
STYLE_POSITIONS = ("first", "append")
DEFAULT_PAGE_ROWS = 8
DEFAULT_CELL_PX = 256
# Made-up control triggers per sheet (kb/sheets/controls.py): the null distribution a style's
# distance is tested against. 8 gives the t test 7 degrees of freedom at 8 extra rows.
DEFAULT_CONTROLS = 8
MAX_CONTROLS = 64
HASH_LENGTH = 12

_SIZE_PATTERN = re.compile(r"^\s*(\d+)\s*[xX×]\s*(\d+)\s*$")


@dataclass(frozen=True)
class SheetRow:
    """One row: a style trigger or a blend, as pasted (`(by yoneyama mai:0.9), by chi4`)."""

    style: str
    name: str | None = None  # a blend's short name, shown above its text

    @property
    def label(self) -> str:
        return self.style if self.name is None else f"{self.name}: {self.style}"


@dataclass(frozen=True)
class BasePrompt:
    """The rest of the prompt; `{style}` marks where the style goes, else assembly places it."""

    prompt: str
    name: str


@dataclass(frozen=True)
class SheetSpec:
    rows: tuple[SheetRow, ...]
    seeds: tuple[int, ...]
    bases: tuple[BasePrompt, ...]
    negative: str
    baseline: bool = True
    style_position: str = "first"
    sampler: str = DEFAULT_SAMPLER
    steps: int = SAMPLERS[DEFAULT_SAMPLER].default_steps
    cfg_scale: float = DEFAULT_CFG
    width: int = DEFAULT_SIZE[0]
    height: int = DEFAULT_SIZE[1]
    emphasis: str = DEFAULT_EMPHASIS
    model: str = "tiny-random"
    title: str = ""
    page_rows: int = DEFAULT_PAGE_ROWS
    cell_px: int = DEFAULT_CELL_PX
    controls: int = DEFAULT_CONTROLS
    # Where the rows came from when they were read from the catalog; not hashed (the rows are).
    query: RowQuery | None = field(default=None, compare=False)

    @property
    def size_text(self) -> str:
        return f"{self.width}x{self.height}"


def spec_to_dict(spec: SheetSpec) -> dict[str, Any]:
    """The hashed, serialised form (the sidecar's `spec`); `spec_from_dict` reads it back.

    `controls` is written only when there are some, so a sheet without controls keeps the hash
    it had before controls existed.
    """
    document: dict[str, Any] = {
        "format": SPEC_FORMAT,
        "title": spec.title,
        "rows": [{"style": row.style, "name": row.name} for row in spec.rows],
        "seeds": list(spec.seeds),
        "bases": [{"prompt": base.prompt, "name": base.name} for base in spec.bases],
        "negative": spec.negative,
        "baseline": spec.baseline,
        "style_position": spec.style_position,
        "sampler": spec.sampler,
        "steps": spec.steps,
        "cfg_scale": spec.cfg_scale,
        "size": spec.size_text,
        "emphasis": spec.emphasis,
        "model": spec.model,
        "page_rows": spec.page_rows,
        "cell_px": spec.cell_px,
    }
    if spec.controls:
        document["controls"] = spec.controls
    return document


def spec_from_dict(document: Mapping[str, Any]) -> SheetSpec:
    if document.get("format") != SPEC_FORMAT:
        raise SheetSpecError(f"sheet spec format {document.get('format')!r}, expected {SPEC_FORMAT!r}")
    width, height = parse_size(str(document["size"]), where="size")
    spec = SheetSpec(
        rows=tuple(SheetRow(style=row["style"], name=row.get("name")) for row in document["rows"]),
        seeds=tuple(int(seed) for seed in document["seeds"]),
        bases=tuple(BasePrompt(prompt=base["prompt"], name=base["name"]) for base in document["bases"]),
        negative=str(document["negative"]),
        baseline=bool(document["baseline"]),
        style_position=str(document["style_position"]),
        sampler=str(document["sampler"]),
        steps=int(document["steps"]),
        cfg_scale=float(document["cfg_scale"] if "cfg_scale" in document else document[LEGACY_CFG_KEY]),
        width=width,
        height=height,
        emphasis=str(document["emphasis"]),
        model=str(document["model"]),
        title=str(document["title"]),
        page_rows=int(document["page_rows"]),
        cell_px=int(document["cell_px"]),
        controls=int(document.get("controls", 0)),
    )
    validate_spec(spec)
    return spec


def spec_hash(spec: SheetSpec) -> str:
    """sha256 (hex, first 12 digits) of the canonical JSON of `spec_to_dict` (the CFG scale under
    its old key, `LEGACY_CFG_KEY`, so the rename changed no sheet's hash)."""
    document = spec_to_dict(spec)
    document[LEGACY_CFG_KEY] = document.pop("cfg_scale")
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:HASH_LENGTH]


def parse_size(text: str, *, where: str) -> tuple[int, int]:
    match = _SIZE_PATTERN.match(text)
    if match is None:
        raise SheetSpecError(f"{where}: size {text!r} is not WIDTHxHEIGHT (e.g. 1024x1024)")
    return int(match.group(1)), int(match.group(2))


def split_top_level(text: str, separator: str = ",") -> list[str]:
    """Split at separators outside brackets and escapes: `by a,(by b:0.9)` -> two items."""
    items: list[str] = []
    depth = 0
    current: list[str] = []
    index = 0
    while index < len(text):
        character = text[index]
        if character == "\\" and index + 1 < len(text):
            current.append(text[index : index + 2])
            index += 2
            continue
        if character in "([":
            depth += 1
        elif character in ")]":
            depth = max(0, depth - 1)
        if character == separator and depth == 0:
            items.append("".join(current).strip())
            current = []
        else:
            current.append(character)
        index += 1
    items.append("".join(current).strip())
    return [item for item in items if item]


def parse_seeds(text: str, *, where: str) -> tuple[int, ...]:
    """`1,2,3` or ranges `1-4` (inclusive)."""
    seeds: list[int] = []
    for part in (piece.strip() for piece in text.split(",")):
        if not part:
            continue
        first, dash, last = part.partition("-")
        try:
            if dash and first:
                seeds.extend(range(int(first), int(last) + 1))
            else:
                seeds.append(int(part))
        except ValueError:
            raise SheetSpecError(
                f"{where}: seed {part!r} is not a whole number or a range like 1-4"
            ) from None
    return tuple(seeds)


def short_base_name(prompt: str, index: int) -> str:
    """A column label for a base prompt: its first tags, cut to 24 characters."""
    text = prompt.replace("{style}", "").strip(" ,")
    if not text:
        return f"base {index + 1}"
    return text if len(text) <= 24 else text[:23].rstrip(" ,") + "…"


def validate_spec(spec: SheetSpec, *, where: str = "sheet spec") -> None:
    """Structural checks with messages that quote the bad value; the engine checks sizes further."""
    problems: list[str] = []
    if not spec.rows and not spec.baseline:
        problems.append("no rows: give styles (--styles, `rows`) or a catalog query")
    if not spec.seeds:
        problems.append("no seeds: give at least one (--seeds 1,2,3)")
    if any(seed < 0 or seed >= 2**32 for seed in spec.seeds):
        problems.append(f"seeds must be in 0..{2**32 - 1}: {list(spec.seeds)}")
    if len(set(spec.seeds)) != len(spec.seeds):
        problems.append(f"seeds repeat: {list(spec.seeds)}")
    if not spec.bases:
        problems.append('no base prompt: give one (--base "1girl, solo, upper body")')
    if len({row.style for row in spec.rows}) != len(spec.rows):
        seen: set[str] = set()
        repeated = [row.style for row in spec.rows if row.style in seen or seen.add(row.style)]  # type: ignore[func-returns-value]
        problems.append(f"rows repeat: {repeated}")
    if spec.steps < 1:
        problems.append(f"steps must be at least 1, got {spec.steps}")
    if not spec.cfg_scale > 0:
        problems.append(f"CFG scale must be above 0, got {spec.cfg_scale}")
    if spec.width < 8 or spec.height < 8:
        problems.append(f"size {spec.size_text} is too small")
    if spec.emphasis not in EMPHASIS_MODES:
        problems.append(f"emphasis {spec.emphasis!r} is not one of {', '.join(EMPHASIS_MODES)}")
    if spec.style_position not in STYLE_POSITIONS:
        problems.append(f"style_position {spec.style_position!r} is not one of {', '.join(STYLE_POSITIONS)}")
    if spec.page_rows < 1:
        problems.append(f"page_rows must be at least 1, got {spec.page_rows}")
    if not 0 <= spec.controls <= MAX_CONTROLS:
        problems.append(f"controls must be in 0..{MAX_CONTROLS}, got {spec.controls}")
    if not 16 <= spec.cell_px <= 2048:
        problems.append(f"cell_px must be in 16..2048, got {spec.cell_px}")
    if problems:
        raise SheetSpecError(f"{where}: " + "; ".join(problems))


def spec_from_values(
    *,
    rows: Sequence[SheetRow],
    seeds: Sequence[int],
    bases: Sequence[str | BasePrompt],
    negative: str,
    query: RowQuery | None = None,
    **settings: Any,
) -> SheetSpec:
    """A spec from already-split values (the CLI's flags); `settings` are SheetSpec fields."""
    base_prompts = tuple(
        base if isinstance(base, BasePrompt) else BasePrompt(prompt=base, name=short_base_name(base, index))
        for index, base in enumerate(bases)
    )
    if "steps" not in settings or settings["steps"] is None:
        try:
            settings["steps"] = sampler_named(settings.get("sampler") or DEFAULT_SAMPLER).default_steps
        except SettingsError as error:
            raise SheetSpecError(f"sheet options: {error}") from None
    settings = {key: value for key, value in settings.items() if value is not None}
    spec = SheetSpec(
        rows=tuple(rows), seeds=tuple(seeds), bases=base_prompts, negative=negative, query=query, **settings
    )
    validate_spec(spec, where="sheet options")
    return spec


# ----------------------------------------------------------------------------------------------
# TOML

_TOP_KEYS = frozenset(
    {
        "title",
        "rows",
        "row",
        "seeds",
        "base",
        "bases",
        "negative",
        "baseline",
        "style_position",
        "sampler",
        "steps",
        "cfg_scale",
        LEGACY_CFG_KEY,
        "size",
        "emphasis",
        "model",
        "page_rows",
        "cell_px",
        "controls",
        "query",
    }
)
_QUERY_KEYS = frozenset({"kind", "verified", "min_count", "limit", "verdict", "discovered", "text"})


@dataclass(frozen=True)
class SpecFile:
    """A parsed spec file before the catalog query and the default negative are resolved."""

    rows: tuple[SheetRow, ...]
    query: RowQuery | None
    seeds: tuple[int, ...]
    bases: tuple[BasePrompt, ...]
    negative: str | None
    settings: dict[str, Any]


def _line_of(source: str, key: str) -> int:
    """The first line that assigns or opens `key`, for `path:line:` messages (1 when not found)."""
    pattern = re.compile(rf"^\s*(\[\[?\s*{re.escape(key)}\s*\]\]?|{re.escape(key)}\s*=)", re.M)
    match = pattern.search(source)
    return source.count("\n", 0, match.start()) + 1 if match else 1


def load_spec_file(path: Path) -> SpecFile:
    """Read a sheet TOML (format in docs/sheets.md); errors say `path:line: reason`."""
    try:
        source = decode_utf8(path.read_bytes(), str(path))
    except OSError as error:
        raise SheetSpecError(f"{path}: cannot read the sheet spec ({error.strerror})") from None
    try:
        document = tomllib.loads(source)
    except tomllib.TOMLDecodeError as error:
        line = getattr(error, "lineno", None) or 1
        raise SheetSpecError(f"{path}:{line}: not valid TOML ({error})") from None

    def fail(key: str, reason: str) -> SheetSpecError:
        return SheetSpecError(f"{path}:{_line_of(source, key)}: {reason}")

    unknown = sorted(set(document) - _TOP_KEYS)
    if unknown:
        raise fail(unknown[0], f"unknown key {unknown[0]!r} (known: {', '.join(sorted(_TOP_KEYS))})")

    rows: list[SheetRow] = []
    for key in ("rows", "row"):
        entries = document.get(key, [])
        if not isinstance(entries, list):
            raise fail(key, f"`{key}` must be a list of styles or [[row]] tables")
        for entry in entries:
            if isinstance(entry, str):
                rows.append(SheetRow(style=entry.strip()))
            elif isinstance(entry, dict) and isinstance(entry.get("style"), str):
                extra = sorted(set(entry) - {"style", "name"})
                if extra:
                    raise fail(key, f"row {entry.get('style')!r}: unknown key {extra[0]!r}")
                name = entry.get("name")
                rows.append(SheetRow(style=entry["style"].strip(), name=str(name) if name else None))
            else:
                raise fail(key, f"row {entry!r} must be a string or a table with `style` (and `name`)")

    query: RowQuery | None = None
    if "query" in document:
        table = document["query"]
        if isinstance(table, str):
            query = parse_row_query(table, where=f"{path}:{_line_of(source, 'query')}")
        elif isinstance(table, dict):
            extra = sorted(set(table) - _QUERY_KEYS)
            if extra:
                raise fail(
                    "query", f"query: unknown key {extra[0]!r} (known: {', '.join(sorted(_QUERY_KEYS))})"
                )
            query = RowQuery(**table)
        else:
            raise fail(
                "query",
                "`query` must be words or a table (kind, verified, min_count, limit, verdict, discovered)",
            )

    seeds_value = document.get("seeds", [])
    if isinstance(seeds_value, str):
        seeds = parse_seeds(seeds_value, where=f"{path}:{_line_of(source, 'seeds')}")
    elif isinstance(seeds_value, list) and all(isinstance(seed, int) for seed in seeds_value):
        seeds = tuple(seeds_value)
    else:
        raise fail(
            "seeds", f'`seeds` must be a list of whole numbers or a string like "1-4", got {seeds_value!r}'
        )

    bases: list[BasePrompt] = []
    for key in ("bases", "base"):
        entries = document.get(key, [])
        if isinstance(entries, str):
            entries = [entries]
        if not isinstance(entries, list):
            raise fail(key, f"`{key}` must be a prompt, a list of prompts or [[base]] tables")
        for entry in entries:
            if isinstance(entry, str):
                bases.append(BasePrompt(prompt=entry, name=short_base_name(entry, len(bases))))
            elif isinstance(entry, dict) and isinstance(entry.get("prompt"), str):
                name = entry.get("name") or short_base_name(entry["prompt"], len(bases))
                bases.append(BasePrompt(prompt=entry["prompt"], name=str(name)))
            else:
                raise fail(key, f"base {entry!r} must be a string or a table with `prompt` (and `name`)")

    settings: dict[str, Any] = {}
    for key in ("title", "sampler", "emphasis", "model", "style_position"):
        if key in document:
            if not isinstance(document[key], str):
                raise fail(key, f"`{key}` must be a string, got {document[key]!r}")
            settings[key] = document[key]
    for key in ("steps", "page_rows", "cell_px", "controls"):
        if key in document:
            if not isinstance(document[key], int) or isinstance(document[key], bool):
                raise fail(key, f"`{key}` must be a whole number, got {document[key]!r}")
            settings[key] = document[key]
    if "cfg_scale" in document and LEGACY_CFG_KEY in document:
        raise fail(LEGACY_CFG_KEY, f"give `cfg_scale` or its old name `{LEGACY_CFG_KEY}`, not both")
    for key in ("cfg_scale", LEGACY_CFG_KEY):
        if key in document:
            if not isinstance(document[key], int | float) or isinstance(document[key], bool):
                raise fail(key, f"`{key}` must be a number, got {document[key]!r}")
            settings["cfg_scale"] = float(document[key])
    if "baseline" in document:
        if not isinstance(document["baseline"], bool):
            raise fail("baseline", f"`baseline` must be true or false, got {document['baseline']!r}")
        settings["baseline"] = document["baseline"]
    if "size" in document:
        settings["width"], settings["height"] = parse_size(
            str(document["size"]), where=f"{path}:{_line_of(source, 'size')}"
        )
    negative = document.get("negative")
    if negative is not None and not isinstance(negative, str):
        raise fail("negative", f"`negative` must be a prompt string, got {negative!r}")
    return SpecFile(
        rows=tuple(rows), query=query, seeds=seeds, bases=tuple(bases), negative=negative, settings=settings
    )
