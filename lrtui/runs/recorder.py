"""The one writer of runs into the store: it takes a loop's events (from this process, the app's
training process, or later a cluster's trials) and records each run under its key, then hands the
events on. Loops know nothing of the store; this is where their runs are kept.

A training run's steps are committed with each epoch, so a killed process loses at most the epoch in
progress; a range test, which has no epochs, commits its steps as they come."""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

from lrtui.engine.events import EpochEnded, Event, RunEnded, RunStarted, Steps
from lrtui.runs.store import RunWriter, Store


class Recorder:
    """Records the events it is given in `store`, then hands them to `forward`, with each RunStarted
    carrying the store's id of its run."""

    def __init__(self, store: Store, forward: Callable[[list[Event]], None] = lambda events: None):
        self.store, self.forward = store, forward
        self.writers: dict[str, tuple[RunWriter, bool]] = {}  # key: (its writer, commits every step)
        self.ids: dict[str, int] = {}

    def __call__(self, events: list[Event]) -> None:
        self.forward([self._record(event) for event in events])

    def _record(self, event: Event) -> Event:
        if isinstance(event, RunStarted):
            writer = self.store.start(event.label, event.preset, event.config, event.task, event.device,
                                      event.device_name, event.seed, event.total_steps, event.kind, event.key,
                                      event.comparison, event.group)
            self.writers[event.key] = (writer, event.kind == "find")
            self.ids[event.key] = writer.run_id
            return dataclasses.replace(event, run_id=writer.run_id)
        writer, each_step = self.writers[event.key]
        if isinstance(event, Steps):
            writer.steps(event.first, list(event.lr), None if event.momentum is None else list(event.momentum),
                         list(event.loss))
            if each_step:
                writer.commit()
        elif isinstance(event, EpochEnded):
            writer.epoch({f.name: getattr(event, f.name) for f in dataclasses.fields(event) if f.name != "key"})
        elif isinstance(event, RunEnded):
            del self.writers[event.key]
            writer.finish(event.status, event.error)
        return event


def run(job: Any, store: Store, emit: Callable[[list[Event]], None], stop: Any, prune: Any = None) -> str | None:
    """`job` through its loop (its epochs to `prune`, a sweep's pruner, if given), recorded in `store`,
    its events handed on to `emit`; returns its status (a batch: None, as engine.run)."""
    from lrtui import engine

    return engine.run(job, Recorder(store, emit), stop, prune)
