"""The training engine: the lr a run records is the lr torch's scheduler produced (as the preview shows
it), per batch and per epoch; ReduceLROnPlateau is fed the real validation loss; a run ends as
finished, diverged, stopped or failed keeping what it did; events come in batches and in order; runs of
one comparison start from the same weights and batches; `lrtui run` prints the documented JSON.

Small user tasks written into tmp_path keep this fast; the built-in spirals is used where it matters."""
from __future__ import annotations

import json
import math
import sys
import threading
import types
from pathlib import Path

import pytest
import torch
from task_source import COMMON

from lrtui.engine import shared
from lrtui.engine.events import EpochEnded, RunEnded, RunStarted, Steps
from lrtui.plan.planning import Job
from lrtui.runs import recorder
from lrtui.runs.store import Store
from lrtui.schedule.catalogue import moves_momentum, validate
from lrtui.schedule.optimizers import validate_optimizer
from lrtui.schedule.params import ConfigError
from lrtui.schedule.preview import preview

TASKS = COMMON + '''
import sys

import torch.nn.functional as F


def build(ctx):                    # 20 samples: ceil(20 / batch_size) batches an epoch, no val
    x, y = data(ctx.seed, 20)
    return {"model": nn.Linear(4, 3), "train": batches(x, y, ctx.batch_size)}


def build_big(ctx):                # 1000 samples
    x, y = data(ctx.seed, 1000)
    return {"model": nn.Linear(4, 3), "train": batches(x, y, ctx.batch_size)}


def build_val_flat(ctx):
    """Training loss falls; the val loss is log(3) whatever the weights (zero inputs, no bias)."""
    x, y = data(ctx.seed, 20)
    val = [(torch.zeros(8, 4), torch.arange(8) % 3)]
    return {"model": nn.Linear(4, 3, bias=False), "train": batches(x, y, ctx.batch_size), "val": val}


def build_train_flat(ctx):
    """No val; the training loss is log(3) at every step and nothing ever learns (zero inputs)."""
    return {"model": nn.Linear(4, 3, bias=False),
            "train": batches(torch.zeros(20, 4), torch.arange(20) % 3, ctx.batch_size)}


def build_train_falls(ctx):
    x, y = data(ctx.seed, 20)
    return {"model": nn.Linear(4, 3, bias=False), "train": batches(x, y, ctx.batch_size)}


BAD_AT = 12                        # the first step whose loss is not finite


def _bad_after(bad):
    calls = [0]

    def loss(out, target):
        value = F.cross_entropy(out, target)
        calls[0] += 1
        return value * bad if calls[0] > BAD_AT else value
    return loss


def build_nan(ctx):
    return {**build(ctx), "loss": _bad_after(float("nan"))}


def build_inf(ctx):
    return {**build(ctx), "loss": _bad_after(float("inf"))}


def build_regression(ctx):         # mean squared error: a huge lr overflows it within a few steps
    g = torch.Generator().manual_seed(ctx.seed)
    x = torch.randn(20, 4, generator=g)
    return {"model": nn.Linear(4, 1), "train": batches(x, x.sum(dim=1, keepdim=True), ctx.batch_size),
            "loss": F.mse_loss}


class Counted(nn.Linear):
    """Counts the training batches it sees in the probe module the test puts in sys.modules."""

    def forward(self, x):
        if self.training:
            sys.modules["_lrtui_probe"].forwards += 1
        return super().forward(x)


def build_probe(ctx):
    x, y = data(ctx.seed, 20)
    return {"model": Counted(4, 3), "train": batches(x, y, ctx.batch_size)}


FAIL_AT = 7                        # the batch (counted over the whole run) whose fetch raises


def build_raising(ctx):
    x, y = data(ctx.seed, 20)
    return {"model": nn.Linear(4, 3),
            "train": Raising(batches(x, y, ctx.batch_size), FAIL_AT, f"boom at batch {FAIL_AT}")}


def build_not_a_model(ctx):
    return {"model": "a string", "train": []}


NOTES = ["only 20 samples: the lr moves in coarse steps", "no validation data: the val columns stay empty"]


def build_noted(ctx):
    return {**build(ctx), "notes": NOTES}
'''
NOTES = ["only 20 samples: the lr moves in coarse steps", "no validation data: the val columns stay empty"]
BAD_AT, FAIL_AT = 12, 7
SGD = {"name": "SGD", "lr": 0.1}


@pytest.fixture
def tasks_file(tmp_path: Path) -> Path:
    path = tmp_path / "tasks_for_engine.py"
    path.write_text(TASKS)
    return path


def make_job(task: str, name: str = "StepLR", params: dict | None = None, *, interval: str | None = None,
             warmup: int = 0, optimizer: dict = SGD, epochs: int = 6, batch_size: int = 4, seed: int = 0,
             label: str = "run") -> Job:
    schedule = validate(name, params if params is not None else {"step_size": 2}, interval=interval, warmup=warmup)
    return Job(label, schedule, validate_optimizer(optimizer), epochs, task=task, batch_size=batch_size, seed=seed,
               device="cpu")


def run_job(store: Store, job: Job, stop: threading.Event | None = None, on_events=None):
    """Train `job`; returns its status, every event in order, and the batches emit was called with."""
    calls: list[list] = []

    def emit(events):
        calls.append(list(events))
        if on_events:
            on_events(events)

    status = recorder.run(job, store, emit, stop or threading.Event())
    return status, [e for c in calls for e in c], calls


def steps_of(events: list) -> dict:
    steps = [e for e in events if isinstance(e, Steps)]
    return {"lr": [x for s in steps for x in s.lr], "loss": [x for s in steps for x in s.loss],
            "momentum": [x for s in steps for x in s.momentum] if steps and steps[0].momentum is not None else None}


def only_run(store: Store) -> dict:
    runs = store.runs()
    assert len(runs) == 1
    return store.run(runs[0]["id"])


# -- stepping ---------------------------------------------------------------------------------------
TRI = lambda t: 1 - abs(t % 8 - 4) / 4  # noqa: E731 - CyclicLR's triangle, 4 steps up and 4 down
STEPPING = {  # id: (scheduler, params, interval, warmup, optimizer, hand-written lr per step of 6 x 5)
    "StepLR per epoch": ("StepLR", {"step_size": 2, "gamma": 0.5}, "epoch", 0, SGD,
                         lambda t: 0.1 * 0.5 ** (t // 5 // 2)),
    "MultiStepLR per step": ("MultiStepLR", {"milestones": [7, 19], "gamma": 0.1}, "step", 0, SGD,
                             lambda t: 0.1 * 0.1 ** ((t >= 7) + (t >= 19))),
    "cosine per step after 4 warmup steps": (
        "CosineAnnealingLR", {"T_max": "auto"}, "step", 4, SGD,
        lambda t: 0.1 * (t + 1) / 5 if t < 4 else 0.05 * (1 + math.cos(math.pi * (t - 4) / 26))),
    "cosine per epoch after 2 warmup epochs": (
        "CosineAnnealingLR", {"T_max": "auto"}, "epoch", 2, SGD,
        lambda t: 0.1 * (t // 5 + 1) / 3 if t < 10 else 0.05 * (1 + math.cos(math.pi * (t // 5 - 2) / 4))),
    "OneCycleLR per step": ("OneCycleLR", {"max_lr": 0.3}, "step", 0, {**SGD, "momentum": 0.9}, None),
    "CyclicLR per step with Adam": ("CyclicLR", {"base_lr": 0.001, "max_lr": 0.01, "step_size_up": 4}, "step", 0,
                                    {"name": "Adam", "lr": 0.001}, lambda t: 0.001 + 0.009 * TRI(t)),
}


@pytest.mark.parametrize("case", STEPPING)
def test_recorded_lr_is_the_previews_at_every_step(case, tasks_file, store):
    name, params, interval, warmup, opt, hand = STEPPING[case]
    epochs, per_epoch = 6, 5
    job = make_job(f"{tasks_file}:build", name, params, interval=interval, warmup=warmup, optimizer=opt,
                   epochs=epochs, batch_size=4)
    status, events, _ = run_job(store, job)
    assert status == "finished"  # OneCycleLR stepped every batch to the end: no "Tried to step" error

    curve = preview(job.schedule, job.optimizer, epochs * per_epoch if interval == "step" else epochs)
    per_step = lambda values: (list(values) if interval == "step"  # noqa: E731
                               else [v for v in values for _ in range(per_epoch)])
    expected = per_step(curve.lr)
    assert len(expected) == epochs * per_epoch

    seen = steps_of(events)
    run = only_run(store)
    assert run["steps"]["step"] == list(range(epochs * per_epoch))
    assert seen["lr"] == pytest.approx(expected, rel=1e-12)
    assert run["steps"]["lr"] == pytest.approx(expected, rel=1e-12)
    if hand:
        assert seen["lr"] == pytest.approx([hand(t) for t in range(epochs * per_epoch)], rel=1e-9)

    start_of_epoch = [expected[e * per_epoch] for e in range(epochs)]
    assert [e["epoch"] for e in run["epochs"]] == list(range(epochs))
    assert [e["lr"] for e in run["epochs"]] == pytest.approx(start_of_epoch, rel=1e-12)
    assert [e.lr for e in events if isinstance(e, EpochEnded)] == pytest.approx(start_of_epoch, rel=1e-12)

    if moves_momentum(job.schedule.spec, job.schedule.params):
        assert curve.momentum is not None
        assert seen["momentum"] == pytest.approx(per_step(curve.momentum), rel=1e-12)
        assert run["steps"]["momentum"] == pytest.approx(per_step(curve.momentum), rel=1e-12)
    else:
        assert seen["momentum"] is None and set(run["steps"]["momentum"]) == {None}


def test_one_cycle_moves_sgd_momentum_opposite_to_the_lr(tasks_file, store):
    job = make_job(f"{tasks_file}:build", "OneCycleLR", {"max_lr": 0.3}, interval="step",
                   optimizer={**SGD, "momentum": 0.9}, epochs=6, batch_size=4)
    assert run_job(store, job)[0] == "finished"
    steps = only_run(store)["steps"]
    lr, momentum = steps["lr"], steps["momentum"]
    assert len(lr) == 30
    assert lr[0] == pytest.approx(0.3 / 25) and max(lr) == pytest.approx(0.3)
    assert lr[-1] == pytest.approx(0.3 / 25 / 1e4)  # the last of total_steps = 30: the final lr
    assert momentum[0] == pytest.approx(0.95) and momentum[lr.index(max(lr))] == pytest.approx(0.85)


def test_cyclic_lr_drives_adams_beta1(tasks_file, store):
    job = make_job(f"{tasks_file}:build", "CyclicLR", {"base_lr": 0.001, "max_lr": 0.01, "step_size_up": 4},
                   interval="step", optimizer={"name": "Adam", "lr": 0.001}, epochs=2, batch_size=4)
    assert run_job(store, job)[0] == "finished"
    beta1 = only_run(store)["steps"]["momentum"]
    assert beta1 == pytest.approx([0.9 - 0.1 * TRI(t) for t in range(10)], rel=1e-9)


# -- ReduceLROnPlateau ------------------------------------------------------------------------------
PLATEAU = {"mode": "min", "factor": 0.5, "patience": 2}
# a flat metric: best after epoch 0, then 3 epochs without improvement (> patience 2) cut the lr, again
CUT_AFTER_PATIENCE = [0.1] * 4 + [0.05] * 3 + [0.025]


def test_plateau_is_fed_the_validation_loss(tasks_file, store):
    job = make_job(f"{tasks_file}:build_val_flat", "ReduceLROnPlateau", PLATEAU, optimizer={"name": "SGD", "lr": 0.1},
                   epochs=8)
    assert run_job(store, job)[0] == "finished"
    epochs = only_run(store)["epochs"]
    assert [e["val_loss"] for e in epochs] == pytest.approx([math.log(3)] * 8)
    train_losses = [e["train_loss"] for e in epochs]
    assert all(b < a * (1 - 1e-3) for a, b in zip(train_losses, train_losses[1:]))  # fed this, it would never cut
    assert [e["lr"] for e in epochs] == pytest.approx(CUT_AFTER_PATIENCE, rel=1e-12)


def test_plateau_without_val_is_fed_the_training_loss(tasks_file, store):
    flat = make_job(f"{tasks_file}:build_train_flat", "ReduceLROnPlateau", PLATEAU, epochs=8)
    assert run_job(store, flat)[0] == "finished"
    epochs = only_run(store)["epochs"]
    assert [e["val_loss"] for e in epochs] == [None] * 8
    assert [e["train_loss"] for e in epochs] == pytest.approx([math.log(3)] * 8)
    assert [e["lr"] for e in epochs] == pytest.approx(CUT_AFTER_PATIENCE, rel=1e-12)


def test_plateau_keeps_the_lr_while_the_training_loss_falls(tasks_file, store):
    job = make_job(f"{tasks_file}:build_train_falls", "ReduceLROnPlateau", PLATEAU, epochs=8)
    assert run_job(store, job)[0] == "finished"
    assert [e["lr"] for e in only_run(store)["epochs"]] == [0.1] * 8


# -- divergence -------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["nan", "inf"])
def test_a_loss_that_is_not_finite_ends_the_run_as_diverged_at_that_step(kind, tasks_file, store):
    job = make_job(f"{tasks_file}:build_{kind}", epochs=6, batch_size=4)  # 5 batches an epoch; step 12 is bad
    status, events, _ = run_job(store, job)
    assert status == "diverged"
    why = f"the training loss is not finite ({kind}) at step {BAD_AT}"  # the store keeps the loss as NULL
    assert events[-1] == RunEnded(events[0].key, "diverged", why)

    loss = steps_of(events)["loss"]
    assert len(loss) == BAD_AT + 1  # up to and including the bad step, nothing after
    assert all(math.isfinite(v) for v in loss[:BAD_AT]) and not math.isfinite(loss[BAD_AT])

    run = only_run(store)
    assert run["status"] == "diverged" and run["error"] == why
    assert run["steps"]["step"] == list(range(BAD_AT + 1))
    stored = run["steps"]["loss"]
    assert all(v is not None and math.isfinite(v) for v in stored[:BAD_AT])
    assert stored[BAD_AT] is None or not math.isfinite(stored[BAD_AT])  # SQLite keeps NaN as NULL
    assert [e["epoch"] for e in run["epochs"]] == [0, 1]  # epoch 2 (steps 10-14) never ended
    assert [e.epoch for e in events if isinstance(e, EpochEnded)] == [0, 1]


def test_a_huge_lr_diverges(tasks_file, store):
    job = make_job(f"{tasks_file}:build_regression", "StepLR", {"step_size": 100},
                   optimizer={"name": "SGD", "lr": 1e8}, epochs=20, batch_size=4)
    status, events, _ = run_job(store, job)
    assert status == "diverged"
    loss = steps_of(events)["loss"]
    assert len(loss) < 100
    assert all(math.isfinite(v) for v in loss[:-1]) and not math.isfinite(loss[-1])
    run = only_run(store)
    assert run["status"] == "diverged" and len(run["steps"]["step"]) == len(loss)


# -- stop and failure -------------------------------------------------------------------------------
def test_stop_from_the_consumer_ends_the_run_within_one_batch(tasks_file, store, monkeypatch):
    probe = types.ModuleType("_lrtui_probe")
    probe.forwards = 0
    monkeypatch.setitem(sys.modules, "_lrtui_probe", probe)
    monkeypatch.setattr(shared, "FLUSH_SECONDS", 0)  # hand every batch over as it ends, so stop lands mid-epoch
    stop, at_stop = threading.Event(), {}

    def on_events(events):
        for e in events:
            if isinstance(e, Steps) and e.first + len(e.lr) - 1 >= 12 and not stop.is_set():
                stop.set()  # after step 12: epoch 2, batch 2 of 5
                at_stop["forwards"] = probe.forwards

    job = make_job(f"{tasks_file}:build_probe", epochs=6, batch_size=4)
    status, events, _ = run_job(store, job, stop, on_events)
    assert status == "stopped"
    assert at_stop["forwards"] == 13
    assert probe.forwards - at_stop["forwards"] <= 1  # within one batch of the stop
    assert events[-1] == RunEnded(events[0].key, "stopped", None)

    run = only_run(store)
    assert run["status"] == "stopped"
    assert [e["epoch"] for e in run["epochs"]] == [0, 1]  # the completed epochs are kept
    assert run["steps"]["step"] == list(range(probe.forwards))  # and every batch it trained


def test_an_exception_in_training_fails_the_run_keeping_what_it_did(tasks_file, store):
    job = make_job(f"{tasks_file}:build_raising", epochs=6, batch_size=4)  # fetching batch 7 (epoch 1) raises
    status, events, _ = run_job(store, job)
    assert status == "failed"
    message = f"RuntimeError: boom at batch {FAIL_AT}"
    assert events[-1] == RunEnded(events[0].key, "failed", message)
    run = only_run(store)
    assert run["status"] == "failed" and run["error"] == message
    assert [e["epoch"] for e in run["epochs"]] == [0]
    assert run["steps"]["step"] == list(range(FAIL_AT))


@pytest.mark.parametrize("change", ["unknown task", "missing task file", "not a model", "absent device"])
def test_bad_input_raises_config_error_and_stores_nothing(change, tasks_file, store):
    task = {"unknown task": "no-such-task", "missing task file": f"{tasks_file.parent}/nowhere.py:build",
            "not a model": f"{tasks_file}:build_not_a_model"}.get(change, f"{tasks_file}:build")
    job = make_job(task)
    if change == "absent device":
        job = Job(job.label, job.schedule, job.optimizer, 2, task=task, batch_size=4,
                  device=f"cuda:{max(7, torch.cuda.device_count())}")
    called = []
    with pytest.raises(ConfigError):
        recorder.run(job, store, called.append, threading.Event())
    assert called == [] and store.runs() == []


# -- events -----------------------------------------------------------------------------------------
def test_events_come_in_batches_and_in_order(tasks_file, store):
    epochs, per_epoch = 2, 1000
    job = make_job(f"{tasks_file}:build_big", "StepLR", {"step_size": 1}, epochs=epochs, batch_size=1)
    status, events, calls = run_job(store, job)
    assert status == "finished"
    total = epochs * per_epoch
    assert all(calls) and len(calls) * 10 < total  # batched: not one call per step

    assert isinstance(events[0], RunStarted) and events[0].epochs == epochs and events[0].steps_per_epoch == per_epoch
    assert events[-1] == RunEnded(events[0].key, "finished", None)
    assert not any(isinstance(e, (RunStarted, RunEnded)) for e in events[1:-1])
    assert events[0].run_id == only_run(store)["id"]

    covered = 0  # steps handed over so far
    for e in events[1:-1]:
        if isinstance(e, Steps):
            assert e.first == covered and len(e.lr) == len(e.loss) > 0
            covered += len(e.lr)
        else:
            assert isinstance(e, EpochEnded)
            assert covered == (e.epoch + 1) * per_epoch  # every step of the epoch came before it
    assert covered == total
    assert [e.epoch for e in events if isinstance(e, EpochEnded)] == list(range(epochs))


def test_run_started_carries_the_tasks_notes(tasks_file, store):
    status, events, _ = run_job(store, make_job(f"{tasks_file}:build_noted"))
    assert status == "finished" and events[0].notes == tuple(NOTES)
    assert run_job(store, make_job(f"{tasks_file}:build"))[1][0].notes == ()


# -- fairness ---------------------------------------------------------------------------------------
def test_runs_of_a_comparison_start_from_the_same_weights_and_batches(store):
    def first_epoch(name, params, interval=None, seed=0):
        job = make_job("spirals", name, params, interval=interval, epochs=1, batch_size=500, seed=seed)
        return steps_of(run_job(store, job)[1])

    step = first_epoch("StepLR", {"step_size": 1})
    exponential = first_epoch("ExponentialLR", {"gamma": 0.5})
    one_cycle = first_epoch("OneCycleLR", {"max_lr": 0.3}, "step")
    other_seed = first_epoch("StepLR", {"step_size": 1}, seed=1)
    assert len(step["loss"]) == 12  # ceil(6000 / 500)

    # per-epoch schedules: the same lr all through epoch 0, so the same losses at every step of it
    assert step["lr"] == exponential["lr"] == [0.1] * 12
    assert step["loss"] == exponential["loss"]
    # a per-batch schedule: the same first loss (same weights, same batch), then its own lr shows
    assert one_cycle["lr"][0] != step["lr"][0]
    assert one_cycle["loss"][0] == step["loss"][0] and one_cycle["loss"][1] != step["loss"][1]
    # another seed: other weights and batches
    assert other_seed["loss"][0] != step["loss"][0]


# -- lrtui run --------------------------------------------------------------------------------------
PRESET = """
name = "engine-check"
description = "two schedules on spirals"

[training]
task = "spirals"
epochs = 50
batch_size = 500
seed = 3

[optimizer]
name = "SGD"
lr = 0.1
momentum = 0.9

[[runs]]
label = "halving"
scheduler = { name = "StepLR", params = { step_size = 1, gamma = 0.5 } }

[[runs]]
label = "one-cycle"
scheduler = { name = "OneCycleLR", params = { max_lr = 0.3 } }
"""


def test_run_json_is_the_documented_document(tmp_path, cli):
    preset = tmp_path / "check.toml"
    preset.write_text(PRESET)
    runs_dir = tmp_path / "runs-here"
    code, out, _ = cli("run", str(preset), "--epochs", "2", "--json", "--runs-dir", str(runs_dir),
                       "--device", "cpu")
    assert code == 0
    doc = json.loads(out)  # stdout is the document alone
    assert set(doc) == {"runs", "comparison"} and len(doc["runs"]) == 2
    assert doc["comparison"]["verdict"]["kind"] == "too-few"  # one seed: nothing to judge yet
    halving, one_cycle = doc["runs"]
    for run in doc["runs"]:
        assert {"id", "label", "scheduler", "status", "epochs"} <= set(run)
        assert run["status"] == "finished"
        assert [e["epoch"] for e in run["epochs"]] == [0, 1]
        for e in run["epochs"]:
            assert {"epoch", "lr", "train_loss", "val_loss", "val_acc", "seconds"} <= set(e)
            assert math.isfinite(e["train_loss"]) and math.isfinite(e["val_loss"]) and 0 <= e["val_acc"] <= 1
            assert e["seconds"] > 0
    assert halving["label"] == "halving"
    assert halving["scheduler"] == {"name": "StepLR", "params": {"step_size": 1, "gamma": 0.5}}
    assert [e["lr"] for e in halving["epochs"]] == pytest.approx([0.1, 0.05], rel=1e-12)
    assert one_cycle["scheduler"] == {"name": "OneCycleLR", "params": {"max_lr": 0.3}}
    per_epoch = 12  # ceil(6000 / 500)
    schedule, optimizer = validate("OneCycleLR", {"max_lr": 0.3}), validate_optimizer({**SGD, "momentum": 0.9})
    curve = preview(schedule, optimizer, 2 * per_epoch)
    assert [e["lr"] for e in one_cycle["epochs"]] == pytest.approx([curve.lr[0], curve.lr[per_epoch]], rel=1e-12)

    store = Store.at(runs_dir)  # every run is in the store, with its steps
    assert sorted(r["id"] for r in store.runs()) == sorted([halving["id"], one_cycle["id"]])
    assert store.run(one_cycle["id"])["steps"]["lr"] == pytest.approx(list(curve.lr), rel=1e-12)


def test_run_that_fails_exits_1_after_saving(tmp_path, tasks_file, cli):
    preset = tmp_path / "check.toml"
    preset.write_text(PRESET)
    runs_dir = tmp_path / "runs-here"
    code, out, _ = cli("run", str(preset), "--task", f"{tasks_file}:build_raising", "--batch-size", "4",
                       "--epochs", "3", "--json", "--runs-dir", str(runs_dir))
    assert code == 1
    doc = json.loads(out)
    assert [r["status"] for r in doc["runs"]] == ["failed", "failed"]
    assert doc["runs"][0]["error"] == f"RuntimeError: boom at batch {FAIL_AT}"
    stored = Store.at(runs_dir).runs()
    assert [r["status"] for r in stored] == ["failed", "failed"] and [r["n_epochs"] for r in stored] == [1, 1]


@pytest.mark.parametrize("command", [["run", "PRESET", "--epochs", "1"], ["find", "--steps", "20"]])
def test_run_and_find_print_each_note_of_the_task_once_before_training(command, tmp_path, tasks_file, cli):
    preset = tmp_path / "check.toml"
    preset.write_text(PRESET)  # two runs, each given the same notes by its build
    argv = [str(preset) if arg == "PRESET" else arg for arg in command]
    code, out, err = cli(*argv, "--task", f"{tasks_file}:build_noted", "--batch-size", "4",
                         "--runs-dir", str(tmp_path / "runs-here"))
    assert code == 0
    lines = err.splitlines()
    assert lines[:2] == [f"lrtui {command[0]}: note: {note}" for note in NOTES]  # before any progress
    assert [err.count(note) for note in NOTES] == [1, 1] and "note:" not in out


TOO_SHORT = """
name = "too-short"
[training]
task = "spirals"
[[runs]]
label = "fine"
scheduler = { name = "StepLR", params = { step_size = 2 } }
[[runs]]
label = "too short"
%s
"""


@pytest.mark.parametrize("bad", ["unknown preset", "unknown task", "missing task file", "broken task file",
                                 "absent device", "warmup longer than the run", "total_steps short of the run"])
def test_run_with_bad_input_exits_2_with_one_line(bad, tmp_path, tasks_file, cli):
    """Refused before anything trains: not even the runs before the bad one are stored."""
    preset = tmp_path / "check.toml"
    preset.write_text(PRESET)
    warm = tmp_path / "warm.toml"  # 5 warmup epochs in a run of 1
    warm.write_text(TOO_SHORT % 'warmup = 5\nscheduler = { name = "CosineAnnealingLR" }')
    cycle = tmp_path / "cycle.toml"  # 10 steps for a run of ceil(6000 / 128) = 47 batches
    cycle.write_text(TOO_SHORT % 'scheduler = { name = "OneCycleLR", params = { max_lr = 0.3, total_steps = 10 } }')
    broken = tmp_path / "broken.py"
    broken.write_text("def build(ctx:\n")
    runs_dir = tmp_path / "runs-here"
    argv = {"unknown preset": ["no-such-preset"],
            "unknown task": [str(preset), "--task", "no-such-task"],
            "missing task file": [str(preset), "--task", f"{tmp_path}/nowhere.py:build"],
            "broken task file": [str(preset), "--task", f"{broken}:build"],
            "absent device": [str(preset), "--device", f"cuda:{max(7, torch.cuda.device_count())}"],
            "warmup longer than the run": [str(warm)],
            "total_steps short of the run": [str(cycle)]}[bad]
    code, out, err = cli("run", *argv, "--epochs", "1", "--runs-dir", str(runs_dir))
    assert code == 2
    assert out == ""
    assert err.startswith("lrtui run: ") and err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert Store.at(runs_dir).runs() == []


@pytest.mark.parametrize("step_size, noted", [(10, True), (9, False)])
def test_run_started_notes_a_schedule_whose_lr_does_not_change_over_the_real_run(tasks_file, store, step_size,
                                                                                 noted):
    # 2 epochs of 5 batches that only training counts: StepLR per batch first moves the lr at step `step_size`
    job = make_job(f"{tasks_file}:build", "StepLR", {"step_size": step_size}, interval="step", epochs=2)
    status, events, _ = run_job(store, job)
    assert status == "finished" and events[0].steps_per_epoch == 5
    lrs = steps_of(events)["lr"]
    assert (len(set(lrs)) == 1) == noted  # the truth: what the optimizer used
    note = "run (StepLR): the lr does not change within the run's 10 steps"
    assert events[0].notes == ((note,) if noted else ())
