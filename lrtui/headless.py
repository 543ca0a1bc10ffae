"""`lrtui run` without a screen: every run of the presets in turn in a worker thread, a progress bar on
stderr, Ctrl-C stopping the run in progress (it is kept, as `stopped`)."""
from __future__ import annotations

import sys
import threading
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from lrtui.engine import Job, train
from lrtui.events import EpochEnded, Event, RunEnded, RunStarted, Steps
from lrtui.store import Store


def run_all(jobs: list[Job], store: Store) -> tuple[list[tuple[int, str]], bool]:
    """Train each job in turn; returns (run id, status) per run and whether the user interrupted."""
    results: list[tuple[int, str]] = []
    console = Console(file=sys.stderr)
    columns = (TextColumn("{task.description:<18}"), BarColumn(bar_width=20), MofNCompleteColumn(), TextColumn("epochs"),
               TextColumn("loss {task.fields[loss]:<8} lr {task.fields[lr]:<9} {task.fields[rate]:>8} samples/s"),
               TimeRemainingColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        for job in jobs:
            bar = progress.add_task(job.label[:18], total=job.epochs, loss="-", lr="-", rate="-")
            stop, outcome = threading.Event(), {}

            def emit(events: list[Event], bar: Any = bar) -> None:
                for event in events:
                    if isinstance(event, RunStarted):
                        outcome["id"] = event.run_id
                    elif isinstance(event, Steps):
                        progress.update(bar, loss=f"{event.loss[-1]:.4g}", lr=f"{event.lr[-1]:.3g}")
                    elif isinstance(event, EpochEnded):
                        progress.update(bar, completed=event.epoch + 1, rate=f"{event.samples_per_s:,.0f}")
                    elif isinstance(event, RunEnded):
                        outcome["status"] = event.status

            worker = threading.Thread(target=_guard, args=(job, store, emit, stop, outcome), daemon=True)
            worker.start()
            try:
                while worker.is_alive():
                    worker.join(0.2)
            except KeyboardInterrupt:
                stop.set()
                worker.join()
                if "id" in outcome:
                    results.append((outcome["id"], outcome.get("status", "stopped")))
                return results, True
            if "raised" in outcome:
                raise outcome["raised"]
            results.append((outcome["id"], outcome["status"]))
    return results, False


def _guard(job: Job, store: Store, emit: Any, stop: threading.Event, outcome: dict) -> None:
    """The worker: bad input (ConfigError) is handed back to the main thread to report."""
    try:
        train(job, store, emit, stop)
    except Exception as e:  # noqa: BLE001 - re-raised in the caller's thread
        outcome["raised"] = e
