"""The LR range test's loop: a fresh model trained briefly while the lr grows from tiny to large
(lrtui.plan.range_test reads the sweep).

It trains its own copy of the task's model, built from the seed, with its own optimizer: nothing of
the caller's is touched, so nothing needs restoring. Each step's loss is read at once (the sweep stops
on divergence; a few hundred syncs are nothing next to a training run's)."""
from __future__ import annotations

import copy
import itertools
import math
from typing import Any, Callable, Iterable, Iterator

from lrtui.engine.events import Event, Status
from lrtui.engine.shared import Loop, NoBatches, on_device, prepare
from lrtui.engine.smoothing import Ema
from lrtui.plan.planning import FindJob
from lrtui.plan.range_test import diverged


def find(job: FindJob, emit: Callable[[list[Event]], None], stop: Any) -> Status:
    """Run the range test of `job` as a run of kind `find`; returns its status: finished (the sweep
    reached end_lr or diverged, which is how a sweep normally ends), stopped or failed. Bad input
    raises ConfigError before the run starts."""
    device, built, _ = prepare(job, count=False)  # the sweep cycles the batches, however many
    model = copy.deepcopy(built["model"]).to(device)  # a task may hand out a model it keeps: not ours to train
    optimizer = job.optimizer.build(model.parameters())
    loop = Loop(job, emit)
    loop.start("find", job.config, device, 0, job.sweep.steps, tuple(built["notes"]))

    def sweep() -> tuple[Status, str | None]:
        ema, best = Ema(job.sweep.smooth), math.inf
        model.train()
        for lr, (inputs, targets) in zip(job.sweep.lrs().tolist(), cycled(built["train"])):
            if stop.is_set():
                return Status.STOPPED, None
            for group in optimizer.param_groups:
                group["lr"] = lr
            loss = built["loss"](model(on_device(inputs, device)), on_device(targets, device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loop.add(lr, None, loss)
            smooth = ema.add(loss.item())
            best = min(best, smooth)
            if diverged(smooth, best, job.sweep.diverge_factor):
                break
            if loop.due():
                loop.flush()
        return Status.FINISHED, None

    return loop.run(sweep)


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
