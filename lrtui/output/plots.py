"""Terminal plots (plotext): schedules' curves and a range test's loss against the lr."""
from __future__ import annotations

import math

from lrtui.judge.findings import Finding
from lrtui.lazy import np
from lrtui.plan.presets import Preset
from lrtui.runs.series import decades, downsample
from lrtui.schedule.preview import Curve

COLOURS = ("cyan", "magenta", "green", "orange", "blue", "red")  # plotext 5 names (orange is ANSI yellow)


MARKERS = (("braille", "⢕"), ("dot", "•"), ("+", "+"), ("x", "x"), ("o", "o"), ("*", "*"))


def plot(preset: Preset, curves: list[Curve], width: int, height: int, log: bool = False,
         colour: bool = True) -> str:
    """Every run's lr against epochs, overlaid, drawn by plotext; log10 on a linear axis with log=True
    (plotext's own log scale breaks on rebuilds). The legend is a line per run under the chart, which
    is as many rows shorter (at least 10): plotext's own would hide the first epochs."""
    import plotext as plt

    plt.clear_figure()
    rows = max(10, height - len(preset.runs))
    plt.plotsize(width, rows)
    plt.theme("clear")  # the terminal's own background and colours
    spe = preset.steps_per_epoch
    legend = []
    for i, (run, c) in enumerate(zip(preset.runs, curves)):
        x = np.arange(len(c.lr)) / (spe if run.schedule.interval == "step" else 1)
        y = np.log10(np.maximum(c.lr, 1e-300)) if log else c.lr
        x, y = downsample(x, y, width)
        hue = COLOURS[i % len(COLOURS)]
        marker, glyph = ("braille", plt.colorize("━", hue)) if colour else MARKERS[i % len(MARKERS)]
        plt.plot(x.tolist(), y.tolist(), marker=marker, color=hue)  # without colour, shapes tell runs apart
        legend.append(f"{glyph * 2} {run.label[:width - 3]}")
    if log:
        positive = np.concatenate([c.lr[c.lr > 0] for c in curves])
        plt.yticks(*decades(np.log10(positive.min()), np.log10(positive.max()), rows // 4))
    plt.title(f"{preset.name}: lr{' (log)' if log else ''}")
    plt.xlabel("epoch")
    chart = plt.build() if colour else plt.uncolorize(plt.build())
    return chart + "\n".join(legend)  # the chart ends with its own line end


# a suggestion's line on every chart of a range test: its colour, and a marker that tells it apart without colour


MARKS = {"minimum": ("green", "braille"), "steepest": ("red", "dot")}


def finding_plot(finding: Finding, width: int, height: int, colour: bool = True) -> str:
    """A range test: the loss (dots) and its moving average (a line) against log10 of the lr, with a
    vertical line at each suggestion."""
    import plotext as plt

    plt.clear_figure()
    plt.plotsize(width, height)
    plt.theme("clear")
    x = np.log10(finding.lr)
    lo, hi = finding.loss_range()
    plt.scatter(x.tolist(), finding.loss, marker="dot", color="gray")
    plt.plot(x.tolist(), finding.smoothed, marker="braille" if colour else "*", color="cyan")
    for name, lr in finding.suggestions.items():
        if lr is not None:
            hue, marker = MARKS[name]
            plt.plot([math.log10(lr)] * 2, [lo, hi], marker=marker if colour else "|", color=hue)
            plt.text(name, math.log10(lr), hi, color=hue, alignment="center")
    plt.ylim(lo, hi)
    plt.xticks(*decades(x.min(), x.max(), width // 10))
    plt.title("LR range test: loss against lr")
    plt.xlabel("lr (log10)")
    return plt.build() if colour else plt.uncolorize(plt.build())
