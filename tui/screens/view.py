"""The explorer's views and what they ask of the app that holds them.

A view (the search view, the builder view) owns its widgets, its workers (`@work` on its own
methods, so their messages come back to it) and its keys (its `BINDINGS` act only while the focus
is inside it). What is shared lives in the session (tui/state/session.py); what only the app can
do (switch views, the status line, the progress bar, tell the other view) is `ExplorerHost`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from textual.notifications import SeverityLevel

from tui.state.session import ExplorerSession
from tui.widgets.view_actions import ActionView

if TYPE_CHECKING:
    from tui.state.generation_view import ShownImage


class ExplorerHost(Protocol):
    """The app as its views see it (tui/explorer.py implements it)."""

    session: ExplorerSession

    @property
    def dark(self) -> bool: ...

    @property
    def in_builder(self) -> bool: ...

    @property
    def shutting_down(self) -> bool: ...

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None: ...

    def update_status(self, extra: str = "") -> None: ...

    def show_builder(self) -> None: ...

    def show_search(self) -> None: ...

    def builder_edited(self, cursor: int | None = None) -> None:
        """The session's draft changed: the builder view shows and renders it again."""

    def show_progress(self, total: int | None, progress: int) -> None: ...

    def hide_progress(self) -> None: ...

    def show_image(self, path: Path) -> None:
        """A preview made: shown in the detail pane."""

    def show_sheet(self, page: Path, html: Path) -> None: ...

    def show_generated(self, shown: ShownImage) -> None:
        """A preview or sheet made: the preview panel keeps it (image, path, model, real size)."""


class ExplorerView(ActionView):
    """A view of the explorer: the session it reads and the host it asks."""

    def __init__(self, session: ExplorerSession, host: ExplorerHost, *, id: str) -> None:
        super().__init__(id=id)
        self.session = session
        self.host = host

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """A toast, plain text by default (see ExplorerApp.notify)."""
        self.host.notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    @property
    def shutting_down(self) -> bool:
        return self.host.shutting_down

    @property
    def dark(self) -> bool:
        return self.host.dark
