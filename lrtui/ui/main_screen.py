"""The main screen: the panes (the schedulers, the form, the charts and their status line, the runs)
and the keys that act on them, each an action of the app (`app.` in its binding), which holds the
state; it gives its room to the pane in use (lrtui.ui.layout). The app keeps help and quit for every
screen, the dialogs too."""
from __future__ import annotations

from collections.abc import Callable

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.widgets.option_list import Option

from lrtui.plan.draft import Draft
from lrtui.schedule.catalogue import CATALOGUE
from lrtui.ui import layout
from lrtui.ui.charts import Chart
from lrtui.ui.form import ParamForm
from lrtui.ui.runs_table import RunsTable
from lrtui.ui.widgets import Plots, SchedulerList, StatusLine


class MainScreen(Screen):
    BINDINGS = [  # the footer shows what fits beside ^p palette at 80 columns, help first; ? lists all (screens.py)
        Binding("question_mark", "app.help", "Help", tooltip="this help", id="help"),
        Binding("r", "app.run", "Run", tooltip="run the form", id="run"),
        Binding("c", "app.compare", "Compare", tooltip="the preset's runs x seeds", id="compare"),
        Binding("s", "app.stop", "Stop", tooltip="stop the run and the queue", id="stop"),
        Binding("p", "app.presets", "Presets", tooltip="pick a preset", id="presets"),
        Binding("f", "app.find", "Find lr", tooltip="LR range test of the form", id="find"),
        Binding("F", "app.find_settings", "Range test settings", show=False, tooltip="its settings, then run it",
                id="find_settings"),
        Binding("a", "app.apply", "Apply lr", show=False, tooltip="range test's lr to the form", id="apply"),
        Binding("A", "app.apply('steepest')", "Apply steepest lr", show=False, tooltip="its steepest lr to the form",
                id="apply_steepest"),
        Binding("t", "app.check_lr", "Try the range test's lrs", show=False,
                tooltip="try its lrs in short runs", id="check_lr"),
        Binding("ctrl+s", "app.save", "Save", show=False, tooltip="save the form or the preset", id="save"),
        Binding("l", "app.log", "Log", show=False, tooltip="log scale", id="log"),
        Binding("m", "app.smooth", "Smooth", show=False, tooltip="smooth the loss (EMA)", id="smooth"),
        Binding("x", "app.x_axis", "Steps/epochs", show=False, tooltip="x axis: steps or epochs", id="x_axis"),
        Binding("v", "app.view", "Charts: both, lr, loss", show=False, id="view"),
        Binding("b", "app.momentum", "Momentum/beta1", show=False, tooltip="momentum or beta1 for the lr", id="momentum"),
        Binding("g", "app.bands", "Seeds: mean and range, or each", show=False,
                tooltip="seeds: mean and range, or each", id="bands"),
        Binding("M", "app.metric", "Verdict metric", show=False, tooltip="the verdict's metric (next)", id="metric"),
        Binding("w", "app.sweep_results", "Sweep results", show=False, tooltip="the latest sweep's result view",
                id="sweep_results"),
        Binding("q", "app.quit", "Quit", tooltip="quit (stops a run first)", id="quit"),
        Binding("tab", "app.pane(1)", "Next pane", show=False, priority=True),
        Binding("shift+tab", "app.pane(-1)", "Previous pane", show=False, priority=True),
        Binding("escape", "app.leave_field", show=False,
                tooltip="from a field to the list; from the range test back to the schedule"),
    ]

    def __init__(self, draft: Draft, ready: Callable[[], None]):
        super().__init__()
        self.draft, self.ready = draft, ready  # the form's first values; what fills the panes once mounted

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            with Vertical(id="side"):
                yield SchedulerList(*(Option(f"{name}", id=name) for name in CATALOGUE), id="schedulers")
                yield Static(id="description")
                yield ParamForm(self.draft, id="form")
            with Plots(id="plots"):
                yield Chart("lr (grey: the form's preview)", id="lr-chart")
                yield Chart("loss (large dots: validation)", id="loss-chart")
                yield StatusLine(id="status")
        yield RunsTable(id="runs")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.watch(self, "focused", lambda focused: layout.focus_moved(self, focused))
        self.ready()  # at once, not by a message: before any key is handled

    def on_resize(self, event: events.Resize) -> None:
        """The room each pane has at this size, and the charts shown in it (redrawn at the app's next tick)."""
        layout.fit(self, event.size.width, event.size.height)
        layout.show_view(self, self.app.chart.view)
        self.app.charts_dirty = True
