"""`lrtui code`: a plain-torch snippet that builds the same optimizer and scheduler."""
from __future__ import annotations

import argparse
import sys
from typing import Any

from lrtui.cli import arguments, judging


def add(commands: Any) -> None:
    p = commands.add_parser("code", help="a plain-torch snippet that builds the same optimizer and scheduler",
                            description="Print runnable Python that builds the optimizer and scheduler.")
    arguments.selection_args(p)
    p.add_argument("--winner", action="store_true", help="the schedule that won a stored comparison")
    judging.comparison_args(p)
    judging.verdict_args(p)
    arguments.store_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lrtui.output.snippets import snippet

    if args.winner:
        sys.stdout.write(judging.winner(args, arguments.open_store(args, write=False)))
        return 0
    preset = arguments.selection(args)
    label = len(preset.runs) > 1
    blocks = [snippet(run.schedule, run.optimizer, preset.training["epochs"], preset.steps_per_epoch,
                      run.label if label else "") for run in preset.runs]
    sys.stdout.write("\n\n".join(blocks))
    return 0
