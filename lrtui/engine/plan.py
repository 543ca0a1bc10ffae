"""Planning: a preset and the command line's or the app's overrides into jobs, each fully specified
and named by a key before anything is trained or stored."""
from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from lrtui import sweeps
from lrtui.catalogue import Schedule
from lrtui.finder import Sweep
from lrtui.optimizers import OptimizerConfig
from lrtui.params import AUTO
from lrtui.presets import MAX_BATCH, seed_list, training_settings


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


def batches(plan: list[Any]) -> list[Any]:
    """A plan as the engine trains it: each run of consecutive jobs that batch with one another as one
    Batch of at most their `batch_runs` (auto: MAX_BATCH, fewer where the engine finds that the
    device's memory holds fewer), the others (and range tests) alone. The plan's order (round-robin by
    seed) is kept."""
    out: list[Any] = []
    for job in plan:
        last = out[-1] if out else None
        members = last.jobs if isinstance(last, Batch) else (last,) if isinstance(last, Job) else ()
        if isinstance(job, Job) and members and len(members) < job.batch_limit and members[0].batches_with(job):
            out[-1] = Batch((*members, job))
        else:
            out.append(job)
    return out


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


def jobs(preset: Any, *, task: str | None = None, epochs: int | None = None, device: str | None = None,
         seed: int | None = None, seeds: int | list[int] | None = None, batch_size: int | None = None,
         batch_runs: int | str | None = None, data_dir: Path | None = None, download: bool = False,
         comparison: str | None = None) -> list[Job]:
    """The runs of a preset as jobs, with the command line's or the app's overrides: a comparison of its
    runs (the groups) x its seeds, paired (a seed gives every run the same initial weights, batch order
    and augmentation) and round-robin by seed, so that a comparison stopped half-way holds complete pairs."""
    t = training_settings(preset.training, task=task, epochs=epochs, device=device, seed=seed, seeds=seeds,
                          batch_size=batch_size, batch_runs=batch_runs)
    comparison = comparison or new_comparison()
    every = seed_list(t)
    runs = sweeps.point_runs(preset.runs, preset.sweep, t["seed"]) if preset.sweep else preset.runs
    return [Job(run.label, run.schedule, run.optimizer, t["epochs"], task=t["task"], batch_size=t["batch_size"],
                seed=s, device=t["device"], preset=preset.name, data_dir=data_dir, download=download,
                comparison=comparison, group=group, batch_runs=t["batch_runs"],
                config={"preset": preset.name, "scheduler": run.schedule.to_table(),
                        "interval": run.schedule.interval, "warmup": run.schedule.warmup,
                        "optimizer": run.optimizer.to_table(),
                        "training": {k: v for k, v in t.items() if k != "steps_per_epoch"} | {"seed": s, "seeds": every}}
                | ({"point": run.point} if run.point else {}))
            for s in every for run, group in zip(runs, _groups([run.label for run in runs]))]


def round_robin(plans: list[list[Job]]) -> list[Job]:
    """Several presets' jobs (planned with one comparison) as one plan: round-robin by seed over all of
    them, each group named by its preset where two presets share a label."""
    presets_of = Counter(group for plan in plans for group in {job.group for job in plan})
    merged = [replace(job, group=f"{job.preset}: {job.group}") if presets_of[job.group] > 1 else job
              for plan in plans for job in plan]
    return sorted(merged, key=lambda job: job.config["training"]["seeds"].index(job.seed))  # stable: a round as planned


def _groups(labels: list[str]) -> list[str]:
    """The runs' labels, made unique (a preset may give two runs one label): the groups of a comparison."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} #{seen[label]}")
    return out


def find_job(training: dict, optimizer: OptimizerConfig, settings: Sweep, preset: str | None = None,
               data_dir: Path | None = None, download: bool = False) -> FindJob:
    """The range test of a configuration: its optimizer and training settings (task, batch size,
    seed, device); the lr is the sweep's."""
    kept = {k: training[k] for k in ("task", "batch_size", "seed", "device")}
    return FindJob(f"range test {optimizer.name}", optimizer, settings, **kept, preset=preset, data_dir=data_dir,
                   download=download)
