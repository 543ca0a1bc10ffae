"""The LR and loss charts: plotext plots that own their series and replot only when told to.

Each series is downsampled to a few points per column before plotting (plotext's cost grows with
points x series); the full data stays with the app, and points that are not finite are left out
(plotext raises on them). A log scale plots log10 of the values on a linear
axis with 1eN tick labels (plotext's own log axis breaks when a figure is rebuilt). There is no legend
(plotext draws it over the curves): each run has one colour, the same here and in the runs table."""
from __future__ import annotations

import functools
import time
from dataclasses import dataclass

import numpy as np
from plotext._utility import colors_to_ansi
from rich.style import Style
from rich.text import Text
from textual_plotext import PlotextPlot

from lrtui.series import decades, downsample, without_flats

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
        self.title, self.log_x, self.ylim = title, False, None
        self.dirty = True
        self.built: tuple[object, object] | None = None  # (size, figure): plotext builds once per change
        self.build_seconds = 0.0

    def show(self, series: list[Series], log: bool, xlabel: str, title: str | None = None,
             log_x: bool = False, ylim: tuple[float, float] | None = None) -> None:
        """Plot `series` at the next replot; `log` and `log_x`: log10 of y and of x; `ylim`: the y
        range to show (else all of every series)."""
        self.series, self.log_scale, self.xlabel, self.dirty = series, log, xlabel, True
        self.title, self.log_x, self.ylim = title or self.heading, log_x, ylim

    def on_resize(self) -> None:
        """Downsampling and the title fit the width: replot at the new size (a chart shown again after
        being hidden was last plotted with no width)."""
        self.dirty = True
        self.replot()

    def replot(self) -> None:
        """Rebuild the figure from the series, if they changed since the last time."""
        if not self.dirty:
            return
        self.dirty = False
        plt = self.plt
        plt.clear_figure()
        title = self.title + (" (log10)" if self.log_scale else "")
        width = max(self.size.width, 20)
        room = width - 16  # plotext centres a title on the canvas, right of the tick labels, and drops one too long
        plt.title(title if len(title) <= room else title[:room - 1] + "…")
        plt.xlabel(self.xlabel + (" (log10)" if self.log_x else ""))
        xs, ys = [], []
        for s in self.series:
            keep = np.isfinite(s.x) & np.isfinite(s.y)  # plotext raises on NaN and inf
            if self.log_scale or self.log_x:  # a log axis has no room for values <= 0
                keep &= ((s.y > 0) | (not self.log_scale)) & ((s.x > 0) | (not self.log_x))
            x, y = s.x[keep], s.y[keep]
            x, y = (np.log10(x) if self.log_x else x), (np.log10(y) if self.log_scale else y)
            if len(y) == 0:
                continue
            x, y = downsample(x, y, width // (2 if s.lines else 4))  # points: one per column is a band
            if s.lines:
                x, y = without_flats(x, y)
            xs.append(x)
            ys.append(y)
            draw = plt.plot if s.lines else plt.scatter
            draw(x.tolist(), y.tolist(), color=s.colour, marker=s.marker)  # no legend: it would hide data
        if self.log_scale and ys:
            plt.yticks(*decades(min(map(np.min, ys)), max(map(np.max, ys)), self.size.height // 4))
        if self.ylim:
            plt.ylim(*self.ylim)
        if self.log_x and xs:
            plt.xticks(*decades(min(map(np.min, xs)), max(map(np.max, xs)), width // 10))
        self.built = None
        self.refresh()

    def render(self) -> object:
        """The figure, built by plotext only when the data or the size changed, not at every refresh."""
        if self.built is None or self.built[0] != self.size:
            start = time.perf_counter()
            self.built = (self.size, self._figure())
            self.build_seconds = time.perf_counter() - start
        return self.built[1]

    def _figure(self) -> Text:
        """plotext's figure as rich Text read straight from its character matrix. textual-plotext (1.0.1,
        pinned) has plotext write an ANSI string and parses it back, which costs more than the plot."""
        plt, (width, height) = self.plt, self.size
        plt.plotsize(width, height)
        plt._set_size(width, height)  # as textual-plotext does: plotsize alone misses a resize
        plt.theme(self._get_plotext_theme_name(self.app.theme))
        plt._set_sizes()
        plt._build_matrix()
        matrix = plt.monitor.matrix
        text = Text(no_wrap=True, overflow="crop")
        for row in reversed(matrix.Rows):
            run, colours = [], None
            for cell in zip(matrix.marker[row], matrix.fullground[row], matrix.style[row], matrix.background[row]):
                if cell[1:] != colours:
                    if run:
                        text.append("".join(run), _style(*colours))
                    run, colours = [], cell[1:]
                run.append(cell[0])
            text.append("".join(run) + "\n", _style(*colours))
        text.right_crop(1)  # the last newline
        return text


@functools.cache
def _style(fullground: object, style: str, background: object) -> Style:
    """The rich style of one plotext colour triple (a colour is a name, a code or an rgb tuple)."""
    text = Text.from_ansi(colors_to_ansi(fullground, style, background) + "x")
    return text.spans[0].style if text.spans else Style.null()
