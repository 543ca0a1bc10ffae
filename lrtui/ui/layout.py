"""How the main screen gives its room: classes on the screen that app.tcss reads (-narrow under 110
columns, -short under 32 rows, -form while a field has focus there, -charts while the charts have it),
which charts are shown, and what tab walks."""
from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widget import Widget

PANES = ("#schedulers", "#form", "#plots", "#runs")  # what tab walks; arrows move within each


def fit(screen: Screen, width: int, height: int) -> None:
    screen.set_class(width < 110, "-narrow")
    screen.set_class(height < 32, "-short")  # 80x24, the SSH default: one chart at a time


def focus_moved(screen: Screen, focused: Widget | None) -> None:
    """A short screen gives the room to the pane in use: the form takes the runs table's while a field
    has focus, the charts the whole width while they have it."""
    form, plots = screen.query_one("#form"), screen.query_one("#plots")
    screen.set_class(focused is not None and form in focused.ancestors_with_self, "-form")
    screen.set_class(focused is plots, "-charts")
    if focused is not None:  # the room it is in has just changed
        screen.call_after_refresh(focused.scroll_visible, animate=False)


def next_pane(screen: Screen, by: int) -> Any:
    """The pane `by` panes on from the one with focus (the first when none has it)."""
    focused = screen.focused
    at = next((i for i, pane in enumerate(PANES)
               if focused is not None and screen.query_one(pane) in focused.ancestors_with_self), 0)
    return screen.query_one(PANES[(at + by) % len(PANES)])


def next_view(screen: Screen, view: str) -> str:
    """The charts v shows next: both, lr, loss (a short screen shows one at a time)."""
    views = ("lr", "loss") if screen.has_class("-short") else ("both", "lr", "loss")
    return views[(views.index(view) + 1) % len(views)] if view in views else views[1]


def show_view(screen: Screen, view: str) -> None:
    shown = "lr" if view == "both" and screen.has_class("-short") else view
    plots = screen.query_one("#plots")
    for name in ("lr", "loss"):
        plots.set_class(shown == name, f"-{name}")
