"""The run store: SQLite in WAL mode, a run row at start, each epoch committed as it ends, a dead
writer's run read as interrupted, deletes that take a run's epochs and steps with it, long runs kept
one row per window; and the commands over it (`lrtui runs`, `lrtui export`), including after a kill."""
from __future__ import annotations

import csv
import io
import json
import math
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from lrtui.engine.events import EpochEnded, Steps
from lrtui.plan.planning import Job
from lrtui.runs import recorder
from lrtui.runs import store as store_module
from lrtui.runs.store import SCHEMA_VERSION, Store, StoreError
from lrtui.schedule.catalogue import validate
from lrtui.schedule.optimizers import validate_optimizer
from lrtui.schedule.preview import preview

TASK = '''
import torch
from torch import nn


def build(ctx):                    # 20 samples, a val set: ceil(20 / batch_size) batches an epoch
    g = torch.Generator().manual_seed(ctx.seed)
    x = torch.randn(28, 4, generator=g)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0).long()
    train = [(x[i:i + ctx.batch_size], y[i:i + ctx.batch_size]) for i in range(0, 20, ctx.batch_size)]
    return {"model": nn.Linear(4, 3), "train": train, "val": [(x[20:], y[20:])], "metric": "accuracy"}
'''
EPOCH = {"lr": 0.1, "train_loss": 1.0, "val_loss": 1.1, "val_acc": 0.5, "seconds": 0.2, "samples_per_s": 100.0}


@pytest.fixture
def task(tmp_path: Path) -> str:
    path = tmp_path / "task_for_store.py"
    path.write_text(TASK)
    return f"{path}:build"


def raw(store: Store) -> sqlite3.Connection:
    """A connection of our own, as another reader would open it."""
    return sqlite3.connect(store.path)


def start(store: Store, label: str = "run", total_steps: int = 10):
    return store.start(label, "a-preset", {"scheduler": {"name": "StepLR", "params": {"step_size": 2}}}, "spirals",
                       "cpu", "a cpu", 0, total_steps)


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def insert_running(store: Store, pid: int, host: str) -> int:
    with raw(store) as db:
        cur = db.execute("INSERT INTO runs (label, config, task, status, started, pid, host) "
                         "VALUES ('left', '{}', 'spirals', 'running', ?, ?, ?)", (time.time(), pid, host))
        return cur.lastrowid


# -- the database -----------------------------------------------------------------------------------
def test_schema_is_created_and_wal_is_on(store):
    with raw(store) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"meta", "runs", "epochs", "steps"} <= tables
        assert db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == (str(SCHEMA_VERSION),)
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)  # kept in the file: every reader gets it
    assert Store.at(store.path.parent).runs() == []  # opening it again changes nothing


V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, label TEXT NOT NULL, preset TEXT, config TEXT NOT NULL,
    task TEXT NOT NULL, device TEXT, device_name TEXT, seed INTEGER, status TEXT NOT NULL,
    started REAL NOT NULL, finished REAL, error TEXT, pid INTEGER, host TEXT, stride INTEGER NOT NULL DEFAULT 1);
CREATE TABLE epochs (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, epoch INTEGER NOT NULL, lr REAL,
    train_loss REAL, val_loss REAL, val_acc REAL, seconds REAL, samples_per_s REAL, PRIMARY KEY (run_id, epoch));
CREATE TABLE steps (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, step INTEGER NOT NULL, lr REAL,
    momentum REAL, loss REAL, PRIMARY KEY (run_id, step));
INSERT INTO meta VALUES ('schema', '1');
INSERT INTO runs (label, config, task, status, started) VALUES ('old', '{}', 'spirals', 'finished', 0);
"""


def test_a_store_of_schema_1_is_upgraded_with_its_runs_kept_as_training_runs(tmp_path):
    with sqlite3.connect(tmp_path / "runs.sqlite") as db:
        db.executescript(V1)
    store = Store.at(tmp_path)
    assert [(r["label"], r["kind"]) for r in store.runs()] == [("old", "train")]
    store.start("sweep", None, {}, "spirals", "cpu", "cpu", 0, 100, kind="find", key="k1").finish("finished")
    assert [(r["label"], r["kind"], r["key"]) for r in Store.at(tmp_path).runs()] == [
        ("sweep", "find", "k1"), ("old", "train", None)]  # a run from before keys is known by its id
    with raw(store) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == (str(SCHEMA_VERSION),)


V3 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, label TEXT NOT NULL, preset TEXT, config TEXT NOT NULL,
    task TEXT NOT NULL, device TEXT, device_name TEXT, seed INTEGER, status TEXT NOT NULL,
    started REAL NOT NULL, finished REAL, error TEXT, pid INTEGER, host TEXT, stride INTEGER NOT NULL DEFAULT 1,
    kind TEXT NOT NULL DEFAULT 'train', key TEXT);
CREATE TABLE epochs (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, epoch INTEGER NOT NULL, lr REAL,
    train_loss REAL, val_loss REAL, val_acc REAL, seconds REAL, samples_per_s REAL, PRIMARY KEY (run_id, epoch));
CREATE TABLE steps (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, step INTEGER NOT NULL, lr REAL,
    momentum REAL, loss REAL, PRIMARY KEY (run_id, step));
CREATE UNIQUE INDEX runs_key ON runs(key);
INSERT INTO meta VALUES ('schema', '3');
INSERT INTO runs (label, config, task, status, started, key) VALUES ('old', '{}', 'spirals', 'finished', 0, 'k0');
INSERT INTO epochs VALUES (1, 0, 0.1, 1.0, 0.9, 0.5, 1.0, 100.0);
"""


def test_a_store_of_schema_3_is_upgraded_its_runs_in_no_comparison_and_new_ones_recorded_in_theirs(tmp_path):
    with sqlite3.connect(tmp_path / "runs.sqlite") as db:
        db.executescript(V3)
    store = Store.at(tmp_path)
    [old] = store.runs()
    assert (old["label"], old["key"], old["comparison"], old["group"], old["n_epochs"]) == ("old", "k0", None, None, 1)
    assert store.last_comparison() is None
    for seed, group in ((0, "a"), (0, "b"), (1, "a")):
        store.start(group, None, {}, "spirals", "cpu", "cpu", seed, 10, comparison="c1", group=group).finish("finished")
    store.start("x", None, {}, "spirals", "cpu", "cpu", 0, 10, comparison="c2", group="x").finish("finished")
    assert [(r["group"], r["seed"]) for r in store.comparison("c1")] == [("a", 0), ("b", 0), ("a", 1)]
    assert store.last_comparison() == "c2" and store.comparison("nope") == []
    with raw(store) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == (str(SCHEMA_VERSION),)


def test_a_newer_schema_or_a_file_that_is_not_a_database_is_refused(tmp_path, store):
    with raw(store) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (str(SCHEMA_VERSION + 1),))
    with pytest.raises(StoreError, match="newer"):
        Store.at(store.path.parent)
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "runs.sqlite").write_bytes(b"this is not a database, only text " * 100)
    with pytest.raises(StoreError):
        Store.at(junk)


def test_a_run_row_is_written_at_start_and_each_epoch_committed_as_it_ends(store):
    writer = start(store, "mine")
    reader = raw(store)
    assert reader.execute("SELECT label, status, pid FROM runs").fetchall() == [("mine", "running", os.getpid())]
    assert store.runs()[0]["status"] == "running"  # our own process: alive

    writer.steps(0, [0.1] * 5, None, [1.0, 0.9, 0.8, 0.7, 0.6])
    assert reader.execute("SELECT COUNT(*) FROM steps").fetchone() == (0,)  # not before the epoch ends
    writer.epoch({"epoch": 0, **EPOCH})
    assert reader.execute("SELECT COUNT(*) FROM epochs").fetchone() == (1,)
    assert reader.execute("SELECT step, loss FROM steps ORDER BY step").fetchall() == [
        (0, 1.0), (1, 0.9), (2, 0.8), (3, 0.7), (4, 0.6)]
    writer.steps(5, [0.05] * 3, None, [0.5, 0.4, 0.3])  # a partial epoch, then the run stops
    writer.finish("stopped")
    reader.close()

    run = store.run(store.runs()[0]["id"])
    assert run["status"] == "stopped" and run["finished"] >= run["started"]
    assert run["epochs"] == [{"epoch": 0, **EPOCH}]
    assert run["steps"]["step"] == list(range(8)) and run["steps"]["lr"] == [0.1] * 5 + [0.05] * 3
    assert run["config"] == {"scheduler": {"name": "StepLR", "params": {"step_size": 2}}}


def test_a_running_run_whose_process_is_gone_reads_as_interrupted(store):
    gone = insert_running(store, dead_pid(), socket.gethostname())
    alive = insert_running(store, os.getpid(), socket.gethostname())
    elsewhere = insert_running(store, dead_pid(), "another-machine")  # cannot be checked from here
    status = {r["id"]: r["status"] for r in store.runs()}
    assert status == {gone: "interrupted", alive: "running", elsewhere: "running"}
    assert store.run(gone)["status"] == "interrupted"


def test_delete_removes_a_run_with_its_epochs_and_steps(store):
    ids = []
    for label in ("keep", "drop"):
        writer = start(store, label)
        writer.steps(0, [0.1] * 4, None, [1.0] * 4)
        writer.epoch({"epoch": 0, **EPOCH})
        writer.finish("finished")
        ids.append(writer.run_id)
    keep, drop = ids
    assert store.delete([drop, 12345]) == 1
    assert store.run(drop) is None and [r["id"] for r in store.runs()] == [keep]
    with raw(store) as db:
        for table in ("epochs", "steps"):
            counts = dict(db.execute(f"SELECT run_id, COUNT(*) FROM {table} GROUP BY run_id").fetchall())
            assert counts == {keep: 1 if table == "epochs" else 4}


def test_changes_gives_the_runs_after_an_id_and_the_ones_asked_for_with_their_live_status(store):
    writer = Store.at(store.path.parent)  # a second writer: another process's `lrtui run`, say
    old, running = start(writer, "old"), start(writer, "running")
    old.finish("finished")
    assert store.changes(running.run_id, []) == []
    running.epoch({"epoch": 0, **EPOCH})
    late = start(writer, "late")
    late.epoch({"epoch": 0, **EPOCH})
    late.epoch({"epoch": 1, **EPOCH})
    gone = insert_running(store, dead_pid(), socket.gethostname())
    changed = store.changes(late.run_id - 1, [running.run_id])
    assert [(r["id"], r["label"], r["status"], r["n_epochs"]) for r in changed] == [
        (running.run_id, "running", "running", 1), (late.run_id, "late", "running", 2),
        (gone, "left", "interrupted", 0)]
    assert changed[1]["config"] == store.run(late.run_id)["config"]
    running.finish("finished")
    assert [(r["id"], r["status"]) for r in store.changes(gone, [running.run_id, old.run_id])] == [
        (old.run_id, "finished"), (running.run_id, "finished")]


def test_a_run_read_from_an_epoch_and_a_step_row_on_gives_what_a_second_writer_added_since(store):
    writer = start(Store.at(store.path.parent))
    writer.steps(0, [0.1] * 4, None, [1.0, 0.9, 0.8, 0.7])
    writer.epoch({"epoch": 0, **EPOCH})
    first = store.run(writer.run_id)
    writer.steps(4, [0.05] * 4, None, [0.6, 0.5, 0.4, 0.3])
    writer.epoch({"epoch": 1, **EPOCH, "lr": 0.05})
    writer.steps(8, [0.01] * 2, None, [0.2, 0.1])
    writer.finish("stopped")
    rest = store.run(writer.run_id, from_epoch=len(first["epochs"]), from_row=len(first["steps"]["step"]))
    whole = store.run(writer.run_id)
    assert rest["status"] == "stopped" and rest["n_epochs"] == 2
    assert first["epochs"] + rest["epochs"] == whole["epochs"] and rest["epochs"] == [{"epoch": 1, **EPOCH, "lr": 0.05}]
    assert rest["steps"]["step"] == list(range(4, 10)) and rest["steps"]["loss"] == [0.6, 0.5, 0.4, 0.3, 0.2, 0.1]
    assert store.run(writer.run_id, steps=False, from_epoch=2)["epochs"] == []


# -- downsampling -----------------------------------------------------------------------------------
def test_a_long_run_keeps_one_row_per_window(store, monkeypatch):
    monkeypatch.setattr(store_module, "MAX_STEPS", 4)
    writer = start(store, total_steps=10)  # stride ceil(10 / 4) = 3: windows 0-2, 3-5, 6-8, 9
    lr = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1]
    momentum = [0.80, 0.81, 0.82, 0.83, 0.84, 0.85, 0.86, 0.87, 0.88, 0.89]
    loss = [3.0, 6.0, 9.0, 2.0, 4.0, 6.0, 1.0, 1.0, 4.0, 7.0]
    writer.steps(0, lr[:4], momentum[:4], loss[:4])  # handed over in pieces that cut across windows
    writer.epoch({"epoch": 0, **EPOCH})
    with raw(store) as db:
        assert db.execute("SELECT step, lr, momentum, loss FROM steps").fetchall() == [(0, 1.0, 0.80, 6.0)]
        assert db.execute("SELECT stride FROM runs").fetchone() == (3,)
    writer.steps(4, lr[4:7], momentum[4:7], loss[4:7])
    writer.steps(7, lr[7:], momentum[7:], loss[7:])
    writer.finish("finished")
    steps = store.run(writer.run_id)["steps"]
    assert steps == {"step": [0, 3, 6, 9], "lr": [1.0, 0.7, 0.4, 0.1], "momentum": [0.80, 0.83, 0.86, 0.89],
                     "loss": [6.0, 4.0, 2.0, 7.0]}


def test_a_long_training_run_is_stored_downsampled(store, task, monkeypatch):
    monkeypatch.setattr(store_module, "MAX_STEPS", 4)
    schedule = validate("CosineAnnealingLR", {"T_max": "auto"}, interval="step")
    optimizer = validate_optimizer({"name": "SGD", "lr": 0.1})
    job = Job("long", schedule, optimizer, 6, task=task, batch_size=4, device="cpu")  # 6 epochs x 5 batches: stride 8
    events = []
    assert recorder.run(job, store, events.extend, threading.Event()) == "finished"
    losses = [x for e in events if isinstance(e, Steps) for x in e.loss]
    curve = preview(schedule, optimizer, 30)
    steps = store.run(events[0].run_id)["steps"]
    assert steps["step"] == [0, 8, 16, 24]
    assert steps["lr"] == pytest.approx([curve.lr[s] for s in (0, 8, 16, 24)], rel=1e-12)
    assert steps["loss"] == pytest.approx([sum(losses[s:s + 8]) / len(losses[s:s + 8]) for s in (0, 8, 16, 24)])
    assert len(store.run(events[0].run_id)["epochs"]) == 6  # epochs are never downsampled


# -- readers beside a writer ------------------------------------------------------------------------
READER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("SELECT COUNT(*) FROM epochs").fetchone()[0], db.execute("SELECT COUNT(*) FROM steps").fetchone()[0])
"""


def test_readers_see_each_epoch_while_the_run_goes_on(store, task):
    seen = []

    def emit(events):
        for e in events:
            if isinstance(e, EpochEnded):
                with raw(store) as db:  # another connection in this process
                    epochs = db.execute("SELECT COUNT(*) FROM epochs").fetchone()[0]
                    steps = db.execute("SELECT COUNT(*) FROM steps").fetchone()[0]
                    status = db.execute("SELECT status FROM runs").fetchone()[0]
                other = subprocess.run([sys.executable, "-c", READER, str(store.path)],  # and another process
                                       capture_output=True, text=True, check=True).stdout.split()
                seen.append((e.epoch, epochs, steps, status, [int(v) for v in other]))

    job = Job("watched", validate("StepLR", {"step_size": 1}), validate_optimizer({}), 3, task=task, batch_size=4,
              device="cpu")
    assert recorder.run(job, store, emit, threading.Event()) == "finished"
    assert seen == [(e, e + 1, 5 * (e + 1), "running", [e + 1, 5 * (e + 1)]) for e in range(3)]


# -- a killed `lrtui run` ---------------------------------------------------------------------------
LONG_PRESET = """
name = "long"
[training]
task = "spirals"
epochs = 200
[optimizer]
name = "SGD"
lr = 0.05
[[runs]]
label = "long cosine"
scheduler = { name = "CosineAnnealingLR", params = { T_max = "auto" } }
"""


@pytest.mark.slow
def test_a_killed_run_keeps_its_epochs_and_reads_as_interrupted(tmp_path, cli):
    preset = tmp_path / "long.toml"
    preset.write_text(LONG_PRESET)
    runs_dir = tmp_path / "killed"
    log = (tmp_path / "child.log").open("w")
    child = subprocess.Popen([sys.executable, "-m", "lrtui", "run", str(preset), "--runs-dir", str(runs_dir),
                              "--device", "cpu"], stdout=log, stderr=log)
    db_path = runs_dir / "runs.sqlite"
    try:
        committed, deadline = 0, time.monotonic() + 120  # a guard against hanging, not a timing check
        while committed < 2:
            assert child.poll() is None, (tmp_path / "child.log").read_text()
            assert time.monotonic() < deadline, "no two epochs in time"
            time.sleep(0.05)
            if db_path.exists():
                try:
                    with sqlite3.connect(db_path, timeout=10) as db:
                        committed = db.execute("SELECT COUNT(*) FROM epochs").fetchone()[0]
                except sqlite3.OperationalError:  # the schema is not there yet
                    pass
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
        log.close()
    assert child.returncode == -signal.SIGKILL

    store = Store.at(runs_dir)
    [listed] = store.runs()
    assert listed["status"] == "interrupted" and listed["n_epochs"] >= committed
    run = store.run(listed["id"])
    n = len(run["epochs"])
    assert [e["epoch"] for e in run["epochs"]] == list(range(n))
    assert all(math.isfinite(e["train_loss"]) for e in run["epochs"])
    assert len(run["steps"]["step"]) >= n * 47  # ceil(6000 / 128) batches in each committed epoch
    assert run["steps"]["step"] == list(range(len(run["steps"]["step"])))

    code, out, _ = cli("runs", "--json", "--runs-dir", str(runs_dir))
    assert code == 0
    [doc] = json.loads(out)["runs"]
    assert doc["id"] == listed["id"] and doc["label"] == "long cosine"
    assert doc["status"] == "interrupted" and doc["epochs"] == n
    assert doc["scheduler"] == {"name": "CosineAnnealingLR", "params": {}}  # defaults (T_max auto) left out


# -- lrtui runs and lrtui export --------------------------------------------------------------------
PRESET = """
name = "two"
[training]
task = "spirals"
epochs = 50
[optimizer]
name = "SGD"
lr = 0.1
[[runs]]
label = "steps"
scheduler = { name = "StepLR", params = { step_size = 1, gamma = 0.1 } }
[[runs]]
label = "exp"
scheduler = { name = "ExponentialLR", params = { gamma = 0.5 } }
"""


@pytest.fixture
def two_runs(tmp_path, task, cli):
    """Two runs made by `lrtui run` on the small task: 3 epochs of 5 batches each."""
    preset = tmp_path / "two.toml"
    preset.write_text(PRESET)
    runs_dir = tmp_path / "cli-runs"
    code, out, _ = cli("run", str(preset), "--task", task, "--epochs", "3", "--batch-size", "4",
                       "--device", "cpu", "--runs-dir", str(runs_dir), "--json")
    assert code == 0
    return runs_dir, {r["label"]: r["id"] for r in json.loads(out)["runs"]}


def test_runs_json_lists_every_run(two_runs, cli):
    runs_dir, ids = two_runs
    code, out, _ = cli("runs", "--json", "--runs-dir", str(runs_dir))
    assert code == 0
    listed = json.loads(out)["runs"]
    assert [r["id"] for r in listed] == [ids["exp"], ids["steps"]]  # newest first
    for r in listed:
        assert r["status"] == "finished" and r["epochs"] == 3 and r["preset"] == "two" and r["seed"] == 0
    assert listed[1]["scheduler"] == {"name": "StepLR", "params": {"step_size": 1}}  # gamma 0.1 is the default


def test_runs_delete_removes_a_run_and_refuses_an_unknown_id(two_runs, cli):
    runs_dir, ids = two_runs
    code, out, _ = cli("runs", "--delete", str(ids["steps"]), "--runs-dir", str(runs_dir))
    assert code == 0 and "deleted 1" in out
    store = Store.at(runs_dir)
    assert [r["id"] for r in store.runs()] == [ids["exp"]]
    with raw(store) as db:
        assert db.execute("SELECT COUNT(*) FROM steps WHERE run_id = ?", (ids["steps"],)).fetchone() == (0,)
        assert db.execute("SELECT COUNT(*) FROM epochs WHERE run_id = ?", (ids["steps"],)).fetchone() == (0,)

    code, out, err = cli("runs", "--delete", str(ids["steps"]), "--runs-dir", str(runs_dir))
    assert code == 2 and out == "" and err.count("\n") == 1 and str(ids["steps"]) in err
    assert [r["id"] for r in store.runs()] == [ids["exp"]]


def test_export_csv_has_every_epoch_and_step(two_runs, cli):
    runs_dir, ids = two_runs
    code, out, _ = cli("export", str(ids["steps"]), str(ids["exp"]), "--format", "csv",
                       "--runs-dir", str(runs_dir))
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    for label, lr_of_epoch in (("steps", lambda e: 0.1 * 0.1 ** e), ("exp", lambda e: 0.1 * 0.5 ** e)):
        mine = [r for r in rows if r["label"] == label]
        assert {r["run_id"] for r in mine} == {str(ids[label])}
        epochs = [r for r in mine if r["kind"] == "epoch"]
        steps = [r for r in mine if r["kind"] == "step"]
        assert [int(r["index"]) for r in epochs] == [0, 1, 2]
        assert [float(r["lr"]) for r in epochs] == pytest.approx([lr_of_epoch(e) for e in range(3)], rel=1e-12)
        assert all(r["val_loss"] and r["val_acc"] and float(r["loss"]) > 0 for r in epochs)
        assert [int(r["index"]) for r in steps] == list(range(15))
        assert [float(r["lr"]) for r in steps] == pytest.approx([lr_of_epoch(t // 5) for t in range(15)], rel=1e-12)
        assert all(float(r["loss"]) > 0 and r["momentum"] == "" for r in steps)


def test_export_json_has_every_epoch_and_step(two_runs, tmp_path, cli):
    runs_dir, ids = two_runs
    target = tmp_path / "out.json"
    code, out, _ = cli("export", str(ids["exp"]), "--format", "json", "-o", str(target),
                       "--runs-dir", str(runs_dir))
    assert code == 0 and out == ""
    [run] = json.loads(target.read_text())["runs"]
    assert run["id"] == ids["exp"] and run["label"] == "exp" and run["status"] == "finished"
    assert run["scheduler"] == {"name": "ExponentialLR", "params": {"gamma": 0.5}}
    assert [e["lr"] for e in run["epochs"]] == pytest.approx([0.1, 0.05, 0.025], rel=1e-12)
    assert run["steps"]["step"] == list(range(15))
    assert run["steps"]["lr"] == pytest.approx([0.1 * 0.5 ** (t // 5) for t in range(15)], rel=1e-12)
    assert len(run["steps"]["loss"]) == 15
    assert run["config"]["training"]["epochs"] == 3


def test_export_of_an_unknown_id_exits_2(two_runs, cli):
    runs_dir, _ = two_runs
    for fmt in ("csv", "json"):
        code, out, err = cli("export", "999", "--format", fmt, "--runs-dir", str(runs_dir))
        assert code == 2 and out == "" and err.count("\n") == 1 and "999" in err and "Traceback" not in err
