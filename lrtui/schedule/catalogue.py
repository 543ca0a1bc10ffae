"""The catalogue as one lookup, and what turns a user's choice into a checked, runnable schedule.

`validate` checks a scheduler name and its parameters (recursively for composites) into a
`Schedule`; `resolve` fills in what depends on the run length ("auto"); `build` makes the real torch
objects on an optimizer and returns a `Stepper` that steps them the way the schedule says.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lrtui.schedule.expr import parse
from lrtui.schedule.params import AUTO, ConfigError, Param, at_least, check_all
from lrtui.schedule.recipes import RECIPE_SPECS
from lrtui.schedule.specs import TORCH_SPECS, Spec

CATALOGUE: dict[str, Spec] = {s.name: s for s in TORCH_SPECS + RECIPE_SPECS}
# a run's own settings beside its scheduler's parameters: validate checks them, the form and the CLI show them
INTERVAL = Param("interval", "choice", "epoch", "step the scheduler every epoch or every batch",
                 choices=("epoch", "step"))
WARMUP = Param("warmup", "int", 0, "linear warmup over the first N scheduler steps", (at_least(0),))
INTERVALS = INTERVAL.choices


@dataclass(frozen=True)
class Schedule:
    """A checked scheduler choice. `params` are plain data (TOML/JSON-able): "auto" stays "auto"."""

    name: str
    params: dict = field(default_factory=dict)
    interval: str = "epoch"   # what one scheduler step is: an epoch or a batch
    warmup: int = 0           # generic linear warmup, in scheduler steps

    @property
    def spec(self) -> Spec:
        return CATALOGUE[self.name]

    def length(self, epochs: int, steps_per_epoch: int) -> int:
        """Scheduler steps in a run: its epochs, or its batches when the schedule steps per batch."""
        return epochs * steps_per_epoch if self.interval == "step" else epochs

    def to_table(self) -> dict:
        """The preset form: {name, interval, warmup, params}, defaults left out."""
        table: dict[str, Any] = {"name": self.name}
        if self.interval != self.spec.unit:
            table["interval"] = self.interval
        if self.warmup:
            table["warmup"] = self.warmup
        table["params"] = {p.name: self.params[p.name] for p in self.spec.params
                           if p.required or self.params[p.name] != p.default}
        if self.spec.kind == "composite":  # children as a preset writes them: defaults left out too
            table["params"]["schedulers"] = [
                {"name": c["name"], "params": Schedule(c["name"], c["params"]).to_table()["params"]}
                for c in self.params["schedulers"]]
        return table


def lookup(name: str) -> Spec:
    if not isinstance(name, str):
        raise ConfigError("name", f"needs a scheduler's name (a string), got {name!r}")
    if name not in CATALOGUE:
        close = [n for n in CATALOGUE if n.lower() == str(name).lower()]
        hint = f"did you mean {close[0]}?" if close else "`lrtui list schedulers` and `lrtui list presets` show them"
        raise ConfigError("name", f"unknown scheduler {name!r} ({hint})")
    return CATALOGUE[name]


def starter(name: str) -> Schedule:
    """A scheduler with its defaults and, for what it requires, the declared examples."""
    spec = lookup(name)
    return validate(name, {p.name: p.example for p in spec.params if p.required})


def validate(name: str, params: dict | None = None, *, interval: str | None = None, warmup: int = 0) -> Schedule:
    """A checked Schedule, or ConfigError with the key of the first bad value."""
    spec = lookup(name)
    if not isinstance(params, (dict, type(None))):
        raise ConfigError("params", f"needs a table of {name}'s parameters, got {params!r}")
    params = dict(params or {})
    if warmup and spec.has("warmup"):  # a recipe's own warmup
        if "warmup" in params and params["warmup"] != warmup:
            raise ConfigError("warmup", f"{name} got two warmups, {warmup} and {params['warmup']}: give one")
        params["warmup"], warmup = warmup, 0
    clean = check_all(spec.params, params, spec.name)
    _check(spec, clean)
    interval = spec.unit if interval is None else interval
    if interval not in INTERVALS:
        raise ConfigError("interval", f"{spec.name} needs interval {' or '.join(map(repr, INTERVALS))}, got "
                          f"{interval!r}")
    if spec.needs_metric and interval != "epoch":
        raise ConfigError("interval", f"{spec.name} is stepped with the validation loss once per epoch: needs "
                          f"interval 'epoch', got {interval!r}")
    warmup = WARMUP.check(warmup, spec.name)
    if warmup and spec.no_warmup:
        raise ConfigError("warmup", f"{spec.name} takes no warmup ({spec.no_warmup}), got {warmup}")
    if spec.has("lr_lambda"):
        try:
            parse(clean["lr_lambda"], ("epoch",), "lr_lambda")
        except ConfigError as e:
            raise ConfigError(e.key, f"{spec.name} lr_lambda {e.problem}") from None
    if spec.kind == "composite":
        clean["schedulers"] = _children(spec, clean)
    return Schedule(spec.name, clean, interval, warmup)


def _children(spec: Spec, clean: dict) -> list[dict]:
    children = []
    for i, table in enumerate(clean["schedulers"]):
        unknown = sorted(set(table) - {"name", "params"})
        if unknown:
            raise ConfigError(f"schedulers[{i}].{unknown[0]}", "a child scheduler has only name and params")
        try:
            refusal = _refused_child(spec, lookup(table.get("name", "")), len(clean["schedulers"]))
            if refusal:  # before the child's own parameters: a composite is refused, never walked
                raise ConfigError("", refusal)
            child = validate(table.get("name", ""), table.get("params"))
        except ConfigError as e:
            raise e.under(f"schedulers[{i}]" + ("" if e.key in ("", "name", "params") else ".params")) from None
        children.append({"name": child.name, "params": child.params})
    if spec.name == "SequentialLR" and len(clean["milestones"]) != len(children) - 1:
        raise ConfigError("milestones", f"{spec.name} needs one milestone fewer than schedulers, got "
                          f"{len(clean['milestones'])} for {len(children)}")
    return children


def _refused_child(parent: Spec, child: Spec, siblings: int) -> str | None:
    if child.needs_metric:
        return f"{parent.name} cannot hold {child.name} (it needs a metric)"
    if child.kind == "composite":
        return f"{parent.name} cannot hold {child.name}: nest them the other way or flatten them"
    if parent.name == "ChainedScheduler" and not child.chainable and siblings > 1:
        return (f"{parent.name} cannot hold {child.name} beside other schedulers: it sets the lr outright "
                "and would erase their factors; use SequentialLR to run them one after another")
    return None


def resolve(schedule: Schedule, length: int) -> dict:
    """Parameters ready to build for a run of `length` scheduler steps: "auto" becomes the length of
    the phase after warmup; children of SequentialLR get the length of their own segment."""
    if schedule.warmup >= length:
        raise ConfigError("warmup", f"{schedule.name} needs a warmup shorter than the run, got {schedule.warmup} "
                          f"for a run of {length} {schedule.interval}s")
    return _resolve(schedule.spec, schedule.params, length - schedule.warmup)


def _resolve(spec: Spec, params: dict, length: int) -> dict:
    out = {k: (length if v == AUTO else v) for k, v in params.items()}
    if spec.has("lr_lambda"):
        out["lr_lambda"] = parse(out["lr_lambda"], ("epoch",), "lr_lambda")
    if spec.kind == "composite":
        n = len(out["schedulers"])
        starts = [0, *out["milestones"]] if spec.name == "SequentialLR" else [0] * n
        ends = starts[1:] + [length] if spec.name == "SequentialLR" else [length] * n
        out["schedulers"] = [(CATALOGUE[c["name"]], _resolve(CATALOGUE[c["name"]], c["params"], max(1, e - s)))
                             for c, s, e in zip(out["schedulers"], starts, ends)]
    _check(spec, out)
    if spec.has("warmup") and out["warmup"] >= length:  # a recipe's own warmup, as resolve() checks the generic one
        raise ConfigError("warmup", f"{spec.name} needs a warmup shorter than the run, got {out['warmup']} for a "
                          f"run of {length} steps")
    if spec.has("total_steps") and out["total_steps"] < length:  # torch raises "Tried to step N times"
        raise ConfigError("total_steps", f"{spec.name} can be stepped total_steps times, got total_steps "
                          f"{out['total_steps']} for a run of {length} steps")
    return out


def _check(spec: Spec, params: dict) -> None:
    """The rules across parameters, their messages ("needs a <= b, got ...") naming the scheduler."""
    for check in spec.checks:
        try:
            check(params)
        except ConfigError as e:
            raise ConfigError(e.key, f"{spec.name} {e.problem}") from None


def notes(schedule: Schedule) -> list[str]:
    """What the schedule does that torch takes, has a use, and may surprise (StepLR's gamma above 1
    raises the lr), each `Name: what`; a composite's children's too."""
    def said(spec: Spec, params: dict) -> list[str]:
        own = [f"{spec.name}: {text}" for note in spec.notes if (text := note(params))]
        children = params.get("schedulers", []) if spec.kind == "composite" else []
        return own + [n for c in children for n in said(CATALOGUE[c["name"]], c["params"])]

    return said(schedule.spec, schedule.params)


def moves_momentum(spec: Spec, params: dict) -> bool:
    """Whether the schedule also drives momentum (or Adam's beta1)."""
    if spec.kind == "composite":
        return any(moves_momentum(CATALOGUE[c["name"]], c["params"]) for c in params["schedulers"])
    return spec.momentum and params["cycle_momentum"]


class Stepper:
    """The torch scheduler(s) of one schedule, stepped as it says: `step(metric)` after each of its
    intervals. ReduceLROnPlateau after a warmup is the one case torch has no object for (SequentialLR
    cannot hold it): LinearLR steps through the warmup, then the plateau scheduler takes over."""

    def __init__(self, scheduler: Any, needs_metric: bool, warmup: Any = None, warmup_steps: int = 0):
        self.scheduler, self.needs_metric = scheduler, needs_metric
        self.warmup, self.warmup_steps, self.count = warmup, warmup_steps, 0

    def step(self, metric: float | None = None) -> None:
        self.count += 1
        if self.warmup is not None and self.count <= self.warmup_steps:
            self.warmup.step()
        elif self.needs_metric:
            self.scheduler.step(metric)
        else:
            self.scheduler.step()


def build(schedule: Schedule, optimizer: Any, length: int) -> Stepper:
    """The real torch scheduler(s) for `schedule` on `optimizer`, for a run of `length` steps."""
    from torch.optim.lr_scheduler import LinearLR, SequentialLR

    spec, params, n = schedule.spec, resolve(schedule, length), schedule.warmup
    warmup = LinearLR(optimizer, start_factor=1 / (n + 1), end_factor=1.0, total_iters=n) if n else None
    if spec.needs_metric:
        return Stepper(_build(spec, optimizer, params), True, warmup, n)
    if not n:
        return Stepper(_build(spec, optimizer, params), False)
    after = ([_build(s, optimizer, p) for s, p in params["schedulers"]] if spec.name == "SequentialLR"
             else [_build(spec, optimizer, params)])
    return Stepper(SequentialLR(optimizer, [warmup, *after], warmup_milestones(spec, params, n)), False)


def warmup_milestones(spec: Spec, params: dict, n: int) -> list[int]:
    """The milestones of the one SequentialLR that runs a warmup of n steps, then the schedule. A
    SequentialLR's children are flattened into it, their milestones shifted by n: torch's nested
    SequentialLR is off by one, and its constructor refuses a SequentialLR child outright."""
    return [n, *(m + n for m in params["milestones"])] if spec.name == "SequentialLR" else [n]


def _build(spec: Spec, optimizer: Any, params: dict) -> Any:
    from torch.optim import lr_scheduler

    if spec.name == "SequentialLR":
        children = [_build(s, optimizer, p) for s, p in params["schedulers"]]
        return lr_scheduler.SequentialLR(optimizer, children, params["milestones"])
    if spec.name == "ChainedScheduler":
        return lr_scheduler.ChainedScheduler([_build(s, optimizer, p) for s, p in params["schedulers"]], optimizer)
    if "lr_lambda" in params:
        f = params["lr_lambda"]
        params = {**params, "lr_lambda": lambda epoch: f.scalar(epoch=epoch)}
    return spec.build(optimizer, params)
