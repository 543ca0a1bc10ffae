"""The LR range test (Smith, "Cyclical Learning Rates", 2017; torch-lr-finder, fastai's lr_find): its
settings and its stopping rule. lrtui.engine.range_test runs it; lrtui.judge.findings reads it."""
from __future__ import annotations

import math
from dataclasses import dataclass

from lrtui.lazy import np
from lrtui.schedule.params import ConfigError, Param, above, between, check_all

SETTINGS = (
    Param("start_lr", "float", 1e-7, "the lr of the first step", (above(0),)),
    Param("end_lr", "float", 10.0, "the lr of the last step", (above(0),)),
    Param("steps", "int", 300, "batches in the sweep (the task's batches, cycled)", (between(10, 10_000),)),
    Param("mode", "choice", "exp", "how the lr grows: exp (evenly on a log scale) or linear",
          choices=("exp", "linear")),
    Param("smooth", "float", 0.05, "the weight of each new loss in the moving average (1: no smoothing)",
          (between(0, 1, open_lo=True),)),
    Param("diverge_factor", "float", 4.0, "stop once the smoothed loss exceeds this times its best",
          (above(1),)),
    Param("check_epochs", "int", 3, "epochs of each short run a check trains at the suggestions (find --check, "
          "t in the app)", (between(1, 1000),)),
)

@dataclass(frozen=True)
class Sweep:
    """Checked settings of a range test: make one with `sweep`."""

    start_lr: float = 1e-7
    end_lr: float = 10.0
    steps: int = 300
    mode: str = "exp"
    smooth: float = 0.05
    diverge_factor: float = 4.0
    check_epochs: int = 3

    def lrs(self) -> np.ndarray:
        """The lr of every step of the sweep."""
        if self.mode == "exp":
            return np.geomspace(self.start_lr, self.end_lr, self.steps)
        return np.linspace(self.start_lr, self.end_lr, self.steps)


def sweep(values: dict) -> Sweep:
    """A checked Sweep from {setting: value}; ConfigError names the bad setting."""
    clean = check_all(SETTINGS, values, "the range test")
    if clean["end_lr"] <= clean["start_lr"]:
        raise ConfigError("end_lr", f"the range test needs end_lr > start_lr ({clean['start_lr']:g}), "
                                    f"got {clean['end_lr']:g}")
    return Sweep(**clean)


def diverged(smooth: float, best: float, factor: float) -> bool:
    """The stopping rule: the smoothed loss is not finite, or above `factor` times its best so far."""
    return not math.isfinite(smooth) or smooth > factor * best
