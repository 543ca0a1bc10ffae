"""The debiased exponential moving average that smooths a loss: the range test's (its stopping rule
and its reading) and the charts'."""
from __future__ import annotations

import math


class Ema:
    """The exponential moving average where each new value has `weight` (1: no smoothing), debiased as
    Adam's moments are: without the correction the first values are pulled towards zero, with it the
    first average is the first value. `value` is the average so far (NaN before any value)."""

    def __init__(self, weight: float):
        self.weight, self.avg, self.count = weight, 0.0, 0

    def add(self, value: float) -> float:
        """The average with `value` in it."""
        self.count += 1
        self.avg = (1 - self.weight) * self.avg + self.weight * value
        return self.value

    @property
    def value(self) -> float:
        return self.avg / (1 - (1 - self.weight) ** self.count) if self.count else math.nan
