"""Batched comparisons: the wall time of a comparison's runs trained as one vectorised model against
the same runs one by one, whole runs (building, evaluation and the store included), alternating, in
one process; and the peak memory of K members, each K in a process of its own.
Goals on 2 CPU cores: K = 8 in at most 0.5 x the sequential time, K = 16 at most 0.4 x."""
from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import torch

from lrtui import presets, recorder
from lrtui.catalogue import validate
from lrtui.engine import Batch, batches, jobs
from lrtui.store import Store

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
    """MiB of peak resident memory of a process that trains K spirals members batched for 2 epochs."""
    out = subprocess.run([sys.executable, __file__, "--memory", str(k)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)["peak_mib"]


def _train_for_memory(k: int) -> None:
    plan = comparison(4, -(-k // 4), epochs=2)[:k]
    unit = Batch(tuple(plan)) if k > 1 else plan[0]
    recorder.run(unit, Store.at(Path(tempfile.mkdtemp())), lambda events: None, threading.Event())
    print(json.dumps({"peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def main() -> None:
    store = Store.at(Path(tempfile.mkdtemp()))
    cases = [("seed-four, spirals", comparison(4, 1)), ("8 schedules x 1 seed, spirals", comparison(8, 1)),
             ("4 schedules x 4 seeds, spirals", comparison(4, 4)),
             ("seed-four, shapes (3 epochs)", comparison(4, 1, "shapes", 3))]
    wall(cases[0][1][:2], "auto", store)  # warm up: first optimizer, vmap
    print(f"batched vs one by one, whole runs of {EPOCHS} epochs on {torch.get_num_threads()} CPU threads, "
          f"alternating, median of {ROUNDS} (wall s)")
    for name, plan in cases:
        ratios = []
        for _ in range(ROUNDS):
            alone, together = wall(plan, "off", store), wall(plan, "auto", store)
            ratios.append(together / alone)
        print(f"  K={len(plan):>2} {name:<32} one by one {alone:6.1f}  batched {together:6.1f}  "
              f"ratio {statistics.median(ratios):.2f}")
    print("  goals: K=8 <= 0.5, K=16 <= 0.4")
    print("peak resident memory of K spirals members batched, one process each (MiB): "
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
