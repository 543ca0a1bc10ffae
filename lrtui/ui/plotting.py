"""What the charts plot: the form's preview and the runs shown (a comparison's schedules as their band
over seeds, or each seed), as series on the x axis the chart keys chose."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable

import numpy as np

from lrtui.schedule.preview import Curve
from lrtui.ui import groups
from lrtui.ui.charts import Series
from lrtui.ui.runview import RunView


@dataclass(frozen=True)
class ChartOptions:
    """What the chart keys choose: l a log scale, m the loss smoothed, x steps (else epochs), b the
    momentum (or beta1) for the lr, g a comparison's schedule as its band over seeds (else each
    seed), v the charts shown (both, lr or loss)."""

    log_scale: bool = False
    smooth: bool = False
    x_steps: bool = False
    momentum: bool = False
    bands: bool = True
    view: str = "both"

    def toggled(self, name: str) -> ChartOptions:
        return replace(self, **{name: not getattr(self, name)})


def preview(curve: Curve, interval: str, per_epoch: int, options: ChartOptions) -> Series:
    """The form's curve in grey, its x put in steps or epochs whatever the schedule steps by."""
    x = np.arange(len(curve.lr), dtype=float)
    if interval == "step" and not options.x_steps:
        x /= per_epoch
    elif interval == "epoch" and options.x_steps:
        x *= per_epoch
    return Series("preview", x, curve.momentum if options.momentum else curve.lr, "gray")


def runs(views: Iterable[RunView], options: ChartOptions) -> tuple[list[Series], list[Series]]:
    """The lr (or momentum) and loss series of the runs shown; with bands, each schedule of a
    comparison over seeds as its mean and range (groups.band) instead of a curve per seed."""
    x_steps, smooth, momentum = options.x_steps, options.smooth, options.momentum
    views = list(views)
    banded = groups.grouped(views) if options.bands else {}
    in_bands = {v.id for members in banded.values() for v in members}
    lr_series: list[Series] = []
    loss_series: list[Series] = []
    for view in views:
        if view.shown and view.lr and view.id not in in_bands:
            lr, losses = view.series(x_steps, smooth, momentum)
            lr_series.append(lr)
            loss_series += losses
    for members in banded.values():
        if shown := [v for v in members if v.shown and v.lr]:
            lr, losses = groups.band(shown, x_steps, momentum)
            lr_series += lr
            loss_series += losses
    return lr_series, loss_series
