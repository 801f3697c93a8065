"""A long paste through what the builder runs after it (issue 12 trial: a 10,419-entry paste kept the
explorer busy for minutes): import, the draft's render and lint, and the "did you mean" fixes of its
unknown entries grow in proportion to the prompt. Work is counted (lines of kb/ run), not timed."""

from __future__ import annotations

import sys
from pathlib import Path

from test_long_prompts import ALLOWED_GROWTH, kb_lines_run

from kb.workbench.fixes import lint_fixes_of_unknown_entries
from kb.workbench.importing import import_prompt
from kb.workbench.rendering import render_draft

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from import_prompts import SHAPES, messy_prompt

SMALL, LARGE = 60, 240
# Alternation gives the token counter one text per sampling step until every step differs (20 at
# 240 tags), a bounded factor that would read as growth between these two small sizes.
STEADY_SHAPES = tuple(shape for shape in SHAPES if "|" not in shape)


def builder_after_paste(tags: int) -> None:
    draft = import_prompt(messy_prompt(tags, shapes=STEADY_SHAPES)).draft()
    rendered = render_draft(draft)
    lint_fixes_of_unknown_entries(draft, rendered)


def test_the_builder_after_a_paste_grows_linearly() -> None:
    builder_after_paste(8)  # first use loads the vocabulary and the curated lists
    small = kb_lines_run(lambda: builder_after_paste(SMALL))
    large = kb_lines_run(lambda: builder_after_paste(LARGE))
    assert large / small < ALLOWED_GROWTH


def test_the_unknown_entries_fixes_grow_linearly() -> None:
    """The step that was quadratic: each finding scanned every entry span and split the whole prompt."""

    def fixes_work(tags: int) -> int:
        draft = import_prompt(messy_prompt(tags)).draft()
        rendered = render_draft(draft)
        return kb_lines_run(lambda: lint_fixes_of_unknown_entries(draft, rendered))

    assert fixes_work(LARGE) / fixes_work(SMALL) < ALLOWED_GROWTH


def test_each_unknown_tag_is_searched_once_per_index_across_import_and_renders() -> None:
    """The import asked the search twice per unknown tag, and every later render of the builder
    again: a 10,000-tag paste made tens of thousands of searches."""
    from dataclasses import dataclass

    from kb.workbench.linting import lint_context

    @dataclass
    class Hit:
        prompt: str

    class CountingIndex:
        def __init__(self) -> None:
            self.asked: list[str] = []

        def search(self, text: str, limit: int) -> list[Hit]:
            self.asked.append(text)
            return [Hit(f"{text}s")][:limit]

    index = CountingIndex()
    import duckdb

    connection = duckdb.connect()
    first, again = lint_context(connection, index), lint_context(connection, index)
    assert first is not None and again is not None
    assert first.suggester("blorbo") == ["blorbos"]
    assert again.suggester("blorbo") == ["blorbos"]
    assert first.suggester("glorp") == ["glorps"]
    assert index.asked == ["blorbo", "glorp"]


def test_the_builders_render_and_its_linter_count_a_prompts_tokens_once() -> None:
    """render_draft counts the positive's tokens and its linter counts them again for the chunk
    borders: the second count of the same text is the first one's report."""
    from kb.prompt.tokens import count_prompt_tokens

    prompt = messy_prompt(SMALL, seed=11)
    first = kb_lines_run(lambda: count_prompt_tokens(prompt))
    again = kb_lines_run(lambda: count_prompt_tokens(prompt))
    assert again * 50 < first
    assert count_prompt_tokens(prompt + ", x").count > count_prompt_tokens(prompt).count  # keyed by text
