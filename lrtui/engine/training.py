"""A training run: a task's model and batches, an optimizer and a catalogue schedule, on a device.

`train` runs in whatever thread calls it and never waits for its consumer. It stops within one batch
when `stop` is set; a training loss that is not finite ends the run as diverged at that step, a
validation loss at that epoch; an epoch without batches, or any other exception, ends it as failed.
"""
from __future__ import annotations

from typing import Any, Callable

from lrtui.engine.events import Event, Status
from lrtui.engine.shared import Loop, Prune, evaluate, on_device, prepare, walk
from lrtui.plan.planning import Job
from lrtui.schedule.catalogue import build, moves_momentum
from lrtui.schedule.params import ConfigError


def train(job: Job, emit: Callable[[list[Event]], None], stop: Any, notes: tuple[str, ...] = (),
          prune: Prune | None = None) -> Status:
    """Train `job`, handing its events to `emit` (its RunStarted with the task's notes, and `notes`);
    returns its final status (pruned where `prune` ends it after an epoch). Bad input (an unknown task,
    missing data, a device that is not there) raises ConfigError before the run starts."""
    device, built, steps_per_epoch = prepare(job)
    model = built["model"].to(device)
    optimizer = job.optimizer.build(model.parameters())
    length = job.schedule.length(job.epochs, steps_per_epoch)
    stepper = build(job.schedule, optimizer, length)
    loop = Loop(job, emit, moves_momentum(job.schedule.spec, job.schedule.params))
    loop.start("train", job.config, device, job.epochs, steps_per_epoch,
               (*built["notes"], *schedule_notes(job, length, model), *notes))
    alone = Alone(job, built, model, optimizer, stepper, loop, device, prune)

    def epochs() -> tuple[Status, str | None]:
        walk(job.epochs, alone, lambda: built["train"], stop, loop.due)
        return alone.ended or (Status.FINISHED, None)

    return loop.run(epochs)


class Alone:
    """One run's epochs, as shared.walk drives them; `ended` says how the run ended early, if it did."""

    def __init__(self, job: Job, built: dict, model: Any, optimizer: Any, stepper: Any, loop: Loop, device: Any,
                 prune: Prune | None):
        self.job, self.built, self.model, self.optimizer, self.stepper = job, built, model, optimizer, stepper
        self.loop, self.device, self.prune = loop, device, prune
        self.group = optimizer.param_groups[0]
        self.per_step = job.schedule.interval == "step"
        self.lr_at_start, self.samples = 0.0, 0
        self.ended: tuple[Status, str | None] | None = None

    def begin_epoch(self) -> None:
        self.lr_at_start, self.samples, self.loop.flushed = self.group["lr"], 0, []
        self.model.train()

    def step(self, batch: Any) -> None:
        inputs, targets = batch
        inputs, targets = on_device(inputs, self.device), on_device(targets, self.device)
        group = self.group
        momentum = group["betas"][0] if "betas" in group else group.get("momentum")
        loss = self.built["loss"](self.model(inputs), targets)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.loop.add(group["lr"], momentum, loss)
        self.samples += len(targets)
        if self.per_step:
            self.stepper.step()

    def hand_on(self) -> bool:
        if error := self.loop.flush():
            self.ended = Status.DIVERGED, error
        return self.ended is None

    def end_epoch(self, epoch: int, started: float, train_seconds: float) -> bool:
        built = self.built
        val_loss, val_acc = evaluate(self.model, built["val"], built["loss"], built["metric"], self.device)
        self.ended = self.loop.end_epoch(epoch, self.lr_at_start, self.samples, started, train_seconds, val_loss,
                                         val_acc, self.stepper, self.per_step, self.prune)
        return self.ended is None

    def stopped(self) -> None:
        self.ended = Status.STOPPED, None


def schedule_notes(job: Job, length: int, model: Any) -> tuple[str, ...]:
    """The notes on the run's schedule (preview.notes: StepLR's gamma above 1 raises the lr, the lr
    does not change within the run's `length` scheduler steps, ...). A schedule whose lr the model's
    float type cannot hold is refused here, before the run starts (ConfigError), not at its first step
    (where torch would fail it)."""
    import torch

    from lrtui.schedule.preview import notes, run_curve

    dtype = next((p.dtype for p in model.parameters() if p.is_floating_point()), torch.float32)
    holds = (str(dtype).removeprefix("torch."), torch.finfo(dtype).max)
    try:
        curve = run_curve(job.schedule, job.optimizer, length, holds)
    except ConfigError as e:
        raise ConfigError(e.key, f"{e.problem} (run {job.label})") from None
    return tuple(notes(job.label, job.schedule, curve))
