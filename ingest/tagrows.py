"""Validated tag rows of one tag file (tagger or tag-autocomplete), held column by column for a bulk load."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ingest.controlchars import control_character_problem, has_no_control_character
from ingest.csvlines import COUNT_DIGITS_ALWAYS_IN_RANGE, MAX_COUNT, number_problem, parse_count
from ingest.problems import Problem

_WHITESPACE = re.compile(r"\s")


def _contains_whitespace(text: str) -> bool:
    """True when `_WHITESPACE` finds a match, at C speed: str.split() splits on exactly those characters."""
    return bool(text) and text.split() != [text]


@dataclass
class TagRows:
    """The good rows of one file plus every problem; columns line up index by index."""

    path: Path
    sha256: str
    lines: list[int] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    categories: list[int] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    danbooru_ids: list[int | None] = field(default_factory=list)
    # Comma-separated aliases as the file writes them ("" for none); the writer splits them in SQL,
    # where an alias repeated within one row counts once (danbooru.csv repeats some).
    alias_texts: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.names)


def name_problem(name: str, what: str = "name") -> str | None:
    """Why a Danbooru tag name (or alias) is unusable, or None when it is fine."""
    if not name:
        return f"empty {what}"
    control = control_character_problem(name, what)
    if control:
        return control
    if _WHITESPACE.search(name):
        return f"{what} {name!r} contains whitespace (Danbooru names use underscores)"
    return None


def spaced_name_problem(name: str) -> str | None:
    """Why a name written with spaces (the caption form, a trigger list's name) is unusable: empty,
    surrounding spaces, a tab or a double space inside; None when it is fine."""
    if not name:
        return "empty name"
    control = control_character_problem(name, "name")
    if control:
        return control
    if name != name.strip():
        return f"name {name!r} has surrounding spaces"
    if name.split() != name.split(" "):
        return f"name {name!r} contains a tab or a double space"
    return None


class TagRowsBuilder:
    """Checks each row's fields; at `finish` drops every row whose name occurs more than once."""

    def __init__(self, path: Path, sha256: str, allowed_categories: frozenset[int], kind_label: str) -> None:
        self.rows = TagRows(path, sha256)
        self._allowed = allowed_categories
        self._kind_label = kind_label
        self._index_of_name: dict[str, int] = {}
        self._duplicated: set[str] = set()

    def problem(self, line: int, reason: str) -> None:
        self.rows.problems.append(Problem(self.rows.path, line, reason))

    def _reasons(self, name: str, category_text: str, count_text: str, aliases: tuple[str, ...]) -> list[str]:
        reasons = []
        name_reason = name_problem(name)
        if name_reason:
            reasons.append(name_reason)
        category = parse_count(category_text)
        if category is None:
            reasons.append(f"non-integer category {category_text!r}")
        elif category not in self._allowed:
            allowed = ", ".join(str(value) for value in sorted(self._allowed))
            reasons.append(f"unknown category {category} for a {self._kind_label} (expected {allowed})")
        count_reason = number_problem(count_text, "count", MAX_COUNT)
        if count_reason:
            reasons.append(count_reason)
        for alias in aliases:
            alias_reason = name_problem(alias, "alias")
            if alias_reason:
                reasons.append(alias_reason)
        return reasons

    def add_rows(
        self,
        lines: list[int],
        names: list[str],
        category_texts: list[str],
        count_texts: list[str],
        danbooru_ids: list[int | None],
        alias_texts: list[str],
    ) -> None:
        """Add rows given column by column; `alias_texts` holds comma-separated aliases ("" for none).

        Whole-column checks first (C-speed string and set operations); only when one fails does the
        row-by-row loop run to name every bad line and its reasons.
        """
        if not self.rows.names and self._columns_are_clean(names, category_texts, count_texts, alias_texts):
            rows = self.rows
            rows.lines = list(lines)
            rows.names = list(names)
            rows.categories = list(map(int, category_texts))
            rows.counts = list(map(int, count_texts))
            rows.danbooru_ids = list(danbooru_ids)
            rows.alias_texts = list(alias_texts)
            return
        self._add_rows_one_by_one(lines, names, category_texts, count_texts, danbooru_ids, alias_texts)

    def _columns_are_clean(
        self, names: list[str], category_texts: list[str], count_texts: list[str], alias_texts: list[str]
    ) -> bool:
        allowed_text = {str(category) for category in self._allowed}
        joined_counts = "".join(count_texts)
        joined_aliases = "\n" + "\n".join(alias_texts) + "\n"
        return (
            all(names)
            and all(count_texts)
            and joined_counts.isascii()
            and joined_counts.isdigit()
            and max(map(len, count_texts), default=0) <= COUNT_DIGITS_ALWAYS_IN_RANGE
            and has_no_control_character("".join(names))
            and set(category_texts) <= allowed_text
            and len(set(names)) == len(names)
            and not _contains_whitespace("".join(names))
            and not _contains_whitespace(",".join(alias_texts))
            and "\n," not in joined_aliases
            and ",\n" not in joined_aliases
            and ",," not in joined_aliases
        )

    def _add_rows_one_by_one(
        self,
        lines: list[int],
        names: list[str],
        category_texts: list[str],
        count_texts: list[str],
        danbooru_ids: list[int | None],
        alias_texts: list[str],
    ) -> None:
        rows = self.rows
        allowed_text = frozenset(str(category) for category in self._allowed)
        has_whitespace = _WHITESPACE.search
        if len(self._index_of_name) < len(rows.names):  # rows added by the whole-column path
            self._index_of_name = {name: index for index, name in enumerate(rows.names)}
        index_of_name = self._index_of_name
        for line, name, category_text, count_text, danbooru_id, alias_text in zip(
            lines, names, category_texts, count_texts, danbooru_ids, alias_texts, strict=True
        ):
            aliases_ok = not alias_text or (
                ",," not in alias_text
                and alias_text[0] != ","
                and alias_text[-1] != ","
                and not has_whitespace(alias_text)
            )
            if not (
                name
                and category_text in allowed_text
                and count_text.isdigit()
                and count_text.isascii()
                and (
                    len(count_text) <= COUNT_DIGITS_ALWAYS_IN_RANGE
                    or (parse_count(count_text) or 0) <= MAX_COUNT
                )
                and aliases_ok
                and not has_whitespace(name)
                and has_no_control_character(name)
            ):
                aliases = tuple(alias_text.split(",")) if alias_text else ()
                self.problem(line, "; ".join(self._reasons(name, category_text, count_text, aliases)))
                continue
            first_index = index_of_name.get(name)
            if first_index is not None:
                self._report_duplicate(line, name, int(category_text), first_index)
                continue
            index_of_name[name] = len(rows.names)
            rows.lines.append(line)
            rows.names.append(name)
            rows.categories.append(int(category_text))
            rows.counts.append(int(count_text))
            rows.danbooru_ids.append(danbooru_id)
            rows.alias_texts.append(alias_text)

    def _report_duplicate(self, line: int, name: str, category: int, first_index: int) -> None:
        self._duplicated.add(name)
        first_category = self.rows.categories[first_index]
        conflict = (
            f" with a conflicting category ({category} here, {first_category} there)"
            if category != first_category
            else ""
        )
        first_line = self.rows.lines[first_index]
        self.problem(line, f"duplicate name {name!r} (first on line {first_line}){conflict}")

    def _duplicate_id_lines(self) -> set[int]:
        """Lines whose Danbooru id (a tagger's tag_id) is given to another name too: each is bad."""
        ids = [danbooru_id for danbooru_id in self.rows.danbooru_ids if danbooru_id is not None]
        if len(set(ids)) == len(ids):
            return set()
        lines_of_id: dict[int, list[int]] = {}
        for line, danbooru_id in zip(self.rows.lines, self.rows.danbooru_ids, strict=True):
            if danbooru_id is not None:
                lines_of_id.setdefault(danbooru_id, []).append(line)
        bad: set[int] = set()
        for danbooru_id, lines in lines_of_id.items():
            if len(lines) > 1:
                shown = ", ".join(map(str, lines))
                for line in lines:
                    self.problem(line, f"tag_id {danbooru_id} is given to {len(lines)} names (lines {shown})")
                bad.update(lines)
        return bad

    def finish(self) -> TagRows:
        """The rows; a duplicated name, or a tag_id given to several names, is bad on every line it
        occurs (no way to tell which is right)."""
        rows = self.rows
        bad_lines = self._duplicate_id_lines()
        for index, name in enumerate(rows.names if self._duplicated else ()):
            if name in self._duplicated:
                self.problem(rows.lines[index], f"name {name!r} occurs again later in the file")
                bad_lines.add(rows.lines[index])
        if bad_lines:
            keep = [index for index, line in enumerate(rows.lines) if line not in bad_lines]
            rows.lines = [rows.lines[index] for index in keep]
            rows.names = [rows.names[index] for index in keep]
            rows.categories = [rows.categories[index] for index in keep]
            rows.counts = [rows.counts[index] for index in keep]
            rows.danbooru_ids = [rows.danbooru_ids[index] for index in keep]
            rows.alias_texts = [rows.alias_texts[index] for index in keep]
        rows.problems.sort(key=lambda problem: problem.line or 0)
        return rows
