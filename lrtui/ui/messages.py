"""The messages that cross from worker threads to the app (the training process's reports among them).
Training batches are append-only (never replaced); each carries the core's events for one flush."""
from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from lrtui.engine.events import Event


@dataclass(frozen=True)
class Said:
    """A line for the user, and how it reads (Textual's notification severities)."""

    text: str
    severity: str = "information"


@dataclass
class TrainingEvents(Message):
    events: list[Event]


@dataclass
class TorchReady(Message):
    """torch has been imported and warmed up in the background."""


class TrainerIdle(Message):
    """The training process is done with the job it was given."""


@dataclass
class TrainerDied(Message):
    """The training process is gone (killed for memory, say): why, in a few words."""

    why: str


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
class StoredRuns(Message):
    """What a read of the store found (lrtui.ui.watch.Read): the runs listed as the app opens, what other
    processes wrote since (a `lrtui run` in tmux), a run's steps once it is shown."""

    reads: list
    asked: bool = False  # by the user (a run shown): drawn at once
