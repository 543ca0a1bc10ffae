"""Engine throughput: lrtui's engine against a plain PyTorch loop doing the same work (same task,
model, batches, optimizer, scheduler and per-epoch evaluation), alternating, in one process.
Goal: the engine keeps >= 0.97 of the bare loop's steps per second on CPU. Also: seed-four's time."""
from __future__ import annotations

import statistics
import tempfile
import threading
import time
from pathlib import Path

import torch

from lrtui import tasks
from lrtui.engine import evaluate, seed_everything
from lrtui.plan import presets
from lrtui.plan.planning import Job, jobs
from lrtui.runs import recorder
from lrtui.runs.store import Store
from lrtui.schedule.catalogue import build

EPOCHS, ROUNDS = 10, 9


def bare(job: Job) -> float:
    """Steps per second of the loop a user would write: no events, no store, no recording. Timed
    like the engine, from building the task to the last evaluation."""
    start = time.perf_counter()
    seed_everything(job.seed)
    built = tasks.check_built(tasks.find(job.task).build(tasks.Context(torch.device("cpu"), job.batch_size,
                                                                       job.seed)), job.task)
    model, loss_fn = built["model"], built["loss"]
    optimizer = job.optimizer.build(model.parameters())
    stepper = build(job.schedule, optimizer, job.epochs)
    steps = 0
    for _ in range(job.epochs):
        model.train()
        for inputs, targets in built["train"]:
            loss = loss_fn(model(inputs), targets)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            steps += 1
        val_loss, _ = evaluate(model, built["val"], loss_fn, built["metric"])
        stepper.step(val_loss)
    return steps / (time.perf_counter() - start)


def engine(job: Job, store: Store) -> float:
    steps = []
    start = time.perf_counter()
    recorder.run(job, store, lambda events: steps.extend(len(e.loss) for e in events if hasattr(e, "loss")),
                 threading.Event())
    return sum(steps) / (time.perf_counter() - start)


def main() -> None:
    torch.set_num_threads(torch.get_num_threads())
    store = Store.at(Path(tempfile.mkdtemp()))
    job = jobs(presets.find("seed-four"), epochs=EPOCHS, device="cpu")[3]  # cosine, per epoch
    bare(job), engine(job, store)  # warm up: first optimizer, allocator
    ratios = []
    print(f"engine vs bare loop, spirals, {EPOCHS} epochs x {ROUNDS} rounds, alternating (steps/s)")
    for _ in range(ROUNDS):
        b, e = bare(job), engine(job, store)
        ratios.append(e / b)
        print(f"  bare {b:8.0f}   engine {e:8.0f}   ratio {e / b:.3f}")
    print(f"engine / bare, median of {ROUNDS}: {statistics.median(ratios):.3f} (goal >= 0.97)")
    start = time.perf_counter()
    for j in jobs(presets.find("seed-four"), device="cpu"):
        recorder.run(j, store, lambda events: None, threading.Event())
    print(f"seed-four, 4 runs x 100 epochs on spirals, CPU: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
