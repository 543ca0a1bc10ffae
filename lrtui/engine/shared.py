"""What every loop shares: the device, seeding, building the task, evaluation, explaining errors,
and the loop's skeleton (`Loop` buffers and hands on the steps and ends an epoch; `walk` drives the
epochs)."""
from __future__ import annotations

import math
import random
import time
from typing import TYPE_CHECKING, Any, Callable, Protocol

from lrtui import tasks
from lrtui.engine.events import EpochEnded, Event, RunEnded, RunStarted, Status, Steps
from lrtui.schedule.params import ConfigError

if TYPE_CHECKING:
    from lrtui.plan.planning import Job, Setup

FLUSH_SECONDS = 0.1


class Prune(Protocol):
    """A sweep's pruner (lrtui.judge.pruning.Halving), asked by the loops: after each epoch of a run, and
    before a run starts."""

    def __call__(self, epoch: EpochEnded) -> str | None:
        """Why the run ends after this epoch, or None."""

    def out(self, job: Job) -> bool:
        """Whether the job's point is pruned already (its run does not start)."""


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


def random_state() -> tuple:
    """Python's, numpy's and torch's global random states (CUDA's too, once it is in use)."""
    import numpy as np
    import torch

    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None
    return random.getstate(), np.random.get_state(), torch.get_rng_state(), cuda


def set_random_state(state: tuple) -> None:
    import numpy as np
    import torch

    random.setstate(state[0])
    np.random.set_state(state[1])
    torch.set_rng_state(state[2])
    if state[3] is not None:
        torch.cuda.set_rng_state_all(state[3])


class Loop:
    """The skeleton every loop shares: its start and end reported, its steps buffered and handed on
    about ten times a second (losses stay on the device until then, so a GPU is not synchronised per
    step), and an exception that ends the run as failed keeping what was done."""

    def __init__(self, job: Setup, emit: Callable[[list[Event]], None], track_momentum: bool = False):
        self.job, self.emit, self.track_momentum = job, emit, track_momentum
        self.events: list[Event] = []
        self.lr: list[float] = []
        self.momentum: list[float] = []
        self.loss: list[Any] = []        # device tensors until flushed
        self.step = 0                    # batches flushed so far in the whole run
        self.flushed: list[float] = []   # the losses flushed since the caller last cleared them
        self.next_flush = time.monotonic() + FLUSH_SECONDS

    def start(self, kind: str, config: dict, device: Any, epochs: int, steps_per_epoch: int,
              notes: tuple[str, ...]) -> None:
        job = self.job
        self.events.append(RunStarted(job.key, job.label, kind, config, job.preset, job.task, job.seed, str(device),
                                      device_name(device), epochs, steps_per_epoch, notes,
                                      comparison=job.comparison, group=job.group))

    def add(self, lr: float, momentum: float | None, loss: Any = None) -> None:
        """One batch's lr, momentum (read only where tracked) and loss tensor (a batched group keeps
        its members' losses itself, and gives them to `flush`)."""
        self.lr.append(lr)
        if self.track_momentum:
            self.momentum.append(momentum)
        if loss is not None:
            self.loss.append(loss.detach())

    def due(self) -> bool:
        return time.monotonic() >= self.next_flush

    def flush(self, values: list[float] | None = None) -> str | None:
        """Read the buffered losses (one device sync), or take their `values` read already, and hand on
        everything buffered. Where a loss is not finite, the steps up to it are kept, the rest dropped,
        and it says so."""
        import torch

        diverged = None
        if values is None and self.loss:
            values = torch.stack(self.loss).tolist()
        if values:
            bad = next((i for i, v in enumerate(values) if not math.isfinite(v)), None)
            if bad is not None:
                diverged = f"the training loss is not finite ({values[bad]}) at step {self.step + bad}"
                values = values[:bad + 1]
            n = len(values)
            mom = tuple(self.momentum[:n]) if self.track_momentum else None
            self.events.append(Steps(self.job.key, self.step, tuple(self.lr[:n]), mom, tuple(values)))
            self.flushed += values
            self.step += n
            self.lr, self.momentum, self.loss = [], [], []
        if self.events:
            self.emit(self.events)
            self.events = []
        self.next_flush = time.monotonic() + FLUSH_SECONDS
        return diverged

    def end_epoch(self, epoch: int, lr_at_start: float, samples: int, started: float, train_seconds: float,
                  val_loss: float | None, val_acc: float | None, stepper: Any, per_step: bool,
                  prune: Prune | None) -> tuple[Status, str] | None:
        """An epoch's end, as a run alone and each member of a batch have it: its EpochEnded (the
        training loss the mean of the steps flushed in it); then a validation loss that is not finite
        ends the run as diverged; else a per-epoch schedule steps (on the validation loss, else the
        training loss: ReduceLROnPlateau's metric), what is buffered is handed on, and the pruner may
        end the run. Returns how the run ends here, if it does."""
        train_loss = sum(self.flushed) / max(len(self.flushed), 1)
        ended = EpochEnded(self.job.key, epoch, lr_at_start, train_loss, val_loss, val_acc,
                           time.perf_counter() - started, samples / train_seconds if train_seconds > 0 else 0.0)
        self.events.append(ended)
        if val_loss is not None and not math.isfinite(val_loss):
            return Status.DIVERGED, f"the validation loss is not finite ({val_loss}) at epoch {epoch}"
        if not per_step:
            stepper.step(val_loss if val_loss is not None else train_loss)
        self.flush()
        if prune and (why := prune(ended)):
            return Status.PRUNED, why
        return None

    def run(self, body: Callable[[], tuple[Status, str | None]]) -> Status:
        """The run's status once `body` (its steps, after `start`) returns (status, error) or raises."""
        try:
            status, error = body()
        except Exception as e:  # noqa: BLE001 - the run fails; what it did so far is kept
            status, error = Status.FAILED, explain(e, self.job)
        try:
            self.flush()
        finally:  # even when the consumer fails, the run is ended
            self.emit([RunEnded(self.job.key, status, error)])
        return status


class Epochs(Protocol):
    """A loop over epochs (a run alone, or a batch of runs as one model), as `walk` drives it."""

    def begin_epoch(self) -> None:
        """An epoch begins: the lr at its start noted, the model in training mode."""

    def step(self, batch: Any) -> None:
        """One batch trained: forward, backward, the update, its lr and loss recorded, a per-step schedule's step."""

    def hand_on(self) -> bool:
        """The buffered steps handed on; whether any run goes on (a loss not finite ends one)."""

    def end_epoch(self, epoch: int, started: float, train_seconds: float) -> bool:
        """The epoch evaluated and ended (Loop.end_epoch); whether any run goes on."""

    def stopped(self) -> None:
        """The user stopped it within the epoch: the steps taken are kept."""


def walk(epochs: int, loop: Epochs, batches: Callable[[], Any], stop: Any, due: Callable[[], bool]) -> bool:
    """The epoch skeleton every training loop shares: each epoch's batches trained one by one, the
    steps handed on about ten times a second (`due`) and at the epoch's end, then the epoch ended;
    `stop` honoured between batches, an epoch that gives no batch refused (NoBatches). Returns whether
    it walked every epoch (else a run was stopped, or no run goes on)."""
    for epoch in range(epochs):
        started, fed = time.perf_counter(), 0
        loop.begin_epoch()
        for batch in batches():
            fed += 1
            if stop.is_set():
                loop.stopped()
                return False
            loop.step(batch)
            if due() and not loop.hand_on():
                return False
        if not loop.hand_on():
            return False
        if not fed:
            raise NoBatches(epoch)
        if not loop.end_epoch(epoch, started, time.perf_counter() - started):
            return False
    return True


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
    except (Exception, SystemExit) as e:  # noqa: BLE001 - the task's code, before anything is stored: bad input
        raise ConfigError("task", f"{job.task}: build(ctx) raised {first_line(explain(e, job))}") from None
    built = tasks.check_built(built, job.task)
    steps_per_epoch = _count(built["train"], count)
    if steps_per_epoch == 0:
        raise ConfigError("task", f"{job.task}: the training batches are empty ('train' gave none)")
    return device, built, steps_per_epoch


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


def explain(error: BaseException, job: Setup) -> str:
    import torch

    if isinstance(error, torch.cuda.OutOfMemoryError):
        return f"CUDA out of memory with batch size {job.batch_size}: try a smaller --batch-size"
    if isinstance(error, NoBatches):
        return str(error)
    return f"{type(error).__name__}: {error}"
