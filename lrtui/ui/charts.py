"""The LR and loss charts: plotext plots that own their series and replot only when told to.

Each series is downsampled to a few points per column before plotting (plotext's cost grows with
points x series); the full data stays with the app. A log scale plots log10 of the values on a linear
axis with 1eN tick labels (plotext's own log axis breaks when a figure is rebuilt). There is no legend
(plotext draws it over the curves): each run has one colour, the same here and in the runs table."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from textual_plotext import PlotextPlot

from lrtui.series import downsample

COLOURS = ("cyan", "magenta", "green", "yellow", "blue", "red", "orange", "white")


@dataclass(frozen=True)
class Series:
    label: str
    x: np.ndarray
    y: np.ndarray
    colour: str
    marker: str = "braille"
    lines: bool = True  # False: points only, for noisy curves (a band of dots; lines cost 10x to draw)


def colour(index: int) -> str:
    """A run's colour, the same in the table and in both charts."""
    return COLOURS[index % len(COLOURS)]


class Chart(PlotextPlot):
    def __init__(self, title: str, **kwargs: object):
        super().__init__(**kwargs)
        self.heading, self.series, self.log_scale, self.xlabel = title, [], False, "epoch"
        self.dirty = True
        self.built: tuple[object, object] | None = None  # (size, figure): plotext builds once per change
        self.build_seconds = 0.0

    def show(self, series: list[Series], log: bool, xlabel: str) -> None:
        self.series, self.log_scale, self.xlabel, self.dirty = series, log, xlabel, True

    def replot(self) -> None:
        """Rebuild the figure from the series, if they changed since the last time."""
        if not self.dirty:
            return
        self.dirty = False
        plt = self.plt
        plt.clear_figure()
        plt.title(self.heading + (" (log10)" if self.log_scale else ""))
        plt.xlabel(self.xlabel)
        width = max(self.size.width, 20)
        lows, highs = [], []
        for s in self.series:
            y = s.y
            if self.log_scale:
                keep = y > 0
                x, y = s.x[keep], np.log10(y[keep])
            else:
                x = s.x
            if len(y) == 0:
                continue
            x, y = downsample(x, y, width // (2 if s.lines else 4))  # points: one per column is a band
            lows.append(float(np.min(y)))
            highs.append(float(np.max(y)))
            draw = plt.plot if s.lines else plt.scatter
            draw(x.tolist(), y.tolist(), color=s.colour, marker=s.marker)  # no legend: it would hide data
        if self.log_scale and lows:
            lo, hi = math.floor(min(lows)), math.ceil(max(highs))
            step = max(1, math.ceil((hi - lo) / max(2, self.size.height // 4)))
            ticks = list(range(hi, lo - 1, -step))
            plt.yticks(ticks, [f"1e{t}" for t in ticks])
        self.built = None
        self.refresh()

    def render(self) -> object:
        """The figure, built by plotext only when the data or the size changed, not at every refresh."""
        if self.built is None or self.built[0] != self.size:
            start = time.perf_counter()
            self.built = (self.size, super().render())
            self.build_seconds = time.perf_counter() - start
        return self.built[1]
