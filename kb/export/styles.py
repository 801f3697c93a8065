"""The A1111 / Forge web UI's `styles.csv`, both ways: blends and saved prompts as styles.

The web UI (modules/styles.py) reads `styles.csv` as UTF-8 with an optional byte-order mark, through
`csv.DictReader(skipinitialspace=True)`: columns `name,prompt,negative_prompt` (old files:
`name,text`), a row whose name starts with `#` is a comment, a later row of the same name wins.
Applying a style puts the user's prompt where the style says `{prompt}`, else appends the style
after it with `, `. It writes the file back with a BOM and CRLF line ends, keeping `styles.csv.bak`.

Export: a blend becomes `AIDXL blend: NAME` with prompt `(by a:0.9), by b, {prompt}` (styles
first: the card's order, earlier is stronger), no negative; a saved prompt becomes
`AIDXL prompt: NAME` with its positive and negative prompts. Merging into an existing file keeps
every other row as the web UI reads it, in place; a row of ours is replaced where it stood; new
ones go at the end. The file is replaced atomically, the old one kept as `styles.csv.bak`.

Import reads the same rules back: `AIDXL blend:` rows, and any row whose prompt is only `by ...`
style triggers (and `{prompt}`) with no negative prompt, are blends; other rows are saved prompts.
Weights are written so that the web UI reads exactly the stored float: a round trip loses nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kb.errors import AidxlError
from kb.export.files import back_up, write_export_file
from kb.knowledge.tagforms import escape_a1111
from kb.prompt.render import format_weight, parse_tags

BLEND_PREFIX = "AIDXL blend: "
PROMPT_PREFIX = "AIDXL prompt: "
PROMPT_PLACEHOLDER = "{prompt}"
COMMENT_PREFIX = "#"
OUR_COMMENT_PREFIX = "# aidxl-kb"
STYLE_COLUMNS = ("name", "prompt", "negative_prompt")
BOM = "\ufeff"
BACKUP_SUFFIX = ".bak"
STYLE_TRIGGER_PREFIX = "by "


class StylesFileError(AidxlError):
    """A styles.csv that cannot be read as the web UI reads it."""


@dataclass(frozen=True)
class StyleRow:
    name: str
    prompt: str
    negative_prompt: str


@dataclass(frozen=True)
class ImportedBlend:
    name: str
    styles: tuple[tuple[str, float], ...]  # (unescaped trigger text, weight)
    line: int


@dataclass(frozen=True)
class ImportedPrompt:
    name: str
    positive: str
    negative: str
    line: int
    placeholder_dropped: bool  # the style had `{prompt}`; a saved prompt has no place for it


@dataclass
class StylesFile:
    """A styles.csv as rows of fields (web UI reading rules), with what writing it back needs."""

    header: list[str]
    rows: list[tuple[int, list[str]]]  # (line number, fields), the header excluded
    has_bom: bool = True
    line_end: str = "\r\n"

    def column(self, name: str) -> int | None:
        return self.header.index(name) if name in self.header else None

    @property
    def name_column(self) -> int:
        index = self.column("name")
        assert index is not None  # read_styles_file refuses a file without one
        return index

    @property
    def prompt_column(self) -> int | None:
        found = self.column("prompt")
        return found if found is not None else self.column("text")

    def field_of(self, fields: list[str], index: int | None) -> str:
        return fields[index] if index is not None and index < len(fields) else ""


def new_styles_file() -> StylesFile:
    return StylesFile(list(STYLE_COLUMNS), [])


# ------------------------------------------------------------------ writing


def weight_text(weight: float) -> str:
    """The shortest text the web UI reads back as exactly `weight`: `0.9`, `1.25`, `0.8125`."""
    short = format_weight(weight)
    return short if float(short) == weight else repr(float(weight))


def blend_prompt(styles: Sequence[tuple[str, float]]) -> str:
    """`(by yoneyama mai:0.9), by chi4, {prompt}`: the blend before the user's prompt."""
    tags = []
    for text, weight in styles:
        escaped = escape_a1111(text.strip())
        tags.append(escaped if weight == 1.0 else f"({escaped}:{weight_text(weight)})")
    return ", ".join([*tags, PROMPT_PLACEHOLDER])


def blend_style(name: str, styles: Sequence[tuple[str, float]]) -> StyleRow:
    return StyleRow(BLEND_PREFIX + name, blend_prompt(styles), "")


def prompt_style(name: str, positive: str, negative: str) -> StyleRow:
    return StyleRow(PROMPT_PREFIX + name, positive, negative)


def comment_row(text: str) -> StyleRow:
    return StyleRow(f"{OUR_COMMENT_PREFIX} {text}", "", "")


@dataclass
class MergeReport:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: int = 0  # other rows of the file, kept as they were
    changed: bool = False
    backup: Path | None = None


def merge_styles(existing: StylesFile, ours: Sequence[StyleRow], comment: StyleRow | None) -> MergeReport:
    """Put `ours` into `existing` (in place): same-named rows replaced where they stand, new ones
    appended, our comment row first; every other row untouched."""
    report = MergeReport()
    name_column = existing.name_column
    prompt_column = existing.prompt_column
    if prompt_column is None:
        existing.header.append("prompt")
        prompt_column = len(existing.header) - 1
    negative_column = existing.column("negative_prompt")
    if negative_column is None:
        existing.header.append("negative_prompt")
        negative_column = len(existing.header) - 1
    width = len(existing.header)

    def fields_of(row: StyleRow, template: list[str] | None) -> list[str]:
        fields = list(template) if template is not None else []
        fields += [""] * (width - len(fields))
        fields[name_column], fields[prompt_column], fields[negative_column] = (
            row.name,
            row.prompt,
            row.negative_prompt,
        )
        return fields

    wanted = {row.name: row for row in ours}
    placed: set[str] = set()
    merged: list[tuple[int, list[str]]] = []
    if comment is not None:
        merged.append((0, fields_of(comment, None)))
    for line, fields in existing.rows:
        name = existing.field_of(fields, name_column)
        if name.startswith(OUR_COMMENT_PREFIX):
            continue  # the comment of an earlier export: replaced by this one's
        row = wanted.get(name)
        if row is None:
            merged.append((line, fields))
            report.kept += fields != []
            continue
        if name in placed:
            continue  # a second row of one of our names: the web UI would read only the last
        placed.add(name)
        before = (existing.field_of(fields, prompt_column), existing.field_of(fields, negative_column))
        (report.unchanged if before == (row.prompt, row.negative_prompt) else report.replaced).append(name)
        merged.append((line, fields_of(row, fields)))
    # A saved prompt that `aidxl import styles` took from one of the user's own rows is that row:
    # writing it again as `AIDXL prompt: NAME` would copy it at every export.
    users_own: dict[str, tuple[str, str]] = {}
    for line, fields in existing.rows:
        name = existing.field_of(fields, name_column).strip()
        if name and not name.startswith((BLEND_PREFIX.rstrip(), PROMPT_PREFIX.rstrip(), OUR_COMMENT_PREFIX)):
            user_row = StyleRow(
                name, existing.field_of(fields, prompt_column), existing.field_of(fields, negative_column)
            )
            imported = classify_style(line, user_row)
            if isinstance(imported, ImportedPrompt):
                users_own[name] = (imported.positive, imported.negative)
    for row in ours:
        if row.name in placed:
            continue
        placed.add(row.name)
        bare_name = row.name[len(PROMPT_PREFIX) :] if row.name.startswith(PROMPT_PREFIX) else None
        if bare_name is not None and users_own.get(bare_name) == (row.prompt, row.negative_prompt):
            report.unchanged.append(row.name)
            continue
        report.added.append(row.name)
        merged.append((0, fields_of(row, None)))
    existing.rows = merged
    return report


def render_styles_file(styles_file: StylesFile) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=styles_file.line_end, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(styles_file.header)
    for _, fields in styles_file.rows:
        writer.writerow(fields)
    return ((BOM if styles_file.has_bom else "") + buffer.getvalue()).encode("utf-8")


def write_styles(
    path: Path, ours: Sequence[StyleRow], comment: StyleRow | None = None, *, dry_run: bool = False
) -> MergeReport:
    """Merge `ours` into the styles file at `path` (created when missing); write it atomically,
    keeping the previous file as `<path>.bak`, only when its bytes change."""
    existed = path.is_file()
    if path.is_dir():
        raise StylesFileError(f"{path}: is a folder; give the styles.csv file")
    styles_file = read_styles_file(path) if existed else new_styles_file()
    old_bytes = path.read_bytes() if existed else None
    report = merge_styles(styles_file, ours, comment)
    new_bytes = render_styles_file(styles_file)
    report.changed = new_bytes != old_bytes
    if report.changed and not dry_run:
        if existed:
            backup = path.with_name(path.name + BACKUP_SUFFIX)
            back_up(path, backup)
            report.backup = backup
        write_export_file(path, new_bytes)
    return report


# ------------------------------------------------------------------ reading


def read_styles_file(path: Path) -> StylesFile:
    """Rows as the web UI's reader sees them; a file it could not read is an error naming the line."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise StylesFileError(f"{path}: cannot read: {error.strerror or error}") from error
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise StylesFileError(f"{path}:{line}: not UTF-8 text (the web UI reads styles as UTF-8)") from error
    has_bom = text.startswith(BOM)
    text = text.removeprefix(BOM)
    line_end = "\r\n" if "\r\n" in text or not text else "\n"
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True)
    try:
        header = next(reader, None)
        if header is None:
            raise StylesFileError(f"{path}: empty file; a styles file starts with the header name,prompt,...")
        if "name" not in header:
            raise StylesFileError(f"{path}:1: the header has no `name` column: {','.join(header)}")
        rows = [(reader.line_num, fields) for fields in reader]
    except csv.Error as error:
        raise StylesFileError(f"{path}:{reader.line_num}: {error}") from error
    return StylesFile(header, rows, has_bom, line_end)


def styles_of(styles_file: StylesFile) -> list[tuple[int, StyleRow]]:
    """(line, style) for each row the web UI would load: not blank, not a `#` comment."""
    styles: list[tuple[int, StyleRow]] = []
    for line, fields in styles_file.rows:
        if not fields:
            continue
        name = styles_file.field_of(fields, styles_file.name_column)
        if name.startswith(COMMENT_PREFIX):
            continue
        prompt = styles_file.field_of(fields, styles_file.prompt_column)
        negative = styles_file.field_of(fields, styles_file.column("negative_prompt"))
        styles.append((line, StyleRow(name, prompt, negative)))
    return styles


def blend_of(prompt: str) -> tuple[tuple[str, float], ...] | None:
    """The styles of a prompt that holds only `by ...` style triggers (and `{prompt}`), else None."""
    tags = [(text, weight) for text, weight in parse_tags(prompt) if text.strip() != PROMPT_PLACEHOLDER]
    if not tags or not all(text.startswith(STYLE_TRIGGER_PREFIX) for text, _ in tags):
        return None
    return tuple((text, weight) for text, weight in tags)


def classify_style(line: int, row: StyleRow) -> ImportedBlend | ImportedPrompt:
    name = row.name.strip()
    as_prompt = name.startswith(PROMPT_PREFIX.rstrip())
    bare_name = name
    for prefix in (BLEND_PREFIX.rstrip(), PROMPT_PREFIX.rstrip()):
        if name.startswith(prefix):
            bare_name = name[len(prefix) :].strip()
    blend = None if as_prompt or row.negative_prompt.strip() else blend_of(row.prompt)
    if blend is not None:
        return ImportedBlend(bare_name, blend, line)
    positive = row.prompt
    dropped = PROMPT_PLACEHOLDER in positive
    if dropped:
        parts = [part.strip() for part in positive.split(PROMPT_PLACEHOLDER)]
        positive = ", ".join(part.strip(" ,") for part in parts if part.strip(" ,"))
    return ImportedPrompt(bare_name, positive, row.negative_prompt, line, dropped)


def read_styles(path: Path, notes: list[str] | None = None) -> list[ImportedBlend | ImportedPrompt]:
    """Every style of a styles.csv as a blend or a saved prompt; a later row of a name wins (the
    web UI's rule), so each name comes once. A row without a name, or with neither a prompt nor a
    negative prompt (a divider such as `---- Negative ----`), is left out, with a `path:line` line
    in `notes`."""
    latest: dict[str, ImportedBlend | ImportedPrompt] = {}
    for line, row in styles_of(read_styles_file(path)):
        imported = classify_style(line, row)
        why_not = None
        if not imported.name.strip():
            why_not = "a style without a name"
        elif not row.prompt.strip() and not row.negative_prompt.strip():
            why_not = f"style {imported.name!r} is empty"
        if why_not is not None:
            if notes is not None:
                notes.append(f"{path}:{line}: {why_not}, left out")
            continue
        key = ("blend:" if isinstance(imported, ImportedBlend) else "prompt:") + imported.name
        latest.pop(key, None)
        latest[key] = imported
    return list(latest.values())
