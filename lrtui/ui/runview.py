"""What the app keeps of one run while it is on screen."""
from __future__ import annotations

import time
from array import array
from dataclasses import dataclass, field
from typing import Iterable

import numpy as np

from lrtui.ui.charts import Series

EMA = 0.9


@dataclass
class RunView:
    """What the app keeps of one run: its summary and its curves, in growable float arrays that numpy
    copies at memory speed, with the loss's EMA kept up to date as steps arrive."""

    id: int
    label: str
    scheduler: str
    colour: str
    shown: bool
    status: str = "running"
    steps_per_epoch: int = 1
    epochs_total: int = 0
    lr: array = field(default_factory=lambda: array("d"))
    loss: array = field(default_factory=lambda: array("d"))
    ema: array = field(default_factory=lambda: array("d"))
    epochs: list[dict] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def add_steps(self, lr: Iterable[float], loss: Iterable[float]) -> None:
        self.lr.extend(lr)
        avg = self.ema[-1] * (1 - EMA ** len(self.ema)) if self.ema else 0.0  # undo the last debiasing
        for value in loss:
            self.loss.append(value)
            avg = EMA * avg + (1 - EMA) * value
            self.ema.append(avg / (1 - EMA ** len(self.loss)))

    def series(self, x_steps: bool, smooth: bool) -> tuple[Series, list[Series]]:
        """Its lr, and its training loss (the EMA with `smooth`) with the validation loss per epoch, for
        the charts; x in steps or epochs."""
        x = np.arange(len(self.lr), dtype=float) / (1 if x_steps else self.steps_per_epoch)
        lr = Series(self.label, x, np.array(self.lr), self.colour)
        losses = [Series(self.label, x, np.array(self.ema if smooth else self.loss), self.colour, lines=smooth)]
        val = [(e["epoch"] + 1, e["val_loss"]) for e in self.epochs if e["val_loss"] is not None]
        if val:
            epochs, values = (np.array(v, dtype=float) for v in zip(*val))
            losses.append(Series(f"{self.label} val", epochs * (self.steps_per_epoch if x_steps else 1), values,
                                 self.colour, marker="dot", lines=False))
        return lr, losses

    def summary(self) -> dict:
        from lrtui.report import run_summary

        row = run_summary({"id": self.id, "label": self.label, "status": self.status, "epochs": self.epochs,
                           "config": {"scheduler": {"name": self.scheduler}}})
        return {**row, "colour": self.colour, "shown": self.shown}
