"""The LR range test: the sweep's lrs, its smoothing and stopping rule, the suggestions on curves whose
answer is known, a real sweep on the default task whose suggestion trains better than either end of
the range, the caller's model left alone, the store and `lrtui find`."""
from __future__ import annotations

import json
import math
import threading

import numpy as np
import pytest
import torch

from lrtui.engine.events import RunEnded, RunStarted, Steps
from lrtui.judge.findings import analyse, smoothed
from lrtui.plan import planning
from lrtui.plan.planning import FindJob, Job
from lrtui.plan.range_test import sweep
from lrtui.runs import recorder
from lrtui.runs.store import Store
from lrtui.schedule.catalogue import validate
from lrtui.schedule.optimizers import validate_optimizer
from lrtui.schedule.params import ConfigError

USER_TASK = '''
import torch
from torch import nn

torch.manual_seed(1)
MODEL = nn.Linear(4, 3)            # a model the user keeps: the range test must not train it
x = torch.randn(64, 4)
y = (x[:, 0] > 0).long() + (x[:, 1] > 0).long()


def build(ctx):                    # 2 batches: the sweep cycles them
    return {"model": MODEL, "train": [(x[:32], y[:32]), (x[32:], y[32:])]}


class Raising:
    def __iter__(self):
        yield x[:32], y[:32]
        raise RuntimeError("the loader broke")


def build_raising(ctx):
    return {"model": nn.Linear(4, 3), "train": Raising()}
'''


@pytest.fixture
def user_task(tmp_path):
    path = tmp_path / "user_task.py"
    path.write_text(USER_TASK)
    return path


def run_find(store, job, stop=None):
    events = []
    status = recorder.run(job, store, events.extend, stop or threading.Event())
    stored = store.run(store.runs()[0]["id"])
    return status, stored, events


# -- settings and pure parts ------------------------------------------------------------------------
def test_exp_sweep_is_even_on_a_log_scale_and_linear_is_even():
    lrs = sweep({"start_lr": 1e-6, "end_lr": 1.0, "steps": 61}).lrs()
    assert lrs[0] == pytest.approx(1e-6) and lrs[-1] == pytest.approx(1.0) and len(lrs) == 61
    assert np.allclose(lrs[1:] / lrs[:-1], 10 ** 0.1)
    lin = sweep({"start_lr": 0.0001, "end_lr": 0.1001, "steps": 11, "mode": "linear"}).lrs()
    assert np.allclose(np.diff(lin), 0.01)


@pytest.mark.parametrize("values, key", [
    ({"start_lr": 1.0, "end_lr": 0.1}, "end_lr"),
    ({"start_lr": 0.0}, "start_lr"),
    ({"steps": 5}, "steps"),
    ({"mode": "cosine"}, "mode"),
    ({"smooth": 0.0}, "smooth"),
    ({"diverge_factor": 1.0}, "diverge_factor"),
    ({"lr": 0.1}, "lr"),
])
def test_bad_settings_are_refused_naming_the_setting(values, key):
    with pytest.raises(ConfigError) as caught:
        sweep(values)
    assert caught.value.key == key


def test_the_moving_average_is_debiased():
    assert smoothed([5.0] * 4, 0.05) == pytest.approx([5.0] * 4)  # a constant stays itself from the start
    loss = list(np.random.default_rng(0).random(30))
    avg, want = 0.0, []
    for i, v in enumerate(loss):
        avg = 0.9 * avg + 0.1 * v
        want.append(avg / (1 - 0.9 ** (i + 1)))
    assert smoothed(loss, 0.1) == pytest.approx(want)
    assert smoothed(loss, 1.0) == pytest.approx(loss)  # weight 1: no smoothing


def test_suggestions_on_a_curve_whose_fall_is_known():
    """Loss falls between 1e-4 and 1e-2, fastest at 1e-3 (a tanh in log10 lr), then blows up."""
    lr = np.geomspace(1e-6, 1.0, 300)
    x = np.log10(lr)
    loss = 2 - np.tanh(2 * (x + 3)) + np.where(x > -1, 50 * (x + 1) ** 2, 0)
    found = analyse(lr.tolist(), loss.tolist(), 1.0)
    assert found.suggestions["steepest"] == pytest.approx(1e-3, rel=0.1)
    assert found.suggestion == found.suggestions["minimum"] == pytest.approx(1e-2, rel=0.1)  # the lowest at 1e-1
    assert not found.flat
    lo, hi = found.loss_range()
    assert lo < 1.05 and 2.9 < hi < 3.5  # the blow-up at the end does not stretch the range


def test_noise_does_not_move_the_steepest_point_far_once_smoothed():
    rng = np.random.default_rng(1)
    lr = np.geomspace(1e-6, 1.0, 400)
    loss = 2 - np.tanh(2 * (np.log10(lr) + 3)) + rng.normal(0, 0.05, 400)
    found = analyse(lr.tolist(), loss.tolist(), 0.05)
    assert 10 ** -3.7 < found.suggestions["steepest"] < 10 ** -2.3
    assert 1e-3 < found.suggestion < 1e-1  # the fall ends at about 1e-2; a tenth of where the loss is lowest


def test_a_sweep_too_short_to_read_suggests_nothing():
    found = analyse([1e-3, 1e-2, 1e-1], [1.0, 0.9, 5.0], 0.05)
    assert found.suggestions == {"minimum": None, "steepest": None} and found.suggestion is None
    assert not found.flat  # too short, not flat


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("fall, flat", [(0.02, True), (0.5, False)])
def test_a_sweep_whose_loss_falls_less_than_its_noise_is_too_flat_to_read(seed, fall, flat):
    """Noise of 0.05 a step around a fall of 0.02: nothing to read, nothing suggested; around 0.5, read."""
    rng = np.random.default_rng(seed)
    lr = np.geomspace(1e-7, 10.0, 300)
    loss = 1.1 - fall * np.linspace(0, 1, 300) + rng.normal(0, 0.05, 300)
    found = analyse(lr.tolist(), loss.tolist(), 0.05)
    assert found.flat == flat
    assert (found.suggestions == {"minimum": None, "steepest": None}) == flat and (found.suggestion is None) == flat


def test_a_loss_that_is_not_finite_ends_what_is_analysed():
    lr = np.geomspace(1e-5, 1.0, 100)
    loss = np.linspace(2.0, 1.0, 100)
    loss[60:] = np.inf
    found = analyse(lr.tolist(), loss.tolist(), 0.05)
    assert found.suggestion is not None and found.suggestion < lr[60]
    assert math.isfinite(found.loss_range()[1])


# -- real sweeps --------------------------------------------------------------------------------------
@pytest.mark.parametrize("optimizer", [{"name": "SGD"}, {"name": "Adam"}])
def test_on_the_default_task_the_suggestion_trains_better_than_either_end(optimizer, store):
    settings = sweep({})
    status, stored, _ = run_find(store, FindJob("find", validate_optimizer(optimizer), settings, device="cpu"))
    found = analyse(stored["steps"]["lr"], stored["steps"]["loss"], settings.smooth)
    assert status == "finished" and settings.start_lr <= found.suggestion <= settings.end_lr

    def val_loss(lr: float) -> float:
        constant = validate("StepLR", {"step_size": 10_000, "gamma": 1.0})
        job = Job(f"lr {lr:g}", constant, validate_optimizer({**optimizer, "lr": lr}), epochs=3, device="cpu")
        if recorder.run(job, store, lambda events: None, threading.Event()) != "finished":
            return math.inf  # diverged
        return store.run(store.runs()[0]["id"], steps=False)["epochs"][-1]["val_loss"]

    at_suggestion = val_loss(found.suggestion)
    assert at_suggestion < val_loss(settings.start_lr)
    assert at_suggestion < val_loss(settings.end_lr)


def test_the_sweep_stops_once_the_smoothed_loss_passes_the_factor(store):
    settings = sweep({"start_lr": 1e-4, "end_lr": 1e4, "steps": 200})
    status, stored, _ = run_find(store, FindJob("find", validate_optimizer({"name": "SGD"}), settings, device="cpu"))
    loss = stored["steps"]["loss"]
    assert status == "finished" and 10 < len(loss) < settings.steps
    smooth = smoothed(loss, settings.smooth)
    best = np.minimum.accumulate(smooth)
    assert not (smooth[-1] <= 4 * best[-1])  # the last step broke the rule (or was not finite) ...
    assert np.all(smooth[:-1] <= 4 * best[:-1])  # ... and no step before it did
    assert stored["steps"]["lr"] == pytest.approx(settings.lrs()[:len(loss)].tolist())


def test_the_callers_model_is_left_untouched_and_short_data_is_cycled(store, user_task):
    import importlib.util

    job = FindJob("find", validate_optimizer({"name": "SGD", "momentum": 0.9}), sweep({"steps": 30}),
                  task=f"{user_task}:build", device="cpu")
    status, stored, _ = run_find(store, job)
    from lrtui import tasks

    model = tasks.find(job.task).build(None)["model"]  # the very object the sweep was handed
    spec = importlib.util.spec_from_file_location("fresh", user_task)
    fresh = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fresh)  # the same file run anew: the model's weights as the user made them
    assert status == "finished" and len(stored["steps"]["loss"]) == 30  # 2 batches, cycled 15 times
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), fresh.MODEL.state_dict().values()))
    assert model.weight.grad is None
    assert len(set(stored["steps"]["loss"])) > 1  # and yet the copy trained


def test_events_come_in_order_and_the_store_keeps_the_sweep_as_a_find(store):
    settings = sweep({"steps": 40})
    status, stored, events = run_find(store, FindJob("find", validate_optimizer({"name": "Adam"}), settings,
                                                     device="cpu"))
    assert isinstance(events[0], RunStarted) and events[0].kind == "find" and events[0].steps_per_epoch == 40
    assert isinstance(events[-1], RunEnded) and events[-1].status == status
    steps = [e for e in events if isinstance(e, Steps)]
    assert [s.first for s in steps] == list(np.cumsum([0] + [len(s.lr) for s in steps[:-1]]))
    assert [v for s in steps for v in s.loss] == stored["steps"]["loss"]
    assert stored["kind"] == "find" and stored["epochs"] == []


def test_stop_ends_the_sweep_keeping_what_it_did(store):
    stop = threading.Event()
    events = []

    def emit(batch):
        events.extend(batch)
        if any(isinstance(e, Steps) for e in batch):
            stop.set()

    settings = sweep({"start_lr": 1e-7, "end_lr": 1e-6, "steps": 10_000})  # never diverges, takes long
    job = FindJob("find", validate_optimizer({"name": "SGD"}), settings, device="cpu")
    assert recorder.run(job, store, emit, stop) == "stopped"
    stored = store.run(store.runs()[0]["id"])
    assert stored["status"] == "stopped" and 0 < len(stored["steps"]["loss"]) < 10_000


def test_a_failing_loader_fails_the_sweep_keeping_its_steps(store, user_task):
    job = FindJob("find", validate_optimizer({"name": "SGD"}), sweep({}), task=f"{user_task}:build_raising",
                  device="cpu")
    status, stored, events = run_find(store, job)
    assert status == "failed" and "the loader broke" in stored["error"] and len(stored["steps"]["loss"]) == 1
    assert events[-1].status == "failed" and "the loader broke" in events[-1].error


# -- the command line ---------------------------------------------------------------------------------
def test_find_json_is_the_documented_document_and_runs_lists_it(cli):
    code, out, _ = cli("find", "--steps", "30", "--optimizer", "Adam", "--device", "cpu", "--json")
    doc = json.loads(out)
    assert code == 0 and set(doc) >= {"lr", "loss", "smoothed", "suggestion", "suggestions", "id", "status"}
    assert len(doc["lr"]) == len(doc["loss"]) == len(doc["smoothed"]) <= 30
    assert doc["suggestion"] == doc["suggestions"]["minimum"]
    assert doc["smoothed"] == pytest.approx(smoothed(doc["loss"], 0.05).tolist())
    assert doc["config"]["optimizer"]["name"] == "Adam" and doc["config"]["sweep"]["steps"] == 30
    code, out, _ = cli("runs", "--json")
    listed = json.loads(out)["runs"]
    assert [(r["id"], r["kind"]) for r in listed] == [(doc["id"], "find")]
    code, out, _ = cli("runs")
    assert "LR range test" in out and f"{doc['suggestion']:.3g}" in out


def test_find_prints_a_chart_and_the_suggestions(cli):
    code, out, _ = cli("find", "--preset", "one-cycle", "--device", "cpu")
    assert code == 0
    assert "LR range test: loss against lr" in out and "lr (log10)" in out
    assert "minimum" in out and "steepest" in out and "<- suggested" in out
    assert "stored as run 1" in out


@pytest.mark.parametrize("argv, names", [
    (["--start-lr", "1", "--end-lr", "0.5"], "end_lr"),
    (["--steps", "3"], "steps"),
    (["--task", "nope"], "nope"),
    (["--mode", "cosine"], "mode"),
    (["--batch-size", "0"], "batch_size"),
])
def test_find_with_bad_input_exits_2_with_one_line(cli, argv, names):
    code, out, err = cli("find", "--device", "cpu", *argv)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and names in err


def test_job_keeps_the_training_settings_and_the_optimizer():
    opt = validate_optimizer({"name": "SGD", "momentum": 0.9, "lr": 0.3})
    job = planning.find_job({"task": "spirals", "epochs": 9, "batch_size": 64, "seed": 3, "device": "cpu"}, opt,
                          sweep({}), "seed-four")
    assert (job.task, job.batch_size, job.seed, job.device, job.preset) == ("spirals", 64, 3, "cpu", "seed-four")
    assert job.config["optimizer"] == {"name": "SGD", **opt.params} and job.config["sweep"]["steps"] == 300


@pytest.mark.slow
def test_ctrl_c_stops_the_sweep_keeps_its_steps_and_exits_130(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    env = {**os.environ, "LRTUI_RUNS_DIR": str(tmp_path / "ctrl-c")}
    process = subprocess.Popen([sys.executable, "-m", "lrtui", "find", "--steps", "10000", "--end-lr", "1e-5",
                                "--device", "cpu"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    store = Store.at(tmp_path / "ctrl-c")
    for _ in range(2400):  # until the sweep has stored steps (up to 2 minutes on a loaded machine): under way
        runs = store.runs()
        if runs and store.run(runs[0]["id"])["steps"]["loss"]:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the sweep stored no step")
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    stored = store.run(store.runs()[0]["id"])
    assert process.returncode == 130, err
    assert stored["status"] == "stopped" and 0 < len(stored["steps"]["loss"]) < 10_000
    assert f"stopped by you after {len(stored['steps']['loss'])} of 10000 steps" in out
    assert "Traceback" not in err and "terminate" not in err


def test_a_fall_after_the_lowest_point_is_not_suggested():
    """Loss falls to its lowest at 1e-3, then climbs to a noisy plateau (a network dead at chance
    level) whose jitter holds steeper drops than the fall itself."""
    rng = np.random.default_rng(2)
    lr = np.geomspace(1e-6, 10.0, 300)
    x = np.log10(lr)
    loss = np.where(x < -3, 2 - 0.2 * (x + 6) / 3, 1.8 + 0.4 * np.tanh(3 * (x + 3)))
    loss[x > -2] += rng.normal(0, 0.3, int((x > -2).sum()))
    found = analyse(lr.tolist(), loss.tolist(), 0.3)
    assert found.suggestions["steepest"] <= 1.1e-3 and found.suggestion <= 1.1e-3


def test_find_check_trains_the_suggestions_and_a_factor_around_them_and_names_the_best(cli, store):
    """--check: a short run at each suggestion and a factor of 3 below and above it, batched, one
    comparison in the store; the lr it names is the one whose stored run ended lowest."""
    code, out, err = cli("find", "--optimizer", "Adam", "--check", "--check-epochs", "1", "--device", "cpu", "--json")
    assert code == 0, err
    doc = json.loads(out)
    check, found = doc["check"], doc["suggestions"]
    assert check["key"] == "optimizer.lr" and check["metric"] == "final_val_loss"
    wanted = {float(f"{lr * f:.3g}") for lr in found.values() for f in (1 / 3, 1, 3)}
    assert set(check["lrs"]) == wanted and 3 <= len(wanted) <= 6
    runs = store.comparison(check["comparison"])
    assert len(runs) == len(wanted) and {r["config"]["batch"]["members"] for r in runs} == {len(wanted)}
    final = {r["config"]["point"]["optimizer.lr"]: r["epochs"][-1]["val_loss"] for r in runs}
    assert check["best"] == min(final, key=final.get) and check["scores"][str(check["best"])] == min(final.values())
    assert "check: lr" in err and "trained best" in err and "p Holm" in err  # the evidence, beside the JSON
