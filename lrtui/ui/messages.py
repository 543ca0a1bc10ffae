"""The messages that cross from worker threads to the app (the training process's reports among them).
Training batches are append-only (never replaced); each carries the core's events for one flush."""
from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from lrtui.events import Event


@dataclass
class TrainingEvents(Message):
    events: list[Event]


@dataclass
class TorchReady(Message):
    """torch has been imported and warmed up in the background."""


@dataclass
class PreviewReady(Message):
    """An exact preview (stepped through torch in a worker) for the configuration `key`."""

    key: object
    curve: object


@dataclass
class PreviewRefused(Message):
    """The exact preview for the configuration `key` broke a rule (an lr below zero, say)."""

    key: object
    error: Exception


@dataclass
class JobRefused(Message):
    """A queued run could not start (missing data, a task that fails before training)."""

    label: str
    error: str


@dataclass
class StoredRun(Message):
    """What another process wrote of a run (a `lrtui run` in tmux): `run` as Store.run reads it, its
    step rows from row `first_row` on; `new` for a run the app has not listed."""

    run: dict
    first_row: int
    new: bool
