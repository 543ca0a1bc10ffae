"""Sweeps: "with which parameters?" answered by search. A search space over the keys of a preset's
runs, by dotted path (`scheduler.params.gamma`, `optimizer.lr`, `warmup`), each a list of values (a
grid) or a distribution (random, `samples` draws seeded by the training seed). Its points are runs
like any other, each checked through the catalogue: every grid value and every distribution's range
(its bounds and middle, not its draws) as soon as the space is read, and each point as it is made. A
sweep trains them as one comparison (its groups the points), so the verdict, the store and batching
are the ones of `lrtui run --seeds`."""
from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass, replace
from typing import Any, Iterator

from lrtui.schedule.catalogue import validate
from lrtui.schedule.optimizers import OPTIMIZERS, validate_optimizer
from lrtui.schedule.params import INT_LIMIT, ConfigError, number

DISTRIBUTIONS = ("uniform", "log_uniform", "int_uniform")
MAX_POINTS = 10_000  # more asks for --yes (a preset's sweep may not exceed it)
MAX_SAMPLES = 10_000
RUN_KEYS = ("warmup",)  # a run's own keys a sweep may set, beside its scheduler's and optimizer's


@dataclass(frozen=True)
class Axis:
    """One swept key: its grid's values, or a distribution from low to high."""

    key: str                       # a dotted path (see `path`)
    values: tuple = ()
    dist: str | None = None
    low: float = 0.0
    high: float = 0.0

    @property
    def shown(self) -> str:
        """The distribution as the command line writes it: uniform(0.1, 0.9)."""
        return f"{self.dist}({self.low}, {self.high})"

    def reach(self) -> tuple:
        """The values that stand for what the axis can give: a grid's values; a distribution's bounds and
        middle (a draw is never checked alone: a range that can draw a refused value is refused)."""
        if self.dist is None:
            return self.values
        middle = (self.low + self.high) // 2 if self.dist == "int_uniform" else (
            math.sqrt(self.low * self.high) if self.dist == "log_uniform" else (self.low + self.high) / 2)
        return tuple(dict.fromkeys((self.low, middle, self.high)))

    def draw(self, rng: random.Random) -> Any:
        if self.dist == "int_uniform":
            return rng.randint(int(self.low), int(self.high))
        if self.dist == "log_uniform":
            return math.exp(rng.uniform(math.log(self.low), math.log(self.high)))
        return rng.uniform(self.low, self.high)


@dataclass(frozen=True)
class Space:
    axes: tuple[Axis, ...]
    samples: int = 1  # draws of the random axes (each with every grid point)

    def to_table(self) -> dict:
        """What `space` reads back: a preset's [sweep] table."""
        table: dict[str, Any] = {a.key: list(a.values) if a.dist is None else {a.dist: [a.low, a.high]}
                                 for a in self.axes}
        return table | ({"samples": self.samples} if self.samples != 1 else {})

    @property
    def size(self) -> int:
        grid = math.prod(len(a.values) for a in self.axes if a.dist is None)
        return grid * (self.samples if any(a.dist for a in self.axes) else 1)

    def points(self, seed: int) -> Iterator[dict[str, Any]]:
        """Every point, {path: value}, made as asked for: the grid's product, times `samples` draws of the
        random axes (drawn once, from the seed)."""
        grid = [a for a in self.axes if a.dist is None]
        rand = [a for a in self.axes if a.dist is not None]
        rng = random.Random(seed)
        draws = [{a.key: a.draw(rng) for a in rand} for _ in range(self.samples if rand else 1)]
        for values in itertools.product(*(a.values for a in grid)):
            for draw in draws:
                yield dict(zip((a.key for a in grid), values)) | draw


def path(key: str) -> str:
    """A key as a dotted path: a bare name is a scheduler parameter's (as --set names it)."""
    return key if "." in key or key in RUN_KEYS else f"scheduler.params.{key}"


def axis(key: str, value: Any) -> Axis:
    """One key of a search space: a non-empty list (a grid) or {distribution = [low, high]}; ConfigError
    names the key and the rule."""
    key = path(key)
    section, _, name = key.partition(".")
    known = (section == "scheduler" and name.startswith("params.") and len(name) > 7
             or section == "optimizer" and any(p.name == name for ps in OPTIMIZERS.values() for p in ps)
             or key in RUN_KEYS)
    if not known:
        raise ConfigError(key, "is no key a sweep can set: a scheduler parameter's name (gamma), "
                               "scheduler.params.NAME, optimizer.NAME (optimizer.lr) or warmup")
    if isinstance(value, list):
        if not value:
            raise ConfigError(key, "an empty grid: give at least one value")
        seen: list = []
        for v in value:  # a value twice would train its point twice, as two points the verdict compares
            if any(v == s and isinstance(v, bool) == isinstance(s, bool) for s in seen):
                raise ConfigError(key, f"repeats the value {v!r}: give each value once")
            seen.append(v)
        return Axis(key, tuple(value))
    if not (isinstance(value, dict) and len(value) == 1 and next(iter(value)) in DISTRIBUTIONS):
        raise ConfigError(key, f"needs a list of values or one of {', '.join(DISTRIBUTIONS)} = [low, high]")
    (dist, bounds), = value.items()
    if not (isinstance(bounds, list) and len(bounds) == 2
            and all(number(b, "int" if isinstance(b, int) else "float") is not None for b in bounds)):
        shown = [b if not isinstance(b, int) or abs(b) < INT_LIMIT else f"an integer of {len(str(abs(b)))} digits"
                 for b in bounds] if isinstance(bounds, list) else bounds
        raise ConfigError(key, f"{dist} needs [low, high], two finite numbers (integers within 64 bits), got {shown!r}")
    low, high = bounds
    if low > high:
        raise ConfigError(key, f"{dist} needs low <= high, got [{low}, {high}]")
    if dist == "log_uniform" and low <= 0:
        raise ConfigError(key, f"log_uniform needs low > 0 (a log range cannot reach zero), got [{low}, {high}]")
    if dist == "int_uniform" and not all(isinstance(b, int) for b in bounds):
        raise ConfigError(key, f"int_uniform needs two integers, got [{low}, {high}]")
    return Axis(key, dist=dist, low=low, high=high)


def space(table: dict) -> Space:
    """A preset's [sweep] table (or the command line's axes as one): its keys, and `samples`."""
    table = dict(table)
    samples = table.pop("samples", None)
    if samples is not None and (isinstance(samples, bool) or not isinstance(samples, int)
                                or not 1 <= samples <= MAX_SAMPLES):
        raise ConfigError("samples", f"needs an integer from 1 to {MAX_SAMPLES}, got {samples!r}")
    if not table:
        raise ConfigError("sweep", "needs at least one key to sweep")
    axes = tuple(axis(k, v) for k, v in table.items())
    if samples is not None and not any(a.dist for a in axes):
        raise ConfigError("samples", f"counts the draws of the random keys ({', '.join(DISTRIBUTIONS)}), and this "
                                     "sweep has none")
    return Space(axes, samples or 1)


def check(runs: tuple, space: Space, seed: int, every: bool) -> None:
    """Every value an axis can give (its grid's values, its distribution's bounds and middle), each
    set alone in each run, through the catalogue: what no point could train is refused before any is
    made. Then, with `every`, every point; else what only a combination breaks is found as its point
    is made (point_runs)."""
    for run in runs:
        for a in space.axes:
            for value in a.reach():
                try:
                    at(run, {a.key: value})
                except ConfigError as e:
                    where = (f"at the sweep's point {label({a.key: value})}" if a.dist is None else
                             f"{a.key}={a.shown} can draw {value:g}")
                    raise ConfigError(e.key, f"{e.problem} ({where} of {run.label})") from None
    if every:
        for _ in point_runs(runs, space, seed):
            pass


def point_runs(runs: tuple, space: Space, seed: int) -> Iterator[Any]:
    """Each run at each point of `space` (presets.Run), made as asked for, labelled by what the point
    sets, each checked through the catalogue; ConfigError names the point, the key and the rule."""
    for run in runs:
        for point in space.points(seed):
            try:
                made = at(run, point)
            except ConfigError as e:
                raise ConfigError(e.key, f"{e.problem} (at the sweep's point {label(point)} of {run.label})") from None
            yield made


def labels(runs: tuple, space: Space, seed: int) -> Iterator[str]:
    """The labels point_runs gives its runs, in its order, without checking or making them."""
    return (f"{run.label} {label(point)}" for run in runs for point in space.points(seed))


def at(run: Any, point: dict[str, Any]) -> Any:
    """`run` with the point's values set."""
    params = {k.removeprefix("scheduler.params."): v for k, v in point.items() if k.startswith("scheduler.params.")}
    unknown = [k for k in params if not run.schedule.spec.has(k)]
    if unknown:
        raise ConfigError(f"scheduler.params.{unknown[0]}", f"{run.schedule.name} has no parameter {unknown[0]!r}")
    optimizer = {k.removeprefix("optimizer."): v for k, v in point.items() if k.startswith("optimizer.")}
    try:
        schedule = validate(run.schedule.name, {**run.schedule.params, **params}, interval=run.schedule.interval,
                            warmup=point.get("warmup", run.schedule.warmup))
    except ConfigError as e:  # keyed by its path, as the sweep names it
        raise ConfigError(f"scheduler.params.{e.key}" if e.key in params else e.key, e.problem) from None
    try:
        optimizer_config = validate_optimizer({**run.optimizer.to_table(), **optimizer})
    except ConfigError as e:
        raise ConfigError(f"optimizer.{e.key}", e.problem) from None
    return replace(run, label=f"{run.label} {label(point)}", schedule=schedule, optimizer=optimizer_config,
                   point=point)


def label(point: dict[str, Any]) -> str:
    return " ".join(f"{k.rpartition('.')[2]}={v:.4g}" if isinstance(v, float) else f"{k.rpartition('.')[2]}={v}"
                    for k, v in point.items())
