"""The LR range test (Smith, "Cyclical Learning Rates", 2017; torch-lr-finder, fastai's lr_find):
train a fresh model briefly while the lr grows from tiny to large, and read off the lr where the
loss falls fastest.

`find` trains its own copy of the task's model, built from the seed, with its own optimizer: nothing
of the caller's is touched, so nothing needs restoring. Each step's loss is read at once (the sweep
stops on divergence; a hundred syncs are nothing next to a training run's). `analyse` turns a sweep
into a Finding with the suggestions; it is pure, so a stored sweep gives the same answer again.
"""
from __future__ import annotations

import copy
import itertools
import math
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from lrtui.engine import NoBatches, Setup
from lrtui.events import Event, RunEnded, RunStarted, Steps
from lrtui.optimizers import OptimizerConfig
from lrtui.params import ConfigError, Param, above, between, check_all
from lrtui.store import Store

SETTINGS = (
    Param("start_lr", "float", 1e-7, "the lr of the first step", (above(0),)),
    Param("end_lr", "float", 10.0, "the lr of the last step", (above(0),)),
    Param("steps", "int", 300, "batches in the sweep (the task's batches, cycled)", (between(10, 10_000),)),
    Param("mode", "choice", "exp", "how the lr grows: exp (evenly on a log scale) or linear",
          choices=("exp", "linear")),
    Param("smooth", "float", 0.05, "the weight of each new loss in the moving average (1: no smoothing)",
          (between(0, 1, open_lo=True),)),
    Param("diverge_factor", "float", 4.0, "stop once the smoothed loss exceeds this times its best",
          (above(1),)),
)
SUGGESTIONS = ("minimum", "steepest")  # the first is the one suggested
ADVICE = ("minimum (the one suggested): a tenth of the lr at the lowest smoothed loss, fastai's lr_min; in "
          "lrtui's benchmark against a grid of trained lrs it lands within half a decade of the best far more "
          "often than the valley or the steepest point. steepest: where the smoothed loss falls fastest; "
          "noisier, and often higher. Use the lr as the base lr of a step, exponential or cosine schedule, or as "
          "the peak of a warmup recipe, and for OneCycleLR and CyclicLR as max_lr.")
TOO_FLAT = "too flat to read: the loss fell less than its noise; sweep longer (F, --steps) or over a wider range"


@dataclass(frozen=True)
class Sweep:
    """Checked settings of a range test: make one with `sweep`."""

    start_lr: float = 1e-7
    end_lr: float = 10.0
    steps: int = 300
    mode: str = "exp"
    smooth: float = 0.05
    diverge_factor: float = 4.0

    def lrs(self) -> np.ndarray:
        """The lr of every step of the sweep."""
        if self.mode == "exp":
            return np.geomspace(self.start_lr, self.end_lr, self.steps)
        return np.linspace(self.start_lr, self.end_lr, self.steps)


def sweep(values: dict) -> Sweep:
    """A checked Sweep from {setting: value}; ConfigError names the bad setting."""
    clean = check_all(SETTINGS, values, "the range test")
    if clean["end_lr"] <= clean["start_lr"]:
        raise ConfigError("end_lr", f"the range test needs end_lr > start_lr ({clean['start_lr']:g}), "
                                    f"got {clean['end_lr']:g}")
    return Sweep(**clean)


@dataclass(frozen=True)
class FindJob(Setup):
    """A range test, fully specified: what a Job is to training."""

    label: str
    optimizer: OptimizerConfig
    sweep: Sweep = Sweep()

    def config(self) -> dict:
        """What the store keeps of it (and `lrtui find --json` prints)."""
        training = {"task": self.task, "batch_size": self.batch_size, "seed": self.seed, "device": self.device}
        return {"preset": self.preset, "sweep": asdict(self.sweep), "training": training,
                "optimizer": {"name": self.optimizer.name, **self.optimizer.params}}


def job(training: dict, optimizer: OptimizerConfig, settings: Sweep, preset: str | None = None,
        data_dir: Path | None = None, download: bool = False) -> FindJob:
    """The range test of a configuration: its optimizer and training settings (task, batch size,
    seed, device); the lr is the sweep's."""
    kept = {k: training[k] for k in ("task", "batch_size", "seed", "device")}
    return FindJob(f"range test {optimizer.name}", optimizer, settings, **kept, preset=preset, data_dir=data_dir,
                   download=download)


@dataclass(frozen=True)
class Finding:
    lr: list[float]
    loss: list[float]
    smoothed: list[float]
    suggestions: dict[str, float | None]  # SUGGESTIONS; None when the sweep is too short or flat to tell
    flat: bool = False  # the loss fell less than its noise: nothing to read

    @property
    def suggestion(self) -> float | None:
        return self.suggestions[SUGGESTIONS[0]]

    def loss_range(self) -> tuple[float, float]:
        """The losses worth showing: from the lowest smoothed loss to the highest before it, so that
        the fall fills the chart and the blow-up leaves it at the top."""
        smooth = np.array(self.smoothed)
        smooth = smooth[np.isfinite(smooth)]
        if len(smooth) == 0:
            return 0.0, 1.0
        lo = float(smooth.min())
        hi = float(smooth[:int(np.argmin(smooth)) + 1].max())
        if hi <= lo:  # the loss only rose: show all of it
            hi = float(smooth.max())
        pad = (hi - lo) * 0.05 or abs(lo) * 0.05 or 1.0
        return lo - pad, hi + pad


class Ema:
    """The debiased exponential moving average (debiased as Adam's moments are: without the
    correction the first values are pulled towards zero)."""

    def __init__(self, weight: float):
        self.weight, self.avg, self.count = weight, 0.0, 0

    def add(self, value: float) -> float:
        """The average with `value` in it."""
        self.count += 1
        self.avg = (1 - self.weight) * self.avg + self.weight * value
        return self.avg / (1 - (1 - self.weight) ** self.count)


def smoothed(loss: list[float], weight: float) -> np.ndarray:
    ema = Ema(weight)
    return np.array([ema.add(v) for v in loss], dtype=float)


def diverged(smooth: float, best: float, factor: float) -> bool:
    """The stopping rule: the smoothed loss is not finite, or above `factor` times its best so far."""
    return not math.isfinite(smooth) or smooth > factor * best


def analyse(lr: list[float], loss: list[float], weight: float) -> Finding:
    """The suggestions of a sweep, read on the smoothed loss from the end of its first tenth (an lr too
    small to move the loss) to its lowest point (past it the loss rises: a fall there is noise or a
    recovery, as when a network dies at chance level), short of the last twentieth (the blow-up). A
    sweep whose smoothed loss falls there by less than the noise of one step is too flat to read."""
    smooth = smoothed(loss, weight)
    finite = np.isfinite(smooth)
    n = int(np.argmin(finite)) if not finite.all() else len(smooth)  # up to the first inf or nan
    lo, hi = n // 10, n - max(1, n // 20)
    if hi - lo >= 5:
        hi = min(hi, lo + int(np.argmin(smooth[lo:hi])) + 1)
    suggestions: dict[str, float | None] = dict.fromkeys(SUGGESTIONS)
    flat = False
    if hi - lo >= 5:
        part = smooth[lo:hi]
        flat = bool(part[0] - part[-1] < step_noise(np.asarray(loss[lo:hi], dtype=float)))
        if not flat:
            suggestions["minimum"] = lr[hi - 1] / 10
            suggestions["steepest"] = lr[lo + int(np.argmin(np.gradient(part)))]
    return Finding(list(lr), list(loss), [float(v) for v in smooth], suggestions, flat)


def step_noise(loss: np.ndarray) -> float:
    """The noise of one step's loss: the spread of step-to-step differences over sqrt(2), which a
    trend of the size of the fall barely moves."""
    return float(np.std(np.diff(loss)) / math.sqrt(2))


def cycled(batches: Iterable) -> Iterator:
    """The batches of one epoch after another, for a sweep longer than an epoch; NoBatches at an epoch
    that gives none (they were used up), rather than looking for a batch forever."""
    for epoch in itertools.count():
        empty = True
        for batch in batches:
            empty = False
            yield batch
        if empty:
            raise NoBatches(epoch)


def find(job: FindJob, store: Store, emit: Callable[[list[Event]], None], stop: threading.Event) -> str:
    """Run the range test of `job`, stored as a run of kind `find`; returns its status: finished (the
    sweep reached end_lr or diverged, which is how a sweep normally ends), stopped or failed. Bad input
    raises ConfigError before anything is stored."""
    from lrtui.engine import FLUSH_SECONDS, device_name, explain, on_device, prepare

    device, built, _ = prepare(job, count=False)  # the sweep cycles the batches, however many
    model = copy.deepcopy(built["model"]).to(device)  # a task may hand out a model it keeps: not ours to train
    optimizer = job.optimizer.build(model.parameters())
    lrs = job.sweep.lrs()
    writer = store.start(job.label, job.preset, job.config(), job.task, str(device), device_name(device), job.seed,
                         job.sweep.steps, kind="find")
    emit([RunStarted(writer.run_id, job.label, str(device), device_name(device), 0, job.sweep.steps, kind="find",
                     notes=tuple(built["notes"]))])
    batches = cycled(built["train"])
    done: list[float] = []
    ema, best = Ema(job.sweep.smooth), math.inf
    first, flushed = 0, time.monotonic()
    status, error = "finished", None

    def flush() -> None:
        nonlocal first, flushed
        if len(done) > first:
            writer.steps(first, lrs[first:len(done)].tolist(), None, done[first:])
            writer.commit()
            emit([Steps(writer.run_id, first, tuple(lrs[first:len(done)].tolist()), None, tuple(done[first:]))])
            first, flushed = len(done), time.monotonic()

    try:
        model.train()
        for lr, (inputs, targets) in zip(lrs, batches):
            if stop.is_set():
                status = "stopped"
                break
            for group in optimizer.param_groups:
                group["lr"] = float(lr)
            loss = built["loss"](model(on_device(inputs, device)), on_device(targets, device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            done.append(loss.item())
            smooth = ema.add(done[-1])
            best = min(best, smooth)
            if diverged(smooth, best, job.sweep.diverge_factor):
                break
            if time.monotonic() - flushed > FLUSH_SECONDS:
                flush()
    except Exception as e:  # noqa: BLE001 - the sweep fails; what it did so far is kept
        status, error = "failed", explain(e, job)
    try:
        flush()
    finally:
        writer.finish(status, error)
    emit([RunEnded(writer.run_id, status, error)])
    return status
