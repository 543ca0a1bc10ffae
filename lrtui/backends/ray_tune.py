"""`--backend ray`: a sweep (or any plan) on a Ray cluster through Ray Tune. Each job, a point on a
seed, is a Tune trial that runs lrtui's engine on a worker, its device a resource request; each
epoch's events (its steps among them) come back to the driver, whose recorder writes them to the
local store as they arrive, so that `lrtui`, `lrtui runs` and `lrtui compare` see the sweep live, and
a driver killed half-way has kept every epoch it received. A trial that fails on a worker (a
dependency missing there) is a failed run with its message; the others go on. Ctrl-C cancels the
trials still out and keeps what finished. Without an address, Ray starts on this machine."""
from __future__ import annotations

import importlib.util
import ipaddress
import os
import re
import socket
import tempfile
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from lrtui.backends import Ran, Watcher
from lrtui.engine import Prune, first_line
from lrtui.engine.events import EpochEnded, Event, RunEnded, RunStarted, Status, decode, encode
from lrtui.judge.pruning import reason
from lrtui.plan.planning import Job
from lrtui.runs.recorder import Recorder
from lrtui.schedule.params import ConfigError

EXTRA = "needs Ray, an optional extra: pip install 'lrtui[ray]'"


def require() -> None:
    """ConfigError naming the extra where Ray is not installed."""
    try:
        import ray.tune  # noqa: F401
    except ImportError:
        raise ConfigError("--backend ray", EXTRA) from None


REACH_SECONDS = 5  # the longest wait for a cluster's address to answer
HOST = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*")
FORMS = "HOST:PORT (head:6379), ray://HOST:PORT (Ray Client) or auto"


def host_port(text: str | None) -> tuple[str, int] | None:
    """The host and port a --ray-address names (None: Ray starts here, or `auto` finds it); ConfigError
    for what cannot be one, before Ray starts."""
    if text is None or text == "auto":
        return None
    client = text.startswith("ray://")
    host, colon, port = text.removeprefix("ray://").rpartition(":")
    if not colon and client:
        host, port = port, "10001"  # Ray Client's own port
    host = host.removeprefix("[").removesuffix("]")
    numeric = bool(re.fullmatch(r"[\d.]+|[\da-fA-F:]*:[\da-fA-F:.]*", host))
    try:
        valid_host = ipaddress.ip_address(host) is not None if numeric else bool(HOST.fullmatch(host))
    except ValueError:
        valid_host = False
    if not (valid_host and port.isdigit() and 0 < int(port) < 65536):
        raise ConfigError("--ray-address", f"{text!r} is no Ray address: give {FORMS}")
    return host, int(port)


def _connect(text: str | None, runtime_env: dict) -> None:
    """ray.init: here (no address), or joining the cluster at `text`, which must answer within
    REACH_SECONDS; ConfigError in one line where it does not (not a hang, not Ray's own messages)."""
    import logging

    import ray

    where = host_port(text)
    if text and text.startswith("ray://") and importlib.util.find_spec("grpc") is None:
        raise ConfigError("--ray-address", f"{text}: a ray:// address needs Ray Client, an optional extra: "
                                           "pip install 'ray[client]'")
    if text == "auto":
        try:
            found = ray._private.services.get_ray_address_from_environment("auto", None)
        except ConnectionError:
            raise ConfigError("--ray-address", "auto: no Ray cluster runs on this machine (`ray start --head` "
                                               "starts one)") from None
        where = host_port(found) if found and found != "auto" else None
    if where:
        _answers(text, where)
    try:
        ray.init(address=text, runtime_env=runtime_env, include_dashboard=False, log_to_driver=False,
                 logging_level=logging.ERROR, ignore_reinit_error=True)
    except (ConnectionError, ValueError, RuntimeError, SystemExit) as e:  # Ray exits where its GCS never answers
        raise ConfigError("--ray-address", f"{text}: Ray could not join it ({first_line(str(e)) or type(e).__name__})") from None


def _answers(text: str, where: tuple[str, int]) -> None:
    """ConfigError unless a gRPC server (as Ray's GCS and Ray Client are) answers at `where` within
    REACH_SECONDS: it replies to HTTP/2's preface with a SETTINGS frame. Ray itself would wait half a
    minute for a cluster that is not there, then exit."""
    try:
        with socket.create_connection(where, timeout=REACH_SECONDS) as conn:
            conn.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0]))
            reply = conn.recv(9)
    except OSError as e:
        why = "no answer" if isinstance(e, TimeoutError) else e.strerror or type(e).__name__
        raise ConfigError("--ray-address", f"{text}: nothing answers at {where[0]}:{where[1]} within "
                                           f"{REACH_SECONDS} s ({why})") from None
    if len(reply) < 4 or reply[3] != 4:
        raise ConfigError("--ray-address", f"{text}: what answers at {where[0]}:{where[1]} is not a Ray cluster "
                                           "(it speaks no gRPC)")


def _enough_gpus(gpus: float) -> None:
    import ray

    there = ray.cluster_resources().get("GPU", 0)
    if gpus > there:
        ray.shutdown()
        raise ConfigError("--gpus-per-trial", f"asks for {gpus:g} GPUs a trial, and the cluster has {there:g}")


class RayBackend:
    """Each job a Tune trial on the cluster at `address` (None: the one RAY_ADDRESS names, else a local
    one), with `gpus_per_trial` GPUs and `cpus_per_trial` CPUs. Events are recorded here, in the local
    store, as the trials report them: a trial that is cancelled ends as stopped, keeping what came.
    With a pruner (lrtui.judge.pruning.Halving), a Tune stopper asks it after each epoch that comes
    back, as the local loops do; the trials it stops end as pruned, saying so."""

    def __init__(self, address: str | None = None, gpus_per_trial: float = 0, cpus_per_trial: float = 1):
        self.address, self.gpus_per_trial, self.cpus_per_trial = address, gpus_per_trial, cpus_per_trial

    def run(self, plan: Any, store: Any, watcher: Watcher, prune: Prune | None = None) -> tuple[list[Ran], bool]:
        import logging

        import ray
        from ray import tune

        os.environ.setdefault("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")  # the store is the log
        os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
        jobs = list(plan)  # Tune takes its trials as a list
        watcher.expect(jobs)
        jobs, runtime_env = _shipped(jobs)
        # a trial works in the shipped folder (Tune would move it to a trial folder of its own)
        runtime_env["env_vars"] = {"RAY_CHDIR_TO_TRIAL_DIR": "0"}
        _connect(self.address, runtime_env)
        _enough_gpus(self.gpus_per_trial)
        logging.getLogger("ray.tune").setLevel(logging.CRITICAL)  # a failed trial is said once, as its run's error
        recorder = Recorder(store, watcher)
        trainable = tune.with_resources(_trial, {"cpu": self.cpus_per_trial, "gpu": self.gpus_per_trial})
        space = {"job": tune.grid_search(jobs), "threads": max(1, int(self.cpus_per_trial))}
        tuner = tune.Tuner(trainable, param_space=space,
                           tune_config=tune.TuneConfig(reuse_actors=True),  # torch imported once a worker
                           run_config=tune.RunConfig(storage_path=tempfile.mkdtemp(prefix="lrtui-ray-"), verbose=0,
                                                     callbacks=[_Recorded(recorder)],
                                                     stop=_Pruned(prune) if prune else None))
        interrupted = False
        try:
            tuner.fit()
        except KeyboardInterrupt:
            interrupted = True
        finally:
            for key in list(recorder.writers):  # trials cancelled: their runs end as stopped, keeping what came
                recorder([RunEnded(key, Status.STOPPED)])
            ray.shutdown()
        statuses = {run["key"]: run["status"] for run in (store.run(i, steps=False) for i in recorder.ids.values()) if run}
        ran = [Ran(recorder.ids[job.key], Status(statuses[job.key])) for job in jobs if job.key in recorder.ids]
        return ran, interrupted


def _trial(config: dict) -> None:
    """On a worker: the job through lrtui's engine, its events reported with each epoch's end, with
    the epochs so far."""
    import torch
    from ray import tune

    from lrtui import engine

    torch.set_num_threads(config["threads"])  # the CPUs its trial asked for, not the machine's
    pending: list[Event] = []
    epochs = 0

    def emit(events: list[Event]) -> None:
        nonlocal epochs
        pending.extend(events)
        epochs += sum(isinstance(e, EpochEnded) for e in events)
        if any(isinstance(e, (EpochEnded, RunEnded)) for e in events):
            tune.report({"events": encode(pending), "epoch": epochs})
            pending.clear()

    engine.run(config["job"], emit, threading.Event())


class _Recorded:
    """On the driver: each trial's reported events into the recorder; a trial that failed before it
    could say so ends its run (made now if it never started) as failed, with the worker's message."""

    def __new__(cls, recorder: Recorder) -> Any:
        from ray import tune

        class Recorded(tune.Callback):
            def __init__(self, recorder: Recorder):
                self.recorder = recorder

            def __getstate__(self) -> dict:
                return {}  # Tune pickles its callbacks to restore an experiment; the store is lrtui's record

            def on_trial_result(self, iteration: int, trials: list, trial: Any, result: dict, **info: Any) -> None:
                self.recorder(decode(result["events"]))

            def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
                job = trial.config["job"]
                if job.key in self.recorder.writers:  # stopped by the pruner before its end
                    self.recorder([RunEnded(job.key, Status.PRUNED, reason(trial.last_result.get("epoch", 0)))])

            def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
                job = trial.config["job"]
                if job.key not in self.recorder.writers:
                    self.recorder([RunStarted(job.key, job.label, "train", job.config, job.preset, job.task,
                                              job.seed, job.device, "a Ray worker", job.epochs, 0,
                                              comparison=job.comparison, group=job.group)])
                self.recorder([RunEnded(job.key, Status.FAILED, _error(trial))])

        return Recorded(recorder)


class _Pruned:
    """On the driver: a Tune stopper that asks the sweep's pruner after each epoch that comes back."""

    def __new__(cls, prune: Prune) -> Any:
        from ray import tune

        class Pruned(tune.Stopper):
            def __init__(self, prune: Prune):
                self.prune = prune

            def __getstate__(self) -> dict:
                return {}  # as the callbacks': the pruner is of this process

            def __call__(self, trial_id: str, result: dict) -> bool:
                said = [self.prune(e) for e in decode(result["events"]) if isinstance(e, EpochEnded)]
                return any(why is not None for why in said)

            def stop_all(self) -> bool:
                return False

        return Pruned(prune)


def _error(trial: Any) -> str:
    """The worker's error, its last line first (the exception itself), the rest of it after."""
    try:
        text = Path(trial.error_file).read_text().strip()
    except (OSError, TypeError):
        return "the trial failed on its Ray worker"
    lines = [line for line in text.splitlines() if line.strip()]
    return "\n".join([lines[-1], *lines[:-1]]) if lines else "the trial failed on its Ray worker"


def _shipped(jobs: list[Job]) -> tuple[list[Job], dict]:
    """Jobs whose task is a file, with the file's folder shipped to the workers (Ray's runtime
    environment) and the task named relative to it there."""
    files = {job.task.rpartition(":")[0] if ".py:" in job.task else job.task for job in jobs
             if ".py" in job.task}
    if not files:
        return jobs, {}
    if len({str(Path(f).resolve().parent) for f in files}) > 1:
        raise ConfigError("--task", "the task files of one Ray sweep must share a folder (it is shipped to the workers)")
    folder = Path(next(iter(files))).resolve().parent

    def there(task: str) -> str:  # the file by its name, in the shipped folder
        file = task.rpartition(":")[0] if ".py:" in task else task
        return Path(file).name + task[len(file):]

    return [replace(job, task=there(job.task)) if ".py" in job.task else job for job in jobs], {"working_dir": str(folder)}
