"""What the app keeps of one run while it is on screen."""
from __future__ import annotations

import math
import time
from array import array
from dataclasses import dataclass, field
from typing import Iterable

import numpy as np
from rich.markup import escape

from lrtui.engine.events import Status
from lrtui.engine.smoothing import Ema
from lrtui.judge.scores import Entry, Summary, summarise
from lrtui.plan.config import RunConfig
from lrtui.tasks import known_batches
from lrtui.ui.charts import Series

LOSS_WEIGHT = 0.1  # of each new loss in the smoothed curve


@dataclass
class RunView:
    """What the app keeps of one run: its summary and its curves, in growable float arrays that numpy
    copies at memory speed, with the loss's EMA kept up to date as steps arrive. A loss that is not
    finite (a diverged run's last; NULL in the store) is kept as it is, and the EMA passes over it."""

    id: int
    label: str
    config: dict  # as stored: what its label says differs
    colour: str
    shown: bool
    status: str = Status.RUNNING
    steps_per_epoch: int = 1
    epochs_total: int = 0
    comparison: str | None = None  # the comparison (schedules x seeds) it belongs to, and its group there
    group: str | None = None
    lr: array = field(default_factory=lambda: array("d"))
    momentum: array = field(default_factory=lambda: array("d"))  # or beta1: NaN where the schedule moves none
    loss: array = field(default_factory=lambda: array("d"))
    ema: array = field(default_factory=lambda: array("d"))
    epochs: list[dict] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    average: Ema = field(default_factory=lambda: Ema(LOSS_WEIGHT), init=False, repr=False)  # of the finite losses
    setup: RunConfig = field(init=False, repr=False)  # its config, read once

    def __post_init__(self) -> None:
        self.setup = RunConfig.of(self.config)

    def add_steps(self, lr: Iterable[float | None], loss: Iterable[float | None],
                  momentum: Iterable[float | None] | None = None) -> None:
        lr = _floats(lr)
        self.lr.extend(lr)
        self.momentum.extend(_floats(momentum) if momentum is not None else [math.nan] * len(lr))
        for value in _floats(loss):
            self.loss.append(value)
            if math.isfinite(value):
                self.average.add(value)
            self.ema.append(self.average.value)

    def series(self, x_steps: bool, smooth: bool, momentum: bool = False) -> tuple[Series, list[Series]]:
        """Its lr (its momentum or beta1 with `momentum`), and its training loss (the EMA with `smooth`) with the validation loss per epoch, for
        the charts; x in steps or epochs. A diverged run's loss is cut off at its highest finite value
        before its lowest (the fall fills the chart, the blow-up leaves it at the top, as in the range
        test's chart) and an x marks its last finite step."""
        x = np.arange(len(self.lr), dtype=float) / (1 if x_steps else self.steps_per_epoch)
        lr = Series(self.label, x, np.array(self.momentum if momentum else self.lr), self.colour)
        raw = np.array(self.loss)
        loss = np.array(self.ema) if smooth else raw
        finite = np.flatnonzero(np.isfinite(raw))
        diverged = len(finite) > 0 and (self.status == "diverged" or len(finite) < len(raw))
        if diverged:
            lowest = finite[np.argmin(raw[finite])]
            loss = np.minimum(loss, raw[finite[finite <= lowest]].max())
        losses = [Series(self.label, x, loss, self.colour, lines=smooth)]
        if diverged:
            last = finite[-1]
            losses.append(Series(f"{self.label} diverged", x[last:last + 1], loss[last:last + 1], self.colour,
                                 marker="x", lines=False))
        val = [(e["epoch"] + 1, e["val_loss"]) for e in self.epochs if e["val_loss"] is not None]
        if val:
            epochs, values = (np.array(v, dtype=float) for v in zip(*val))
            losses.append(Series(f"{self.label} val", epochs * (self.steps_per_epoch if x_steps else 1), values,
                                 self.colour, marker="dot", lines=False))
        return lr, losses

    def progress(self) -> str:
        """The status line's word on it while it trains (markup)."""
        if not self.loss:
            return f"[b]{escape(self.label)}[/b]: starting"
        done, elapsed = len(self.epochs), time.monotonic() - self.started
        rate = f"  {self.epochs[-1]['samples_per_s']:,.0f}/s" if self.epochs else ""
        eta = f"  ETA {elapsed / done * (self.epochs_total - done):.0f}s" if done else ""
        return (f"[b]{escape(self.label)}[/b]: epoch {done}/{self.epochs_total}  step {len(self.loss)}  loss "
                f"{self.loss[-1]:.4g}  lr {self.lr[-1]:.3g}{rate}  {elapsed:.0f}s{eta}")


    @property
    def seed(self) -> int | None:
        return self.setup.seed

    def entry(self) -> Entry:
        """What a verdict reads of it."""
        return Entry(self.group or self.label, self.seed, self.status, self.epochs, self.setup.training["task"])

    def summary(self) -> Summary:
        """Its figures so far."""
        return summarise(self.id, self.label, self.status, self.epochs, self.config)

    def take(self, run: dict, first_row: int = 0) -> None:
        """A read of it from the store (Store.run from an epoch and a step row on): its status, and the
        epochs and steps it lacks."""
        self.status = run["status"]
        self.epochs += [e for e in run["epochs"] if e["epoch"] >= len(self.epochs)]
        steps, skip = run["steps"], len(self.lr) - first_row
        if 0 <= skip < len(steps["lr"]):
            self.add_steps(steps["lr"][skip:], steps["loss"][skip:], steps["momentum"][skip:])
            if first_row == 0:
                self.steps_per_epoch = _rows_per_epoch(run["config"], steps["step"], len(self.lr), len(self.epochs))


def _rows_per_epoch(config: dict, step: list[int], rows: int, epochs: int) -> int:
    """A stored run's step rows per epoch: its built-in task's batches (over the store's stride, one
    row per `stride` steps, seen in the `step` numbers of its first rows), else its `rows` over its
    `epochs` (which a stopped or diverged run's partial epoch overestimates)."""
    training = RunConfig.of(config).training
    batches = known_batches(training["task"] or "", training["batch_size"] or 1)
    if batches:
        return max(1, batches // (step[1] - step[0] if len(step) > 1 else 1))
    return max(1, rows // (epochs or 1))


def _floats(values: Iterable[float | None]) -> list[float]:
    """Values as floats, NaN for None (how the store gives back a NaN)."""
    return [math.nan if v is None else v for v in values]


def batching(training: list[RunView]) -> str:
    """The status line's word on the runs in training (markup): the first one's progress, after how
    many train as one model (a short prefix, seen at 80 columns), or before why a run trains alone
    (the notification has it whole)."""
    progress = training[0].progress()
    if len(training) > 1:
        return f"{len(training)} batched · {progress}"
    reason = training[0].config.get("batch", {}).get("reason")
    return f"{progress}  · not batched: {escape(reason)}" if reason else progress
