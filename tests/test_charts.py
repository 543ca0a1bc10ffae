"""The charts draw what textual-plotext would draw, cell for cell and colour for colour."""
import numpy as np
import pytest
from rich.console import Console
from rich.text import Text
from textual.app import App

from lrtui.ui.charts import Chart, Series, colour


class OneChart(App):
    def compose(self):
        yield Chart("lr", id="chart")


def screen(text: Text, width: int) -> str:
    console = Console(width=width, color_system="truecolor", force_terminal=True)
    with console.capture() as capture:
        console.print(text)
    return capture.get()


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
@pytest.mark.parametrize("log", [False, True])
async def test_figure_matches_textual_plotext_rendering(theme, log):
    app = OneChart()
    app.theme = theme
    async with app.run_test(size=(90, 26)) as pilot:
        chart = app.query_one(Chart)
        t = np.arange(2000, dtype=float)
        noisy = np.random.default_rng(0).random(2000) + 0.1
        chart.show([Series("lr", t, 0.1 * 0.5 ** np.floor(t / 500), "gray"),
                    Series("a", t, 0.2 * 0.999 ** t, colour(0)),
                    Series("loss", t, noisy, colour(1), lines=False),
                    Series("val", t[::400], noisy[::400], colour(2), marker="dot", lines=False)], log, "step")
        chart.replot()
        await pilot.pause()
        mine = chart.render()
        reference = Text.from_ansi(chart.plt.build())  # what textual-plotext renders
        reference.right_crop(1)  # its trailing newline
        assert mine.plain == reference.plain
        assert screen(mine, 90) == screen(reference, 90)
        assert len(mine.plain.splitlines()) == 26


def test_a_line_without_its_flat_stretches_draws_the_same():
    from textual_plotext.plot import Plot

    from lrtui.series import without_flats

    t = np.arange(300, dtype=float)
    lr = 0.1 * 0.5 ** np.floor(t / 70)
    lr[150:160] = np.linspace(0.05, 0.2, 10)  # a ramp inside a step schedule

    def canvas(x, y):
        plot = Plot()
        plot.plotsize(80, 20)
        plot.plot(x.tolist(), y.tolist(), marker="braille")
        return plot.build()

    x, y = without_flats(t, lr)
    assert len(y) < 40
    assert canvas(x, y) == canvas(t, lr)
