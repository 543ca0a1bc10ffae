"""A run's figures: what the runs tables show and a verdict judges. A training run's come from its
epoch rows as the store and the events give them (epoch, lr, train_loss, val_loss, val_acc, seconds);
a range test's from its steps."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Iterable

from lrtui.engine.events import Status
from lrtui.judge.findings import analyse
from lrtui.judge.verdict import DEFAULT_METRIC, Comparison, Metric, compare
from lrtui.plan.config import RunConfig
from lrtui.schedule.params import ConfigError


@dataclass(frozen=True)
class Summary:
    id: int | None  # None while queued
    label: str
    status: str
    epochs: int
    final_val_loss: float | None
    best_val_loss: float | None  # the best val loss, or train loss for a run without validation
    best_acc: float | None
    lr_at_best: float | None  # a range test's: its suggested lr
    seconds_per_epoch: float | None
    scheduler: str
    config: dict  # what tells runs apart (labels come from all of them), with its seed and preset
    seed: int | None
    preset: str | None


def summarise(id: int | None, label: str, status: str, epochs: list[dict], config: dict) -> Summary:
    """A training run's figures from its epochs so far. The best is scored on val loss if any epoch
    has one, else on train loss; a loss that is not finite (a diverged epoch) is never the best."""
    setup = RunConfig.of(config)
    key = "val_loss" if any(e["val_loss"] is not None for e in epochs) else "train_loss"
    best = min((e for e in epochs if e[key] is not None and math.isfinite(e[key])), key=lambda e: e[key],
               default=None)
    return Summary(id, label, status, len(epochs), epochs[-1]["val_loss"] if epochs else None,
                   None if best is None else best[key],
                   max((e["val_acc"] for e in epochs if e["val_acc"] is not None), default=None),
                   None if best is None else best["lr"],
                   sum(e["seconds"] for e in epochs) / len(epochs) if epochs else None,
                   setup.scheduler, config, setup.seed, setup.preset)


def queued(label: str, config: dict) -> Summary:
    """A run not started yet: no id, no figures."""
    return summarise(None, label, Status.QUEUED, [], config)


def range_test(id: int, label: str, status: str, lr: list[float], loss: list[float], config: dict) -> Summary:
    """A range test has none of a run's figures but one: its suggested lr, as the lr at best."""
    found = analyse(lr, loss, config["sweep"]["smooth"])
    return replace(summarise(id, label, status, [], config), lr_at_best=found.suggestion)


def stored(run: dict) -> Summary:
    """A stored run's figures: a range test's from its steps, a training run's from its epochs."""
    if run["kind"] == "find":
        steps = run["steps"]
        return range_test(run["id"], run["label"], run["status"], steps["lr"], steps["loss"], run["config"])
    return summarise(run["id"], run["label"], run["status"], run["epochs"], run["config"])


def score(summary: Summary) -> float | None:
    """The figure a run is judged by (lower is better): its best val loss, or train loss without validation."""
    return summary.best_val_loss


@dataclass(frozen=True)
class Entry:
    """A training run as a verdict takes it: its group (a comparison's schedule; its label for a run of
    none), seed, status and epochs, and its task (to name in a refusal)."""

    group: str
    seed: int | None
    status: str
    epochs: list[dict]
    task: str | None

    @classmethod
    def stored(cls, run: dict) -> Entry:
        return cls(run["group"] or run["label"], run["seed"], run["status"], run["epochs"], run["task"])


def judge(entries: Iterable[Entry], metric: Metric, min_effect: float = 0.01) -> Comparison:
    """The verdict on runs by `metric`, the groups a sweep's pruner ended (every run of them pruned)
    named and left out of it."""
    entries = list(entries)
    out_of_it = pruned(entries)
    scores = {group: runs for group, runs in group_scores(entries, metric).items() if group not in out_of_it}
    return compare(scores, metric, min_effect, pruned=out_of_it)


def pruned(entries: list[Entry]) -> tuple[str, ...]:
    """The groups every run of which was pruned, in the order they came."""
    statuses: dict[str, set[str]] = {}
    for e in entries:
        statuses.setdefault(e.group, set()).add(e.status)
    return tuple(group for group, ended in statuses.items() if ended == {Status.PRUNED})


def group_scores(entries: Iterable[Entry], metric: Metric) -> dict[str, dict[int, float | None]]:
    """Runs as a verdict takes them: {group: {seed: score}}. A diverged or failed run scores None (it
    loses its pair); a run not finished (running, stopped, pruned, interrupted) is left out, its pair
    unfinished. ConfigError for two runs of one group on one seed, or a metric that none of the runs
    measures."""
    entries = list(entries)
    out: dict[str, dict[int, float | None]] = {}
    for e in entries:
        if e.seed in out.setdefault(e.group, {}):
            raise ConfigError("RUN_ID", f"two runs of {e.group} on seed {e.seed}: a comparison has one per seed "
                                        "(give one of them, or --comparison ID)")
        if e.status == Status.FINISHED:
            out[e.group][e.seed] = metric.of(e.epochs)
        elif e.status in (Status.DIVERGED, Status.FAILED):
            out[e.group][e.seed] = None
    finished = [e for e in entries if e.status == Status.FINISHED and e.epochs]
    if finished and all(metric.of(e.epochs) is None for e in finished):
        raise ConfigError("--metric", f"{metric.name}: the runs do not measure the {metric.label} "
                                      f"(task {finished[0].task}); try --metric {DEFAULT_METRIC.name}")
    return out


def mismatch(runs: list[dict]) -> str | None:
    """Why `runs` do not belong in one comparison (their tasks, epochs or batch sizes differ), or None."""
    for what in ("task", "epochs", "batch_size"):
        values = sorted({str(RunConfig.of(run["config"]).training[what]) for run in runs})
        if len(values) > 1:
            return f"the runs differ in {what} ({', '.join(values)})"
    return None
