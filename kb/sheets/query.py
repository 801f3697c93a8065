"""Sheet rows from the catalog: `verified artist styles with count > 1000`, or the same as flags.

`RowQuery` is the query, `parse_row_query` reads its words form, `styles_from_catalog` runs it. The
words form is a small fixed grammar (docs/sheets.md), not free text: every word must be understood,
otherwise the error names the word, so a typo never silently widens a query. This module knows
nothing of specs (`kb.sheets.spec` imports it, never the other way).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from kb.discover.store import read_evidence
from kb.display_text import quoted
from kb.errors import SheetSpecError
from kb.knowledge.tagforms import escape_a1111
from kb.recognition import UNMEASURED, VERDICTS, read_verdicts
from kb.schema import TriggerKind


@dataclass(frozen=True)
class RowQuery:
    """Rows taken from the catalog (`--kind artist_style --verified --min-count 1000`)."""

    kind: str = "artist_style"
    verified: bool = False
    min_count: int = 0
    limit: int = 20
    verdict: str | None = None  # keep only triggers with this recognition verdict (yes/unsure/no/unmeasured)
    discovered: bool = False  # only triggers `aidxl discover` ranked for the model, best rank first
    text: str | None = None  # the query as the user wrote it, when it came as words


# Phrases naming a trigger kind, longest first so `painting styles` wins over `styles`.
_KIND_WORDS: tuple[tuple[str, TriggerKind], ...] = (
    ("painting styles", TriggerKind.PAINTING_STYLE),
    ("painting style", TriggerKind.PAINTING_STYLE),
    ("artist styles", TriggerKind.ARTIST_STYLE),
    ("artist style", TriggerKind.ARTIST_STYLE),
    ("general tags", TriggerKind.GENERAL),
    ("artists", TriggerKind.ARTIST_STYLE),
    ("styles", TriggerKind.ARTIST_STYLE),
    ("characters", TriggerKind.CHARACTER),
    ("character", TriggerKind.CHARACTER),
    ("copyrights", TriggerKind.COPYRIGHT),
    ("aesthetics", TriggerKind.AESTHETIC),
    ("aesthetic", TriggerKind.AESTHETIC),
    ("quality", TriggerKind.QUALITY),
)
_COUNT_CLAUSE = re.compile(
    r"\b(?:post\s+)?count\s*(>=|>|=>|over|above|at\s+least)\s*([\d_,]+)(k?)\b"
    r"|\bmore\s+than\s+([\d_,]+)(k?)\s+posts?\b"
)
_LIMIT_CLAUSE = re.compile(r"\b(?:top|limit|first)\s+(\d+)\b")
_VERDICT_CLAUSE = re.compile(r"\bverdict\s+(yes|unsure|no|unmeasured)\b")
_FILLER_WORDS = frozenset({"with", "and", "the", "of", "a", "all", "only", "whose", "that", "are", "rows"})


def parse_row_query(text: str, *, where: str = "--query") -> RowQuery:
    """Read the words form: kind, `verified`, `count > N`, `top N`, `verdict yes`."""
    rest = f" {text.lower()} "
    query = RowQuery(text=text)

    def take(match: re.Match[str]) -> None:
        nonlocal rest
        rest = rest[: match.start()] + " " + rest[match.end() :]

    if (count := _COUNT_CLAUSE.search(rest)) is not None:
        operator = count.group(1) or ">"
        digits = count.group(2) or count.group(4)
        thousands = count.group(3) or count.group(5)
        number = int(digits.replace("_", "").replace(",", "")) * (1000 if thousands else 1)
        inclusive = operator in (">=", "=>") or operator.startswith("at")
        query = replace(query, min_count=number if inclusive else number + 1)
        take(count)
    if (limit := _LIMIT_CLAUSE.search(rest)) is not None:
        query = replace(query, limit=int(limit.group(1)))
        take(limit)
    if (verdict := _VERDICT_CLAUSE.search(rest)) is not None:
        query = replace(query, verdict=verdict.group(1))
        take(verdict)
    for phrase, kind in _KIND_WORDS:
        found = re.search(rf"\b{phrase}\b", rest)
        if found is not None:
            query = replace(query, kind=kind.value)
            take(found)
            break
    if (verified := re.search(r"\bverified\b", rest)) is not None:
        query = replace(query, verified=True)
        take(verified)
    if (discovered := re.search(r"\bdiscovered\b", rest)) is not None:
        query = replace(query, discovered=True)
        take(discovered)
    leftover = [word for word in rest.split() if word not in _FILLER_WORDS]
    if leftover:
        raise SheetSpecError(
            f"{where}: {quoted(text)}: did not understand {quoted(leftover[0])}; the form is "
            "[verified|discovered] KIND [with count > N] [top N] [verdict yes|unsure|no|unmeasured], "
            'e.g. "verified artist styles with count > 1000 top 20" or "discovered artist styles top 500"'
        )
    return query


def describe_row_query(query: RowQuery) -> str:
    """The query in words, for messages: `verified artist_style triggers with >= 1001 posts`."""
    words = [
        "verified" if query.verified else "",
        "discovered" if query.discovered else "",
        f"{query.kind} triggers",
    ]
    if query.min_count:
        words.append(f"with >= {query.min_count} posts")
    if query.verdict is not None:
        words.append(f"with verdict {query.verdict}")
    words.append(f"(top {query.limit})")
    return " ".join(word for word in words if word)


def validate_row_query(query: RowQuery, *, where: str = "--query") -> None:
    kinds = {kind.value for kind in TriggerKind}
    if query.kind not in kinds:
        raise SheetSpecError(f"{where}: kind {query.kind!r} is not one of {', '.join(sorted(kinds))}")
    if query.limit < 1:
        raise SheetSpecError(f"{where}: limit must be at least 1, got {query.limit}")
    if query.verdict is not None and query.verdict not in (*VERDICTS, UNMEASURED):
        raise SheetSpecError(
            f"{where}: verdict {query.verdict!r} is not one of {', '.join((*VERDICTS, UNMEASURED))}"
        )


def styles_from_catalog(
    query: RowQuery,
    catalog_path: Path,
    *,
    model_hash: str | None = None,
    recognition_store: Path | None = None,
) -> tuple[str, ...]:
    """The query's triggers, most posted first (then by text), in their prompt form (a row each).

    `verdict` filters on the recognition store for `model_hash` (any model when None);
    `discovered` keeps the triggers `aidxl discover` ranked for that model, best rank first.
    """
    from kb.catalog import open_catalog

    validate_row_query(query)
    connection = open_catalog(catalog_path)
    try:
        found = connection.execute(
            """
            SELECT t.text, coalesce(g.count, 0) AS post_count
            FROM triggers AS t LEFT JOIN tags AS g ON g.tag_id = t.tag_id
            WHERE t.kind = ? AND (t.verified OR NOT ?) AND coalesce(g.count, 0) >= ?
            ORDER BY post_count DESC, t.text
            """,
            [query.kind, query.verified, query.min_count],
        ).fetchall()
    finally:
        connection.close()
    texts = [str(row[0]) for row in found]
    if query.verdict is not None:
        verdicts = read_verdicts(texts, model_hash=model_hash, store_path=recognition_store)
        texts = [
            text
            for text in texts
            if (verdicts[text].verdict if text in verdicts else UNMEASURED) == query.verdict
        ]
    if query.discovered:
        evidence = read_evidence(texts, model_hash=model_hash, store_path=recognition_store)
        texts = sorted((text for text in texts if text in evidence), key=lambda text: evidence[text].rank)
    return tuple(escape_a1111(text) for text in texts[: query.limit])
