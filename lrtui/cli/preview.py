"""`lrtui preview`: the lr curve of a schedule, without training."""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from dataclasses import replace
from typing import Any

from lrtui.cli import arguments, sweep_args
from lrtui.plan.search_space import MAX_POINTS
from lrtui.schedule.params import ConfigError


def add(commands: Any) -> None:
    p = commands.add_parser("preview", help="the lr curve of a schedule, without training",
                            description="The lr curve torch will produce, without training.")
    arguments.selection_args(p)
    p.add_argument("--format", choices=["table", "csv", "json", "plot"])
    p.add_argument("--exact", action="store_true", help="step the real torch scheduler (else closed form)")
    p.add_argument("--log", action="store_true", help="plot: log10 lr axis")
    p.add_argument("--sweep", action="store_true",
                   help="every point of the preset's [sweep] and these keys, overlaid (as a plot by default)")
    sweep_args.add(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lrtui.output import export, plots, tables
    from lrtui.plan import search_space
    from lrtui.schedule.catalogue import CATALOGUE
    from lrtui.schedule.preview import notes, preview

    if not args.sweep and (args.grid or args.random or args.samples):
        raise ConfigError("sweep", "--grid, --random and --samples preview a sweep: give --sweep too")
    preset = arguments.selection(args)
    if args.sweep:
        space, seed = sweep_args.space(preset.sweep, args), preset.training["seed"]
        if space.size * len(preset.runs) > MAX_POINTS:
            raise ConfigError("sweep", f"has {space.size * len(preset.runs):,} points, more than the {MAX_POINTS:,} a "
                                       "preview draws: narrow it")
        search_space.check(preset.runs, space, seed, every=False)  # every point is made and checked next
        preset = replace(preset, runs=tuple(search_space.point_runs(preset.runs, space, seed)))
    args.format = args.format or ("plot" if args.sweep else "table")
    curves = [preview(run.schedule, run.optimizer, preset.length(run), exact=args.exact) for run in preset.runs]
    for note in (note for run, c in zip(preset.runs, curves) for note in notes(run.label, run.schedule, c)):
        print(f"lrtui preview: note: {note}", file=sys.stderr)
    single = args.preset is None and args.target in CATALOGUE and not args.sweep  # one schedule: its curve alone
    out = sys.stdout
    if args.format == "json":
        doc = [export.curve_json(run, c, preset) for run, c in zip(preset.runs, curves)]
        out.write(json.dumps(doc[0] if single else {"preset": preset.name, "runs": doc}) + "\n")  # C encoder
    elif args.format == "csv":
        out.write(export.preview_csv(preset, curves))
    elif args.format == "plot":
        size = shutil.get_terminal_size((100, 30))
        out.write(plots.plot(preset, curves, size.columns, min(size.lines - 1, 30), args.log, arguments.coloured(out)) + "\n")
    else:
        out.write(tables.table(preset, curves, max_rows=max(10, shutil.get_terminal_size((100, 40)).lines - 8)))
    return 0
