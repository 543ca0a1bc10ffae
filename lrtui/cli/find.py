"""`lrtui find`: the LR range test, and with --check short runs at its suggestions."""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from dataclasses import replace
from typing import Any

from lrtui.cli import arguments, judging
from lrtui.paths import data_dir
from lrtui.plan.range_test import SETTINGS as SWEEP
from lrtui.schedule.optimizers import OPTIMIZERS


def add(commands: Any) -> None:
    p = commands.add_parser("find", help="the LR range test: which lr to give a schedule",
                            description="Train briefly while the lr grows from tiny to large; suggest the lr "
                                        "where the loss falls fastest. The sweep is stored as a run of kind find.")
    p.add_argument("--preset", metavar="NAME|PATH", help="use the optimizer and training settings of its first run")
    p.add_argument("--task", help="a built-in task, imagefolder:PATH, or path/to/file.py:build")
    p.add_argument("--device", **arguments.DEVICE)
    p.add_argument("--optimizer", choices=list(OPTIMIZERS),
                   help="the optimizer, with its defaults and the preset's lr (default: the preset's, else SGD)")
    p.add_argument("--seed", type=arguments.training("seed"))
    p.add_argument("--batch-size", type=int)
    for setting in SWEEP:
        p.add_argument("--" + setting.name.replace("_", "-"), type={"int": int, "float": float}.get(setting.kind),
                       choices=setting.choices or None, help=f"{setting.help} (default {setting.default:g})"
                       if setting.kind != "choice" else f"{setting.help} (default {setting.default})")
    p.add_argument("--check", action="store_true",
                   help="then train short runs at the suggestions and a factor of 3 around them, batched, and "
                        "say which lr trains best")
    p.add_argument("--json", action="store_true", help="print the sweep and the suggestions as JSON")
    arguments.store_args(p)
    p.add_argument("--data-dir", type=judging.named("a folder"), help="where torchvision datasets are (default: <user data>/data)")
    p.add_argument("--download", action="store_true", help="fetch a torchvision dataset that is missing")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lrtui import engine, tasks
    from lrtui.backends import local
    from lrtui.judge import findings
    from lrtui.output import export, pages, plots, progress
    from lrtui.plan import planning, presets, range_test
    from lrtui.schedule.catalogue import starter

    preset = presets.find(args.preset) if args.preset else presets.Preset("default")
    optimizer = presets.override_optimizer(preset.runs[0].optimizer if preset.runs else preset.optimizer,
                                           args.optimizer)
    training = presets.training_settings(preset.training, task=args.task, device=args.device, seed=args.seed,
                                         batch_size=args.batch_size)
    settings = range_test.sweep({s.name: getattr(args, s.name) for s in SWEEP if getattr(args, s.name) is not None})
    job = planning.find_job(training, optimizer, settings, preset.name if args.preset else None,
                            data_dir(args.data_dir), args.download)
    tasks.find(job.task)  # bad input is refused before anything runs
    engine.resolve_device(job.device)
    store = arguments.open_store(args)
    with progress.RangeTestBar(job) as bar:
        status, interrupted = local.range_test(job, store, bar)
    run_id = bar.run_id
    run = store.run(run_id)
    found = findings.analyse(run["steps"]["lr"], run["steps"]["loss"], settings.smooth)
    if not args.json:
        size = shutil.get_terminal_size((100, 30))
        if len(found.lr) > 1:
            print(plots.finding_plot(found, size.columns, min(size.lines - 8, 25), arguments.coloured(sys.stdout)))
        print(pages.finding_text(found, run), end="")
        print(f"stored as run {run_id}: `lrtui runs` lists it, `lrtui export {run_id}` has every step")
    checked = None
    if args.check and not interrupted and found.suggestion is not None:
        first = preset.runs[0] if preset.runs else presets.Run("CosineAnnealingLR", starter("CosineAnnealingLR"), optimizer)
        checked, interrupted = _check(planning.lr_check(replace(first, optimizer=optimizer), training,
                                                      findings.candidates(found), settings.check_epochs),
                                      args, store, arguments.console_on(sys.stderr if args.json else sys.stdout))
    elif args.check and not interrupted:
        print(f"lrtui find: nothing to check: {findings.TOO_FLAT if found.flat else 'no suggestion'}", file=sys.stderr)
    if args.json:
        json.dump({"id": run_id, "status": status, "lr": found.lr, "loss": [export.finite(v) for v in found.loss],
                   "smoothed": [export.finite(v) for v in found.smoothed], "suggestion": found.suggestion,
                   "suggestions": found.suggestions, "flat": found.flat, "config": run["config"]}
                  | ({"check": checked} if args.check else {}), sys.stdout)
        sys.stdout.write("\n")
    return 130 if interrupted else 1 if status == "failed" else 0


def _check(check: Any, args: argparse.Namespace, store: Any, console: Any) -> tuple[dict | None, bool]:
    """A range test's check (planning.lr_check): its short runs trained batched, their comparison table and
    plot against the lr (the evidence), and the lr that trained best on its seed; returns what `--json`
    says of it, and whether the user interrupted."""
    from lrtui.backends import local
    from lrtui.judge import scores
    from lrtui.judge.verdict import DEFAULT_METRIC
    from lrtui.output import progress, sweep_views
    from lrtui.plan import planning

    plan = planning.plan([check], data_dir=data_dir(args.data_dir), download=args.download)
    with progress.Watched(plan, "find") as watched:
        results, interrupted = local.LocalBackend().run(plan, store, watched)
    stored = [store.run(ran.run_id, steps=False) for ran in results]
    judged = scores.judge([scores.Entry.stored(run) for run in stored], DEFAULT_METRIC)
    judging.show(judged, len(stored), plan.comparison, console)
    if view := sweep_views.view(judged, stored, console.width, arguments.coloured(console.file)):
        console.out(view, highlight=False)
    (key,) = check.sweep.to_table()
    points = sweep_views.points(stored)
    tried = {g.name: g.mean for g in judged.groups}
    best = next((g for g in judged.groups if g.mean is not None), None)
    lr = points[best.name][key] if best else None
    name = key.rpartition(".")[2]
    said = (f"check: {name} {lr:.3g} trained best ({judged.metric.label} {best.mean:.4g} after {check.training['epochs']} "
            f"epochs, on seed {check.training['seed']}: the lowest, not a verdict over seeds): "
            f"`--lr {lr:.3g}`" + (f" (as max_lr: `--set max_lr={lr:.3g}`)" if name == "max_lr" else "")) if best else (
            "check: no lr trained to its end")
    console.print(said, markup=False, highlight=False)
    return {"comparison": plan.comparison, "key": key, "lrs": [points[g][key] for g in tried if g in points],
            "scores": {str(points[g][key]): tried[g] for g in tried if g in points}, "best": lr,
            "metric": judged.metric.name}, interrupted
