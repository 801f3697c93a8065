"""Keys and links of a widget that run an action of the view it is in.

The entries' `x`, the findings' `f`, the forms' `g` and the detail pane's links name actions of
the search or builder view (tui/screens/), not of the widget: they are bound as
`view('builder_remove')`, which runs `builder_remove` on the nearest `ActionView` above the
widget (its `check_action` decides, as for the view's own keys).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.containers import Vertical

if TYPE_CHECKING:
    from textual.widget import Widget

    _Base = Widget
else:
    _Base = object


class ActionView(Vertical):
    """A view whose actions its widgets' keys and links may name (`view('action')`)."""


def view_action(action: str) -> str:
    """The binding / link action that runs `action` on the widget's view."""
    return f"view({action!r})"


class RunsViewActions(_Base):
    """Mix in before the widget class: `class EntriesTable(RunsViewActions, DataTable[Text])`."""

    async def action_view(self, action: str) -> None:
        view = next((node for node in self.ancestors if isinstance(node, ActionView)), None)
        if view is not None:
            await self.app.run_action(action, view)
