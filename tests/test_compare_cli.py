"""Comparisons on the command line: `lrtui run --seeds`, `lrtui compare`, `lrtui code --winner`, from
the runs the store holds, and the bad input they refuse."""
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from task_source import COMMON

from lrtui.output.snippets import snippet
from lrtui.plan import planning, presets

TASK = COMMON + '''

def build(ctx):                    # 20 samples of the seed's own draw, 8 to validate on
    x, y = data(ctx.seed, 28)
    return {"model": nn.Linear(4, 3), "train": batches(x[:20], y[:20], ctx.batch_size), "val": [(x[20:], y[20:])],
            "metric": METRIC}
'''
PRESET = """
name = "pair"
[optimizer]
name = "SGD"
lr = 0.5
[[runs]]
label = "fast"
scheduler = { name = "StepLR", params = { step_size = 100, gamma = 0.5 } }
[[runs]]
label = "slow"
scheduler = { name = "ExponentialLR", params = { gamma = 0.1 } }
"""


@pytest.fixture
def setup(tmp_path):
    (tmp_path / "task.py").write_text(TASK.replace("METRIC", '"accuracy"'))
    (tmp_path / "regression.py").write_text(TASK.replace("METRIC", "None"))
    (tmp_path / "pair.toml").write_text(PRESET)
    return tmp_path


def train(cli, setup, *argv, task="task.py"):
    return cli("run", str(setup / "pair.toml"), "--task", f"{setup / task}:build", "--batch-size", "5",
               "--epochs", "3", "--device", "cpu", *argv)


def one_line(err):
    return len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_run_with_seeds_trains_every_schedule_on_every_seed_round_robin_and_judges_them(cli, setup, store):
    code, out, err = train(cli, setup, "--seeds", "4", "--seed", "3", "--json")
    assert code == 0, err
    doc = json.loads(out)
    runs = sorted(store.runs(), key=lambda r: r["id"])
    assert [(r["group"], r["seed"]) for r in runs] == [(g, s) for s in (3, 4, 5, 6) for g in ("fast", "slow")]
    assert len({r["comparison"] for r in runs}) == 1
    comparison = doc["comparison"]
    assert comparison["metric"] == "final_val_loss"
    finals = {}
    for run in doc["runs"]:
        finals.setdefault(run["label"], []).append(run["epochs"][-1]["val_loss"])
    for group in comparison["groups"]:  # each group's mean is the mean of its runs' final val losses
        assert group["n"] == 4 and group["mean"] == pytest.approx(np.mean(finals[group["name"]]), rel=1e-12)
    [pair] = comparison["pairs"]
    assert pair["n"] == 4 and pair["unfinished"] == []
    assert comparison["verdict"]["kind"] in ("best", "tied") and comparison["verdict"]["text"] in err
    assert "vs best" in err and "p Holm" in err  # the table, on stderr beside the JSON
    bars = [line.split()[:2] for line in err.splitlines() if line.startswith(("fast", "slow")) and "epochs" in line]
    assert bars == [["fast", "x4"], ["slow", "x4"]]  # one bar per schedule over its seeds
    code, again, _ = cli("compare", "--json")  # the same verdict from the store
    assert code == 0 and json.loads(again)["comparison"] == comparison | {"id": runs[0]["comparison"]}


NAN_TASK = TASK.replace('"metric": METRIC}', '"loss": nan_on_one(ctx.seed)}') + '''

def nan_on_one(seed):              # the loss its build returns: NaN on seed 1
    import torch.nn.functional as F
    return lambda out, y: F.cross_entropy(out, y) * (float("nan") if seed == 1 else 1.0)
'''


def test_a_batched_comparison_gives_the_answer_the_same_runs_one_by_one_give(cli, setup):
    """Batched or one by one, the seed-1 runs diverge (a batch once trained every seed with seed 0's
    loss: they finished, and a winner was named on them), and the verdicts are the same."""
    (setup / "nan.py").write_text(NAN_TASK)
    docs = []
    for batch_runs in ("auto", "off"):
        code, out, err = train(cli, setup, "--seeds", "0,1,2,3", "--batch-runs", batch_runs, "--json", task="nan.py")
        assert code == 0, err  # a diverged run is a result, not a failure of the command
        docs.append(json.loads(out))
    batched, alone = ({(r["label"], r["seed"]): r["status"] for r in doc["runs"]} for doc in docs)
    assert batched == alone and {s for (_, seed), s in alone.items() if seed == 1} == {"diverged"}
    assert {s for (_, seed), s in alone.items() if seed != 1} == {"finished"}
    assert docs[0]["comparison"]["verdict"]["text"] == docs[1]["comparison"]["verdict"]["text"]


def test_one_seed_prints_todays_runs_table_and_says_there_are_too_few_seeds(cli, setup):
    code, out, err = train(cli, setup, "--json")
    assert code == 0, err
    assert json.loads(out)["comparison"]["verdict"]["kind"] == "too-few"
    assert "p Holm" not in err and "final val" in err


def test_a_one_seed_comparison_names_its_runs_by_the_presets_labels(cli, setup, monkeypatch):
    """Not `StepLR step_size=100 gamma=0.5 lr=0.5 nesterov=False`: each row reads as the preset calls it,
    the whole table within 80 columns."""
    monkeypatch.setenv("COLUMNS", "80")
    (setup / "mixed.toml").write_text(PRESET + '''
[[runs]]
label = "adam"
scheduler = { name = "StepLR", params = { step_size = 7, gamma = 0.3 } }
optimizer = { name = "Adam", lr = 0.01 }
''')
    code, out, err = cli("run", str(setup / "mixed.toml"), "--task", f"{setup / 'task.py'}:build", "--batch-size", "5",
                         "--epochs", "2", "--device", "cpu")
    assert code == 0, err
    rows = [line.split() for line in out.splitlines() if line[:3].strip().isdigit()]
    assert [row[1] for row in rows] == ["fast", "slow", "adam"]
    assert "nesterov" not in out and "step_size=" not in out
    assert all(len(line) <= 80 for line in out.splitlines())


def write(store, comparison, group, seed, status, final, task="t.py:build", epochs=3):
    """A stored run of a comparison, as the recorder writes one, with final val loss `final`."""
    preset = presets.parse({"name": "p", "runs": [{"label": group, "scheduler": {
        "name": "StepLR", "params": {"step_size": 1 if group == "a" else 2}}}]})
    job = planning.jobs(preset, seed=seed, epochs=epochs, task=task)[0]
    writer = store.start(group, "p", job.config, task, "cpu", "cpu", seed, 3, comparison=comparison, group=group)
    for epoch in range(epochs):
        writer.epoch({"epoch": epoch, "lr": 0.1, "train_loss": final + 1, "val_loss": final + epochs - 1 - epoch,
                      "val_acc": 0.5, "seconds": 0.1, "samples_per_s": 100.0})
    if status == "interrupted":  # left running by a process that is gone
        gone = subprocess.Popen([sys.executable, "-c", ""])
        gone.wait()
        with store.session() as db:
            db.execute("UPDATE runs SET pid = ? WHERE id = ?", (gone.pid, writer.run_id))
        writer.db.close()
    else:
        writer.finish(status)
    return job


def test_compare_of_a_comparison_killed_half_way_counts_its_unfinished_pair(cli, store):
    for seed, (a, b) in enumerate([(1.0, 2.0), (1.1, 2.2), (0.9, None)]):
        write(store, "c1", "a", seed, "finished", a)
        if b is not None:
            write(store, "c1", "b", seed, "finished", b)
    write(store, "c1", "b", 2, "interrupted", 5.0)
    code, out, err = cli("compare", "--comparison", "c1", "--json")
    assert code == 0, err
    comparison = json.loads(out)["comparison"]
    [pair] = comparison["pairs"]
    assert (pair["best"], pair["n"], pair["unfinished"]) == ("a", 2, [2])
    assert comparison["verdict"]["kind"] == "too-few" and "2 complete pairs" in comparison["verdict"]["text"]
    code, out, _ = cli("compare", "--comparison", "c1")
    assert code == 0 and "1 seed(s) unfinished" in out and "verdict: not enough seeds yet" in out


def test_a_diverged_run_loses_its_pair_and_a_clear_winner_is_called_and_printed_as_code(cli, store):
    jobs = {}
    for seed in range(6):
        jobs["a"] = write(store, "c2", "a", seed, "finished", 1.0 + 0.01 * seed)
        jobs["b"] = write(store, "c2", "b", seed, "diverged" if seed == 0 else "finished", 2.0 + 0.02 * seed)
    code, out, _ = cli("compare", "--last", "--json")
    verdict = json.loads(out)["comparison"]["verdict"]
    assert code == 0 and verdict["kind"] == "best" and verdict["best"] == "a"
    groups = json.loads(out)["comparison"]["groups"]
    assert [(g["name"], g["n"], g["failed"]) for g in groups] == [("a", 6, 0), ("b", 6, 1)]
    code, out, err = cli("code", "--winner", "--comparison", "c2")
    assert code == 0, err
    job = jobs["a"]
    quoted = "".join(f"# {line}\n" for line in textwrap.wrap(f"verdict: {verdict['text']}", 98))
    assert out == f"# the winner of comparison c2\n{quoted}{snippet(job.schedule, job.optimizer, 3, 100, 'a')}"


def test_export_takes_a_comparison_or_the_last_one(cli, store):
    for seed in range(2):
        for group in ("a", "b"):
            write(store, "c5", group, seed, "finished", 1.0 + seed)
    write(store, "c6", "z", 0, "finished", 3.0)
    code, out, err = cli("export", "--comparison", "c5", "--format", "json")
    assert code == 0, err
    assert sorted((r["label"], r["seed"]) for r in json.loads(out)["runs"]) == [("a", 0), ("a", 1), ("b", 0), ("b", 1)]
    code, out, _ = cli("export", "--last", "--format", "json")
    assert code == 0 and [r["label"] for r in json.loads(out)["runs"]] == ["z"]
    code, out, _ = cli("export", "--format", "json")  # no ids: the last comparison, as compare reads it
    assert code == 0 and [r["label"] for r in json.loads(out)["runs"]] == ["z"]
    code, _, err = cli("export", "1", "--comparison", "c5")
    assert code == 2 and one_line(err)


def test_no_help_prints_a_doubled_percent_sign(cli, capsys):
    from lrtui.cli.main import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    for name, sub in commands.items():
        text = sub.format_help()
        assert "%%" not in text, name
    assert "95%" in commands["compare"].format_help()


def test_compare_refuses_runs_that_do_not_belong_together_unless_forced(cli, store):
    write(store, "c3", "a", 0, "finished", 1.0, epochs=3)
    other = write(store, "c4", "b", 0, "finished", 2.0, epochs=4)
    ids = [str(r["id"]) for r in store.runs()]
    code, _, err = cli("compare", *ids)
    assert code == 2 and one_line(err) and "differ in epochs (3, 4)" in err and "--force" in err
    code, out, _ = cli("compare", *ids, "--force", "--json")
    assert code == 0 and json.loads(out)["comparison"]["verdict"]["kind"] == "too-few"
    assert other.group == "b"


@pytest.mark.parametrize("argv, says", [
    (("run", "seed-four", "--seeds", "0"), "--seeds"),
    (("run", "seed-four", "--seeds", "[]"), "--seeds"),
    (("run", "seed-four", "--seeds", "1,1"), "--seeds"),
    (("run", "seed-four", "--metric", "loss"), "unknown metric 'loss'"),
    (("run", "seed-four", "--min-effect", "2"), "--min-effect"),
    (("compare",), "no comparison stored yet"),
    (("compare", "--comparison", "nope"), "no comparison 'nope'"),
    (("compare", "7", "--last"), "not more than one"),
    (("compare", "99"), "no run with id 99"),
    (("code", "--winner", "StepLR"), "--winner"),
])
def test_bad_comparison_input_exits_2_with_one_line(cli, argv, says):
    code, out, err = cli(*argv)
    assert code == 2 and one_line(err) and says in err and out == ""


def test_a_metric_the_task_does_not_measure_is_refused_in_one_line_and_the_runs_are_kept(cli, setup, store):
    code, _, err = train(cli, setup, "--seeds", "2", "--metric", "best_val_acc", task="regression.py")
    assert code == 2 and "do not measure the best val accuracy" in err.strip().splitlines()[-1]
    assert len(store.runs()) == 4
    code, _, err = cli("compare", "--metric", "final_val_loss")
    assert code == 0, err


def test_runs_lists_the_comparison_and_group_of_each_run_and_how_to_judge_them(cli, setup):
    code, _, err = train(cli, setup, "--seeds", "2")
    assert code == 0, err
    code, out, _ = cli("runs", "--json")
    runs = json.loads(out)["runs"]
    assert {r["group"] for r in runs} == {"fast", "slow"} and len({r["comparison"] for r in runs}) == 1
    code, out, _ = cli("runs")
    assert f"comparison {runs[0]['comparison']}: 4 runs, 2 schedules x 2 seeds: `lrtui compare --comparison" in out
