"""`lrtui sweep --prune halving`: successive halving by Optuna's SuccessiveHalvingPruner, here and on
Ray. Each point of the sweep (a comparison's group) is one trial of an in-memory study, judged by the
sweep's metric at rungs of 1, 2, 4, ... epochs, the better half of each rung going on.

A point is judged by its first run to reach each rung (the plan's first seed); its other runs follow
it: one of a pruned point ends at its next epoch, or does not start. So every point that goes on keeps
all its seeds, and the verdict among those points has its complete pairs.

It is asynchronous, as ASHA is: a point at a rung is compared with the points that reached it before,
so the first to arrive (the plan's first point; in a batch, the members in the plan's order) go on
more easily. A run is never pruned after its last epoch (it has finished)."""
from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

from lrtui.engine.events import EpochEnded
from lrtui.judge.verdict import Metric
from lrtui.schedule.params import ConfigError

EXTRA = "needs Optuna, an optional extra: pip install 'lrtui[optuna]'"
REDUCTION = 2  # each rung keeps the better 1/REDUCTION


def require() -> None:
    """ConfigError naming the extra where Optuna is not installed."""
    try:
        import optuna  # noqa: F401
    except ImportError:
        raise ConfigError("--prune halving", EXTRA) from None


def reason(epochs: int) -> str:
    """What a run pruned after `epochs` epochs says (here and on Ray)."""
    return f"pruned by successive halving after epoch {epochs}"


class Halving:
    """The pruner of a plan's jobs (lrtui.engine.Prune), asked after each epoch of a run and before a
    run starts."""

    def __init__(self, metric: Metric, jobs: dict[str, Any]):
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)  # its line a trial: the store says it
        pruner = optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=REDUCTION)
        self.study = optuna.create_study(direction="maximize" if metric.higher_is_better else "minimize",
                                         pruner=pruner)
        self.metric = metric
        self.jobs = jobs  # by key: the plan's, as it makes them
        self.trials: dict[str, Any] = {}  # by point
        self.reported: dict[str, int] = {}  # the epochs a point's trial has reported
        self.pruned: set[str] = set()  # points
        self.epochs: dict[str, list[dict]] = {}  # by run

    def out(self, job: Any) -> bool:
        return job.group in self.pruned

    def __call__(self, epoch: EpochEnded) -> str | None:
        job = self.jobs[epoch.key]
        epochs = self.epochs.setdefault(epoch.key, [])
        epochs.append(asdict(epoch))
        n = len(epochs)
        if n >= job.epochs:
            return None
        if job.group not in self.pruned and n > self.reported.get(job.group, 0):  # the first run here decides
            if job.group not in self.trials:
                self.trials[job.group] = self.study.ask()
            trial = self.trials[job.group]
            score = self.metric.of(epochs)
            worst = -math.inf if self.metric.higher_is_better else math.inf  # a score it cannot read loses
            trial.report(worst if score is None else score, n)
            self.reported[job.group] = n
            if trial.should_prune():
                self.pruned.add(job.group)
        return reason(n) if job.group in self.pruned else None
