"""Candidate triggers for discovery: the author's artist vocabulary, every Danbooru artist, or a file."""

from __future__ import annotations

from pathlib import Path

from kb.catalog import open_catalog
from kb.discover.score import DiscoveryError
from kb.utf8 import decode_utf8

CANDIDATE_SETS = ("author", "danbooru")


def catalog_candidates(catalog: Path, which: str) -> list[str]:
    """Artist-style triggers of the catalog: `author` (the author's vocabulary and the verified
    ones) or `danbooru` (every tier), most posted first."""
    tiers = ("verified", "author") if which == "author" else ("verified", "author", "danbooru")
    connection = open_catalog(catalog)
    try:
        rows = connection.execute(
            "SELECT t.text FROM triggers t LEFT JOIN tags g ON g.tag_id = t.tag_id "
            "WHERE t.kind = 'artist_style' AND t.tier IN (SELECT unnest(?)) "
            "ORDER BY coalesce(g.count, 0) DESC, t.text",
            [list(tiers)],
        ).fetchall()
    finally:
        connection.close()
    return [text for (text,) in rows]


def file_candidates(path: Path) -> list[str]:
    """One trigger per line; blank lines and `#` comments skipped; `name` means `by name`."""
    try:
        text = decode_utf8(path.read_bytes(), str(path))
    except OSError as error:
        raise DiscoveryError(f"{path}: cannot read the candidates ({error.strerror})") from None
    found = []
    for line in text.splitlines():
        entry = line.strip()
        if entry and not entry.startswith("#"):
            found.append(entry if entry.startswith("by ") else f"by {entry}")
    if not found:
        raise DiscoveryError(f"{path}: no candidates (one trigger per line)")
    return found
