"""`lrtui list`: the schedulers, presets or tasks."""
from __future__ import annotations

import argparse
import shutil
import sys
from typing import Any


def add(commands: Any) -> None:
    p = commands.add_parser("list", help="list schedulers, presets or tasks")
    p.add_argument("what", choices=["schedulers", "presets", "tasks"])
    p.add_argument("name", nargs="?", help="schedulers: one scheduler in detail")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lrtui.output import pages

    width = shutil.get_terminal_size((100, 40)).columns
    sys.stdout.write({"schedulers": pages.schedulers, "presets": pages.presets, "tasks": pages.tasks}[args.what](
        args.name, width))
    return 0
