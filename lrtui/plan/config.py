"""A stored run's configuration, read once: what the engine planned it with (lrtui.plan.planning), with
what a range test's or an older store's configuration lacks filled in, so readers need no guesses."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RANGE_TEST = "LR range test"  # a range test's scheduler
TRAINING = {"task": None, "epochs": None, "batch_size": None, "seed": None, "device": None}


@dataclass(frozen=True)
class RunConfig:
    scheduler: str                 # its name: RANGE_TEST for a range test, "?" for a config that names none
    params: dict                   # the scheduler's parameters as given
    optimizer: dict                # name and arguments
    training: dict                 # TRAINING's keys at least (None where unknown), and seeds
    preset: str | None = None
    warmup: int | None = None
    interval: str | None = None
    seeds: tuple[int, ...] = field(default=())  # its comparison's seeds: its own seed alone for a run of none

    @classmethod
    def of(cls, config: dict[str, Any]) -> RunConfig:
        scheduler = config.get("scheduler") or {}
        training = TRAINING | config.get("training", {})
        seeds = training.get("seeds")
        return cls(RANGE_TEST if "sweep" in config else scheduler.get("name") or "?", scheduler.get("params", {}),
                   config.get("optimizer", {}), training, config.get("preset"), config.get("warmup"),
                   config.get("interval"), tuple(seeds) if isinstance(seeds, list) else (training["seed"],))

    @property
    def seed(self) -> int | None:
        return self.training["seed"]

    @property
    def seeded(self) -> bool:
        """It belongs to a comparison over several seeds."""
        return len(self.seeds) > 1
