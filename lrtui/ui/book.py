"""The runs the app knows: the ones it trains (queued, in progress, ended) and the ones the store holds
or other processes add. `Book` is given the training process's events and the store's reads, says what
to hand the training process next and what to tell the user; the app shows what it holds."""
from __future__ import annotations

from collections import deque

from lrtui.engine.events import EpochEnded, Event, RunEnded, RunStarted, Status, Steps
from lrtui.judge.verdict import Comparison, Metric
from lrtui.plan.planning import Batch, batches
from lrtui.ui import groups, watch
from lrtui.ui.charts import colour
from lrtui.ui.messages import Said
from lrtui.ui.runs_table import Row
from lrtui.ui.runview import RunView


class Book:
    def __init__(self) -> None:
        self.runs: dict[int, RunView] = {}  # by the store's id
        self.stored: dict[str, int] = {}     # the store's id of each run this app trained, by its key
        self.queue: deque = deque()          # jobs not handed to the training process yet
        self.handed: list = []               # the jobs of the unit the training process has (a batch's several)
        self.busy = False                    # the training process has a job
        self.training: list[int] = []        # the store's ids of the runs in training (several where batched)
        self.noted: set[str] = set()         # the runs' notes said so far

    def enqueue(self, jobs: list) -> object | None:
        """Queue `jobs`; the job to hand the training process now, if it is free."""
        self.queue.extend(jobs)
        return None if self.busy else self.next()

    def next(self) -> object | None:
        """The training process is free: the next job for it (compatible runs as one Batch), if any."""
        self.busy = bool(self.queue)
        if not self.queue:
            return None
        job = next(batches(self.queue))
        self.handed = list(job.jobs if isinstance(job, Batch) else (job,))
        for _ in self.handed:
            self.queue.popleft()
        return job

    def idle(self) -> None:
        """The training process is done with its job."""
        self.busy, self.handed = False, []

    def stop(self) -> bool:
        """Empty the queue; whether a job is still in the training process (to stop there: the members
        of its unit that have not started never will)."""
        self.queue.clear()
        self.handed = [job for job in self.handed if job.key in self.stored]
        return self.busy

    def take(self, event: Event) -> Said | None:
        """A training event: a training run's begins its view (shown), its steps and epochs grow it."""
        if isinstance(event, RunStarted):
            if event.kind == "train":
                self.stored[event.key] = event.run_id
                self.training.append(event.run_id)
                self.runs[event.run_id] = RunView(event.run_id, event.label, event.config,
                                                  self._colour(event.run_id, event.comparison, event.group), True,
                                                  steps_per_epoch=event.steps_per_epoch, epochs_total=event.epochs,
                                                  comparison=event.comparison, group=event.group)
                notes = [note for note in event.notes if note not in self.noted]
                self.noted.update(notes)
                if notes:  # the task's word on this run (an image folder of few batches), each once
                    return Said(f"{event.label}: {'; '.join(notes)}", "warning")
            return None
        run = self.runs.get(self.stored.get(event.key))
        if run is None:
            return None
        if isinstance(event, Steps):
            run.add_steps(event.lr, event.loss, event.momentum)
        elif isinstance(event, EpochEnded):
            run.epochs.append({"epoch": event.epoch, "lr": event.lr, "train_loss": event.train_loss,
                               "val_loss": event.val_loss, "val_acc": event.val_acc, "seconds": event.seconds,
                               "samples_per_s": event.samples_per_s})
        elif isinstance(event, RunEnded):
            run.status = event.status
            self.training = [i for i in self.training if i != run.id]
            if event.status in (Status.FAILED, Status.DIVERGED):
                return Said(f"{run.label}: {event.status}" + (f": {event.error}" if event.error else ""),
                            "error" if event.status == Status.FAILED else "warning")
        return None

    def died(self, why: str) -> Said:
        """The training process is gone: the job it had is lost (its run reads as interrupted in the
        store), the queue waits for the next one."""
        lost = [self.runs[i] for i in self.training if i in self.runs]
        for run in lost:
            run.status = Status.INTERRUPTED
        self.busy, self.training, self.handed = False, [], []
        during = f" during {', '.join(run.label for run in lost)}" if lost else ""
        return Said(f"the training process died ({why}){during}; a new one starts", "error")

    def read(self, read: watch.Read) -> None:
        """A read of a stored run (from an epoch and a step row on) into its view: a new one for a `new`
        run (range tests are `lrtui runs`'s), its epochs and, once it is shown, the steps the view lacks.
        The app's own runs come by events."""
        run = read.run
        if run["id"] in self.training or run["key"] in self.stored or run["kind"] != "train":
            return
        if read.new and run["id"] not in self.runs:
            self.runs[run["id"]] = RunView(run["id"], run["label"], run["config"],
                                           self._colour(run["id"], run["comparison"], run["group"]), False,
                                           comparison=run["comparison"], group=run["group"])
        if run["id"] in self.runs:  # else deleted meanwhile
            self.runs[run["id"]].take(run, read.first_row)

    def _colour(self, run_id: int, comparison: str | None, group: str | None) -> str:
        """A run's colour: its group's in a comparison (the first member's), else its own."""
        first = next((v for v in self.runs.values() if comparison and (v.comparison, v.group) == (comparison, group)),
                     None)
        return first.colour if first else colour(run_id)

    def settled(self, comparison: str) -> bool:
        """No run of `comparison` waits or trains (it finished, or was stopped): none queued, none
        handed to the training process that has not started (a batch that falls back to one run after
        another starts its members in turn), none running."""
        waiting = [*self.queue, *(job for job in self.handed if job.key not in self.stored)]
        return not any(job.comparison == comparison for job in waiting) and not any(
            v.comparison == comparison and v.status == Status.RUNNING for v in self.runs.values())

    def held(self) -> dict[int, watch.Held]:
        """The runs listed as running that another process trains, as the store's watch asks."""
        return {run_id: watch.Held(len(view.epochs), len(view.lr), view.shown)
                for run_id, view in list(self.runs.items()) if view.status == Status.RUNNING and run_id not in self.training}

    def judge(self, metric: Metric) -> tuple[dict[str, Comparison], str | None]:
        """The verdict on each comparison of several seeds it holds (and why one could not be judged)."""
        return groups.judge(self.runs.values(), metric)

    def rows(self, judged: dict[str, Comparison] | None = None, expanded: frozenset | set = frozenset()) -> list[Row]:
        """The runs table: the runs (a comparison of several seeds as its schedules, those `expanded`
        with their runs under them), then the queue."""
        return groups.rows(self.runs, list(self.queue), judged or {}, set(expanded))
