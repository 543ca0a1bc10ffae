"""Pruning on the local engine (`lrtui sweep --prune halving`, Optuna's successive halving): the worst
points end at the first rung as pruned, saying so, batched or one by one; a point is pruned whole, so
the points that go on keep every seed; the verdict leaves out the points it ended and names them;
without Optuna, one line names the extra."""
from __future__ import annotations

import json
import sys

import pytest

from lrtui.engine.events import Status
from lrtui.judge.scores import Entry, group_scores, judge
from lrtui.judge.verdict import DEFAULT_METRIC, compare

# two lrs that learn, then two that barely move: at the first rung (1 epoch) each of those is worse
# than every run before it, so the pruner ends it; the first point has only itself to beat
SWEEP = ("sweep", "StepLR", "--grid", "optimizer.lr=0.1,0.2,0.00001,0.00002", "--set", "step_size=1",
         "--epochs", "4", "--device", "cpu", "--prune", "halving", "--json")


@pytest.mark.parametrize("batch_runs", ["4", "off"], ids=["batched", "one-by-one"])
def test_halving_ends_the_worst_points_at_the_first_rung(batch_runs, cli, tmp_path):
    code, out, err = cli(*SWEEP, "--batch-runs", batch_runs, "--runs-dir", str(tmp_path / "runs"))
    assert code == 0, err
    result = json.loads(out)
    runs = {run["label"]: run for run in result["runs"]}
    for bad in ("StepLR lr=1e-05", "StepLR lr=2e-05"):
        assert runs[bad]["status"] == Status.PRUNED and len(runs[bad]["epochs"]) == 1
        assert runs[bad]["error"] == "pruned by successive halving after epoch 1"
    first = runs["StepLR lr=0.1"]
    assert first["status"] == Status.FINISHED and len(first["epochs"]) == 4
    assert set(result["comparison"]["pruned"]) >= {"StepLR lr=1e-05", "StepLR lr=2e-05"}
    assert not {g["name"] for g in result["comparison"]["groups"]} & set(result["comparison"]["pruned"])
    assert "pruned by successive halving (out of the verdict)" in err
    bars = {line.partition("━")[0].strip(): line for line in err.splitlines() if "━" in line}
    for bad in ("StepLR lr=1e-05", "StepLR lr=2e-05"):  # its bar stops where the pruner ended it, and says so
        assert "1/4 epochs" in bars[bad] and "pruned" in bars[bad] and "loss" not in bars[bad]
    assert "pruned" not in bars["StepLR lr=0.1"]


def test_batched_and_one_by_one_prune_the_same_runs(cli, tmp_path):
    """The members of a batch reach each rung in the plan's order, as runs one by one do: the pruner
    sees the same scores (within float error) in the same order."""
    statuses = []
    for batch_runs in ("4", "off"):
        code, out, err = cli(*SWEEP, "--batch-runs", batch_runs, "--runs-dir", str(tmp_path / batch_runs))
        assert code == 0, err
        statuses.append({run["label"]: (run["status"], len(run["epochs"])) for run in json.loads(out)["runs"]})
    assert statuses[0] == statuses[1]


@pytest.mark.slow
@pytest.mark.parametrize("batch_runs", ["12", "off"], ids=["batched", "one-by-one"])
def test_a_point_is_pruned_on_every_seed_and_the_others_keep_theirs(batch_runs, cli, tmp_path):
    """Its first seed's run decides; one by one, its later seeds do not start; batched, they end with
    it. The points that go on have all three seeds, so the verdict among them has its complete pairs."""
    code, out, err = cli(*SWEEP, "--seeds", "0,1,2", "--batch-runs", batch_runs, "--runs-dir", str(tmp_path / "r"))
    assert code == 0, err
    result = json.loads(out)
    by_point: dict[str, list[dict]] = {}
    for run in result["runs"]:
        by_point.setdefault(run["label"], []).append(run)
    pruned = set(result["comparison"]["pruned"])
    assert pruned >= {"StepLR lr=1e-05", "StepLR lr=2e-05"} and "StepLR lr=0.1" not in pruned
    for point, runs in by_point.items():
        if point in pruned:
            assert {run["status"] for run in runs} == {Status.PRUNED}
            assert [run["seed"] for run in runs] == ([0] if batch_runs == "off" else [0, 1, 2])
        else:
            assert {run["status"] for run in runs} == {Status.FINISHED} and len(runs) == 3
    assert all(pair["n"] == 3 for pair in result["comparison"]["pairs"])


def test_halving_never_prunes_a_run_after_its_last_epoch():
    from lrtui.engine.events import EpochEnded
    from lrtui.judge.pruning import Halving
    from lrtui.plan.planning import Job
    from lrtui.schedule.catalogue import validate
    from lrtui.schedule.optimizers import validate_optimizer

    jobs = [Job(f"p{i}", validate("StepLR", {"step_size": 1}), validate_optimizer({}), 2, group=f"p{i}")
            for i in range(2)]
    prune = Halving(DEFAULT_METRIC, {job.key: job for job in jobs})
    epoch = lambda job, n, loss: EpochEnded(job.key, n, 0.1, loss, loss, None, 0.1, 1.0)  # noqa: E731
    assert prune(epoch(jobs[0], 0, 0.5)) is None  # the first to arrive has only itself to beat
    assert prune(epoch(jobs[1], 0, 2.0)) == "pruned by successive halving after epoch 1"
    assert prune.out(jobs[1]) and not prune.out(jobs[0])
    assert prune(epoch(jobs[0], 1, 9.0)) is None  # its last epoch: it has finished


def test_a_pruned_run_is_no_error_to_lrtui_runs(cli, tmp_path):
    runs_dir = str(tmp_path / "runs")
    assert cli(*SWEEP, "--runs-dir", runs_dir)[0] == 0
    code, out, err = cli("runs", "--runs-dir", runs_dir)
    assert code == 0 and "pruned" in out and "ended with an error" not in out
    assert cli("runs", "--failed", "--runs-dir", runs_dir)[1].strip() == "no run ended with an error"


def entries(group: str, statuses: list[str], scores: list[float]) -> list[Entry]:
    return [Entry(group, seed, status, [{"epoch": 0, "lr": 0.1, "train_loss": x, "val_loss": x}], "spirals")
            for seed, (status, x) in enumerate(zip(statuses, scores))]


def test_the_verdict_leaves_out_the_points_every_run_of_which_was_pruned_and_names_them():
    finished = [Status.FINISHED] * 4
    a, b = entries("a", finished, [1.0, 1.1, 0.9, 1.05]), entries("b", finished, [1.2, 1.3, 1.25, 1.2])
    c = entries("c", [Status.PRUNED] * 4, [2.0] * 4)
    judged = judge(a + c + b, DEFAULT_METRIC)
    alone = compare(group_scores(a + b, DEFAULT_METRIC), DEFAULT_METRIC)  # the truth: as if c never ran
    assert judged.pruned == ("c",)
    assert (judged.groups, judged.pairs, judged.verdict) == (alone.groups, alone.pairs, alone.verdict)
    assert judged.to_json()["pruned"] == ["c"]


def test_a_point_pruned_on_some_seeds_keeps_the_others_its_pairs_unfinished_there():
    a = entries("a", [Status.FINISHED] * 4, [1.0, 1.1, 0.9, 1.05])
    b = entries("b", [Status.FINISHED, Status.PRUNED, Status.FINISHED, Status.FINISHED], [1.2, 9.0, 1.25, 1.2])
    judged = judge(a + b, DEFAULT_METRIC)
    assert judged.pruned == ()
    assert {g.name: g.n for g in judged.groups} == {"a": 4, "b": 3}
    assert judged.pairs[0].unfinished == (1,)


def test_pruning_without_optuna_is_refused_naming_the_extra(cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "optuna", None)  # import optuna then fails, as where it is not installed
    code, out, err = cli(*SWEEP)
    assert (code, out, err.strip()) == (2, "", "lrtui sweep: --prune halving: needs Optuna, an optional extra: "
                                               "pip install 'lrtui[optuna]'")


def test_the_view_of_two_keys_marks_the_pruned_cells():
    import io

    from rich.console import Console

    from lrtui.judge.verdict import Comparison, GroupStats, Verdict
    from lrtui.output import sweep_views

    runs = [{"group": f"g{g} s{s}", "config": {"point": {"scheduler.params.gamma": g, "scheduler.params.step_size": s}}}
            for g in (0.1, 0.5) for s in (1, 2)]
    groups = tuple(GroupStats(name, 3, 0, m, m, m, m, m) for name, m in (("g0.1 s1", 0.5), ("g0.5 s2", 0.7)))
    judged = Comparison(DEFAULT_METRIC, groups, (), Verdict("best", "g0.1 s1"), ("g0.1 s2", "g0.5 s1"))
    console = Console(width=80, file=io.StringIO(), record=True, color_system=None)
    console.print(sweep_views.view(judged, runs, 80, colour=False))
    rows = [[cell.strip() for cell in line.strip("│").split("│")] for line in console.export_text().splitlines()
            if line.startswith("│")]
    assert rows == [["0.1", "0.5*", "pruned"], ["0.5", "pruned", "0.7"]]


@pytest.mark.slow
async def test_the_app_lists_a_point_pruned_on_every_seed_as_pruned(cli, store):
    from pilot import until

    from lrtui.ui.app import LrtuiApp
    from lrtui.ui.runs_table import RunsTable

    code, out, err = cli(*SWEEP, "--seeds", "0,1", "--runs-dir", str(store.path.parent))
    assert code == 0, err
    want = {run["label"]: run["status"] for run in json.loads(out)["runs"]}  # a point's seeds end alike
    assert set(want.values()) == {"pruned", "finished"}
    app = LrtuiApp(store=store)
    async with app.run_test(size=(120, 36)) as pilot:
        table = app.query_one("#runs", RunsTable)
        await until(pilot, lambda: table.row_count == 4)
        shown = {table.get_row_at(r)[2].plain: str(table.get_cell_at((r, 4))) for r in range(4)}
        assert shown == want
