"""`lrtui run` and `lrtui find` without a screen: the work in a worker thread, a progress bar on
stderr, Ctrl-C stopping the run in progress (it is kept, as `stopped`)."""
from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from typing import Any, Callable

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn
from rich.text import Text

from lrtui.engine import Prune
from lrtui.engine.events import EpochEnded, Event, RunEnded, RunStarted, Status, Steps
from lrtui.plan.labels import fitted
from lrtui.plan.planning import Batch, FindJob, Job, batches
from lrtui.runs import recorder
from lrtui.runs.store import Store


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


@dataclass(frozen=True)
class Ran:
    """A run `lrtui run` trained, and how many runs of its preset were not started after it: none,
    unless it failed before its first step (the others, on the same task, would fail the same way)."""

    run_id: int
    status: str
    skipped: int = 0


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
        self.runs: dict[str, dict] = {}  # by key, once it started: its id, bar, whether it stepped, its status
        self.bars: dict[str | None, Any] = {}  # a schedule's bar over its seeds, by group (one: the plan's, by None)
        self.total = total

    def expect(self, jobs: Any) -> None:
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
                self.runs[event.key] = {"id": event.run_id, "bar": self.bars[None if self.one else job.group],
                                        "stepped": False}
                continue
            run = self.runs[event.key]
            if isinstance(event, Steps):
                run["stepped"] = True
                progress.update(run["bar"], state=state(f"{event.loss[-1]:.4g}", f"{event.lr[-1]:.3g}"))
            elif isinstance(event, EpochEnded):
                progress.update(run["bar"], advance=0 if self.one else 1, rate=f"{event.samples_per_s:,.0f}")
            elif isinstance(event, RunEnded):
                run["status"] = event.status
                if self.one:
                    progress.update(run["bar"], advance=1)
                elif event.status == Status.PRUNED:  # its other seeds end with it: the bar stops where it is
                    progress.update(run["bar"], state="pruned")
                    progress.stop_task(run["bar"])

    def started(self, preset: str | None) -> int:
        """The runs of the presets of this name that started."""
        return sum(self.jobs[key].preset == preset for key in self.runs)


def state(loss: str, lr: str) -> str:
    """What a bar says of its run in progress."""
    return f"loss {loss:<8} lr {lr:<8}"


def run_all(plan: Any, store: Store, watched: Watched, prune: Prune | None = None) -> tuple[list[Ran], bool]:
    """Train the plan's jobs as it makes them, compatible ones batched (engine.batches), their epochs
    judged by `prune` (a sweep's pruner) if given, on `watched`'s progress bars; returns the runs, in
    the plan's order, and whether the user interrupted. A job the plan refuses as it is made (a sweep's
    point past the limit that no axis alone breaks) raises ConfigError there."""
    results: list[Ran] = []
    given_up: set[str | None] = set()  # presets whose task failed before a first step
    with watched.progress:
        for unit in batches(plan):
            members = [job for job in (unit.jobs if isinstance(unit, Batch) else (unit,))
                       if job.preset not in given_up and not (prune and prune.out(job))]
            watched.expect(members)
            if not members:
                continue
            unit = Batch(tuple(members)) if len(members) > 1 else members[0]
            _, interrupted = in_worker(lambda stop, unit=unit: recorder.run(unit, store, watched, stop, prune))
            for job in members:
                if (run := watched.runs.get(job.key)) is None:
                    continue
                status, skipped = run.get("status", Status.STOPPED), 0
                if status == Status.FAILED and not run["stepped"] and job.preset not in given_up:
                    skipped = plan.count(job.preset) - watched.started(job.preset)
                    given_up.add(job.preset)
                results.append(Ran(run["id"], status, skipped))
            if interrupted:
                return results, True
    return results, False


def together(config: dict) -> tuple[str, ...]:
    """The note of a run trained in a batch of several (said once however many runs give it)."""
    members = config.get("batch", {}).get("members", 1)
    return (f"compatible runs train {members} at a time as one vectorised model (--batch-runs off: one by one)",
            ) if members > 1 else ()


def sweep(job: FindJob, store: Store) -> tuple[int | None, str, bool]:
    """Run a range test with a progress bar (gone when it ends); returns (run id, status, interrupted)."""
    columns = (TextColumn("LR range test"), BarColumn(bar_width=20), MofNCompleteColumn(), TextColumn("steps"),
               TextColumn("lr {task.fields[lr]:<9} loss {task.fields[loss]}"))
    started: list[tuple[int, Any]] = []  # (run id, its bar)
    with Bars("find", *columns, transient=True) as progress:

        def emit(events: list[Event]) -> None:
            for event in events:
                if isinstance(event, RunStarted):
                    progress.notes(event.notes)
                    started.append((event.run_id, progress.add_task("", total=job.sweep.steps, lr="-", loss="-")))
                elif isinstance(event, Steps):
                    progress.update(started[0][1], completed=event.first + len(event.lr), lr=f"{event.lr[-1]:.3g}",
                                    loss=f"{event.loss[-1]:.4g}")

        status, interrupted = in_worker(lambda stop: recorder.run(job, store, emit, stop))
    return (started[0][0] if started else None), status or Status.STOPPED, interrupted


def in_worker(work: Callable[[threading.Event], Any]) -> tuple[Any, bool]:
    """`work(stop)` in a worker thread, so that Ctrl-C here sets `stop` (the work then ends within a
    batch and keeps what it did). Returns (what work returned, interrupted); its exception is raised here.
    The wait is on an event, not Thread.join: a join cut short by Ctrl-C can report a live thread dead."""
    stop, done, outcome = threading.Event(), threading.Event(), {}

    def guard() -> None:
        try:
            outcome["result"] = work(stop)
        except Exception as e:  # noqa: BLE001 - re-raised in the caller's thread
            outcome["raised"] = e
        finally:
            done.set()

    threading.Thread(target=guard, daemon=True).start()
    interrupted = False
    try:
        while not done.wait(0.2):
            pass
    except KeyboardInterrupt:
        stop.set()
        done.wait()
        interrupted = True
    if "raised" in outcome:
        raise outcome["raised"]
    return outcome.get("result"), interrupted
