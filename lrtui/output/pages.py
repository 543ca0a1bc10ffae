"""Pages of words: the `list` pages, a range test's finding, a comparison's verdict, a failed run."""
from __future__ import annotations

import textwrap

from lrtui.engine import first_line
from lrtui.engine.events import Status
from lrtui.judge.findings import ADVICE, SUGGESTIONS, TOO_FLAT, Finding
from lrtui.judge.verdict import Comparison
from lrtui.output import words
from lrtui.paths import SHIPPED_PRESETS
from lrtui.plan.config import RunConfig
from lrtui.plan.presets import available
from lrtui.schedule.catalogue import CATALOGUE
from lrtui.schedule.params import REQUIRED, ConfigError
from lrtui.schedule.recipes import DECAY_SHAPES


def finding_text(finding: Finding, run: dict) -> str:
    """What a stored range test found, in words: how the sweep ended, the suggestions, how to use them."""
    config, n = run["config"], len(finding.lr)
    steps = config["sweep"]["steps"]
    status = run["status"]
    if status in (Status.STOPPED, Status.FAILED, Status.INTERRUPTED):
        ended = (f"{'stopped by you' if status == Status.STOPPED else status} after {n} of {steps} steps"
                 + (f": {first_line(run['error'])}" if run["error"] else ""))
    elif n < steps:
        ended = f"the loss diverged at lr {finding.lr[-1]:.2e}, after {n} of {steps} steps"
    else:
        ended = f"swept all {steps} steps"
    sweep = config["sweep"]
    out = [f"LR range test of {config['optimizer']['name']} on {config['training']['task']}, lr {sweep['start_lr']:g} "
           f"to {sweep['end_lr']:g} ({sweep['mode']}): {ended}"]
    for name, lr in finding.suggestions.items():
        out.append(f"  {name:<9} {'-' if lr is None else format(lr, '.2e')}" + "   <- suggested" * (name == SUGGESTIONS[0]))
    if finding.suggestion is None:
        out.append(f"  {TOO_FLAT}" if finding.flat else
                   "  too few steps to suggest an lr: give the sweep more --steps or a wider range")
    return "\n".join(out + textwrap.wrap(ADVICE, 100)) + "\n"


def schedulers(name: str | None, width: int) -> str:
    if name:
        from lrtui.schedule.catalogue import lookup

        spec = lookup(name)
        out = [f"{spec.name}  ({spec.kind}, stepped per {spec.unit} by default)", ""]
        out += textwrap.wrap(spec.description, width - 2)
        if spec.recipe:
            out += ["", "lr factor at step t (each line may use those before it):", *(f"    {r}" for r in spec.recipe)]
            if any("{shape}" in r for r in spec.recipe):
                out.append("    where {shape} is " + "; ".join(f"{k}: {v}" for k, v in DECAY_SHAPES.items()))
        out += ["", "parameters:"]
        for p in spec.params:
            default = "required" if p.default is REQUIRED else f"default {p.default!r}"
            out += [f"  {p.name} ({default}): {p.help}", f"      {p.rule_text()}"]
        warmup = ("not accepted: " + spec.no_warmup if spec.no_warmup else
                  "its own parameter (--warmup N sets it)" if spec.has("warmup") else "accepted (--warmup N)")
        out += ["", f"warmup: {warmup}"]
        if spec.momentum:
            out.append("also cycles momentum (SGD, RMSprop) or beta1 (Adam, AdamW): the preview shows it")
        return "\n".join(out) + "\n"
    out = []
    for title, kind in (("torch.optim.lr_scheduler", "torch"), ("composites", "composite"),
                        ("recipes (LambdaLR over a formula)", "recipe")):
        out.append(title)
        out += [f"  {s.name:<28} {s.unit:<6} {s.summary}"[:width] for s in CATALOGUE.values() if s.kind == kind]
    return "\n".join(out) + "\n`lrtui list schedulers NAME` shows one in detail.\n"


def presets(name: str | None, width: int) -> str:
    from lrtui.plan.presets import load

    out = []
    for stem, path in available().items():
        where = "shipped" if path.parent == SHIPPED_PRESETS else "user"
        try:
            p = load(path)
            summary = f"{len(p.runs)} run{'s' * (len(p.runs) > 1)}  {p.description}"
        except ConfigError as e:  # a broken user preset is listed with its problem, not fatal
            summary = f"refused: {str(e).removeprefix(f'{path}: ')}"
        out.append(f"  {stem:<20} {where:<8} {summary}"[:width])
    return "\n".join(out or ["no presets found"]) + "\n"


def tasks(name: str | None, width: int) -> str:
    from lrtui.tasks import BUILTIN

    lines = [f"  {n:<18} {summary}"[:width] for n, (_, summary, _) in BUILTIN.items()]
    lines.append("  path/to/file.py:build  your own model and data (command line only; see README)"[:width])
    return "\n".join(lines) + "\n"


def comparison_text(comparison: Comparison, runs: int, comparison_id: str | None) -> str:
    """What the table measures, and the verdict, in words."""
    unfinished = max((len(p.unfinished) for p in comparison.pairs), default=0)
    where = f"comparison {comparison_id}, " if comparison_id else ""
    return (f"{comparison.metric.described} over seeds: {where}{runs} runs"
            + (f", {unfinished} seed(s) unfinished in some pair (left out)" if unfinished else "")
            + (f", {len(comparison.pruned)} pruned by successive halving (out of the verdict)"
               if comparison.pruned else "")
            + f"; vs best: how much worse on the seeds both ran\nverdict: {words.verdict(comparison.verdict)}\n")


def comparisons_text(runs: list[dict], most: int = 3) -> str:
    """The latest comparisons over several seeds among stored `runs` (newest first), a line each."""
    seeded: dict[str, list[dict]] = {}
    for run in runs:
        if run["comparison"] and RunConfig.of(run["config"]).seeded:
            seeded.setdefault(run["comparison"], []).append(run)
    lines = [f"comparison {c}: {len(rs)} runs, {len({r['group'] for r in rs})} schedules x "
             f"{len(RunConfig.of(rs[0]['config']).seeds)} seeds: `lrtui compare --comparison {c}`"
             for c, rs in list(seeded.items())[:most]]
    return "".join(f"{line}\n" for line in lines)


def failure(run: dict, skipped: int = 0) -> str:
    """A failed run in one line: why, and the runs of its preset that were not started after it."""
    if not skipped:
        return f"run {run['id']} {run['label']} failed: {first_line(run['error'])}"
    others = f"the other {skipped} runs of {run['preset']} were" if skipped > 1 else \
        f"the other run of {run['preset']} was"
    return (f"run {run['id']} {run['label']} failed before its first step: {first_line(run['error'])}; {others} "
            "not started (the same task would fail the same way)")
