"""The command line's verdicts: `lrtui compare`, `lrtui code --winner`, and the verdict `lrtui run`
ends with, on stored runs (lrtui.judge.verdict judges, lrtui.output.report prints)."""
from __future__ import annotations

import argparse
import json
import math
import sys
import textwrap
from typing import Any

from lrtui.schedule.params import ConfigError


def metric(text: str) -> Any:
    """An argparse type: a verdict's metric by name."""
    from lrtui.judge.verdict import metric

    try:
        return metric(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def fraction(text: str) -> float:
    """An argparse type: a number from 0 to 1 (not -0: a sign the user typed is a mistake to say)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value <= 1 or math.copysign(1, value) < 0:
        raise argparse.ArgumentTypeError(f"needs a number from 0 to 1 (a fraction of the best mean), got {text!r}")
    return value


def verdict_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--metric", type=metric, metavar="M", help="what a run is judged by: final_val_loss (default), "
                   "best_val_loss, best_val_acc or final_train_loss")
    p.add_argument("--min-effect", type=fraction, default=0.01, metavar="F",
                   help="a difference under F x the best mean is a tie whatever its p (default 0.01)")


def named(what: str) -> Any:
    """An argparse type: a name that is not empty (an empty one would read as "not given", the default)."""
    def check(text: str) -> str:
        if not text.strip():
            raise argparse.ArgumentTypeError(f"needs {what}, got an empty name")
        return text
    return check


def comparison_args(p: argparse.ArgumentParser) -> None:
    """Which stored runs a verdict is about: ids, a comparison, or the last comparison (the default)."""
    p.add_argument("--comparison", metavar="ID", type=named("a comparison's id (`lrtui runs` lists them)"),
                   help="the runs of this comparison (`lrtui runs` lists them)")
    p.add_argument("--last", action="store_true", help="the runs of the last comparison (the default)")


def judge(runs: list[dict], args: argparse.Namespace) -> Any:
    """The verdict on stored training runs by the command line's metric and threshold."""
    from lrtui.judge import scores, verdict

    chosen = args.metric or verdict.DEFAULT_METRIC
    return scores.judge([scores.Entry.stored(run) for run in runs], chosen, args.min_effect)


def compared(args: argparse.Namespace, store: Any) -> tuple[list[dict], str | None]:
    """The stored training runs a verdict is about (ids, --comparison, or the last comparison), with
    their epochs, and their comparison's id."""
    ids = getattr(args, "ids", None) or []
    if sum(map(bool, (ids, args.comparison, args.last))) > 1:
        raise ConfigError("RUN_ID", "give run ids, --comparison ID or --last, not more than one")
    if ids:
        runs = []
        for run_id in ids:
            run = store.run(run_id, steps=False)
            if run is None:
                raise ConfigError("RUN_ID", f"no run with id {run_id} (`lrtui runs` lists them)")
            if run["kind"] != "train":
                raise ConfigError("RUN_ID", f"run {run_id} is a range test: it has no score to compare")
            runs.append(run)
        return runs, None
    comparison = args.comparison or store.last_comparison()
    if comparison is None:
        raise ConfigError("--last", "no comparison stored yet: `lrtui run seed-four --seeds 5` makes one")
    runs = store.comparison(comparison)
    if not runs:
        raise ConfigError("--comparison", f"no comparison {comparison!r} (`lrtui runs` lists them)")
    return runs, comparison


def show(judged: Any, runs: int, comparison: str | None, console: Any) -> None:
    """The comparison table and its verdict on `console`."""
    from lrtui.output import pages, tables

    console.print(tables.comparison_table(judged))
    console.print(pages.comparison_text(judged, runs, comparison), end="", markup=False, highlight=False)


def compare(args: argparse.Namespace, store: Any, console: Any) -> int:
    """`lrtui compare`: the table and verdict of stored runs, or its JSON."""
    from lrtui.judge import scores
    from lrtui.output import words

    runs, comparison = compared(args, store)
    if (why := scores.mismatch(runs)) and not args.force:
        raise ConfigError("RUN_ID", f"{why}: they do not belong in one comparison (--force compares them anyway)")
    judged = judge(runs, args)
    if args.json:
        json.dump({"comparison": words.comparison_json(judged) | {"id": comparison}}, sys.stdout)
        sys.stdout.write("\n")
    else:
        show(judged, len(runs), comparison, console)
    return 0


def winner(args: argparse.Namespace, store: Any) -> str:
    """The code of the schedule that won a stored comparison (the best mean where the verdict is not
    "best", said in a comment)."""
    from lrtui.output import words
    from lrtui.output.snippets import stored_snippet

    if args.target or args.preset:
        raise ConfigError("--winner", "takes no scheduler or preset: the winner comes from the store")
    runs, comparison = compared(args, store)
    if not any(run["status"] == "finished" for run in runs):
        raise ConfigError("--winner", f"no run of comparison {comparison or 'of these runs'} finished: there is no winner "
                                      f"to write ({', '.join(sorted({run['status'] for run in runs}))})")
    judged = judge(runs, args)
    if judged.verdict.best is None:
        raise ConfigError("--winner", f"no winner: {words.verdict(judged.verdict)}")
    run = next(r for r in runs if (r["group"] or r["label"]) == judged.verdict.best)
    head = f"# the winner of comparison {comparison}" if comparison else "# the winner of these runs"
    if judged.verdict.kind != "best":
        head += ": the best mean, but not a verdict"
    quoted = "".join(f"# {line}\n" for line in textwrap.wrap(f"verdict: {words.verdict(judged.verdict)}", 98))
    return f"{head}\n{quoted}" + stored_snippet(run["config"], judged.verdict.best)
