"""The optimizers a schedule can drive, declared like the schedulers: one `Param` per argument."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lrtui.schedule.params import ConfigError, Param, Rule, above, at_least, between, check_all


def _lr(default: float) -> Param:
    return Param("lr", "float", default, "the base learning rate", (above(0),))


WEIGHT_DECAY = Param("weight_decay", "float", 0.0, "L2 penalty (decoupled for AdamW)", (at_least(0),))
MOMENTUM = Param("momentum", "float", 0.0, "momentum factor", (between(0, 1),))
BETAS = Param("betas", "floats", [0.9, 0.999], "Adam's (beta1, beta2)",
              (Rule("two entries", lambda v: len(v) == 2),), item_rules=(between(0, 1, open_hi=True),))
EPS = Param("eps", "float", 1e-8, "added to the denominator for stability", (above(0),))

OPTIMIZERS: dict[str, tuple[Param, ...]] = {
    "SGD": (_lr(0.1), MOMENTUM, Param("dampening", "float", 0.0, "dampening for momentum", (between(0, 1),)),
            WEIGHT_DECAY, Param("nesterov", "bool", False, "Nesterov momentum (needs momentum > 0)")),
    "Adam": (_lr(1e-3), BETAS, EPS, WEIGHT_DECAY),
    "AdamW": (_lr(1e-3), BETAS, EPS, Param("weight_decay", "float", 0.01, WEIGHT_DECAY.help, (at_least(0),))),
    "RMSprop": (_lr(1e-2), Param("alpha", "float", 0.99, "smoothing constant", (between(0, 1),)), EPS,
                WEIGHT_DECAY, MOMENTUM),
}


@dataclass(frozen=True)
class OptimizerConfig:
    """A checked optimizer: make one with validate_optimizer."""

    name: str
    params: dict

    @property
    def lr(self) -> float:
        return self.params["lr"]

    @property
    def momentum_name(self) -> str:
        """What CyclicLR and OneCycleLR cycle: beta1 for the Adam family, momentum otherwise."""
        return "beta1" if "betas" in self.params else "momentum"

    def to_table(self) -> dict:
        """{"name": ..., arguments...}: what validate_optimizer reads back, as presets and configs keep it."""
        return {"name": self.name, **self.params}

    def build(self, parameters: Any) -> Any:
        import torch
        return getattr(torch.optim, self.name)(parameters, **self.params)


def validate_optimizer(table: dict) -> OptimizerConfig:
    """A checked optimizer from {"name": ..., arguments...}; ConfigError names the bad key."""
    table = dict(table)
    name = table.pop("name", "SGD")
    if not isinstance(name, str) or name not in OPTIMIZERS:
        raise ConfigError("name", f"unknown optimizer {name!r} (choose from {', '.join(OPTIMIZERS)})")
    params = check_all(OPTIMIZERS[name], table, name)
    if params.get("nesterov") and (params["momentum"] <= 0 or params["dampening"] != 0):
        raise ConfigError("nesterov", "SGD needs momentum > 0 and dampening 0 for nesterov")
    return OptimizerConfig(name, params)
