"""The prompt builder pane: entries with weights, toggles, the live prompt, lint findings, tokens."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.geometry import Size
from textual.widgets import DataTable, Static

from kb.display_text import visible_controls
from tui.keys import bindings_of
from tui.state.builder import BuilderEntry, BuilderState
from tui.state.rendering import RenderedPrompt
from tui.state.wording import counted
from tui.widgets.focus_keys import KeysFollowFocus
from tui.widgets.marks import KIND_LABELS, UNKNOWN_MARK, kind_colour, kind_mark
from tui.widgets.view_actions import RunsViewActions


class EntriesTable(RunsViewActions, KeysFollowFocus, DataTable[Text]):
    """The builder's entries; keys edit the highlighted one."""

    BINDINGS: ClassVar[list[BindingType]] = bindings_of("EntriesTable")

    def action_first_entry(self) -> None:
        if self.row_count:
            self.move_cursor(row=0)

    def action_last_entry(self) -> None:
        if self.row_count:
            self.move_cursor(row=self.row_count - 1)

    def scroll_cursor_into_view(self) -> None:
        """After the builder is shown: its layout was computed while hidden."""
        if self.row_count:
            self.move_cursor(row=self.cursor_row, scroll=True)


class PromptBox(Static):
    """A rendered prompt in its bordered box: wrapped, its height as the text needs (up to the
    box's max-height), and ending with … when that height cuts it (never cut silently); a cut box
    names the key that shows the whole prompt under its border."""

    CUT_HINT = "v: whole prompt"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.prompt = Content("")

    def show_prompt(self, text: str) -> None:
        # plain: prompts hold brackets, never markup; control characters shown as `\u001b`
        self.prompt = Content(visible_controls(text, keep="\n"))
        self.update(self.prompt)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        # The whole prompt's height (render() below cuts it to the height the layout gives).
        return len(self.prompt.wrap(width)) if width > 0 else 0

    def render(self) -> Content:
        width, height = self.content_size
        if width <= 0 or height <= 0:
            return self.prompt
        lines = self.prompt.wrap(width)
        cut = len(lines) > height
        hint = self.CUT_HINT if cut else None
        if self.border_subtitle != hint:  # a refresh only when it changes
            self.border_subtitle = hint
        if not cut:
            return self.prompt
        kept = lines[:height]
        kept[-1] = kept[-1].rstrip().truncate(width - 1).append("…")
        return Content("\n").join(kept)


class FindingsTable(RunsViewActions, KeysFollowFocus, DataTable[Text]):
    """Lint findings of the rendered positive prompt; Enter jumps to the tag, f applies the fix."""

    BINDINGS: ClassVar[list[BindingType]] = bindings_of("FindingsTable")


KIND_WIDTH = 9
SEVERITY_MARKS = {"error": ("✗", "bold red"), "warning": ("!", "yellow"), "info": ("i", "cyan")}


def toggles_text(state: BuilderState) -> Text:
    def box(on: bool) -> str:
        return "[x]" if on else "[ ]"

    text = Text()
    text.append(f"{box(state.auto_order)} o auto-order  ")
    text.append(f"{box(state.include_quality)} q quality  ")
    text.append(f"{box(state.include_aesthetic)} a aesthetic  ")
    text.append(f"styles {'appended' if state.styles_appended else 'first'} (t)", style="dim")
    return text


def settings_text(state: BuilderState) -> Text:
    settings = state.settings
    return Text(
        f"{settings.width}×{settings.height} · {settings.sampler} · {settings.steps} steps · "
        f"CFG {settings.cfg_scale:g} · seed {settings.seed}   (s settings)",
        style="dim",
    )


def entry_label(entry: BuilderEntry, *, dark: bool, lint_fix: str | None = None) -> Text:
    """The entry's text; for one the catalog lacks, what it may mean: the linter's fix when a
    finding covers it (`masterpiece` → `amazing quality`), else the search's suggestions."""
    colour = kind_colour(entry.kind, None, dark=dark)
    label = Text(visible_controls(entry.text), style=colour if entry.known else "italic red")
    if lint_fix is not None:
        label.append(
            f"  did you mean {lint_fix}?" if lint_fix else "  lint: remove it (tab to the finding, f)",
            style="dim",
        )
    elif entry.suggestions:
        label.append(f"  did you mean {', '.join(entry.suggestions[:3])}?", style="dim")
    return label


class BuilderPane(Vertical):
    def compose(self) -> ComposeResult:
        yield EntriesTable(id="entries", cursor_type="row")
        yield Static(id="toggles")
        yield PromptBox(id="positive", classes="prompt-box")
        yield PromptBox(id="negative", classes="prompt-box")
        yield Static(id="tokens")
        yield FindingsTable(id="findings", cursor_type="row", show_header=False)
        yield Static(id="settings-line")

    last_state: BuilderState | None = None
    last_dark = True
    last_rendered: RenderedPrompt | None = None
    # True from an edit until its rendering is shown: what is shown is the previous prompt's (a
    # 10,000-entry paste renders for seconds), never to be copied or generated as current.
    render_pending = False

    def show_render_pending(self, entry_count: int) -> None:
        """Say that the prompt, tokens and lint shown are from before the change, until it is rendered."""
        note = f"rendering {counted(entry_count, 'entry', 'entries')}…"
        self.query_one("#positive", PromptBox).border_title = f"positive · {note} shown: before the change"
        self.query_one("#tokens", Static).update(Text(f"{note} tokens and lint follow", style="italic"))
        self.query_one(FindingsTable).border_title = f"lint: {note}"

    def on_resize(self) -> None:
        """Column widths follow the pane's width (it is 0 while the view is hidden)."""
        if self.last_state is not None:
            self.show_state(self.last_state, dark=self.last_dark)
        if self.last_rendered is not None:
            self.show_rendered(self.last_rendered)

    def on_mount(self) -> None:
        self.query_one("#positive", Static).border_title = "positive"
        self.query_one("#negative", Static).border_title = "negative"

    def show_state(self, state: BuilderState, *, dark: bool, cursor: int | None = None) -> None:
        self.last_state, self.last_dark = state, dark
        entries = self.query_one(EntriesTable)
        previous = entries.cursor_row if cursor is None else cursor
        entries.clear(columns=True)
        # One cell of padding each side of each column, and room for a scrollbar.
        text_width = max(12, entries.size.width - (1 + 6 + KIND_WIDTH) - 2 * 4 - 2)
        entries.add_column(" ", key="mark", width=1)
        entries.add_column("weight", key="weight", width=6)
        entries.add_column("tag", key="text", width=text_width)
        entries.add_column("kind", key="kind", width=KIND_WIDTH)
        for position, entry in enumerate(state.entries):
            colour = kind_colour(entry.kind, None, dark=dark)
            mark = UNKNOWN_MARK if not entry.known else kind_mark(entry.kind)
            weight = "—" if entry.is_syntax else f"{entry.weight:.2f}"
            entries.add_row(
                Text(mark, style=colour),
                Text(weight, justify="right", style="bold" if entry.weight != 1 else "dim"),
                entry_label(entry, dark=dark),
                Text(KIND_LABELS.get(entry.kind, entry.kind), style="dim"),
                key=str(position),
            )
        if state.entries:
            entries.move_cursor(row=max(0, min(previous, len(state.entries) - 1)))
        self.query_one("#toggles", Static).update(toggles_text(state))
        self.query_one("#settings-line", Static).update(self.settings_line_text(state))

    def settings_line_text(self, state: BuilderState) -> Text:
        """The settings line (the builder view says the size its model really makes)."""
        return settings_text(state)

    def show_rendered(self, rendered: RenderedPrompt) -> None:
        self.last_rendered = rendered
        self.render_pending = False
        self.query_one("#positive", PromptBox).border_title = "positive"
        state = self.last_state
        entries = self.query_one(EntriesTable)
        for index, applied in rendered.entry_weights:  # brackets left open before it multiply its own
            if entries.is_valid_row_index(index):
                weight = Text(f"{applied:.2f}", justify="right", style="bold yellow")
                entries.update_cell(str(index), "weight", weight)
        for index, fixed_text in rendered.entry_fixes:
            if state is not None and index < len(state.entries) and entries.is_valid_row_index(index):
                label = entry_label(state.entries[index], dark=self.last_dark, lint_fix=fixed_text)
                entries.update_cell(str(index), "text", label)
        self.query_one("#positive", PromptBox).show_prompt(rendered.positive or "(empty)")
        self.query_one("#negative", PromptBox).show_prompt(rendered.negative)
        token_line = Text()
        if rendered.tokens is not None:
            token_line.append(f"tokens {rendered.tokens.label}", style="bold")
            if rendered.negative_tokens is not None:
                token_line.append(f"  negative {rendered.negative_tokens.label}", style="dim")
            for border in rendered.tokens.borders:
                token_line.append(f"  │ {visible_controls(border)}", style="yellow")
        for line in rendered.unavailable:
            token_line.append(f"  {line}", style="dim italic")
        self.query_one("#tokens", Static).update(token_line)
        findings = self.query_one(FindingsTable)
        cursor = findings.cursor_row
        findings.clear(columns=True)
        findings.add_column("", key="severity", width=1)
        findings.add_column("finding", key="message", width=max(20, findings.size.width - 1 - 2 * 2 - 2))
        for position, finding in enumerate(rendered.findings):
            severity = str(getattr(finding, "severity", "warning"))
            mark, colour = SEVERITY_MARKS.get(severity, ("!", "yellow"))
            message = Text(f"{finding.code}: ", style="dim")
            message.append(visible_controls(str(finding.message)))
            if getattr(finding, "fix", None) is not None:
                message.append("  (f fixes)", style="dim italic")
            # height=None: a long message wraps onto more lines instead of being cut.
            findings.add_row(Text(mark, style=colour), message, key=str(position), height=None)
        if rendered.findings:
            findings.move_cursor(row=min(cursor, len(rendered.findings) - 1))
        if rendered.findings:
            found = counted(len(rendered.findings), "finding")
            findings.border_title = f"lint: {found} · enter jumps · f fixes"
        elif rendered.linted:
            findings.border_title = "lint: clean"
        else:
            findings.border_title = "lint: —"

    def selected_entry_index(self) -> int | None:
        entries = self.query_one(EntriesTable)
        return entries.cursor_row if entries.row_count else None

    def selected_finding_index(self, findings_count: int) -> int | None:
        findings = self.query_one(FindingsTable)
        return findings.cursor_row if findings.row_count and findings.cursor_row < findings_count else None

    def focus_entry(self, index: int) -> None:
        entries = self.query_one(EntriesTable)
        entries.move_cursor(row=index)
        entries.focus()
