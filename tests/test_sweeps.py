"""Sweeps: a search space over a preset's runs (a grid, random draws from the seed), every point
checked through the catalogue before anything trains; `lrtui sweep` trains the points as one
comparison and ends with its verdict; bad input exits 2 with one line naming the key and the rule."""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from lrtui.plan import presets, search_space
from lrtui.plan.planning import jobs
from lrtui.schedule.catalogue import starter
from lrtui.schedule.optimizers import validate_optimizer
from lrtui.schedule.params import ConfigError

STEP = presets.Run("StepLR", starter("StepLR"), validate_optimizer({"name": "SGD", "lr": 0.1}))


def test_a_grid_is_the_product_of_its_values_and_random_keys_are_drawn_from_the_seed():
    space = search_space.space({"gamma": [0.1, 0.5], "step_size": [5, 10, 20], "optimizer.lr": {"log_uniform": [0.01, 1.0]},
                          "warmup": {"int_uniform": [0, 3]}, "samples": 4})
    points = list(space.points(seed=7))
    assert space.size == len(points) == 2 * 3 * 4
    assert {(p["scheduler.params.gamma"], p["scheduler.params.step_size"]) for p in points} == {
        (g, s) for g in (0.1, 0.5) for s in (5, 10, 20)}
    draws = {(p["optimizer.lr"], p["warmup"]) for p in points}
    assert len(draws) == 4  # each draw with every grid point
    assert all(0.01 <= lr <= 1.0 and isinstance(w, int) and 0 <= w <= 3 for lr, w in draws)
    assert points == list(space.points(seed=7)) and points != list(space.points(seed=8))


def test_log_uniform_draws_are_uniform_in_the_log():
    axis = search_space.axis("optimizer.lr", {"log_uniform": [1e-4, 1.0]})
    import random

    rng = random.Random(0)
    logs = [math.log10(axis.draw(rng)) for _ in range(4000)]
    below = sum(x < -2 for x in logs) / len(logs)  # half of [-4, 0] in the log
    assert 0.46 < below < 0.54


@pytest.mark.parametrize("key, value, rule", [
    ("nope.x", [1], "is no key a sweep can set"),
    ("optimizer.nope", [1], "is no key a sweep can set"),
    ("gamma", [], "an empty grid"),
    ("gamma", {"uniform": [0.9, 0.1]}, "low <= high"),
    ("optimizer.lr", {"log_uniform": [0, 1]}, "cannot reach zero"),
    ("optimizer.lr", {"log_uniform": [-1, 1]}, "cannot reach zero"),
    ("warmup", {"int_uniform": [0, 2.5]}, "two integers"),
    ("gamma", {"normal": [0, 1]}, "a list of values or one of"),
    ("gamma", {"uniform": [0, "x"]}, "two finite numbers"),
    ("gamma", 0.5, "a list of values"),
])
def test_a_bad_key_or_value_is_refused_naming_the_key_and_the_rule(key, value, rule):
    with pytest.raises(ConfigError) as info:
        search_space.space({key: value})
    assert info.value.key == search_space.path(key) and rule in info.value.problem


def test_a_point_the_catalogue_refuses_is_named_with_the_rule():
    with pytest.raises(ConfigError) as info:
        list(search_space.point_runs((STEP,), search_space.space({"gamma": [0.5, -5.0]}), seed=0))
    assert info.value.key == "scheduler.params.gamma" and "point gamma=-5 of StepLR" in info.value.problem
    with pytest.raises(ConfigError) as info:
        list(search_space.point_runs((STEP,), search_space.space({"T_max": [5]}), seed=0))
    assert "StepLR has no parameter 'T_max'" in info.value.problem


def test_each_point_is_a_run_with_the_points_values_set():
    [low, high] = search_space.point_runs((STEP,), search_space.space({"gamma": [0.2, 0.7], "optimizer.momentum": [0.9],
                                                            "warmup": [2]}), seed=0)
    assert (low.label, high.label) == ("StepLR gamma=0.2 momentum=0.9 warmup=2", "StepLR gamma=0.7 momentum=0.9 warmup=2")
    assert low.schedule.params["gamma"] == 0.2 and low.schedule.warmup == 2
    assert low.optimizer.params["momentum"] == 0.9 and low.optimizer.lr == 0.1  # the rest as the run had it


SWEPT = '''name = "swept"
[training]
epochs = 2
seeds = 2
[[runs]]
scheduler = { name = "StepLR", params = { step_size = 1 } }
[sweep]
gamma = [0.1, 0.5]
"optimizer.lr" = { log_uniform = [0.01, 0.3] }
samples = 2
'''


def test_a_presets_sweep_plans_every_point_over_its_seeds_and_round_trips(tmp_path: Path):
    path = tmp_path / "swept.toml"
    path.write_text(SWEPT)
    preset = presets.load(path)
    plan = jobs(preset)
    assert len(plan) == 2 * 2 * 2 and len({job.group for job in plan}) == 4  # points x seeds, a group a point
    assert [job.seed for job in plan] == [0] * 4 + [1] * 4  # round-robin by seed
    again = tmp_path / "again.toml"
    again.write_text(presets.to_toml(preset))
    assert presets.load(again).sweep == preset.sweep


@pytest.mark.parametrize("good, bad, key", [
    ("gamma = [0.1, 0.5]", "gamma = [0.1, -5.0]", "sweep.scheduler.params.gamma"),
    ("gamma = [0.1, 0.5]", "gamma = []", "sweep.scheduler.params.gamma"),
    ("samples = 2", "samples = 0", "sweep.samples"),
    ("gamma = [0.1, 0.5]", '"x.y" = [1]', "sweep.x.y"),
    ("[0.01, 0.3]", "[0.3, 0.01]", "sweep.optimizer.lr"),
])
def test_a_bad_sweep_in_a_preset_is_refused_with_its_file_and_key(good, bad, key, tmp_path: Path):
    path = tmp_path / "bad.toml"
    path.write_text(SWEPT.replace(good, bad))
    with pytest.raises(ConfigError) as info:
        presets.load(path)
    assert str(info.value).startswith(f"{path}: {key}"), str(info.value)


def test_lrtui_sweep_trains_every_point_as_one_comparison(cli):
    code, out, err = cli("sweep", "StepLR", "--grid", "gamma=0.1,0.5", "--set", "step_size=1", "--epochs", "2",
                         "--device", "cpu", "--batch-runs", "2", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert sorted(run["label"] for run in doc["runs"]) == ["StepLR gamma=0.1", "StepLR gamma=0.5"]
    lrs = {run["label"]: [e["lr"] for e in run["epochs"]] for run in doc["runs"]}
    assert lrs == {"StepLR gamma=0.1": pytest.approx([0.1, 0.01]), "StepLR gamma=0.5": pytest.approx([0.1, 0.05])}
    assert sorted(g["name"] for g in doc["comparison"]["groups"]) == ["StepLR gamma=0.1", "StepLR gamma=0.5"]
    assert "lrtui sweep: note: compatible runs train 2 at a time" in err


@pytest.mark.slow
@pytest.mark.parametrize("columns", [80, 160])
def test_the_progress_bars_keep_their_counts_whole_in_the_terminals_width(columns, cli, monkeypatch):
    """A sweep's labels are long: at 80 columns they are cut and samples/s left out, so that each bar
    keeps its count of epochs (rich would cut that first)."""
    monkeypatch.setenv("COLUMNS", str(columns))
    code, out, err = cli("sweep", "StepLR", "--grid", "gamma=0.1,0.5", "--grid", "step_size=1,2", "--epochs", "2",
                         "--seeds", "0,1", "--device", "cpu")
    assert code == 0, err
    bars = [line for line in err.splitlines() if "━" in line]
    assert len(bars) == 4 and all(len(line) <= columns and "4/4 epochs" in line for line in bars)
    assert all(re.search(r" \d+:\d\d$", line) for line in bars)  # the time each took
    labels = [line.partition("━")[0].strip() for line in bars]
    if columns == 160:
        assert labels == [f"StepLR gamma={g} step_size={s} x2" for g in (0.1, 0.5) for s in (1, 2)]
        assert all("samples/s" in line for line in bars)
    else:  # the scheduler they share goes first: the points still read apart
        assert labels == [f"gamma={g} step_size={s} x2" for g in (0.1, 0.5) for s in (1, 2)]
        assert not any("samples/s" in line for line in bars)


@pytest.mark.parametrize("argv, line", [
    (["--grid", "gamma"], "lrtui sweep: sweep: needs KEY=VALUES, got 'gamma'"),
    (["--random", "gamma=gauss(0,1)"], "lrtui sweep: scheduler.params.gamma: needs a list of values or one of "
                                        "uniform, log_uniform, int_uniform = [low, high]"),
    (["--random", "gamma=uniform(0.1)"], "lrtui sweep: sweep: a distribution is NAME(LOW,HIGH), such as "
                                          "log_uniform(0.01,1), got 'uniform(0.1)'"),
    (["--random", "optimizer.lr=log_uniform(0,1)"], "lrtui sweep: optimizer.lr: log_uniform needs low > 0 (a log "
                                                     "range cannot reach zero), got [0, 1]"),
    (["--grid", "gamma=0.5,-2"], "lrtui sweep: scheduler.params.gamma: StepLR needs a number > 0, got -2 (at the sweep's point "
                                 "gamma=-2 of StepLR)"),
    (["--random", "optimizer.lr=uniform(0.01,0.1)", "--samples", "10001"],
     "lrtui sweep: samples: needs an integer from 1 to 10000, got 10001"),
    (["--grid", "step_size=" + ",".join(map(str, range(1, 101))), "--grid", "gamma=" + ",".join(map(str, range(1, 102)))],
     "lrtui sweep: sweep: has 10,100 runs (10,100 points x 1 seed), more than 10,000: narrow it, or give --yes"),
    (["--grid", "step_size=" + ",".join(map(str, range(1, 101))), "--grid", "gamma=" + ",".join(map(str, range(1, 101))),
      "--seeds", "1000"],  # the limit counts points x seeds: ten million runs
     "lrtui sweep: sweep: has 10,000,000 runs (10,000 points x 1,000 seeds), more than 10,000: narrow it, or give --yes"),
    (["--grid", "gamma=0.1,0.5", "--grid", "gamma=0.2"], "lrtui sweep: --grid: gives scheduler.params.gamma twice"),
    (["--grid", "gamma=0.1,0.5", "--grid", "scheduler.params.gamma=0.2"],
     "lrtui sweep: --grid: gives scheduler.params.gamma twice"),
    (["--grid", "gamma=0.1,0.5,0.1"], "lrtui sweep: scheduler.params.gamma: repeats the value 0.1: give each value once"),
    (["--grid", "gamma=0.1", "--samples", "3"], "lrtui sweep: samples: counts the draws of the random keys (uniform, "
                                               "log_uniform, int_uniform), and this sweep has none"),
    (["--random", "optimizer.lr=uniform(-1,1)"], "lrtui sweep: optimizer.lr: SGD needs a number > 0, got -1 "
                                                 "(optimizer.lr=uniform(-1, 1) can draw -1 of StepLR)"),
    (["--random", "gamma=int_uniform(0,1)"], "lrtui sweep: scheduler.params.gamma: StepLR needs a number > 0, got 0 "
                                             "(scheduler.params.gamma=int_uniform(0, 1) can draw 0 of StepLR)"),
    (["--random", "gamma=int_uniform(0," + "9" * 400 + ")"],
     "lrtui sweep: scheduler.params.gamma: int_uniform needs [low, high], two finite numbers (integers within 64 "
     "bits), got [0, 'an integer of 400 digits']"),
    (["--grid", "gamma=0.5\nstep_size=3"], "lrtui sweep: --grid: a value holds a line break (the text after it would "
                                            "be lost): 'gamma=0.5\\nstep_size=3'"),
    (["--set", "gamma=0.5\nstep_size=3", "--grid", "step_size=1"],
     "lrtui sweep: --set: a value holds a line break (the text after it would be lost): 'gamma=0.5\\nstep_size=3'"),
    ([], "lrtui sweep: sweep: needs at least one key to sweep"),
])
def test_a_bad_sweep_on_the_command_line_exits_2_with_one_line(argv, line, cli):
    code, out, err = cli("sweep", "StepLR", *argv, "--epochs", "1")
    assert (code, out, err.strip().splitlines()) == (2, "", [line])


async def test_the_app_compares_a_sweep_presets_points(store, tmp_path: Path):
    from lrtui.ui.app import LrtuiApp

    path = tmp_path / "swept.toml"
    path.write_text(SWEPT.replace("seeds = 2", "seeds = 1"))
    app = LrtuiApp(presets.load(path), store=store)
    async with app.run_test(size=(120, 36)) as pilot:
        handed = []
        app.session.trainer.submit = handed.append  # what c hands the training process, kept from it
        await pilot.press("c")
        [batch] = handed
        assert sorted(job.label.split(" ", 1)[1].split(" lr=")[0] for job in batch.jobs) == [
            "gamma=0.1", "gamma=0.1", "gamma=0.5", "gamma=0.5"]


async def test_the_app_refuses_a_sweep_past_the_limit_as_the_command_line_does(store, tmp_path: Path):
    from lrtui.ui.app import LrtuiApp

    path = tmp_path / "big.toml"
    path.write_text(SWEPT.replace("samples = 2", "samples = 5000").replace("seeds = 2", "seeds = 3"))
    app = LrtuiApp(presets.load(path), store=store)
    said = []
    async with app.run_test(size=(120, 36)) as pilot:
        handed = []
        app.session.trainer.submit = handed.append
        app._say = said.append
        await pilot.press("c")
        assert handed == [] and not app.book.queue
        assert "has 30,000 runs (10,000 points x 3 seeds), more than 10,000" in said[0].text
        assert "lrtui sweep swept --yes" in said[0].text


def test_preview_sweep_draws_each_points_curve_as_its_own_preview_does(cli):
    code, out, err = cli("preview", "StepLR", "--sweep", "--grid", "gamma=0.1,0.5", "--grid", "step_size=3,7",
                         "--epochs", "20", "--format", "json")
    assert code == 0, err
    curves = {run["label"]: run for run in json.loads(out)["runs"]}
    assert len(curves) == 4
    for gamma in (0.1, 0.5):
        for step in (3, 7):
            code, alone, _ = cli("preview", "StepLR", "--set", f"gamma={gamma}", "--set", f"step_size={step}",
                                 "--epochs", "20", "--format", "json")
            assert json.loads(alone)["lr"] == curves[f"StepLR gamma={gamma} step_size={step}"]["lr"]
    code, out, err = cli("preview", "StepLR", "--grid", "gamma=0.1")
    assert (code, err.strip()) == (2, "lrtui preview: sweep: --grid, --random and --samples preview a sweep: give "
                                      "--sweep too")


def test_a_sweep_of_two_keys_ends_with_a_table_of_the_means_the_best_marked(cli):
    code, out, err = cli("sweep", "StepLR", "--grid", "gamma=0.1,0.5", "--grid", "step_size=1,2", "--epochs", "3",
                         "--device", "cpu", "--json")
    assert code == 0, err
    groups = json.loads(out)["comparison"]["groups"]  # best first
    cells = {}
    for line in err.splitlines():
        if line.startswith("│"):
            gamma, *row = (cell.strip() for cell in line.strip("│").split("│"))
            cells |= {f"StepLR gamma={gamma} step_size={step}": cell for step, cell in zip(("1", "2"), row)}
    assert cells == {g["name"]: f"{g['mean']:.4g}" + ("*" if i == 0 else "") for i, g in enumerate(groups)}


def test_the_view_of_one_key_plots_the_metric_against_it_on_a_log_axis_where_it_spans_decades():
    from lrtui.judge.verdict import DEFAULT_METRIC, Comparison, GroupStats, Verdict
    from lrtui.output import sweep_views

    runs = [{"group": f"p{lr}", "config": {"point": {"optimizer.lr": lr, "warmup": 2}}} for lr in (0.01, 0.1, 1.0)]
    assert sweep_views.swept(sweep_views.points(runs)) == ["optimizer.lr"]  # warmup is the same everywhere
    groups = tuple(GroupStats(f"p{lr}", 3, 0, m, m - 0.1, m + 0.1, m - 0.05, m + 0.05)
                   for lr, m in ((0.1, 0.5), (0.01, 0.9), (1.0, 1.2)))
    judged = Comparison(DEFAULT_METRIC, groups, (), Verdict("best", "p0.1"))
    chart = sweep_views.view(judged, runs, 80, colour=False)
    assert "log10 lr" in chart and chart.rstrip().endswith("best: lr=0.1 (0.5)")


async def test_w_shows_the_latest_sweeps_result_view_in_the_app(cli, store):
    import io

    from pilot import until
    from rich.console import Console
    from textual.widgets import Static

    from lrtui.ui.app import LrtuiApp
    from lrtui.ui.screens import ResultScreen

    code, out, err = cli("sweep", "StepLR", "--grid", "gamma=0.1,0.5", "--grid", "step_size=1,2", "--epochs", "2",
                         "--device", "cpu", "--json", "--runs-dir", str(store.path.parent))
    assert code == 0, err
    best, verdict = json.loads(out)["comparison"]["groups"][0], json.loads(out)["comparison"]["verdict"]["text"]
    app = LrtuiApp(store=store)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: len(app.book.runs) == 4)
        await pilot.press("w")
        await until(pilot, lambda: isinstance(app.screen, ResultScreen))
        assert app.screen.query_one("#result", Static)
        console = Console(width=120, file=io.StringIO(), record=True)
        console.print(app.screen.view)  # the table the screen shows
        text = console.export_text()
        assert f"{best['mean']:.4g}*" in text and "gamma \\ step_size" in text
        assert f"verdict: {verdict}" in str(app.screen.query_one("#verdict", Static).content)  # whole, as the CLI says


@pytest.mark.slow
async def test_the_apps_runs_table_tells_a_sweeps_points_apart_at_80_columns(cli, store):
    from pilot import until

    from lrtui.ui.app import LrtuiApp
    from lrtui.ui.runs_table import RunsTable

    code, out, err = cli("sweep", "StepLR", "--grid", "gamma=0.1,0.5", "--grid", "step_size=1,2", "--epochs", "1",
                         "--seeds", "0,1", "--device", "cpu", "--runs-dir", str(store.path.parent))
    assert code == 0, err
    app = LrtuiApp(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one("#runs", RunsTable)
        await until(pilot, lambda: table.row_count == 4)
        labels = sorted(table.get_row_at(r)[2].plain for r in range(4))
        assert labels == [f"gamma={g} step_size={s}" for g in (0.1, 0.5) for s in (1, 2)]  # StepLR: said by all


def test_a_sweep_past_the_limit_with_yes_makes_its_jobs_as_it_trains_them(cli, monkeypatch):
    """Ten million runs (100 x 100 points x 1,000 seeds) with --yes: the first run starts after a
    handful of jobs are made (not ten million of them, each point checked), on one bar over the plan."""
    from lrtui.backends import local
    from lrtui.plan.planning import Part

    made, seen = [], {}
    job = Part.job
    monkeypatch.setattr(Part, "job", lambda self, *a: made.append(1) or job(self, *a))

    def first_unit(work):  # the first unit handed to train: stop there, as Ctrl-C would
        seen["made"] = len(made)
        return None, True

    monkeypatch.setattr(local, "in_worker", first_unit)
    values = ",".join(str(v / 100) for v in range(1, 101))
    code, out, err = cli("sweep", "StepLR", "--grid", f"gamma={values}", "--grid", f"step_size={','.join(map(str, range(1, 101)))}",
                         "--seeds", "1000", "--yes", "--epochs", "1", "--device", "cpu")
    assert code == 130, err
    assert 0 < seen["made"] <= 65  # one batch of at most 64 runs, and the job after it that ends the batch


def test_a_presets_sweep_past_the_limit_is_refused_by_run_as_by_sweep(cli, tmp_path: Path):
    path = tmp_path / "big.toml"
    path.write_text(SWEPT.replace("samples = 2", "samples = 5000").replace("seeds = 2", "seeds = 3"))
    for command in ("run", "sweep"):
        code, out, err = cli(command, str(path), "--epochs", "1")
        assert (code, out, err.strip().splitlines()) == (2, "", [
            f"lrtui {command}: {command}: has 30,000 runs (10,000 points x 3 seeds), more than 10,000: narrow it, "
            "or give --yes"])


def test_a_bar_shows_its_time_so_far_and_an_estimate_of_what_remains():
    from types import SimpleNamespace

    from lrtui.output.progress import Times

    def bar(**state):
        fields = {"start_time": 0.0, "finished": False, "finished_time": None, "elapsed": 0.0, "time_remaining": None,
                  "stop_time": None}
        return Times().render(SimpleNamespace(**fields | state)).plain

    assert bar(start_time=None) == "-"  # not started
    assert bar(elapsed=65.2, time_remaining=3725.0) == "1:05<1:02:05"  # going on: what remains, estimated
    assert bar(elapsed=65.2, time_remaining=3725.0, stop_time=70.0) == "1:05"  # pruned: stopped where it is
    assert bar(finished=True, finished_time=81.9) == "1:21"  # ended: its time alone
