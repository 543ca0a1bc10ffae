"""The form's draft: a checked schedule, optimizer and training settings, and the rules that turn what
the form's fields hold into one."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lrtui.plan.presets import Preset, training_settings
from lrtui.schedule.catalogue import Schedule, validate
from lrtui.schedule.optimizers import OptimizerConfig, validate_optimizer
from lrtui.schedule.params import ConfigError


@dataclass(frozen=True)
class Draft:
    """A checked schedule, optimizer and training settings: what the form holds and a run is made of."""

    schedule: Schedule
    optimizer: OptimizerConfig
    training: dict

    def run_length(self) -> tuple[int, int]:
        """(scheduler steps, batches per epoch) of a run of this draft."""
        per_epoch = Preset("", training=self.training).steps_per_epoch
        return self.schedule.length(self.training["epochs"], per_epoch), per_epoch

    def edited(self, values: dict[str, dict[str, Any]]) -> Draft:
        """The draft that field values {section: {name: value}} make of this one (same scheduler; the
        optimizer the run section names, keeping only the lr when it is another one), or ConfigError
        keyed by the field to mark: "section-name" (run-warmup, scheduler-gamma, optimizer-lr)."""
        run = values["run"]
        try:
            schedule = validate(self.schedule.name, values["scheduler"], interval=run["interval"],
                                warmup=run.get("warmup", 0))
        except ConfigError as e:
            section = "run" if e.key in ("interval", "warmup") else "scheduler"
            raise ConfigError(f"{section}-{e.key.split('.')[0].split('[')[0]}", e.problem) from None
        same = run["optimizer"] == self.optimizer.name
        try:
            optimizer = validate_optimizer({"name": run["optimizer"],
                                            **(values["optimizer"] if same else {"lr": values["optimizer"]["lr"]})})
        except ConfigError as e:
            raise ConfigError("run-optimizer" if e.key == "name" else f"optimizer-{e.key}", e.problem) from None
        try:
            training = training_settings(values["training"])
        except ConfigError as e:
            raise ConfigError(f"training-{e.key}", e.problem) from None
        return Draft(schedule, optimizer, training)
