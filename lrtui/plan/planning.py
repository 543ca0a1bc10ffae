"""Planning: a preset and the command line's or the app's overrides into jobs, each fully specified
and named by a key before anything is trained or stored."""
from __future__ import annotations

import functools
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from lrtui.plan import search_space
from lrtui.plan.presets import MAX_BATCH, Preset, seed_list, training_settings
from lrtui.plan.range_test import Sweep
from lrtui.schedule.catalogue import Schedule
from lrtui.schedule.optimizers import OptimizerConfig
from lrtui.schedule.params import AUTO


def new_key() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True, kw_only=True)
class Setup:
    """What a job trains on, given by name: the task and its batches, the seed, the device, and where
    its data is; and the key that names the run wherever it is trained and recorded. A training run
    (Job) and a range test (FindJob) share it."""

    task: str = "spirals"
    batch_size: int = 128
    seed: int = 0
    device: str = "auto"
    preset: str | None = None
    data_dir: Path | None = None
    download: bool = False
    key: str = field(default_factory=new_key, compare=False)
    comparison: str | None = None  # the comparison it belongs to (schedules x seeds), and its group there
    group: str | None = None


@dataclass(frozen=True)
class Job(Setup):
    """One run, fully specified: a preset's run with its shared training settings."""

    label: str
    schedule: Schedule
    optimizer: OptimizerConfig
    epochs: int = 100
    config: dict = field(default_factory=dict, compare=False)  # what the store keeps as the full config
    batch_runs: int | str = AUTO  # trained with at most this many compatible runs as one model (lrtui.engine.batched)

    @property
    def batch_limit(self) -> int:
        return 1 if self.batch_runs == "off" else MAX_BATCH if self.batch_runs == AUTO else self.batch_runs

    def batches_with(self, other: Job) -> bool:
        """They can train as one vectorised model: one task, batch size, epoch count, device, data and
        optimizer class, and one batching setting (schedules, optimizer arguments and seeds may differ)."""
        same = ("task", "batch_size", "epochs", "device", "data_dir", "download", "batch_runs")
        return (all(getattr(self, k) == getattr(other, k) for k in same) and self.optimizer.name == other.optimizer.name
                and self.batch_limit > 1)


@dataclass(frozen=True)
class Batch:
    """Compatible jobs trained as one vectorised model: consecutive jobs of a plan, in its order."""

    jobs: tuple[Job, ...]

    @property
    def label(self) -> str:
        return f"{len(self.jobs)} runs batched ({', '.join(dict.fromkeys(job.label for job in self.jobs))})"


def batches(plan: Iterable[Any]) -> Iterator[Any]:
    """A plan as the engine trains it, unit by unit as the plan makes its jobs: each run of consecutive
    jobs that batch with one another as one Batch of at most their `batch_runs` (auto: MAX_BATCH, fewer
    where the engine finds that the device's memory holds fewer), the others (and range tests) alone.
    The plan's order (round-robin by seed) is kept."""
    members: list[Any] = []
    for job in plan:
        if (isinstance(job, Job) and members and isinstance(members[0], Job) and len(members) < job.batch_limit
                and members[0].batches_with(job)):
            members.append(job)
            continue
        if members:
            yield Batch(tuple(members)) if len(members) > 1 else members[0]
        members = [job]
    if members:
        yield Batch(tuple(members)) if len(members) > 1 else members[0]


@dataclass(frozen=True)
class FindJob(Setup):
    """A range test, fully specified: what a Job is to training."""

    label: str
    optimizer: OptimizerConfig
    sweep: Sweep = Sweep()

    @property
    def config(self) -> dict:
        """What the store keeps of it (and `lrtui find --json` prints)."""
        training = {"task": self.task, "batch_size": self.batch_size, "seed": self.seed, "device": self.device}
        return {"preset": self.preset, "sweep": asdict(self.sweep), "training": training,
                "optimizer": self.optimizer.to_table()}


def new_comparison() -> str:
    return uuid.uuid4().hex[:8]  # short enough to type (`lrtui compare --comparison ID`)


@dataclass(frozen=True)
class Part:
    """One preset's share of a plan: its runs (or its sweep's runs at every point) on each of its seeds,
    with its training settings checked."""

    preset: Any
    training: dict
    setup: dict  # what every job of it shares beside the training settings: data, comparison

    @property
    def seeds(self) -> list[int]:
        return seed_list(self.training)

    @property
    def groups(self) -> int:
        """Its runs on one seed: a comparison's groups."""
        return len(self.preset.runs) * (self.preset.sweep.size if self.preset.sweep else 1)

    def runs(self) -> Iterator[Any]:
        """Its runs on one seed, made (and a sweep's points checked) as asked for."""
        preset = self.preset
        return search_space.point_runs(preset.runs, preset.sweep, self.training["seed"]) if preset.sweep else iter(preset.runs)

    def labels(self) -> Iterator[str]:
        preset = self.preset
        return (search_space.labels(preset.runs, preset.sweep, self.training["seed"]) if preset.sweep
                else (run.label for run in preset.runs))

    def job(self, run: Any, group: str, seed: int) -> Job:
        t = self.training
        return Job(run.label, run.schedule, run.optimizer, t["epochs"], task=t["task"], batch_size=t["batch_size"],
                   seed=seed, device=t["device"], preset=self.preset.name, group=group, batch_runs=t["batch_runs"],
                   **self.setup,
                   config={"preset": self.preset.name, "scheduler": run.schedule.to_table(),
                           "interval": run.schedule.interval, "warmup": run.schedule.warmup,
                           "optimizer": run.optimizer.to_table(),
                           "training": {k: v for k, v in t.items() if k != "steps_per_epoch"}
                           | {"seed": seed, "seeds": self.seeds}}
                   | ({"point": run.point} if run.point else {}))


class Plan:
    """The jobs of one comparison (one or more presets' runs x their seeds, paired: a seed gives every
    run the same initial weights, batch order and augmentation), in the order they train: round-robin
    by seed, so that a comparison stopped half-way holds complete pairs. Jobs are made as they are asked
    for, so that a sweep of millions of runs starts at once; its size is known before any is made."""

    def __init__(self, parts: list[Part]):
        self.parts = parts

    def __len__(self) -> int:
        return sum(part.groups * len(part.seeds) for part in self.parts)

    @property
    def size(self) -> str:
        """How its runs multiply, in words: `10,000 points x 1,000 seeds`."""
        what = "points" if any(part.preset.sweep for part in self.parts) else "runs"
        groups, seeds = sum(part.groups for part in self.parts), max(len(part.seeds) for part in self.parts)
        return f"{groups:,} {what} x {seeds:,} seed{'s' * (seeds > 1)}"

    @property
    def comparison(self) -> str:
        return self.parts[0].setup["comparison"]

    @property
    def seeded(self) -> bool:
        return any(len(part.seeds) > 1 for part in self.parts)

    def count(self, preset: str | None) -> int:
        """The jobs of the presets of this name."""
        return sum(part.groups * len(part.seeds) for part in self.parts if part.preset.name == preset)

    @functools.cached_property
    def groups(self) -> list[list[str]]:
        """Each part's group names, its runs' labels made unique (a preset may give two runs one label), and
        named by their preset where two presets share one."""
        named = [_groups(list(part.labels())) for part in self.parts]
        presets_of = Counter(group for groups in named for group in set(groups))
        return [[f"{part.preset.name}: {g}" if presets_of[g] > 1 else g for g in groups]
                for part, groups in zip(self.parts, named)]

    def __iter__(self) -> Iterator[Job]:
        for i in range(max(len(part.seeds) for part in self.parts)):
            yield from self.round(i)

    def round(self, i: int) -> Iterator[Job]:
        """The jobs on each preset's `i`-th seed: every run once."""
        for part, groups in zip(self.parts, self.groups):
            seeds = part.seeds
            if i < len(seeds):
                yield from (part.job(run, group, seeds[i]) for run, group in zip(part.runs(), groups))


def plan(chosen: list[Any], *, task: str | None = None, epochs: int | None = None, device: str | None = None,
         seed: int | None = None, seeds: int | list[int] | None = None, batch_size: int | None = None,
         batch_runs: int | str | None = None, data_dir: Path | None = None, download: bool = False,
         comparison: str | None = None) -> Plan:
    """The runs of the `chosen` presets as one comparison, with the command line's or the app's overrides
    (ConfigError names a bad setting; each sweep's point is checked as its job is made)."""
    comparison = comparison or new_comparison()
    setup = {"data_dir": data_dir, "download": download, "comparison": comparison}
    return Plan([Part(preset, training_settings(preset.training, task=task, epochs=epochs, device=device, seed=seed,
                                                seeds=seeds, batch_size=batch_size, batch_runs=batch_runs), setup)
                 for preset in chosen])


def jobs(preset: Any, **overrides: Any) -> list[Job]:
    """A preset's plan (see `plan`), every job made."""
    return list(plan([preset], **overrides))


def _groups(labels: list[str]) -> list[str]:
    """The runs' labels, made unique (a preset may give two runs one label): the groups of a comparison."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} #{seen[label]}")
    return out


def lr_check(run: Any, training: dict, lrs: list[float], epochs: int) -> Any:
    """A range test's check as a sweep: `run` (its schedule and optimizer) at each of `lrs` (its max_lr
    where its schedule has one, OneCycleLR and CyclicLR, else the optimizer's lr), for `epochs` on one
    seed: short runs that train batched, compared as any sweep's points are."""
    key = "scheduler.params.max_lr" if run.schedule.spec.has("max_lr") else "optimizer.lr"
    return Preset("lr-check", training=training | {"epochs": epochs, "seeds": 1}, runs=(run,),
                  sweep=search_space.space({key: lrs}))


def find_job(training: dict, optimizer: OptimizerConfig, settings: Sweep, preset: str | None = None,
               data_dir: Path | None = None, download: bool = False) -> FindJob:
    """The range test of a configuration: its optimizer and training settings (task, batch size,
    seed, device); the lr is the sweep's."""
    kept = {k: training[k] for k in ("task", "batch_size", "seed", "device")}
    return FindJob(f"range test {optimizer.name}", optimizer, settings, **kept, preset=preset, data_dir=data_dir,
                   download=download)
