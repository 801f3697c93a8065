"""The builder view: the session's prompt draft as entries, its rendered prompts, tokens and lint
findings; every edit undoable; paste, blends, saved prompts, copy and export.

Its keys (its `BINDINGS` and the entries' and findings', all from tui/keys.py) act only while the
focus is inside the builder: single letters are commands here and text everywhere else. The render
and paste workers post back to this view; previews and sheets are `JobsView`'s (tui/screens/jobs.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.binding import BindingType

from kb.errors import AidxlError
from kb.userdata import BlendStyle, UserDataError
from kb.workbench.importing import ImportedPrompt, prompt_entries
from tui.keys import bindings_of
from tui.screens.dialogs import ChoiceScreen, MultilineEntryScreen, TextEntryScreen
from tui.screens.jobs import JobsView
from tui.state import actions as prompt_actions
from tui.state import generation_view as generation
from tui.state.builder import BuilderState
from tui.state.rendering import render_builder
from tui.state.wording import counted
from tui.widgets.builder_pane import EntriesTable
from tui.widgets.focus_keys import PromptPasted
from tui.widgets.messages import PastedPromptParsed, PromptRendered

if TYPE_CHECKING:
    import duckdb

    from tui.screens.view import ExplorerHost
    from tui.state.session import ExplorerSession

PASTE_CHOICES = ("append to the builder", "replace the builder")
# A rendering that takes longer than this is marked on screen as pending (shorter ones never flicker).
RENDER_PENDING_NOTE_S = 0.2


class BuilderView(JobsView):
    BINDINGS: ClassVar[list[BindingType]] = bindings_of("BuilderView")

    FROM_EITHER_VIEW = frozenset({"sheet", "cancel_preview"})

    def __init__(self, session: ExplorerSession, host: ExplorerHost) -> None:
        super().__init__(session, host, id="builder-view")
        # refresh_builder records the draft as it was before each change (`builder_before`) in the
        # session's history, labelled by `pending_change` when an action names it.
        self.builder_before: BuilderState | None = None
        self.pending_change: str | None = None
        self.render_generation = 0

    @property
    def builder(self) -> BuilderState:
        return self.session.builder

    def has_the_keys(self) -> bool:
        """The builder is shown and a widget of it has the focus: the switch has completed."""
        focused = self.screen.focused if self.is_attached else None
        return self.host.in_builder and focused is not None and self in focused.ancestors_with_self

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Its own keys are in the binding chain only while the focus is inside; a palette entry or a
        # widget's `view(...)` binding runs once the builder is shown and focused too. A preview or
        # sheet of the builder's prompt starts (and is cancelled) from either view.
        return action in self.FROM_EITHER_VIEW or self.has_the_keys()

    def status_parts(self) -> list[str]:
        """`4 entries · tokens 17/75 · negative 36/75 · 1 lint finding · preview 64×64 · RANDOM WEIGHTS`;
        while a preview or sheet runs, its step counter and ETA."""
        if self.session.job_words:
            return [self.session.job_words]
        parts = [counted(len(self.builder.entries), "entry", "entries")]
        rendered = self.rendered if not self.render_pending else None
        if self.render_pending:
            parts.append("rendering…")
        if rendered is not None and rendered.tokens is not None:
            parts.append(f"tokens {rendered.tokens.label}")
        if rendered is not None and rendered.negative_tokens is not None:
            parts.append(f"negative {rendered.negative_tokens.label}")
        if rendered is not None and rendered.linted:
            parts.append(counted(len(rendered.findings), "lint finding"))
        parts += generation.builder_status_words(self.session.model_choice, self.session.shown_image)
        return parts

    def settings_line_text(self, state: BuilderState) -> Text:
        """The size the chosen model really makes, beside the setting (tiny-random: 64×64)."""
        return generation.settings_line(state.settings, self.session.model_choice)

    # ------------------------------------------------------------- render

    def refresh_builder(self, cursor: int | None = None) -> None:
        """Show the draft and render it (in a worker); a change since the last refresh is recorded
        for undo."""
        session = self.session
        if self.builder_before is not None and session.builder != self.builder_before:
            session.history.record(self.pending_change or "edit", self.builder_before)
        self.builder_before, self.pending_change = session.builder.snapshot(), None
        self.show_state(session.builder, dark=self.dark, cursor=cursor)
        self.render_generation += 1
        self.render_pending = True  # copy, fixes and previews wait for this rendering
        if self.is_attached:  # a quick render is shown before this fires: no flicker
            self.set_timer(RENDER_PENDING_NOTE_S, self.note_render_pending)
        self.render_worker(
            self.render_generation, session.builder.snapshot(), session.connection, session.index
        )
        if self.app.is_running:
            self.host.update_status()

    def note_render_pending(self) -> None:
        if self.render_pending and not self.shutting_down:
            self.show_render_pending(len(self.builder.entries))
            if self.host.in_builder:
                self.host.update_status()

    def rendering_is_current(self, doing: str) -> bool:
        """False (and says so) while the draft's rendering is still being made."""
        if self.render_pending:
            count = counted(len(self.builder.entries), "entry", "entries")
            self.notify(f"still rendering the prompt ({count}): {doing} when it is shown", timeout=4)
        return not self.render_pending

    @work(thread=True, exclusive=True, group="render", exit_on_error=False)
    def render_worker(
        self,
        generation: int,
        state: BuilderState,
        connection: duckdb.DuckDBPyConnection | None,
        index: Any,
    ) -> None:
        cursor = connection.cursor() if connection is not None else None
        try:
            context = prompt_actions.catalog_context(cursor, index)
            rendered = render_builder(state, context)
            try:
                fixes = prompt_actions.lint_fixes_of_unknown_entries(state, rendered)
            except AidxlError:
                fixes = ()
            self.post_message(PromptRendered(generation, replace(rendered, entry_fixes=fixes)))
        finally:
            if cursor is not None:
                cursor.close()

    @on(PromptRendered)
    def prompt_rendered(self, message: PromptRendered) -> None:
        if self.shutting_down:
            return
        if message.generation != self.render_generation:
            return
        self.rendered = message.rendered
        self.show_rendered(message.rendered)
        if self.host.in_builder:
            self.host.update_status()  # its tokens and findings

    # ------------------------------------------------------------ entries

    def selected_entry(self) -> int | None:
        index = self.selected_entry_index()
        return index if index is not None and index < len(self.builder.entries) else None

    def remember_builder(self, change: str) -> None:
        """Name the next builder change (a paste, a load, a removal) for undo's and redo's messages;
        every change is undoable, named or not (refresh_builder records it)."""
        if self.builder_before is None:
            self.builder_before = self.builder.snapshot()
        self.pending_change = change

    def action_builder_undo(self) -> None:
        self.step_history(undo=True)

    def action_builder_redo(self) -> None:
        self.step_history(undo=False)

    def step_history(self, *, undo: bool) -> None:
        session = self.session
        current = session.builder.snapshot()
        step = session.history.undo(current) if undo else session.history.redo(current)
        if step is None:
            keys = "ctrl+z undoes builder edits" if undo else "Z or ctrl+shift+z redoes what ctrl+z undid"
            self.notify(f"nothing to {'undo' if undo else 'redo'} ({keys})", timeout=3)
            return
        change, state = step
        session.builder = state
        self.builder_before = state.snapshot()  # showing it is not a new edit
        self.refresh_builder(cursor=0)
        verb = "undid" if undo else "redid"
        self.notify(f"{verb} the {change} ({counted(len(state.entries), 'entry', 'entries')})", timeout=3)

    def action_builder_edit_entry(self) -> None:
        """Edit the highlighted entry's text (as prompt text: brackets and weights are read like a paste)."""
        index = self.selected_entry()
        if index is None:
            return
        entry = self.builder.entries[index]

        def apply(answer: str | None) -> None:
            if answer is None or index >= len(self.builder.entries):
                return
            with self.session.cursor() as cursor:
                context = prompt_actions.catalog_context(cursor, self.session.index)
                entries = prompt_entries(answer, context=context)
            self.remember_builder(f"edit of {entry.text}")
            self.builder.replace_entries(index, entries)
            self.refresh_builder(cursor=index)

        self.app.push_screen(
            TextEntryScreen(f"edit {entry.text} (prompt syntax)", entry.prompt_text()), apply
        )

    def action_builder_remove(self) -> None:
        index = self.selected_entry()
        if index is not None:
            self.remember_builder(f"removal of {self.builder.entries[index].text}")
            removed = self.builder.remove(index)
            self.refresh_builder(cursor=index)
            self.notify(f"removed {removed.text} (ctrl+z brings it back)", timeout=2)

    def action_builder_move(self, offset: int) -> None:
        index = self.selected_entry()
        if index is not None:
            self.refresh_builder(cursor=self.builder.move(index, offset))

    def action_builder_weight(self, steps: int) -> None:
        index = self.selected_entry()
        if index is not None and not self.refuse_weight_of_syntax(index):
            self.builder.nudge_weight(index, steps)
            self.refresh_builder(cursor=index)

    def refuse_weight_of_syntax(self, index: int) -> bool:
        """Syntax kept as written (editing, alternation, an extra network, an open bracket) has no
        weight of its own: say how to change it instead."""
        entry = self.builder.entries[index]
        if entry.is_syntax:
            self.notify(f"{entry.text} is prompt syntax kept as written: i edits its text", timeout=4)
        return entry.is_syntax

    def action_builder_type_weight(self) -> None:
        index = self.selected_entry()
        if index is None or self.refuse_weight_of_syntax(index):
            return
        entry = self.builder.entries[index]

        def apply(answer: str | None) -> None:
            if answer is None:
                return
            try:
                weight = float(answer)
            except ValueError:
                self.notify(f"weight {answer!r} is not a number", severity="error")
                return
            self.builder.set_weight(index, weight)
            self.refresh_builder(cursor=index)

        self.app.push_screen(TextEntryScreen(f"weight of {entry.text}", f"{entry.weight:.2f}"), apply)

    def action_toggle_option(self, attribute: str) -> None:
        setattr(self.builder, attribute, not getattr(self.builder, attribute))
        self.refresh_builder()

    def action_edit_negative(self) -> None:
        def apply(answer: str | None) -> None:
            if answer is not None:
                self.builder.negative = answer.strip() or prompt_actions.default_negative()
                self.refresh_builder()

        self.app.push_screen(
            MultilineEntryScreen("negative prompt (empty = model page default)", self.builder.negative), apply
        )

    def action_view_prompt(self) -> None:
        """v: the whole positive and negative prompt, uncut (the boxes end a long one with …)."""
        from tui.screens.dialogs import WholePromptScreen

        if self.rendered is None or not self.rendering_is_current("view it"):
            return
        self.app.push_screen(WholePromptScreen(self.rendered.positive, self.rendered.negative))

    def action_settings(self) -> None:
        from tui.screens.settings import SettingsScreen

        def apply(answer: Any) -> None:
            if answer is not None:
                self.builder.settings = answer
                self.session.choose_model(answer.model)  # the session's model from now on
                self.refresh_builder()

        session_model, origin = self.session.options.preview_model, self.session.model_origin or ""
        self.app.push_screen(SettingsScreen(self.builder.settings, session_model, origin), apply)

    def action_focus_search(self) -> None:
        self.host.show_search()

    # --------------------------------------------------------------- lint

    def selected_finding(self) -> Any:
        if self.rendered is None or not self.rendering_is_current("findings act"):
            return None
        index = self.selected_finding_index(len(self.rendered.findings))
        return None if index is None else self.rendered.findings[index]

    def action_finding_jump(self) -> None:
        finding = self.selected_finding()
        if finding is None or self.rendered is None:
            return
        index = prompt_actions.entry_for_span(self.builder, self.rendered, finding.start, finding.end)
        if index is None:
            self.notify("this finding is about no single tag", timeout=3)
            return
        self.focus_entry(index)

    def action_finding_fix(self) -> None:
        finding = self.selected_finding()
        if finding is None or self.rendered is None:
            return
        with self.session.cursor() as cursor:
            self.remember_builder(f"fix for {finding.code}")
            context = prompt_actions.catalog_context(cursor, self.session.index)
            changed = prompt_actions.apply_fix(self.builder, self.rendered, finding, context)
        if changed is None:
            self.notify(f"{finding.code}: no automatic fix", timeout=3)
            return
        self.refresh_builder(cursor=changed)
        self.notify(f"applied fix for {finding.code}", timeout=2)

    # --------------------------------------------------------------- paste

    def action_paste_prompt(self) -> None:
        def apply(answer: str | None) -> None:
            if answer and answer.strip() and self.session.connection is not None:
                self.paste_worker(answer, self.session.index)

        self.app.push_screen(
            MultilineEntryScreen("paste an A1111 prompt, a whole infotext or a PNG's path (ctrl+s accepts)"),
            apply,
        )

    @on(PromptPasted)
    def prompt_pasted(self, message: PromptPasted) -> None:
        """Text pasted in the builder: imported like `p`'s dialog (tui/widgets/focus_keys.py)."""
        if message.text.strip() and self.session.connection is not None:
            self.paste_worker(message.text, self.session.index)

    @work(thread=True, exclusive=True, group="paste", exit_on_error=False)
    def paste_worker(self, text: str, index: Any) -> None:
        try:
            imported = prompt_actions.import_pasted(text, self.session.connection, index)
        except AidxlError as error:
            self.post_message(PastedPromptParsed([], [str(error)]))
            return
        self.post_message(PastedPromptParsed([imported], []))

    @on(PastedPromptParsed)
    def pasted_prompt_parsed(self, message: PastedPromptParsed) -> None:
        if self.shutting_down:
            return
        if message.problems:
            self.notify("; ".join(message.problems), severity="warning", timeout=6)
            return
        imported: ImportedPrompt = message.entries[0]
        if not self.builder.entries:
            self.take_import(imported, append=False)
            return

        def apply(answer: str | None) -> None:
            if answer in PASTE_CHOICES:
                self.take_import(imported, append=answer == PASTE_CHOICES[0])

        count = counted(len(self.builder.entries), "entry", "entries")
        self.app.push_screen(
            ChoiceScreen(f"the builder holds {count}: add the paste or replace them?", list(PASTE_CHOICES)),
            apply,
        )

    def take_import(self, imported: ImportedPrompt, *, append: bool) -> None:
        replaced = 0 if append else len(self.builder.entries)
        self.remember_builder("paste")
        first_new = len(self.builder.entries) if append else 0
        toggled = "".join(f"; {change}" for change in imported.toggle_changes(self.builder, append=append))
        self.session.builder = imported.draft(self.builder, append=append)
        unknown = sum(1 for entry in imported.entries if not entry.known)
        syntax = sum(1 for entry in imported.entries if entry.is_syntax)
        self.refresh_builder(cursor=first_new)
        self.host.show_builder()
        flagged = f", {unknown} unknown (flagged ?)" if unknown else ""
        kept = f", {syntax} kept as written (syntax)" if syntax else ""
        settings = "; settings taken from it" if imported.settings is not None else ""
        undo = (
            f"; it replaced {counted(replaced, 'entry', 'entries')}: ctrl+z brings them back"
            if replaced
            else "; ctrl+z undoes it"
        )
        how = "added" if append else "pasted"
        self.notify(
            f"{how} {counted(len(imported.entries), 'entry', 'entries')}{flagged}{kept}{settings}"
            f"{toggled}{undo}",
            timeout=8 if replaced or toggled else 4,
        )

    # ------------------------------------------------------ blends, prompts

    def action_save_blend(self) -> None:
        styles = self.builder.style_entries()
        if not styles:
            self.notify("no style entries (`by …`) in the prompt to save as a blend", severity="warning")
            return
        blend = [BlendStyle(entry.text, entry.weight) for entry in styles]
        self.save_named(
            "name of the style blend",
            lambda name: self.session.user_data.save_blend(name, blend),
            lambda name: f"saved blend {name!r} ({counted(len(styles), 'style')})",
        )

    def action_load_blend(self) -> None:
        user_data = self.session.user_data

        def apply(name: str | None) -> None:
            if name is None:
                return
            blend = user_data.blends[name]
            self.remember_builder(f"load of blend {name!r}")
            self.builder.set_style_blend([(style.text, style.weight) for style in blend])
            self.refresh_builder(cursor=0)
            self.notify(f"loaded blend {name!r}")

        user_data.refresh()  # blends `aidxl import styles` added meanwhile
        self.app.push_screen(ChoiceScreen("load a style blend", sorted(user_data.blends)), apply)

    def action_save_prompt(self) -> None:
        builder_json = self.builder.to_json()
        self.save_named(
            "name for this prompt",
            lambda name: self.session.user_data.save_prompt(name, builder_json),
            lambda name: f"saved prompt {name!r}",
        )

    def save_named(
        self, question: str, store: Callable[[str], None], done_message: Callable[[str], str]
    ) -> None:
        """Ask for a name, store the item under it in the user data, save, and say so (or why not)."""

        def apply(name: str | None) -> None:
            if not name:
                return
            try:
                store(name)
                self.session.user_data.save()
            except (UserDataError, OSError) as error:
                self.notify(str(error), severity="error")
                return
            self.notify(done_message(name))

        self.app.push_screen(TextEntryScreen(question), apply)

    def action_load_prompt(self) -> None:
        user_data = self.session.user_data

        def apply(name: str | None) -> None:
            if name is None:
                return
            self.remember_builder(f"load of prompt {name!r}")
            self.session.builder = BuilderState.from_json(user_data.saved_prompts[name])
            self.refresh_builder(cursor=0)
            self.notify(f"loaded prompt {name!r} (ctrl+z brings back the one before)")

        user_data.refresh()  # prompts `aidxl import styles` added meanwhile
        self.app.push_screen(ChoiceScreen("load a saved prompt", sorted(user_data.saved_prompts)), apply)

    # ------------------------------------------------------ copy / export

    def copy_prompt(self, which: str) -> None:
        """Copy the positive prompt, the negative or both (ctrl+y anywhere; y / Y / c here)."""
        if not self.rendering_is_current("copy"):
            return
        if self.rendered is None or (not self.rendered.positive and which != "negative"):
            self.notify(
                "the prompt is empty: add entries first (Enter on a search result)", severity="warning"
            )
            return
        text = prompt_actions.clipboard_text(self.rendered, which)
        self.app.copy_to_clipboard(text)
        try:
            fallback = prompt_actions.write_clipboard_fallback(text)
            where = f"; also written to {fallback}"
        except OSError as error:
            where = f"; file fallback failed: {error}"
        self.session.user_data.record_history(self.rendered.positive, self.rendered.negative, f"copy-{which}")
        self.save_user_data()
        prompt_actions.record_usage(self.builder, "copy")
        self.notify(f"copied {which} prompt to the clipboard (OSC 52){where}", timeout=6)

    def action_copy(self, which: str) -> None:
        self.copy_prompt(which)

    def action_export(self, kind: str) -> None:
        if self.rendered is None:
            return
        try:
            path = prompt_actions.export_prompt(self.builder, self.rendered, kind)
        except OSError as error:
            self.notify(f"export failed: {error}", severity="error")
            return
        self.session.user_data.record_history(self.rendered.positive, self.rendered.negative, "export")
        prompt_actions.record_usage(self.builder, "export")
        self.save_user_data()
        self.notify(f"exported to {path}", timeout=8)

    def save_user_data(self) -> None:
        try:
            self.session.user_data.save()
        except OSError as error:
            self.notify(f"could not save history: {error}", severity="warning")

    def show_entries(self) -> None:
        """The view was switched to: the entries take the keys, the cursor's entry in view."""
        entries = self.query_one(EntriesTable)
        # At once, not after the keys already queued: the next key goes to the view now shown.
        self.screen.set_focus(entries)
        # Its rows were laid out while hidden: once shown, the cursor's entry is scrolled into view.
        self.call_after_refresh(entries.scroll_cursor_into_view)
