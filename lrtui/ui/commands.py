"""What the app does with a configuration besides training it: save it as a preset, show it (or a
comparison's winner) as code, export runs as CSV. Each is given what it needs (the app only to show its dialog and say how it went)."""
from __future__ import annotations

import csv
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable

from rich.markup import escape
from textual.app import App

from lrtui.judge.verdict import Comparison, Metric
from lrtui.output import pages, tables, words
from lrtui.output.export import export_csv
from lrtui.output.snippets import snippet, stored_snippet
from lrtui.plan import presets
from lrtui.plan.draft import Draft
from lrtui.schedule.catalogue import Schedule
from lrtui.schedule.optimizers import OptimizerConfig
from lrtui.schedule.params import ConfigError
from lrtui.ui.screens import CodeScreen, NameScreen, PathScreen, ResultScreen


def save(app: App, draft: Draft, loaded: presets.Preset | None) -> None:
    """The form as a preset of one run, or, with a preset loaded, its whole comparison as loaded."""
    choices = ("the form: one run", f"all {len(loaded.runs)} runs of {loaded.name}, as loaded") if loaded else ()

    def named(answer: tuple[str, int] | None) -> None:
        if not answer:
            return
        name, choice = answer
        if choice:
            preset = replace(loaded, name=name, path=None)
        else:
            preset = presets.Preset(name, f"{draft.schedule.name}, saved from lrtui", draft.training, draft.optimizer,
                                    (presets.Run(draft.schedule.name, draft.schedule, draft.optimizer),))
        try:
            path = presets.save(preset)
        except OSError as e:
            app.notify(escape(f"cannot save {name}: {e.strerror or e}"), severity="error")
            return
        app.notify(escape(f"saved {path}"), timeout=4)

    app.push_screen(NameScreen("Save as a user preset named:", f"my-{draft.schedule.name}", choices), named)


def code(app: App, draft: Draft, loaded: presets.Preset | None) -> None:
    """The form's code; with a preset loaded (its training settings as the app trains it), then each of its
    runs' as a comparison trains them."""
    parts = [_snippet(draft.schedule, draft.optimizer, draft.training["epochs"],
                      presets.Preset("", training=draft.training).steps_per_epoch, "form" if loaded else "")]
    if loaded:
        parts += [_snippet(run.schedule, run.optimizer, loaded.training["epochs"], loaded.steps_per_epoch, run.label)
                  for run in loaded.runs]
    app.push_screen(CodeScreen("\n\n".join(parts)))


def export(app: App, read: Callable[[int], dict], run_ids: list[int]) -> None:
    """The runs' epochs and steps (`read` gives a stored run by id) as CSV, to a file the user names."""
    if not run_ids:
        app.notify("no run is shown: space in the runs table shows one", severity="warning")
        return

    def write(path: Path) -> None:
        with path.open("w", newline="", encoding="utf-8") as out:
            export_csv(csv.writer(out), [read(i) for i in run_ids])

    def written(path: Path | None) -> None:
        if path:
            app.notify(escape(f"exported {len(run_ids)} run(s) to {path}"), timeout=6)

    app.push_screen(PathScreen(f"Export {len(run_ids)} shown run(s) as CSV to:",
                               Path(f"lrtui-runs-{time.strftime('%Y%m%d-%H%M%S')}.csv"), write), written)


def sweep_results(app: App, views: list, metric: Metric, width: int) -> None:
    """The result view of the latest sweep the app holds (its runs' points): the metric against one
    swept key, a table of two, or the comparison table of more."""
    from lrtui.judge import scores
    from lrtui.output import sweep_views

    swept = [v for v in views if v.config.get("point") and v.comparison]
    if not swept:
        app.notify("no sweep yet: load a preset with a [sweep] table and press c (or run lrtui sweep)",
                   severity="warning")
        return
    latest = [v for v in swept if v.comparison == swept[-1].comparison]
    try:
        judged = scores.judge([v.entry() for v in latest], metric)
    except ConfigError as e:
        app.notify(escape(f"sweep {latest[0].comparison}: {e.problem}"), severity="warning")
        return
    runs = [{"group": v.group, "config": v.config} for v in latest]
    view = sweep_views.view(judged, runs, width, colour=False) or tables.comparison_table(judged)
    app.push_screen(ResultScreen(f"sweep {latest[0].comparison}", view,
                                 pages.comparison_text(judged, len(latest), latest[0].comparison)))


def winner(app: App, comparison: Comparison | None, config: dict | None) -> None:
    """The code of the latest comparison's winner (its best mean, said as no verdict where it is not one)."""
    if comparison is None or config is None:
        app.notify("no comparison of several seeds yet: c runs the preset's runs on the form's seeds",
                   severity="warning")
        return
    head = f"# the winner, by {comparison.metric.label}: {words.verdict(comparison.verdict)}\n"
    app.push_screen(CodeScreen(head + stored_snippet(config, comparison.verdict.best or "")))


def _snippet(schedule: Schedule, optimizer: OptimizerConfig, epochs: int, steps_per_epoch: int, label: str) -> str:
    """codegen.snippet, or comment lines saying why it has none."""
    try:
        return snippet(schedule, optimizer, epochs, steps_per_epoch, label)
    except ConfigError as e:
        return "".join(f"# {line}\n" for line in f"{label or schedule.name}: no snippet: {e}".splitlines())
