"""What the app keeps of one run while it is on screen."""
from __future__ import annotations

import time
from array import array
from dataclasses import dataclass, field
from typing import Iterable

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

    def summary(self) -> dict:
        from lrtui.report import run_summary

        row = run_summary({"id": self.id, "label": self.label, "status": self.status, "epochs": self.epochs,
                           "config": {"scheduler": {"name": self.scheduler}}})
        return {**row, "colour": self.colour, "shown": self.shown}
