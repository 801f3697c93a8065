"""The one way prompts are linted: `aidxl prompt lint`, `aidxl prompt import` and the explorer all
call `lint_text` with a `LintContext` from `lint_context`, so they show the same findings."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kb.prompt.lint import Finding, lint_prompt
from kb.prompt.tagview import CatalogMatcher, TagMatcher

if TYPE_CHECKING:
    import duckdb

SUGGESTION_LIMIT = 3
# Search answers per loaded index (`kb.search.SearchIndex`), dropped with the index.
_ANSWERS: weakref.WeakKeyDictionary[Any, dict[str, tuple[str, ...]]] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class LintContext:
    """What linting needs from the open catalog: a tag matcher and a "did you mean" suggester."""

    matcher: TagMatcher
    suggester: Callable[[str], Sequence[str]]


def lint_context(connection: duckdb.DuckDBPyConnection | None, index: Any = None) -> LintContext | None:
    """The catalog's matcher and the catalog search's suggestions (`index`: an already loaded
    `kb.search` index, else the catalog's shared one, loaded on first use). None without a catalog."""
    if connection is None:
        return None
    loaded = [index] if index is not None else []

    def suggest(text: str) -> list[str]:
        if not loaded:
            from kb.search import shared_index

            loaded.append(shared_index(connection))
        # An import asks for each unknown tag twice (its entry's "did you mean", then the linter's
        # finding) and the builder again on every render: one search per text and index is enough
        # (a 10,000-tag paste has thousands of unknown tags). The answers live as long as the index.
        answers = _ANSWERS.setdefault(loaded[0], {})
        if text not in answers:
            answers[text] = tuple(hit.prompt for hit in loaded[0].search(text, limit=SUGGESTION_LIMIT))
        return list(answers[text])

    return LintContext(CatalogMatcher(connection), suggest)


def lint_text(prompt: str, context: LintContext | None = None) -> list[Finding]:
    if context is None:
        return lint_prompt(prompt)
    return lint_prompt(prompt, context.matcher, context.suggester)
