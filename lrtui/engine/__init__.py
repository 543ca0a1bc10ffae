"""Jobs to events: `training`, `batched` and `range_test` are the loops (what they share is in
`shared`), and `run` hands a job (lrtui.plan.planning makes them) to its loop. Loops emit events and
import no store: lrtui.runs.recorder records them."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from lrtui.engine.events import Event, Status
from lrtui.engine.shared import Prune, device_name, evaluate, explain, first_line, resolve_device, seed_everything

if TYPE_CHECKING:
    from lrtui.plan.planning import Batch, FindJob, Job

__all__ = ["Prune", "device_name", "evaluate", "explain", "first_line", "resolve_device", "run", "seed_everything"]


def run(job: Job | FindJob | Batch, emit: Callable[[list[Event]], None], stop: Any,
        prune: Prune | None = None) -> Status | None:
    """`job` through its loop (a training run, a range test, or a batch of runs trained together), its
    events handed to `emit`, each training run's epochs to `prune` (a sweep's pruner) if given; returns
    its status (a batch: None, each run's ending is in its events). Bad input found before the run
    starts raises ConfigError."""
    from lrtui.engine.batched import train_together
    from lrtui.engine.range_test import find
    from lrtui.engine.training import train
    from lrtui.plan.planning import Batch, FindJob

    if isinstance(job, Batch):
        return train_together(job, emit, stop, prune)
    return find(job, emit, stop) if isinstance(job, FindJob) else train(job, emit, stop, prune=prune)
