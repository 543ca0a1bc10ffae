"""Presets: TOML files of shared training and optimizer settings and one or more runs.

Loading checks everything through the catalogue and refuses a bad file with `file: key: problem`.
A preset is data: nothing in it is ever executed (a user task file is named on the command line only).
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import tomli_w

from lrtui.paths import SHIPPED_PRESETS, user_presets_dir
from lrtui.plan import search_space
from lrtui.plan.search_space import Space
from lrtui.schedule.catalogue import Schedule, validate
from lrtui.schedule.optimizers import OptimizerConfig, validate_optimizer
from lrtui.schedule.params import AUTO, ConfigError, Param, Rule, at_least, check_all, one_line, parse_value
from lrtui.tasks import known_batches

MAX_DEVICE_INDEX = 127  # torch keeps a device index in an int8: cuda:128 would be cuda:-128
DEVICE = Rule(f"auto, cpu, cuda, cuda:N (N from 0 to {MAX_DEVICE_INDEX}) or mps",
              lambda v: re.fullmatch(r"auto|cpu|mps|cuda(:(0|[1-9]\d{0,2}))?", v) is not None
              and int(v.partition(":")[2] or 0) <= MAX_DEVICE_INDEX)
SEED = Rule("< 2**32 (numpy's limit)", lambda v: v < 2**32)
MAX_SEEDS = 1000
SEEDS = Rule(f"from 1 to {MAX_SEEDS} (counted from seed), or a list of distinct seeds from 0 to 2**32 - 1",
             lambda v: 1 <= v <= MAX_SEEDS if isinstance(v, int) else
             0 < len(v) == len(set(v)) <= MAX_SEEDS and all(0 <= s < 2**32 for s in v))
MAX_BATCH = 64
BATCH_RUNS = Rule(f"off or a number of runs from 1 to {MAX_BATCH}",
                  lambda v: v == "off" if isinstance(v, str) else 1 <= v <= MAX_BATCH)
TRAINING = (
    Param("task", "str", "spirals", "what to train: a built-in task name",
          (Rule("a built-in task (a preset never names code: give --task file.py:build instead)",
                lambda v: ".py" not in v),)),
    Param("epochs", "int", 100, "epochs per run", (at_least(1),)),
    Param("batch_size", "int", 128, "samples per batch", (at_least(1),)),
    Param("seed", "int", 0, "seed shared by every run: same initial weights, same batch order", (at_least(0), SEED)),
    Param("seeds", "seeds", 1, "seeds per run: N (seed, seed+1, ...) or a list; every run is trained on each, "
          "a seed giving every run the same initial weights, batch order and augmentation", (SEEDS,)),
    Param("device", "str", "auto", "where to train", (DEVICE,)),
    Param("batch_runs", "batch", AUTO, "compatible runs (same task, optimizer class, epochs, batch size) trained "
          "together as one vectorised model: at most this many, auto as many as the device's memory holds, "
          "off one by one", (BATCH_RUNS,), auto=True),
    Param("steps_per_epoch", "int", None, "batches per epoch for previews of per-step schedules (default: the "
          "built-in task's, else 100; training counts the real ones)", (at_least(1),)),
)
# the training settings as the command line and the app give them: their task may be a file, a preset's not
GIVEN_TRAINING = tuple(replace(p, rules=()) if p.name == "task" else p for p in TRAINING)
DEFAULT_STEPS_PER_EPOCH = 100
MAX_NESTING = 10  # arrays and tables within one another, counted from a preset's top or a --set value
TOO_DEEP = f"nests arrays and tables more than {MAX_NESTING} deep"
TOP_KEYS = ("name", "description", "training", "optimizer", "runs", "sweep")
RUN_KEYS = ("label", "scheduler", "optimizer", "warmup")


@dataclass(frozen=True)
class Run:
    label: str
    schedule: Schedule
    optimizer: OptimizerConfig
    point: dict | None = None  # a sweep's point it is ({path: value}), kept in its runs' configs


@dataclass(frozen=True)
class Preset:
    name: str
    description: str = ""
    training: dict = field(default_factory=lambda: {p.name: p.default for p in TRAINING})
    optimizer: OptimizerConfig = field(default_factory=lambda: validate_optimizer({}))
    runs: tuple[Run, ...] = ()
    path: Path | None = None
    sweep: Space | None = None  # its runs at each point of this search space (lrtui.plan.search_space)

    @property
    def steps_per_epoch(self) -> int:
        """Batches per epoch as previews assume them: as set, else the built-in task's, else 100."""
        t = self.training
        return t["steps_per_epoch"] or known_batches(t["task"], t["batch_size"]) or DEFAULT_STEPS_PER_EPOCH

    def length(self, run: Run) -> int:
        """Scheduler steps in `run`: epochs, or epochs x batches when it steps per batch."""
        return run.schedule.length(self.training["epochs"], self.steps_per_epoch)


def seed_list(training: dict) -> list[int]:
    """The seeds a comparison trains every run on: `seeds` of them from `seed` on, or the list given."""
    seeds = training["seeds"]
    if isinstance(seeds, list):
        return seeds
    if training["seed"] + seeds > 2**32:
        raise ConfigError("seeds", f"{seeds} seeds from seed {training['seed']} pass 2**32 - 1 (numpy's limit)")
    return list(range(training["seed"], training["seed"] + seeds))


def training_settings(base: dict, **overrides: Any) -> dict:
    """`base` (a preset's training settings, or the form's) with the command line's or the app's
    `overrides` (None: not given), checked by TRAINING's rules; ConfigError names the bad setting. The task
    may be a file (file.py:build): tasks.find checks it where the task is built."""
    return check_all(GIVEN_TRAINING, {**base, **{k: v for k, v in overrides.items() if v is not None}}, "training")


def parse(data: dict) -> Preset:
    """A checked Preset from a TOML table; ConfigError's key is the dotted path of the bad value."""
    _no_unknown(data, TOP_KEYS, "")
    training = _under("training", lambda: check_all(TRAINING, _table(data.get("training", {})), "training"))
    base_opt = _under("optimizer", lambda: _table(data.get("optimizer", {})))
    optimizer = _under("optimizer", lambda: validate_optimizer(base_opt))
    runs = data.get("runs")
    if not isinstance(runs, list) or not runs or not all(isinstance(r, dict) for r in runs):
        raise ConfigError("runs", "needs at least one [[runs]] table")
    runs = tuple(_under(f"runs[{i}]", lambda r=r: _run(r, base_opt)) for i, r in enumerate(runs))
    sweep = None
    if "sweep" in data:  # its points checked now (all of them within the limit), with the preset's seed
        sweep = _under("sweep", lambda: search_space.space(_table(data["sweep"])))
        _under("sweep", lambda: search_space.check(runs, sweep, training["seed"], sweep.size * len(runs) <= search_space.MAX_POINTS))
    return Preset(_text(data, "name"), _text(data, "description"), training, optimizer, runs, sweep=sweep)


def _text(table: dict, key: str) -> str:
    value = table.get(key, "")
    if not isinstance(value, str):
        raise ConfigError(key, f"needs a string, got {value!r}")
    return value


def _run(table: dict, base_opt: dict) -> Run:
    _no_unknown(table, RUN_KEYS, "")
    sched = table.get("scheduler")
    if not isinstance(sched, dict):
        raise ConfigError("scheduler", "needs a table: { name = ..., params = { ... } }")
    _no_unknown(sched, ("name", "params", "interval"), "scheduler.")
    _under("scheduler.params", lambda: _table(sched.get("params", {})))
    schedule = _schedule(sched, table)
    own = _under("optimizer", lambda: _table(table.get("optimizer", {})))
    same_family = own.get("name", base_opt.get("name", "SGD")) == base_opt.get("name", "SGD")
    optimizer = _under("optimizer", lambda: validate_optimizer({**base_opt, **own} if same_family else own))
    return Run(_text(table, "label") or schedule.name, schedule, optimizer)


def _schedule(sched: dict, run: dict) -> Schedule:
    try:
        return validate(sched.get("name", ""), sched.get("params", {}), interval=sched.get("interval"),
                        warmup=run.get("warmup", 0))
    except ConfigError as e:  # where the bad key lives in the run's table
        where = {"name": "scheduler", "interval": "scheduler"}.get(e.key, "scheduler.params")
        if e.key == "warmup" and "warmup" in run:
            where = ""  # the run's own warmup (a recipe's warmup parameter when given there)
        raise (e.under(where) if where else e) from None


def _under(prefix: str, make: Any) -> Any:
    try:
        return make()
    except ConfigError as e:
        raise e.under(prefix) from None


def _table(value: Any) -> dict:
    if not isinstance(value, dict):
        raise ConfigError("", f"needs a table, got {value!r}")
    return value


def _no_unknown(table: dict, known: tuple[str, ...], prefix: str) -> None:
    for key in table:
        if key not in known:
            raise ConfigError(f"{prefix}{key}", f"unknown key (expected one of: {', '.join(known)})")


def check_nesting(value: Any, key: str) -> None:
    """ConfigError(key, TOO_DEEP) past MAX_NESTING levels, found without recursion (whatever the depth)."""
    todo = [(value, 1)]
    while todo:
        value, depth = todo.pop()
        if isinstance(value, (list, dict)):
            if depth > MAX_NESTING:
                raise ConfigError(key, TOO_DEEP)
            todo += [(v, depth + 1) for v in (value.values() if isinstance(value, dict) else value)]


def parse_sets(items: list[str]) -> dict:
    """The command line's --set KEY=VALUE items as {key: value}, each VALUE read as TOML."""
    sets = {}
    for item in items:
        key, eq, text = (part.strip() for part in one_line(item, "--set").partition("="))
        if not eq or not key:
            raise ConfigError("--set", f"needs KEY=VALUE, got {item!r}")
        try:
            sets[key] = parse_value(text)
        except RecursionError:  # tomllib recurses once per level
            raise ConfigError(f"--set {key}", TOO_DEEP) from None
        check_nesting(sets[key], f"--set {key}")
    return sets


def override_optimizer(optimizer: OptimizerConfig, name: str | None = None, lr: float | None = None) -> OptimizerConfig:
    """`optimizer` with the command line's --optimizer (another family, with its defaults and this lr)
    and --lr."""
    table = {"name": name, "lr": optimizer.lr} if name else optimizer.to_table()
    return validate_optimizer({**table, **({} if lr is None else {"lr": lr})})


def override(preset: Preset, sets: dict, *, lr: float | None = None, optimizer: str | None = None,
             interval: str | None = None, warmup: int | None = None) -> Preset:
    """`preset` with the command line's overrides: each --set reaches every run whose scheduler has the
    parameter (ConfigError for one that no run has), the optimizer, lr, interval and warmup every run."""
    runs = []
    for run in preset.runs:
        mine = {k: v for k, v in sets.items() if run.schedule.spec.has(k)}
        schedule = validate(run.schedule.name, {**run.schedule.params, **mine},
                            interval=interval or run.schedule.interval,
                            warmup=run.schedule.warmup if warmup is None else warmup)
        runs.append(replace(run, schedule=schedule, optimizer=override_optimizer(run.optimizer, optimizer, lr)))
    unused = set(sets) - {k for run in runs for k in sets if run.schedule.spec.has(k)}
    if unused:
        raise ConfigError("--set", f"no run of {preset.name} has a parameter {sorted(unused)[0]!r}")
    return replace(preset, runs=tuple(runs))


def load(path: Path) -> Preset:
    """The preset in `path`, or ConfigError("<path>: <key>", problem)."""
    if path.exists() and not path.is_file():  # a FIFO would block for ever, a device might never end
        raise ConfigError(str(path), "not a regular file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        check_nesting(data, "")
        return replace(parse(data), name=data.get("name") or path.stem, path=path)
    except RecursionError:  # tomllib recurses once per level: a few hundred levels are too many for it
        raise ConfigError(str(path), TOO_DEEP) from None
    except OSError as e:
        raise ConfigError(str(path), f"cannot read: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise ConfigError(str(path), f"not a text file (UTF-8): byte {e.start} is {e.object[e.start]:#04x}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(str(path), f"not valid TOML: {e}") from None
    except ConfigError as e:
        raise ConfigError(f"{path}: {e.key}" if e.key else str(path), e.problem) from None


def available() -> dict[str, Path]:
    """Every preset by name: shipped ones, then the user's (a user preset shadows a shipped one)."""
    found: dict[str, Path] = {}
    for folder in (SHIPPED_PRESETS, user_presets_dir()):
        for path in sorted(folder.glob("*.toml")) if folder.is_dir() else ():
            found[path.stem] = path
    return found


def find(name_or_path: str) -> Preset:
    """A preset by name (shipped or user) or by path to a .toml file."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or "/" in name_or_path:
        return load(path)
    presets = available()
    if name_or_path not in presets:
        raise ConfigError("preset", f"no preset named {name_or_path!r} (`lrtui list presets` shows them)")
    return load(presets[name_or_path])


def to_toml(preset: Preset) -> str:
    """The preset as TOML that `parse` reads back to an equal preset."""
    data: dict[str, Any] = {"name": preset.name, "description": preset.description,
                            "training": {k: v for k, v in preset.training.items() if v is not None},
                            "optimizer": preset.optimizer.to_table()}
    data["runs"] = []
    for run in preset.runs:
        table = run.schedule.to_table()
        entry: dict[str, Any] = {"label": run.label,
                                 "scheduler": {k: v for k, v in table.items() if k != "warmup"}}
        if run.schedule.warmup:
            entry["warmup"] = run.schedule.warmup
        if run.optimizer != preset.optimizer:
            entry["optimizer"] = run.optimizer.to_table()
        data["runs"].append(entry)
    if preset.sweep:
        data["sweep"] = preset.sweep.to_table()
    return tomli_w.dumps(data)


NAME = Rule("a file's name: not empty, not starting with '.', without /, \\ or NUL",
            lambda v: v != "" and not v.startswith(".") and not {"/", "\\", "\0"} & set(v))


def check_name(name: str) -> str:
    """`name` if a user preset can be saved under it (`..` would write a hidden `...toml`), else ConfigError."""
    if not NAME.ok(name):
        raise ConfigError("name", f"a preset's name needs to be {NAME.text}, got {name!r}")
    return name


def save(preset: Preset, path: Path | None = None) -> Path:
    """Write `preset` as a user preset (or to `path`) and return where it went."""
    path = path or user_presets_dir() / f"{check_name(preset.name)}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_toml(preset), encoding="utf-8")
    return path
