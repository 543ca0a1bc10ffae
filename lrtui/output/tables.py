"""Tables: a preview's lrs step by step, a runs summary, a comparison's figures, failed runs' errors."""
from __future__ import annotations

import textwrap
from typing import Any

from lrtui.engine import first_line
from lrtui.judge.scores import Summary
from lrtui.judge.verdict import Comparison
from lrtui.lazy import np
from lrtui.plan.labels import shortened
from lrtui.plan.presets import Preset, Run
from lrtui.schedule.params import AUTO
from lrtui.schedule.preview import Curve


def describe(run: Run) -> str:
    """StepLR(step_size=30, gamma=0.1) + 5 warmup, SGD(lr=0.1)"""
    s = run.schedule
    shown = [p for p in s.spec.params if p.kind != "table" and (p.required or s.params[p.name] != p.default
                                                               or s.params[p.name] == AUTO)]
    params = ", ".join(f"{p.name}={s.params[p.name]}" for p in shown)
    warm = f" after {s.warmup} warmup {s.interval}s" if s.warmup else ""
    return f"{s.name}({params}){warm} per {s.interval}, {run.optimizer.name} lr {run.optimizer.lr:g}"


def _rows(columns: list[np.ndarray], length: int, max_rows: int) -> np.ndarray:
    """Evenly spaced rows, plus both sides of every jump when a curve has few (a staircase)."""
    rows = [np.linspace(0, length - 1, min(length, max_rows)).round().astype(int)]
    for y in columns:
        jumps = np.flatnonzero(np.diff(y) != 0) if len(y) > 1 else np.array([], dtype=int)
        if 0 < len(jumps) <= max_rows // 4:
            rows += [jumps, jumps + 1]
    return np.unique(np.concatenate(rows))


def table(preset: Preset, curves: list[Curve], max_rows: int = 40) -> str:
    """One run: its own steps, with momentum. Several: one lr column per run, at the start of each epoch."""
    head = [f"{preset.name}: {preset.training['epochs']} epochs"] + [f"  {r.label}: {describe(r)}" for r in preset.runs]
    if len(preset.runs) == 1:
        run, c = preset.runs[0], curves[0]
        cols = {run.schedule.interval: None, "lr": c.lr}
        if c.momentum is not None:
            cols[c.momentum_name] = c.momentum
        if c.metric is not None:
            cols["metric"] = c.metric
        length = len(c.lr)
    else:
        spe = preset.steps_per_epoch
        length = preset.training["epochs"]
        cols = {"epoch": None} | {r.label: (c.lr[::spe] if r.schedule.interval == "step" else c.lr)
                                  for r, c in zip(preset.runs, curves)}
    rows = _rows([v for v in cols.values() if v is not None], length, max_rows)
    width = max(12, *(len(k) + 2 for k in cols))
    lines = ["".join(f"{k:>{width}}" for k in cols)]
    for i in rows:
        lines.append("".join(f"{i:>{width}}" if v is None else f"{v[i]:>{width}.6g}" for v in cols.values()))
    note = [f"({len(rows)} of {length} rows; --format csv or json for all)"] if len(rows) < length else []
    return "\n".join(head + lines + note) + "\n"


# a run's look: its colour, and the marker drawn without colour with the glyph that stands for it in the legend


RUN_COLUMNS = ("id", "label", "seed", "preset", "status", "ep", "final val", "best val", "best acc", "lr@best",
               "s/ep")


def summary_table(summaries: list[Summary], names: list[str] | None = None) -> Any:
    """A rich renderable of run summaries, each named by `names` (a comparison's: its groups, as its preset
    labels them), else by what differs among them. The name takes the room the other columns leave (cut
    with an ellipsis), so that at 80 columns the figures stay whole."""
    from lrtui.plan.labels import labels

    rows = [[str(s.id), label, _show(s.seed, "d"), s.preset or "-", s.status, str(s.epochs),
             _show(s.final_val_loss, ".4f"), _show(s.best_val_loss, ".4f"), _show(s.best_acc, ".3f"),
             _show(s.lr_at_best, ".3g"), _show(s.seconds_per_epoch, ".2f")]
            for s, label in zip(summaries, names or labels([s.config for s in summaries]))]
    return _Fitted(RUN_COLUMNS, rows, flex="label", left=("label", "preset", "status"))


COMPARISON_COLUMNS = ("schedule", "n", "mean±95%", "min..max", "vs best", "95% interval", "wins", "p Holm")


def comparison_table(comparison: Comparison) -> Any:
    """A comparison as a rich renderable: one row per schedule, best first (n with its failures, the
    mean with its interval's half-width, the range), then against the best: the mean paired difference
    (how much worse), its interval, the share of seeds the best wins, the Holm-corrected p."""
    pairs = {p.other: p for p in comparison.pairs}
    rows = []
    for g in comparison.groups:
        n = f"{g.n}" + (f" ({g.failed} failed)" if g.failed else "")
        span = "-" if g.min is None else f"{g.min:.4g}..{g.max:.4g}"
        p = pairs.get(g.name)
        if p is None or p.diff is None:
            rows.append([g.name, n, g.shown, span, "best" if p is None else "-", "", "", ""])
        else:
            interval = f"{p.low:+.2g}..{p.high:+.2g}" if p.n > 1 else "-"  # one pair has no interval
            rows.append([g.name, n, g.shown, span, f"{p.diff:+.2g}", interval, f"{p.wins:.0%}", f"{p.p_holm:.2g}"])
    return _Fitted(COMPARISON_COLUMNS, rows, flex="schedule", left=("schedule", "n"))


def _show(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


class _Fitted:
    """A table built when rich knows how wide it may be: the `flex` column takes the room the others
    leave, its names shortened to what tells them apart (labels.shortened) and wrapped onto a second
    line where they are still too long (cut there), so that at 80 columns the figures stay whole."""

    def __init__(self, columns: tuple[str, ...], rows: list[list[str]], flex: str, left: tuple[str, ...]):
        self.columns, self.rows, self.flex, self.left = columns, rows, flex, left

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from rich.table import Table

        widths = [max(len(c) for c in column) for column in zip(self.columns, *self.rows)]
        flex = self.columns.index(self.flex)
        room = options.max_width - sum(widths) + widths[flex] - (len(widths) - 1)  # a space between columns
        table = Table(box=None, pad_edge=False, collapse_padding=True)
        for title in self.columns:
            table.add_column(title, justify="left" if title in self.left else "right", no_wrap=True,
                             overflow="ellipsis", max_width=max(12, room) if title == self.flex else None)
        names = [_two_lines(name, max(12, room)) for name in shortened([row[flex] for row in self.rows], max(12, room))]
        for row, name in zip(self.rows, names):
            table.add_row(*row[:flex], name, *row[flex + 1:])
        yield table


def _two_lines(text: str, width: int) -> str:
    """`text` wrapped to `width` between its words, on two lines at most, the second cut with an
    ellipsis (as is a word too long for a line, by the table)."""
    lines = textwrap.wrap(text, width, break_long_words=False) or [""]
    if len(lines) > 2:
        rest = " ".join(lines[1:])
        lines = [lines[0], rest[:width - 1] + "…"]
    return "\n".join(lines)


def errors_table(runs: list[dict]) -> Any:
    """A rich Table of stored runs with the first line of each one's error, wrapped to fit."""
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for title in ("id", "label", "status", "error"):
        table.add_column(title, justify="right" if title == "id" else "left", no_wrap=title != "error",
                         overflow="fold" if title == "error" else "ellipsis")
    for run in runs:
        table.add_row(str(run["id"]), run["label"], run["status"], first_line(run["error"]))
    return table
