"""`lrtui runs`: the stored runs (or delete some)."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from lrtui.cli import arguments
from lrtui.engine.events import Status
from lrtui.schedule.params import ConfigError


def add(commands: Any) -> None:
    p = commands.add_parser("runs", help="list stored runs (or delete some)")
    arguments.store_args(p)
    p.add_argument("--json", action="store_true")
    p.add_argument("--delete", type=int, nargs="+", metavar="ID", help="delete these runs")
    p.add_argument("--failed", action="store_true", help="only the runs that ended with an error, and the error")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lrtui.judge import scores
    from lrtui.output import pages, tables

    store = arguments.open_store(args, write=bool(args.delete))
    if args.delete:
        missing = sorted(set(args.delete) - store.ids())  # a run that cannot be read can be deleted
        if missing:
            raise ConfigError("--delete", f"no run with id {missing[0]}")
        print(f"deleted {store.delete(args.delete)} run(s)")
        return 0
    runs = store.runs(lambda run_id, why: print(f"lrtui runs: run {run_id} left out: {why}", file=sys.stderr))
    erred = [r for r in runs if r["error"] and r["status"] != Status.PRUNED]  # a pruned run says why, no error
    if args.failed:
        runs = erred
    if args.json:
        keys = ("id", "kind", "label", "status", "preset", "task", "device", "seed", "started", "finished", "error",
                "comparison", "group")
        json.dump({"runs": [{**{k: r[k] for k in keys}, "epochs": r["n_epochs"],
                             "scheduler": r["config"].get("scheduler")} for r in runs]}, sys.stdout)
        sys.stdout.write("\n")
        return 0
    if not runs:
        print("no run ended with an error" if args.failed else "no runs stored yet: `lrtui run seed-four` makes four")
    elif args.failed:
        arguments.console_on(sys.stdout).print(tables.errors_table(runs))
    else:
        arguments.console_on(sys.stdout).print(tables.summary_table([  # a range test's summary reads its steps; a run's, its epochs
            scores.stored(store.run(r["id"], steps=r["kind"] == "find")) for r in runs]))
        n = len(erred)
        if n:
            them = "them" if n > 1 else "it"
            print(f"{n} run{'s' * (n > 1)} ended with an error: `lrtui runs --failed` shows {them}")
        print(pages.comparisons_text(runs), end="")
    return 0
