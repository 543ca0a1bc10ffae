"""`lrtui run`, `sweep` and `find` without a screen: the work in a worker thread of this process,
Ctrl-C stopping the run in progress (it is kept, as `stopped`)."""
from __future__ import annotations

import threading
from typing import Any, Callable

from lrtui.backends import Ran, Watcher
from lrtui.engine import Prune
from lrtui.engine.events import Event, RunEnded, RunStarted, Status, Steps
from lrtui.plan.planning import Batch, FindJob, Plan, batches
from lrtui.runs import recorder
from lrtui.runs.store import Store


class LocalBackend:
    """Compatible jobs batched (planning.batches), each unit trained in a worker thread."""

    def run(self, plan: Plan, store: Store, watcher: Watcher, prune: Prune | None = None) -> tuple[list[Ran], bool]:
        results: list[Ran] = []
        given_up: set[str | None] = set()  # presets whose task failed before a first step
        tally = Tally()

        def emit(events: list[Event]) -> None:
            tally(events)
            watcher(events)

        for unit in batches(plan):
            members = [job for job in (unit.jobs if isinstance(unit, Batch) else (unit,))
                       if job.preset not in given_up and not (prune and prune.out(job))]
            watcher.expect(members)
            tally.expect(members)
            if not members:
                continue
            unit = Batch(tuple(members)) if len(members) > 1 else members[0]
            _, interrupted = in_worker(lambda stop, unit=unit: recorder.run(unit, store, emit, stop, prune))
            for job in members:
                if (run := tally.runs.get(job.key)) is None:
                    continue
                status, skipped = run.get("status", Status.STOPPED), 0
                if status == Status.FAILED and not run["stepped"] and job.preset not in given_up:
                    skipped = plan.count(job.preset) - tally.started(job.preset)
                    given_up.add(job.preset)
                results.append(Ran(run["id"], status, skipped))
            if interrupted:
                return results, True
        return results, False


class Tally:
    """What each run did, from its events: its id, whether it stepped, how it ended."""

    def __init__(self) -> None:
        self.presets: dict[str, str | None] = {}  # each job's preset, by key
        self.runs: dict[str, dict] = {}  # by key, once it started

    def expect(self, jobs: Any) -> None:
        self.presets.update((job.key, job.preset) for job in jobs)

    def __call__(self, events: list[Event]) -> None:
        for event in events:
            if isinstance(event, RunStarted):
                self.runs[event.key] = {"id": event.run_id, "stepped": False}
            elif isinstance(event, Steps):
                self.runs[event.key]["stepped"] = True
            elif isinstance(event, RunEnded):
                self.runs[event.key]["status"] = event.status

    def started(self, preset: str | None) -> int:
        """The runs of the presets of this name that started."""
        return sum(self.presets[key] == preset for key in self.runs)


def range_test(job: FindJob, store: Store, watcher: Callable[[list[Event]], None]) -> tuple[Status, bool]:
    """Run a range test, its events to `watcher`; returns its status and whether the user interrupted."""
    status, interrupted = in_worker(lambda stop: recorder.run(job, store, watcher, stop))
    return status or Status.STOPPED, interrupted


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
