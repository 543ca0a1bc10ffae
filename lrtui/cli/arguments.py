"""What the verbs share: their arguments, checked as they are parsed, and reading them (the store,
the preset a preview is about, the console)."""
from __future__ import annotations

import argparse
import os
from dataclasses import replace
from typing import Any, Callable

from lrtui.cli import judging
from lrtui.plan.presets import TRAINING
from lrtui.plan.search_space import MAX_POINTS
from lrtui.schedule.catalogue import INTERVAL, WARMUP
from lrtui.schedule.optimizers import OPTIMIZERS, validate_optimizer
from lrtui.schedule.params import ConfigError, parse_value


def training(name: str) -> Callable[[str], Any]:
    """An argparse type: the text read as a value and checked by the training setting `name`, so that
    a bad --device or --seed is refused at parse time, before torch hears of it."""
    param = next(p for p in TRAINING if p.name == name)

    def check(text: str) -> Any:
        try:
            return param.check(parse_value(text), "training")
        except ConfigError as e:
            raise argparse.ArgumentTypeError(e.problem) from None
    return check


DEVICE = {"type": training("device"), "help": "auto, cpu, cuda, cuda:N or mps"}


def selection_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("target", nargs="?", metavar="SCHEDULER|PRESET",
                   help="a scheduler or recipe (`lrtui list schedulers`), or a preset name or .toml path")
    p.add_argument("--preset", metavar="NAME|PATH", help="a preset, shipped or yours")
    override_args(p)
    p.add_argument("--epochs", type=int, help="epochs in the run")
    p.add_argument("--steps-per-epoch", type=int, metavar="S", help="batches per epoch (for per-step schedules)")
    p.add_argument("--interval", choices=INTERVAL.choices, help=INTERVAL.help)
    p.add_argument("--warmup", type=int, metavar="N", help=WARMUP.help)


def override_args(p: argparse.ArgumentParser) -> None:
    """What the command line changes in every run of a preset (presets.override)."""
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a scheduler parameter, for every run that has it; VALUE is TOML (0.1, [30, 80], \"cos\", "
                        "true) or auto")
    p.add_argument("--lr", type=float, help="the optimizer's base lr")
    p.add_argument("--optimizer", choices=list(OPTIMIZERS),
                   help="the optimizer (another one: its defaults, the run's lr)")


def training_args(p: argparse.ArgumentParser) -> None:
    """What `lrtui run` and `lrtui sweep` take beside what they train."""
    override_args(p)
    p.add_argument("--epochs", type=int, help="epochs per run (default: the preset's)")
    p.add_argument("--task", help="a built-in task, imagefolder:PATH, or path/to/file.py:build")
    p.add_argument("--device", **DEVICE)
    p.add_argument("--seed", type=training("seed"), help="the seed every run shares")
    p.add_argument("--seeds", type=training("seeds"), metavar="N|LIST",
                   help="train every run on N seeds from --seed on, or on these (0,3,7); ends with a verdict")
    judging.verdict_args(p)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--batch-runs", type=training("batch_runs"), metavar="auto|off|N",
                   help="train compatible runs together as one vectorised model: auto (as many as memory holds), "
                        "off, or at most N at a time")
    store_args(p)
    p.add_argument("--data-dir", type=judging.named("a folder"), help="where torchvision datasets are (default: <user data>/data)")
    p.add_argument("--download", action="store_true", help="fetch a torchvision dataset that is missing")
    p.add_argument("--json", action="store_true", help="print the runs as JSON on stdout")
    p.add_argument("--yes", action="store_true", help=f"train more than {MAX_POINTS:,} runs (points x seeds)")


def store_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--runs-dir", type=judging.named("a folder"),
                   help="the run store's folder (default: $LRTUI_RUNS_DIR, else the user data dir)")


def open_store(args: argparse.Namespace, write: bool = True) -> Any:
    """The run store; a command that only reads it (write=False) reads one it may not write."""
    from lrtui.paths import runs_dir
    from lrtui.runs.store import Store

    return Store.at(runs_dir(args.runs_dir), write)


def selection(args: argparse.Namespace) -> Any:
    """The Preset a preview or code command is about, with the command line's overrides applied."""
    from lrtui.plan import presets
    from lrtui.schedule.catalogue import CATALOGUE, lookup, starter, validate

    if args.preset and args.target:
        raise ConfigError("preset", "give a scheduler or a preset, not both")
    target = args.preset or args.target
    if not target:
        raise ConfigError("scheduler", "name a scheduler (`lrtui list schedulers`) or a preset (--preset NAME)")
    sets = presets.parse_sets(args.set)
    known = target in CATALOGUE or target in presets.available() or target.endswith(".toml")
    if not args.preset and not known:
        lookup(target)  # neither a scheduler nor a preset: the error names the scheduler it may have meant
    if target in CATALOGUE and not args.preset:
        name = args.optimizer or "SGD"
        lr = OPTIMIZERS[name][0].default if args.lr is None else args.lr
        optimizer = validate_optimizer({"name": name, "lr": lr})
        base = starter(target).params if getattr(args, "sweep", False) else {}  # a sweep sets what it requires
        schedule = validate(target, {**base, **sets}, interval=args.interval, warmup=args.warmup or 0)
        preset = presets.Preset(target, runs=(presets.Run(target, schedule, optimizer),))
    else:
        preset = presets.override(presets.find(target), sets, lr=args.lr, optimizer=args.optimizer,
                                  interval=args.interval, warmup=args.warmup)
    return replace(preset, training=presets.training_settings(preset.training, epochs=args.epochs,
                                                              steps_per_epoch=args.steps_per_epoch))


def coloured(file: Any) -> bool:
    """Colour on a terminal, unless NO_COLOR says otherwise."""
    return file.isatty() and not os.environ.get("NO_COLOR")


def console_on(file: Any) -> Any:
    """A rich console as wide as the terminal, or wide enough for every column when piped."""
    from rich.console import Console

    return Console(file=file, width=None if file.isatty() else 160)
