"""Small widgets of the main screen."""
from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import OptionList


class StatusLine(Widget):
    """Two lines of text that change often: a refresh without a relayout, unlike Static.update. A line
    too long is cut with an ellipsis, not wrapped over the next."""

    DEFAULT_CSS = "StatusLine { text-wrap: nowrap; text-overflow: ellipsis; }"

    text = ""

    def show(self, text: str) -> None:
        if text != self.text:
            self.text = text
            self.refresh()

    def render(self) -> Text:
        return Text.from_markup(self.text)


class SchedulerList(OptionList):
    BINDINGS = [Binding("j", "cursor_down", "Down", show=False), Binding("k", "cursor_up", "Up", show=False)]


class Plots(Vertical, can_focus=True):
    """The charts and the status line: a pane that tab reaches (on a short screen it then takes the
    whole width), where the chart keys (l, m, x, v) are at home."""
