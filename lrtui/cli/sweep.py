"""`lrtui sweep`: train a preset's runs at every point of a search space, here or on Ray."""
from __future__ import annotations

import argparse
import math
from dataclasses import replace
from typing import Any

from lrtui.cli import arguments, sweep_args, train
from lrtui.schedule.optimizers import validate_optimizer
from lrtui.schedule.params import ConfigError


def add(commands: Any) -> None:
    p = commands.add_parser("sweep", help="search a schedule's parameters: a grid or random points, each over "
                                          "seeds, ranked by the verdict",
                            description="Train a preset's runs (or a scheduler with its defaults) at every point "
                                        "of a search space: the preset's [sweep] table and these keys. A KEY is a "
                                        "scheduler parameter's name (gamma) or a dotted path (optimizer.lr, "
                                        "warmup). Every point is checked before anything trains.")
    p.add_argument("preset", metavar="PRESET_OR_SCHEDULER")
    sweep_args.add(p)
    p.add_argument("--backend", choices=["local", "ray"], default="local",
                   help="where the points train: here (batched where they can be), or as Ray Tune trials")
    p.add_argument("--ray-address", metavar="ADDRESS",
                   help="a Ray cluster to join: HOST:PORT, ray://HOST:PORT or auto (default: start Ray here)")
    p.add_argument("--gpus-per-trial", type=gpus, metavar="G", help="GPUs a Ray trial asks for (default 0)")
    p.add_argument("--prune", choices=["halving"],
                   help="stop the worst points early: successive halving at rungs of 1, 2, 4, ... epochs (Optuna's)")
    arguments.training_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lrtui.backends import ray_tune
    from lrtui.judge import pruning
    from lrtui.plan import presets
    from lrtui.schedule.catalogue import CATALOGUE, starter

    if args.backend == "ray":
        ray_tune.require()  # without an extra: one line naming it, before anything else
        ray_tune.host_port(args.ray_address)  # its form: what cannot be an address is refused before Ray starts
    else:
        given = [flag for flag, value in (("--ray-address", args.ray_address), ("--gpus-per-trial", args.gpus_per_trial))
                 if value is not None]
        if given:
            raise ConfigError(given[0], "is for a sweep on Ray: give --backend ray too")
    if args.prune:
        pruning.require()

    if args.preset in CATALOGUE:
        schedule = starter(args.preset)
        preset = presets.Preset(f"sweep-{args.preset}", runs=(presets.Run(schedule.name, schedule, validate_optimizer({})),))
    else:
        preset = presets.find(args.preset)
    return train.train([replace(preset, sweep=sweep_args.space(preset.sweep, args))], args, "sweep")


def gpus(text: str) -> float:
    """An argparse type: GPUs a Ray trial asks for, a finite number >= 0."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"needs a number >= 0 (a share of one, such as 0.5, or a count), got {text!r}")
    return value
