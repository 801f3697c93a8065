"""A small static HTML index: every page image, each cell's full prompt on hover and on click.

No script: each cell is an `<a class="cell">` laid over the page image at its box (percent
coordinates, so the page may scale); its `title` shows the prompt on hover, and a click jumps to
the cell's entry in the page's table (highlighted with `:target`), which lists row, column,
seed, the full positive and negative prompt and a link to the cell image.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from kb.sheets.compose import Box


@dataclass(frozen=True)
class IndexCell:
    cell_id: str
    row_label: str
    column_label: str
    seed: int
    positive: str
    negative: str
    file: str | None  # relative link to the cell image; None when missing
    box: Box


@dataclass(frozen=True)
class IndexPage:
    number: int
    file: str
    width: int
    height: int
    cells: tuple[IndexCell, ...]


_STYLE = """
body { font-family: sans-serif; margin: 1.5em; color: #222; }
.sheet { position: relative; display: inline-block; max-width: 100%; }
.sheet img { display: block; max-width: 100%; height: auto; }
a.cell { position: absolute; box-sizing: border-box; }
a.cell:hover { outline: 3px solid #2a6bd8; }
table.cells { border-collapse: collapse; margin: 1em 0 2.5em; font-size: 0.9em; }
table.cells td, table.cells th {
  border: 1px solid #ccc; padding: 0.25em 0.5em; vertical-align: top; text-align: left;
}
table.cells tr:target { background: #fff3b0; }
.prompt { font-family: monospace; white-space: pre-wrap; }
"""


def _percent(value: int, whole: int) -> str:
    return f"{100 * value / whole:.4f}%"


def render_index(title: str, pages: Sequence[IndexPage], settings_lines: Sequence[str]) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        '<p class="settings">' + "<br>".join(escape(line) for line in settings_lines) + "</p>",
        '<nav><ul class="pages">',
        *(f'<li><a href="#page-{page.number}">page {page.number}</a></li>' for page in pages),
        "</ul></nav>",
    ]
    for page in pages:
        parts.append(f'<section class="page" id="page-{page.number}" data-page="{page.number}">')
        parts.append(f"<h2>page {page.number} of {len(pages)}</h2>")
        parts.append('<div class="sheet">')
        parts.append(
            f'<img class="page-image" src="{escape(page.file)}" width="{page.width}" height="{page.height}" '
            f'alt="sheet page {page.number}">'
        )
        for cell in page.cells:
            left, top, right, bottom = cell.box
            anchor = f"p{page.number}-{cell.cell_id}"
            position = (
                f"left:{_percent(left, page.width)};top:{_percent(top, page.height)};"
                f"width:{_percent(right - left, page.width)};height:{_percent(bottom - top, page.height)}"
            )
            parts.append(
                f'<a class="cell" href="#{anchor}" data-cell="{cell.cell_id}" style="{position}" '
                f'title="{escape(cell.positive)}"></a>'
            )
        parts.append("</div>")
        parts.append(
            '<table class="cells"><thead><tr><th>cell</th><th>row</th><th>column</th>'
            "<th>prompt</th><th>negative</th><th>image</th></tr></thead><tbody>"
        )
        for cell in page.cells:
            anchor = f"p{page.number}-{cell.cell_id}"
            link = f'<a href="{escape(cell.file)}">open</a>' if cell.file else "missing"
            parts.append(
                f'<tr id="{anchor}" data-cell="{cell.cell_id}"><td>{cell.cell_id}</td>'
                f"<td>{escape(cell.row_label)}</td><td>{escape(cell.column_label)}</td>"
                f'<td class="prompt">{escape(cell.positive)}</td>'
                f'<td class="prompt">{escape(cell.negative)}</td>'
                f"<td>{link}</td></tr>"
            )
        parts.append("</tbody></table></section>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
