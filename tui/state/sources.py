"""What the catalog lacks: the registry sources it was not built from, and what to say about it.

The comparison itself is `ingest.registry.missing_from_catalog` (one function, also fit for
`aidxl stats`); this module adds the catalog's size, so that an empty or curated-only catalog's
screens can say what to do instead of showing nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb

from kb.display_text import shortened, visible_controls
from tui.state.searching import SearchFilter
from tui.state.wording import counted

if TYPE_CHECKING:
    from ingest.registry import RegisteredSource

FETCH_COMMAND = "aidxl ingest --fetch"


@dataclass(frozen=True)
class CatalogSources:
    """The registry sources a catalog lacks (registry order) and how much it holds."""

    missing: tuple[RegisteredSource, ...]
    tags: int  # Danbooru tags
    triggers: int
    source_kinds: frozenset[str] = frozenset()  # `sources.kind` of every source the catalog holds

    @property
    def curated_only(self) -> bool:
        """Built from the curated lists alone (`aidxl ingest --fetch` offline on a bare machine).
        Decided by the sources, not by the tags: the author's vocabulary alone has no tags either."""
        return self.source_kinds == {"curated"}

    @property
    def missing_names(self) -> tuple[str, ...]:
        return tuple(source.name for source in self.missing)


def check_sources(connection: duckdb.DuckDBPyConnection) -> CatalogSources:
    """Compare the catalog with the registry (a worker calls this on open and after ctrl+r)."""
    from ingest.registry import missing_from_catalog  # reads the registry: off the start-up path

    cursor = connection.cursor()
    try:
        missing = missing_from_catalog(cursor)
        tags_row = cursor.execute("SELECT count(*) FROM tags").fetchone()
        triggers_row = cursor.execute("SELECT count(*) FROM triggers").fetchone()
        kinds = frozenset(
            str(kind) for (kind,) in cursor.execute("SELECT DISTINCT kind FROM sources").fetchall()
        )
    finally:
        cursor.close()
    return CatalogSources(
        missing, int(tags_row[0]) if tags_row else 0, int(triggers_row[0]) if triggers_row else 0, kinds
    )


def missing_sources_phrase(sources: CatalogSources) -> str:
    """`2 registry sources are missing`, `1 registry source is missing`."""
    count = len(sources.missing)
    return f"{counted(count, 'registry source')} {'is' if count == 1 else 'are'} missing"


def banner_line(sources: CatalogSources) -> str:
    """The banner: how many registry sources are missing, the keys, then their names (a narrow
    terminal cuts the end of the list, never the keys; F12 lists every one)."""
    count = len(sources.missing)
    noun = "source" if count == 1 else "sources"
    names = ", ".join(sources.missing_names)
    prefix = "⚠ curated triggers only; " if sources.curated_only else "⚠ "
    return f"{prefix}{count} {noun} missing (F12 details · esc hides): {names}"


def empty_search_hint(sources: CatalogSources | None) -> str:
    """The detail pane's text while the search box is empty and there are no favourites."""
    hint = "Type to search: names, typos, aliases, `by artist`, kaomoji."
    if sources is None:
        return hint
    if sources.curated_only:
        return (
            f"This catalog holds only the {sources.triggers} curated triggers shipped with aidxl-kb "
            "(artist styles, painting styles, quality, aesthetic): type `by`, `impasto` or `quality`.\n\n"
            "Danbooru tags, characters and the model author's vocabulary come from the public sources "
            f"it lacks: `{FETCH_COMMAND}` downloads them when online (F12 lists each one and the "
            "command that adds a local copy), then ctrl+r reloads."
        )
    if sources.missing:
        return f"{hint}\n\n{missing_sources_phrase(sources)} from this catalog: F12 says how to add them."
    return hint


# `:1.2)` / `:0.5]` closing a weight or a schedule; `<lora:name:0.8>`, an extra network. Each match
# attempt stops at the next `:` or `<`, so a search stays linear in the text.
WEIGHT_CLOSE = re.compile(r":(-?[0-9.]+) ?[)\]]")
EXTRA_NETWORK = re.compile(r"<[a-z_]+:[^<>]*>")
PROMPT_HINT = "It looks like a prompt: ctrl+b then p pastes it into the builder."


def looks_like_prompt(query: str) -> bool:
    """Whether a search text is a pasted A1111 prompt rather than a name: tags separated by commas,
    a weight or schedule (`(x:1.2)`, `[a:b:0.5]`), an extra network or BREAK."""
    if sum(1 for part in query.split(",") if part.strip()) >= 2:
        return True
    if "BREAK" in query.split() or EXTRA_NETWORK.search(query) is not None:
        return True
    for match in WEIGHT_CLOSE.finditer(query):
        try:
            float(match.group(1))
        except ValueError:
            continue
        return True
    return False


def no_results_hint(query: str, search_filter: SearchFilter, sources: CatalogSources | None) -> str:
    """Why a search found nothing, and what to try; the query quoted as typed (backslashes single:
    `repr` doubled them) and shortened around … when long (a pasted prompt)."""
    lines = [f"Nothing matches '{shortened(visible_controls(query))}'."]
    if looks_like_prompt(query):
        lines.append(PROMPT_HINT)
    narrowing = []
    if search_filter.copyright is not None:
        narrowing.append(f"among {search_filter.copyright.replace('_', ' ')}'s characters (escape leaves)")
    if search_filter.kind is not None:
        narrowing.append("of the kind filter (F2 shows all kinds)")
    if search_filter.verified:
        narrowing.append("of the verified triggers (ctrl+l shows all)")
    elif search_filter.likely:
        narrowing.append("of the AIDXL-likely tiers (ctrl+l shows all)")
    if narrowing:
        lines.append("Searched only " + "; ".join(narrowing) + ".")
    if sources is not None and sources.missing:
        if sources.curated_only:
            lines.append(
                f"This catalog holds only the {sources.triggers} curated triggers: "
                f"`{FETCH_COMMAND}` adds the Danbooru tags and more when online (F12 lists the sources)."
            )
        else:
            lines.append(f"{missing_sources_phrase(sources)} from this catalog (F12).")
    return "\n\n".join(lines)


def empty_browse_hint(search_filter: SearchFilter, sources: CatalogSources | None) -> str:
    """Why an empty search box under a kind or the likely filter lists nothing."""
    what = (search_filter.kind or "").replace("_", " ") + " entries" if search_filter.kind else "entries"
    tiers = " of the AIDXL-likely tiers (ctrl+l shows every tier)" if search_filter.likely else ""
    if search_filter.verified:
        tiers = " among the verified triggers (ctrl+l shows every tier)"
    lines = [f"This catalog has no {what.strip()}{tiers}."]
    if sources is not None and sources.missing:
        lines.append(
            f"{missing_sources_phrase(sources)} from it: F12 lists them and the command "
            f"that adds each (`{FETCH_COMMAND}` when online)."
        )
    lines.append("Type to search, or F2 for every kind.")
    return "\n\n".join(lines)
