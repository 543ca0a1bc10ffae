"""The command line: `lrtui preview`, `lrtui code`, `lrtui list` (and, later, the TUI and training).

Exit codes: 0 success, 2 bad input (one line naming the field and the rule, no traceback), 1 a
failure of the command itself. Torch is imported only by the commands that step a real scheduler.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import shutil
import sys
from dataclasses import replace
from typing import Any, Callable, NoReturn

from lrtui import __version__
from lrtui.cli import judging, sweep_args
from lrtui.engine.events import Status
from lrtui.judge.verdict import DEFAULT_METRIC
from lrtui.paths import data_dir
from lrtui.plan.presets import TRAINING
from lrtui.plan.range_test import SETTINGS as SWEEP
from lrtui.plan.search_space import MAX_POINTS
from lrtui.schedule.catalogue import INTERVAL, WARMUP
from lrtui.schedule.optimizers import OPTIMIZERS, validate_optimizer
from lrtui.schedule.params import ConfigError, parse_value

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


def training(name: str) -> Callable[[str], Any]:
    """An argparse type: the text read as a value and checked by the training setting `name`, so that
    a bad --device or --seed is refused at parse time, before torch hears of it."""
    param = next(p for p in TRAINING if p.name == name)

    def check(text: str) -> Any:
        try:
            return param.check(parse_value(text), "training")
        except ConfigError as e:
            raise argparse.ArgumentTypeError(e.problem) from None
    return check


DEVICE = {"type": training("device"), "help": "auto, cpu, cuda, cuda:N or mps"}


def _selection_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("target", nargs="?", metavar="SCHEDULER|PRESET",
                   help="a scheduler or recipe (`lrtui list schedulers`), or a preset name or .toml path")
    p.add_argument("--preset", metavar="NAME|PATH", help="a preset, shipped or yours")
    _override_args(p)
    p.add_argument("--epochs", type=int, help="epochs in the run")
    p.add_argument("--steps-per-epoch", type=int, metavar="S", help="batches per epoch (for per-step schedules)")
    p.add_argument("--interval", choices=INTERVAL.choices, help=INTERVAL.help)
    p.add_argument("--warmup", type=int, metavar="N", help=WARMUP.help)


def _override_args(p: argparse.ArgumentParser) -> None:
    """What the command line changes in every run of a preset (presets.override)."""
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a scheduler parameter, for every run that has it; VALUE is TOML (0.1, [30, 80], \"cos\", "
                        "true) or auto")
    p.add_argument("--lr", type=float, help="the optimizer's base lr")
    p.add_argument("--optimizer", choices=list(OPTIMIZERS),
                   help="the optimizer (another one: its defaults, the run's lr)")


def _training_args(p: argparse.ArgumentParser) -> None:
    """What `lrtui run` and `lrtui sweep` take beside what they train."""
    _override_args(p)
    p.add_argument("--epochs", type=int, help="epochs per run (default: the preset's)")
    p.add_argument("--task", help="a built-in task, imagefolder:PATH, or path/to/file.py:build")
    p.add_argument("--device", **DEVICE)
    p.add_argument("--seed", type=training("seed"), help="the seed every run shares")
    p.add_argument("--seeds", type=training("seeds"), metavar="N|LIST",
                   help="train every run on N seeds from --seed on, or on these (0,3,7); ends with a verdict")
    judging.verdict_args(p)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--batch-runs", type=training("batch_runs"), metavar="auto|off|N",
                   help="train compatible runs together as one vectorised model: auto (as many as memory holds), "
                        "off, or at most N at a time")
    _store_args(p)
    p.add_argument("--data-dir", type=judging.named("a folder"), help="where torchvision datasets are (default: <user data>/data)")
    p.add_argument("--download", action="store_true", help="fetch a torchvision dataset that is missing")
    p.add_argument("--json", action="store_true", help="print the runs as JSON on stdout")
    p.add_argument("--yes", action="store_true", help=f"train more than {MAX_POINTS:,} runs (points x seeds)")


def _store_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--runs-dir", type=judging.named("a folder"),
                   help="the run store's folder (default: $LRTUI_RUNS_DIR, else the user data dir)")


def _store(args: argparse.Namespace, write: bool = True) -> Any:
    """The run store; a command that only reads it (write=False) reads one it may not write."""
    from lrtui.paths import runs_dir
    from lrtui.runs.store import Store

    return Store.at(runs_dir(args.runs_dir), write)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="lrtui", description="Pick, preview, train and compare PyTorch learning-rate schedules.",
                    epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"lrtui {__version__}")
    parser.add_argument("--preset", metavar="NAME|PATH", help="open the app with a preset loaded")
    parser.add_argument("--task", help="the task runs train on (a built-in, imagefolder:PATH, or file.py:build)")
    parser.add_argument("--device", **DEVICE)
    parser.add_argument("--data-dir", type=judging.named("a folder"), help="where torchvision datasets are")
    _store_args(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    preview = commands.add_parser("preview", help="the lr curve of a schedule, without training",
                                  description="The lr curve torch will produce, without training.")
    _selection_args(preview)
    preview.add_argument("--format", choices=["table", "csv", "json", "plot"])
    preview.add_argument("--exact", action="store_true", help="step the real torch scheduler (else closed form)")
    preview.add_argument("--log", action="store_true", help="plot: log10 lr axis")
    preview.add_argument("--sweep", action="store_true",
                         help="every point of the preset's [sweep] and these keys, overlaid (as a plot by default)")
    sweep_args.add(preview)
    preview.set_defaults(func=cmd_preview)

    code = commands.add_parser("code", help="a plain-torch snippet that builds the same optimizer and scheduler",
                               description="Print runnable Python that builds the optimizer and scheduler.")
    _selection_args(code)
    code.add_argument("--winner", action="store_true", help="the schedule that won a stored comparison")
    judging.comparison_args(code)
    judging.verdict_args(code)
    _store_args(code)
    code.set_defaults(func=cmd_code)

    run = commands.add_parser("run", help="train every run of one or more presets, headless",
                              description="Train every run of each preset in turn; every run is stored.")
    run.add_argument("presets", nargs="+", metavar="PRESET_OR_PATH")
    _training_args(run)
    run.set_defaults(func=cmd_run)

    sweep = commands.add_parser("sweep", help="search a schedule's parameters: a grid or random points, each over "
                                              "seeds, ranked by the verdict",
                                description="Train a preset's runs (or a scheduler with its defaults) at every point "
                                            "of a search space: the preset's [sweep] table and these keys. A KEY is a "
                                            "scheduler parameter's name (gamma) or a dotted path (optimizer.lr, "
                                            "warmup). Every point is checked before anything trains.")
    sweep.add_argument("preset", metavar="PRESET_OR_SCHEDULER")
    sweep_args.add(sweep)
    sweep.add_argument("--backend", choices=["local", "ray"], default="local",
                       help="where the points train: here (batched where they can be), or as Ray Tune trials")
    sweep.add_argument("--ray-address", metavar="ADDRESS",
                       help="a Ray cluster to join: HOST:PORT, ray://HOST:PORT or auto (default: start Ray here)")
    sweep.add_argument("--gpus-per-trial", type=_gpus, metavar="G", help="GPUs a Ray trial asks for (default 0)")
    sweep.add_argument("--prune", choices=["halving"],
                       help="stop the worst points early: successive halving at rungs of 1, 2, 4, ... epochs (Optuna's)")
    _training_args(sweep)
    sweep.set_defaults(func=cmd_sweep)

    find = commands.add_parser("find", help="the LR range test: which lr to give a schedule",
                               description="Train briefly while the lr grows from tiny to large; suggest the lr "
                                           "where the loss falls fastest. The sweep is stored as a run of kind find.")
    find.add_argument("--preset", metavar="NAME|PATH", help="use the optimizer and training settings of its first run")
    find.add_argument("--task", help="a built-in task, imagefolder:PATH, or path/to/file.py:build")
    find.add_argument("--device", **DEVICE)
    find.add_argument("--optimizer", choices=list(OPTIMIZERS),
                      help="the optimizer, with its defaults and the preset's lr (default: the preset's, else SGD)")
    find.add_argument("--seed", type=training("seed"))
    find.add_argument("--batch-size", type=int)
    for setting in SWEEP:
        find.add_argument("--" + setting.name.replace("_", "-"), type={"int": int, "float": float}.get(setting.kind),
                          choices=setting.choices or None, help=f"{setting.help} (default {setting.default:g})"
                          if setting.kind != "choice" else f"{setting.help} (default {setting.default})")
    find.add_argument("--check", action="store_true",
                      help="then train short runs at the suggestions and a factor of 3 around them, batched, and "
                           "say which lr trains best")
    find.add_argument("--json", action="store_true", help="print the sweep and the suggestions as JSON")
    _store_args(find)
    find.add_argument("--data-dir", type=judging.named("a folder"), help="where torchvision datasets are (default: <user data>/data)")
    find.add_argument("--download", action="store_true", help="fetch a torchvision dataset that is missing")
    find.set_defaults(func=cmd_find)

    runs = commands.add_parser("runs", help="list stored runs (or delete some)")
    _store_args(runs)
    runs.add_argument("--json", action="store_true")
    runs.add_argument("--delete", type=int, nargs="+", metavar="ID", help="delete these runs")
    runs.add_argument("--failed", action="store_true", help="only the runs that ended with an error, and the error")
    runs.set_defaults(func=cmd_runs)

    compare = commands.add_parser("compare", help="the comparison table and verdict of stored runs",
                                  description="Compare stored runs over their seeds: per schedule the mean with "
                                              "its 95% interval, paired differences to the best, and a verdict.")
    compare.add_argument("ids", type=int, nargs="*", metavar="RUN_ID", help="these runs (default: --last)")
    judging.comparison_args(compare)
    judging.verdict_args(compare)
    compare.add_argument("--force", action="store_true", help="compare runs of different tasks, epochs or batches")
    compare.add_argument("--json", action="store_true")
    _store_args(compare)
    compare.set_defaults(func=cmd_compare)

    export = commands.add_parser("export", help="per-epoch and per-step data of stored runs")
    export.add_argument("ids", type=int, nargs="*", metavar="RUN_ID", help="these runs (default: --last)")
    judging.comparison_args(export)
    export.add_argument("--format", choices=["csv", "json"], default="csv")
    export.add_argument("-o", "--output", help="write to this file (default: stdout)")
    _store_args(export)
    export.set_defaults(func=cmd_export)

    lister = commands.add_parser("list", help="list schedulers, presets or tasks")
    lister.add_argument("what", choices=["schedulers", "presets", "tasks"])
    lister.add_argument("name", nargs="?", help="schedulers: one scheduler in detail")
    lister.set_defaults(func=cmd_list)
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


def selection(args: argparse.Namespace) -> Any:
    """The Preset a preview or code command is about, with the command line's overrides applied."""
    from lrtui.plan import presets
    from lrtui.schedule.catalogue import CATALOGUE, lookup, starter, validate

    if args.preset and args.target:
        raise ConfigError("preset", "give a scheduler or a preset, not both")
    target = args.preset or args.target
    if not target:
        raise ConfigError("scheduler", "name a scheduler (`lrtui list schedulers`) or a preset (--preset NAME)")
    sets = presets.parse_sets(args.set)
    known = target in CATALOGUE or target in presets.available() or target.endswith(".toml")
    if not args.preset and not known:
        lookup(target)  # neither a scheduler nor a preset: the error names the scheduler it may have meant
    if target in CATALOGUE and not args.preset:
        name = args.optimizer or "SGD"
        lr = OPTIMIZERS[name][0].default if args.lr is None else args.lr
        optimizer = validate_optimizer({"name": name, "lr": lr})
        base = starter(target).params if getattr(args, "sweep", False) else {}  # a sweep sets what it requires
        schedule = validate(target, {**base, **sets}, interval=args.interval, warmup=args.warmup or 0)
        preset = presets.Preset(target, runs=(presets.Run(target, schedule, optimizer),))
    else:
        preset = presets.override(presets.find(target), sets, lr=args.lr, optimizer=args.optimizer,
                                  interval=args.interval, warmup=args.warmup)
    return replace(preset, training=presets.training_settings(preset.training, epochs=args.epochs,
                                                              steps_per_epoch=args.steps_per_epoch))


def cmd_preview(args: argparse.Namespace) -> int:
    from lrtui.output import export, plots, tables
    from lrtui.plan import search_space
    from lrtui.schedule.catalogue import CATALOGUE
    from lrtui.schedule.preview import notes, preview

    if not args.sweep and (args.grid or args.random or args.samples):
        raise ConfigError("sweep", "--grid, --random and --samples preview a sweep: give --sweep too")
    preset = selection(args)
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
        out.write(plots.plot(preset, curves, size.columns, min(size.lines - 1, 30), args.log, _coloured(out)) + "\n")
    else:
        out.write(tables.table(preset, curves, max_rows=max(10, shutil.get_terminal_size((100, 40)).lines - 8)))
    return 0


def cmd_code(args: argparse.Namespace) -> int:
    from lrtui.output.snippets import snippet

    if args.winner:
        sys.stdout.write(judging.winner(args, _store(args, write=False)))
        return 0
    preset = selection(args)
    label = len(preset.runs) > 1
    blocks = [snippet(run.schedule, run.optimizer, preset.training["epochs"], preset.steps_per_epoch,
                      run.label if label else "") for run in preset.runs]
    sys.stdout.write("\n\n".join(blocks))
    return 0


def cmd_tui(args: argparse.Namespace) -> int:
    """`lrtui`: the app. An unexpected error in it exits 1 with one line naming its crash log."""
    from lrtui import tasks
    from lrtui.plan import presets
    from lrtui.ui.app import LrtuiApp

    preset = presets.find(args.preset) if args.preset else None
    if args.task:
        tasks.find(args.task)
    app = LrtuiApp(preset, _store(args), args.task, args.device, data_dir(args.data_dir))
    app.run()
    if app.crash:
        print(app.crash, file=sys.stderr)
    return app.return_code or 0


def cmd_run(args: argparse.Namespace) -> int:
    from lrtui.plan import presets

    return _train([presets.find(name) for name in args.presets], args, "run")


def cmd_sweep(args: argparse.Namespace) -> int:
    from lrtui.backends import ray_tune
    from lrtui.judge import pruning
    from lrtui.plan import presets
    from lrtui.schedule.catalogue import CATALOGUE, starter

    if args.backend == "ray":
        ray_tune.require()  # without an extra: one line naming it, before anything else
        ray_tune.host_port(args.ray_address)  # its form: what cannot be an address is refused before Ray starts
    else:
        given = [flag for flag, value in (("--ray-address", args.ray_address), ("--gpus-per-trial", args.gpus_per_trial))
                 if value is not None]
        if given:
            raise ConfigError(given[0], "is for a sweep on Ray: give --backend ray too")
    if args.prune:
        pruning.require()

    if args.preset in CATALOGUE:
        schedule = starter(args.preset)
        preset = presets.Preset(f"sweep-{args.preset}", runs=(presets.Run(schedule.name, schedule, validate_optimizer({})),))
    else:
        preset = presets.find(args.preset)
    return _train([replace(preset, sweep=sweep_args.space(preset.sweep, args))], args, "sweep")


def _gpus(text: str) -> float:
    """An argparse type: GPUs a Ray trial asks for, a finite number >= 0."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"needs a number >= 0 (a share of one, such as 0.5, or a count), got {text!r}")
    return value


def _planned(chosen: list, args: argparse.Namespace, command: str) -> Any:
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


def _train(chosen: list, args: argparse.Namespace, command: str) -> int:
    """Train the runs of `chosen` presets as one comparison, with the command line's overrides; print the
    verdict (over several seeds or points) or the summary."""
    from lrtui import backends
    from lrtui.judge import pruning, scores
    from lrtui.output import export, pages, progress, sweep_views, tables

    plan = _planned(chosen, args, command)
    store = _store(args)
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
                  | ({"comparison": judged.to_json()} if judged else {}), sys.stdout)
        sys.stdout.write("\n")
    console = _console(sys.stderr if args.json else sys.stdout)
    if compared and judged:
        judging.show(judged, len(stored), plan.comparison, console)
        if command == "sweep" and (view := sweep_views.view(judged, stored, console.width, _coloured(console.file))):
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


def cmd_find(args: argparse.Namespace) -> int:
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
    store = _store(args)
    with progress.RangeTestBar(job) as bar:
        status, interrupted = local.range_test(job, store, bar)
    run_id = bar.run_id
    run = store.run(run_id)
    found = findings.analyse(run["steps"]["lr"], run["steps"]["loss"], settings.smooth)
    if not args.json:
        size = shutil.get_terminal_size((100, 30))
        if len(found.lr) > 1:
            print(plots.finding_plot(found, size.columns, min(size.lines - 8, 25), _coloured(sys.stdout)))
        print(pages.finding_text(found, run), end="")
        print(f"stored as run {run_id}: `lrtui runs` lists it, `lrtui export {run_id}` has every step")
    checked = None
    if args.check and not interrupted and found.suggestion is not None:
        first = preset.runs[0] if preset.runs else presets.Run("CosineAnnealingLR", starter("CosineAnnealingLR"), optimizer)
        checked, interrupted = _check(planning.lr_check(replace(first, optimizer=optimizer), training,
                                                      findings.candidates(found), settings.check_epochs),
                                      args, store, _console(sys.stderr if args.json else sys.stdout))
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
    if view := sweep_views.view(judged, stored, console.width, _coloured(console.file)):
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


def cmd_runs(args: argparse.Namespace) -> int:
    from lrtui.judge import scores
    from lrtui.output import pages, tables

    store = _store(args, write=bool(args.delete))
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
        _console(sys.stdout).print(tables.errors_table(runs))
    else:
        _console(sys.stdout).print(tables.summary_table([  # a range test's summary reads its steps; a run's, its epochs
            scores.stored(store.run(r["id"], steps=r["kind"] == "find")) for r in runs]))
        n = len(erred)
        if n:
            them = "them" if n > 1 else "it"
            print(f"{n} run{'s' * (n > 1)} ended with an error: `lrtui runs --failed` shows {them}")
        print(pages.comparisons_text(runs), end="")
    return 0


def _coloured(file: Any) -> bool:
    """Colour on a terminal, unless NO_COLOR says otherwise."""
    return file.isatty() and not os.environ.get("NO_COLOR")


def _console(file: Any) -> Any:
    """A rich console as wide as the terminal, or wide enough for every column when piped."""
    from rich.console import Console

    return Console(file=file, width=None if file.isatty() else 160)


def cmd_export(args: argparse.Namespace) -> int:
    from lrtui.output import export

    store = _store(args, write=False)
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


def cmd_compare(args: argparse.Namespace) -> int:
    return judging.compare(args, _store(args, write=False), _console(sys.stdout))


def cmd_list(args: argparse.Namespace) -> int:
    from lrtui.output import pages

    width = shutil.get_terminal_size((100, 40)).columns
    sys.stdout.write({"schedulers": pages.schedulers, "presets": pages.presets, "tasks": pages.tasks}[args.what](
        args.name, width))
    return 0

