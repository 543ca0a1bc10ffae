"""Batched training: K runs trained as one vectorised model are the same K runs trained one after
another (the truth): the same lr and momentum at every step, bit for bit (the same torch schedulers
set them), the same losses within float error, the same final validation loss; a member that diverges
leaves the others as they were, and so does one a sweep's pruner ends; what vmap cannot take trains
one by one, saying why; stop stops all."""
from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import pytest
from task_source import COMMON

from lrtui import engine
from lrtui.engine.events import EpochEnded, RunEnded, RunStarted, Status, Steps
from lrtui.plan import planning
from lrtui.plan.planning import Batch, Job, batches
from lrtui.schedule.catalogue import validate
from lrtui.schedule.optimizers import validate_optimizer


def job(name: str, params: dict, optimizer: dict, *, task: str = "spirals", seed: int = 0, epochs: int = 3,
        batch_size: int = 64, interval: str | None = None, label: str | None = None, batch_runs: int | str = 64) -> Job:
    """A job batched with the others wherever it can be (auto would first ask whether it pays)."""
    schedule = validate(name, params, interval=interval)
    return Job(label or name, schedule, validate_optimizer(optimizer), epochs, task=task, batch_size=batch_size,
               seed=seed, device="cpu", batch_runs=batch_runs)


def train(unit: Job | Batch, stop: threading.Event | None = None, on_steps=None, prune=None) -> dict[str, dict]:
    """Each run's record by its key: lr, momentum and loss per step, epochs, status, config, notes."""
    runs: dict[str, dict] = defaultdict(lambda: {"lr": [], "momentum": [], "loss": [], "epochs": []})

    def emit(events):
        for event in events:
            run = runs[event.key]
            if isinstance(event, RunStarted):
                run["config"], run["notes"] = event.config, event.notes
            elif isinstance(event, Steps):
                run["lr"] += event.lr
                run["momentum"] += event.momentum or ()
                run["loss"] += event.loss
                if on_steps:
                    on_steps(event)
            elif isinstance(event, EpochEnded):
                run["epochs"].append(event)
            elif isinstance(event, RunEnded):
                run["status"], run["error"] = event.status, event.error

    engine.run(unit, emit, stop or threading.Event(), prune)
    return dict(runs)


def sequential(jobs: list[Job]) -> dict[str, dict]:
    out = {}
    for j in jobs:
        out |= train(j)
    return out


def assert_same_runs(batched: dict, alone: dict, steps: int = 200) -> None:
    assert batched.keys() == alone.keys()
    for key, run in alone.items():
        got = batched[key]
        assert got["status"] == run["status"] == Status.FINISHED
        assert got["lr"] == run["lr"]                      # bitwise: the same torch schedulers
        assert got["momentum"] == run["momentum"]
        assert len(got["loss"]) == len(run["loss"]) >= steps
        for a, b in zip(got["loss"][:steps], run["loss"][:steps]):
            assert a == pytest.approx(b, rel=1e-4)
        assert got["epochs"][-1].val_loss == pytest.approx(run["epochs"][-1].val_loss, rel=0.01)
        assert got["config"]["batch"] == {"members": len(alone)}


SGD = {"name": "SGD", "lr": 0.1, "momentum": 0.9}


def spirals_runs(optimizer: dict, seeds: tuple[int, ...]) -> list[Job]:
    """Per-step OneCycleLR (lr and momentum move), per-epoch StepLR, ReduceLROnPlateau (fed its own
    validation loss): round-robin over `seeds`."""
    runs = [("OneCycleLR", {"max_lr": 0.3, "total_steps": "auto"}, "step"),
            ("StepLR", {"step_size": 1, "gamma": 0.5}, None),
            ("ReduceLROnPlateau", {"patience": 0, "factor": 0.5}, None)]
    return [job(name, params, optimizer, seed=seed, interval=interval) for seed in seeds for name, params, interval in runs]


@pytest.mark.slow
@pytest.mark.parametrize("optimizer", [SGD | {"nesterov": True, "weight_decay": 1e-4},
                                       {"name": "AdamW", "lr": 0.01, "weight_decay": 0.05}], ids=["sgd", "adamw"])
def test_a_batch_on_spirals_trains_each_run_as_it_trains_alone(optimizer):
    jobs = spirals_runs(optimizer, seeds=(0, 1))  # two seeds: their batches stacked, each seed's shared
    assert_same_runs(train(Batch(tuple(jobs))), sequential(jobs))


@pytest.mark.slow
def test_a_batch_on_shapes_trains_each_run_as_it_trains_alone(tasks_file):
    """The shapes CNN with GroupNorm and augmentation drawn from each seed's generator (the built-in
    task's code, on 320 images: two epochs of five steps). Its batched convolutions round differently
    from one model's (about 1e-7 at first), and training on shapes amplifies rounding (max pooling
    picks another pixel): the runs agree within 1e-4 for about 20 steps (all 10 here), not 200 as on spirals
    (they part after 30 to 60), and end within 1%."""
    adamw = {"name": "AdamW", "lr": 1e-3}
    one_cycle = ("OneCycleLR", {"max_lr": 1e-3, "total_steps": "auto"}, adamw)
    jobs = [job(name, params, opt, task=f"{tasks_file}:build_shapes", epochs=2, batch_size=64, seed=seed,
                interval=interval)
            for name, params, opt, seed, interval in [(*one_cycle, 0, "step"), ("StepLR", {"step_size": 1}, adamw, 0, None),
                                                      (*one_cycle, 1, "step")]]
    assert_same_runs(train(Batch(tuple(jobs))), sequential(jobs), steps=10)


TASKS = COMMON + '''
import torch.nn.functional as F


def build_norm(ctx):                 # BatchNorm: running statistics, one set per member
    x, y = data(ctx.seed, 256)
    model = nn.Sequential(nn.Linear(4, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 3))
    return {"model": model, "train": batches(x, y, ctx.batch_size), "val": batches(*data(ctx.seed + 7, 64), 32)}


def build_loader(ctx):               # a DataLoader that shuffles from the global random state
    x, y = data(ctx.seed, 256)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=ctx.batch_size,
                                         shuffle=True)
    return {"model": nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 3)), "train": loader}


class Branchy(nn.Module):            # data-dependent control flow: vmap refuses it
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(4, 3), nn.Linear(4, 3)

    def forward(self, x):           # a branch on a member's own value (one on the shared batch would do)
        h = self.a(x)
        return h if h.sum() > 0 else self.b(x)


def build_branchy(ctx):
    x, y = data(ctx.seed, 64)
    return {"model": Branchy(), "train": batches(x, y, ctx.batch_size), "val": batches(x[:32], y[:32], 32)}


def build_per_seed(ctx):             # the loss, metric and notes depend on the build: NaN on seed 1
    x, y = data(ctx.seed, 128)
    weight = torch.tensor([1.0, 1.0 + ctx.seed, 2.0])  # class weights from the seed

    def loss(out, target):
        value = F.cross_entropy(out, target, weight=weight)
        return value * float("nan") if ctx.seed == 1 else value

    return {"model": nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 3)), "train": batches(x, y, ctx.batch_size),
            "val": batches(*data(ctx.seed + 7, 64), 32), "loss": loss, "metric": None if ctx.seed == 2 else "accuracy",
            "notes": [f"built for seed {ctx.seed}"]}


def build_shapes(ctx):              # the built-in shapes task's model, data and augmentation, smaller
    from lrtui.tasks import shapes
    from lrtui.tasks.augment import RandomAffine
    from lrtui.tasks.batches import TensorBatches

    x, y = shapes.draw(320 + 128, torch.Generator().manual_seed(ctx.seed))
    augment = RandomAffine(ctx.seed, ctx.device, degrees=10, shift=0.1)
    return {"model": shapes.model(), "train": TensorBatches(x[:320], y[:320], ctx.batch_size, seed=ctx.seed,
                                                            transform=augment),
            "val": TensorBatches(x[320:], y[320:], 128), "metric": "accuracy"}


def build_regression(ctx):           # mean squared error: a huge lr overflows it within a few steps
    x, y = data(ctx.seed, 256)
    target = x @ torch.ones(4, 1)
    return {"model": nn.Linear(4, 1), "train": batches(x, target, ctx.batch_size), "loss": F.mse_loss,
            "val": batches(x[:64], target[:64], 32)}
'''


@pytest.fixture
def tasks_file(tmp_path: Path) -> Path:
    path = tmp_path / "batched_tasks.py"
    path.write_text(TASKS)
    return path


def user_jobs(tasks_file: Path, task: str, lrs: tuple[float, ...], seeds: tuple[int, ...] = (0,),
              epochs: int = 4) -> list[Job]:
    return [job("StepLR", {"step_size": 1, "gamma": 0.7}, SGD | {"lr": lr}, task=f"{tasks_file}:{task}", seed=seed,
                epochs=epochs, batch_size=32, label=f"lr {lr}")
            for seed in seeds for lr in lrs]


def test_batch_norm_keeps_running_statistics_per_member(tasks_file):
    jobs = user_jobs(tasks_file, "build_norm", (0.05, 0.2), seeds=(0, 3))
    assert_same_runs(train(Batch(tuple(jobs))), sequential(jobs), steps=32)


def test_a_user_loader_shuffles_each_seed_as_it_would_alone(tasks_file):
    jobs = user_jobs(tasks_file, "build_loader", (0.05, 0.2), seeds=(0, 5))
    assert_same_runs(train(Batch(tuple(jobs))), sequential(jobs), steps=32)


def test_members_whose_builds_differ_each_train_with_what_their_own_build_returned(tasks_file):
    """A loss, a metric and notes that differ by seed: each member uses its own seed's, as it would alone
    (a batch once gave every member its first member's loss, and a seed whose loss is NaN finished)."""
    jobs = user_jobs(tasks_file, "build_per_seed", (0.05, 0.2), seeds=(0, 1, 2, 3))
    got, alone = train(Batch(tuple(jobs))), sequential(jobs)
    assert {alone[j.key]["status"] for j in jobs if j.seed == 1} == {Status.DIVERGED}
    for j in jobs:
        a, b = got[j.key], alone[j.key]
        assert a["status"] == b["status"] and a["notes"] == b["notes"]
        assert f"built for seed {j.seed}" in a["notes"]
        assert len(a["epochs"]) == len(b["epochs"]) == (0 if j.seed == 1 else 4)
        for x, y in zip(a["epochs"], b["epochs"]):
            assert x.train_loss == pytest.approx(y.train_loss, rel=1e-4)
            assert x.val_loss == pytest.approx(y.val_loss, rel=1e-4)
            assert (x.val_acc is None) == (y.val_acc is None) == (j.seed == 2)
            assert x.val_acc == pytest.approx(y.val_acc, rel=1e-4)
        assert a["config"]["batch"] == {"members": 8}  # batched, not one by one


@pytest.mark.parametrize("batch_runs", [64, "auto"])  # auto finds it out timing a step, 64 at the first step
def test_a_model_vmap_refuses_trains_one_by_one_and_says_why(batch_runs, tasks_file):
    jobs = [replace(j, batch_runs=batch_runs) for j in user_jobs(tasks_file, "build_branchy", (0.05, 0.2))]
    got, alone = train(Batch(tuple(jobs))), sequential(jobs)
    for key, run in alone.items():
        assert got[key]["status"] == Status.FINISHED
        assert got[key]["loss"] == run["loss"]  # trained alone: the very same run
        reason = got[key]["config"]["batch"]["reason"]
        assert got[key]["config"]["batch"]["members"] == 1 and "control flow" in reason
        assert any(reason in note for note in got[key]["notes"])


def test_a_member_that_diverges_ends_alone_and_the_others_are_undisturbed(tasks_file):
    calm = user_jobs(tasks_file, "build_regression", (0.01, 0.02))
    wild = user_jobs(tasks_file, "build_regression", (1e6,))[0]
    together = train(Batch((calm[0], wild, calm[1])))
    assert together[wild.key]["status"] == Status.DIVERGED
    assert "not finite" in together[wild.key]["error"]
    without = train(Batch(tuple(calm)))
    for j in calm:
        assert together[j.key]["status"] == Status.FINISHED
        assert together[j.key]["loss"] == without[j.key]["loss"]
        assert [e.val_loss for e in together[j.key]["epochs"]] == [e.val_loss for e in without[j.key]["epochs"]]


class Cut:
    """A pruner that ends one job after its second epoch, and keeps another from starting."""

    def __init__(self, cut: Job, out: Job | None = None):
        self.cut, self.skipped, self.asked = cut, out, []

    def __call__(self, epoch):
        self.asked.append((epoch.key, epoch.epoch))
        return "cut here" if epoch.key == self.cut.key and epoch.epoch == 1 else None

    def out(self, job):
        return job is self.skipped


def test_a_member_the_pruner_ends_leaves_the_others_undisturbed(tasks_file):
    """The pruner is asked after every epoch; the member it ends is pruned there, saying why, and the
    stack without it trains the others as the batch without it does; a job it keeps out never starts."""
    kept = user_jobs(tasks_file, "build_regression", (0.01, 0.02))
    cut, skipped = user_jobs(tasks_file, "build_regression", (0.03, 0.04))
    prune = Cut(cut, skipped)
    together = train(Batch((kept[0], cut, skipped, kept[1])), prune=prune)
    assert (together[cut.key]["status"], together[cut.key]["error"]) == (Status.PRUNED, "cut here")
    assert len(together[cut.key]["epochs"]) == 2 and skipped.key not in together
    assert sorted(prune.asked) == sorted([(cut.key, 0), (cut.key, 1)] + [(j.key, e) for j in kept for e in range(4)])
    without = train(Batch(tuple(kept)))
    for j in kept:
        assert together[j.key]["status"] == Status.FINISHED
        assert together[j.key]["loss"] == without[j.key]["loss"]
        assert [e.val_loss for e in together[j.key]["epochs"]] == [e.val_loss for e in without[j.key]["epochs"]]
    alone = train(cut, prune=Cut(cut))  # alone, it ends there too
    assert (alone[cut.key]["status"], len(alone[cut.key]["epochs"])) == (Status.PRUNED, 2)
    assert alone[cut.key]["loss"] == pytest.approx(together[cut.key]["loss"], rel=1e-4)


@pytest.mark.parametrize("faster, batched", [(float("inf"), True), (0.0, False)])
def test_auto_batches_only_where_it_pays(faster, batched, monkeypatch):
    """auto times a step of the batch against one alone: where the batch is no faster (here: nothing
    is, FASTER = 0), the runs train one by one, saying so."""
    monkeypatch.setattr("lrtui.engine.batched.FASTER", faster)
    jobs = [job("StepLR", {"step_size": 1}, SGD | {"lr": lr}, epochs=1, batch_runs="auto", label=f"lr {lr}")
            for lr in (0.05, 0.1)]
    runs = train(Batch(tuple(jobs)))
    for run in runs.values():
        assert run["status"] == Status.FINISHED
        if batched:
            assert run["config"]["batch"] == {"members": 2}
        else:
            assert run["config"]["batch"]["members"] == 1
            assert "no faster as one model" in run["config"]["batch"]["reason"]


def test_stop_ends_every_member_within_one_batch():
    jobs = spirals_runs(SGD, seeds=(0,))
    stop = threading.Event()
    seen = []

    def on_steps(event):
        seen.append(event.first + len(event.loss))
        stop.set()

    runs = train(Batch(tuple(jobs)), stop, on_steps)
    assert {run["status"] for run in runs.values()} == {Status.STOPPED}
    steps = {len(run["loss"]) for run in runs.values()}
    assert len(steps) == 1 and 0 < steps.pop() <= max(seen) + 1


class StopAfter:
    """A stop that is set (or, `failing`, raises) once it has been asked `n` times: a run asks once a batch."""

    def __init__(self, n: int, failing: bool = False):
        self.n, self.failing = n, failing

    def is_set(self) -> bool:
        self.n -= 1
        if self.n < 0 and self.failing:
            raise RuntimeError("broken mid-epoch")
        return self.n < 0


@pytest.mark.parametrize("failing, status", [(False, Status.STOPPED), (True, Status.FAILED)])
def test_a_batch_ended_mid_epoch_keeps_every_step_it_took_as_runs_alone_do(failing, status):
    """Stopped, or failing, before its buffered steps were handed on (within a tenth of a second),
    each member still records every step it trained, as the same run alone does."""
    jobs = spirals_runs(SGD, seeds=(0,))
    together = train(Batch(tuple(jobs)), StopAfter(5, failing))
    for j in jobs:
        alone = train(j, StopAfter(5, failing))[j.key]
        assert together[j.key]["status"] == alone["status"] == status
        assert len(together[j.key]["loss"]) == len(alone["loss"]) == 5
        assert together[j.key]["lr"] == alone["lr"]


def test_the_plan_batches_consecutive_compatible_jobs_up_to_the_limit():
    a = [job("StepLR", {"step_size": 1}, SGD, seed=s) for s in range(5)]
    adam = job("StepLR", {"step_size": 1}, {"name": "Adam"})
    other_task = replace(a[0], task="shapes")
    plan = list(batches([*a[:3], adam, other_task, *a[3:]]))
    assert [type(u).__name__ for u in plan] == ["Batch", "Job", "Job", "Batch"]
    assert plan[0].jobs == tuple(a[:3]) and plan[3].jobs == tuple(a[3:])
    assert list(batches([replace(j, batch_runs=2) for j in a])) == [Batch(tuple(replace(j, batch_runs=2) for j in a[i:i + 2]))
                                                               for i in (0, 2)] + [replace(a[4], batch_runs=2)]
    assert list(batches([replace(j, batch_runs="off") for j in a])) == [replace(j, batch_runs="off") for j in a]


def test_a_stack_of_linear_layers_is_batched_by_hand_as_vmap_would():
    import copy

    import torch
    from torch.func import functional_call, stack_module_state, vmap

    from lrtui.engine.linear_stack import by_hand, linear_layers
    from lrtui.tasks.spirals import model

    torch.manual_seed(0)
    models = [model() for _ in range(3)]
    params, buffers = stack_module_state(models)
    base = copy.deepcopy(models[0]).to("meta")
    layers = linear_layers(base, list(params))
    assert layers is not None and linear_layers(torch.nn.Sequential(torch.nn.Conv1d(1, 1, 1)), []) is None
    shared, stacked = torch.randn(5, 2), torch.randn(3, 5, 2)
    for inputs, dim in ((shared, None), (stacked, 0)):
        truth = vmap(lambda p, b, x: functional_call(base, (p, b), (x,)), in_dims=(0, 0, dim))(params, buffers, inputs)
        torch.testing.assert_close(by_hand(layers, list(params.values()), inputs, dim, 3), truth)


@pytest.mark.parametrize("text, sizes", [("", [5]), ("batch_runs = 3\n", [3, 2]), ('batch_runs = "off"\n', [1] * 5)])
def test_a_presets_batch_runs_sets_how_many_runs_train_together(text, sizes, tmp_path):
    from lrtui.plan import presets

    path = tmp_path / "batched.toml"
    path.write_text(f'name = "batched"\n[training]\nepochs = 1\n{text}[[runs]]\nscheduler = {{ name = "StepLR", params = {{ step_size = 1 }} }}\n')
    plan = planning.jobs(presets.load(path), seeds=5)
    assert [len(u.jobs) if isinstance(u, Batch) else 1 for u in batches(plan)] == sizes


def test_bad_batch_runs_on_the_command_line_exits_2_with_one_line(cli):
    code, out, err = cli("run", "seed-four", "--batch-runs", "0")
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        'lrtui run: argument --batch-runs: training needs off or a number of runs from 1 to 64, or "auto", got 0']
