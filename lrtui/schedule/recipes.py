"""Named recipes from other libraries, each a LambdaLR over a formula of t (the step count).

The formula is the declaration: it is shown to the user, evaluated on floats by the LambdaLR that
trains, on arrays by the fast preview, and written into the `lrtui code` snippet. `total` is the run
length ("auto") and the lr factor multiplies the optimizer's lr.
"""
from __future__ import annotations

from typing import Any

from lrtui.schedule.expr import Formula, parse_formula
from lrtui.schedule.params import AUTO, REQUIRED, ConfigError, Param, at_least, between
from lrtui.schedule.specs import Spec

DECAY_SHAPES = {"linear": "1 - s", "cosine": "0.5 * (1 + cos(pi * s))", "1-sqrt": "1 - sqrt(s)"}

WARMUP = Param("warmup", "int", 0, "steps of linear warmup from 0 to the base lr", (at_least(0),))
TOTAL = Param("total", "int", AUTO, "steps in the whole run", (at_least(1),), auto=True)
MIN_RATIO = Param("min_ratio", "float", 0.0, "the lowest lr, as a fraction of the base lr", (between(0, 1),))


def formula(spec: Spec, params: dict) -> Formula:
    """The recipe's formula with its parameters as variables; `shape` picks the WSD decay."""
    lines = tuple(line.replace("{shape}", DECAY_SHAPES.get(params.get("shape"), "")) for line in spec.recipe)
    return parse_formula(lines, ("t", *(p.name for p in spec.params if p.kind != "choice")))


def build(optimizer: Any, params: dict, spec: Spec) -> Any:
    from torch.optim.lr_scheduler import LambdaLR
    f, env = formula(spec, params), _numbers(params)
    return LambdaLR(optimizer, lambda t: f.scalar(t=t, **env))


def closed_form(t: Any, base: float, params: dict, spec: Spec) -> dict:
    return {"lr": base * formula(spec, params).array(t=t, **_numbers(params))}


def _numbers(params: dict) -> dict:
    return {k: v for k, v in params.items() if not isinstance(v, str)}


def _longer_than_warmup(p: dict) -> None:
    if p["total"] != AUTO and p["total"] <= p["warmup"]:
        raise ConfigError("warmup", f"needs warmup < total, got {p['warmup']} and {p['total']}")


def _recipe(name: str, summary: str, description: str, params: tuple[Param, ...], lines: tuple[str, ...],
            checks: tuple = ()) -> Spec:
    spec = Spec(name, summary, description, params, "step", lambda opt, p: build(opt, p, spec),
                lambda t, b, p: closed_form(t, b, p, spec), checks, chainable=False, recipe=lines, kind="recipe")
    return spec


RECIPE_SPECS = (
    _recipe("warmup_cosine", "linear warmup from 0, then cosine to min_ratio (Hugging Face)",
            "transformers' get_cosine_schedule_with_warmup with a floor: the lr rises linearly from 0 "
            "over warmup steps, then follows half a cosine down to min_ratio x base at total, and stays "
            "there (transformers' own would rise again).",
            (WARMUP, TOTAL, MIN_RATIO),
            ("s = min(1, (t - warmup) / (total - warmup))",
             "t / warmup if t < warmup else min_ratio + (1 - min_ratio) * 0.5 * (1 + cos(pi * s))"),
            (_longer_than_warmup,)),
    _recipe("wsd", "warmup, a long stable phase, then a short decay (warmup-stable-decay)",
            "Warmup-stable-decay (MiniCPM, DeepSeek): linear warmup, hold the base lr, then decay over "
            "the last decay_frac of the run to min_ratio x base, linearly, along a cosine or as 1-sqrt, "
            "and hold it after total (as transformers' get_wsd_schedule does). A run can branch off the "
            "stable phase at any point and decay.",
            (WARMUP, TOTAL, Param("decay_frac", "float", 0.2, "fraction of the run spent decaying",
                                  (between(0, 1, open_lo=True),)),
             Param("shape", "choice", "1-sqrt", "shape of the decay", choices=tuple(DECAY_SHAPES)),
             MIN_RATIO),
            ("d = decay_frac * total", "s = min(1, (t - (total - d)) / d)",
             "t / warmup if t < warmup else (1 if t < total - d else min_ratio + (1 - min_ratio) * ({shape}))"),
            (_longer_than_warmup,)),
    _recipe("inverse_sqrt", "linear warmup, then lr proportional to 1/sqrt(t) (Transformer)",
            "The original Transformer's schedule (fairseq inverse_sqrt): linear warmup from 0 over "
            "warmup steps, then base x sqrt(warmup / t). It never reaches 0.",
            (Param("warmup", "int", 4000, "steps of linear warmup; the peak is at t = warmup", (at_least(1),)),),
            ("t / warmup if t < warmup else sqrt(warmup / t)",)),
    _recipe("poly_warmup", "linear warmup, then polynomial decay to an end lr (Hugging Face)",
            "transformers' get_polynomial_decay_schedule_with_warmup: linear warmup from 0, then "
            "(1 - end_ratio) x (1 - progress) ** power + end_ratio of the base lr, where the end lr is "
            "end_ratio x base; held after total.",
            (WARMUP, TOTAL, Param("power", "float", 1.0, "the polynomial's power", (at_least(0),)),
             Param("end_ratio", "float", 1e-4, "the final lr, as a fraction of the base lr", (between(0, 1),))),
            ("s = min(1, (t - warmup) / (total - warmup))",
             "t / warmup if t < warmup else end_ratio + (1 - end_ratio) * (1 - s) ** power"),
            (_longer_than_warmup,)),
    _recipe("cosine_restarts_decay", "SGDR cosine cycles whose peaks decay (timm cycle_decay)",
            "timm's cosine scheduler with restarts: cycles of T_0, T_0 x T_mult, ... steps, each a cosine "
            "from its peak to min_ratio x base; the peak of cycle i is decay ** i x base. Torch's "
            "CosineAnnealingWarmRestarts is the case decay = 1.",
            (Param("T_0", "int", REQUIRED, "length of the first cycle", (at_least(1),), example=500),
             Param("T_mult", "int", 1, "each cycle is this many times longer than the last", (at_least(1),)),
             Param("decay", "float", 0.5, "peak multiplier from one cycle to the next", (between(0, 1, open_lo=True),)),
             MIN_RATIO),
            ("i = floor(t / T_0) if T_mult == 1 else floor(log(1 + t * (T_mult - 1) / T_0) / log(T_mult) + 1e-9)",
             "start = i * T_0 if T_mult == 1 else T_0 * (T_mult ** i - 1) / (T_mult - 1)",
             "s = (t - start) / (T_0 * T_mult ** i)",
             "min_ratio + (decay ** i - min_ratio) * 0.5 * (1 + cos(pi * s))")),
)
