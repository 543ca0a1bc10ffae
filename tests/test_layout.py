"""80x24, the SSH default, is a good screen: a chart tall enough to read a staircase, five runs with
their key figures, the form whole while it is edited, a whole error message."""
import pytest
from pilot import until
from rich.console import Console
from rich.text import Text

from lrtui.runs.store import Store
from lrtui.ui.app import LrtuiApp
from lrtui.ui.charts import Chart

EPOCH = {"lr": 0.1, "train_loss": 1.0, "val_loss": 0.9, "val_acc": 0.5, "seconds": 0.2, "samples_per_s": 100.0}


@pytest.fixture
def store(tmp_path):
    store = Store.at(tmp_path / "runs")
    for seed in range(6):  # six finished runs in the table
        writer = store.start(f"StepLR seed {seed}", None, {"scheduler": {"name": "StepLR"}}, "spirals", "cpu", "cpu",
                             seed, 4)
        writer.steps(0, [0.1] * 4, None, [1.0] * 4)
        writer.epoch({"epoch": 0, **EPOCH})
        writer.finish("finished")
    return store


def plot_rows(chart: Chart) -> int:
    """The rows inside the chart's frame, as drawn."""
    rows = [row.plain for row in chart.figure]
    top = next(i for i, row in enumerate(rows) if "┌" in row)
    bottom = next(i for i, row in enumerate(rows) if "└" in row)
    return bottom - top - 1


def shown(app, selector: str) -> bool:
    widget = app.query_one(selector)
    return widget.display and widget.region.area > 0


async def test_at_80x24_the_lr_chart_plots_8_rows_and_the_table_shows_5_runs(store):
    app = LrtuiApp(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        chart = app.query_one("#lr-chart", Chart)
        await until(pilot, lambda: chart.drawn and chart.figure)
        assert plot_rows(chart) >= 8
        table = app.query_one("#runs")
        await until(pilot, lambda: table.row_count == 6)  # listed by the store's reader, off the event loop
        assert table.scrollable_content_region.height - 1 >= 5  # under its header, beside any scrollbar
        key_figures = [str(c.label) for c in table.columns.values()][:8]  # the colour, id, label, seed, status,
        assert key_figures[-3:] == ["best val", "best acc", "lr@best"]  # then the figures: on screen
        assert sum(c.get_render_width(table) for c in list(table.columns.values())[:8]) <= table.content_region.width


@pytest.mark.slow
async def test_at_80x24_one_chart_at_a_time_and_v_switches_it(store):
    app = LrtuiApp(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert shown(app, "#lr-chart") and not shown(app, "#loss-chart")
        await pilot.press("v")
        await pilot.pause()
        assert shown(app, "#loss-chart") and not shown(app, "#lr-chart")
        await pilot.press("v")
        await pilot.pause()
        assert shown(app, "#lr-chart") and not shown(app, "#loss-chart")
    wide = LrtuiApp(store=store)
    async with wide.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        assert shown(wide, "#lr-chart") and shown(wide, "#loss-chart")  # room for both
        await pilot.press("v")
        await pilot.pause()
        assert shown(wide, "#lr-chart") and not shown(wide, "#loss-chart")


@pytest.mark.slow
async def test_at_80x24_the_form_takes_the_runs_room_while_edited_and_the_charts_the_width(store):
    app = LrtuiApp(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("tab")  # to the form
        scroll = app.query_one("#fields")

        def visible():
            return [f for f in app.query(".field") if scroll.region.contains_region(f.region)]

        await until(pilot, lambda: not shown(app, "#runs") and len(visible()) >= 12)  # laid out in the room taken
        assert not shown(app, "#runs") and len(visible()) >= 12
        hidden = len(app.query(".field")) - len(visible())  # none cut in half here: 1 row each
        await until(pilot, lambda: app.query_one("#form").border_subtitle == f"↓ {hidden} more")  # the rest said
        await pilot.press("tab")  # to the charts
        await pilot.pause()
        assert not shown(app, "#side") and app.query_one("#lr-chart").size.width == 80
        await pilot.press("tab")  # to the runs
        await pilot.pause()
        assert shown(app, "#runs") and shown(app, "#side")


@pytest.mark.slow
async def test_at_80x24_a_long_error_message_is_read_whole(store):
    app = LrtuiApp(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("tab", "enter", "ctrl+u", *"12345678901234567890.5")
        await pilot.pause()
        help_line = app.query_one("#field-help")
        problem = app.query_one("#form").problem
        assert problem is not None and len(problem.problem) > 60
        lines = Text.from_markup(str(help_line.render())).wrap(Console(), help_line.content_region.width)
        assert len(lines) <= help_line.content_region.height


async def test_an_empty_runs_table_says_how_to_fill_it(tmp_path):
    app = LrtuiApp(store=Store.at(tmp_path / "empty"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "none yet (r trains the form" in str(app.query_one("#runs").border_title)


async def test_at_80x24_a_notification_hides_neither_the_status_line_nor_the_forms_hint(store):
    """A toast once sat over the status line and left half-words beside it (`read▌ seed-four: 4 run(s)`):
    it shows over the charts' top instead, where nothing is read for the three seconds it lasts."""
    from textual.widgets._toast import Toast

    app = LrtuiApp(store=store)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("tab")  # to the form: its hint line under it
        app.notify("seed-four: 4 run(s); c runs them all, r runs the form")
        await until(pilot, lambda: app.query(Toast) and app.query_one(Toast).region.area > 0)
        toast = app.query_one(Toast).region
        for kept in ("#status", "#field-help", "Footer"):
            assert not toast.overlaps(app.query_one(kept).region), kept
        assert toast.overlaps(app.query_one("#plots").region)
