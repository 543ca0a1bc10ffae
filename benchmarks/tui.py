"""The app's figures, each measured side by side in one run:
- training throughput while the app shows live charts / the headless engine, same job (goal >= 0.95);
- time to the first frame with the scheduler list, beside `import torch` (goal <= 0.6 s);
- one chart redraw with 8 runs of 100k steps, downsampled / all points (goal <= 50 ms);
- key press to screen update while a run trains, p95 (goal <= 50 ms)."""
from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

EPOCHS = 100


def _seconds(store, run_id: int) -> float:
    run = store.run(run_id)
    return sum(e["seconds"] for e in run["epochs"])


def throughput() -> None:
    from lrtui.plan import presets
    from lrtui.plan.planning import jobs
    from lrtui.runs import recorder
    from lrtui.runs.store import Store
    from lrtui.ui.app import LrtuiApp

    store = Store.at(Path(tempfile.mkdtemp()))
    preset = presets.find("seed-four")
    job = jobs(preset, epochs=EPOCHS, device="cpu")[3]
    recorder.run(job, store, lambda e: None, threading.Event())  # warm-up
    headless = []
    for _ in range(2):
        recorder.run(job, store, lambda e: None, threading.Event())
        headless.append(_seconds(store, store.runs()[0]["id"]))

    async def in_app() -> float:
        app = LrtuiApp(preset, store=store, device="cpu")
        async with app.run_test(size=(160, 48)) as pilot:
            app.query_one("#form").query_one("#training-epochs").value = str(EPOCHS)
            await pilot.pause()
            app.query_one("#schedulers").focus()
            await pilot.press("r")
            mine = lambda: [v for v in app.book.runs.values() if v.shown]  # noqa: E731 - stored runs start hidden
            while not mine() or mine()[0].status == "running":
                await pilot.pause(0.1)
            run_id = max(app.book.runs)
            app.action_quit()
        return _seconds(store, run_id)

    tui = [asyncio.run(in_app()) for _ in range(2)]
    ratio = statistics.median(headless) / statistics.median(tui)
    print(f"training under the live app / headless engine ({EPOCHS} epochs of spirals, CPU, seconds in epochs): "
          f"{statistics.median(tui):.2f} s vs {statistics.median(headless):.2f} s, throughput ratio {ratio:.3f} "
          "(goal >= 0.95)")


FIRST_FRAME = """
import time
start = time.perf_counter()
import asyncio, tempfile
from pathlib import Path
from lrtui.runs.store import Store
from lrtui.ui.app import LrtuiApp
async def main():
    app = LrtuiApp(store=Store.at(Path(tempfile.mkdtemp())))
    async with app.run_test(size=(120, 36)) as pilot:
        while app.first_frame is None:
            await pilot.pause(0.01)
        assert app.query_one("#schedulers").option_count
        print(app.first_frame - start)
        app.exit()
asyncio.run(main())
"""


def first_frame() -> None:
    def once(code: str) -> str:
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()

    frames = [once(FIRST_FRAME) for _ in range(3)]
    torch = [float(once("import time; s = time.perf_counter(); import torch; print(time.perf_counter() - s)")[0])
             for _ in range(3)]
    frame = statistics.median(float(f[0]) for f in frames)
    print(f"first frame with the scheduler list: {frame:.2f} s from the start of the script (goal <= 0.6 s); "
          f"`import torch` alone: {statistics.median(torch):.2f} s")


def redraw() -> None:
    """Both charts as the app draws them: 8 runs' lr (lines) and raw loss (points), 100k steps each."""
    from textual.app import App
    from textual.containers import Vertical

    from lrtui.ui.charts import Chart, Series, colour

    rng = np.random.default_rng(0)
    t = np.arange(100_000)
    lr = [Series(f"run {i}", t / 47, 0.1 * 0.5 ** np.floor(t / (10_000 + 2_000 * i)), colour(i)) for i in range(8)]
    loss = [Series(f"run {i}", t / 47, np.exp(-t / (2e4 + 5e3 * i)) + 0.2 * rng.random(100_000), colour(i),
                   lines=False) for i in range(8)]

    class Bench(App):
        def compose(self):
            with Vertical():
                yield Chart("lr", id="lr")
                yield Chart("loss", id="loss")

    async def measure() -> tuple[float, float]:
        app = Bench()
        async with app.run_test(size=(160, 48)) as pilot:
            charts = [(app.query_one("#lr", Chart), lr), (app.query_one("#loss", Chart), loss)]
            await pilot.pause()
            times = []
            for _ in range(5):
                start = time.perf_counter()
                for chart, series in charts:
                    chart.show(series, False, "epoch")
                    chart.replot()  # plotext builds the figure in the chart's thread
                while not all(chart.drawn for chart, _ in charts):
                    await asyncio.sleep(0.001)
                times.append(time.perf_counter() - start)
            start = time.perf_counter()
            for chart, series in charts:  # the naive way: every point, joined by lines
                chart.plt.clear_figure()
                for s in series:
                    chart.plt.plot(s.x.tolist(), s.y.tolist(), color=s.colour, marker="braille")
                chart.plt.build()
            naive = time.perf_counter() - start
        return statistics.median(times), naive

    fast, naive = asyncio.run(measure())
    print(f"redraw of both charts, 8 runs x 100k steps at 160x48: {fast * 1e3:.0f} ms downsampled vs "
          f"{naive * 1e3:.0f} ms with every point (goal <= 50 ms)")


def key_latency() -> None:
    from lrtui.runs.store import Store
    from lrtui.ui.app import LrtuiApp

    async def measure() -> list[float]:
        app = LrtuiApp(store=Store.at(Path(tempfile.mkdtemp())), device="cpu")
        async with app.run_test(size=(160, 48)) as pilot:
            app.query_one("#training-epochs").value = "500"
            await pilot.pause()
            app.query_one("#schedulers").focus()
            await pilot.press("r")
            while not app.book.runs or len(next(iter(app.book.runs.values())).loss) < 500:
                await pilot.pause(0.05)
            chart = app.query_one("#lr-chart")
            times = []
            for _ in range(30):  # from the key to the chart rebuilt for the other x axis
                want = "epoch" if chart.xlabel == "step" else "step"
                start = time.perf_counter()
                app.simulate_key("x")
                while chart.xlabel != want or not chart.drawn:
                    await asyncio.sleep(0.001)
                times.append(time.perf_counter() - start)
                await asyncio.sleep(0.1)
            app.action_quit()
        return times

    times = sorted(asyncio.run(measure()))
    p95 = times[int(0.95 * (len(times) - 1))]
    print(f"key press to screen update while training: median {statistics.median(times) * 1e3:.0f} ms, "
          f"p95 {p95 * 1e3:.0f} ms (goal p95 <= 50 ms)")


def main() -> None:
    first_frame()
    redraw()
    key_latency()
    throughput()


if __name__ == "__main__":
    main()
