"""The command line: the parser, a module per verb (each adds its own arguments and runs), and the
exit policy: 0 success, 2 bad input (one line naming the field and the rule, no traceback), 1 a
failure of the command itself, 130 interrupted. Torch is imported only by the commands that step
a real scheduler."""
from __future__ import annotations

import argparse
import os
import sys
from typing import NoReturn

from lrtui import __version__
from lrtui.cli import arguments, code, compare, export, find, judging, listing, preview, run, runs, sweep
from lrtui.paths import data_dir
from lrtui.schedule.params import ConfigError

EXAMPLES = """examples:
  lrtui preview CosineAnnealingLR --epochs 100 --warmup 5
  lrtui preview OneCycleLR --set max_lr=0.3 --set pct_start=0.25 --epochs 3 --steps-per-epoch 2000 --format plot
  lrtui preview --preset seed-four --format plot
  lrtui code MultiStepLR --set 'milestones=[150, 250]' --epochs 300
  lrtui list schedulers OneCycleLR
"""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2: the contract for bad input
        self.exit(2, f"{self.prog}: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="lrtui", description="Pick, preview, train and compare PyTorch learning-rate schedules.",
                    epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"lrtui {__version__}")
    parser.add_argument("--preset", metavar="NAME|PATH", help="open the app with a preset loaded")
    parser.add_argument("--task", help="the task runs train on (a built-in, imagefolder:PATH, or file.py:build)")
    parser.add_argument("--device", **arguments.DEVICE)
    parser.add_argument("--data-dir", type=judging.named("a folder"), help="where torchvision datasets are")
    arguments.store_args(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    for verb in (preview, code, run, sweep, find, runs, compare, export, listing):
        verb.add(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from lrtui.runs.store import StoreError

    who = f"lrtui {args.command}" if args.command else "lrtui"
    args.func = getattr(args, "func", cmd_tui)
    try:
        return args.func(args) or 0
    except (ConfigError, StoreError) as e:  # bad input, or a store that cannot be used: one line, exit 2
        print(f"{who}: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C outside training (which stops the run and keeps it): no traceback
        return 130
    except BrokenPipeError:  # `lrtui preview ... | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as e:  # noqa: BLE001 - a failure of the command itself: one line, exit 1
        if os.environ.get("LRTUI_DEBUG"):
            raise
        print(f"{who}: error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1


def cmd_tui(args: argparse.Namespace) -> int:
    """`lrtui`: the app. An unexpected error in it exits 1 with one line naming its crash log."""
    from lrtui import tasks
    from lrtui.plan import presets
    from lrtui.ui.app import LrtuiApp

    preset = presets.find(args.preset) if args.preset else None
    if args.task:
        tasks.find(args.task)
    app = LrtuiApp(preset, arguments.open_store(args), args.task, args.device, data_dir(args.data_dir))
    app.run()
    if app.crash:
        print(app.crash, file=sys.stderr)
    return app.return_code or 0
