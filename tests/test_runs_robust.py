"""Runs and the store survive bad tasks and bad files: a failed run says why, a preset whose task fails
before its first step stops after one run, bad input found before training exits 2 with one line and
stores nothing, an empty or used-up training set and a validation loss that is not finite are named,
a damaged row or a damaged, read-only store is reported in one line.

Every task here is a small user task file written to tmp_path."""
from __future__ import annotations

import json
import os
import sqlite3
import threading
from pathlib import Path

import pytest
from task_source import COMMON

from lrtui.plan import planning
from lrtui.runs import recorder
from lrtui.runs.store import Store, StoreError
from lrtui.schedule.catalogue import validate
from lrtui.schedule.optimizers import validate_optimizer
from lrtui.schedule.params import ConfigError

TASKS = COMMON + '''

def build(ctx):                    # 5 batches an epoch
    return {"model": nn.Linear(4, 3), "train": batches(*data())}


def build_raising(ctx):            # the 8th batch fetched raises, with a message of two lines
    return {"model": nn.Linear(4, 3),
            "train": Raising(batches(*data()), 7, "boom at batch 7\\nsecond line of the message")}


def build_wrong_shape(ctx):        # the model wants 3 features, the batches have 4: fails at the first step
    return {"model": nn.Linear(3, 3), "train": batches(*data())}


def build_raises(ctx):
    raise ValueError("no data in the folder\\nsecond line of the message")


def build_no_parameters(ctx):
    return {"model": nn.ReLU(), "train": batches(*data())}


def build_frozen(ctx):
    return {"model": nn.Linear(4, 3).requires_grad_(False), "train": batches(*data())}


def build_meta(ctx):               # weights that were never made
    with torch.device("meta"):
        model = nn.Linear(4, 3)
    return {"model": model, "train": batches(*data())}


def build_empty(ctx):
    return {"model": nn.Linear(4, 3), "train": []}


def build_generator(ctx):          # used up after one pass
    return {"model": nn.Linear(4, 3), "train": (batch for batch in batches(*data()))}


def build_val_generator(ctx):
    return {"model": nn.Linear(4, 3), "train": batches(*data()), "val": (batch for batch in batches(*data()))}


class Once:                        # says it has 5 batches, and gives them only once
    def __init__(self, items):
        self.items, self.left = items, iter(items)

    def __len__(self):
        return len(self.items)

    def __iter__(self):
        return self.left


def build_once(ctx):
    return {"model": nn.Linear(4, 3), "train": Once(batches(*data()))}


def build_nan_val(ctx):            # training is fine; the validation inputs are nan
    return {"model": nn.Linear(4, 3), "train": batches(*data()),
            "val": [(torch.full((4, 4), float("nan")), torch.zeros(4, dtype=torch.long))]}
'''


@pytest.fixture
def tasks_file(tmp_path: Path) -> Path:
    path = tmp_path / "robust_tasks.py"
    path.write_text(TASKS)
    return path


def preset(tmp_path: Path, runs: int = 3, name: str = "robust") -> Path:
    """A preset of `runs` StepLR runs labelled r0, r1, ..."""
    path = tmp_path / f"{name}.toml"
    path.write_text(f'name = "{name}"\n[training]\nepochs = 2\n' + "".join(
        f'[[runs]]\nlabel = "r{i}"\nscheduler = {{ name = "StepLR", params = {{ step_size = {i + 1} }} }}\n'
        for i in range(runs)))
    return path


def run(cli, tmp_path: Path, task: str, *presets: Path, extra: tuple = ()) -> tuple[int, str, str]:
    return cli("run", *map(str, presets), "--task", task, "--device", "cpu", "--runs-dir", str(tmp_path / "runs"),
               *extra)


def lines_with(text: str, needle: str) -> list[str]:
    return [line for line in text.splitlines() if needle in line]


# -- 1. a failed run says why ------------------------------------------------------------------------
def test_run_prints_the_first_line_of_each_failed_runs_error(tmp_path, tasks_file, cli):
    code, out, err = run(cli, tmp_path, f"{tasks_file}:build_raising", preset(tmp_path, runs=2), extra=("--json",))
    assert code == 1
    doc = json.loads(out)
    assert [r["status"] for r in doc["runs"]] == ["failed", "failed"]  # batch 7 is in epoch 1: both ran, both failed
    assert doc["runs"][0]["error"] == "RuntimeError: boom at batch 7\nsecond line of the message"  # kept whole
    for r in doc["runs"]:
        [line] = lines_with(err, f"run {r['id']} ")
        assert line == f"lrtui run: run {r['id']} {r['label']} failed: RuntimeError: boom at batch 7"
    assert "second line" not in err


def test_a_preset_whose_task_fails_before_its_first_step_stops_after_one_run(tmp_path, tasks_file, cli):
    other = preset(tmp_path, runs=2, name="other")
    code, out, err = run(cli, tmp_path, f"{tasks_file}:build_wrong_shape", preset(tmp_path, runs=3), other,
                         extra=("--json",))
    assert code == 1
    runs = json.loads(out)["runs"]
    assert [(r["label"], r["status"]) for r in runs] == [("r0", "failed"), ("r0", "failed")]  # one run a preset
    assert "shapes cannot be multiplied" in runs[0]["error"]
    first, second = (lines_with(err, f"run {r['id']} ") for r in runs)
    assert len(first) == len(second) == 1
    assert first[0].startswith(f"lrtui run: run {runs[0]['id']} r0 failed before its first step: RuntimeError: ")
    assert first[0].endswith("the other 2 runs of robust were not started (the same task would fail the same way)")
    assert second[0].endswith("the other run of other was not started (the same task would fail the same way)")
    assert len(Store.at(tmp_path / "runs").runs()) == 2


def test_runs_failed_lists_the_runs_that_ended_with_an_error(tmp_path, tasks_file, cli):
    run(cli, tmp_path, f"{tasks_file}:build", preset(tmp_path, runs=1, name="fine"))
    run(cli, tmp_path, f"{tasks_file}:build_raising", preset(tmp_path, runs=1, name="broken"))
    runs_dir = ("--runs-dir", str(tmp_path / "runs"))
    _, out, _ = cli("runs", "--json", *runs_dir)
    broken, fine = json.loads(out)["runs"]
    assert (broken["status"], fine["status"]) == ("failed", "finished")

    code, out, err = cli("runs", *runs_dir)
    assert code == 0 and err == ""
    assert out.splitlines()[-1] == "1 run ended with an error: `lrtui runs --failed` shows it"
    code, out, err = cli("runs", "--failed", *runs_dir)
    assert code == 0 and err == ""
    [row] = [line.split() for line in out.splitlines()[1:]]
    assert row[:3] == [str(broken["id"]), "r0", "failed"] and " ".join(row[3:]) == "RuntimeError: boom at batch 7"
    code, out, _ = cli("runs", "--failed", "--json", *runs_dir)
    assert code == 0 and [r["id"] for r in json.loads(out)["runs"]] == [broken["id"]]


# -- 2. bad input found before training: exit 2, one line, nothing stored ---------------------------
BEFORE_TRAINING = {  # build: what the one line says
    "build_raises": "robust_tasks.py:build_raises: build(ctx) raised ValueError: no data in the folder",
    "build_no_parameters": "robust_tasks.py:build_no_parameters: the model has no parameters to train",
    "build_frozen": "robust_tasks.py:build_frozen: the model has no parameters to train (none requires grad)",
    "build_meta": "robust_tasks.py:build_meta: the model is on the meta device (its weights were never made)",
    "build_empty": "robust_tasks.py:build_empty: the training batches are empty ('train' gave none)",
    "build_generator": "robust_tasks.py:build_generator: 'train' is not re-iterable (an iterator, such as a "
                       "generator, is used up after one pass): give a list or a DataLoader",
    "build_val_generator": "robust_tasks.py:build_val_generator: 'val' is not re-iterable (an iterator, such as a "
                           "generator, is used up after one pass): give a list or a DataLoader",
}


def refused(cli, tmp_path: Path, argv: list[str], command: str) -> str:
    """The one line of a command that refused bad input before storing anything."""
    code, out, err = cli(command, *argv, "--device", "cpu", "--runs-dir", str(tmp_path / "runs"))
    assert (code, out) == (2, ""), err
    assert err.startswith(f"lrtui {command}: ") and err.count("\n") == 1, err  # no progress bar before it
    assert Store.at(tmp_path / "runs").runs() == []
    return err.removesuffix("\n")


@pytest.mark.parametrize("command", ["run", "find"])
@pytest.mark.parametrize("build", BEFORE_TRAINING)
def test_a_task_that_cannot_train_is_refused_in_one_line_before_anything_is_stored(build, command, tmp_path,
                                                                                    tasks_file, cli):
    task = f"{tasks_file}:{build}"
    argv = [str(preset(tmp_path)), "--task", task] if command == "run" else ["--task", task]
    line = refused(cli, tmp_path, argv, command)
    assert line == f"lrtui {command}: task: {tasks_file.parent}/{BEFORE_TRAINING[build]}"


def test_the_engine_refuses_a_task_that_cannot_train_with_config_error(tmp_path, tasks_file):
    store = Store.at(tmp_path / "runs")
    for build in BEFORE_TRAINING:
        job = planning.Job("r", validate("StepLR", {"step_size": 1}), validate_optimizer({"name": "SGD", "lr": 0.1}),
                         2, task=f"{tasks_file}:{build}", device="cpu")
        with pytest.raises(ConfigError, match=build):
            recorder.run(job, store, lambda events: pytest.fail("no event before the run starts"), threading.Event())
    assert store.runs() == []


# -- 3. batches that run out, a validation loss that is not finite -----------------------------------
EMPTY_AT_1 = ("the training batches are empty at epoch 1: 'train' must give them again every epoch (a list or "
              "a DataLoader)")


def test_batches_that_run_out_after_the_first_epoch_fail_the_run_saying_so(tmp_path, tasks_file, cli):
    code, out, err = run(cli, tmp_path, f"{tasks_file}:build_once", preset(tmp_path, runs=1), extra=("--json",))
    assert code == 1
    [doc] = json.loads(out)["runs"]
    assert doc["status"] == "failed" and doc["error"] == EMPTY_AT_1
    assert [e["epoch"] for e in doc["epochs"]] == [0]
    assert f"lrtui run: run {doc['id']} r0 failed: {EMPTY_AT_1}" in err.splitlines()


def test_a_range_test_whose_batches_run_out_fails_saying_so(tmp_path, tasks_file, cli):
    code, out, err = cli("find", "--task", f"{tasks_file}:build_once", "--steps", "20", "--device", "cpu",
                         "--runs-dir", str(tmp_path / "runs"), "--json")
    assert code == 1
    doc = json.loads(out)
    assert doc["status"] == "failed" and len(doc["loss"]) == 5  # the one pass it had
    assert Store.at(tmp_path / "runs").run(doc["id"])["error"] == EMPTY_AT_1


def test_a_validation_loss_that_is_not_finite_ends_the_run_as_diverged_at_that_epoch(tmp_path, tasks_file, cli):
    code, out, _ = run(cli, tmp_path, f"{tasks_file}:build_nan_val", preset(tmp_path, runs=1), extra=("--json",))
    assert code == 0  # as a training loss that is not finite: an outcome, not a failure
    [doc] = json.loads(out)["runs"]
    assert doc["status"] == "diverged" and doc["error"] == "the validation loss is not finite (nan) at epoch 0"
    [epoch] = doc["epochs"]  # the epoch is kept, with its training loss; nothing trains after it
    assert epoch["epoch"] == 0 and epoch["val_loss"] is None and 0 < epoch["train_loss"] < 10
    assert len(Store.at(tmp_path / "runs").run(doc["id"])["steps"]["step"]) == 5


# -- 4. a row that cannot be read --------------------------------------------------------------------
@pytest.fixture
def three_runs(tmp_path, tasks_file, cli) -> tuple[Path, list[int]]:
    """A store of three finished runs, oldest first."""
    code, out, _ = run(cli, tmp_path, f"{tasks_file}:build", preset(tmp_path, runs=3), extra=("--json",))
    assert code == 0
    return tmp_path / "runs", [r["id"] for r in json.loads(out)["runs"]]


@pytest.mark.parametrize("config", ["{not json", "[1, 2]"])
def test_a_run_whose_config_cannot_be_read_is_left_out_of_the_listing_in_one_line(config, three_runs, cli):
    runs_dir, (first, bad, last) = three_runs
    with sqlite3.connect(runs_dir / "runs.sqlite") as db:
        db.execute("UPDATE runs SET config = ? WHERE id = ?", (config, bad))
    for argv in ([], ["--json"], ["--failed"]):
        code, out, err = cli("runs", *argv, "--runs-dir", str(runs_dir))
        assert code == 0
        assert err.startswith(f"lrtui runs: run {bad} left out: its config is not ") and err.count("\n") == 1, err
    code, out, _ = cli("runs", "--json", "--runs-dir", str(runs_dir))
    assert [r["id"] for r in json.loads(out)["runs"]] == [last, first]
    code, out, _ = cli("runs", "--runs-dir", str(runs_dir))
    assert [line.split()[0] for line in out.splitlines()[1:]] == [str(last), str(first)]

    seen = []
    assert [r["id"] for r in Store.at(runs_dir).runs(lambda run_id, why: seen.append(run_id))] == [last, first]
    assert seen == [bad]

    code, out, err = cli("export", str(bad), "--runs-dir", str(runs_dir))
    assert (code, out) == (2, "") and err.startswith(f"lrtui export: run {bad}: its config is not ")
    assert err.count("\n") == 1
    code, out, err = cli("runs", "--delete", str(bad), "--runs-dir", str(runs_dir))
    assert (code, out, err) == (0, "deleted 1 run(s)\n", "")
    code, _, err = cli("runs", "--runs-dir", str(runs_dir))
    assert (code, err) == (0, "")


# -- 5. a damaged store, a read-only store -----------------------------------------------------------
def damage(path: Path, page: int | None = None) -> bytes:
    """Overwrite one page of the store's file (by default the middle one) with garbage; returns the
    file's bytes. SQLite's own check must see it, or the test proves nothing."""
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every committed page in the file itself
        size = db.execute("PRAGMA page_size").fetchone()[0]
    data = bytearray(path.read_bytes())
    page = len(data) // size // 2 if page is None else page - 1  # SQLite counts pages from 1
    data[page * size:(page + 1) * size] = b"\xa5" * size
    path.write_bytes(data)
    try:
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA quick_check").fetchall() != [("ok",)]
    except sqlite3.DatabaseError:
        pass  # "database disk image is malformed": damaged too
    return bytes(data)


@pytest.mark.parametrize("argv", [["run", "PRESET", "--task", "TASK", "--device", "cpu"],
                                  ["find", "--task", "TASK", "--device", "cpu"], ["runs", "--delete", "1"]])
def test_a_damaged_store_is_never_written_to(argv, three_runs, tmp_path, tasks_file, cli):
    runs_dir, _ = three_runs
    path = runs_dir / "runs.sqlite"
    damaged = damage(path)
    argv = [{"PRESET": str(preset(tmp_path)), "TASK": f"{tasks_file}:build"}.get(a, a) for a in argv]
    code, out, err = cli(*argv, "--runs-dir", str(runs_dir))
    assert (code, out) == (2, "") and err.count("\n") == 1, err
    assert err.startswith(f"lrtui {argv[0]}: {path} is damaged (")
    assert err.endswith(f'move it aside and recover what it holds: mv {path} {path}.damaged && '
                        f'sqlite3 {path}.damaged ".recover" | sqlite3 {path}\n')
    assert path.read_bytes() == damaged
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0
    with pytest.raises(StoreError, match="is damaged"):
        Store.at(runs_dir)


def test_a_damaged_store_that_cannot_be_read_says_how_to_recover_it(three_runs, cli):
    runs_dir, _ = three_runs
    path = runs_dir / "runs.sqlite"
    with sqlite3.connect(path) as db:
        [(root,)] = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'runs'")
    damage(path, root)
    for argv in (["runs"], ["export", "1"]):
        code, out, err = cli(*argv, "--runs-dir", str(runs_dir))
        assert (code, out) == (2, "") and err.count("\n") == 1, err
        assert err.startswith(f"lrtui {argv[0]}: {path} is damaged (") and ".recover" in err


@pytest.mark.parametrize("locked", ["file", "folder"])
def test_a_read_only_store_is_listed_and_exported_and_a_write_is_refused_saying_so(locked, three_runs, tmp_path,
                                                                                 tasks_file, cli, monkeypatch):
    runs_dir, ids = three_runs
    path = runs_dir / "runs.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = path.read_bytes()
    unwritable = path if locked == "file" else runs_dir
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: not (mode & os.W_OK and Path(p) == unwritable)
                        and real_access(p, mode, **kw))  # as root, chmod would not stop a write

    code, out, err = cli("runs", "--json", "--runs-dir", str(runs_dir))
    assert (code, err) == (0, "") and [r["id"] for r in json.loads(out)["runs"]] == ids[::-1]
    code, out, err = cli("runs", "--runs-dir", str(runs_dir))
    assert (code, err) == (0, "") and [line.split()[0] for line in out.splitlines()[1:]] == [str(i) for i in ids[::-1]]
    code, out, err = cli("export", str(ids[0]), "--format", "json", "--runs-dir", str(runs_dir))
    assert (code, err) == (0, "") and len(json.loads(out)["runs"][0]["steps"]["step"]) == 10

    for argv in (["run", str(preset(tmp_path)), "--task", f"{tasks_file}:build", "--device", "cpu"],
                 ["find", "--task", f"{tasks_file}:build", "--device", "cpu"], ["runs", "--delete", str(ids[0])]):
        code, out, err = cli(*argv, "--runs-dir", str(runs_dir))
        assert (code, out) == (2, "") and err.count("\n") == 1, err
        assert err.startswith(f"lrtui {argv[0]}: {path} is read-only")
    assert path.read_bytes() == before
    assert len(Store.at(runs_dir, write=False).runs()) == 3
