"""`lrtui run`: train every run of one or more presets, headless."""
from __future__ import annotations

import argparse
from typing import Any

from lrtui.cli import arguments, train


def add(commands: Any) -> None:
    p = commands.add_parser("run", help="train every run of one or more presets, headless",
                            description="Train every run of each preset in turn; every run is stored.")
    p.add_argument("presets", nargs="+", metavar="PRESET_OR_PATH")
    arguments.training_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lrtui.plan import presets

    return train.train([presets.find(name) for name in args.presets], args, "run")
