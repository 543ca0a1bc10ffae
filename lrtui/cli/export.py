"""`lrtui export`: per-epoch and per-step data of stored runs, as CSV or JSON."""
from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import Any

from lrtui.cli import arguments, judging
from lrtui.schedule.params import ConfigError


def add(commands: Any) -> None:
    p = commands.add_parser("export", help="per-epoch and per-step data of stored runs")
    p.add_argument("ids", type=int, nargs="*", metavar="RUN_ID", help="these runs (default: --last)")
    judging.comparison_args(p)
    p.add_argument("--format", choices=["csv", "json"], default="csv")
    p.add_argument("-o", "--output", help="write to this file (default: stdout)")
    arguments.store_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lrtui.output import export

    store = arguments.open_store(args, write=False)
    runs = []
    if args.ids and (args.comparison or args.last):
        raise ConfigError("RUN_ID", "give run ids, --comparison ID or --last, not more than one")
    for run_id in args.ids or [run["id"] for run in judging.compared(args, store)[0]]:
        run = store.run(run_id)
        if run is None:
            raise ConfigError("RUN_ID", f"no run with id {run_id} (`lrtui runs` lists them)")
        runs.append(run)
    out = open(args.output, "w", newline="", encoding="utf-8") if args.output else sys.stdout
    try:
        if args.format == "json":
            json.dump({"runs": [export.run_json(run, steps=True) for run in runs]}, out)
            out.write("\n")
        else:
            export.export_csv(csv.writer(out), runs)
    finally:
        if args.output:
            out.close()
    return 0
