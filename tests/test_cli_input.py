"""Bad command-line input: every case of issue 9 ends with one line on stderr and exit 2, never a
traceback, a hang or a silent substitute."""
import pytest


def refused(cli, *argv: str) -> str:
    """The one line `lrtui ARGV` prints when it refuses its input with exit 2."""
    code, out, err = cli(*argv)
    assert code == 2, (code, out, err)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("lr", ["0", "0.0", "-0", "-0.1"])
@pytest.mark.parametrize("target", ["StepLR", "seed-four"])
def test_an_lr_of_zero_or_less_is_refused_not_replaced(cli, target, lr):
    err = refused(cli, "preview", target, "--set", "step_size=3", "--lr", lr) if target == "StepLR" \
        else refused(cli, "preview", target, "--lr", lr)
    assert "lr" in err and "> 0" in err


def test_a_given_lr_is_the_lr_of_the_preview(cli):
    code, out, _ = cli("preview", "StepLR", "--set", "step_size=3", "--lr", "0.25", "--epochs", "2", "--format", "csv")
    assert code == 0 and out.splitlines()[1].split(",")[3] == "0.25"


def nested(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


def chained(depth: int) -> str:
    """A ChainedScheduler `depth` levels deep around one StepLR, as an inline TOML table."""
    table = '{name = "StepLR", params = {step_size = 2}}'
    for _ in range(depth):
        table = f'{{name = "ChainedScheduler", params = {{schedulers = [{table}]}}}}'
    return table


@pytest.mark.parametrize("device", ["tpu", "", "cuda:99999999999999999999", "cuda:128", "cuda:01", "cuda:-1", "CPU"])
@pytest.mark.parametrize("command", [["run", "seed-four"], ["find"], []])
def test_a_device_name_of_the_wrong_form_is_refused_before_anything_runs(cli, tmp_path, command, device):
    err = refused(cli, *command, "--device", device, "--runs-dir", str(tmp_path))
    assert "--device" in err and "cuda:N" in err


@pytest.mark.parametrize("seed", ["-1", str(2**32), str(2**63), "99999999999999999999"])
@pytest.mark.parametrize("command", [["run", "seed-four"], ["find"]])
def test_a_seed_numpy_cannot_take_is_refused(cli, tmp_path, command, seed):
    assert "--seed" in refused(cli, *command, "--seed", seed, "--runs-dir", str(tmp_path))


LARGEST_SEED = 2**32 - 1  # numpy's limit (np.random.seed refuses 2**32), lrtui.plan.presets.SEED


def test_the_largest_seed_is_accepted_and_seeds_as_torch_does(cli, tmp_path):
    """2**32 - 1 is taken by a preset, --seed and the plan, and seeding with it (what the engine does
    before it builds a job's task) gives the numbers torch.manual_seed(2**32 - 1) gives (and numpy's and
    Python's own seeding with it); 2**32 is refused, naming the setting."""
    import random

    import numpy as np
    import torch

    from lrtui.cli.main import build_parser
    from lrtui.engine.shared import random_state, seed_everything, set_random_state
    from lrtui.plan import planning, presets
    from lrtui.plan.presets import TRAINING
    from lrtui.schedule.params import ConfigError, check_all

    assert check_all(TRAINING, {"seed": LARGEST_SEED}, "training")["seed"] == LARGEST_SEED
    for command in (["run", "seed-four"], ["find"]):  # --seed, as the command line reads it
        assert build_parser().parse_args([*command, "--seed", str(LARGEST_SEED)]).seed == LARGEST_SEED
    jobs = planning.jobs(presets.find("seed-four"), seed=LARGEST_SEED, epochs=1)
    assert len(jobs) == 4 and all(j.seed == LARGEST_SEED for j in jobs)
    assert all(j.config["training"]["seed"] == LARGEST_SEED and j.config["training"]["seeds"] == [LARGEST_SEED]
               for j in jobs)  # what the store keeps of it

    saved = random_state()
    try:
        seed_everything(jobs[0].seed)
        ours = torch.rand(16, dtype=torch.float64), torch.randn(16), np.random.random_sample(8), random.random()
        torch.manual_seed(LARGEST_SEED)
        truth = torch.rand(16, dtype=torch.float64), torch.randn(16)
        assert torch.equal(ours[0], truth[0]) and torch.equal(ours[1], truth[1])
        assert np.array_equal(ours[2], np.random.RandomState(LARGEST_SEED).random_sample(8))
        assert ours[3] == random.Random(LARGEST_SEED).random()
        torch.manual_seed(LARGEST_SEED - 1)  # the seed is used whole: its neighbour draws other numbers
        assert not torch.equal(torch.rand(16, dtype=torch.float64), truth[0])
        generator = torch.Generator().manual_seed(jobs[0].seed)  # as the built-in tasks draw their data
        assert torch.equal(torch.rand(16, dtype=torch.float64, generator=generator), truth[0])
    finally:
        set_random_state(saved)

    too_large = LARGEST_SEED + 1
    with pytest.raises(ConfigError) as e:
        check_all(TRAINING, {"seed": too_large}, "training")
    assert e.value.key == "seed" and str(too_large) in e.value.problem and "2**32" in e.value.problem
    with pytest.raises(ConfigError) as e:
        planning.jobs(presets.find("seed-four"), seed=too_large, epochs=1)
    assert e.value.key == "seed" and str(too_large) in e.value.problem
    with pytest.raises(ConfigError) as e:
        presets.parse({"training": {"seed": too_large}, "runs": [{"scheduler": {"name": "StepLR",
                                                                                 "params": {"step_size": 1}}}]})
    assert e.value.key == "training.seed"
    for command in (["run", "seed-four"], ["find"]):
        err = refused(cli, *command, "--seed", str(too_large), "--runs-dir", str(tmp_path))
        assert "--seed" in err and str(too_large) in err
    assert not (tmp_path / "runs.sqlite").exists()  # refused before anything ran


@pytest.mark.parametrize("name", ['["StepLR"]', "{a = 1}", "3"])
def test_a_scheduler_name_that_is_not_a_string_is_refused(cli, tmp_path, name):
    err = refused(cli, "preview", "SequentialLR", "--set", f"schedulers=[{{name = {name}}}]", "--set", "milestones=[]")
    assert "schedulers[0].name" in err
    path = tmp_path / "p.toml"
    path.write_text(f'[[runs]]\nscheduler = {{name = {name}}}\n')
    assert "runs[0].scheduler.name" in refused(cli, "preview", str(path))


@pytest.mark.parametrize("depth", [11, 450, 2000])
def test_values_nested_past_the_limit_are_refused(cli, tmp_path, depth):
    assert "more than 10 deep" in refused(cli, "preview", "MultiStepLR", "--set", f"milestones={nested(depth)}")
    path = tmp_path / "p.toml"
    path.write_text(f'[[runs]]\nscheduler = {{name = "MultiStepLR", params = {{milestones = {nested(depth)}}}}}\n')
    assert f"{path}: nests arrays and tables more than 10 deep" in refused(cli, "preview", str(path))


def test_values_nested_within_the_limit_get_their_own_message(cli):
    assert "a list of integers" in refused(cli, "preview", "MultiStepLR", "--set", f"milestones={nested(9)}")


@pytest.mark.parametrize("depth", [1, 200])
def test_a_composite_inside_a_composite_is_refused_whatever_its_depth(cli, tmp_path, depth):
    from lrtui.schedule.catalogue import validate
    from lrtui.schedule.params import ConfigError

    with pytest.raises(ConfigError, match="cannot hold ChainedScheduler"):
        validate("ChainedScheduler", {"schedulers": [tomllib_value(chained(depth))]})
    path = tmp_path / "p.toml"
    table = f'{{name = "ChainedScheduler", params = {{schedulers = [{chained(depth)}]}}}}'
    path.write_text(f"[[runs]]\nscheduler = {table}\n")
    refused(cli, "preview", str(path))


def tomllib_value(text: str):
    import sys
    import tomllib

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(10_000)  # tomllib itself recurses once per level
    try:
        return tomllib.loads(f"v = {text}")["v"]
    finally:
        sys.setrecursionlimit(limit)


@pytest.mark.parametrize("run_id", [str(2**63), "99999999999999999999999", str(-2**63 - 1)])
def test_a_run_id_sqlite_cannot_hold_is_no_such_run(cli, tmp_path, run_id):
    runs = str(tmp_path / "runs")
    assert f"no run with id {run_id}" in refused(cli, "export", run_id, "--runs-dir", runs)
    assert f"no run with id {run_id}" in refused(cli, "runs", "--delete", run_id, "--runs-dir", runs)


def test_a_closed_form_that_overflows_prints_no_numpy_warning():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "lrtui", "preview", "MultiplicativeLR", "--set", 'lr_lambda="1e10"',
                           "--epochs", "100"], capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.splitlines() == [
        "lrtui preview: params: MultiplicativeLR gives an lr of inf at epoch 31"]  # 1e10 ** 31 > 1.8e308


@pytest.mark.parametrize("argv", [
    ["StepLR", "--set", "step_size=2", "--epochs", "1000000000"],
    ["StepLR", "--set", "step_size=2", "--epochs", str(2**63 - 1)],
    ["OneCycleLR", "--set", "max_lr=0.1", "--epochs", "1001", "--steps-per-epoch", "10000"],
])
def test_a_preview_longer_than_the_limit_is_refused_at_once(cli, argv):
    assert "at most 10,000,000 steps" in refused(cli, "preview", *argv)


def test_epochs_no_integer_field_holds_are_refused_not_a_memory_error(cli):
    assert "epochs" in refused(cli, "preview", "StepLR", "--set", "step_size=2", "--epochs", "99999999999999999999999")


def test_a_preview_that_steps_torch_has_a_lower_limit(cli):
    err = refused(cli, "preview", "StepLR", "--set", "step_size=2", "--epochs", "1000001", "--exact")
    assert "steps torch at most 1,000,000 times" in err
    err = refused(cli, "preview", "ReduceLROnPlateau", "--epochs", "1000001")  # no closed form: torch it is
    assert "steps torch at most 1,000,000 times" in err


def test_a_preview_at_the_limit_is_drawn():
    from lrtui.schedule.catalogue import validate
    from lrtui.schedule.optimizers import validate_optimizer
    from lrtui.schedule.preview import MAX_STEPS, preview

    lr = preview(validate("ConstantLR", {"total_iters": MAX_STEPS - 1}), validate_optimizer({"lr": 0.3}), MAX_STEPS).lr
    assert len(lr) == MAX_STEPS and lr[-2] == pytest.approx(0.1) and lr[-1] == pytest.approx(0.3)


def test_a_preset_that_is_not_a_regular_file_is_refused_with_its_path(cli, tmp_path):
    import os
    import subprocess
    import sys

    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    done = subprocess.run([sys.executable, "-m", "lrtui", "preview", "--preset", str(fifo)],
                          capture_output=True, text=True, timeout=60)  # reading a FIFO would wait for a writer
    assert done.returncode == 2 and done.stderr == f"lrtui preview: {fifo}: not a regular file\n"
    folder = tmp_path / "folder.toml"
    folder.mkdir()
    for path in (folder, os.devnull):
        assert f"{path}: not a regular file" in refused(cli, "preview", "--preset", str(path))


def test_a_long_preview_as_json_is_every_value_of_the_curve_exactly(cli):
    """One document built in memory (the C encoder): lr and momentum round-trip bit for bit."""
    import json

    import numpy as np

    from lrtui.schedule.catalogue import validate
    from lrtui.schedule.optimizers import validate_optimizer
    from lrtui.schedule.preview import preview

    code, out, _ = cli("preview", "OneCycleLR", "--set", "max_lr=0.1", "--epochs", "2", "--steps-per-epoch", "50000",
                       "--format", "json")
    doc = json.loads(out)
    curve = preview(validate("OneCycleLR", {"max_lr": 0.1}), validate_optimizer({}), 100_000)
    assert code == 0 and out.endswith("}\n") and doc["length"] == 100_000
    assert np.array_equal(doc["lr"], curve.lr) and np.array_equal(doc["momentum"], curve.momentum)


# issue 22: what a new user and an attacker found


@pytest.mark.parametrize("argv, says", [
    (["compare", "--min-effect", "-0"], "argument --min-effect: needs a number from 0 to 1"),
    (["compare", "--comparison", ""], "argument --comparison: needs a comparison's id"),
    (["code", "--winner", "--comparison", ""], "argument --comparison: needs a comparison's id"),
    (["runs", "--runs-dir", ""], "argument --runs-dir: needs a folder"),
    (["run", "seed-four", "--runs-dir", ""], "argument --runs-dir: needs a folder"),
    (["run", "seed-four", "--data-dir", ""], "argument --data-dir: needs a folder"),
    (["runs", "--runs-dir", "/dev/null"], "/dev/null is not a folder"),
    (["run", "seed-four", "--epochs", "1", "--runs-dir", "/dev/null"], "/dev/null is not a folder"),
])
def test_empty_and_impossible_names_are_refused_not_read_as_the_default(cli, argv, says):
    assert says in refused(cli, *argv)


@pytest.mark.parametrize("argv, says", [
    (["run", "one-cycle", "--set", "max_lr=1e308", "--epochs", "1"],
     "params: OneCycleLR gives an lr of 4e+306 at step 0, more than float32 holds (3.4e+38) (run OneCycle cos)"),
    (["run", "seed-four", "--lr", "1e300", "--epochs", "1"],
     "params: StepLR gives an lr of 1e+300 at epoch 0, more than float32 holds (3.4e+38) (run StepLR)"),
    (["sweep", "LambdaLR", "--grid", 'lr_lambda="10**10**10","0.9**epoch"', "--epochs", "1"],
     "params: LambdaLR gives an lr of inf at epoch 0 (run LambdaLR lr_lambda=10**10**10)"),
    (["preview", "LambdaLR", "--set", 'lr_lambda="' + "-" * 10_000 + '1"'], "nests more than 100 levels deep"),
    (["sweep", "LambdaLR", "--grid", 'lr_lambda="' + "-" * 10_000 + '1"', "--epochs", "1"],
     "nests more than 100 levels deep"),
])
def test_an_lr_no_model_can_train_with_is_refused_before_any_run_trains(cli, store, argv, says):
    assert says in refused(cli, *argv)
    assert store.runs() == []


def test_a_sweep_of_expressions_draws_its_view_with_the_expressions_on_the_axis(cli):
    code, out, err = cli("sweep", "LambdaLR", "--grid", 'lr_lambda="0.9 ** epoch", "1 / (1 + epoch)"', "--epochs", "2",
                         "--device", "cpu")
    assert code == 0, err  # plotext read the expressions as dates: "Date Form should be: %d/%m/%Y", exit 1
    assert "0.9 ** epoch" in out and "1 / (1 + epoch)" in out and "against lr_lambda" in out


EXITS = '''
import sys


def build(ctx):
    sys.exit(3)
'''


def test_a_task_that_exits_is_refused_not_a_run_that_trained_nothing(cli, tmp_path):
    (tmp_path / "exits.py").write_text(EXITS)
    said = refused(cli, "run", "seed-four", "--task", f"{tmp_path / 'exits.py'}:build", "--epochs", "1")
    assert "build(ctx) raised SystemExit: 3" in said
    (tmp_path / "exits_at_import.py").write_text("import sys\nsys.exit(0)\n")
    said = refused(cli, "run", "seed-four", "--task", f"{tmp_path / 'exits_at_import.py'}:build", "--epochs", "1")
    assert "failed to load: SystemExit: 0" in said


def test_code_winner_of_a_comparison_none_of_whose_runs_finished_names_no_winner(cli, tmp_path):
    (tmp_path / "nan.py").write_text(
        "import torch\nfrom torch import nn\n\n\ndef build(ctx):\n    x = torch.randn(8, 4)\n"
        "    return {'model': nn.Linear(4, 3), 'train': [(x, torch.zeros(8).long())],\n"
        "            'loss': lambda out, y: out.sum() * float('nan')}\n")
    code, _, _ = cli("run", "seed-four", "--task", f"{tmp_path / 'nan.py'}:build", "--epochs", "1", "--seeds", "2")
    assert code == 0
    said = refused(cli, "code", "--winner")
    assert "no run of comparison" in said and "finished" in said and "null" not in said


@pytest.mark.parametrize("dropped, upgraded", [(", grp TEXT", True), ("label TEXT NOT NULL, ", False)])
def test_a_store_missing_a_column_is_upgraded_or_refused_in_one_line(cli, tmp_path, dropped, upgraded):
    import sqlite3

    from lrtui.runs.store import SCHEMA, Store

    runs = tmp_path / "old"
    runs.mkdir()
    with sqlite3.connect(runs / "runs.sqlite") as db:  # the tables as an older lrtui made them, its schema said 4
        assert dropped in SCHEMA
        db.executescript(SCHEMA.replace(dropped, ""))
        db.execute("INSERT INTO meta VALUES ('schema', '4')")
    argv = ("sweep", "StepLR", "--grid", "gamma=0.1,0.5", "--epochs", "1", "--runs-dir", str(runs))
    if upgraded:
        code, out, err = cli(*argv)
        assert code == 0, err
        assert {r["group"] for r in Store.at(runs).runs()} == {"StepLR gamma=0.1", "StepLR gamma=0.5"}
    else:
        assert "its table runs has no column label" in refused(cli, *argv)
