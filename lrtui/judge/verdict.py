"""The verdict on a comparison of schedules over seeds: which is best, or which are tied, and how sure.

Each schedule (a group) has a score per seed. The best group is compared with each other on the seeds
both have run (paired: a seed's shared luck cancels out), by a paired t test whose p-values are
Holm-corrected over the comparison. A pair is only called when its difference is both significant and
large enough to matter (min_effect of the best's mean); else it is a tie, with a guess at the seeds
that would settle it. A failed or diverged run (score None) is never dropped: it loses its pair."""
from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from statistics import NormalDist

from lrtui.lazy import np

MIN_PAIRS = 3  # complete (shared) seeds a pair needs before any verdict
POWER_Z = NormalDist().inv_cdf(0.975) + NormalDist().inv_cdf(0.8)  # a two-sided 5% test with 80% power
MAX_SEEDS = 1000


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    higher_is_better: bool
    read: Callable[[list[dict]], float | None] = field(repr=False, compare=False)

    @property
    def described(self) -> str:
        """Its label and which way is better: `final val loss (lower is better)`."""
        return f"{self.label} ({'higher' if self.higher_is_better else 'lower'} is better)"

    def of(self, epochs: list[dict]) -> float | None:
        """The run's score from its epoch rows; None without epochs or where the value is missing or
        not finite (a diverged run)."""
        value = self.read(epochs) if epochs else None
        return value if _finite(value) else None


def _loss_key(epochs: list[dict]) -> str:
    """Val loss if the run validates at all, else train loss (as lrtui.judge.scores scores runs)."""
    return "val_loss" if any(e.get("val_loss") is not None for e in epochs) else "train_loss"


def _best(epochs: list[dict], key: str, pick: Callable) -> float | None:
    return pick((e[key] for e in epochs if _finite(e.get(key))), default=None)


METRICS: dict[str, Metric] = {m.name: m for m in [
    Metric("final_val_loss", "final val loss", False, lambda es: es[-1].get(_loss_key(es))),
    Metric("best_val_loss", "best val loss", False, lambda es: _best(es, _loss_key(es), min)),
    Metric("best_val_acc", "best val accuracy", True, lambda es: _best(es, "val_acc", max)),
    Metric("final_train_loss", "final train loss", False, lambda es: es[-1].get("train_loss")),
]}
DEFAULT_METRIC = METRICS["final_val_loss"]


def metric(name: str) -> Metric:
    try:
        return METRICS[name]
    except KeyError:
        raise ValueError(f"unknown metric {name!r}: one of {', '.join(METRICS)}") from None


@dataclass(frozen=True)
class GroupStats:
    name: str
    n: int  # runs with a score or a failure
    failed: int  # of which failed or diverged (score None)
    mean: float | None  # mean and 95% t interval over the finite scores; None where there is none
    low: float | None
    high: float | None
    min: float | None
    max: float | None

    @property
    def shown(self) -> str:
        """The mean with its interval's half-width (`1.052±0.0017`); of one score the mean alone (one
        value has no interval); `-` without a score."""
        if self.mean is None:
            return "-"
        return f"{self.mean:.4g}" + (f"±{(self.high - self.low) / 2:.2g}" if self.n - self.failed > 1 else "")


@dataclass(frozen=True)
class PairStats:
    best: str
    other: str
    n: int  # seeds both have
    diff: float | None  # mean difference on them, positive where best is better; None when n is 0
    low: float | None  # its 95% t interval
    high: float | None
    wins: float | None  # fraction of those seeds where best is strictly better, ties counting half
    p: float  # two-sided paired t test (1.0 under 2 seeds: no evidence)
    p_holm: float  # Holm-corrected over the comparison's pairs
    unfinished: tuple[int, ...]  # seeds only one of the two has


@dataclass(frozen=True)
class Verdict:
    """What the data supports, as structure (lrtui.output.words says it in words, for the command line
    and the app alike). "best": `best` is better than every other by at least `margin`, significantly
    after Holm at `alpha`. "tied": the `tied` groups (the best first) cannot be told apart; `closest` is
    the pair nearest a tie: `settled` where its whole interval is under `threshold` (the least
    difference that matters), else about `seeds_needed` seeds would tell (None: more would change
    nothing). "too-few": `groups` schedules (under two: nothing to compare), `pairs` complete pairs of
    the MIN_PAIRS a verdict needs."""

    kind: str  # "best", "tied" or "too-few"
    best: str | None
    groups: int = 0
    pairs: int = 0  # the fewest complete pairs of any group with the best
    margin: float | None = None
    alpha: float = 0.05
    tied: tuple[str, ...] = ()
    closest: PairStats | None = None
    threshold: float = 0.0
    settled: bool = False
    seeds_needed: int | None = None


@dataclass(frozen=True)
class Comparison:
    metric: Metric
    groups: tuple[GroupStats, ...]  # best first
    pairs: tuple[PairStats, ...]  # best vs each other group, in group order
    verdict: Verdict
    pruned: tuple[str, ...] = ()  # groups a sweep's pruner ended: out of the verdict

    def to_json(self) -> dict:
        return {"metric": self.metric.name,
                "groups": [_json_safe(asdict(g)) for g in self.groups],
                "pairs": [_json_safe(asdict(p)) for p in self.pairs],
                "verdict": _json_safe(asdict(self.verdict)), "pruned": list(self.pruned)}


def compare(scores: dict[str, dict[int, float | None]], metric: Metric = DEFAULT_METRIC,
            min_effect: float = 0.01, alpha: float = 0.05, pruned: tuple[str, ...] = ()) -> Comparison:
    """`scores` maps each group to {seed: score}: None is a failed or diverged run, a missing seed one
    not finished; the `pruned` groups are named beside it. All figures are oriented internally as losses
    (lower is better) and given back in the metric's own units."""
    sign = -1.0 if metric.higher_is_better else 1.0
    losses = {g: {s: sign * x if _finite(x) else None for s, x in runs.items()} for g, runs in scores.items()}
    order = sorted(losses, key=lambda g: _rank(g, losses))
    if not order:
        return Comparison(metric, (), (), Verdict("too-few", None), pruned)
    groups = tuple(_group(g, scores[g]) for g in order)
    best, others = order[0], order[1:]
    paired = [_paired(losses[best], losses[g]) for g in others]
    ps = [_p(d) for d in paired]
    pairs = tuple(_pair(best, g, d, p, q, losses) for g, d, p, q in zip(others, paired, ps, holm(ps)))
    return Comparison(metric, groups, pairs, _verdict(groups, pairs, paired, min_effect, alpha), pruned)


def holm(ps: list[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the order given: the k-th smallest (from 0) times m - k,
    kept at least the one before it, at most 1."""
    adjusted = [0.0] * len(ps)
    running = 0.0
    for k, i in enumerate(sorted(range(len(ps)), key=lambda i: ps[i])):
        running = max(running, min(1.0, (len(ps) - k) * ps[i]))
        adjusted[i] = running
    return adjusted


def _rank(group: str, losses: dict[str, dict[int, float | None]]) -> tuple[bool, float]:
    """A group ranks by its mean with each failure scored as losing to that seed's worst run; a group
    with no finite score ranks last."""
    runs = losses[group]
    if not any(x is not None for x in runs.values()):
        return True, 0.0
    everything = [x for rs in losses.values() for x in rs.values() if x is not None]
    scored = [x if x is not None else
              _lost([r[s] for r in losses.values() if r.get(s) is not None] or everything)
              for s, x in runs.items()]
    return False, float(np.mean(scored))


def _lost(finite: list[float]) -> float:
    """A failure's score: the worst finite one pushed further bad, so it always loses."""
    worst = max(finite)
    return worst + max(1.0, abs(worst))


def _paired(best: dict[int, float | None], other: dict[int, float | None]) -> np.ndarray:
    """other - best on each shared seed (as losses: positive where best is better); two failures tie."""
    diffs = []
    for s in sorted(best.keys() & other.keys()):
        a, b = best[s], other[s]
        if a is None and b is None:
            diffs.append(0.0)
        else:
            fill = _lost([x for x in (a, b) if x is not None])
            diffs.append((fill if b is None else b) - (fill if a is None else a))
    return np.array(diffs)


def _same(xs: np.ndarray) -> bool:
    return bool(np.all(xs == xs[0]))


def _p(diffs: np.ndarray) -> float:
    """Two-sided paired t test on the differences; without variance, certain either way (never nan).
    Student's t distribution from scipy.special's own functions (stdtr, its cdf; stdtrit, its quantile):
    scipy.stats would cost a second to import, at the first verdict of every command and of the app."""
    from scipy.special import stdtr

    if len(diffs) < 2:
        return 1.0
    if _same(diffs):
        return 0.0 if diffs[0] != 0 else 1.0
    t = diffs.mean() / _sem(diffs)  # ttest_rel's statistic, without its warning on near-equal values
    return float(2 * stdtr(len(diffs) - 1, -abs(t)))


def _interval(xs: np.ndarray) -> tuple[float, float]:
    """The mean's 95% Student-t interval; of one value or equal values, the mean itself."""
    from scipy.special import stdtrit

    if len(xs) < 2 or _same(xs):
        return float(xs.mean()), float(xs.mean())
    half = float(stdtrit(len(xs) - 1, 0.975)) * _sem(xs)
    return float(xs.mean()) - half, float(xs.mean()) + half


def _sem(xs: np.ndarray) -> float:
    """The standard error of the mean (scipy.stats.sem's figure, at a tenth of its cost per call)."""
    return float(xs.std(ddof=1) / math.sqrt(len(xs)))


def _group(name: str, runs: dict[int, float | None]) -> GroupStats:
    finite = np.array([x for x in runs.values() if _finite(x)], dtype=float)
    failed = len(runs) - len(finite)
    if not len(finite):
        return GroupStats(name, len(runs), failed, None, None, None, None, None)
    return GroupStats(name, len(runs), failed, float(finite.mean()), *_interval(finite),
                      float(finite.min()), float(finite.max()))


def _pair(best: str, other: str, diffs: np.ndarray, p: float, p_holm: float,
          losses: dict[str, dict[int, float | None]]) -> PairStats:
    unfinished = tuple(sorted(losses[best].keys() ^ losses[other].keys()))
    if not len(diffs):
        return PairStats(best, other, 0, None, None, None, None, p, p_holm, unfinished)
    wins = float(np.mean((diffs > 0) + 0.5 * (diffs == 0)))
    return PairStats(best, other, len(diffs), float(diffs.mean()), *_interval(diffs), wins, p, p_holm, unfinished)


def _verdict(groups: tuple[GroupStats, ...], pairs: tuple[PairStats, ...], paired: list[np.ndarray],
             min_effect: float, alpha: float) -> Verdict:
    best = groups[0]
    fewest = min((p.n for p in pairs), default=0)
    if fewest < MIN_PAIRS:
        return Verdict("too-few", best.name, len(groups), fewest, alpha=alpha)
    threshold = min_effect * abs(best.mean or 0.0)
    # called only when significant and big enough to matter (a negative diff never is: not better)
    tied = [(p, d) for p, d in zip(pairs, paired) if p.p_holm > alpha or p.diff < threshold]
    if not tied:
        return Verdict("best", best.name, len(groups), fewest, min(p.diff for p in pairs), alpha)
    names = (best.name, *(p.other for p, _ in tied))
    closest, diffs = min(tied, key=lambda t: abs(t[0].diff))
    sd, effect = float(np.std(diffs, ddof=1)), max(abs(closest.diff), threshold)
    # a tie in practice when the whole interval is under the difference that would matter: more
    # seeds would only narrow it
    settled = -threshold < closest.low and closest.high < threshold
    # else the seeds for an 80% chance of seeing the difference (or the least that matters), by the
    # normal approximation; without variance more seeds change nothing
    needed = None if sd == 0 or settled else MAX_SEEDS if effect == 0 else \
        min(MAX_SEEDS, max(closest.n + 1, math.ceil((POWER_Z * sd / effect) ** 2)))
    return Verdict("tied", best.name, len(groups), fewest, alpha=alpha, tied=names, closest=closest,
                   threshold=threshold, settled=settled, seeds_needed=needed)


def _finite(x: object) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool) and math.isfinite(x)


def _json_safe(value: object) -> object:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value
