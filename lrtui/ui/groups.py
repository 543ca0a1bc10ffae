"""A comparison of several seeds in the app: each schedule a group, judged by the verdict, listed as
one row (its seeds under it when expanded) and drawn in one colour as its mean with its range."""
from __future__ import annotations

import warnings
from collections import defaultdict
from typing import Iterable

import numpy as np

from lrtui.engine.events import Status
from lrtui.judge import scores, verdict
from lrtui.judge.scores import Summary
from lrtui.plan.config import RunConfig
from lrtui.schedule.params import ConfigError
from lrtui.ui.charts import Series
from lrtui.ui.runs_table import Group, Row
from lrtui.ui.runview import RunView

ENDED = (Status.FINISHED, Status.DIVERGED, Status.FAILED)  # a run that has its score (a failure's: the worst)


def grouped(views: Iterable[RunView]) -> dict[tuple[str, str], list[RunView]]:
    """The runs of comparisons of several seeds, by (comparison, group), in the order they came."""
    out: dict[tuple[str, str], list[RunView]] = defaultdict(list)
    for view in views:
        if view.comparison and view.setup.seeded:
            out[view.comparison, view.group].append(view)
    return out


def judge(views: Iterable[RunView], metric: verdict.Metric) -> tuple[dict[str, verdict.Comparison], str | None]:
    """The verdict on each comparison of several seeds, and why one could not be judged (the metric
    is one its task does not measure), if so."""
    by_comparison: dict[str, list[RunView]] = defaultdict(list)
    for (comparison, _), members in grouped(views).items():
        by_comparison[comparison] += members
    judged, problem = {}, None
    for comparison, members in by_comparison.items():
        try:
            judged[comparison] = scores.judge([v.entry() for v in members], metric)
        except ConfigError as e:
            problem = e.problem
    return judged, problem


def rows(views: dict[int, RunView], queue: list, judged: dict[str, verdict.Comparison],
         expanded: set[tuple[str, str]]) -> list[Row]:
    """The runs table: runs, a comparison of several seeds as a row per schedule (its runs under it
    where expanded), then the queue, without the queued runs of those groups (their rows count them)."""
    groups = grouped(views.values())
    queued = defaultdict(int)
    for job in queue:
        if job.comparison and RunConfig.of(job.config).seeded:
            queued[job.comparison, job.group] += 1
    out: list[Row] = []
    listed: set[tuple[str, str]] = set()
    for view in views.values():
        key = (view.comparison, view.group)
        if key not in groups:
            out.append(Row(view.summary(), view.colour, view.shown))
        elif key not in listed:
            listed.add(key)
            out.append(_group_row(key, groups[key], queued[key], judged.get(key[0]), key in expanded))
            if key in expanded:
                out += [Row(v.summary(), v.colour, v.shown, parent=_key(key)) for v in groups[key]]
    for i, job in enumerate(queue):
        key = (job.comparison, job.group)
        if key not in queued:
            out.append(Row(scores.queued(job.label, job.config), "grey50", False, i))
        elif key not in listed:  # a schedule none of whose runs has started: a row, with the queue
            listed.add(key)
            out.append(Row(scores.queued(job.group, job.config), "grey50", False, key=_key(key),
                           group=Group(*key, 0, len(job.config["training"]["seeds"]), None, None, (), False)))
    return out


def _group_row(key: tuple[str, str], members: list[RunView], queued: int, judged: verdict.Comparison | None,
               expanded: bool) -> Row:
    comparison, name = key
    stats = next((g for g in judged.groups if g.name == name), None) if judged else None
    pair = next((p for p in judged.pairs if p.other == name), None) if judged else None
    summaries = [v.summary() for v in members]
    mean = lambda field: _mean([getattr(s, field) for s in summaries])  # noqa: E731
    status = _status({v.status for v in members}, queued)
    first = summaries[0]
    summary = Summary(min(v.id for v in members), name, status, round(mean("epochs") or 0), mean("final_val_loss"),
                      mean("best_val_loss"), mean("best_acc"), None, mean("seconds_per_epoch"), first.scheduler,
                      first.config, None, first.preset)
    group = Group(comparison, name, sum(v.status in ENDED for v in members), len(members[0].setup.seeds), stats, pair,
                  tuple(v.id for v in members), expanded)
    return Row(summary, members[0].colour, any(v.shown for v in members), group=group, key=_key(key))


def _status(statuses: set[str], queued: int) -> str:
    """A group's status: running while one of its runs is, queued while runs of it wait, else how its
    runs ended (failures first)."""
    failed = len(statuses & {Status.DIVERGED, Status.FAILED})
    if Status.RUNNING in statuses or queued:
        return Status.RUNNING if Status.RUNNING in statuses else Status.QUEUED
    if failed:
        return "failed" if statuses <= {Status.DIVERGED, Status.FAILED} else "some failed"
    if statuses in ({Status.FINISHED}, {Status.PRUNED}):
        return next(iter(statuses))
    return Status.STOPPED


def _key(key: tuple[str, str]) -> str:
    return f"group:{key[0]}:{key[1]}"


def _mean(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def band(members: list[RunView], x_steps: bool, momentum: bool) -> tuple[list[Series], list[Series]]:
    """A group on the charts: the mean over its seeds of the lr and of the smoothed loss (the spread
    of raw per-batch losses is their noise, not the seeds'), each with the min and max across seeds as
    dots where they differ (plotext cannot fill a band), and the mean validation loss per epoch. At a
    step where some seeds have not arrived yet, the mean is over those that have."""
    first = members[0]
    label, colour = first.group or first.label, first.colour
    lrs, losses = [], []
    for view in members:
        lr, loss = view.series(x_steps, True, momentum)
        lrs.append(lr.y)
        losses.append(loss[0].y)
    x = np.arange(max(len(y) for y in lrs), dtype=float) / (1 if x_steps else first.steps_per_epoch)
    val = [[e["val_loss"] for e in view.epochs] for view in members]
    val_x = (np.arange(max(len(v) for v in val), dtype=float) + 1) * (first.steps_per_epoch if x_steps else 1)
    lr_series = _spread(label, x, lrs, colour, lines=True)
    loss_series = _spread(label, x, losses, colour, lines=True)
    if len(val_x):
        mean_val = _stack(val, len(val_x))
        loss_series.append(Series(f"{label} val", val_x, _nanmean(mean_val), colour, marker="dot", lines=False))
    return lr_series, loss_series


def _spread(label: str, x: np.ndarray, ys: list[np.ndarray], colour: str, lines: bool) -> list[Series]:
    stacked = _stack(ys, len(x))
    with warnings.catch_warnings():  # a step no seed has a finite value of (a diverged tail): NaN, left out
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = np.nanmin(stacked, axis=0), np.nanmax(stacked, axis=0)
    same = low == high
    low[same] = high[same] = np.nan  # no spread (an lr every seed shares): the mean alone
    return [Series(label, x, _nanmean(stacked), colour, lines=lines),
            Series(f"{label} min", x, low, colour, marker="dot", lines=False),
            Series(f"{label} max", x, high, colour, marker="dot", lines=False)]


def _stack(ys: list, length: int) -> np.ndarray:
    """Curves of different lengths as rows of one array, NaN where one has not arrived."""
    out = np.full((len(ys), length), np.nan)
    for row, y in zip(out, ys):
        values = np.array([np.nan if v is None else v for v in y], dtype=float)
        row[:len(values)] = values
    return out


def _nanmean(stacked: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(stacked, axis=0)
