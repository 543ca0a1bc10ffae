"""What a loop reports, in order: RunStarted, then Steps and EpochEnded as it goes, then RunEnded. A
loop hands them to its consumer in batches, and knows nothing of the store: the recorder writes them
there (lrtui.runs.recorder), the app and the progress bars show them.

Every event names its run by the key its job was planned with, so that a run made in another process
or on another machine is recorded where its events arrive."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    """Where a run is: queued (a job the app holds), then running until its loop ends it as one of the
    next five; a run still marked running whose process is gone reads as interrupted. A pruned run was
    ended at a rung by a sweep's pruner (`--prune halving`): out of the verdict, not a failure."""

    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    STOPPED = "stopped"
    DIVERGED = "diverged"
    FAILED = "failed"
    PRUNED = "pruned"
    INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class RunStarted:
    """Everything the store's row of the run holds, and what a view of it needs."""

    key: str
    label: str
    kind: str                     # "train", or "find": a range test
    config: dict                  # the full configuration, as stored
    preset: str | None
    task: str
    seed: int
    device: str
    device_name: str
    epochs: int
    steps_per_epoch: int          # a range test: the steps of its sweep (and no epochs)
    notes: tuple[str, ...] = ()   # the task's one-line notes for the user (tasks: `notes`)
    run_id: int | None = None     # the store's id of the run, set by the recorder
    comparison: str | None = None  # the comparison (schedules x seeds) it belongs to, and its group there
    group: str | None = None

    @property
    def total_steps(self) -> int:
        return max(self.epochs, 1) * self.steps_per_epoch


@dataclass(frozen=True)
class Steps:
    """Consecutive batches from `first` (counted over the whole run): the lr each used, read from the
    optimizer, its momentum or beta1 where the schedule moves it, and its training loss."""

    key: str
    first: int
    lr: tuple[float, ...]
    momentum: tuple[float, ...] | None
    loss: tuple[float, ...]


@dataclass(frozen=True)
class EpochEnded:
    key: str
    epoch: int
    lr: float                 # the lr at the start of the epoch
    train_loss: float
    val_loss: float | None
    val_acc: float | None
    seconds: float
    samples_per_s: float


@dataclass(frozen=True)
class RunEnded:
    key: str
    status: Status            # finished, stopped, diverged or failed
    error: str | None = None


Event = RunStarted | Steps | EpochEnded | RunEnded


def encode(events: list[Event]) -> str:
    """Events as JSON text, to travel where objects do not (a Ray trial's results)."""
    import json
    from dataclasses import asdict

    return json.dumps([{"type": type(e).__name__, **asdict(e)} for e in events])


def decode(text: str) -> list[Event]:
    """What `encode` wrote, as events again (tuples as tuples, a status as a Status)."""
    import json

    kinds = {cls.__name__: cls for cls in (RunStarted, Steps, EpochEnded, RunEnded)}
    out = []
    for item in json.loads(text):
        cls = kinds[item.pop("type")]
        fields = {k: tuple(v) if isinstance(v, list) and k != "config" else v for k, v in item.items()}
        if cls is RunEnded:
            fields["status"] = Status(fields["status"])
        out.append(cls(**fields))
    return out
