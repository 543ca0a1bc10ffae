"""Training, from plan to events: `plan` turns presets and overrides into jobs, `training` and
`range_test` are the loops (what they share is in `shared`), and `run` hands a job to its loop.
Loops emit events and import no store: lrtui.runs.recorder records them."""
from __future__ import annotations

from typing import Any, Callable

from lrtui.engine.events import Event, Status
from lrtui.engine.shared import Prune, device_name, evaluate, explain, first_line, resolve_device, seed_everything
from lrtui.plan.planning import Batch, FindJob, Job, Plan, batches, find_job, jobs, lr_check, new_comparison, plan

__all__ = ["Batch", "FindJob", "Job", "Prune", "batches", "device_name", "evaluate", "explain", "first_line",
           "find_job", "jobs", "lr_check", "new_comparison", "plan", "Plan", "resolve_device", "run", "seed_everything"]


def run(job: Job | FindJob | Batch, emit: Callable[[list[Event]], None], stop: Any,
        prune: Prune | None = None) -> Status | None:
    """`job` through its loop (a training run, a range test, or a batch of runs trained together), its
    events handed to `emit`, each training run's epochs to `prune` (a sweep's pruner) if given; returns
    its status (a batch: None, each run's ending is in its events). Bad input found before the run
    starts raises ConfigError."""
    from lrtui.engine.batched import train_together
    from lrtui.engine.range_test import find
    from lrtui.engine.training import train

    if isinstance(job, Batch):
        return train_together(job, emit, stop, prune)
    return find(job, emit, stop) if isinstance(job, FindJob) else train(job, emit, stop, prune=prune)
