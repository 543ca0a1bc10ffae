"""What the charts plot: the form's preview and the runs shown (a comparison's schedules as their band
over seeds, or each seed), as series on the x axis the chart keys chose."""
from __future__ import annotations

from typing import Iterable

import numpy as np

from lrtui.schedule.preview import Curve
from lrtui.ui import groups
from lrtui.ui.charts import Series
from lrtui.ui.runview import RunView


def preview(curve: Curve, interval: str, per_epoch: int, x_steps: bool, momentum: bool) -> Series:
    """The form's curve in grey, its x put in steps or epochs whatever the schedule steps by."""
    x = np.arange(len(curve.lr), dtype=float)
    if interval == "step" and not x_steps:
        x /= per_epoch
    elif interval == "epoch" and x_steps:
        x *= per_epoch
    return Series("preview", x, curve.momentum if momentum else curve.lr, "gray")


def runs(views: Iterable[RunView], x_steps: bool, smooth: bool, momentum: bool,
         bands: bool) -> tuple[list[Series], list[Series]]:
    """The lr (or momentum) and loss series of the runs shown; with `bands`, each schedule of a
    comparison over seeds as its mean and range (groups.band) instead of a curve per seed."""
    views = list(views)
    banded = groups.grouped(views) if bands else {}
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
