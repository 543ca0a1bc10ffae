"""What `lrtui run` and `lrtui sweep` share: the plan, checked before anything trains, trained by a
backend, and shown (the verdict over seeds or points, else the summary)."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from lrtui.cli import arguments, judging
from lrtui.judge.verdict import DEFAULT_METRIC
from lrtui.paths import data_dir
from lrtui.plan.search_space import MAX_POINTS
from lrtui.schedule.params import ConfigError


def planned(chosen: list, args: argparse.Namespace, command: str) -> Any:
    """The plan of the `chosen` presets with the command line's overrides, checked before anything
    trains: its size (more than MAX_POINTS runs asks for --yes), each task and device, each sweep's
    axes; and, within the limit, every run (a larger plan's runs are checked as they are made, each
    when its turn comes, so that its first run starts at once)."""
    from lrtui import engine, tasks
    from lrtui.plan import planning, presets, search_space
    from lrtui.schedule.preview import run_curve

    sets = presets.parse_sets(args.set)
    plan = planning.plan([presets.override(preset, sets, lr=args.lr, optimizer=args.optimizer) for preset in chosen],
                       task=args.task, epochs=args.epochs, device=args.device, seed=args.seed, seeds=args.seeds,
                       batch_size=args.batch_size, batch_runs=args.batch_runs, data_dir=data_dir(args.data_dir),
                       download=args.download)
    if len(plan) > MAX_POINTS and not args.yes:
        raise ConfigError(command, f"has {len(plan):,} runs ({plan.size}), more than {MAX_POINTS:,}: narrow it, "
                                   "or give --yes")
    for part in plan.parts:
        tasks.find(part.training["task"])  # an unknown task or a bad task file is bad input: refuse before training
        engine.resolve_device(part.training["device"])  # so is a device that is not here (else after a progress bar)
        if part.preset.sweep:
            search_space.check(part.preset.runs, part.preset.sweep, part.training["seed"], every=False)
    if len(plan) <= MAX_POINTS:
        for job in plan.round(0):  # each point made, so checked
            per_epoch = 1 if job.schedule.interval == "epoch" else tasks.known_batches(job.task, job.batch_size)
            if per_epoch:  # a schedule that does not fit the run (a warmup longer than it), an lr not finite
                try:
                    run_curve(job.schedule, job.optimizer, job.schedule.length(job.epochs, per_epoch), step_torch=False)
                except ConfigError as e:
                    raise ConfigError(e.key, f"{e.problem} (run {job.label})") from None
    return plan


def train(chosen: list, args: argparse.Namespace, command: str) -> int:
    """Train the runs of `chosen` presets as one comparison, with the command line's overrides; print the
    verdict (over several seeds or points) or the summary."""
    from lrtui import backends
    from lrtui.judge import pruning, scores
    from lrtui.output import export, pages, progress, sweep_views, tables, words

    plan = planned(chosen, args, command)
    store = arguments.open_store(args)
    watched = progress.Watched(plan, command)
    prune = pruning.Halving(args.metric or DEFAULT_METRIC, watched.jobs) if getattr(args, "prune", None) else None
    chosen_backend = backends.backend(getattr(args, "backend", "local"), getattr(args, "ray_address", None),
                                      getattr(args, "gpus_per_trial", None) or 0)
    with watched:
        results, interrupted = chosen_backend.run(plan, store, watched, prune)
    stored = [store.run(ran.run_id) for ran in results]
    compared = plan.seeded or command == "sweep"
    judged = judging.judge(stored, args) if stored else None
    if args.json:
        json.dump({"runs": [export.run_json(run) for run in stored]}
                  | ({"comparison": words.comparison_json(judged)} if judged else {}), sys.stdout)
        sys.stdout.write("\n")
    console = arguments.console_on(sys.stderr if args.json else sys.stdout)
    if compared and judged:
        judging.show(judged, len(stored), plan.comparison, console)
        if command == "sweep" and (view := sweep_views.view(judged, stored, console.width, arguments.coloured(console.file))):
            console.print(view) if not isinstance(view, str) else console.out(view, highlight=False)
    else:
        console.print(tables.summary_table([scores.stored(run) for run in stored],
                                           [run["group"] or run["label"] for run in stored]))
    for ran, run in zip(results, stored):
        if ran.status == "failed":
            print(f"lrtui {command}: {pages.failure(run, ran.skipped)}", file=sys.stderr)
    if interrupted:
        return 130
    return 1 if any(ran.status == "failed" for ran in results) else 0
