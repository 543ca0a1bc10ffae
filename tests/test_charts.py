"""The charts draw what textual-plotext would draw, cell for cell and colour for colour, built in a thread
with a key above them drawn by the chart."""
import threading

import numpy as np
import pytest
from pilot import until
from rich.cells import cell_len
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


def rows(chart: Chart) -> list[Text]:
    return list(chart.render().split("\n", allow_blank=True))


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
        await until(pilot, lambda: chart.drawn)
        key, *figure = rows(chart)
        mine = Text("\n").join(figure)
        reference = Text.from_ansi(chart.plt.build())  # what textual-plotext renders, below the key
        reference.right_crop(1)  # its trailing newline
        assert mine.plain == reference.plain
        assert screen(mine, 90) == screen(reference, 90)
        assert len(figure) == 25 and key.plain.startswith("lr (log10)  ━ lr" if log else "lr  ━ lr")


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("values", [[1.0, 1e308, 2.0], [-1e308, 1e308, 0.0], [1e-320, 2e-320, 3e-320],
                                    [0.1, 1e-320, 0.05]], ids=["huge", "huge span", "subnormal", "decayed to subnormal"])
async def test_finite_values_plotext_cannot_scale_are_drawn_without_killing_the_chart(values, log):
    """plotext raises on magnitudes near the float maximum (an lr typed as 1e308, a loss blowing up)
    and on subnormals (an lr decayed past 1e-308): such points are off the chart, or zero."""
    app = OneChart()
    async with app.run_test(size=(90, 26)) as pilot:
        chart = app.query_one(Chart)
        chart.show([Series("lr", np.arange(3.0), np.array(values), "gray"),
                    Series("x", np.array([0.0, 1e308, 2.0]), np.array([1.0, 2.0, 3.0]), colour(0))], log, "step")
        chart.replot()
        await until(pilot, lambda: chart.drawn)
        assert app.is_running and len(rows(chart)) == 26


def run_series(t, lr_scale=1.0):
    """A chart's series as the app gives them: the preview, a run with its validation dots and a diverged run
    (its loss not finite at the end) with its x, and a run whose label extends another's, each run in its
    colour."""
    loss = np.exp(-t / 300) * lr_scale
    blown = loss.copy()
    blown[-50:] = np.inf
    return [Series("preview", t, loss / 2, "gray"),
            Series("3 cosine lr=0.1", t, loss, colour(3)),
            Series("3 cosine lr=0.1 val", t[::100], loss[::100], colour(3), marker="dot", lines=False),
            Series("4 step", t, blown, colour(4), lines=False),
            Series("4 step diverged", t[-51:-50], blown[-51:-50], colour(4), marker="x", lines=False),
            Series("4 step long", t, loss / 4, colour(5))]  # not run 4's: another colour


@pytest.mark.parametrize("width", [120, 30])
async def test_the_key_names_each_run_once_in_its_colour_and_fits_the_width(width):
    app = OneChart()
    async with app.run_test(size=(width, 20)) as pilot:
        chart = app.query_one(Chart)
        chart.show(run_series(np.arange(1000, dtype=float)), False, "step")
        chart.replot()
        await until(pilot, lambda: chart.drawn)
        key, *figure = rows(chart)
        whole = "lr  ━ preview  ━ 3 cosine lr=0.1  • 4 step  ━ 4 step long"
        if width > len(whole):
            assert key.plain.rstrip() == whole
        else:
            assert key.plain.endswith("…") and whole.startswith(key.plain[:-1])
        assert cell_len(key.plain) == width and len(figure) == 19
        drawn = {span.style.color for line in figure for span in line.spans if span.style.color}
        named = {}
        for label in ("preview", "3 cosine lr=0.1", "4 step", "4 step long"):
            at = key.plain.find(f" {label}") + 1
            if at > 0 and at + len(label) < width:
                named[label] = key.get_style_at_offset(app.console, at).color
        assert len(named) == (4 if width > len(whole) else 1)
        assert len(set(named.values())) == len(named) and set(named.values()) <= drawn  # each its curve's colour


async def test_builds_run_one_at_a_time_the_newest_of_the_size_wins(monkeypatch):
    """While a build runs the figure is the last built (blank before the first); data and a size asked for
    meanwhile are built once it ends, only the newest."""
    release, started, asked, running = threading.Event(), threading.Event(), [], [0, 0]
    draw = Chart._draw

    def held(self, job):
        running[0] += 1
        running[1] = max(running)
        asked.append(([s.label for s in job.series], job.width))
        started.set()
        release.wait(10)
        try:
            return draw(self, job)
        finally:
            running[0] -= 1

    monkeypatch.setattr(Chart, "_draw", held)
    app = OneChart()
    try:
        async with app.run_test(size=(80, 20)) as pilot:
            chart = app.query_one(Chart)
            await until(pilot, started.is_set)
            t = np.arange(1000, dtype=float)
            small, large = run_series(t), run_series(t, 1000.0)
            chart.show(small, False, "step")
            chart.replot()
            chart.show(large, False, "step")
            chart.replot()
            await pilot.resize_terminal(100, 24)
            await until(pilot, lambda: chart.size.width == 100)
            key, *figure = rows(chart)
            assert len(figure) == 23 and not "".join(line.plain for line in figure).strip()  # nothing built yet
            assert not chart.drawn
            release.set()
            await until(pilot, lambda: chart.drawn)
            labels = [s.label for s in large]
            assert asked == [([], 80), (labels, 100)] and running[1] == 1
            key, *figure = rows(chart)
            assert len(figure) == 23 and max(len(line) for line in figure) == 100
            assert "1000" in "".join(line.plain for line in figure)  # the large losses' y axis
    finally:
        release.set()


async def test_a_build_that_ends_late_for_old_data_does_not_replace_the_newer_figure():
    app = OneChart()
    async with app.run_test(size=(80, 20)) as pilot:
        chart = app.query_one(Chart)
        t = np.arange(1000, dtype=float)
        chart.show(run_series(t), False, "step")
        chart.replot()
        await until(pilot, lambda: chart.drawn)
        old = (chart.shown, chart.figure)
        chart.show(run_series(t, 1000.0), False, "step")
        chart.replot()
        await until(pilot, lambda: chart.drawn)
        new = screen(chart.render(), 80)
        chart.post_message(Chart.Built(*old, 0.5))
        await pilot.pause()
        assert screen(chart.render(), 80) == new and chart.drawn and chart.build_seconds == 0.5


def test_a_line_without_its_flat_stretches_draws_the_same():
    from textual_plotext.plot import Plot

    from lrtui.runs.series import without_flats

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


async def test_the_chart_is_rebuilt_in_a_new_theme():
    app = OneChart()
    async with app.run_test(size=(80, 20)) as pilot:
        chart = app.query_one(Chart)
        chart.show(run_series(np.arange(1000, dtype=float)), False, "step")
        chart.replot()
        await until(pilot, lambda: chart.drawn)
        dark = screen(chart.render(), 80)
        app.theme = "textual-light"
        await until(pilot, lambda: chart.drawn and screen(chart.render(), 80) != dark)
        key, *figure = rows(chart)
        reference = Text.from_ansi(chart.plt.build())
        reference.right_crop(1)
        assert screen(Text("\n").join(figure), 80) == screen(reference, 80)
