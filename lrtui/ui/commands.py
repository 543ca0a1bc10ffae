"""What the app does with a configuration besides training it: load a preset, save one, show it as code,
export runs, and the command palette that offers all of it. A mixin of LrtuiApp, which holds the state."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rich.markup import escape
from textual.app import SystemCommand

from lrtui import presets
from lrtui.catalogue import CATALOGUE
from lrtui.params import ConfigError
from lrtui.ui.form import Draft, ParamForm
from lrtui.ui.screens import CodeScreen, NameScreen, PresetPicker
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
        training = {**preset.training, **{k: v for k, v in self.overrides.items() if v}}
        self.draft = Draft(run.schedule, run.optimizer, training)
        await self.query_one("#form", ParamForm).load(self.draft)
        self.query_one("#schedulers", SchedulerList).highlighted = list(CATALOGUE).index(run.schedule.name)
        self._describe()
        self._preview()
        self._show_status()
        self.notify(escape(f"{preset.name}: {len(preset.runs)} run(s); c runs them all, r runs the form"), timeout=4)

    def action_save(self) -> None:
        def named(name: str | None) -> None:
            if not name:
                return
            d = self.draft
            preset = presets.Preset(name, f"{d.schedule.name}, saved from lrtui", d.training, d.optimizer,
                                    (presets.Run(d.schedule.name, d.schedule, d.optimizer),))
            path = presets.save(preset)
            self.notify(escape(f"saved {path}"), timeout=4)

        self.push_screen(NameScreen("Save the form as a user preset named:", f"my-{self.draft.schedule.name}"), named)

    def action_copy_code(self) -> None:
        from lrtui.codegen import snippet

        d = self.draft
        _, per_epoch = self._length(d)
        self.push_screen(CodeScreen(snippet(d.schedule, d.optimizer, d.training["epochs"], per_epoch)))

    def action_export(self) -> None:
        import csv

        from lrtui.report import export_csv

        shown = [i for i, v in self.runs.items() if v.shown]
        if not shown:
            self.notify("no run is shown: space in the runs table shows one", severity="warning")
            return
        path = Path.cwd() / f"lrtui-runs-{time.strftime('%Y%m%d-%H%M%S')}.csv"
        with path.open("w", newline="", encoding="utf-8") as out:
            export_csv(csv.writer(out), [self.store.run(i) for i in shown])
        self.notify(escape(f"exported {len(shown)} run(s) to {path}"), timeout=6)

    def get_system_commands(self, screen: Any) -> Any:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Copy as code", "the current configuration as plain torch",
                            lambda: self.run_action("copy_code"))
        yield SystemCommand("Export runs", "the shown runs' epochs and steps as CSV", self.action_export)
        for binding in self.BINDINGS:
            if binding.description:
                yield SystemCommand(binding.description, f"key: {binding.key}",
                                    lambda action=binding.action: self.run_action(action))
