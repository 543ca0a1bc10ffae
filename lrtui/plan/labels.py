"""Labels that tell runs apart: each run's scheduler, then the settings whose values differ among the runs."""
from __future__ import annotations

from typing import Any

from lrtui.plan.config import RunConfig

TRAINING = ("epochs", "seed", "batch_size", "task")  # the training settings a label may show


def labels(configs: list[dict]) -> list[str]:
    """For each stored config, its scheduler's name and each setting whose value is not the same in all
    of `configs`: scheduler and optimizer parameters as `name=value`, training settings as `seed 1`."""
    setups = [RunConfig.of(c) for c in configs]
    flat = [_settings(s) for s in setups]
    keys = list(dict.fromkeys(k for f in flat for k in f))
    differ = [k for k in keys if len({repr(f[k]) for f in flat if k in f}) > 1]  # among the runs that have it
    return [" ".join([s.scheduler, *(_show(k, f[k]) for k in differ if k in f)]) for s, f in zip(setups, flat)]


def shortened(names: list[str], width: int) -> list[str]:
    """`names`, each longer than `width` without the word they all begin with (a sweep's scheduler):
    what tells them apart."""
    first = {name.partition(" ")[0] for name in names}
    if len(names) < 2 or len(first) > 1 or not all(" " in name for name in names):
        return names
    return [name.partition(" ")[2] if len(name) > width else name for name in names]


def fitted(names: list[str], width: int) -> list[str]:
    """`names` in `width` characters each: shortened, then cut with an ellipsis where still too long."""
    return [name if len(name) <= width else name[:max(width - 1, 0)] + "…" for name in shortened(names, width)]


def _settings(setup: RunConfig) -> dict[tuple[bool, str], Any]:
    """A config's settings, keyed by (is a training setting, name); the optimizer's name as `optimizer`.
    Its scheduler's and optimizer's parameters with their defaults filled in (a config leaves them out),
    so that a parameter counts among the runs it applies to: a default gamma against 0.5 differs, SGD's
    nesterov beside an Adam run that has none does not."""
    from lrtui.schedule.catalogue import CATALOGUE
    from lrtui.schedule.optimizers import OPTIMIZERS

    spec = CATALOGUE.get(setup.scheduler)
    defaults = {p.name: p.default for p in spec.params if not p.required} if spec else {}
    optimizer = {p.name: p.default for p in OPTIMIZERS.get(setup.optimizer.get("name", ""), ())}
    out = {(False, k): v for k, v in (defaults | setup.params).items()}
    out |= {(False, k): v for k, v in (("warmup", setup.warmup), ("interval", setup.interval)) if v is not None}
    out |= {(False, "optimizer" if k == "name" else k): v for k, v in (optimizer | setup.optimizer).items()}
    return out | {(True, k): setup.training[k] for k in TRAINING if setup.training[k] is not None}


def _show(key: tuple[bool, str], value: Any) -> str:
    training, name = key
    text = format(value, "g") if isinstance(value, float) else str(value)
    return f"{name} {text}" if training else f"{name}={text}"
