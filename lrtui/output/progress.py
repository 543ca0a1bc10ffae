"""The CLI's progress on stderr: a bar a schedule (or sweep point) as a plan's runs train, and a bar
for a range test. Each is a watcher: told of the jobs as they are made, then given their events."""
from __future__ import annotations

import sys
from typing import Any, Iterable

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn
from rich.text import Text

from lrtui.engine.events import EpochEnded, Event, RunEnded, RunStarted, Status, Steps
from lrtui.plan.labels import fitted
from lrtui.plan.planning import FindJob, Job


class Bars(Progress):
    """Progress bars on stderr, drawn from the first bar on: nothing is drawn before the line of a job
    refused as bad input (a task whose build fails), nor left blank by it. A task's notes go above them."""

    def __init__(self, command: str, *columns: Any, transient: bool):
        super().__init__(*columns, console=Console(file=sys.stderr), transient=transient)
        self.command, self.noted = command, set()

    def __enter__(self) -> Bars:
        return self

    def add_task(self, *args: Any, **kwargs: Any) -> Any:
        self.start()  # once: a second start does nothing
        return super().add_task(*args, **kwargs)

    def stop(self) -> None:
        if self.live.is_started:
            super().stop()

    def notes(self, notes: tuple[str, ...]) -> None:
        """A task's notes, one line each above the bars, each once in the command however many runs give it."""
        for note in notes:
            if note not in self.noted:
                self.noted.add(note)
                self.console.out(f"lrtui {self.command}: note: {note}", highlight=False)  # no markup, no wrap


MAX_BARS = 30  # a bar a schedule (or point) up to this many; beyond, one bar over the plan's runs


class Times(ProgressColumn):
    """The time a bar has taken, and while it goes on an estimate of what remains: `0:12<1:05`."""

    def render(self, task: Any) -> Text:
        if task.start_time is None:
            return Text("-", style="progress.remaining")
        elapsed = _clock(task.finished_time if task.finished else task.elapsed or 0)
        remaining = task.time_remaining if not task.finished and task.stop_time is None else None
        return Text(f"{elapsed}<{_clock(remaining)}" if remaining is not None else elapsed, style="progress.remaining")


def _clock(seconds: float) -> str:
    minutes, s = divmod(int(seconds), 60)
    hours, m = divmod(minutes, 60)
    return f"{hours}:{m:02d}:{s:02d}" if hours else f"{m}:{s:02d}"


class Watched:
    """A plan's runs as they train, the consumer of their events (from this process or a Ray cluster):
    a progress bar for each schedule (or sweep point), drawn once its first run starts, counting the
    epochs of all its seeds; beyond MAX_BARS of them, one bar over the plan's runs; and what each run
    did. The plan's jobs are `expect`ed as they are made."""

    def __init__(self, plan: Any, command: str):
        self.jobs: dict[str, Job] = {}  # by key, as the plan makes them
        self.one = sum(part.groups for part in plan.parts) > MAX_BARS
        seeds = {} if self.one else {g: len(part.seeds) for part, groups in zip(plan.parts, plan.groups) for g in groups}
        groups = list(seeds)
        unit = "runs" if self.one else "epochs"
        total = len(plan) if self.one else max(part.training["epochs"] * len(part.seeds) for part in plan.parts)
        wanted = 36 if self.one else max(len(g + self.times(seeds[g])) for g in groups)
        room = Console(file=sys.stderr).width - 59 - 2 * len(str(total)) - (len(unit) - 6)  # what the rest leaves the label
        # at 80 columns the counts stay whole: the bar gives the label up to 6 columns, the label is
        # fitted to the room (labels.fitted), samples/s shown only where there is room for it
        bar = max(6, min(12, 12 + room - wanted))
        room += 12 - bar
        self.width = max(12, min(wanted, 36, room))
        times = 0 if self.one else max(len(self.times(n)) for n in seeds.values())
        self.names = {} if self.one else dict(zip(groups, fitted(groups, self.width - times)))
        rate = " {task.fields[rate]:>8} samples/s" if room - self.width >= 19 else ""
        columns = (TextColumn(f"{{task.description:<{self.width}}}"), BarColumn(bar_width=bar), MofNCompleteColumn(),
                   TextColumn(unit), TextColumn("{task.fields[state]:<22}" + rate), Times())
        self.progress = Bars(command, *columns, transient=False)
        self.runs: dict[str, Any] = {}  # the bar of each run, by key, once it started
        self.bars: dict[str | None, Any] = {}  # a schedule's bar over its seeds, by group (one: the plan's, by None)
        self.total = total

    def __enter__(self) -> Watched:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.__exit__(*exc)

    def expect(self, jobs: Iterable[Job]) -> None:
        self.jobs.update((job.key, job) for job in jobs)

    @staticmethod
    def times(seeds: int) -> str:
        """What a bar over several seeds says after its label: ' x5'."""
        return f" x{seeds}" if seeds > 1 else ""

    def __call__(self, events: list[Event]) -> None:
        progress = self.progress
        for event in events:
            job = self.jobs[event.key]
            if isinstance(event, RunStarted):
                progress.notes(event.notes + together(event.config))
                if self.one:
                    if None not in self.bars:
                        self.bars[None] = progress.add_task("", total=self.total, state=state("-", "-"), rate="-")
                    progress.update(self.bars[None], description=fitted([f"{job.group} seed {job.seed}"], self.width)[0])
                elif job.group not in self.bars:
                    seeds = len(job.config["training"]["seeds"])
                    self.bars[job.group] = progress.add_task(self.names[job.group] + self.times(seeds),
                                                             total=job.epochs * seeds, state=state("-", "-"), rate="-")
                self.runs[event.key] = self.bars[None if self.one else job.group]
                continue
            bar = self.runs[event.key]
            if isinstance(event, Steps):
                progress.update(bar, state=state(f"{event.loss[-1]:.4g}", f"{event.lr[-1]:.3g}"))
            elif isinstance(event, EpochEnded):
                progress.update(bar, advance=0 if self.one else 1, rate=f"{event.samples_per_s:,.0f}")
            elif isinstance(event, RunEnded):
                if self.one:
                    progress.update(bar, advance=1)
                elif event.status == Status.PRUNED:  # its other seeds end with it: the bar stops where it is
                    progress.update(bar, state="pruned")
                    progress.stop_task(bar)


def state(loss: str, lr: str) -> str:
    """What a bar says of its run in progress."""
    return f"loss {loss:<8} lr {lr:<8}"


def together(config: dict) -> tuple[str, ...]:
    """The note of a run trained in a batch of several (said once however many runs give it)."""
    members = config.get("batch", {}).get("members", 1)
    return (f"compatible runs train {members} at a time as one vectorised model (--batch-runs off: one by one)",
            ) if members > 1 else ()


class RangeTestBar:
    """A range test's bar over its steps, gone when it ends; a watcher of its one run (`run_id`)."""

    def __init__(self, job: FindJob):
        columns = (TextColumn("LR range test"), BarColumn(bar_width=20), MofNCompleteColumn(), TextColumn("steps"),
                   TextColumn("lr {task.fields[lr]:<9} loss {task.fields[loss]}"))
        self.progress = Bars("find", *columns, transient=True)
        self.steps, self.run_id, self.bar = job.sweep.steps, None, None

    def __enter__(self) -> RangeTestBar:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.__exit__(*exc)

    def __call__(self, events: list[Event]) -> None:
        for event in events:
            if isinstance(event, RunStarted):
                self.progress.notes(event.notes)
                self.run_id, self.bar = event.run_id, self.progress.add_task("", total=self.steps, lr="-", loss="-")
            elif isinstance(event, Steps):
                self.progress.update(self.bar, completed=event.first + len(event.lr), lr=f"{event.lr[-1]:.3g}",
                                     loss=f"{event.loss[-1]:.4g}")
