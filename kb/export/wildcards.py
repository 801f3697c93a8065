"""Dynamic Prompts wildcard files: one prompt fragment per line, `#` starts a comment line.

sd-dynamic-prompts (adieyal/dynamicprompts) reads `WILDCARD_DIR/NAME.txt` as the wildcard
`__NAME__` (sub-folders give `__folder/name__`): every line, stripped, that is not blank and does
not start with `#`, is one value. We write into an `aidxl/` folder of the wildcards directory, so the
files are `__aidxl/styles-verified__`, `__aidxl/painting-styles__`, `__aidxl/characters/genshin_impact__`.
Each value is inserted into the prompt as written, so it is in A1111 form (`ganyu \\(genshin impact\\)`).
A value the template language would read as syntax (`{`, `}`, `|`, `__`, a leading `#`) is left out
and counted, never altered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from kb.export.entries import ExportEntry, export_entries
from kb.export.files import write_export_file
from kb.export.provenance import Provenance
from kb.knowledge.copyrights import characters_of_copyright
from kb.knowledge.tagforms import escape_a1111
from kb.schema import TriggerKind, TriggerTier

WILDCARD_FOLDER = "aidxl"
CHARACTERS_FOLDER = "characters"
_TEMPLATE_SYNTAX = re.compile(r"[{}|]|__")
_UNSAFE_FILE_CHARACTERS = re.compile(r"[^a-z0-9_-]+")


@dataclass(frozen=True)
class WildcardSpec:
    """One file: its name under `aidxl/` (no suffix), what it holds, and which triggers."""

    name: str
    title: str
    kinds: tuple[TriggerKind, ...]
    tiers: tuple[TriggerTier, ...]


# One file per kind (and tier for styles).
KIND_FILES: tuple[WildcardSpec, ...] = (
    WildcardSpec(
        "styles-verified",
        "AIDXL style triggers, verified",
        (TriggerKind.ARTIST_STYLE,),
        (TriggerTier.VERIFIED,),
    ),
    WildcardSpec(
        "styles-author",
        "AIDXL style triggers of the model author's artist vocabulary (likely, not verified)",
        (TriggerKind.ARTIST_STYLE,),
        (TriggerTier.AUTHOR,),
    ),
    WildcardSpec(
        "painting-styles", "AIDXL painting styles", (TriggerKind.PAINTING_STYLE,), (TriggerTier.VERIFIED,)
    ),
    WildcardSpec(
        "quality", "AIDXL quality tags, best first", (TriggerKind.QUALITY,), (TriggerTier.VERIFIED,)
    ),
    WildcardSpec("aesthetic", "AIDXL aesthetic tags", (TriggerKind.AESTHETIC,), (TriggerTier.VERIFIED,)),
)


@dataclass(frozen=True)
class WildcardFile:
    relative_path: str  # under the wildcards directory: aidxl/quality.txt
    wildcard: str  # how a prompt names it: __aidxl/quality__
    values: int
    left_out: tuple[str, ...]  # values Dynamic Prompts would read as syntax


@dataclass
class WildcardExport:
    files: list[WildcardFile] = field(default_factory=list)
    contents: dict[str, bytes] = field(default_factory=dict)  # relative path -> file bytes


def wildcard_value(text: str) -> str | None:
    """A trigger as a wildcard line (A1111 form), or None when Dynamic Prompts would misread it."""
    value = escape_a1111(text.strip())
    if not value or value.startswith("#") or _TEMPLATE_SYNTAX.search(value):
        return None
    return value


def copyright_file_name(copyright_tag: str) -> str:
    """`fate/grand_order` → `fate_grand_order`: a file name and a wildcard name in any OS."""
    return _UNSAFE_FILE_CHARACTERS.sub("_", copyright_tag.lower()).strip("_") or "copyright"


def _file_bytes(title: str, provenance: Provenance, values: Sequence[str]) -> bytes:
    header = [f"# {line}" for line in [title, *provenance.lines("Dynamic Prompts wildcard file")]]
    return ("\n".join([*header, *values]) + "\n").encode("utf-8")


def _add_file(
    export: WildcardExport, relative: str, title: str, provenance: Provenance, texts: Iterable[str]
) -> None:
    values: dict[str, None] = {}  # ordered, each value once
    left_out: list[str] = []
    for text in texts:
        value = wildcard_value(text)
        if value is None:
            left_out.append(text)
        else:
            values.setdefault(value)
    path = f"{WILDCARD_FOLDER}/{relative}.txt"
    export.contents[path] = _file_bytes(title, provenance, list(values))
    export.files.append(WildcardFile(path, f"__{WILDCARD_FOLDER}/{relative}__", len(values), tuple(left_out)))


def build_wildcards(
    connection: duckdb.DuckDBPyConnection,
    provenance: Provenance,
    *,
    copyrights: Sequence[str] = (),
) -> WildcardExport:
    """Every kind file, and one characters file per copyright (typed in any form: `genshin impact`)."""
    export = WildcardExport()
    for spec in KIND_FILES:
        entries: list[ExportEntry] = export_entries(connection, kinds=spec.kinds, tiers=spec.tiers)
        _add_file(export, spec.name, spec.title, provenance, (entry.text for entry in entries))
    for copyright_text in copyrights:
        listing = characters_of_copyright(connection, copyright_text, limit=None)
        tag = listing.copyright.tag
        title = f"characters of {tag} in the form AIDXL was trained on, most posted first"
        texts = (character.text for character in listing.characters)
        _add_file(export, f"{CHARACTERS_FOLDER}/{copyright_file_name(tag)}", title, provenance, texts)
    return export


def write_wildcards(export: WildcardExport, wildcards_dir: Path) -> list[Path]:
    """Write (atomically, file by file) under `wildcards_dir`; files of ours not in this export
    and other files are left alone. Returns the paths written."""
    written: list[Path] = []
    for relative, data in export.contents.items():
        path = wildcards_dir / relative
        write_export_file(path, data)
        written.append(path)
    return written
