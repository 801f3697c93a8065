"""Shown instead of the explorer when there is no usable catalog: says why and offers the ingest.

`i` runs it here (a worker of this screen); the screen is dismissed with True once the catalog is
built, and the app then opens it.
"""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui.keys import bindings_of
from tui.state import actions as prompt_actions
from tui.widgets.messages import IngestFinished


class MissingCatalogScreen(Screen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = bindings_of("MissingCatalogScreen")

    def __init__(self, reason: str, catalog_path: Path) -> None:
        super().__init__()
        self.reason = reason
        self.catalog_path = catalog_path
        self.ingest_command = prompt_actions.ingest_command_line()

    def compose(self) -> ComposeResult:
        with Vertical(id="missing-catalog") as box:
            box.border_title = "no catalog yet"
            yield Static(Text(self.reason), id="missing-reason")
            how = (
                "(the public sources of `aidxl sources`: downloaded when online; offline, the curated "
                "lists shipped with aidxl-kb alone, and the explorer then names what is missing)"
                if "--fetch" in self.ingest_command
                else "(the demo data beside this checkout)"
            )
            build = f"Build it with:\n\n  {self.ingest_command}\n\n{how}\n\nPress i to run it now, q to quit."
            yield Static(Text(build), id="missing-help")
            yield Static("", id="ingest-output")
        yield Footer()

    def action_run_ingest(self) -> None:
        command = prompt_actions.ingest_argv(self.catalog_path)
        self.query_one("#ingest-output", Static).update(Text("running: " + shlex.join(command)))
        self.ingest_worker(command)

    @work(thread=True, exclusive=True, group="ingest", exit_on_error=False)
    def ingest_worker(self, command: list[str]) -> None:
        finished = subprocess.run(command, capture_output=True, text=True, check=False)
        tail = (finished.stdout + finished.stderr).strip().splitlines()[-6:]
        self.post_message(IngestFinished(finished.returncode, "\n".join(tail)))

    @on(IngestFinished)
    def ingest_finished(self, message: IngestFinished) -> None:
        if message.return_code != 0:
            self.query_one("#ingest-output", Static).update(
                Text(f"ingest failed (exit {message.return_code}):\n{message.output_tail}")
            )
            return
        self.dismiss(True)
