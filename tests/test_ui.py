"""The app, driven by keys through Textual's Pilot; assertions on its state, the store and torch."""

import numpy as np
import pytest
import torch
from pilot import field_input, set_field, until
from torch_truth import torch_lrs

from lrtui.judge import findings
from lrtui.plan import presets
from lrtui.schedule.catalogue import CATALOGUE, validate
from lrtui.schedule.optimizers import validate_optimizer
from lrtui.schedule.preview import preview
from lrtui.ui.app import LrtuiApp
from lrtui.ui.charts import Chart
from lrtui.ui.form import Field, ParamForm
from lrtui.ui.main_screen import MainScreen


async def run_to_finished(pilot, epochs):
    """A run of the form with `epochs` epochs, started with r and waited for."""
    app = pilot.app
    await set_field(pilot, "training", "epochs", str(epochs))
    app.query_one("#schedulers").focus()
    await pilot.press("r")
    await until(pilot, lambda: app.book.runs and next(iter(app.book.runs.values())).status == "finished")


async def start_long_run(pilot):
    """A 500-epoch run under way: one epoch done."""
    app = pilot.app
    await set_field(pilot, "training", "epochs", "500")
    app.query_one("#schedulers").focus()
    await pilot.press("r")
    await until(pilot, lambda: app.book.runs and len(next(iter(app.book.runs.values())).epochs) >= 1)


async def test_starts_on_cosine_with_its_exact_preview(store):
    app = LrtuiApp(store=store)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert app.draft.schedule.name == "CosineAnnealingLR"
        truth = torch_lrs(lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=100), 100)  # T_max auto
        assert np.allclose(app.curve.lr, truth, rtol=1e-12, atol=0)
        chart = app.query_one("#lr-chart", Chart)
        await until(pilot, lambda: chart.series)  # drawn at the app's next redraw
        assert chart.series[0].label == "preview"


@pytest.mark.slow
async def test_picking_a_scheduler_from_the_keyboard_rebuilds_the_form_and_preview(store):
    app = LrtuiApp(store=store)
    async with app.run_test(size=(120, 36)) as pilot:
        app.query_one("#schedulers").focus()
        await pilot.press("home", "enter")  # StepLR, the first entry
        await pilot.pause()
        assert app.draft.schedule.name == "StepLR"
        assert field_input(app, "scheduler", "step_size").value == "30"
        assert {f.param.name for f in app.query(Field) if f.section == "scheduler"} == {"step_size", "gamma"}
        expected = preview(validate("StepLR", {"step_size": 30}), validate_optimizer({}), 100).lr
        assert np.allclose(app.curve.lr, expected)
        assert app.focused.id == "scheduler-step_size"  # Enter hands over to the form's first field
        app.query_one("#schedulers").focus()
        await pilot.press("j", "j", "k")  # j/k move in the list too
        assert app.query_one("#schedulers").highlighted == 1


async def test_a_bad_value_marks_the_field_and_keeps_the_last_good_configuration(store):
    app = LrtuiApp(store=store)
    async with app.run_test(size=(120, 36)) as pilot:
        await set_field(pilot, "scheduler", "eta_min", "0.01")
        good = app.draft
        assert good.schedule.params["eta_min"] == 0.01
        await set_field(pilot, "scheduler", "eta_min", "-1")
        field = field_input(app, "scheduler", "eta_min").parent
        assert field.has_class("-invalid")
        assert app.draft == good and app.curve.lr[-1] > 0.01 - 1e-12
        assert "got -1" in str(app.query_one("#field-help").render())
        await set_field(pilot, "scheduler", "eta_min", "0.02")
        assert not field.has_class("-invalid") and app.draft.schedule.params["eta_min"] == 0.02
        assert app.curve.lr.min() == pytest.approx(0.02, abs=1e-3)


@pytest.mark.slow
async def test_warmup_and_interval_fields_change_the_preview(store):
    app = LrtuiApp(store=store)
    async with app.run_test(size=(120, 36)) as pilot:
        await set_field(pilot, "run", "warmup", "5")
        assert app.curve.lr[0] == pytest.approx(0.1 / 6)
        await set_field(pilot, "run", "interval", "step")
        assert len(app.curve.lr) == 100 * 47  # spirals: 47 batches of 128 per epoch
        await set_field(pilot, "run", "interval", "hourly")
        assert field_input(app, "run", "interval").parent.has_class("-invalid")
        assert app.draft.schedule.interval == "step"


async def test_a_run_goes_from_running_to_finished_into_the_table_and_the_store(store):
    app = LrtuiApp(store=store)
    async with app.run_test(size=(120, 36)) as pilot:
        await run_to_finished(pilot, 3)
        run = next(iter(app.book.runs.values()))
        stored = store.run(run.id)
        assert stored["status"] == "finished" and len(stored["epochs"]) == 3
        assert [e["lr"] for e in stored["epochs"]] == pytest.approx(list(app.curve.lr[:3]))
        table = app.query_one("#runs")
        await until(pilot, lambda: table.row_count == 1 and "finished" in [str(c) for c in table.get_row_at(0)], 2)


@pytest.mark.slow
async def test_stop_ends_the_run_within_a_batch_and_keeps_it(store):
    app = LrtuiApp(store=store)
    async with app.run_test(size=(120, 36)) as pilot:
        await start_long_run(pilot)
        await pilot.press("s")
        await until(pilot, lambda: next(iter(app.book.runs.values())).status == "stopped", 10)
        assert store.runs()[0]["status"] == "stopped"
        assert store.runs()[0]["n_epochs"] < 500


async def test_compare_runs_every_run_of_a_loaded_preset(store, tmp_path):
    path = tmp_path / "two.toml"
    path.write_text('name = "two"\n[training]\nepochs = 2\n[optimizer]\nname = "SGD"\nlr = 0.1\n'
                    '[[runs]]\nlabel = "step"\nscheduler = { name = "StepLR", params = { step_size = 1 } }\n'
                    '[[runs]]\nlabel = "cos"\nscheduler = { name = "CosineAnnealingLR" }\n')
    app = LrtuiApp(presets.load(path), store=store)
    async with app.run_test(size=(120, 36)) as pilot:
        app.action_compare()  # what c does (the keys' test presses it), read before any run can end
        table = app.query_one("#runs")
        assert table.row_count == 0 and not app.book.queue and app.busy  # both in training, batched: none waits
        await until(pilot, lambda: len(app.book.runs) == 2 and all(v.status == "finished" for v in app.book.runs.values()), 60)
        assert sorted(v.label for v in app.book.runs.values()) == ["cos", "step"]
        step = next(v for v in app.book.runs.values() if v.label == "step")
        assert [e["lr"] for e in step.epochs] == pytest.approx([0.1, 0.01])
        await until(pilot, lambda: table.row_count == 2, 3)  # no queued row left


@pytest.mark.slow
async def test_preset_picker_loads_and_ctrl_s_saves_a_user_preset(store):
    app = LrtuiApp(store=store)
    async with app.run_test(size=(120, 36)) as pilot:
        app.query_one("#schedulers").focus()
        await pilot.press("p")
        await pilot.pause()
        names = sorted(presets.available())
        for _ in range(names.index("one-cycle")):
            await pilot.press("down")
        await pilot.press("enter")
        await until(pilot, lambda: app.preset is not None and app.preset.name == "one-cycle")
        assert app.draft.schedule.name == "OneCycleLR"
        assert field_input(app, "scheduler", "max_lr").value == str(app.preset.runs[0].schedule.params["max_lr"])
        app.query_one("#schedulers").focus()
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("enter")  # the suggested name
        await until(pilot, lambda: "my-OneCycleLR" in presets.available())
        saved = presets.find("my-OneCycleLR")
        assert saved.runs[0].schedule == app.draft.schedule


@pytest.mark.slow
async def test_toggle_keys_and_help(store):
    app = LrtuiApp(store=store)
    async with app.run_test(size=(120, 36)) as pilot:
        app.query_one("#schedulers").focus()
        chart = app.query_one("#lr-chart", Chart)
        await pilot.press("l")
        await until(pilot, lambda: chart.log_scale)
        assert app.query_one("#lr-chart", Chart).log_scale
        await pilot.press("x")
        await until(pilot, lambda: chart.xlabel == "step")
        assert app.query_one("#lr-chart", Chart).xlabel == "step"
        await pilot.press("m")
        assert app.chart.smooth
        await pilot.press("question_mark")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "MainScreen"


@pytest.mark.slow
@pytest.mark.child_process
async def test_quit_during_a_run_stops_it_keeps_it_and_the_training_process_ends_itself(store):
    app = LrtuiApp(store=store)
    async with app.run_test(size=(120, 36)) as pilot:
        await start_long_run(pilot)
        await pilot.press("q")
        await until(pilot, lambda: not app.is_running)
    assert app.session.trainer.stop.is_set()
    assert app.session.trainer.process.exitcode == 0  # it ended on its own once told, not killed (that is -SIGTERM)
    assert store.runs()[0]["status"] == "stopped"


@pytest.mark.slow
@pytest.mark.child_process
async def test_a_killed_training_process_is_said_its_run_interrupted_and_a_new_one_trains_the_queue(store):
    import os
    import signal

    app = LrtuiApp(store=store)
    notes = []
    notify = app.notify
    app.notify = lambda message, **kw: (notes.append(str(message)), notify(message, **kw))
    async with app.run_test(size=(120, 36)) as pilot:
        await start_long_run(pilot)
        await set_field(pilot, "training", "epochs", "1")
        app.query_one("#schedulers").focus()
        await pilot.press("r")  # queued behind the long run
        await until(pilot, lambda: len(app.book.queue) == 1)
        [first], killed = app.book.training, app.session.trainer
        os.kill(killed.process.pid, signal.SIGKILL)
        await until(pilot, lambda: app.session.trainer is not killed)
        assert any("the training process died (killed by signal 9) during" in n for n in notes), notes
        assert app.book.runs[first].status == "interrupted" and not app.torch_ready
        await until(pilot, lambda: len(app.book.runs) == 2 and app.book.runs[max(app.book.runs)].status == "finished",
                    seconds=60)  # the queued run, trained by the new process
        assert app.session.trainer.process.is_alive() and app.torch_ready
    assert {r["id"]: r["status"] for r in store.runs()} == {first: "interrupted", first + 1: "finished"}


@pytest.mark.slow
async def test_every_scheduler_gets_a_form_from_its_declaration(store):
    from lrtui.schedule.catalogue import starter
    from lrtui.ui.form import Draft

    app = LrtuiApp(store=store)
    async with app.run_test(size=(120, 36)) as pilot:
        form = app.query_one("#form", ParamForm)
        for name, spec in CATALOGUE.items():
            schedule = starter(name)
            await form.load(Draft(schedule, app.draft.optimizer, app.draft.training))
            await pilot.pause()
            fields = [f for f in app.query(Field) if f.section == "scheduler"]
            assert [f.param.name for f in fields] == [p.name for p in spec.params]
            assert not any(f.has_class("-invalid") for f in fields)


@pytest.mark.slow
async def test_copy_as_code_shows_the_snippet_of_the_form_and_export_writes_the_shown_runs(store, tmp_path,
                                                                                            monkeypatch):
    from lrtui.output.snippets import snippet

    monkeypatch.chdir(tmp_path)
    app = LrtuiApp(store=store)
    async with app.run_test(size=(120, 36)) as pilot:
        await set_field(pilot, "scheduler", "eta_min", "0.001")
        await set_field(pilot, "training", "epochs", "2")
        await until(pilot, lambda: app.draft.training["epochs"] == 2)  # the form's check has run
        app.action_copy_code()
        await pilot.pause()
        d = app.draft
        assert app.screen.query_one("#code").text == snippet(d.schedule, d.optimizer, 2, 47)
        await pilot.press("escape")
        app.query_one("#schedulers").focus()
        await pilot.press("r")
        await until(pilot, lambda: app.book.runs and next(iter(app.book.runs.values())).status == "finished")
        app.action_export()
        await pilot.pause()
        await pilot.press("enter")  # the path it offers
        await pilot.pause()
        exported = list(tmp_path.glob("lrtui-runs-*.csv"))
        assert len(exported) == 1
        rows = exported[0].read_text().splitlines()
        assert rows[0].startswith("run_id,label,kind") and sum(",epoch," in r for r in rows) == 2


@pytest.mark.slow
async def test_stored_runs_are_listed_hidden_and_drawn_once_shown(store):
    app = LrtuiApp(store=store)
    async with app.run_test(size=(120, 36)) as pilot:
        await run_to_finished(pilot, 2)
    app = LrtuiApp(store=store)  # a new session: the run is in the store only
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: app.book.runs)  # listed by the store's reader, off the event loop
        view = next(iter(app.book.runs.values()))
        assert view.status == "finished" and not view.shown and len(view.epochs) == 2 and not view.lr
        table = app.query_one("#runs")
        table.focus()
        await pilot.press("space")
        await until(pilot, lambda: view.lr)  # its steps read in a worker
        assert view.shown and len(view.lr) == 2 * 47
        chart = app.query_one("#lr-chart", Chart)
        await until(pilot, lambda: len(chart.series) == 2)  # drawn at the app's next redraw
        assert [s.label for s in chart.series] == ["preview", view.label]


@pytest.mark.slow
async def test_the_line_under_the_form_says_what_the_highlighted_scheduler_does(store):
    """Browsing does not load a scheduler: the line says which one the form holds until Enter loads it."""
    app = LrtuiApp(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        app.query_one("#schedulers").focus()
        await pilot.press("home")
        await pilot.pause()
        form = app.query_one("#form")
        held = app.draft.schedule.name
        assert held != "StepLR" and form.border_title == f"{held} parameters"
        line = str(app.query_one("#field-help").render())
        assert line.startswith("↑↓ browse, Enter loads it:\nStepLR: ") and CATALOGUE["StepLR"].summary in line
        await pilot.press("enter")
        await until(pilot, lambda: app.draft.schedule.name == "StepLR")
        assert form.border_title == "StepLR parameters"
        app.query_one("#schedulers").focus()
        await pilot.press("down", "up")
        await pilot.pause()
        line = str(app.query_one("#field-help").render())
        assert line.startswith("↑↓ browse, Enter edits, r runs:\nStepLR: ") and CATALOGUE["StepLR"].summary in line


@pytest.mark.slow
async def test_f_runs_the_range_test_and_a_puts_its_suggestion_in_the_form(store):
    from lrtui.judge.findings import analyse

    app = LrtuiApp(store=store, device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        await set_field(pilot, "optimizer", "momentum", "0.9")
        app.query_one("#schedulers").focus()
        await pilot.press("f")
        await until(pilot, lambda: app.range_test.finding is not None)
        stored = store.run(app.range_test.sweep.id)
        assert stored["kind"] == "find" and stored["config"]["optimizer"]["momentum"] == 0.9
        assert app.range_test.finding == analyse(stored["steps"]["lr"], stored["steps"]["loss"], app.range_test.settings.smooth)
        assert app.range_test.sweep.id not in app.book.runs  # a range test is not a schedule's run: not in the table
        chart = app.query_one("#lr-chart", Chart)
        await until(pilot, lambda: chart.title == "LR range test (finished): loss against lr"
                    and [s.label for s in chart.series] == ["loss", "smoothed", "minimum", "steepest"]
                    and "a sets lr" in str(app.query_one("#status").render()))
        assert chart.title == "LR range test (finished): loss against lr" and chart.log_x
        assert f"a sets lr {app.range_test.finding.suggestion:.3g}, A steepest" in str(app.query_one("#status").render())
        assert [s.label for s in chart.series] == ["loss", "smoothed", "minimum", "steepest"]
        assert chart.series[2].x[0] == app.range_test.finding.suggestions["minimum"]
        await pilot.press("a")
        suggested = app.range_test.finding.suggestions["minimum"]
        assert field_input(app, "optimizer", "lr").value == f"{suggested:.3g}"
        assert app.draft.optimizer.lr == pytest.approx(suggested, rel=5e-3)
        assert app.draft.optimizer.params["momentum"] == 0.9
        await until(pilot, lambda: chart.series[0].label == "preview"
                    and chart.series[0].y[0] == pytest.approx(suggested, rel=5e-3))  # the new preview
        await pilot.press("A")  # the steepest suggestion, into OneCycleLR's max_lr once it is picked
        assert app.draft.optimizer.lr == pytest.approx(app.range_test.finding.suggestions["steepest"], rel=5e-3)
        app.query_one("#schedulers").highlighted = list(CATALOGUE).index("OneCycleLR")
        app.query_one("#schedulers").focus()
        await pilot.press("enter")
        await pilot.pause()
        app.query_one("#schedulers").focus()
        await pilot.press("a")
        assert app.draft.schedule.name == "OneCycleLR"
        assert app.draft.schedule.params["max_lr"] == pytest.approx(suggested, rel=5e-3)


@pytest.mark.slow
async def test_a_range_test_is_stopped_by_s_and_escape_goes_back_to_the_schedule(store):
    from lrtui.plan.range_test import Sweep

    app = LrtuiApp(store=store, device="cpu")
    app.range_test.settings = Sweep(start_lr=1e-7, end_lr=1e-6, steps=10_000)  # never diverges, runs for a while
    async with app.run_test(size=(120, 36)) as pilot:
        app.query_one("#schedulers").focus()
        await pilot.press("f")
        await until(pilot, lambda: "range test: step" in str(app.query_one("#status").render()))
        await pilot.press("s")
        await until(pilot, lambda: app.range_test.finding is not None)
        assert app.range_test.sweep.status == "stopped" and store.run(app.range_test.sweep.id)["status"] == "stopped"
        chart = app.query_one("#lr-chart", Chart)
        await until(pilot, lambda: chart.title.startswith("LR range test (stopped)"))
        assert app.query_one("#lr-chart", Chart).title.startswith("LR range test (stopped)")
        await pilot.press("escape")
        await until(pilot, lambda: chart.series and chart.series[0].label == "preview")
        assert app.query_one("#lr-chart", Chart).series[0].label == "preview"
        await run_to_finished(pilot, 1)  # the training process goes on with the next job


@pytest.mark.slow
async def test_F_sets_the_sweep_refusing_a_bad_value_then_runs_it(store):
    app = LrtuiApp(store=store, device="cpu")
    async with app.run_test(size=(120, 36)) as pilot:
        app.query_one("#schedulers").focus()
        await pilot.press("F")
        await pilot.pause()
        steps = app.screen.query_one("#sweep-steps")
        steps.value = "3"
        steps.focus()
        await pilot.press("enter")
        assert steps.parent.has_class("-invalid") and app.range_test.sweep is None  # refused: the dialog stays
        assert "steps" in str(app.screen.query_one("#sweep-problem").render())
        steps.value = "30"
        app.screen.query_one("#sweep-end_lr").value = "1.0"
        await pilot.press("enter")
        await until(pilot, lambda: app.range_test.finding is not None)
        stored = store.run(app.range_test.sweep.id)["config"]["sweep"]
        assert (stored["steps"], stored["end_lr"]) == (30, 1.0) and app.range_test.settings.steps == 30
        assert max(app.range_test.finding.lr) <= 1.0 and len(app.range_test.finding.lr) <= 30


def test_every_key_is_in_the_help_and_the_readme():
    """The help is made from the bindings: every key of the app and of its panes is in it with what it
    does; the README lists the app's keys (the palette's among them) and the lists'."""
    import re
    from pathlib import Path

    from rich.text import Text

    from lrtui.ui.runs_table import RunsTable
    from lrtui.ui.screens import PANES, keys_text
    from lrtui.ui.widgets import SchedulerList

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    helped = " ".join(Text.from_markup(keys_text(MainScreen.BINDINGS)).plain.split())  # as the dialog wraps it, in one line
    in_panes = {cls for _, classes, _ in PANES for cls in classes}
    assert {SchedulerList, RunsTable} <= in_panes
    for binding in [*MainScreen.BINDINGS, *(b for cls in in_panes for b in cls.BINDINGS)]:
        keys = "/".join({"question_mark": "?"}.get(k, k) for k in binding.key.split(","))
        said = binding.tooltip or binding.description
        assert said and re.search(f"(^| ){re.escape(keys)} +{re.escape(said)}", helped, re.IGNORECASE), keys
    assert re.search("ctrl\\+p +palette", helped)
    listed = [*MainScreen.BINDINGS, *SchedulerList.BINDINGS, *RunsTable.BINDINGS]
    for key in [LrtuiApp.COMMAND_PALETTE_BINDING, *(k for b in listed for k in b.key.split(","))]:
        key = {"question_mark": "?"}.get(key, key)
        assert f"`{key}`" in readme, key


def _stored_run(store, seed, params=None):
    config = {"preset": "mine", "scheduler": {"name": "StepLR", "params": params or {"step_size": 10}},
              "interval": "epoch", "warmup": 0, "optimizer": {"name": "SGD", "lr": 0.1},
              "training": {"task": "spirals", "epochs": 2, "batch_size": 64, "seed": seed, "device": "cpu"}}
    writer = store.start("StepLR", "mine", config, "spirals", "cpu", "cpu", seed, 1)
    writer.epoch({"epoch": 0, "lr": 0.1, "train_loss": 1.0, "val_loss": 0.5, "val_acc": 0.25, "seconds": 1.0,
                  "samples_per_s": 100.0})
    writer.finish("finished")


async def test_runs_that_differ_only_in_seed_show_their_seeds_at_80_columns(store):
    _stored_run(store, 1)
    _stored_run(store, 2)
    _stored_run(store, 1, {"step_size": 10, "gamma": 0.123456789, "last_epoch": -1})  # a long label
    app = LrtuiApp(store=store, device="cpu")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.query_one("#runs")
        cells = {str(table.get_cell(str(i), "id")): [str(table.get_cell(str(i), c)) for c in ("label", "seed", "preset")]
                 for i in (1, 2, 3)}
        assert cells["1"] == ["StepLR gamma=0.1 seed 1", "1", "mine"] and cells["2"][:2] == ["StepLR gamma=0.1 seed 2", "2"]
        assert "gamma=0.123" in cells["3"][0] and len(cells["3"][0]) <= 24
        widths = [c.get_render_width(table) for c in table.columns.values()]
        shown = [c.label.plain for c in table.columns.values()][:sum(sum(widths[:i + 1]) <= 80 - 2
                                                                      for i in range(len(widths)))]
        assert {"id", "label", "seed", "status", "best val", "best acc", "lr@best"} <= set(shown)  # inside the border


@pytest.mark.parametrize("focus", ["#schedulers", "#runs"])
async def test_every_key_the_footer_shows_at_80_columns_is_whole(store, focus):
    from textual.widgets import Footer

    _stored_run(store, 1)
    app = LrtuiApp(store=store, device="cpu")
    async with app.run_test(size=(80, 24)) as pilot:
        app.query_one(focus).focus()

        def footer_drawn():
            """Every key the footer holds laid out and on its line as drawn."""
            line = app.screen._compositor.render_strips()[-1].text
            keys = list(app.query_one(Footer).query("FooterKey"))
            return keys and all(k.region.width for k in keys) and all(
                f"{k.key_display} {k.description}" in line for k in keys)

        await until(pilot, footer_drawn)
        text = app.screen._compositor.render_strips()[-1].text  # the footer's line as drawn
        keys = list(app.query_one(Footer).query("FooterKey"))
        assert keys and all(k.region.right <= 80 for k in keys)  # none cut at the edge
        regions = sorted((k.region.x, k.region.right) for k in keys)
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(regions, regions[1:]))  # none over another
        for k in keys:
            assert f"{k.key_display} {k.description}" in text, k.description


async def test_three_notifications_leave_one_toast_over_the_charts_top(store):
    from textual.widgets._toast import Toast

    app = LrtuiApp(store=store, device="cpu")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        for message in ("first", "second", "third"):
            app.notify(message)
        await until(pilot, lambda: [t.region.area > 0 for t in app.screen.query(Toast)] == [True])  # laid out
        toasts = list(app.screen.query(Toast))
        assert len(toasts) == 1 and "third" in str(toasts[0].render())
        status, plots = app.query_one("#status").region, app.query_one("#plots").region
        toast = toasts[0].region
        assert toast.y <= plots.y + 2 and toast.bottom <= status.y  # at the charts' top, above the status line


@pytest.mark.slow
async def test_t_tries_the_range_tests_lrs_by_training_and_a_then_applies_the_best(store):
    """After f, t trains the form's schedule at each suggestion and a factor of 3 around them (batched,
    one comparison in the store); once they end, a puts in the lr whose run ended lowest."""
    from lrtui.plan import range_test

    app = LrtuiApp(store=store, device="cpu")
    async with app.run_test(size=(160, 48)) as pilot:
        app.range_test.settings = range_test.sweep({"steps": 200, "check_epochs": 1})
        app.query_one("#schedulers").focus()
        await pilot.press("f")
        await until(pilot, lambda: app.range_test.finding is not None)
        assert app.range_test.finding.suggestion is not None
        assert "t tries them" in str(app.query_one("#status").render())
        await pilot.press("t")
        await until(pilot, lambda: app.range_test.checked is not None, seconds=60)
        runs = store.comparison(app.range_test.check)
        assert {r["config"]["point"]["optimizer.lr"] for r in runs} == set(findings.candidates(app.range_test.finding))
        final = {r["config"]["point"]["optimizer.lr"]: r["epochs"][-1]["val_loss"] for r in runs}
        assert app.range_test.checked == min(final, key=final.get)
        assert "(checked best)" in str(app.query_one("#status").render())
        await pilot.press("a")
        assert app.draft.optimizer.lr == pytest.approx(app.range_test.checked, rel=5e-3)
