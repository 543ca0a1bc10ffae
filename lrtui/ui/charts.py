"""The LR and loss charts: plotext plots that own their series and replot only when told to, building
each figure in a thread (a build takes tens of milliseconds, which keys pressed meanwhile would wait).

Each series is downsampled to a few points per column before plotting (plotext's cost grows with
points x series); the full data stays with the app, and points that are not finite are left out
(plotext raises on them). A log scale plots log10 of the values on a linear axis with 1eN tick labels
(plotext's own log axis breaks when a figure is rebuilt). The key is one line above the plot, drawn
here, where plotext's title would be (plotext's legend is drawn over the curves): the title, then each
run in its colour, the same here and in the runs table."""
from __future__ import annotations

import functools
import threading
import time
from dataclasses import dataclass

import numpy as np
from plotext._dict import themes
from plotext._utility import colors_to_ansi
from rich.style import Style
from rich.text import Text
from textual import work
from textual.message import Message
from textual_plotext import PlotextPlot

from lrtui.runs.series import decades, downsample, plottable, without_flats

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


@dataclass(frozen=True)
class _Job:
    """What one build draws: the chart's data, size and theme when it was asked for."""
    generation: int
    series: tuple[Series, ...]
    log_scale: bool
    xlabel: str
    log_x: bool
    ylim: tuple[float, float] | None
    width: int
    height: int
    theme: str


class Chart(PlotextPlot):
    @dataclass
    class Built(Message, bubble=False):
        """From the build thread: the figure of one job, as rows, and its cost."""
        job: _Job
        figure: list[Text]
        seconds: float

    def __init__(self, title: str, **kwargs: object):
        super().__init__(**kwargs)
        self.heading, self.series, self.log_scale, self.xlabel = title, [], False, "epoch"
        self.title, self.log_x, self.ylim = title, False, None
        self.dirty = True
        self.generation = 0  # of the newest build asked for
        self.figure: list[Text] = []  # the rows of the last build shown, of the job `shown`
        self.shown: _Job | None = None
        self.build_seconds = 0.0
        self._lock = threading.Lock()  # over the two below, shared with the build thread
        self._job: _Job | None = None  # the newest build asked for and not yet started
        self._building = False

    def show(self, series: list[Series], log: bool, xlabel: str, title: str | None = None,
             log_x: bool = False, ylim: tuple[float, float] | None = None) -> None:
        """Plot `series` at the next replot; `log` and `log_x`: log10 of y and of x; `ylim`: the y
        range to show (else all of every series)."""
        self.series, self.log_scale, self.xlabel, self.dirty = series, log, xlabel, True
        self.title, self.log_x, self.ylim = title or self.heading, log_x, ylim

    @property
    def drawn(self) -> bool:
        """Whether the figure on show is built from the newest data at the current size."""
        return not self.dirty and self.shown is not None and self.shown.generation == self.generation

    def on_resize(self) -> None:
        """Downsampling fits the width: replot at the new size (a chart shown again after being hidden
        was last plotted with no room)."""
        self.dirty = True
        self.replot()

    def _register_theme(self, app_theme_name: str) -> None:
        """textual-plotext gives plotext the app's theme (at mount, and when it changes): replot in it."""
        super()._register_theme(app_theme_name)
        self.on_resize()

    def replot(self) -> None:
        """Have the figure rebuilt from the series, if they changed since the last time, in the build
        thread: one build at a time, the newest asked for next (not while the chart has no room: it
        replots when it gets some)."""
        if not self.dirty or not self.size.area:
            return
        self.dirty, self.generation = False, self.generation + 1
        job = _Job(self.generation, tuple(self.series), self.log_scale, self.xlabel, self.log_x, self.ylim,
                   *self.size, self._get_plotext_theme_name(self.app.theme))
        with self._lock:
            self._job, idle, self._building = job, not self._building, True
        if idle:
            self._build()

    @work(thread=True, group="chart")
    def _build(self) -> None:
        """Builds what `replot` asked for until nothing is waiting; only this thread touches self.plt."""
        while (job := self._next()) is not None:
            start = time.perf_counter()
            figure = self._draw(job)
            self.post_message(self.Built(job, figure, time.perf_counter() - start))

    def _next(self) -> _Job | None:
        with self._lock:
            job, self._job = self._job, None
            self._building = job is not None  # decided with the lock held: a job asked for now is not lost
            return job

    def on_chart_built(self, built: Built) -> None:
        """Show a build's figure, unless it ends late for older data than the figure on show's."""
        self.build_seconds = built.seconds
        if self.shown is None or built.job.generation > self.shown.generation:
            self.figure, self.shown = built.figure, built.job
            self.refresh()

    def render(self) -> Text:
        """The key, then the last figure built (cut or padded to the size; blank before the first)."""
        width, height = self.size
        rows = self.figure[:max(height - 1, 0)]
        rows += [Text()] * (height - 1 - len(rows))
        return Text("\n", no_wrap=True, overflow="crop").join([self._key(width), *rows])

    def _key(self, width: int) -> Text:
        """The title, then each series' colour and label, on the figure's canvas, cut with … to the width.
        A series whose label extends one before it in the same colour (`label val`, `label diverged`) is
        the same run's: not named again."""
        canvas, _, ticks = themes.get(self.shown and self.shown.theme, ("default",) * 3)[:3]  # no figure yet: plain
        key = Text(self.title + (" (log10)" if self.log_scale else ""), _style(ticks, "default", canvas))
        named: list[Series] = []
        for s in self.series:
            if not any(s.colour == n.colour and f"{s.label} ".startswith(f"{n.label} ") for n in named):
                named.append(s)
                key.append(f"  {'━' if s.lines else '•'} {s.label}", _style(s.colour, "default", canvas))
        key.truncate(width, overflow="ellipsis", pad=True)
        return key

    def _draw(self, job: _Job) -> list[Text]:
        """The figure's rows as rich Text read straight from plotext's character matrix, under the key.
        textual-plotext (1.0.1, pinned) has plotext write an ANSI string and parses it back, which costs
        more than the plot."""
        plt, width, height = self.plt, max(job.width, 20), job.height - 1
        plt.clear_figure()
        plt.xlabel(job.xlabel + (" (log10)" if job.log_x else ""))
        xs, ys = [], []
        for s in job.series:
            keep = np.isfinite(s.x) & np.isfinite(s.y)  # plotext raises on NaN and inf
            if job.log_scale or job.log_x:  # a log axis has no room for values <= 0
                keep &= ((s.y > 0) | (not job.log_scale)) & ((s.x > 0) | (not job.log_x))
            x, y = s.x[keep], s.y[keep]
            (fine_x, x), (fine_y, y) = plottable(np.log10(x) if job.log_x else x), plottable(
                np.log10(y) if job.log_scale else y)
            x, y = x[fine_x & fine_y], y[fine_x & fine_y]
            if len(y) == 0:
                continue
            x, y = downsample(x, y, width // (2 if s.lines else 4))  # points: one per column is a band
            if s.lines:
                x, y = without_flats(x, y)
            xs.append(x)
            ys.append(y)
            draw = plt.plot if s.lines else plt.scatter
            draw(x.tolist(), y.tolist(), color=s.colour, marker=s.marker)  # no legend: it would hide data
        if job.log_scale and ys:
            plt.yticks(*decades(min(map(np.min, ys)), max(map(np.max, ys)), job.height // 4))
        if job.ylim:
            plt.ylim(*job.ylim)
        if job.log_x and xs:
            plt.xticks(*decades(min(map(np.min, xs)), max(map(np.max, xs)), width // 10))
        plt.plotsize(job.width, height)
        plt._set_size(job.width, height)  # as textual-plotext does: plotsize alone misses a resize
        plt.theme(job.theme)
        plt._set_sizes()
        plt._build_matrix()
        matrix, figure = plt.monitor.matrix, []
        for row in reversed(matrix.Rows):
            line, run, colours = Text(), [], None
            for cell in zip(matrix.marker[row], matrix.fullground[row], matrix.style[row], matrix.background[row]):
                if cell[1:] != colours:
                    if run:
                        line.append("".join(run), _style(*colours))
                    run, colours = [], cell[1:]
                run.append(cell[0])
            line.append("".join(run), _style(*colours))
            figure.append(line)
        return figure


@functools.cache
def _style(fullground: object, style: str, background: object) -> Style:
    """The rich style of one plotext colour triple (a colour is a name, a code or an rgb tuple)."""
    text = Text.from_ansi(colors_to_ansi(fullground, style, background) + "x")
    return text.spans[0].style if text.spans else Style.null()
