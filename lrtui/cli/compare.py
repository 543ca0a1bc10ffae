"""`lrtui compare`: the comparison table and verdict of stored runs."""
from __future__ import annotations

import argparse
import sys
from typing import Any

from lrtui.cli import arguments, judging


def add(commands: Any) -> None:
    p = commands.add_parser("compare", help="the comparison table and verdict of stored runs",
                            description="Compare stored runs over their seeds: per schedule the mean with "
                                        "its 95% interval, paired differences to the best, and a verdict.")
    p.add_argument("ids", type=int, nargs="*", metavar="RUN_ID", help="these runs (default: --last)")
    judging.comparison_args(p)
    judging.verdict_args(p)
    p.add_argument("--force", action="store_true", help="compare runs of different tasks, epochs or batches")
    p.add_argument("--json", action="store_true")
    arguments.store_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    return judging.compare(args, arguments.open_store(args, write=False), arguments.console_on(sys.stdout))
