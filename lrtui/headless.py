"""`lrtui run` and `lrtui find` without a screen: the work in a worker thread, a progress bar on
stderr, Ctrl-C stopping the run in progress (it is kept, as `stopped`)."""
from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from typing import Any, Callable

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from lrtui import recorder
from lrtui.engine import Batch, FindJob, Job, Prune, batches
from lrtui.events import EpochEnded, Event, RunEnded, RunStarted, Status, Steps
from lrtui.labels import fitted
from lrtui.store import Store


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


class Watched:
    """A plan's runs as they train, the consumer of their events (from this process or a Ray cluster):
    each run's progress bar drawn once it starts (over several seeds, one bar per schedule counts the
    epochs of all its seeds), and what each run did."""

    def __init__(self, jobs: list[Job], command: str):
        self.jobs = {job.key: job for job in jobs}
        self.seeds = {job.group: len(job.config["training"]["seeds"]) for job in jobs}
        wanted = max((len(job.label + self.times(job)) for job in jobs), default=0)
        total = max((job.epochs * self.seeds[job.group] for job in jobs), default=0)
        room = Console(file=sys.stderr).width - 57 - 2 * len(str(total))  # what the rest leaves the label
        # at 80 columns the counts stay whole: the bar gives the label up to 6 columns, the label is
        # fitted to the room (labels.fitted), samples/s shown only where there is room for it
        bar = max(6, min(12, 12 + room - wanted))
        room += 12 - bar
        self.width = max(12, min(wanted, 36, room))
        labels = list(dict.fromkeys(job.label for job in jobs))
        self.names = dict(zip(labels, fitted(labels, self.width - max(map(len, map(self.times, jobs)), default=0))))
        rate = " {task.fields[rate]:>8} samples/s" if room - self.width >= 19 else ""
        columns = (TextColumn(f"{{task.description:<{self.width}}}"), BarColumn(bar_width=bar), MofNCompleteColumn(),
                   TextColumn("epochs"), TextColumn("loss {task.fields[loss]:<8} lr {task.fields[lr]:<9}" + rate),
                   TimeRemainingColumn())
        self.progress = Bars(command, *columns, transient=False)
        self.runs: dict[str, dict] = {}  # by key, once it started: its id, bar, whether it stepped, its status
        self.bars: dict[str | None, Any] = {}  # a schedule's bar over its seeds, by group

    def times(self, job: Job) -> str:
        """What a bar over several seeds says after its label: ' x5'."""
        return f" x{self.seeds[job.group]}" if self.seeds[job.group] > 1 else ""

    def __call__(self, events: list[Event]) -> None:
        progress = self.progress
        for event in events:
            job = self.jobs[event.key]
            if isinstance(event, RunStarted):
                progress.notes(event.notes + together(event.config))
                if job.group not in self.bars:
                    name = self.names[job.label] + self.times(job)
                    self.bars[job.group] = progress.add_task(name, total=job.epochs * self.seeds[job.group], loss="-",
                                                             lr="-", rate="-")
                self.runs[event.key] = {"id": event.run_id, "bar": self.bars[job.group], "stepped": False}
                continue
            run = self.runs[event.key]
            if isinstance(event, Steps):
                run["stepped"] = True
                progress.update(run["bar"], loss=f"{event.loss[-1]:.4g}", lr=f"{event.lr[-1]:.3g}")
            elif isinstance(event, EpochEnded):
                progress.update(run["bar"], advance=1, rate=f"{event.samples_per_s:,.0f}")
            elif isinstance(event, RunEnded):
                run["status"] = event.status


def run_all(jobs: list[Job], store: Store, command: str = "run", prune: Prune | None = None) -> tuple[list[Ran], bool]:
    """Train the jobs, compatible ones batched (engine.batches), their epochs judged by `prune` (a
    sweep's pruner) if given, on progress bars (Watched); returns the runs, in the plan's order, and
    whether the user interrupted."""
    results: list[Ran] = []
    given_up: set[str | None] = set()  # presets whose task failed before a first step
    watched = Watched(jobs, command)
    with watched.progress:
        for unit in batches(jobs):
            members = [job for job in (unit.jobs if isinstance(unit, Batch) else (unit,))
                       if job.preset not in given_up and not (prune and prune.out(job))]
            if not members:
                continue
            unit = Batch(tuple(members)) if len(members) > 1 else members[0]
            _, interrupted = in_worker(lambda stop, unit=unit: recorder.run(unit, store, watched, stop, prune))
            for job in members:
                if (run := watched.runs.get(job.key)) is None:
                    continue
                status, skipped = run.get("status", Status.STOPPED), 0
                if status == Status.FAILED and not run["stepped"] and job.preset not in given_up:
                    skipped = sum(later.preset == job.preset and later.key not in watched.runs for later in jobs)
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
