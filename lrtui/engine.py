"""Train one run: a task's model and batches, an optimizer and a catalogue schedule, on a device.

`train` runs in whatever thread calls it and never waits for its consumer: events are handed to
`emit` in batches about ten times a second. Losses stay on the device and are read in those batches,
so a GPU is never synchronised per step. It stops within one batch when `stop` is set; a training loss
that is not finite ends the run as `diverged` at that step, a validation loss at that epoch; an epoch
without batches, or any other exception, ends it as `failed`.
"""
from __future__ import annotations

import math
import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from lrtui import tasks
from lrtui.catalogue import Schedule, build, moves_momentum
from lrtui.events import EpochEnded, Event, RunEnded, RunStarted, Steps
from lrtui.optimizers import OptimizerConfig
from lrtui.params import ConfigError
from lrtui.store import Store

FLUSH_SECONDS = 0.1


@dataclass(frozen=True, kw_only=True)
class Setup:
    """What a job trains on, given by name: the task and its batches, the seed, the device, and where
    its data is. A training run (Job) and a range test (finder.FindJob) share it."""

    task: str = "spirals"
    batch_size: int = 128
    seed: int = 0
    device: str = "auto"
    preset: str | None = None
    data_dir: Path | None = None
    download: bool = False


@dataclass(frozen=True)
class Job(Setup):
    """One run, fully specified: a preset's run with its shared training settings."""

    label: str
    schedule: Schedule
    optimizer: OptimizerConfig
    epochs: int = 100
    config: dict = field(default_factory=dict, compare=False)  # what the store keeps as the full config


def resolve_device(name: str) -> Any:
    """auto: cuda, then mps, then cpu. ConfigError when the device asked for is not there."""
    import torch

    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    device = torch.device(name)
    if device.type == "cuda" and (not torch.cuda.is_available() or (device.index or 0) >= torch.cuda.device_count()):
        raise ConfigError("device", f"{name} is not available here (CUDA devices: {torch.cuda.device_count()})")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ConfigError("device", "mps is not available here")
    return device


def device_name(device: Any) -> str:
    import platform

    import torch

    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return platform.processor() or platform.machine() if device.type == "cpu" else device.type


def seed_everything(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # seeds every CUDA device too


class _Run:
    """The state of one run while it trains: what is buffered for the consumer and for the store."""

    def __init__(self, run_id: int, writer: Any, emit: Callable[[list[Event]], None], track_momentum: bool):
        self.run_id, self.writer, self.emit = run_id, writer, emit
        self.track_momentum = track_momentum
        self.events: list[Event] = []
        self.lr: list[float] = []
        self.momentum: list[float] = []
        self.loss: list[Any] = []        # device tensors until flushed
        self.step = 0                    # batches flushed so far in the whole run
        self.epoch_losses: list[float] = []
        self.next_flush = time.monotonic() + FLUSH_SECONDS

    def flush(self) -> str | None:
        """Read the buffered losses (one device sync), hand everything to the consumer and the store.
        Where a loss is not finite, the steps up to it are kept, the rest dropped, and it says so."""
        import torch

        diverged = None
        if self.loss:
            values = torch.stack(self.loss).tolist()
            bad = next((i for i, v in enumerate(values) if not math.isfinite(v)), None)
            if bad is not None:
                diverged = f"the training loss is not finite ({values[bad]}) at step {self.step + bad}"
                values = values[:bad + 1]
            n = len(values)
            mom = tuple(self.momentum[:n]) if self.track_momentum else None
            self.writer.steps(self.step, self.lr[:n], mom, values)
            self.events.append(Steps(self.run_id, self.step, tuple(self.lr[:n]), mom, tuple(values)))
            self.epoch_losses += values
            self.step += n
            self.lr, self.momentum, self.loss = [], [], []
        if self.events:
            self.emit(self.events)
            self.events = []
        self.next_flush = time.monotonic() + FLUSH_SECONDS
        return diverged


class NoBatches(Exception):
    """An epoch whose pass over the training batches gave none: they were used up by the first."""

    def __init__(self, epoch: int):
        super().__init__(f"the training batches are empty at epoch {epoch}: 'train' must give them again every "
                         "epoch (a list or a DataLoader)")


def prepare(job: Setup, count: bool = True) -> tuple[Any, dict, int | None]:
    """The device, the task's model and batches, and the batches in an epoch (from len(), else from
    a pass over them unless count=False, else None), for a job (a Job or a range test), built after
    seeding so that the same seed gives the same weights and batches. ConfigError for a task that
    cannot train (its build raises, it has no batches)."""
    device = resolve_device(job.device)
    seed_everything(job.seed)
    task = tasks.find(job.task)
    try:
        built = task.build(tasks.Context(device, job.batch_size, job.seed, job.data_dir, job.download))
    except ConfigError:
        raise
    except Exception as e:  # noqa: BLE001 - the task's code, before anything is stored: bad input
        raise ConfigError("task", f"{job.task}: build(ctx) raised {first_line(explain(e, job))}") from None
    built = tasks.check_built(built, job.task)
    steps_per_epoch = _count(built["train"], count)
    if steps_per_epoch == 0:
        raise ConfigError("task", f"{job.task}: the training batches are empty ('train' gave none)")
    return device, built, steps_per_epoch


def train(job: Job, store: Store, emit: Callable[[list[Event]], None], stop: threading.Event) -> str:
    """Train `job`, writing it to `store`; returns its final status. Bad input (an unknown task,
    missing data, a device that is not there) raises ConfigError before the run is stored."""
    device, built, steps_per_epoch = prepare(job)
    model = built["model"].to(device)
    optimizer = job.optimizer.build(model.parameters())
    per_step = job.schedule.interval == "step"
    length = job.epochs * steps_per_epoch if per_step else job.epochs
    stepper = build(job.schedule, optimizer, length)
    writer = store.start(job.label, job.preset, job.config, job.task, str(device), device_name(device), job.seed,
                         job.epochs * steps_per_epoch)
    run = _Run(writer.run_id, writer, emit, moves_momentum(job.schedule.spec, job.schedule.params))
    run.events.append(RunStarted(writer.run_id, job.label, str(device), device_name(device), job.epochs,
                                 steps_per_epoch, notes=(*built["notes"], *schedule_notes(job, length))))
    group = optimizer.param_groups[0]
    status, error = "finished", None
    try:
        for epoch in range(job.epochs):
            started, lr_at_start, samples, fed = time.perf_counter(), group["lr"], 0, 0
            run.epoch_losses = []
            model.train()
            for inputs, targets in built["train"]:
                fed += 1
                inputs, targets = on_device(inputs, device), on_device(targets, device)
                if stop.is_set():
                    status = "stopped"
                    break
                run.lr.append(group["lr"])
                if run.track_momentum:
                    run.momentum.append(group["betas"][0] if "betas" in group else group["momentum"])
                loss = built["loss"](model(inputs), targets)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                run.loss.append(loss.detach())
                samples += len(targets)
                if per_step:
                    stepper.step()
                if time.monotonic() >= run.next_flush and (error := run.flush()):
                    status = "diverged"
                    break
            if status == "finished" and (error := run.flush()):
                status = "diverged"
            if status != "finished":
                break
            if not fed:
                raise NoBatches(epoch)
            train_seconds = time.perf_counter() - started
            val_loss, val_acc = evaluate(model, built["val"], built["loss"], built["metric"], device)
            train_loss = sum(run.epoch_losses) / max(len(run.epoch_losses), 1)
            row = {"epoch": epoch, "lr": lr_at_start, "train_loss": train_loss, "val_loss": val_loss,
                   "val_acc": val_acc, "seconds": time.perf_counter() - started,
                   "samples_per_s": samples / train_seconds if train_seconds > 0 else 0.0}
            writer.epoch(row)
            run.events.append(EpochEnded(writer.run_id, **row))
            if val_loss is not None and not math.isfinite(val_loss):
                status, error = "diverged", f"the validation loss is not finite ({val_loss}) at epoch {epoch}"
                break
            if not per_step:
                stepper.step(val_loss if val_loss is not None else train_loss)
            run.flush()
    except Exception as e:  # noqa: BLE001 - the run fails; what it did so far is kept
        status, error = "failed", explain(e, job)
    try:
        run.flush()
    finally:  # even when the consumer fails, the run is closed in the store
        writer.finish(status, error)
    emit([RunEnded(writer.run_id, status, error)])
    return status


def schedule_notes(job: Job, length: int) -> tuple[str, ...]:
    """A note when the run's lr would not change within its `length` scheduler steps."""
    from lrtui.preview import run_curve, unchanging

    curve = run_curve(job.schedule, job.optimizer, length)
    note = curve and unchanging(job.label, job.schedule, curve)
    return (note,) if note else ()


def evaluate(model: Any, batches: Any, loss_fn: Any, metric: str | None,
             device: Any = None) -> tuple[float | None, float | None]:
    """Mean loss and accuracy over `batches`, summed on the device and read once."""
    import torch

    if batches is None:
        return None, None
    model.eval()
    total = correct = count = None
    with torch.no_grad():
        for inputs, targets in batches:
            inputs, targets = on_device(inputs, device), on_device(targets, device)
            out = model(inputs)
            n = len(targets)
            loss = loss_fn(out, targets) * n
            total = loss if total is None else total + loss
            if metric == "accuracy":
                hits = (out.argmax(dim=1) == targets).sum()
                correct = hits if correct is None else correct + hits
            count = n if count is None else count + n
    if not count:
        return None, None
    values = torch.stack([total.float(), (correct if correct is not None else total).float()]).tolist()
    return values[0] / count, (values[1] / count if metric == "accuracy" else None)


def on_device(value: Any, device: Any) -> Any:
    """A tensor on the device (a no-op where it is already there, as built-in tasks keep it)."""
    return value.to(device, non_blocking=True) if device is not None and hasattr(value, "to") else value


def _count(batches: Any, by_pass: bool) -> int | None:
    try:
        return len(batches)
    except TypeError:
        return sum(1 for _ in batches) if by_pass else None


def first_line(text: str | None) -> str:
    """What a one-line view shows of an error (the store keeps it whole)."""
    return (text or "").strip().partition("\n")[0]


def explain(error: Exception, job: Setup) -> str:
    import torch

    if isinstance(error, torch.cuda.OutOfMemoryError):
        return f"CUDA out of memory with batch size {job.batch_size}: try a smaller --batch-size"
    if isinstance(error, NoBatches):
        return str(error)
    return f"{type(error).__name__}: {error}"


def jobs(preset: Any, *, task: str | None = None, epochs: int | None = None, device: str | None = None,
         seed: int | None = None, batch_size: int | None = None, data_dir: Path | None = None,
         download: bool = False) -> list[Job]:
    """The runs of a preset as jobs, with the command line's overrides; one seed for all (fairness)."""
    t = {**preset.training, **{k: v for k, v in {"task": task, "epochs": epochs, "device": device, "seed": seed,
                                                  "batch_size": batch_size}.items() if v is not None}}
    for key in ("epochs", "batch_size"):
        if not isinstance(t[key], int) or t[key] < 1:
            raise ConfigError(key, f"needs an integer >= 1, got {t[key]!r}")
    return [Job(run.label, run.schedule, run.optimizer, t["epochs"], task=t["task"], batch_size=t["batch_size"],
                seed=t["seed"], device=t["device"], preset=preset.name, data_dir=data_dir, download=download,
                config={"preset": preset.name, "scheduler": run.schedule.to_table(),
                        "interval": run.schedule.interval, "warmup": run.schedule.warmup,
                        "optimizer": {"name": run.optimizer.name, **run.optimizer.params},
                        "training": {k: v for k, v in t.items() if k != "steps_per_epoch"}})
            for run in preset.runs]
