"""The LR range test in the app: `f` sweeps the lr for the form's optimizer and task in the training
process (queued like a run, stopped by `s` like one; `F` sets the sweep first); the LR chart then
shows loss against lr with the suggestions, `a` puts the suggested lr in the form (A: the
steepest), escape goes back to the schedule. `t` tries the suggestions first: short runs of the
form's schedule at each and a factor of 3 around them, batched, after which `a` puts in the lr that
trained best.

`RangeTest` is what the app keeps of it: the settings, the sweep in progress or the last one, its
finding. It is given the sweep's events and says what to show; the app does the showing."""
from __future__ import annotations

import numpy as np

from lrtui.engine.events import Event, RunEnded, RunStarted, Status, Steps
from lrtui.judge import findings, scores
from lrtui.judge.verdict import DEFAULT_METRIC
from lrtui.output.plots import MARKS
from lrtui.plan import planning, presets, range_test
from lrtui.ui.charts import Series
from lrtui.ui.messages import Said
from lrtui.ui.runview import RunView


class RangeTest:
    def __init__(self) -> None:
        self.settings = range_test.Sweep()
        self.sweep: RunView | None = None          # the sweep in progress or the last one
        self.started: RunStarted | None = None     # what its loop said of it as it began
        self.finding: findings.Finding | None = None  # its analysis, once it has ended
        self.showing = False                       # the LR chart shows the sweep, not the schedule
        self.check: str | None = None              # the comparison of the check of its suggestions, once asked for
        self.checked: float | None = None          # the lr that trained best in it, once it has ended
        self.unapplied = False                     # the status line says the checked lr until `a` applies one

    def job(self, draft, preset: str | None, data_dir) -> tuple[planning.FindJob, Said]:
        """The range test of the form's optimizer and training settings, and what to say of it."""
        s = self.settings
        job = planning.find_job(draft.training, draft.optimizer, s, preset, data_dir)
        return job, Said(f"range test of {draft.optimizer.name} on {draft.training['task']}: lr {s.start_lr:g} "
                         f"to {s.end_lr:g} over {s.steps} steps")

    def take(self, event: Event) -> bool | Said:
        """Take a training event if it belongs to a sweep: False when it does not, else True, or what to
        say when the sweep has ended."""
        if isinstance(event, RunStarted) and event.kind == "find":
            self.sweep = RunView(event.run_id, event.label, event.config, "cyan", True,
                                 steps_per_epoch=event.steps_per_epoch)
            self.started, self.finding, self.showing, self.check, self.checked = event, None, True, None, None
            return True
        if self.started is None or event.key != self.started.key:
            return False
        if isinstance(event, Steps):
            self.sweep.add_steps(event.lr, event.loss)
            return True
        if not isinstance(event, RunEnded):
            return True
        self.sweep.status = event.status
        smooth = self.started.config["sweep"]["smooth"]  # its own, if F changed since
        self.finding = findings.analyse(list(self.sweep.lr), list(self.sweep.loss), smooth)  # every step came here
        if event.status == Status.FAILED:
            return Said(f"range test failed: {event.error}", "error")
        if self.finding.suggestion is None:
            return Said(f"range test: {findings.TOO_FLAT if self.finding.flat else 'too few steps to suggest an lr'}",
                        "warning")
        return Said("range test finished: a or A applies its lr")  # the status line says which

    def suggestion(self, which: str | None) -> tuple[float, str] | Said:
        """The lr to apply and what it is: `which` of findings.SUGGESTIONS, or (None) the lr the check
        found best where one ran, else the suggested one; or why there is none."""
        self.unapplied = False
        if which is None and self.checked is not None:
            return self.checked, "checked best"
        which = which or findings.SUGGESTIONS[0]
        lr = self.finding.suggestions[which] if self.finding else None
        if lr is None:
            return Said(findings.TOO_FLAT if self.finding and self.finding.flat else
                        "no suggestion yet: f runs the range test", "warning")
        return lr, which

    def check_jobs(self, draft, data_dir) -> list | Said:
        """The short runs that check the suggestions (planning.lr_check) on the form's schedule, optimizer and
        training settings, or why there is nothing to check."""
        if not self.finding or self.finding.suggestion is None:
            return self.suggestion(findings.SUGGESTIONS[0])
        run = presets.Run(draft.schedule.name, draft.schedule, draft.optimizer)
        check = planning.lr_check(run, draft.training, findings.candidates(self.finding), self.settings.check_epochs)
        jobs = planning.jobs(check, data_dir=data_dir)
        self.check, self.checked, self.showing = jobs[0].comparison, None, False  # its runs draw on the charts
        return jobs

    def checked_by(self, views: list) -> Said:
        """The check's runs have ended: the lr whose run ended best (on one seed: the lowest, not a
        verdict), kept for `a`, and said with what the others scored."""
        judged = scores.judge([v.entry() for v in views], DEFAULT_METRIC)
        lrs = {v.group: next(iter(v.config["point"].values())) for v in views}
        best = next((g for g in judged.groups if g.mean is not None), None)
        if best is None:
            return Said("check: no lr trained to its end", "warning")
        self.checked, self.unapplied = lrs[best.name], True
        others = ", ".join(f"{lrs[g.name]:.3g}: {'-' if g.mean is None else format(g.mean, '.4g')}"
                           for g in judged.groups[1:])
        return Said(f"check: lr {self.checked:.3g} trained best ({judged.metric.label} {best.mean:.4g}; {others}); "
                    "a applies it")

    def status(self) -> str | None:
        """The status line while a sweep runs, and while its chart is shown."""
        view, found = self.sweep, self.finding
        if view is not None and view.status == Status.RUNNING and view.loss:
            return (f"[b]range test[/b]: step {len(view.loss)}/{view.steps_per_epoch}  lr {view.lr[-1]:.3g}  "
                    f"loss {view.loss[-1]:.4g}  (s stops)")  # one line of the status at 80 columns
        if self.checked is not None and self.unapplied:
            return f"[b]range test[/b]: a sets lr {self.checked:.3g} (checked best), A steepest {found.suggestions['steepest']:.3g}"
        if self.showing and found and found.suggestion is not None:
            return (f"[b]range test[/b]: a sets lr {found.suggestions['minimum']:.3g}, A steepest "
                    f"{found.suggestions['steepest']:.3g}, t tries them")
        if self.showing and found and found.flat:
            return f"[b]range test[/b]: {findings.TOO_FLAT}"
        return None

    @property
    def shown(self) -> bool:
        """The LR chart shows the sweep: one is asked for and has steps."""
        return bool(self.showing and self.sweep and self.sweep.lr)

    def chart(self) -> tuple[list[Series], str, tuple[float, float]]:
        """The LR chart's series while it shows the sweep (the suggestions as vertical lines: the
        suggested solid and green, the steepest dotted and red), its title and the loss range to show."""
        view, found = self.sweep, self.finding
        lr, loss = np.array(view.lr), np.array(view.loss)
        smooth = np.array(found.smoothed) if found else findings.smoothed(loss.tolist(), self.settings.smooth)
        shown = found or findings.Finding(lr.tolist(), loss.tolist(), smooth.tolist(), dict.fromkeys(findings.SUGGESTIONS))
        lo, hi = shown.loss_range()
        series = [Series("loss", lr, loss, "gray", marker="dot", lines=False), Series("smoothed", lr, smooth, "cyan")]
        if found and found.suggestion is not None:
            series += [Series(name, np.array([at, at]), np.array([lo, hi]), *MARKS[name])
                       for name, at in found.suggestions.items()]
        return series, f"LR range test ({view.status}): loss against lr", (lo, hi)
