"""The app never dies: stored runs of every kind, losses that are not finite, bad input in any field,
and an unexpected error (which exits 1 with the traceback in a log, every run kept)."""
import asyncio
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pilot import started, until

from lrtui.engine.events import EpochEnded, RunEnded, Steps
from lrtui.plan import presets
from lrtui.runs.store import Store
from lrtui.ui import app as app_module
from lrtui.ui.app import LrtuiApp
from lrtui.ui.charts import Chart
from lrtui.ui.messages import TrainingEvents

PER_EPOCH = 47  # spirals' batches of 128


def stored_run(store, label, status, losses, val_losses=(), error=None, seed=0, comparison=None):
    """A run written to the store as the engine writes one: `losses` per step, an epoch ended every
    PER_EPOCH steps with the next of `val_losses`; with `comparison`, the run of group `label` on `seed`
    of a comparison over seeds 0, 1 and 2."""
    config = {"scheduler": {"name": "StepLR", "params": {"step_size": 30}},
              "training": {"task": "spirals", "batch_size": 128, "seed": seed, "seeds": [0, 1, 2]}}
    writer = store.start(label, None, config, "spirals", "cpu", "cpu", seed, len(losses), comparison=comparison,
                         group=comparison and label)
    for first in range(0, len(losses), PER_EPOCH):
        part = losses[first:first + PER_EPOCH]
        writer.steps(first, [0.1] * len(part), None, part)
        epoch = first // PER_EPOCH
        if len(part) == PER_EPOCH and epoch < len(val_losses):
            writer.epoch({"epoch": epoch, "lr": 0.1, "train_loss": float(np.mean(part)),
                          "val_loss": val_losses[epoch], "val_acc": 0.5, "seconds": 0.1, "samples_per_s": 1e4})
    if status == "interrupted":  # left running by a process that is gone
        gone = subprocess.Popen([sys.executable, "-c", ""])
        gone.wait()
        with store.connect() as db:
            db.execute("UPDATE runs SET pid = ? WHERE id = ?", (gone.pid, writer.run_id))
    else:
        writer.finish(status, error)
    return writer.run_id


@pytest.mark.slow
async def test_a_comparison_over_seeds_with_runs_of_every_ending_is_grouped_judged_and_drawn(store):
    for seed, (status, losses, vals) in enumerate([("diverged", falling(PER_EPOCH) + [math.nan], [1.0]),
                                                   ("failed", [], ()), ("interrupted", falling(PER_EPOCH + 5), [1.0])]):
        stored_run(store, "odd", status, losses, vals, seed=seed, comparison="c1")
        stored_run(store, "even", "finished", falling(2 * PER_EPOCH), [1.0, 0.9 + 0.01 * seed], seed=seed,
                   comparison="c1")
    app = LrtuiApp(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one("#runs")
        await until(pilot, lambda: len(app.book.runs) == 6 and table.row_count == 2)
        judged = app.judged["c1"]
        assert judged.verdict.best == "even" and judged.pairs[0].n == 2 and judged.pairs[0].unfinished == (2,)
        assert "verdict: not enough seeds yet" in app.query_one("#status").text
        table.focus()
        await pilot.press("space", "enter")  # the first schedule shown, its seeds listed under it
        await until(pilot, lambda: table.row_count == 5)
        await pilot.press("down", "down", "down", "down", "space", "enter")  # then the second
        await until(pilot, lambda: table.row_count == 8)
        await until(pilot, lambda: all(v.lr for v in app.book.runs.values() if v.status != "failed"))
        await drawn(pilot)
        for key in ("g", "v", "g", "M", "M", "M", "M"):  # every seed, the loss chart, the bands, every metric
            await pilot.press(key)
            await drawn(pilot)
        assert app.is_running and app.metric.name == "final_val_loss"


def falling(n):
    return [2.0 * 0.99 ** i for i in range(n)]


async def drawn(pilot):
    """Until the app has redrawn from its newest data (no redraw pending) and every chart with room on
    screen shows a figure built from it (in its thread)."""
    await until(pilot, lambda: not pilot.app.charts_dirty
                and all(c.drawn for c in pilot.app.query(Chart) if c.size.area))


def y_labels(chart):
    """The tick labels left of the chart's y axis."""
    return [line.split("┤")[0].strip() for line in chart.render().plain.splitlines() if "┤" in line]


@pytest.mark.slow
async def test_stored_runs_of_every_status_are_shown_and_drawn(store):
    blow_up = falling(2 * PER_EPOCH) + [1e3, 6.5e7, 2.7e31, math.nan]
    stored_run(store, "at step 0", "diverged", [math.nan])
    stored_run(store, "blow-up", "diverged", blow_up, [1.0, 0.9])
    stored_run(store, "mid-epoch", "stopped", falling(PER_EPOCH + 20), [1.0])
    stored_run(store, "nan val", "finished", falling(2 * PER_EPOCH), [math.nan, math.inf])
    stored_run(store, "failed", "failed", [], error="RuntimeError: boom")
    stored_run(store, "interrupted", "interrupted", falling(PER_EPOCH + 5), [1.0])
    app = LrtuiApp(store=store)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: len(app.book.runs) == 6)  # listed by the store's reader, off the event loop
        assert {v.label: v.status for v in app.book.runs.values()} == {
            "at step 0": "diverged", "blow-up": "diverged", "mid-epoch": "stopped", "nan val": "finished",
            "failed": "failed", "interrupted": "interrupted"}
        table = app.query_one("#runs")
        table.focus()
        for _ in app.book.runs:
            await pilot.press("space", "down")
        await until(pilot, lambda: all(v.lr for v in app.book.runs.values() if v.label != "failed"))  # read in a worker
        await drawn(pilot)
        assert app.is_running and all(view.shown for view in app.book.runs.values())
        lr_chart, loss_chart = app.query_one("#lr-chart", Chart), app.query_one("#loss-chart", Chart)
        assert {s.label for s in lr_chart.series} == {"preview", "at step 0", "blow-up", "mid-epoch", "nan val",
                                                      "interrupted"}  # the failed run has no steps
        for smooth in (False, True):
            if smooth:
                await pilot.press("m")
                await until(pilot, lambda: app.chart.smooth)
                await drawn(pilot)
            for chart in (lr_chart, loss_chart):
                assert len(chart.render().plain.splitlines()) == chart.size.height
            assert max(map(len, y_labels(loss_chart))) <= 6  # the blow-up is off the top, not on the axis
            mark = next(s for s in loss_chart.series if s.label == "blow-up diverged")
            assert mark.marker == "x" and mark.x.tolist() == [(len(blow_up) - 2) / PER_EPOCH]  # its last finite step
            shown = max(float(np.nanmax(s.y)) for s in loss_chart.series if len(s.y) and np.isfinite(s.y).any())
            assert shown == pytest.approx(2.0)  # the highest loss before the lowest: the first
        blown = next(v for v in app.book.runs.values() if v.label == "blow-up")
        assert math.isnan(blown.loss[-1]) and blown.loss[-2] == 2.7e31  # the data is kept whole

        live = [started(999, "live", 5, PER_EPOCH), Steps("k999", 0, (0.1,) * 3, None, (2.0, 1e30, math.inf))]
        app.post_message(TrainingEvents(live))  # as the training process reports a run reaching inf
        await until(pilot, lambda: any(s.label == "live diverged" for s in loss_chart.series))
        await drawn(pilot)
        mark = next(s for s in loss_chart.series if s.label == "live diverged")
        assert mark.x.tolist() == [1 / PER_EPOCH] and max(map(len, y_labels(loss_chart))) <= 6
        app.post_message(TrainingEvents([RunEnded("k999", "diverged")]))
        await until(pilot, lambda: app.book.runs[999].status == "diverged")
        assert app.is_running and app.book.runs[999].status == "diverged"


HUGE = "9" * 3000  # an integer no float holds


@pytest.mark.parametrize("scheduler, key, value", [
    ("CosineAnnealingLR", "eta_min", HUGE), ("CosineAnnealingLR", "eta_min", "9" * 5000),
    ("StepLR", "step_size", HUGE), ("StepLR", "step_size", str(2 ** 63)), ("MultiStepLR", "milestones", f"[{HUGE}]"),
], ids=["float", "past-the-parser", "int", "int64+1", "int-list"])
def test_a_number_too_large_for_its_field_is_bad_input_on_the_command_line(cli, scheduler, key, value):
    code, out, err = cli("preview", scheduler, "--set", f"{key}={value}")
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and f"{key}: {scheduler} needs" in err and len(err) < 200


def field(app, key):
    return app.query_one(f"#{key}").parent


async def type_into(pilot, key, text):
    widget = pilot.app.query_one(f"#{key}")
    widget.focus()
    widget.value = text
    await pilot.pause()


async def pick(pilot, name):
    from lrtui.schedule.catalogue import CATALOGUE

    schedulers = pilot.app.query_one("#schedulers")
    schedulers.highlighted = list(CATALOGUE).index(name)
    schedulers.focus()
    await pilot.press("enter")
    await pilot.pause()


def message_line(app):
    return str(app.query_one("#field-help").render())


def cli_problem(cli, *argv):
    """What `lrtui preview ARGV` refuses, as the app's message line would say it (exit 2 asserted)."""
    code, _, err = cli("preview", *argv)
    assert code == 2
    return err.strip().split(": ", 2)[2]


@pytest.mark.slow
async def test_the_form_refuses_what_the_command_line_refuses_and_keeps_r_save_and_copy_refused(store, cli):
    too_large = cli_problem(cli, "CosineAnnealingLR", "--set", f"eta_min={HUGE}")  # (the app captures output)
    below_zero = cli_problem(cli, "LambdaLR", "--set", 'lr_lambda="1 - epoch/50"')
    past_the_run = cli_problem(cli, "wsd", "--set", "warmup=5000", "--steps-per-epoch", "47")
    app = LrtuiApp(store=store)
    notes = []
    notify = app.notify
    app.notify = lambda message, **kw: (notes.append(str(message)), notify(message, **kw))
    async with app.run_test(size=(120, 36)) as pilot:
        good = app.draft
        await type_into(pilot, "scheduler-eta_min", HUGE)  # one field's own rule
        assert app.is_running and app.draft == good and field(app, "scheduler-eta_min").has_class("-invalid")
        assert too_large in message_line(app)

        async def refused(problem_field):
            """r, ctrl+s and Copy as code dimmed and refused, saying why; only `problem_field` marked."""
            assert [f.query_one("Input").id for f in app.query(".field.-invalid")] == [problem_field]
            app.query_one("#schedulers").focus()
            for action in ("run", "save", "copy_code"):
                assert app.check_action(action, ()) is None  # dimmed in the footer
            await pilot.press("r", "ctrl+s")
            await app.run_action("copy_code")  # as the command palette runs it
            await pilot.pause()
            assert type(app.screen).__name__ == "MainScreen" and not app.book.queue and not app.book.runs
            assert len(notes) == 3 and all("refused" in n for n in notes)
            notes.clear()

        await refused("scheduler-eta_min")
        await type_into(pilot, "scheduler-eta_min", "[/b]")  # markup in a value is shown as it is
        assert 'got "[/b]"' in message_line(app)
        await type_into(pilot, "scheduler-eta_min", "0.0")
        await type_into(pilot, "training-task", "[/b]")
        await until(pilot, lambda: "[/b]  100 epochs" in str(app.query_one("#status").render()))
        assert "[/b]  100 epochs" in str(app.query_one("#status").render())
        await type_into(pilot, "training-task", "spirals")
        for text in ("1e999", "inf", "2.5", "-1"):  # the run's warmup: an integer >= 0 (1e999 killed the app)
            await type_into(pilot, "run-warmup", text)
            assert app.is_running and app.draft.schedule.warmup == 0
            assert [f.query_one("Input").id for f in app.query(".field.-invalid")] == ["run-warmup"]
            assert "warmup" in message_line(app) and "integer >= 0" in message_line(app)
        await type_into(pilot, "run-warmup", "0")
        assert app.check_action("run", ()) and not app.query(".field.-invalid")

        await pick(pilot, "LambdaLR")  # a rule of the whole curve: its lr may not go below zero
        await type_into(pilot, "scheduler-lr_lambda", "1 - epoch/50")
        assert below_zero in message_line(app)
        assert app.curve.lr.min() >= 0  # the preview is not drawn below zero
        await refused("scheduler-lr_lambda")

        await pick(pilot, "wsd")  # a rule across fields: the warmup and the run's length
        await type_into(pilot, "scheduler-warmup", "5000")
        assert past_the_run in message_line(app)
        assert not notes  # on the message line, not in toasts
        await refused("scheduler-warmup")
        saved = set(presets.available())
        await type_into(pilot, "scheduler-warmup", "500")
        assert not app.query(".field.-invalid") and app.check_action("save", ())
        app.query_one("#schedulers").focus()
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("enter")
        await until(pilot, lambda: set(presets.available()) - saved == {"my-wsd"})
        assert presets.find("my-wsd").runs[0].schedule.params["warmup"] == 500


class Crashing(LrtuiApp):
    """The app with a handler that raises once its run has stored an epoch; run headless."""

    CSS_PATH = Path(app_module.__file__).with_name(LrtuiApp.CSS_PATH)

    def on_torch_ready(self, _) -> None:
        self.action_run()

    def on_training_events(self, message) -> None:
        if any(isinstance(e, EpochEnded) for e in message.events):
            raise RuntimeError("boom in a handler")

    def run(self, **_):
        return super().run(headless=True, size=(120, 36))


@pytest.mark.slow
def test_an_unexpected_error_exits_1_with_one_line_naming_the_log_and_keeps_the_run(cli, tmp_path, monkeypatch):
    monkeypatch.setattr("lrtui.ui.app.LrtuiApp", Crashing)
    code, out, err = cli("--runs-dir", str(tmp_path / "runs"))
    log = tmp_path / "runs" / "lrtui-crash.log"
    assert code == 1
    assert err.count("\n") == 1 and str(log) in err and "RuntimeError: boom in a handler" in err
    text = log.read_text()
    assert "Traceback (most recent call last)" in text and "in on_training_events" in text
    [run] = Store.at(tmp_path / "runs").runs()
    assert run["status"] == "stopped" and run["n_epochs"] >= 1  # the run in progress, stopped and kept


TEXTS = st.one_of(st.text(max_size=12), st.sampled_from([
    "", "-1", "0", "0.5", "1e308", "1e-320", "nan", "inf", "-inf", "9" * 30, HUGE, "[1, 2]", "[]", "[0.9, 2]",
    "auto", "true", "{", '"', "[/b]", "1 - epoch/50", "epoch ** 99", "10000000", "step", "Adam", "cpu",
    '[{"name": 1}]']))
KEYS = st.sampled_from(["tab", "shift+tab", "up", "down", "home", "end", "enter", "escape", "space", "backspace",
                        "l", "m", "x", "j", "k", "o", "?", "p", "r", "s", "f", "a", "A", "c", "delete", "n", "ctrl+s"])
STEPS = st.lists(st.one_of(st.tuples(st.just("type"), st.integers(0, 40), TEXTS), st.tuples(st.just("key"), KEYS)),
                 max_size=10)


@pytest.mark.slow
async def test_random_text_in_every_field_and_random_keys_never_kill_the_app(store):
    from lrtui.plan import presets
    from lrtui.schedule.catalogue import CATALOGUE, starter
    from lrtui.schedule.optimizers import validate_optimizer

    # two epochs: the runs r and c start end within the storm (their endings are part of it), and no
    # hundred-epoch run trains on beside the rest of the suite
    storm = presets.Preset("storm", training=presets.training_settings({}, epochs=2),
                           runs=(presets.Run("CosineAnnealingLR", starter("CosineAnnealingLR"), validate_optimizer({})),))
    app = LrtuiApp(storm, store=store, device="cpu")
    async with app.run_test(size=(120, 36)) as pilot:
        loop = asyncio.get_running_loop()

        async def drive(scheduler, steps):
            while len(app.screen_stack) > 1:
                app.pop_screen()
            await pick(pilot, scheduler)
            for step in steps:
                if step[0] == "type":
                    inputs = app.screen.query("Input")  # of a dialog too: not by id, which queries the form's screen
                    if inputs:
                        widget = inputs[step[1] % len(inputs)]
                        widget.focus()
                        widget.value = step[2]
                        await pilot.pause()
                else:
                    await pilot.press(step[1])
            await pilot.pause()

        @settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(st.sampled_from(list(CATALOGUE)), STEPS)
        def alive_after(scheduler, steps):
            asyncio.run_coroutine_threadsafe(drive(scheduler, steps), loop).result(timeout=60)
            assert app.is_running and app.crash is None

        await asyncio.to_thread(alive_after)
        await pilot.press("s")
