"""Who runs the jobs. A `Backend` trains a plan's jobs to their end, each recorded in the store, and
hands their events to a watcher (the CLI's progress bars) as they come: `local` in a worker thread of
this process, `ray_tune` as trials of a Ray cluster; `backend()` picks one. The app's trainer
(`child`) serves one job at a time instead, in a process of its own, as the app submits them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Protocol

if TYPE_CHECKING:
    from lrtui.engine import Prune
    from lrtui.engine.events import Event
    from lrtui.plan.planning import Job, Plan
    from lrtui.runs.store import Store


@dataclass(frozen=True)
class Ran:
    """A run a backend trained, and how many runs of its preset were not started after it: none,
    unless it failed before its first step (the others, on the same task, would fail the same way)."""

    run_id: int
    status: str
    skipped: int = 0


class Watcher(Protocol):
    """What watches a plan's runs: told of each job before it trains, then given the events of all."""

    def expect(self, jobs: Iterable[Job]) -> None: ...

    def __call__(self, events: list[Event]) -> None: ...


class Backend(Protocol):
    def run(self, plan: Plan, store: Store, watcher: Watcher, prune: Prune | None = None) -> tuple[list[Ran], bool]:
        """Train the plan's jobs as it makes them, each recorded in `store`, their epochs judged by
        `prune` (a sweep's pruner) if given; returns the runs, in the plan's order, and whether the user
        interrupted (Ctrl-C: the runs in progress are kept, as stopped). A job the plan refuses as it
        is made raises ConfigError."""
        ...


def backend(name: str = "local", address: str | None = None, gpus_per_trial: float = 0) -> Backend:
    """The backend called `name` (the CLI's --backend): "local", or "ray" on the cluster at `address`."""
    if name == "ray":
        from lrtui.backends.ray_tune import RayBackend

        return RayBackend(address, gpus_per_trial)
    from lrtui.backends.local import LocalBackend

    return LocalBackend()
