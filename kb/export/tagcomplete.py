"""Autocomplete CSVs: a1111-sd-webui-tagcomplete's tag files and ComfyUI-Autocomplete-Plus's user CSV.

tag-autocomplete (DominikDoom/a1111-sd-webui-tagcomplete) reads `name,category,count,"alias1,alias2"`,
no header, RFC 4180 quoting (a quoted field may hold commas; `""` is a quote), from
`extensions/a1111-sd-webui-tagcomplete/tags/`. As the *extra file* (settings: "Extra filename") the
third column is shown as-is beside the name, and the name is inserted without escaping brackets;
as the main *tag file* it escapes them itself. So the two targets differ in one thing: the extra
file holds the A1111 form (`frieren \\(sousou no frieren\\)`), the tag file the plain form. Names keep
spaces (`by yoneyama mai`): they are inserted exactly as AIDXL reads them, whatever the completer's
"replace underscores" setting, and it finds them by any word (`yoneyama`).

ComfyUI-Autocomplete-Plus (newtextdoc1111) reads `data/danbooru_tags*.csv`: an optional header
`tag,category,count,alias`, exactly four columns, one row per line, a whole-number count (it sorts by
it; a row without one is skipped). It searches and stores tags in Danbooru form (spaces typed become
underscores) and on insertion turns underscores into spaces and escapes brackets: so names are the
canonical underscore form, unescaped (`by_yoneyama_mai`, `frieren_(sousou_no_frieren)`).

Neither format has comments: the provenance goes in a sidecar (`kb.export.provenance`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from kb.export.entries import ExportEntry
from kb.knowledge.tagforms import escape_a1111, to_canonical
from kb.schema import Category, TriggerKind, TriggerTier


class CompleterFormat(StrEnum):
    TAGCOMPLETE = "tagcomplete"
    AUTOCOMPLETE_PLUS = "autocomplete-plus"


class TagcompleteTarget(StrEnum):
    """Which of tag-autocomplete's two CSV settings the file is for."""

    EXTRA = "extra"  # "Extra filename": inserted verbatim, so written in A1111 form
    MAIN = "main"  # "Tag filename": the completer escapes brackets itself


# The completers colour rows by Danbooru category: styles as artists (1), characters (4),
# copyrights (3); painting styles as general tags (0, Danbooru's media tags are); quality and
# aesthetic tags as meta (5), like tag-autocomplete's own extra-quality-tags.csv.
CATEGORY_OF_KIND: dict[TriggerKind, Category] = {
    TriggerKind.ARTIST_STYLE: Category.ARTIST,
    TriggerKind.CHARACTER: Category.CHARACTER,
    TriggerKind.COPYRIGHT: Category.COPYRIGHT,
    TriggerKind.PAINTING_STYLE: Category.GENERAL,
    TriggerKind.QUALITY: Category.META,
    TriggerKind.AESTHETIC: Category.META,
}
AUTOCOMPLETE_PLUS_HEADER = ("tag", "category", "count", "alias")


@dataclass(frozen=True)
class CompleterRow:
    name: str
    category: int
    count: str  # digits, or "" where no count is known (tag-autocomplete shows "Custom tag")
    aliases: tuple[str, ...]

    def fields(self) -> list[str]:
        return [self.name, str(self.category), self.count, ",".join(self.aliases)]


@dataclass(frozen=True)
class CompleterExport:
    rows: tuple[CompleterRow, ...]
    text: str
    verified_styles: tuple[str, ...]  # the verified style triggers exported, as typed: by xxx


def completer_rows(
    entries: Sequence[ExportEntry], export_format: CompleterFormat, target: TagcompleteTarget
) -> list[CompleterRow]:
    rows: list[CompleterRow] = []
    for entry in entries:
        if export_format is CompleterFormat.AUTOCOMPLETE_PLUS:
            name = to_canonical(entry.text)
            count = str(entry.count if entry.count is not None else 0)
        else:
            name = escape_a1111(entry.text) if target is TagcompleteTarget.EXTRA else entry.text
            count = str(entry.count) if entry.count is not None else ""
        rows.append(CompleterRow(name, int(CATEGORY_OF_KIND[entry.kind]), count, entry.aliases))
    return rows


def render_csv(rows: Sequence[CompleterRow], export_format: CompleterFormat) -> str:
    """RFC 4180 with minimal quoting and LF line ends, as tag-autocomplete's own danbooru.csv."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    if export_format is CompleterFormat.AUTOCOMPLETE_PLUS:
        writer.writerow(AUTOCOMPLETE_PLUS_HEADER)
    for row in rows:
        writer.writerow(row.fields())
    return buffer.getvalue()


def export_completer_csv(
    entries: Sequence[ExportEntry],
    export_format: CompleterFormat = CompleterFormat.TAGCOMPLETE,
    target: TagcompleteTarget = TagcompleteTarget.EXTRA,
) -> CompleterExport:
    rows = completer_rows(entries, export_format, target)
    verified_styles = tuple(
        entry.text
        for entry in entries
        if entry.kind is TriggerKind.ARTIST_STYLE and entry.tier is TriggerTier.VERIFIED
    )
    return CompleterExport(tuple(rows), render_csv(rows, export_format), verified_styles)
