"""`lrtui sweep --prune halving` on the local engine: successive halving by Optuna's
SuccessiveHalvingPruner, each run of the sweep (a point on a seed) one trial of an in-memory study,
judged by the sweep's metric on its epochs so far at rungs of 1, 2, 4, ... epochs, the better half of
each rung going on: the rungs that Ray Tune's ASHA scheduler keeps on `--backend ray`.

It is asynchronous, as ASHA is: a run at a rung is compared with the runs that reached it before, so
the first to arrive (the plan's first point; in a batch, the members in the plan's order) go on more
easily. A pruned run ends after that epoch as `pruned`, out of the verdict."""
from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

from lrtui.events import EpochEnded
from lrtui.params import ConfigError
from lrtui.verdict import Metric

EXTRA = "needs Optuna, an optional extra: pip install 'lrtui[optuna]'"
REDUCTION = 2  # each rung keeps the better 1/REDUCTION, as on Ray


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
    """The pruner the loops call after each epoch of a run (lrtui.engine.Prune): why it ends there, or None."""

    def __init__(self, metric: Metric):
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)  # its one line a trial is the store's job
        pruner = optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=REDUCTION)
        self.study = optuna.create_study(direction="maximize" if metric.higher_is_better else "minimize",
                                         pruner=pruner)
        self.metric = metric
        self.trials: dict[str, Any] = {}
        self.epochs: dict[str, list[dict]] = {}

    def __call__(self, epoch: EpochEnded) -> str | None:
        epochs = self.epochs.setdefault(epoch.key, [])
        epochs.append(asdict(epoch))
        trial = self.trials.get(epoch.key) or self.trials.setdefault(epoch.key, self.study.ask())
        score = self.metric.of(epochs)
        worst = -math.inf if self.metric.higher_is_better else math.inf  # a score it cannot read loses
        trial.report(worst if score is None else score, len(epochs))
        return reason(len(epochs)) if trial.should_prune() else None
