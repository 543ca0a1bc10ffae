"""The scheduler catalogue: every torch.optim.lr_scheduler class and the named recipes, declared once.

A `Spec` holds a scheduler's parameters (`Param`), its natural stepping unit, the text a user reads,
the rules torch does not check, its closed form (the fast preview) and how to build the real torch
object. Validation, the CLI, presets, the code snippet and the form all read these declarations.
Torch is imported only inside `build`, so the catalogue loads instantly.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from lrtui.lazy import np
from lrtui.schedule.params import (
    AUTO,
    NOT_EMPTY,
    REQUIRED,
    SORTED,
    SORTED_DISTINCT,
    ConfigError,
    Param,
    above,
    at_least,
    between,
)

Curves = dict[str, "np.ndarray"]  # "lr" and, where a scheduler moves it, "momentum"


@dataclass(frozen=True)
class Spec:
    name: str
    summary: str                    # one line, for lists
    description: str                # a paragraph, for the UI and `lrtui list schedulers -v`
    params: tuple[Param, ...]
    unit: str                       # the natural stepping unit: "epoch" or "step"
    build: Callable[..., Any]       # build(optimizer, resolved params) -> torch scheduler
    closed_form: Callable[[np.ndarray, float, dict], Curves] | None = None  # (t, base lr, params)
    checks: tuple[Callable[[dict], None], ...] = ()  # rules across parameters, raise ConfigError
    notes: tuple[Callable[[dict], str | None], ...] = ()  # what torch takes, has a use and surprises: said
    chainable: bool = True          # multiplies the current lr (False: sets it outright)
    no_warmup: str = ""             # why the generic linear warmup is refused, if it is
    momentum: bool = False          # also cycles momentum (SGD, RMSprop) or beta1 (Adam, AdamW)
    needs_metric: bool = False      # step(metric), once per epoch
    recipe: tuple[str, ...] = ()    # a named recipe's formula lines (a LambdaLR over them)
    kind: str = "torch"             # "torch", "recipe" or "composite"

    def has(self, name: str) -> bool:
        return any(p.name == name for p in self.params)


def _lr(fn: Callable[[np.ndarray, float, dict], np.ndarray]) -> Callable[..., Curves]:
    """A closed form that gives the lr only."""
    return lambda t, b, p: {"lr": fn(t, b, p)}


def _torch(cls: str, **renamed: str) -> Callable[..., Any]:
    """build() for a torch class whose constructor takes the declared parameters by name."""
    def build(optimizer: Any, p: dict) -> Any:
        from torch.optim import lr_scheduler
        return getattr(lr_scheduler, cls)(optimizer, **{renamed.get(k, k): v for k, v in p.items()})
    return build


def _cosine(t: np.ndarray, T: np.ndarray, b: float, eta_min: float) -> np.ndarray:
    return eta_min + (b - eta_min) * (1 + np.cos(np.pi * t / T)) / 2


def _restart_position(t: np.ndarray, T_0: int, T_mult: int) -> tuple[np.ndarray, np.ndarray]:
    """(steps since the last restart, length of the current cycle), counted in integers as torch does."""
    if T_mult == 1:
        return t % T_0, np.full_like(t, T_0)
    starts, length = [0], T_0
    while starts[-1] <= t.max(initial=0):
        starts.append(starts[-1] + length)
        length *= T_mult
    cycle = np.searchsorted(np.array(starts, dtype=np.float64), t, side="right") - 1
    return t - np.array(starts, dtype=np.float64)[cycle], T_0 * np.float64(T_mult) ** cycle


def _cyclic(t: np.ndarray, b: float, p: dict) -> Curves:
    up, down = p["step_size_up"], p["step_size_down"] or p["step_size_up"]
    total, ratio = up + down, up / (up + down)
    cycle = np.floor(1 + t / total)
    x = 1.0 + t / total - cycle
    height = np.where(x <= ratio, x / ratio, (x - 1) / (ratio - 1))
    scale = {"triangular": np.ones_like(t), "triangular2": 1 / 2.0 ** (cycle - 1),
             "exp_range": p["gamma"] ** t}[p["mode"]]
    curves = {"lr": p["base_lr"] + (p["max_lr"] - p["base_lr"]) * height * scale}
    if p["cycle_momentum"]:
        curves["momentum"] = p["max_momentum"] - (p["max_momentum"] - p["base_momentum"]) * height * scale
    return curves


def _one_cycle(t: np.ndarray, b: float, p: dict) -> Curves:
    T, pct, top = p["total_steps"], p["pct_start"], p["max_lr"]
    start = top / p["div_factor"]
    low = start / p["final_div_factor"]
    hi_m, lo_m = p["max_momentum"], p["base_momentum"]
    if p["three_phase"]:
        phases = [(pct * T - 1, start, top, hi_m, lo_m), (2 * pct * T - 2, top, start, lo_m, hi_m),
                  (T - 1, start, low, hi_m, hi_m)]
    else:
        phases = [(pct * T - 1, start, top, hi_m, lo_m), (T - 1, top, low, lo_m, hi_m)]
    if p["anneal_strategy"] == "cos":
        anneal = lambda a, z, f: z + (a - z) / 2 * (1 + np.cos(np.pi * f))  # noqa: E731
    else:
        anneal = lambda a, z, f: (z - a) * f + a  # noqa: E731
    lr, mom = np.empty_like(t), np.empty_like(t)
    begin, todo = 0.0, np.ones_like(t, dtype=bool)
    for i, (end, a, z, ma, mz) in enumerate(phases):
        here = todo & ((t <= end) | (i == len(phases) - 1))
        frac = (t[here] - begin) / (end - begin)
        lr[here], mom[here] = anneal(a, z, frac), anneal(ma, mz, frac)
        todo &= ~here
        begin = end
    return {"lr": lr, "momentum": mom} if p["cycle_momentum"] else {"lr": lr}


def _multiplicative(t: np.ndarray, b: float, p: dict) -> np.ndarray:
    factors = p["lr_lambda"].array(epoch=t)
    factors[t == 0] = 1.0  # the first factor applies at step 1
    return b * np.cumprod(factors)


def _check_order(lo: str, hi: str, strict: bool = False) -> Callable[[dict], None]:
    def check(p: dict) -> None:
        if p[lo] > p[hi] or (strict and p[lo] == p[hi]):
            raise ConfigError(lo, f"needs {lo} {'<' if strict else '<='} {hi}, got {p[lo]:g} and {p[hi]:g}")
    return check


def _note_rising(p: dict) -> str | None:
    gamma = p["gamma"]
    return f"gamma {gamma:g} > 1 raises the lr at every decay (a warmup by stairs)" if gamma > 1 else None


def _note_milestones(p: dict) -> str | None:
    milestones = p["milestones"]
    repeated = sorted({m for m in milestones if milestones.count(m) > 1})
    said = ["a milestone at 0 multiplies the lr by gamma before the first step"] if 0 in milestones else []
    said += [f"milestone {m} is given {milestones.count(m)} times: the lr is multiplied by gamma ** "
             f"{milestones.count(m)} there" for m in repeated]
    return "; ".join(said) or None


def _note_inverted(p: dict) -> str | None:
    return (f"base_lr {p['base_lr']:g} > max_lr {p['max_lr']:g}: each cycle dips from base_lr down to max_lr and "
            "back (the triangles upside down)") if p["base_lr"] > p["max_lr"] else None


def _check_one_cycle(p: dict) -> None:
    """Every phase longer than nothing, with torch's own boundaries: the first ends at step
    pct_start * T - 1, with three_phase the second at 2 pct_start * T - 2, the last at T - 1."""
    pct, T = p["pct_start"], p["total_steps"]
    if T == AUTO:
        return  # checked again once the run length is known
    if pct * T <= 1:
        raise ConfigError("pct_start", f"needs pct_start * total_steps > 1 (the warm-up needs two steps), "
                          f"got {pct:g} * {T}")
    if p["three_phase"] and float(2 * pct * T) - 2 >= T - 1:
        raise ConfigError("pct_start", f"needs 2 * pct_start * total_steps - 2 < total_steps - 1 with three_phase "
                          f"(else its last phase is empty or overlapped), got {pct:g} and {T}")


def _int(name: str, default: Any, help: str, lo: int = 1, auto: bool = False, example: Any = None) -> Param:
    return Param(name, "int", default, help, (at_least(lo),), auto=auto, example=example)


def _float(name: str, default: Any, help: str, *rules: Any) -> Param:
    return Param(name, "float", default, help, tuple(rules))


FRACTION = between(0, 1)
OWN_WARMUP = "it has its own warm-up phase"
LR_LAMBDA = Param("lr_lambda", "expr", REQUIRED, "an expression of epoch (the scheduler's step count), "
                  "e.g. 0.95 ** epoch", example="0.95 ** epoch")
MOMENTUM = (
    Param("cycle_momentum", "bool", True, "cycle momentum (SGD, RMSprop) or beta1 (Adam) against the lr"),
    _float("base_momentum", 0.85, "momentum at the lr's peak", FRACTION),
    _float("max_momentum", 0.95, "momentum where the lr is lowest", FRACTION),
)

TORCH_SPECS = (
    Spec("StepLR", "multiply the lr by gamma every step_size steps",
         "Decays the lr by gamma every step_size steps (usually epochs): the classic staircase. "
         "lr = base * gamma ** (t // step_size).",
         (_int("step_size", REQUIRED, "steps between two decays", example=30),
          _float("gamma", 0.1, "factor applied at each decay (above 1 it raises the lr)", above(0))),
         "epoch", _torch("StepLR"),
         _lr(lambda t, b, p: b * p["gamma"] ** np.floor(t / p["step_size"])), notes=(_note_rising,)),
    Spec("MultiStepLR", "multiply the lr by gamma at each milestone",
         "Decays the lr by gamma at each milestone (the ResNet recipe: 0.1 at epochs 30, 60, 90). "
         "lr = base * gamma ** (number of milestones <= t). A milestone at 0 decays before the first "
         "step, one given twice decays twice there (torch counts them); unsorted milestones, which torch "
         "also takes, lrtui refuses as a slip.",
         (Param("milestones", "ints", REQUIRED, "steps at which the lr is multiplied by gamma",
                (NOT_EMPTY, SORTED), item_rules=(at_least(0),), example=[30, 80]),
          _float("gamma", 0.1, "factor applied at each milestone", between(0, 1, open_lo=True))),
         "epoch", _torch("MultiStepLR"),
         _lr(lambda t, b, p: b * p["gamma"] ** np.searchsorted(p["milestones"], t, side="right")),
         notes=(_note_milestones,)),
    Spec("ConstantLR", "hold the lr at factor x base for total_iters steps, then base",
         "Multiplies the lr by a constant factor until total_iters steps have passed, then restores "
         "it: a crude warmup. lr = base * (factor if t < total_iters else 1).",
         (_float("factor", 1 / 3, "the lr multiplier while it lasts", between(0, 1, open_lo=True)),
          _int("total_iters", 5, "steps before the lr returns to base", auto=True)),
         "epoch", _torch("ConstantLR"),
         _lr(lambda t, b, p: b * np.where(t < p["total_iters"], p["factor"], 1.0))),
    Spec("LinearLR", "move the lr factor linearly from start_factor to end_factor",
         "Scales the lr linearly from start_factor x base to end_factor x base over total_iters steps, "
         "then holds it: the usual linear warmup (or a linear decay). It cannot start at exactly 0. "
         "lr = base * (start + (end - start) * min(t, total_iters) / total_iters).",
         (_float("start_factor", 1 / 3, "lr multiplier at step 0", between(0, 1, open_lo=True)),
          _float("end_factor", 1.0, "lr multiplier from total_iters on", FRACTION),
          _int("total_iters", 5, "steps to go from start to end", auto=True)),
         "epoch", _torch("LinearLR"),
         _lr(lambda t, b, p: b * (p["start_factor"] + (p["end_factor"] - p["start_factor"])
                                  * np.minimum(t, p["total_iters"]) / p["total_iters"]))),
    Spec("ExponentialLR", "multiply the lr by gamma every step",
         "Decays the lr by gamma every step: lr = base * gamma ** t. Per epoch, gamma near 0.95; "
         "per batch, much closer to 1.",
         (Param("gamma", "float", REQUIRED, "factor applied every step", (between(0, 1, open_lo=True),), example=0.95),),
         "epoch", _torch("ExponentialLR"), _lr(lambda t, b, p: b * p["gamma"] ** t)),
    Spec("PolynomialLR", "decay the lr to 0 as a polynomial over total_iters steps",
         "Decays the lr polynomially to zero at total_iters, then holds zero. power 1 is a straight "
         "line. lr = base * (1 - min(t, total_iters) / total_iters) ** power.",
         (_int("total_iters", 5, "steps until the lr reaches 0", auto=True),
          _float("power", 1.0, "the polynomial's power", at_least(0))),
         "epoch", _torch("PolynomialLR"),
         _lr(lambda t, b, p: b * (1 - np.minimum(t, p["total_iters"]) / p["total_iters"]) ** p["power"])),
    Spec("CosineAnnealingLR", "half a cosine from base down to eta_min over T_max steps",
         "Anneals the lr along half a cosine from base to eta_min over T_max steps. It does not stop "
         "there: past T_max the cosine rises again (period 2 T_max), so T_max is usually the run length "
         "('auto'). lr = eta_min + (base - eta_min) * (1 + cos(pi t / T_max)) / 2.",
         (_int("T_max", AUTO, "steps from base down to eta_min", auto=True),
          _float("eta_min", 0.0, "the lowest lr", at_least(0))),
         "epoch", _torch("CosineAnnealingLR"),
         _lr(lambda t, b, p: _cosine(t, p["T_max"], b, p["eta_min"]))),
    Spec("CosineAnnealingWarmRestarts", "cosine cycles that restart at base (SGDR)",
         "SGDR: a cosine from base to eta_min over T_0 steps, then a restart at base; each cycle is "
         "T_mult times longer than the one before. Torch cannot decay the peaks: see the "
         "cosine_restarts_decay recipe.",
         (_int("T_0", REQUIRED, "length of the first cycle", example=10),
          _int("T_mult", 1, "each cycle is this many times longer than the last"),
          _float("eta_min", 0.0, "the lowest lr", at_least(0))),
         "epoch", _torch("CosineAnnealingWarmRestarts"),
         _lr(lambda t, b, p: _cosine(*_restart_position(t, p["T_0"], p["T_mult"]), b, p["eta_min"])),
         chainable=False),
    Spec("CyclicLR", "triangle waves between base_lr and max_lr (per batch)",
         "Cycles the lr between base_lr and max_lr in triangles of step_size_up + step_size_down "
         "batches; triangular2 halves the height every cycle, exp_range multiplies it by gamma ** t. It "
         "overwrites the optimizer's lr with base_lr and, with cycle_momentum, turns momentum on and "
         "cycles it (beta1 for Adam) the opposite way. Meant to be stepped every batch.",
         (Param("base_lr", "float", REQUIRED, "the bottom of the cycle", (above(0),), example=0.01),
          Param("max_lr", "float", REQUIRED, "the top of the cycle", (above(0),), example=0.1),
          _int("step_size_up", 2000, "steps from base_lr up to max_lr"),
          Param("step_size_down", "int", None, "steps back down (default: step_size_up)", (at_least(1),)),
          Param("mode", "choice", "triangular", "how the height changes from cycle to cycle",
                choices=("triangular", "triangular2", "exp_range")),
          _float("gamma", 1.0, "exp_range: height multiplier per step", between(0, 1, open_lo=True)),
          MOMENTUM[0], _float("base_momentum", 0.8, MOMENTUM[1].help, FRACTION),
          _float("max_momentum", 0.9, MOMENTUM[2].help, FRACTION)),
         "step", _torch("CyclicLR"), _cyclic, (_check_order("base_momentum", "max_momentum"),),
         chainable=False, no_warmup=OWN_WARMUP, momentum=True, notes=(_note_inverted,)),
    Spec("OneCycleLR", "one warm-up to max_lr then a long anneal (per batch)",
         "Smith's 1cycle: from max_lr / div_factor up to max_lr over pct_start of the run, then down "
         "to max_lr / div_factor / final_div_factor, with momentum cycled the opposite way. It ignores "
         "the optimizer's lr and can be stepped exactly total_steps times (torch raises after), so "
         "total_steps is the run length ('auto'; it replaces torch's epochs x steps_per_epoch).",
         (Param("max_lr", "float", REQUIRED, "the peak lr", (above(0),), example=0.1),
          _int("total_steps", AUTO, "steps in the whole cycle", auto=True),
          _float("pct_start", 0.3, "fraction of the run spent rising", between(0, 1, open_lo=True, open_hi=True)),
          Param("anneal_strategy", "choice", "cos", "shape of each phase", choices=("cos", "linear")),
          *MOMENTUM,
          _float("div_factor", 25.0, "initial lr = max_lr / div_factor", above(0)),
          _float("final_div_factor", 1e4, "final lr = initial lr / final_div_factor", above(0)),
          Param("three_phase", "bool", False, "come back down to the initial lr before the final anneal")),
         "step", _torch("OneCycleLR"), _one_cycle,
         (_check_one_cycle, _check_order("base_momentum", "max_momentum")),
         chainable=False, no_warmup=OWN_WARMUP, momentum=True),
    Spec("ReduceLROnPlateau", "cut the lr when the validation loss stops improving",
         "Multiplies the lr by factor when the monitored metric (the validation loss) has not improved "
         "by threshold for patience epochs, then waits cooldown epochs. It needs a metric: training "
         "feeds it the real validation loss; a preview feeds it a synthetic curve (a loss that falls "
         "linearly from 1 to 0.2 over the first third of the E epochs, then stays flat; for mode max, 1 "
         "minus that). "
         "threshold_mode 'rel' misjudges negative metrics (pytorch #47513).",
         (Param("mode", "choice", "min", "min: lower is better (a loss); max: higher is better",
                choices=("min", "max")),
          _float("factor", 0.1, "multiply the lr by this on a plateau", between(0, 1, open_lo=True, open_hi=True)),
          _int("patience", 10, "epochs without improvement before a cut", lo=0),
          _float("threshold", 1e-4, "smallest change that counts as an improvement", at_least(0)),
          Param("threshold_mode", "choice", "rel", "rel: threshold is relative; abs: absolute",
                choices=("rel", "abs")),
          _int("cooldown", 0, "epochs to wait after a cut", lo=0),
          _float("min_lr", 0.0, "the lr never goes below this", at_least(0)),
          _float("eps", 1e-8, "cuts smaller than this are skipped", at_least(0))),
         "epoch", _torch("ReduceLROnPlateau"), chainable=False, needs_metric=True),
    Spec("LambdaLR", "lr = base x f(epoch), for any expression f",
         "Sets the lr to base x f(t) for an expression f of the step count (named epoch, as in "
         "torch), e.g. '0.95 ** epoch' or 'min(1, (epoch + 1) / 10)'. Unlike LinearLR it can start "
         "at 0.", (LR_LAMBDA,), "epoch", _torch("LambdaLR"),
         _lr(lambda t, b, p: b * p["lr_lambda"].array(epoch=t)), chainable=False),
    Spec("MultiplicativeLR", "multiply the lr by f(epoch) every step",
         "Multiplies the lr by f(t) at every step t >= 1, so lr = base x f(1) x ... x f(t). "
         "'0.95' is ExponentialLR(0.95).", (LR_LAMBDA,), "epoch", _torch("MultiplicativeLR"),
         _lr(_multiplicative)),
    Spec("SequentialLR", "run schedulers one after another, switching at milestones",
         "Runs schedulers[0] until milestones[0], then schedulers[1], and so on. Each scheduler starts "
         "again from the base lr at its milestone, and 'auto' in a child means the length of its "
         "segment. It cannot hold ReduceLROnPlateau, and lrtui refuses nested SequentialLR "
         "(torch is off by one there, pytorch #196243).",
         (Param("schedulers", "table", REQUIRED, "the child schedulers: [{name, params}, ...]", (NOT_EMPTY,),
                example=[{"name": "LinearLR", "params": {"start_factor": 0.1, "total_iters": 5}},
                         {"name": "CosineAnnealingLR", "params": {"T_max": "auto"}}]),
          Param("milestones", "ints", REQUIRED, "steps at which the next scheduler takes over",
                (SORTED_DISTINCT,), item_rules=(at_least(1),), example=[5])),
         "epoch", None, chainable=False, kind="composite"),
    Spec("ChainedScheduler", "apply several schedulers at once; their factors multiply",
         "Steps every child scheduler at every step, so their factors multiply (e.g. ExponentialLR "
         "decay with a ConstantLR warmup). A child that sets the lr outright (LambdaLR, OneCycleLR, "
         "CyclicLR, CosineAnnealingWarmRestarts) would erase the others, so lrtui refuses it.",
         (Param("schedulers", "table", REQUIRED, "the child schedulers: [{name, params}, ...]", (NOT_EMPTY,),
                example=[{"name": "ConstantLR", "params": {"factor": 0.5, "total_iters": 5}},
                         {"name": "ExponentialLR", "params": {"gamma": 0.95}}]),),
         "epoch", None, no_warmup="torch cannot restart a ChainedScheduler after a warmup; put a LinearLR "
         "in the chain instead", kind="composite"),
)
