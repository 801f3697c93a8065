"""Generation settings: model, size (from an aspect preset or typed), sampler, steps, CFG and seed.

The model is checked offline by `kb.generate.model_choice` when the dialog is accepted: a bad one
keeps the dialog open with one sentence saying why (as written: `[generate]` stays visible)."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static

from kb.errors import AidxlError
from kb.generate.model_choice import check_model_choice, describe_model
from kb.settings import SAMPLERS, check_cfg, check_size, check_steps, parse_aspect
from kb.settings import size_for_aspect as kb_size_for_aspect
from tui.keys import bindings_of
from tui.state.builder import GenerationSettings

ASPECTS: tuple[str, ...] = ("1:1", "2:3", "3:2", "3:4", "4:3", "9:16", "16:9")


def size_for_aspect(aspect: str) -> tuple[int, int]:
    return kb_size_for_aspect(*parse_aspect(aspect))


def check_settings(settings: GenerationSettings) -> list[str]:
    """kb.settings' checks: raises AidxlError for values the model cannot take, returns warnings."""
    warnings = check_size(settings.width, settings.height)
    warnings += check_steps(settings.sampler, settings.steps)
    warnings += check_cfg(settings.cfg_scale)
    return [str(warning.message) for warning in warnings]


class SettingsScreen(ModalScreen[GenerationSettings | None]):
    # Seven fields are taller than 80x24 leaves a dialog: it scrolls (the focused field stays in view).
    DEFAULT_CSS = """
    SettingsScreen #settings-dialog { overflow-y: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = bindings_of("SettingsScreen")

    def __init__(
        self, settings: GenerationSettings, session_model: str | None = None, session_origin: str = ""
    ) -> None:
        """`session_model`: the model previews use when the settings name none (`aidxl explore --model`
        or an earlier choice): the field shows it, so saving unchanged keeps it."""
        super().__init__()
        self.settings = settings
        self.session_model = session_model
        self.session_origin = session_origin

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="settings-dialog") as dialog:
            dialog.border_title = "generation settings"
            with Horizontal(classes="field"):
                yield Label("model")
                yield Input(
                    self.settings.model or self.session_model or "",
                    placeholder="tiny-random, a .safetensors file, a diffusers folder or a cached Hub id",
                    id="model",
                )
            yield Static(self.configured_model_hint(), id="model-hint", classes="dialog-hint")
            with Horizontal(classes="field"):
                yield Label("aspect")
                yield Select([(aspect, aspect) for aspect in ASPECTS], prompt="preset", id="aspect")
            with Horizontal(classes="field"):
                yield Label("size")
                yield Input(f"{self.settings.width}x{self.settings.height}", id="size")
            with Horizontal(classes="field"):
                yield Label("sampler")
                yield Select(
                    [(name, name) for name in SAMPLERS],  # kb.settings: the one list of samplers
                    value=self.settings.sampler,
                    allow_blank=False,
                    id="sampler",
                )
            with Horizontal(classes="field"):
                yield Label("steps")
                yield Input(str(self.settings.steps), id="steps", type="integer")
            with Horizontal(classes="field"):
                yield Label("CFG")
                yield Input(f"{self.settings.cfg_scale:g}", id="cfg", type="number")
            with Horizontal(classes="field"):
                yield Label("seed")
                yield Input(str(self.settings.seed), id="seed", type="integer")
            yield Static("ctrl+s accepts · escape cancels", id="settings-message", classes="dialog-hint")

    def configured_model_hint(self) -> Text:
        """What an empty model field means now: the model $AIDXL_MODEL or the config file names."""
        configured = describe_model(None)
        where = f" (from {configured.origin})" if configured.origin else ""
        empty = f"empty: {configured.label}{where}"
        if self.session_model and not self.settings.model and self.session_origin:
            return Text(f"{self.session_model}: from {self.session_origin} · {empty}", style="dim")
        return Text(empty, style="dim")

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "aspect" and isinstance(event.value, str):
            try:
                width, height = size_for_aspect(event.value)
            except AidxlError as error:
                self.query_one("#settings-message", Static).update(Text(str(error)))
                return
            self.query_one("#size", Input).value = f"{width}x{height}"
        if event.select.id == "sampler" and isinstance(event.value, str):
            sampler = SAMPLERS.get(event.value)
            if sampler is not None:
                self.query_one("#steps", Input).value = str(sampler.default_steps)

    def action_accept(self) -> None:
        try:
            settings = self.read_settings()
        except (ValueError, AidxlError) as error:
            self.show_problem(str(error))
            return
        try:
            check_model_choice(settings.model)  # one sentence when it cannot be loaded
        except AidxlError as error:  # said under the model field itself, which gets the focus
            self.query_one("#model-hint", Static).update(Text(str(error), style="red"))
            self.show_problem(str(error), self.query_one("#model", Input))
            return
        try:
            warnings = check_settings(settings)
        except AidxlError as error:
            self.show_problem(str(error))
            return
        for warning in warnings:
            self.notify(warning, severity="warning", timeout=6, markup=False)
        self.dismiss(settings)

    def show_problem(self, problem: str, field: Input | None = None) -> None:
        """The dialog stays open with the reason at its foot (scrolled into view: 80x24 cannot show
        every field at once), the faulty field focused when known."""
        message = self.query_one("#settings-message", Static)
        message.update(Text(problem, style="red"))
        if field is not None:
            field.focus()
        else:
            message.scroll_visible(animate=False)

    def read_settings(self) -> GenerationSettings:
        size_text = self.query_one("#size", Input).value.lower().replace("×", "x")
        width_text, _, height_text = size_text.partition("x")
        try:
            width, height = int(width_text), int(height_text)
        except ValueError:
            raise ValueError(f"size {size_text!r}: write it as WIDTHxHEIGHT, e.g. 832x1216") from None
        steps = int(self.query_one("#steps", Input).value or 0)
        cfg = float(self.query_one("#cfg", Input).value or 0)
        sampler = self.query_one("#sampler", Select).value
        return replace(
            self.settings,
            width=width,
            height=height,
            sampler=str(sampler),
            steps=steps,
            cfg_scale=cfg,
            seed=int(self.query_one("#seed", Input).value or 0),
            model=self.query_one("#model", Input).value.strip() or None,
        )

    def action_cancel(self) -> None:
        self.dismiss(None)
