"""What the app looks like at fixed sizes (80x24, 120x40, 160x48), with pinned versions (pyproject.toml).
Update after an intended change of the screen with `pytest tests/test_snapshots.py --snapshot-update`."""
import pytest

from lrtui.store import Store
from lrtui.ui.app import LrtuiApp
from lrtui.ui.charts import Chart


async def settle(pilot):
    """Torch loaded (the status line says so), no blinking cursor, charts drawn."""
    for _ in range(400):
        if pilot.app.torch_ready:
            break
        await pilot.pause(0.05)
    for widget in pilot.app.query("Input"):
        widget.cursor_blink = False
    for _ in range(200):  # the charts are built in threads
        if all(chart.drawn for chart in pilot.app.query(Chart) if chart.size.area):
            break
        await pilot.pause(0.05)
    await pilot.pause(0.3)


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (160, 48)])
def test_first_screen(snap_compare, tmp_path, size):
    app = LrtuiApp(store=Store.at(tmp_path))
    assert snap_compare(app, terminal_size=size, run_before=settle)


def test_help_screen(snap_compare, tmp_path):
    async def open_help(pilot):
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause(0.3)

    assert snap_compare(LrtuiApp(store=Store.at(tmp_path)), terminal_size=(80, 24), run_before=open_help)


def test_the_form_in_use_at_80x24(snap_compare, tmp_path):
    async def edit(pilot):
        await settle(pilot)
        await pilot.press("tab", "down", "down")  # the form takes the runs table's room
        await settle(pilot)

    assert snap_compare(LrtuiApp(store=Store.at(tmp_path)), terminal_size=(80, 24), run_before=edit)
