"""LR curves without training, two paths with one meaning.

`exact` steps the real torch scheduler on a throwaway optimizer: the truth, and the only path for
ReduceLROnPlateau. `fast` evaluates closed forms on numpy arrays, for instant feedback while typing;
tests hold it to `exact`. Either way `lr[i]` is the lr in effect during step (or epoch) i, for
i = 0 .. length-1, so OneCycleLR's extrapolated step after its last one is never shown.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

from lrtui.lazy import np
from lrtui.schedule.catalogue import Schedule, build, moves_momentum, resolve
from lrtui.schedule.catalogue import notes as catalogue_notes
from lrtui.schedule.optimizers import OptimizerConfig
from lrtui.schedule.params import ConfigError
from lrtui.schedule.specs import Spec

MAX_STEPS = 10_000_000       # the longest preview: 80 MB a curve, about a second in closed form
MAX_TORCH_STEPS = 1_000_000  # the longest stepped through torch, at 20 us or more a step
NOTE_TORCH_STEPS = 100_000   # the longest stepped to see whether a run's lr changes, before it trains


@dataclass(frozen=True)
class Curve:
    lr: np.ndarray
    momentum: np.ndarray | None   # momentum or beta1, where the schedule moves it
    momentum_name: str            # "momentum" or "beta1"
    metric: np.ndarray | None     # the synthetic metric fed to ReduceLROnPlateau
    exact: bool                   # stepped through torch, not evaluated in closed form


def synthetic_metric(length: int, mode: str) -> np.ndarray:
    """What a preview feeds ReduceLROnPlateau: a loss that falls linearly from 1 to 0.2 over the
    first third of the run, then stays flat, so that the plateau rule has something to act on."""
    loss = np.maximum(0.2, 1 - 0.8 * np.arange(length) / max(length / 3, 1))
    return loss if mode == "min" else 1 - loss


def preview(schedule: Schedule, optimizer: OptimizerConfig, length: int, exact: bool = False) -> Curve:
    """The curve for `length` scheduler steps: the fast path where it exists, else the exact one.
    A run too short or too long to preview, or a schedule whose lr becomes negative or not finite,
    is refused (ConfigError, naming the step)."""
    curve = None if exact else checked_fast(schedule, optimizer, length)
    return curve or checked_exact(schedule, optimizer, length)


def unchanging(label: str, schedule: Schedule, curve: Curve) -> str | None:
    """A note when the lr stays where it starts over the whole curve: such a schedule trains as a
    constant lr would (StepLR(30) over 5 epochs). Read from the curve, so that it holds for every
    scheduler; never for ReduceLROnPlateau, whose curve in training depends on training."""
    n = len(curve.lr)
    if schedule.spec.needs_metric or n < 2 or np.any(curve.lr != curve.lr[0]):
        return None
    name = schedule.name if label == schedule.name else f"{label} ({schedule.name})"
    return f"{name}: the lr does not change within the run's {n} {schedule.interval}s"


def notes(label: str, schedule: Schedule, curve: Curve | None) -> list[str]:
    """What to say of a schedule as it is previewed or trained: the catalogue's notes on what it does
    that torch takes and may surprise, and (from its curve, where there is one) that its lr does not
    change within the run."""
    said = [note if label == schedule.name else f"{label}: {note}" for note in catalogue_notes(schedule)]
    still = curve is not None and unchanging(label, schedule, curve)
    return said + ([still] if still else [])


def run_curve(schedule: Schedule, optimizer: OptimizerConfig, length: int, holds: tuple[str, float] | None = None,
              step_torch: bool = True) -> Curve | None:
    """The curve of a run about to train, or None where a preview would not draw it (the run may still
    train: a preview's limits are not training's) or would step torch for seconds (or at all, without
    `step_torch`). ConfigError for a run no lr of which can train: one that does not fit the run (a
    warmup as long as it), an lr below zero or not finite, or more than the model's float type `holds`
    (its name and largest value)."""
    try:
        _check_length(schedule, length)
    except ConfigError:
        return None
    curve = fast(schedule, optimizer, length)
    if curve is None and step_torch and length <= NOTE_TORCH_STEPS:
        curve = exact_curve(schedule, optimizer, length)
    return None if curve is None else _checked(schedule, curve, holds)


def checked_fast(schedule: Schedule, optimizer: OptimizerConfig, length: int) -> Curve | None:
    """`fast`, refused as `preview` refuses (the app's preview as the form is typed in)."""
    _check_length(schedule, length)
    curve = fast(schedule, optimizer, length)
    return None if curve is None else _checked(schedule, curve)


def checked_exact(schedule: Schedule, optimizer: OptimizerConfig, length: int) -> Curve:
    """`exact_curve`, refused as `preview` refuses (the app steps it in a worker)."""
    _check_length(schedule, length)
    if length > MAX_TORCH_STEPS:
        raise ConfigError("epochs", f"a preview steps torch at most {MAX_TORCH_STEPS:,} times (--exact, or a "
                          f"schedule without a closed form), got {length:,} {schedule.interval}s")
    return _checked(schedule, exact_curve(schedule, optimizer, length))


def _check_length(schedule: Schedule, length: int) -> None:
    if length < 1:
        raise ConfigError("epochs", f"needs a run of at least one step, got {length}")
    if length > MAX_STEPS:
        raise ConfigError("epochs", f"a preview covers at most {MAX_STEPS:,} steps, got {length:,} "
                          f"{schedule.interval}s")


def _checked(schedule: Schedule, curve: Curve, holds: tuple[str, float] | None = None) -> Curve:
    most = np.inf if holds is None else holds[1]
    with np.errstate(invalid="ignore"):
        bad = np.flatnonzero(~np.isfinite(curve.lr) | (curve.lr < 0) | (curve.lr > most))
    if bad.size:
        i = int(bad[0])
        past = f", more than {holds[0]} holds ({most:.3g})" if holds and np.isfinite(curve.lr[i]) and curve.lr[i] > most else ""
        raise ConfigError("params", f"{schedule.name} gives an lr of {curve.lr[i]:g} at {schedule.interval} {i}{past}")
    return curve


def exact_curve(schedule: Schedule, optimizer: OptimizerConfig, length: int) -> Curve:
    import torch

    opt = optimizer.build([torch.nn.Parameter(torch.zeros(1))])
    metric = (synthetic_metric(length, schedule.params["mode"]) if schedule.spec.needs_metric else None)
    lr, momentum = np.empty(length), np.empty(length)
    group = opt.param_groups[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scheduler.step() before optimizer.step(): expected here
        stepper = build(schedule, opt, length)
        for i in range(length):
            lr[i] = group["lr"]
            momentum[i] = group["betas"][0] if "betas" in group else group["momentum"]
            if i < length - 1:
                stepper.step(None if metric is None else float(metric[i]))
    moved = moves_momentum(schedule.spec, schedule.params)
    return Curve(lr, momentum if moved else None, optimizer.momentum_name, metric, True)


def fast(schedule: Schedule, optimizer: OptimizerConfig, length: int) -> Curve | None:
    """The closed-form curve, or None where the schedule has none (ReduceLROnPlateau) or where torch
    gives something else (see _has_closed_form): the caller then steps torch."""
    params = resolve(schedule, length)
    if not _has_closed_form(schedule.spec, params, schedule.warmup):
        return None
    n, base = schedule.warmup, optimizer.lr
    t = np.arange(length, dtype=np.float64)
    with np.errstate(all="ignore"):  # an overflow gives inf, which preview() refuses, naming the step
        curves = _closed(schedule.spec, t[n:] - n, base, params)
    lr = np.concatenate([base * (t[:n] + 1) / (n + 1), curves["lr"]])
    return Curve(lr, curves.get("momentum"), optimizer.momentum_name, None, False)


def _has_closed_form(spec: Spec, params: dict, warmup: int = 0) -> bool:
    """Whether the closed forms give what torch gives. Not in a sequence (a SequentialLR, or anything
    after a warmup), where torch hands each scheduler the lr the one before left: a MultiplicativeLR
    goes on from that lr instead of the base lr, and CyclicLR and OneCycleLR rewrite the lr, initial_lr
    and momentum the others start from. Not in a ChainedScheduler holding CosineAnnealingLR with
    others: its recursive step adds to the lr (past T_max, or with eta_min), it is no plain factor."""
    if spec.kind == "composite":
        if not all(_has_closed_form(s, p) for s, p in params["schedulers"]):
            return False
        children = [s for s, _ in params["schedulers"]]
    elif spec.closed_form is None:
        return False
    else:
        children = [spec]
    if spec.name == "ChainedScheduler":
        return len(children) == 1 or all(s.name != "CosineAnnealingLR" for s in children)
    handed_on = children if warmup else children[1:]  # those torch starts from another's lr
    return not handed_on or not (any(s.momentum for s in children)
                                 or any(s.name == "MultiplicativeLR" for s in handed_on))


def _closed(spec: Spec, t: np.ndarray, base: float, params: dict) -> dict[str, np.ndarray]:
    if spec.name == "SequentialLR":
        starts = [0, *params["milestones"]]
        pieces = [_closed(s, t[(t >= a) & (t < b)] - a, base, p)
                  for (s, p), a, b in zip(params["schedulers"], starts, starts[1:] + [np.inf])]
        return _join(pieces)
    if spec.name == "ChainedScheduler":
        factor = np.ones_like(t)
        for s, p in params["schedulers"]:
            factor *= _closed(s, t, base, p)["lr"] / base
        return {"lr": base * factor}
    return spec.closed_form(t, base, params)


def _join(pieces: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    out = {"lr": np.concatenate([p["lr"] for p in pieces])}
    if all("momentum" in p for p in pieces):
        out["momentum"] = np.concatenate([p["momentum"] for p in pieces])
    return out

