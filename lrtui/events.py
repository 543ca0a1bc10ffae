"""What a training run reports, in order: RunStarted, then Steps and EpochEnded as it goes, then
RunEnded. The engine hands them to its consumer in batches (the TUI wraps each in a message)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RunStarted:
    run_id: int
    label: str
    device: str
    device_name: str
    epochs: int
    steps_per_epoch: int          # a range test: the steps of its sweep (and no epochs)
    kind: str = "train"           # or "find": a range test
    notes: tuple[str, ...] = ()   # the task's one-line notes for the user (tasks: `notes`)


@dataclass(frozen=True)
class Steps:
    """Consecutive batches from `first` (counted over the whole run): the lr each used, read from the
    optimizer, its momentum or beta1 where the schedule moves it, and its training loss."""

    run_id: int
    first: int
    lr: tuple[float, ...]
    momentum: tuple[float, ...] | None
    loss: tuple[float, ...]


@dataclass(frozen=True)
class EpochEnded:
    run_id: int
    epoch: int
    lr: float                 # the lr at the start of the epoch
    train_loss: float
    val_loss: float | None
    val_acc: float | None
    seconds: float
    samples_per_s: float


@dataclass(frozen=True)
class RunEnded:
    run_id: int
    status: str               # finished, stopped, diverged or failed
    error: str | None = None


Event = RunStarted | Steps | EpochEnded | RunEnded
