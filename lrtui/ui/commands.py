"""What the app does with a configuration besides training it: load a preset, save one, show it as code,
export runs, and the command palette that offers all of it. A mixin of LrtuiApp, which holds the state."""
from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.markup import escape
from textual.app import SystemCommand

from lrtui import presets
from lrtui.catalogue import CATALOGUE, Schedule
from lrtui.codegen import snippet
from lrtui.optimizers import OptimizerConfig
from lrtui.params import ConfigError
from lrtui.ui.form import Draft, ParamForm
from lrtui.ui.screens import CodeScreen, NameScreen, PathScreen, PresetPicker
from lrtui.ui.widgets import SchedulerList


class Commands:
    def action_presets(self) -> None:
        def chosen(name: str | None) -> None:
            if name:
                self.run_worker(self._load_preset(name))

        self.push_screen(PresetPicker(), chosen)

    async def _load_preset(self, name: str) -> None:
        try:
            preset = presets.find(name)
        except ConfigError as e:
            self.notify(escape(str(e)), severity="error", timeout=8)
            return
        self.preset = preset
        run = preset.runs[0]
        training = self.training_of(preset)
        self.draft = Draft(run.schedule, run.optimizer, training)
        await self.query_one("#form", ParamForm).load(self.draft)
        self.query_one("#schedulers", SchedulerList).highlighted = list(CATALOGUE).index(run.schedule.name)
        self._describe()
        self._preview()
        self._show_status()
        self.notify(escape(f"{preset.name}: {len(preset.runs)} run(s); c runs them all, r runs the form"), timeout=4)

    def action_save(self) -> None:
        """The form as a preset of one run, or, with a preset loaded, its whole comparison as loaded."""
        d, loaded = self.draft, self.preset
        choices = (("the form: one run", f"all {len(loaded.runs)} runs of {loaded.name}, as loaded")
                   if loaded else ())

        def named(answer: tuple[str, int] | None) -> None:
            if not answer:
                return
            name, choice = answer
            if choice:
                preset = replace(loaded, name=name, path=None)
            else:
                preset = presets.Preset(name, f"{d.schedule.name}, saved from lrtui", d.training, d.optimizer,
                                        (presets.Run(d.schedule.name, d.schedule, d.optimizer),))
            try:
                path = presets.save(preset)
            except OSError as e:
                self.notify(escape(f"cannot save {name}: {e.strerror or e}"), severity="error")
                return
            self.notify(escape(f"saved {path}"), timeout=4)

        self.push_screen(NameScreen("Save as a user preset named:", f"my-{d.schedule.name}", choices), named)

    def action_copy_code(self) -> None:
        """The form's code; with a preset loaded, then each of its runs' as a comparison trains them."""
        d = self.draft
        _, per_epoch = self._length(d)
        parts = [_snippet(d.schedule, d.optimizer, d.training["epochs"], per_epoch, "form" if self.preset else "")]
        if self.preset:
            training = self.training_of(self.preset)
            preset = presets.Preset(self.preset.name, training=training)
            parts += [_snippet(run.schedule, run.optimizer, training["epochs"], preset.steps_per_epoch, run.label)
                      for run in self.preset.runs]
        self.push_screen(CodeScreen("\n\n".join(parts)))

    def action_export(self) -> None:
        import csv

        from lrtui.report import export_csv

        shown = [i for i, v in self.runs.items() if v.shown]
        if not shown:
            self.notify("no run is shown: space in the runs table shows one", severity="warning")
            return

        def write(path: Path) -> None:
            with path.open("w", newline="", encoding="utf-8") as out:
                export_csv(csv.writer(out), [self.store.run(i) for i in shown])

        def written(path: Path | None) -> None:
            if path:
                self.notify(escape(f"exported {len(shown)} run(s) to {path}"), timeout=6)

        self.push_screen(PathScreen(f"Export {len(shown)} shown run(s) as CSV to:",
                                    Path(f"lrtui-runs-{time.strftime('%Y%m%d-%H%M%S')}.csv"), write), written)

    def get_system_commands(self, screen: Any) -> Any:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Copy as code", "the current configuration as plain torch",
                            lambda: self.run_action("copy_code"))
        yield SystemCommand("Export runs", "the shown runs' epochs and steps as CSV", self.action_export)
        for binding in self.BINDINGS:
            if binding.description:
                yield SystemCommand(binding.description, f"key: {binding.key}",
                                    lambda action=binding.action: self.run_action(action))


def _snippet(schedule: Schedule, optimizer: OptimizerConfig, epochs: int, steps_per_epoch: int, label: str) -> str:
    """codegen.snippet, or comment lines saying why it has none."""
    try:
        return snippet(schedule, optimizer, epochs, steps_per_epoch, label)
    except ConfigError as e:
        return "".join(f"# {line}\n" for line in f"{label or schedule.name}: no snippet: {e}".splitlines())
