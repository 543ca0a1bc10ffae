"""The LR range test in the app: `f` sweeps the lr for the form's optimizer and task in the training
process (queued like a run, stopped by `s` like one; `F` sets the sweep first); the LR chart then
shows loss against lr with the suggestions, `a` puts the suggested lr in the form (A: the
steepest), escape goes back to the schedule. A mixin of LrtuiApp, which holds the state and routes
the sweep's events here."""
from __future__ import annotations

import numpy as np
from rich.markup import escape

from lrtui import engine, finder
from lrtui.events import Event, RunEnded, RunStarted, Steps
from lrtui.report import MARKS
from lrtui.ui.charts import Series
from lrtui.ui.form import ParamForm
from lrtui.ui.runview import RunView
from lrtui.ui.screens import SweepScreen


class RangeTest:
    sweep: RunView | None = None          # the sweep in progress or the last one
    sweep_started: RunStarted | None = None  # what its loop said of it as it began
    finding: finder.Finding | None = None  # its analysis, once it has ended
    showing_sweep = False                 # the LR chart shows the sweep, not the schedule
    settings = finder.Sweep()

    def action_find(self) -> None:
        d = self.draft
        self._enqueue([engine.find_job(d.training, d.optimizer, self.settings,
                                         self.preset.name if self.preset else None, self.data_dir)])
        self.notify(escape(f"range test of {d.optimizer.name} on {d.training['task']}: lr {self.settings.start_lr:g} "
                           f"to {self.settings.end_lr:g} over {self.settings.steps} steps"), timeout=4)

    def action_find_settings(self) -> None:
        """The sweep's settings in a dialog; Enter there runs it."""
        def chosen(settings: finder.Sweep | None) -> None:
            if settings:
                self.settings = settings
                self.action_find()

        self.push_screen(SweepScreen(self.settings), chosen)

    def action_apply(self, which: str = finder.SUGGESTIONS[0]) -> None:
        """The suggestion in the form: max_lr where the schedule has one (OneCycleLR, CyclicLR), else
        the optimizer's lr (a warmup recipe's peak)."""
        lr = self.finding.suggestions[which] if self.finding else None
        if lr is None:
            self.notify(finder.TOO_FLAT if self.finding and self.finding.flat else
                        "no suggestion yet: f runs the range test", severity="warning")
            return
        key = "scheduler-max_lr" if self.draft.schedule.spec.has("max_lr") else "optimizer-lr"
        self.showing_sweep = False
        self.query_one("#form", ParamForm).put(key, f"{lr:.3g}")
        self.notify(f"{key.split('-', 1)[1]} = {lr:.3g} (the {which} suggestion)", timeout=4)
        self._now()

    def action_close_sweep(self) -> bool:
        """Back to the schedule's chart; False when the sweep was not shown."""
        shown, self.showing_sweep = self.showing_sweep, False
        if shown:
            self._now()
        return shown

    def sweep_event(self, event: Event) -> bool:
        """Take a training event if it belongs to a sweep; False when it does not."""
        if isinstance(event, RunStarted) and event.kind == "find":
            self.sweep = RunView(event.run_id, event.label, "LR range test", "cyan", True,
                                 steps_per_epoch=event.steps_per_epoch)
            self.sweep_started = event
            self.finding, self.showing_sweep, self.next_redraw = None, True, 0.0
            return True
        if self.sweep is None or event.key != self.sweep_started.key:
            return False
        if isinstance(event, Steps):
            self.sweep.add_steps(event.lr, event.loss)
        elif isinstance(event, RunEnded):
            self.sweep.status, self.next_redraw = event.status, 0.0
            smooth = self.sweep_started.config["sweep"]["smooth"]  # its own, if F changed since
            self.finding = finder.analyse(list(self.sweep.lr), list(self.sweep.loss), smooth)  # every step came here
            self._submit_next()
            if event.status == "failed":
                self.notify(escape(f"range test failed: {event.error}"), severity="error", timeout=8)
            elif self.finding.suggestion is None:
                self.notify(f"range test: {finder.TOO_FLAT if self.finding.flat else 'too few steps to suggest an lr'}",
                            severity="warning")
            else:
                self.notify("range test finished: a or A applies its lr", timeout=4)  # the status line says which
        return True

    def sweep_status(self) -> str | None:
        """The status line while a sweep runs, and while its chart is shown."""
        view, found = self.sweep, self.finding
        if view is not None and view.status == "running" and view.loss:
            return (f"[b]range test[/b]: step {len(view.loss)}/{view.steps_per_epoch}  lr {view.lr[-1]:.3g}  "
                    f"loss {view.loss[-1]:.4g}  (s stops it)")
        if self.showing_sweep and found and found.suggestion is not None:
            return (f"[b]range test[/b]: lr {found.suggestions['minimum']:.3g} (a puts it in the form), steepest "
                    f"{found.suggestions['steepest']:.3g} (A); escape: back to the schedule")
        if self.showing_sweep and found and found.flat:
            return f"[b]range test[/b]: {finder.TOO_FLAT}"
        return None

    def sweep_chart(self) -> tuple[list[Series], str, tuple[float, float]]:
        """The LR chart's series while it shows the sweep (the suggestions as vertical lines: the
        suggested solid and green, the steepest dotted and red), its title and the loss range to show."""
        view, found = self.sweep, self.finding
        lr, loss = np.array(view.lr), np.array(view.loss)
        smooth = np.array(found.smoothed) if found else finder.smoothed(loss.tolist(), self.settings.smooth)
        shown = found or finder.Finding(lr.tolist(), loss.tolist(), smooth.tolist(), dict.fromkeys(finder.SUGGESTIONS))
        lo, hi = shown.loss_range()
        series = [Series("loss", lr, loss, "gray", marker="dot", lines=False), Series("smoothed", lr, smooth, "cyan")]
        if found and found.suggestion is not None:
            series += [Series(name, np.array([at, at]), np.array([lo, hi]), *MARKS[name])
                       for name, at in found.suggestions.items()]
        return series, f"LR range test ({view.status}): loss against lr", (lo, hi)
