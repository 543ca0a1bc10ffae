"""lrtui's app: pick a scheduler, tune it, see its curve, train it, compare runs live.

Attributes down, messages up: panes post their own messages (SchedulerList's OptionHighlighted,
ParamForm.Changed, RunsTable.Toggled); the app holds the state and tells panes what to show. A child
process trains one job at a time (lrtui.backends.child); a thread worker hands its events to the app as
TrainingEvents; the charts redraw from a timer, only when their data changed."""
from __future__ import annotations

import threading
import time
import traceback
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.markup import escape
from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.notifications import Notify
from textual.reactive import reactive
from textual.widgets import OptionList, Static
from textual.worker import Worker, WorkerState

from lrtui.engine.events import RunEnded, RunStarted, Status
from lrtui.judge.verdict import DEFAULT_METRIC, METRICS, Comparison
from lrtui.output import words
from lrtui.paths import keymap_file
from lrtui.plan import presets, range_test
from lrtui.plan.draft import Draft
from lrtui.plan.search_space import MAX_POINTS
from lrtui.runs.store import Store, StoreError
from lrtui.schedule.catalogue import CATALOGUE, starter
from lrtui.schedule.optimizers import validate_optimizer
from lrtui.schedule.params import ConfigError
from lrtui.schedule.preview import Curve, notes
from lrtui.ui import commands, keymap, layout, plotting, watch
from lrtui.ui.book import Book
from lrtui.ui.charts import Chart
from lrtui.ui.form import ParamForm
from lrtui.ui.main_screen import MainScreen
from lrtui.ui.messages import (
    JobRefused,
    Said,
    StoredRuns,
    TorchReady,
    TrainerDied,
    TrainerIdle,
    TrainingEvents,
)
from lrtui.ui.range_test import RangeTest
from lrtui.ui.runs_table import RunsTable
from lrtui.ui.runview import batching
from lrtui.ui.screens import ConfirmScreen, HelpScreen, PresetPicker, SweepScreen
from lrtui.ui.session import Session
from lrtui.ui.widgets import SchedulerList, StatusLine

REDRAW_SECONDS = 0.2
MAX_REDRAW_WAIT = 2.0  # seconds: a loaded machine's slow redraw does not freeze the charts for long
CRASH_LOG = "lrtui-crash.log"  # beside the store
NEEDS_A_GOOD_FORM = {"run": "r", "save": "ctrl+s", "copy_code": "Copy as code"}  # refused while it breaks a rule


class LrtuiApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "lrtui"
    BINDINGS = [  # for every screen (the dialogs too); the main screen's keys are MainScreen's
        Binding("question_mark", "help", "Help", show=False, id="help"),
        Binding("q", "quit", "Quit", show=False, id="quit"),
    ]
    NOTIFICATION_TIMEOUT = 3
    busy: reactive[bool] = reactive(False, bindings=True)  # the training process has a job: s stops it
    preset: reactive[presets.Preset | None] = reactive(None, bindings=True)  # loaded: c runs it
    chart: reactive[plotting.ChartOptions] = reactive(plotting.ChartOptions, init=False)  # the chart keys' choices

    def __init__(self, preset: presets.Preset | None = None, store: Store | None = None, task: str | None = None,
                 device: str | None = None, data_dir: Path | None = None):
        super().__init__()
        self.store, self.data_dir, self.overrides = store, data_dir, {"task": task or None,
                                                                         "device": device or None}
        self.preset = preset
        run = preset.runs[0] if preset else None
        schedule = run.schedule if run else starter("CosineAnnealingLR")
        optimizer = run.optimizer if run else validate_optimizer({})
        training = self.trained(preset or presets.Preset("")).training
        self.draft = Draft(schedule, optimizer, training)
        self.session = Session(store.path)  # the queue and the trainer, started on mount
        self.closing = threading.Event()  # the app is closing: its threads end
        self.curve: Curve | None = None
        self.notes: list[str] = []  # what to know of the form's schedule (its lr does not move within its run): said on the status line
        self.charts_dirty = True
        self.next_redraw = 0.0
        self.torch_ready = False
        self.first_frame: float | None = None
        self.crash: str | None = None  # one line saying where an unexpected error's traceback went
        self.range_test = RangeTest()
        self.metric = DEFAULT_METRIC      # what the verdict on a comparison judges
        self.expanded: set[tuple[str, str]] = set()  # (comparison, group) rows listing their seeds
        self.judged: dict[str, Comparison] = {}      # the verdict on each comparison of several seeds
        self.unjudged: str | None = None             # why one could not be judged
        self.keys, self.keys_refused = keymap.read(keymap_file(), MainScreen.BINDINGS)  # the user's keymap.toml

    @property
    def book(self) -> Book:
        return self.session.book

    def trained(self, preset: presets.Preset) -> presets.Preset:
        """A preset as the app trains it: its training settings with the command line's task and device."""
        return replace(preset, training=presets.training_settings(preset.training, **self.overrides))

    def get_default_screen(self) -> MainScreen:
        return MainScreen(self.draft, self._panes_ready)

    def on_mount(self) -> None:
        self.set_keymap(self.keys)
        for refused in self.keys_refused:
            self.notify(refused, severity="warning", timeout=10)
        self.session.start()  # the trainer imports torch in its own process meanwhile (tests: a thread)

    def _panes_ready(self) -> None:
        """The panes are there (the form previews its draft itself): its schedule highlighted, the store watched."""
        self.query_one("#schedulers", SchedulerList).highlighted = list(CATALOGUE).index(self.draft.schedule.name)
        self.query_one("#schedulers").border_title = "schedulers"
        self.query_one("#schedulers").focus()
        self._describe()
        self._watch()
        self.set_interval(REDRAW_SECONDS, self._redraw)
        self.set_interval(1.0, self._show_status)
        self.call_after_refresh(self._first_frame)
        self._show_status()

    def _first_frame(self) -> None:
        """The first frame is on the screen (the training process, started with the app, imports torch
        meanwhile): from now on its reports are listened to."""
        self.first_frame = time.perf_counter()
        self._listen()

    def action_pane(self, by: int) -> None:
        if len(self.screen_stack) > 1:  # a dialog: tab walks its fields
            self.screen.focus_next() if by > 0 else self.screen.focus_previous()
            return
        pane = layout.next_pane(self.screen, by)
        pane.focus_first() if isinstance(pane, ParamForm) else pane.focus()

    def action_view(self) -> None:
        self.chart = replace(self.chart, view=layout.next_view(self.screen, self.chart.view))

    def watch_chart(self, old: plotting.ChartOptions, new: plotting.ChartOptions) -> None:
        if new.view != old.view:
            layout.show_view(self.screen, new.view)
        self._now()

    # -- choosing and editing ----------------------------------------------------------------------
    @on(OptionList.OptionSelected, "#schedulers")
    async def _pick(self, event: OptionList.OptionSelected) -> None:
        name = event.option.id
        form = self.query_one("#form", ParamForm)
        if name == self.draft.schedule.name:
            form.focus_first()
            return
        schedule = starter(name)
        self.draft = Draft(schedule, self.draft.optimizer, self.draft.training)
        await form.load(self.draft)
        form.preview()
        self._describe()
        form.focus_first()

    @on(OptionList.OptionHighlighted, "#schedulers")
    def _highlight(self, event: OptionList.OptionHighlighted) -> None:
        self._describe(event.option.id)
        spec = CATALOGUE[event.option.id]  # the description pane is hidden on narrow screens: say this much
        keys = "Enter edits, r runs" if spec.name == self.draft.schedule.name else "Enter loads it"  # browsing does not
        self.query_one("#form", ParamForm).say(f"↑↓ browse, {keys}:\n[b]{spec.name}[/b]: {spec.summary}.")

    def _describe(self, name: str | None = None) -> None:
        spec = CATALOGUE[name or self.draft.schedule.name]
        text = f"[b]{spec.name}[/b] ({spec.unit}): {spec.description}"
        if spec.recipe:
            text += "\n" + "\n".join(spec.recipe)
        self.query_one("#description", Static).update(text)

    @on(ParamForm.Changed)
    def _changed(self, event: ParamForm.Changed) -> None:
        self.draft = event.draft

    @on(ParamForm.Previewed)
    def _previewed(self, event: ParamForm.Previewed) -> None:
        self.curve = event.curve
        if self.chart.momentum and event.curve.momentum is None:  # b shows it only where it moves
            self.chart = replace(self.chart, momentum=False)
        self.notes = notes(event.draft.schedule.name, event.draft.schedule, event.curve)
        self._show_status()
        self.charts_dirty, self.next_redraw = True, 0.0  # an edit: at the next tick, whatever the throttle

    # -- training ----------------------------------------------------------------------------------
    @work(thread=True, group="trainer", exit_on_error=False)
    def _listen(self) -> None:
        """Hands what the training process reports to the app, as messages (never waiting on the UI)."""
        from lrtui.backends.child import Idle, Ready, Refused

        while not self.closing.is_set():
            trainer = self.session.trainer
            items = trainer.next_events(timeout=0.2)
            for item in items:
                if isinstance(item, Ready):
                    self.post_message(TorchReady())
                elif isinstance(item, Refused):
                    self.post_message(JobRefused(item.label, item.error))
                elif isinstance(item, Idle):
                    self.post_message(TrainerIdle())
                else:
                    self.post_message(TrainingEvents(item))
            if not items and (died := trainer.died()):  # what it said before it died is handed on first
                self.post_message(TrainerDied(died))
                while self.session.trainer is trainer and not self.closing.wait(0.05):
                    pass  # the app starts another

    def on_torch_ready(self, _: TorchReady) -> None:
        self.torch_ready = True
        self._show_status()

    def on_trainer_died(self, message: TrainerDied) -> None:
        """A training process killed (out of memory, a signal): said, and another started for the queue."""
        self.torch_ready = False
        self._say(self.session.died(message.why))
        self.busy = self.session.busy
        self._show_table()

    def action_run(self) -> None:
        """The form's run, on each of its seeds."""
        from lrtui.plan.planning import jobs

        d = self.draft
        preset = presets.Preset(self.preset.name if self.preset else "tui", training=d.training,
                                runs=(presets.Run(d.schedule.name, d.schedule, d.optimizer),))
        self._enqueue(jobs(preset, data_dir=self.data_dir))

    def _compared(self) -> presets.Preset | None:
        """The loaded preset as `c` trains it: its runs with the form's training settings (its seeds among them)."""
        return self.preset and replace(self.preset, training=self.draft.training)

    def action_compare(self) -> None:
        """The preset's runs x the form's seeds: a comparison, round-robin by seed (no more than the
        command line trains without --yes)."""
        from lrtui.plan.planning import plan

        planned = plan([self._compared()], data_dir=self.data_dir)
        if len(planned) > MAX_POINTS:
            self._say(Said(f"{self.preset.name} has {len(planned):,} runs ({planned.size}), more than {MAX_POINTS:,}: "
                           f"narrow it, or train it with `lrtui sweep {self.preset.name} --yes`", "warning"))
            return
        self._enqueue(list(planned))

    def _enqueue(self, jobs: list) -> None:
        self.session.enqueue(jobs)
        self.busy = self.session.busy
        self._show_table()
        self._show_status()

    def on_job_refused(self, message: JobRefused) -> None:
        self.notify(escape(f"{message.label}: {message.error}"), severity="error", timeout=8)

    def on_trainer_idle(self, _: TrainerIdle) -> None:
        self.session.idle()
        self.busy = self.session.busy
        self._show_status()

    def action_stop(self) -> None:
        self.session.stop()
        self._show_table()
        self._show_status()

    def on_training_events(self, message: TrainingEvents) -> None:
        for event in message.events:
            for said in (self.range_test.take(event), self.book.take(event)):
                if isinstance(said, Said):
                    self._say(said)
            if isinstance(event, (RunStarted, RunEnded)):
                self.next_redraw = 0.0  # the table and status show a start or an ending at the next tick
            if isinstance(event, RunEnded) and (view := self.book.runs.get(self.book.stored.get(event.key))):
                self._settled(view.comparison)
        self.charts_dirty = True

    def _settled(self, comparison: str | None) -> None:
        """A comparison of several seeds this app trained, ended (finished or stopped): its verdict, said;
        the range test's check, ended: its best lr, said and kept for `a`."""
        if comparison is None or not self.book.settled(comparison):
            return
        if comparison == self.range_test.check and self.range_test.checked is None:
            self._say(self.range_test.checked_by([v for v in self.book.runs.values() if v.comparison == comparison]))
            self._show_status()
            return
        self._show_table()  # judged with this run in it
        if comparison in self.judged:
            self.notify(escape(f"comparison {comparison}: {words.verdict(self.judged[comparison].verdict)}"), timeout=12)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.notify(escape(f"{event.worker.group}: {event.worker.error}"), severity="error", timeout=8)

    # -- the store ---------------------------------------------------------------------------------
    @work(thread=True, group="watch", exit_on_error=False)
    def _watch(self) -> None:
        """Posts the stored runs, oldest first, then what other processes write to the store (a `lrtui
        run` in tmux), about once a second: the runs added since and the ones listed as running that
        the app itself is not training. The store is read here, never on the event loop."""
        failing, since = False, 0
        while not self.closing.is_set():
            try:
                since, found = watch.look(self.store, since, self.book.held())
            except StoreError as e:  # busy, or gone for now: said once, and looked at again
                if not failing:
                    self.notify(escape(f"cannot read the store: {e}"), severity="warning")
                failing, found = True, []
            else:
                failing = False
            if found:
                self.post_message(StoredRuns(found))
            self.closing.wait(watch.SECONDS)

    def on_stored_runs(self, message: StoredRuns) -> None:
        for read in message.reads:
            self.book.read(read)
        self._show_table()  # cheap, and what a look is for: not held back with the charts
        self._show_status()  # with the verdict the table's runs give
        if message.asked:
            self._now()
        else:
            self.charts_dirty = True

    @on(RunsTable.Toggled)
    def _toggle(self, event: RunsTable.Toggled) -> None:
        """A run, or a group's runs, shown or hidden together."""
        shown = not any(self.book.runs[i].shown for i in event.run_ids)
        for run_id in event.run_ids:
            view = self.book.runs[run_id]
            view.shown = shown
            if shown and not view.lr and run_id not in self.book.training:  # a stored run shown for the first time
                self._read_steps(run_id)
        self._now()

    @on(RunsTable.Folded)
    def _fold(self, event: RunsTable.Folded) -> None:
        self.expanded ^= {(event.comparison, event.group)}
        self._show_table()

    @work(thread=True, group="store", exit_on_error=False)
    def _read_steps(self, run_id: int) -> None:
        run = self.store.run(run_id)
        if run:
            self.post_message(StoredRuns([watch.Read(run)], asked=True))

    @on(RunsTable.DeleteAsked)
    def _delete(self, event: RunsTable.DeleteAsked) -> None:
        view = self.book.runs[event.run_id]
        if view.status == Status.RUNNING and event.run_id in self.book.training:
            self.notify("stop the run first (s)", severity="warning")
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self.store.delete([event.run_id])
                del self.book.runs[event.run_id]
                self.charts_dirty = True
                self._show_table()

        self.push_screen(ConfirmScreen(f"Delete run {event.run_id} ({view.label}) from the store?"), answer)

    # -- showing -----------------------------------------------------------------------------------
    def _show_table(self) -> None:
        self.judged, self.unjudged = self.book.judge(self.metric)
        rows = self.book.rows(self.judged, self.expanded)
        for table in self.query(RunsTable):  # none while the app is closing
            table.show(rows)

    def _show_status(self) -> None:
        """Two lines: what is happening (the run in progress, or what to do), then the settings and queue."""
        training = [self.book.runs[i] for i in self.book.training if i in self.book.runs]
        if training:
            now = batching(training)
        elif self.range_test.status():
            now = self.range_test.status()
        elif not self.torch_ready:
            now = "loading torch…; r queues a run meanwhile"
        elif self.notes:
            now = f"[b]note[/b]: {escape('; '.join(self.notes))}"
        else:
            now = ("ready: r runs, " + (f"c runs {escape(self.preset.name)}" if self.preset else "p picks a preset")
                   + ", f finds lr")  # one line of the status at 80 columns
        d = self.draft.training
        settings = f"{d['task']}  {d['epochs']} epochs  batch {d['batch_size']}  seed {d['seed']}  {d['device']}"
        if self.book.queue:
            settings += f"  queued: {', '.join(j.label for j in self.book.queue)}"
        if self.judged or self.unjudged:  # the latest comparison's verdict, as its pairs complete
            text = self.unjudged or words.short(list(self.judged.values())[-1].verdict)  # the notification has it all
            settings = f"verdict: {text} (by {self.metric.label}; M changes it)"
        for status in self.query(StatusLine):  # none while the app is closing
            status.show(f"{now}\n{escape(settings)}")

    def _redraw(self) -> None:
        """Charts, table and status from the current data, if it changed. A redraw holds the event loop
        for tens of milliseconds, so the next waits 20x as long (at most MAX_REDRAW_WAIT): keys first."""
        now = time.monotonic()
        if not self.charts_dirty or now < self.next_redraw or not self.query("#lr-chart"):
            return
        self.charts_dirty = False
        chart = self.chart
        lr_series, loss_series = plotting.runs(self.book.runs.values(), chart)
        if self.curve is not None:
            lr_series.insert(0, plotting.preview(self.curve, self.draft.schedule.interval, self.draft.run_length()[1],
                                                 chart))
        xlabel = "step" if chart.x_steps else "epoch"
        self.query_one("#plots").set_class(self.range_test.shown, "-sweep")
        if self.range_test.shown:
            series, title, ylim = self.range_test.chart()
            self.query_one("#lr-chart", Chart).show(series, False, "lr", title, log_x=True, ylim=ylim)
        else:
            title = f"{self.curve.momentum_name} (grey: the form's preview; b: the lr)" if chart.momentum else None
            self.query_one("#lr-chart", Chart).show(lr_series, chart.log_scale, xlabel, title)
        self.query_one("#loss-chart", Chart).show(loss_series, chart.log_scale, xlabel,
                                                  None if loss_series else "loss: r trains the form")
        for chart in self.query(Chart):
            chart.replot()
        self._show_table()
        self._show_status()
        cost = time.monotonic() - now + sum(chart.build_seconds for chart in self.query(Chart))  # the last builds
        self.next_redraw = time.monotonic() + min(20 * cost, MAX_REDRAW_WAIT)

    # -- keys --------------------------------------------------------------------------------------
    def _now(self) -> None:
        """A change the user asked for: redraw now, whatever the training throttle says."""
        self.charts_dirty, self.next_redraw = True, 0.0
        self._redraw()

    def action_log(self) -> None:
        self.chart = self.chart.toggled("log_scale")

    def action_bands(self) -> None:
        self.chart = self.chart.toggled("bands")
        self.notify("a comparison's schedule: mean over seeds, min and max dotted" if self.chart.bands else
                    "a comparison's schedule: every seed", timeout=2)

    def action_metric(self) -> None:
        names = list(METRICS)
        self.metric = METRICS[names[(names.index(self.metric.name) + 1) % len(names)]]
        self.notify(f"the verdict judges runs by their {self.metric.label}", timeout=3)
        self._show_table()
        self._show_status()

    def action_smooth(self) -> None:
        self.chart = self.chart.toggled("smooth")
        self.notify("loss: EMA smoothing" if self.chart.smooth else "loss: raw", timeout=2)

    def action_momentum(self) -> None:
        """The lr chart shows the momentum or beta1 that OneCycleLR and CyclicLR move against the lr."""
        curve = self.curve
        if not self.chart.momentum and (curve is None or curve.momentum is None):
            self.notify(f"{self.draft.schedule.name} moves no momentum (OneCycleLR and CyclicLR do)", severity="warning")
            return
        self.chart = self.chart.toggled("momentum")

    def action_x_axis(self) -> None:
        self.chart = self.chart.toggled("x_steps")

    def on_notify(self, _: Notify) -> None:
        """One toast at a time, the newest (a stack of them covers the charts at 80x24): the ones shown go
        before App's own handler, which runs after this one (subclass first), adds the new one."""
        self.clear_notifications()

    def action_help(self) -> None:
        self.push_screen(HelpScreen(MainScreen.BINDINGS, self.keys))

    def action_leave_field(self) -> None:
        """Escape: from the range test's chart back to the schedule's, else from a field to the list."""
        if self.range_test.showing:
            self.range_test.showing = False
            self._now()
        else:
            self.query_one("#schedulers").focus()

    def _say(self, said: Said) -> None:
        self.notify(escape(said.text), severity=said.severity, timeout=4 if said.severity == "information" else 8)

    # -- presets, code, export ----------------------------------------------------------------------
    def action_presets(self) -> None:
        def chosen(name: str | None) -> None:
            if name:
                self.run_worker(self._load_preset(name))

        self.push_screen(PresetPicker(), chosen)

    async def _load_preset(self, name: str) -> None:
        try:
            preset = presets.find(name)
        except ConfigError as e:
            self.notify(escape(str(e)), severity="error", timeout=8)
            return
        self.preset = preset
        run = preset.runs[0]
        self.draft = Draft(run.schedule, run.optimizer, self.trained(preset).training)
        form = self.query_one("#form", ParamForm)
        await form.load(self.draft)
        form.preview()
        self.query_one("#schedulers", SchedulerList).highlighted = list(CATALOGUE).index(run.schedule.name)
        self._describe()
        self._show_status()
        self.notify(escape(f"{preset.name}: {len(preset.runs)} run(s); c runs them all, r runs the form"), timeout=4)

    def action_save(self) -> None:
        commands.save(self, self.draft, self.preset)

    def action_copy_code(self) -> None:
        commands.code(self, self.draft, self._compared())

    def action_export(self) -> None:
        commands.export(self, self.store.run, [i for i, v in self.book.runs.items() if v.shown])

    def action_copy_winner(self) -> None:
        """The latest comparison's winner as code (the config of one of its runs)."""
        comparison, judged = list(self.judged.items())[-1] if self.judged else (None, None)
        best = next((v for v in self.book.runs.values() if judged and (v.comparison, v.group) == (
            comparison, judged.verdict.best)), None)
        commands.winner(self, judged, best and best.config)

    def action_sweep_results(self) -> None:
        commands.sweep_results(self, list(self.book.runs.values()), self.metric, max(40, self.size.width - 8))

    def get_system_commands(self, screen: Any) -> Any:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Copy as code", "the current configuration as plain torch",
                            lambda: self.run_action("copy_code"))
        yield SystemCommand("Export runs", "the shown runs' epochs and steps as CSV", self.action_export)
        yield SystemCommand("Sweep results", "the latest sweep's metric against its swept parameters",
                            self.action_sweep_results)
        yield SystemCommand("Copy the winner as code", "the best schedule of the latest comparison, as plain torch",
                            self.action_copy_winner)
        for binding in MainScreen.BINDINGS:
            if binding.description:
                yield SystemCommand(binding.description, f"key: {keymap.shown(binding, self.keys)}",
                                    lambda action=binding.action: self.run_action(action))

    # -- the range test ----------------------------------------------------------------------------
    def action_find(self) -> None:
        job, said = self.range_test.job(self.draft, self.preset.name if self.preset else None, self.data_dir)
        self._enqueue([job])
        self._say(said)

    def action_find_settings(self) -> None:
        """The sweep's settings in a dialog; Enter there runs it."""
        def chosen(settings: range_test.Sweep | None) -> None:
            if settings:
                self.range_test.settings = settings
                self.action_find()

        self.push_screen(SweepScreen(self.range_test.settings), chosen)

    def action_apply(self, which: str | None = None) -> None:
        """The range test's lr in the form (the checked best where a check ran, else the suggestion;
        `which` names a suggestion): max_lr where the schedule has one (OneCycleLR, CyclicLR), else the
        optimizer's lr (a warmup recipe's peak)."""
        chosen = self.range_test.suggestion(which)
        if isinstance(chosen, Said):
            self._say(chosen)
            return
        lr, what = chosen
        key = "scheduler-max_lr" if self.draft.schedule.spec.has("max_lr") else "optimizer-lr"
        self.range_test.showing = False
        self.query_one("#form", ParamForm).put(key, f"{lr:.3g}")
        self.notify(f"{key.split('-', 1)[1]} = {lr:.3g} (the {what} lr)", timeout=4)
        self._now()

    def action_check_lr(self) -> None:
        """Short runs of the form's schedule at the range test's lrs, batched: a then applies the best."""
        jobs = self.range_test.check_jobs(self.draft, self.data_dir)
        if isinstance(jobs, Said):
            self._say(jobs)
            return
        self._enqueue(jobs)
        self._say(Said(f"checking {len(jobs)} lrs over {self.range_test.settings.check_epochs} epochs each"))
        self._now()

    def action_quit(self) -> None:
        """Stop and exit: closing the training process (on unmount) waits for it to store the run."""
        self.action_stop()
        self.exit()

    def _handle_exception(self, error: Exception) -> None:
        """An unexpected error: its traceback goes to the crash log beside the store, `crash` says so
        in one line (for stderr, in place of Textual's traceback), and Textual closes the app with
        return code 1, the terminal restored (on unmount the run in progress is stopped and kept)."""
        log = self.store.path.parent / CRASH_LOG
        try:
            with log.open("a", encoding="utf-8") as out:
                out.write(f"-- {time.strftime('%Y-%m-%d %H:%M:%S')}\n{''.join(traceback.format_exception(error))}\n")
        except OSError:  # no log: Textual's traceback on stderr, then
            super()._handle_exception(error)
            return
        first = str(error).splitlines()[0] if str(error) else ""
        self.crash = self.crash or f"lrtui: unexpected error ({type(error).__name__}: {first}); traceback in {log}"
        super()._handle_exception(error)
        self._exit_renderables.clear()

    def on_unmount(self) -> None:
        self.closing.set()
        self.session.close()

    async def run_action(self, action: Any, default_namespace: Any = None, namespaces: Any = None) -> bool:
        """An action that the form's problem refuses says why, pressed or from the palette (Textual
        would do nothing)."""
        problem = self._form_problem()
        name = action.removeprefix("app.") if isinstance(action, str) else action  # the main screen's keys say app.
        if problem and name in NEEDS_A_GOOD_FORM:
            self.notify(escape(f"{NEEDS_A_GOOD_FORM[name]} refused: {problem.problem}"), severity="warning")
            return True
        return await super().run_action(action, default_namespace, namespaces)

    def _form_problem(self) -> ConfigError | None:
        forms = self.query("#form")  # none while the app is closing
        return forms.first(ParamForm).problem if forms else None

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """Stop only while something runs; compare only with a preset loaded; run, save and copy only
        a form that breaks no rule (dimmed otherwise)."""
        if action in NEEDS_A_GOOD_FORM:
            return None if self._form_problem() else True
        if action == "stop":
            return True if self.busy or self.book.queue else None
        if action == "compare":
            return True if self.preset else None
        return True
