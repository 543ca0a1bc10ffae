"""Batched comparisons: the wall time of a comparison's runs trained as one vectorised model against
the same runs one by one, whole runs (building, evaluation and the store included), alternating, in
one process; and the peak memory of K members, each K in a process of its own.
Goals on 2 CPU cores: K = 8 in at most 0.5 x the sequential time, K = 16 at most 0.4 x."""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import torch

from lrtui.plan import presets
from lrtui.plan.planning import Batch, batches, jobs
from lrtui.runs import recorder
from lrtui.runs.store import Store
from lrtui.schedule.catalogue import validate

EPOCHS, ROUNDS = 10, 3
EXTRA = (("OneCycleLR", {"max_lr": 0.3, "total_steps": "auto"}, "step"),
         ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.3, "step_size_up": 200}, "step"),
         ("PolynomialLR", {"total_iters": "auto"}, None), ("LinearLR", {"total_iters": "auto"}, None))


def comparison(schedules: int, seeds: int, task: str = "spirals", epochs: int = EPOCHS) -> list:
    """seed-four's runs (and four more for eight schedules) x `seeds`, on `task`, on the CPU."""
    preset = presets.find("seed-four")
    base = preset.runs[0]
    more = [replace(base, label=name, schedule=validate(name, params, interval=interval))
            for name, params, interval in EXTRA]
    preset = replace(preset, runs=(*preset.runs, *more)[:schedules])
    return jobs(preset, task=task, epochs=epochs, seeds=seeds, device="cpu")


def wall(plan: list, batch_runs: str, store: Store) -> float:
    start = time.perf_counter()
    for unit in batches([replace(job, batch_runs=batch_runs) for job in plan]):
        recorder.run(unit, store, lambda events: None, threading.Event())
    return time.perf_counter() - start


def peak_memory(k: int) -> float:
    """MiB the training of K spirals members batched (2 epochs) adds to a process's resident memory at
    its peak, in a process of its own, after a warm-up run."""
    out = subprocess.run([sys.executable, __file__, "--memory", str(k)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)["mib"]


def _train_for_memory(k: int) -> None:
    store = Store.at(Path(tempfile.mkdtemp()))
    plan = comparison(4, -(-k // 4), epochs=2)[:k]
    recorder.run(plan[0], store, lambda events: None, threading.Event())  # warm-up: imports, allocator
    page, baseline = os.sysconf("SC_PAGE_SIZE"), resident()
    peak, done = [baseline], threading.Event()

    def sample() -> None:
        while not done.wait(0.002):
            peak[0] = max(peak[0], resident())

    sampler = threading.Thread(target=sample)
    sampler.start()
    recorder.run(Batch(tuple(plan)) if k > 1 else plan[0], store, lambda events: None, threading.Event())
    done.set()
    sampler.join()
    print(json.dumps({"mib": (peak[0] - baseline) * page / 2**20}))


def resident() -> int:
    """Resident pages of this process, now (Linux)."""
    return int(Path("/proc/self/statm").read_text().split()[1])


def main() -> None:
    store = Store.at(Path(tempfile.mkdtemp()))
    cases = [("seed-four, spirals", comparison(4, 1), ROUNDS), ("8 schedules x 1 seed, spirals", comparison(8, 1), ROUNDS),
             ("4 schedules x 4 seeds, spirals", comparison(4, 4), ROUNDS),
             ("seed-four, shapes, 2 epochs", comparison(4, 1, "shapes", 2), 1)]
    wall(cases[0][1][:2], "auto", store)  # warm up: first optimizer, vmap
    print(f"batched (forced, and auto) vs one by one, whole runs of {EPOCHS} epochs on {torch.get_num_threads()} "
          f"CPU threads, alternating, the median ratio of {ROUNDS} rounds (shapes: 1) (wall s)")
    for name, plan, rounds in cases:
        times = [[wall(plan, mode, store) for mode in ("off", 64, "auto")] for _ in range(rounds)]
        alone, forced, auto = (statistics.median(t[i] for t in times) for i in range(3))
        print(f"  K={len(plan):>2} {name:<30} one by one {alone:5.1f}  batched {forced:5.1f} "
              f"({statistics.median(t[1] / t[0] for t in times):.2f})  auto {auto:5.1f} "
              f"({statistics.median(t[2] / t[0] for t in times):.2f})")
    print("  goals: K=8 <= 0.5, K=16 <= 0.4")
    print("resident memory K spirals members batched add at their peak, one process each (MiB): "
          + "  ".join(f"K={k}: {peak_memory(k):.0f}" for k in (1, 4, 8, 16)))
    on_gpu(store)


def on_gpu(store: Store) -> None:
    """Where a GPU is: K = 8 batched against one run alone and against the 8 one by one, and the host
    syncs a batch makes per step (goals: <= 1.5 x one run; none per step)."""
    from cuda import counted

    if not torch.cuda.is_available():
        print("batched on a GPU: no CUDA device here; skipped")
        return
    for task in ("spirals", "shapes"):
        plan = [replace(job, device="cuda") for job in comparison(8, 1, task, 3)]
        wall(plan[:2], "auto", store)  # warm up
        one, alone, together = wall(plan[:1], "off", store), wall(plan, "off", store), wall(plan, "auto", store)
        _, steps, _, syncs = counted(Batch(tuple(plan)), store)
        print(f"  cuda {task}, K=8, 3 epochs: batched / one run {together / one:.2f} (goal <= 1.5), batched / one by "
              f"one {together / alone:.2f}; {sum(syncs.values())} host syncs in {steps // 8} steps: {dict(syncs)}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--memory"]:
        _train_for_memory(int(sys.argv[2]))
    else:
        main()
