"""A training run: a task's model and batches, an optimizer and a catalogue schedule, on a device.

`train` runs in whatever thread calls it and never waits for its consumer. It stops within one batch
when `stop` is set; a training loss that is not finite ends the run as diverged at that step, a
validation loss at that epoch; an epoch without batches, or any other exception, ends it as failed.
"""
from __future__ import annotations

import time
from typing import Any, Callable

from lrtui.engine.events import Event, Status
from lrtui.engine.shared import Loop, NoBatches, Prune, evaluate, on_device, prepare
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
    per_step = job.schedule.interval == "step"
    length = job.schedule.length(job.epochs, steps_per_epoch)
    stepper = build(job.schedule, optimizer, length)
    loop = Loop(job, emit, moves_momentum(job.schedule.spec, job.schedule.params))
    loop.start("train", job.config, device, job.epochs, steps_per_epoch,
               (*built["notes"], *schedule_notes(job, length, model), *notes))
    group = optimizer.param_groups[0]

    def epochs() -> tuple[Status, str | None]:
        for epoch in range(job.epochs):
            started, lr_at_start, samples, fed = time.perf_counter(), group["lr"], 0, 0
            loop.flushed = []
            model.train()
            for inputs, targets in built["train"]:
                fed += 1
                inputs, targets = on_device(inputs, device), on_device(targets, device)
                if stop.is_set():
                    return Status.STOPPED, None
                momentum = group["betas"][0] if "betas" in group else group.get("momentum")
                loss = built["loss"](model(inputs), targets)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                loop.add(group["lr"], momentum, loss)
                samples += len(targets)
                if per_step:
                    stepper.step()
                if loop.due() and (error := loop.flush()):
                    return Status.DIVERGED, error
            if error := loop.flush():
                return Status.DIVERGED, error
            if not fed:
                raise NoBatches(epoch)
            train_seconds = time.perf_counter() - started
            val_loss, val_acc = evaluate(model, built["val"], built["loss"], built["metric"], device)
            if ended := loop.end_epoch(epoch, lr_at_start, samples, started, train_seconds, val_loss, val_acc,
                                       stepper, per_step, prune):
                return ended
        return Status.FINISHED, None

    return loop.run(epochs)


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
