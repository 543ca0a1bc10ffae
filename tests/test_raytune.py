"""Sweeps on Ray: the same points on the same seeds give the same runs as the local engine (within
float error: the workers train each run alone, the local engine batches them), every epoch recorded
in the local store by the driver and drawn on its progress bars; a trial that fails on a worker is a failed run with its message
and the sweep goes on; without the extra, one line names it."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from lrtui.runs.store import Store

pytestmark = pytest.mark.xdist_group("ray")  # one worker runs them all, on the one Ray below
RAY = [sys.executable, "-m", "ray.scripts.scripts"]


@pytest.fixture(scope="module")
def ray_cluster():
    """One Ray for this module's tests, started once: a head on this machine with two CPUs (so two
    trials at a time on any machine), which each sweep joins through RAY_ADDRESS as a user's sweep
    joins theirs; Ray's token auth off, the head listening here only. `ray stop` ends it. The tests
    of addresses that cannot be joined come first: `auto` would find this one."""
    env = {"RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}
    saved = {k: os.environ.get(k) for k in (*env, "RAY_ADDRESS")}
    os.environ.update(env)
    started = subprocess.run([*RAY, "start", "--head", "--num-cpus", "2", "--include-dashboard=false", "--port", "0",
                              "--node-ip-address", "127.0.0.1"], check=True, capture_output=True, text=True)
    address = re.search(r"ray start --address='([^']+)'", started.stdout + started.stderr)[1]
    os.environ["RAY_ADDRESS"] = address
    yield address
    subprocess.run([*RAY, "stop", "--force"], capture_output=True)
    for key, value in saved.items():
        os.environ.pop(key) if value is None else os.environ.__setitem__(key, value)

GRID = ("StepLR", "--grid", "gamma=0.1,0.5", "--set", "step_size=1", "--epochs", "2", "--device", "cpu", "--json")
RANDOM = ("StepLR", "--random", "optimizer.lr=log_uniform(0.01,0.3)", "--samples", "2", "--set", "step_size=1",
          "--epochs", "2", "--device", "cpu", "--json")


def bars(err: str) -> dict[str, str]:
    """Each progress bar's label and count of epochs, as the last frame drew them."""
    return {match[1]: match[2] for match in re.finditer(r"^(StepLR.*?)\s+━.*? (\d+/\d+) epochs", err, re.M)}


@pytest.mark.parametrize("address, says", [
    ("garbage", "'garbage' is no Ray address: give HOST:PORT (head:6379), ray://HOST:PORT (Ray Client) or auto"),
    ("999.999.999.999:6379", "'999.999.999.999:6379' is no Ray address"),
    ("head:0", "'head:0' is no Ray address"),
    ("127.0.0.1:1", "127.0.0.1:1: nothing answers at 127.0.0.1:1 within 5 s (Connection refused)"),
    ("auto", "auto: no Ray cluster runs on this machine (`ray start --head` starts one)"),
    ("ray://127.0.0.1:10001", "ray://127.0.0.1:10001: a ray:// address needs Ray Client, an optional extra: "
                              "pip install 'ray[client]'"),
])
def test_a_ray_address_that_cannot_be_joined_is_refused_in_one_line_within_seconds(address, says, cli, monkeypatch):
    import importlib.util
    import time

    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "grpc" else find_spec(name, *a))
    started = time.monotonic()
    code, out, err = cli("sweep", *GRID, "--backend", "ray", "--ray-address", address)
    assert time.monotonic() - started < 10
    assert (code, out) == (2, "") and len(err.strip().splitlines()) == 1
    assert err.startswith(f"lrtui sweep: --ray-address: {says}"), err


@pytest.mark.slow
@pytest.mark.usefixtures("ray_cluster")
@pytest.mark.parametrize("sweep", [GRID, RANDOM], ids=["grid", "random"])
def test_a_sweep_on_a_local_ray_gives_the_runs_the_local_engine_gives(sweep, cli, tmp_path):
    code, out, err = cli("sweep", *sweep, "--runs-dir", str(tmp_path / "local"))
    assert code == 0, err
    local = {run["label"]: run for run in json.loads(out)["runs"]}
    assert bars(err) == dict.fromkeys(local, "2/2")
    code, out, err = cli("sweep", *sweep, "--backend", "ray", "--runs-dir", str(tmp_path / "ray"))
    assert code == 0, err
    assert bars(err) == dict.fromkeys(local, "2/2")  # the epochs that came back from the workers
    on_ray = {run["label"]: run for run in json.loads(out)["runs"]}
    assert on_ray.keys() == local.keys() and len(on_ray) == 2  # the random points drawn from the seed, the same
    for label, run in on_ray.items():
        assert run["status"] == "finished" and len(run["epochs"]) == 2
        assert [e["lr"] for e in run["epochs"]] == [e["lr"] for e in local[label]["epochs"]]
        for mine, theirs in zip(run["epochs"], local[label]["epochs"]):
            assert mine["val_loss"] == pytest.approx(theirs["val_loss"], rel=1e-3)
    stored = Store.at(tmp_path / "ray").runs()
    assert sorted(r["label"] for r in stored) == sorted(on_ray) and {r["n_epochs"] for r in stored} == {2}
    assert len({r["comparison"] for r in stored}) == 1


@pytest.mark.slow
@pytest.mark.usefixtures("ray_cluster")
def test_a_trial_that_fails_on_its_worker_is_a_failed_run_and_the_sweep_goes_on(cli, tmp_path):
    tasks = tmp_path / "needs.py"
    tasks.write_text("import torch\nfrom torch import nn\n\n\ndef build(ctx):\n"
                     "    if ctx.seed == 1:\n        import a_module_no_worker_has  # noqa: F401\n"
                     "    x = torch.randn(32, 4, generator=torch.Generator().manual_seed(ctx.seed))\n"
                     "    y = (x[:, 0] > 0).long()\n"
                     "    return {'model': nn.Linear(4, 2), 'train': [(x, y)], 'val': [(x, y)]}\n")
    code, out, err = cli("sweep", "StepLR", "--grid", "gamma=0.1", "--set", "step_size=1", "--epochs", "1",
                         "--seeds", "0,1", "--task", f"{tasks}:build", "--backend", "ray", "--json",
                         "--runs-dir", str(tmp_path / "runs"))
    runs = {run["seed"]: run for run in json.loads(out)["runs"]}
    assert code == 1 and runs[0]["status"] == "finished"
    assert runs[1]["status"] == "failed" and "No module named 'a_module_no_worker_has'" in runs[1]["error"]


def test_without_the_extra_the_ray_backend_is_refused_naming_it(cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray then fails, as where it is not installed
    monkeypatch.setitem(sys.modules, "ray.tune", None)
    code, out, err = cli("sweep", *GRID, "--backend", "ray")
    assert (code, out, err.strip()) == (2, "", "lrtui sweep: --backend ray: needs Ray, an optional extra: "
                                               "pip install 'lrtui[ray]'")


@pytest.mark.usefixtures("ray_cluster")
@pytest.mark.parametrize("argv, line", [
    (["--gpus-per-trial", "-1"], "argument --gpus-per-trial: needs a number >= 0 (a share of one, such as 0.5, or a "
                                 "count), got '-1'"),
    (["--gpus-per-trial", "nan"], "argument --gpus-per-trial: needs a number >= 0"),
    (["--gpus-per-trial", "inf"], "argument --gpus-per-trial: needs a number >= 0"),
    (["--backend", "ray", "--gpus-per-trial", "64"], "--gpus-per-trial: asks for 64 GPUs a trial, and the cluster has 0"),
    (["--gpus-per-trial", "1"], "--gpus-per-trial: is for a sweep on Ray: give --backend ray too"),
    (["--ray-address", "auto"], "--ray-address: is for a sweep on Ray: give --backend ray too"),
])
def test_gpus_a_trial_asks_for_are_a_count_the_cluster_has_and_ray_flags_need_ray(argv, line, cli):
    code, out, err = cli("sweep", *GRID, *argv)
    assert (code, out) == (2, "") and len(err.strip().splitlines()) == 1
    assert err.startswith(f"lrtui sweep: {line}"), err


@pytest.mark.slow
@pytest.mark.usefixtures("ray_cluster")
def test_halving_on_ray_stops_the_worst_points_at_the_first_rung(cli, tmp_path):
    """Two good lrs train first (two trials at a time here), then two that barely move: at the first
    rung (1 epoch) each is worse than the good ones, and the pruner stops it; a good one goes to the end.
    As on the local engine, a point is pruned on every seed: its trials on the next seed stop at their
    first epoch."""
    code, out, err = cli("sweep", "StepLR", "--grid", "optimizer.lr=0.1,0.2,0.00001,0.00002", "--set", "step_size=1",
                         "--epochs", "4", "--seeds", "0,1", "--device", "cpu", "--backend", "ray", "--prune", "halving",
                         "--json", "--runs-dir", str(tmp_path / "runs"))
    assert code == 0, err
    runs = {(run["label"], run["seed"]): run for run in json.loads(out)["runs"]}
    for bad in ("StepLR lr=1e-05", "StepLR lr=2e-05"):
        for seed in (0, 1):
            assert runs[bad, seed]["status"] == "pruned" and len(runs[bad, seed]["epochs"]) == 1
            assert runs[bad, seed]["error"] == "pruned by successive halving after epoch 1"
    for good in ("StepLR lr=0.1", "StepLR lr=0.2"):  # which one is cut depends on who came first
        assert runs[good, 0]["status"] == runs[good, 1]["status"]
    assert any(runs[good, 0]["status"] == "finished" and len(runs[good, 0]["epochs"]) == 4
               for good in ("StepLR lr=0.1", "StepLR lr=0.2"))


@pytest.mark.slow
@pytest.mark.usefixtures("ray_cluster")
def test_a_killed_driver_keeps_every_finished_trial_in_the_store(tmp_path):
    import signal
    import time

    env = {**os.environ, "LRTUI_RUNS_DIR": str(tmp_path / "runs")}
    driver = subprocess.Popen([sys.executable, "-m", "lrtui", "sweep", "StepLR", "--grid",
                               "gamma=0.1,0.2,0.3,0.4,0.5,0.6", "--set", "step_size=1", "--epochs", "3",
                               "--device", "cpu", "--backend", "ray"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        finished = []
        for _ in range(600):  # until a trial has finished, or a minute
            time.sleep(0.1)
            if (tmp_path / "runs" / "runs.sqlite").exists():
                finished = [r for r in Store.at(tmp_path / "runs").runs() if r["status"] == "finished"]
                if finished:
                    break
        assert finished, "no trial finished within a minute"
        os.killpg(driver.pid, signal.SIGKILL)  # the driver: Ray ends its trials with its job
        driver.wait()
    finally:
        if driver.poll() is None:
            os.killpg(driver.pid, signal.SIGKILL)
    runs = Store.at(tmp_path / "runs").runs()
    kept = [r for r in runs if r["status"] == "finished"]
    assert len(kept) >= len(finished) and all(r["n_epochs"] == 3 for r in kept)
    assert all(r["status"] in ("finished", "interrupted") for r in runs)  # the rest: cut short with the driver
