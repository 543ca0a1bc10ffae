"""Training in a child process: the app's event loop and the training loop then never take turns at
one interpreter's GIL (on a small machine that costs training a third of its speed in a thread).

The child imports torch once, then runs the jobs it is given one at a time through the engine's
loops, as `lrtui run` and `lrtui find` do, its recorder writing the same store; the events come back
over a queue. A shared event stops the run in progress within a batch. If the app
dies, the run in progress still finishes and is stored, then the child exits.

Closing stops the run in progress (it is stored as stopped) and waits for the child, which then
exits at once: an interpreter that has imported torch takes seconds to tear itself down, and the
child has nothing left to clean up (its store is committed, and the app reads no more events)."""
from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import queue
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lrtui.plan.planning import Batch, FindJob, Job


@dataclass(frozen=True)
class Ready:
    """The child has imported torch and can train."""


@dataclass(frozen=True)
class Idle:
    """The job handed over is done (all its runs ended, or it was refused): the child takes the next."""


@dataclass(frozen=True)
class Refused:
    """A job that could not start (bad input found late: missing data, a task that fails)."""

    label: str
    error: str


class Service:
    """Runs the jobs it is given one at a time, reporting their events; `stop` stops the one in progress."""

    jobs: Any
    events: Any
    stop: Any

    def submit(self, job: Job | FindJob | Batch) -> None:
        self.stop.clear()
        self.jobs.put(job)

    def died(self) -> str | None:
        """Why the service is gone, if it is (it may have said things before: read them first)."""
        raise NotImplementedError

    def next_events(self, timeout: float) -> list:
        """The events (lists of the engine's events, Ready, Refused) that arrived, waiting up to `timeout`."""
        try:
            first = self.events.get(timeout=timeout)
        except queue.Empty:
            return []
        out = [first]
        while True:
            try:
                out.append(self.events.get_nowait())
            except queue.Empty:
                return out


class Trainer(Service):
    def __init__(self, store_path: Path):
        context = mp.get_context("spawn")  # a fork of a threaded process (the app, torch) is unsafe
        with contextlib.redirect_stderr(sys.__stderr__):  # a running app's (Textual's capture) has no fd to pass
            self.jobs, self.events, self.stop = context.Queue(), context.Queue(), context.Event()
            self.process = context.Process(target=_serve, args=(store_path, self.jobs, self.events, self.stop),
                                           daemon=True, name="lrtui-trainer")
            self.process.start()

    def died(self) -> str | None:
        code = self.process.exitcode
        if code is None:
            return None
        return f"killed by signal {-code}" if code < 0 else f"exit code {code}"

    def close(self) -> None:
        """Stop the run in progress and end the child, waiting for it to store the run (a second at
        most; then it is killed and the run reads as interrupted)."""
        self.stop.set()
        self.jobs.put(None)
        self.process.join(timeout=1.0)
        if self.process.is_alive():
            self.process.terminate()


class ThreadTrainer(Service):
    """The same service in a thread of this process, for a process that has torch imported already
    (the test suite: no child to spawn, no second import of torch), at the cost of sharing its GIL."""

    def __init__(self, store_path: Path):
        self.jobs, self.events, self.stop = queue.Queue(), queue.Queue(), threading.Event()
        self.thread = threading.Thread(target=self._serve, args=(store_path,), daemon=True, name="lrtui-trainer")
        self.thread.start()

    def _serve(self, store_path: Path) -> None:
        from lrtui.runs.store import Store

        store = Store(store_path)
        self.events.put(Ready())
        while (job := self.jobs.get()) is not None:
            _run(job, store, self.events.put, self.stop)

    def died(self) -> str | None:
        return None if self.thread.is_alive() else "its thread ended"

    def close(self) -> None:
        self.stop.set()
        self.jobs.put(None)
        self.thread.join(timeout=10)


def service(store_path: Path) -> Service:
    """The app's trainer: a child process, or with LRTUI_TRAINER=thread a thread of this process (for
    one that has torch imported already, as the test suite has, or a debugger that should see the run)."""
    return ThreadTrainer(store_path) if os.environ.get("LRTUI_TRAINER") == "thread" else Trainer(store_path)


def _serve(store_path: Path, jobs: Any, events: Any, stop: Any) -> None:
    import torch

    from lrtui.runs.store import Store

    torch.set_num_threads(max(1, (os.cpu_count() or 2) - 1))  # one core stays with the app
    torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)  # the first optimizer costs ~1 s
    store = Store(store_path)
    events.put(Ready())
    parent = os.getppid()
    while os.getppid() == parent:  # the app gone (an SSH session dropped): the run in progress was kept
        try:
            job = jobs.get(timeout=1.0)
        except queue.Empty:
            continue
        if job is None:
            os._exit(0)  # skip the teardown (see the module's docstring)
        _run(job, store, events.put, stop)


def _run(job: Job | FindJob | Batch, store: Any, report: Any, stop: Any) -> None:
    """One job through its loop, recorded; one that cannot start is Refused; then Idle."""
    from lrtui.runs import recorder

    try:
        recorder.run(job, store, report, stop)
    except Exception as e:  # noqa: BLE001 - before the run starts: reported, the service goes on
        report(Refused(job.label, str(e)))
    report(Idle())
