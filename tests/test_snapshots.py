"""What the app looks like at fixed sizes (80x24, 120x40, 160x48), with pinned versions (pyproject.toml).
Update after an intended change of the screen with `pytest tests/test_snapshots.py --snapshot-update`."""
import pytest
from pilot import until

from lrtui.plan import planning
from lrtui.runs.store import Store
from lrtui.ui.app import LrtuiApp
from lrtui.ui.charts import Chart


async def settle(pilot):
    """Torch loaded (the status line says so), no blinking cursor, the app redrawn from its newest data
    (no redraw pending: the table and status line with it) and its charts drawn from that."""
    app = pilot.app
    await until(pilot, lambda: app.torch_ready)
    for widget in app.query("Input"):
        widget.cursor_blink = False
    await until(pilot, lambda: not app.charts_dirty  # the charts are built in threads
                and all(chart.drawn for chart in app.query(Chart) if chart.size.area))


@pytest.mark.slow
@pytest.mark.parametrize("size", [(80, 24), (120, 40), (160, 48)])
def test_first_screen(snap_compare, tmp_path, size):
    app = LrtuiApp(store=Store.at(tmp_path))
    assert snap_compare(app, terminal_size=size, run_before=settle)


def test_help_screen(snap_compare, tmp_path):
    async def open_help(pilot):
        await settle(pilot)
        await pilot.press("question_mark")
        await until(pilot, lambda: type(pilot.app.screen).__name__ == "HelpScreen")

    assert snap_compare(LrtuiApp(store=Store.at(tmp_path)), terminal_size=(80, 24), run_before=open_help)


@pytest.mark.slow
def test_the_form_in_use_at_80x24(snap_compare, tmp_path):
    async def edit(pilot):
        await settle(pilot)
        await pilot.press("tab", "down", "down")  # the form takes the runs table's room
        await settle(pilot)

    assert snap_compare(LrtuiApp(store=Store.at(tmp_path)), terminal_size=(80, 24), run_before=edit)


@pytest.mark.slow
def test_a_comparison_over_seeds_at_80x24(snap_compare, tmp_path):
    """Three schedules x three seeds in the store: a row per schedule with the verdict's columns, the
    first one's seeds listed under it and drawn as their mean and range, the verdict on the status line."""
    import math

    from lrtui.plan import presets

    store = Store.at(tmp_path)
    preset = presets.find("seed-four")
    preset = presets.Preset("three", training=preset.training, runs=preset.runs[1:])
    for job in planning.jobs(preset, epochs=4, seeds=3, comparison="c0ffee00"):
        rank = [r.label for r in preset.runs].index(job.label)
        writer = store.start(job.label, preset.name, job.config, "spirals", "cpu", "cpu", job.seed, 4 * 10,
                             comparison=job.comparison, group=job.group)
        for epoch in range(4):
            losses = [1.1 / (1 + 0.1 * (epoch * 10 + i)) + 0.05 * rank + 0.01 * job.seed for i in range(10)]
            writer.steps(epoch * 10, [0.1 * math.cos(epoch / 8)] * 10, None, losses)
            writer.epoch({"epoch": epoch, "lr": 0.1, "train_loss": sum(losses) / 10, "val_loss": losses[-1] + 0.02,
                          "val_acc": 0.5 + 0.1 * epoch, "seconds": 0.5, "samples_per_s": 12000.0})
        writer.finish("finished")

    async def show(pilot):
        await settle(pilot)
        table = pilot.app.query_one("#runs")
        await until(pilot, lambda: table.row_count == 3)
        table.focus()
        await pilot.press("enter", "space")
        await until(pilot, lambda: all(v.lr for v in pilot.app.book.runs.values() if v.shown))
        pilot.app.query_one("#schedulers").focus()
        await settle(pilot)

    assert snap_compare(LrtuiApp(store=store), terminal_size=(80, 24), run_before=show)
