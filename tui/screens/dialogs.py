"""Small modal dialogs: one line of text, several lines of text, a choice from a list, the whole prompt."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static, TextArea

from tui.keys import bindings_of


class TextEntryScreen(ModalScreen[str | None]):
    """Ask for one line; Enter returns it, escape returns None."""

    BINDINGS: ClassVar[list[BindingType]] = bindings_of("TextEntryScreen")

    def __init__(self, title: str, initial: str = "", placeholder: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.initial = initial
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as dialog:
            dialog.border_title = Text(self.title_text)  # names and tags, never markup
            yield Input(self.initial, placeholder=self.placeholder, id="dialog-input")
            yield Static("enter accepts · escape cancels", classes="dialog-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class MultilineEntryScreen(ModalScreen[str | None]):
    """Ask for a longer text (a pasted prompt); ctrl+s accepts, escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = bindings_of("MultilineEntryScreen")

    def __init__(self, title: str, initial: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.initial = initial

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as dialog:
            dialog.border_title = Text(self.title_text)  # names and tags, never markup
            yield TextArea(self.initial, id="dialog-text", soft_wrap=True, show_line_numbers=False)
            yield Static("ctrl+s accepts · escape cancels", classes="dialog-hint")

    def action_accept(self) -> None:
        self.dismiss(self.query_one(TextArea).text)

    def action_cancel(self) -> None:
        self.dismiss(None)


class WholePromptScreen(ModalScreen[None]):
    """The rendered positive and negative prompt, uncut and read-only (the builder's boxes end a
    long one with …): the arrows and pgup / pgdn scroll, the mouse selects; escape closes."""

    BINDINGS: ClassVar[list[BindingType]] = bindings_of("WholePromptScreen")

    def __init__(self, positive: str, negative: str) -> None:
        super().__init__()
        self.positive = positive
        self.negative = negative

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="whole-prompt") as dialog:
            dialog.border_title = "the whole prompt"
            yield Static("positive", classes="dialog-hint")
            yield TextArea(self.positive, id="whole-positive", soft_wrap=True, read_only=True)
            yield Static("negative", classes="dialog-hint")
            yield TextArea(self.negative, id="whole-negative", soft_wrap=True, read_only=True)
            yield Static("escape closes · tab: the other prompt", classes="dialog-hint")

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChoiceScreen(ModalScreen[str | None]):
    """Pick one name from a list (blends, saved prompts, size presets)."""

    BINDINGS: ClassVar[list[BindingType]] = bindings_of("ChoiceScreen")

    def __init__(self, title: str, choices: list[str]) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as dialog:
            dialog.border_title = Text(self.title_text)  # names and tags, never markup
            if self.choices:
                yield OptionList(*(Text(choice) for choice in self.choices), id="dialog-options")
            else:
                yield Static("(nothing saved yet)")
            yield Static("enter picks · escape cancels", classes="dialog-hint")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.choices[event.option_index])

    def action_cancel(self) -> None:
        self.dismiss(None)
