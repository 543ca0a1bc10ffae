"""Text the command line prints: preview tables, CSV, JSON, terminal plots and the `list` pages."""
from __future__ import annotations

import csv
import io
import math
import textwrap
from typing import Any

from lrtui.engine import first_line
from lrtui.engine.events import Status
from lrtui.judge.findings import ADVICE, SUGGESTIONS, TOO_FLAT, Finding
from lrtui.judge.scores import Summary
from lrtui.judge.verdict import Comparison
from lrtui.lazy import np
from lrtui.paths import SHIPPED_PRESETS
from lrtui.plan.config import RunConfig
from lrtui.plan.labels import shortened
from lrtui.plan.presets import Preset, Run, available
from lrtui.runs.series import decades, downsample
from lrtui.schedule.catalogue import CATALOGUE
from lrtui.schedule.params import AUTO, REQUIRED, ConfigError
from lrtui.schedule.preview import Curve
from lrtui.schedule.recipes import DECAY_SHAPES


def describe(run: Run) -> str:
    """StepLR(step_size=30, gamma=0.1) + 5 warmup, SGD(lr=0.1)"""
    s = run.schedule
    shown = [p for p in s.spec.params if p.kind != "table" and (p.required or s.params[p.name] != p.default
                                                               or s.params[p.name] == AUTO)]
    params = ", ".join(f"{p.name}={s.params[p.name]}" for p in shown)
    warm = f" after {s.warmup} warmup {s.interval}s" if s.warmup else ""
    return f"{s.name}({params}){warm} per {s.interval}, {run.optimizer.name} lr {run.optimizer.lr:g}"


def curve_json(run: Run, curve: Curve, preset: Preset) -> dict:
    doc: dict[str, Any] = {"label": run.label, "scheduler": run.schedule.to_table(),
                           "optimizer": run.optimizer.to_table(),
                           "interval": run.schedule.interval, "warmup": run.schedule.warmup,
                           "epochs": preset.training["epochs"], "length": len(curve.lr),
                           "exact": curve.exact, "lr": curve.lr.tolist()}
    if curve.momentum is not None:
        doc[curve.momentum_name] = curve.momentum.tolist()
    if curve.metric is not None:
        doc["synthetic_metric"] = curve.metric.tolist()
    return doc


def preview_csv(preset: Preset, curves: list[Curve]) -> str:
    """Long format, one row per run and step: run,interval,index,lr,momentum,metric, as csv.writer
    writes it, built as one string (a writer row per step takes seconds for a long run)."""
    lines = ["run,interval,index,lr,momentum,metric"]
    for run, c in zip(preset.runs, curves):
        head, n = _csv_row([run.label, run.schedule.interval]), len(c.lr)
        columns = zip(_reprs(c.lr, n), _reprs(c.momentum, n), _reprs(c.metric, n))
        lines += (f"{head},{i},{lr},{m},{y}" for i, (lr, m, y) in enumerate(columns))
    return "\r\n".join(lines) + "\r\n"


def _csv_row(fields: list[str]) -> str:
    """One row as csv.writer writes it (a field quoted where it needs to be), without its line end."""
    out = io.StringIO()
    csv.writer(out).writerow(fields)
    return out.getvalue().removesuffix("\r\n")


def _reprs(values: np.ndarray | None, n: int) -> Any:
    """Each value as repr writes it (the shortest text that reads back exactly), or n blanks where absent."""
    return [""] * n if values is None else map(float.__repr__, values.tolist())


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


def finding_text(finding: Finding, run: dict) -> str:
    """What a stored range test found, in words: how the sweep ended, the suggestions, how to use them."""
    config, n = run["config"], len(finding.lr)
    steps = config["sweep"]["steps"]
    status = run["status"]
    if status in (Status.STOPPED, Status.FAILED, Status.INTERRUPTED):
        ended = (f"{'stopped by you' if status == Status.STOPPED else status} after {n} of {steps} steps"
                 + (f": {first_line(run['error'])}" if run["error"] else ""))
    elif n < steps:
        ended = f"the loss diverged at lr {finding.lr[-1]:.2e}, after {n} of {steps} steps"
    else:
        ended = f"swept all {steps} steps"
    sweep = config["sweep"]
    out = [f"LR range test of {config['optimizer']['name']} on {config['training']['task']}, lr {sweep['start_lr']:g} "
           f"to {sweep['end_lr']:g} ({sweep['mode']}): {ended}"]
    for name, lr in finding.suggestions.items():
        out.append(f"  {name:<9} {'-' if lr is None else format(lr, '.2e')}" + "   <- suggested" * (name == SUGGESTIONS[0]))
    if finding.suggestion is None:
        out.append(f"  {TOO_FLAT}" if finding.flat else
                   "  too few steps to suggest an lr: give the sweep more --steps or a wider range")
    return "\n".join(out + textwrap.wrap(ADVICE, 100)) + "\n"


def schedulers(name: str | None, width: int) -> str:
    if name:
        from lrtui.schedule.catalogue import lookup

        spec = lookup(name)
        out = [f"{spec.name}  ({spec.kind}, stepped per {spec.unit} by default)", ""]
        out += textwrap.wrap(spec.description, width - 2)
        if spec.recipe:
            out += ["", "lr factor at step t (each line may use those before it):", *(f"    {r}" for r in spec.recipe)]
            if any("{shape}" in r for r in spec.recipe):
                out.append("    where {shape} is " + "; ".join(f"{k}: {v}" for k, v in DECAY_SHAPES.items()))
        out += ["", "parameters:"]
        for p in spec.params:
            default = "required" if p.default is REQUIRED else f"default {p.default!r}"
            out += [f"  {p.name} ({default}): {p.help}", f"      {p.rule_text()}"]
        warmup = ("not accepted: " + spec.no_warmup if spec.no_warmup else
                  "its own parameter (--warmup N sets it)" if spec.has("warmup") else "accepted (--warmup N)")
        out += ["", f"warmup: {warmup}"]
        if spec.momentum:
            out.append("also cycles momentum (SGD, RMSprop) or beta1 (Adam, AdamW): the preview shows it")
        return "\n".join(out) + "\n"
    out = []
    for title, kind in (("torch.optim.lr_scheduler", "torch"), ("composites", "composite"),
                        ("recipes (LambdaLR over a formula)", "recipe")):
        out.append(title)
        out += [f"  {s.name:<28} {s.unit:<6} {s.summary}"[:width] for s in CATALOGUE.values() if s.kind == kind]
    return "\n".join(out) + "\n`lrtui list schedulers NAME` shows one in detail.\n"


def presets(name: str | None, width: int) -> str:
    from lrtui.plan.presets import load

    out = []
    for stem, path in available().items():
        where = "shipped" if path.parent == SHIPPED_PRESETS else "user"
        try:
            p = load(path)
            summary = f"{len(p.runs)} run{'s' * (len(p.runs) > 1)}  {p.description}"
        except ConfigError as e:  # a broken user preset is listed with its problem, not fatal
            summary = f"refused: {str(e).removeprefix(f'{path}: ')}"
        out.append(f"  {stem:<20} {where:<8} {summary}"[:width])
    return "\n".join(out or ["no presets found"]) + "\n"


def tasks(name: str | None, width: int) -> str:
    from lrtui.tasks import BUILTIN

    lines = [f"  {n:<18} {summary}"[:width] for n, (_, summary, _) in BUILTIN.items()]
    lines.append("  path/to/file.py:build  your own model and data (command line only; see README)"[:width])
    return "\n".join(lines) + "\n"


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


def comparison_text(comparison: Comparison, runs: int, comparison_id: str | None) -> str:
    """What the table measures, and the verdict, in words."""
    unfinished = max((len(p.unfinished) for p in comparison.pairs), default=0)
    where = f"comparison {comparison_id}, " if comparison_id else ""
    return (f"{comparison.metric.described} over seeds: {where}{runs} runs"
            + (f", {unfinished} seed(s) unfinished in some pair (left out)" if unfinished else "")
            + (f", {len(comparison.pruned)} pruned by successive halving (out of the verdict)"
               if comparison.pruned else "")
            + f"; vs best: how much worse on the seeds both ran\nverdict: {comparison.verdict.text}\n")


def comparisons_text(runs: list[dict], most: int = 3) -> str:
    """The latest comparisons over several seeds among stored `runs` (newest first), a line each."""
    seeded: dict[str, list[dict]] = {}
    for run in runs:
        if run["comparison"] and RunConfig.of(run["config"]).seeded:
            seeded.setdefault(run["comparison"], []).append(run)
    lines = [f"comparison {c}: {len(rs)} runs, {len({r['group'] for r in rs})} schedules x "
             f"{len(RunConfig.of(rs[0]['config']).seeds)} seeds: `lrtui compare --comparison {c}`"
             for c, rs in list(seeded.items())[:most]]
    return "".join(f"{line}\n" for line in lines)


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


def failure(run: dict, skipped: int = 0) -> str:
    """A failed run in one line: why, and the runs of its preset that were not started after it."""
    if not skipped:
        return f"run {run['id']} {run['label']} failed: {first_line(run['error'])}"
    others = f"the other {skipped} runs of {run['preset']} were" if skipped > 1 else \
        f"the other run of {run['preset']} was"
    return (f"run {run['id']} {run['label']} failed before its first step: {first_line(run['error'])}; {others} "
            "not started (the same task would fail the same way)")


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


def run_json(run: dict, steps: bool = False) -> dict:
    """A stored run as `lrtui run --json` and `lrtui export` print it; epochs[e].lr is the lr the
    optimizer used at the start of epoch e."""
    keys = ("epoch", "lr", "train_loss", "val_loss", "val_acc", "seconds")
    doc = {"id": run["id"], "label": run["label"], "scheduler": run["config"].get("scheduler", {}),  # as stored
           "status": run["status"], "error": run["error"], "task": run["task"], "device": run["device"],
           "seed": run["seed"], "epochs": [{k: finite(e[k]) for k in keys} for e in run["epochs"]]}
    if steps:
        doc["config"] = run["config"]
        doc["steps"] = {k: [finite(v) for v in values] for k, values in run["steps"].items()}
    return doc


def finite(value: Any) -> Any:
    """JSON has no inf or nan: a diverged step's loss is written as null."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


def export_csv(writer: Any, runs: list[dict]) -> None:
    """Long format: one row per epoch (kind=epoch, loss = train loss) and per stored step (kind=step)."""
    writer.writerow(["run_id", "label", "kind", "index", "lr", "momentum", "loss", "val_loss", "val_acc",
                     "seconds", "samples_per_s"])
    for run in runs:
        for e in run["epochs"]:
            writer.writerow([run["id"], run["label"], "epoch", e["epoch"], e["lr"], "", e["train_loss"],
                             _blank(e["val_loss"]), _blank(e["val_acc"]), e["seconds"], e["samples_per_s"]])
        s = run["steps"]
        for step, lr, mom, loss in zip(s["step"], s["lr"], s["momentum"], s["loss"]):
            writer.writerow([run["id"], run["label"], "step", step, lr, _blank(mom), loss, "", "", "", ""])


def _blank(value: Any) -> Any:
    return "" if value is None else value
