"""A sweep three ways, side by side in one run: a 3 x 3 grid (StepLR's gamma x step_size) x 3 seeds on
spirals, trained by the local engine batched, by the local engine one by one, and as Ray Tune trials
on a local Ray (as many at a time as this machine has CPUs); Ray's overhead per trial; and what
successive halving (--prune halving) saves on the local engine, batched and one by one. And how soon a
sweep of ten million runs (100 x 100 points x 1,000 seeds, --yes) has its first batch planned and
checked, ready to train: a plan makes its jobs as it trains them."""
from __future__ import annotations

import os
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

from lrtui.plan import presets, search_space
from lrtui.plan.planning import batches, jobs
from lrtui.runs import recorder
from lrtui.runs.store import Store
from lrtui.schedule.catalogue import validate
from lrtui.schedule.optimizers import validate_optimizer

EPOCHS = 5


def plan() -> list:
    run = presets.Run("StepLR", validate("StepLR", {"step_size": 2}), validate_optimizer({"name": "SGD", "lr": 0.1}))
    space = search_space.space({"gamma": [0.1, 0.3, 0.5], "step_size": [1, 2, 3]})
    return jobs(presets.Preset("sweep-bench", runs=(run,), sweep=space), epochs=EPOCHS, seeds=3, device="cpu")


def local(batch_runs: int | str, prune: bool = False) -> tuple[float, int]:
    """Wall seconds, and the epochs trained."""
    from lrtui.judge.pruning import Halving
    from lrtui.judge.verdict import DEFAULT_METRIC

    store = Store.at(Path(tempfile.mkdtemp()))
    planned = [replace(job, batch_runs=batch_runs) for job in plan()]
    pruner = Halving(DEFAULT_METRIC, {job.key: job for job in planned}) if prune else None
    start = time.perf_counter()
    for unit in batches(planned):
        recorder.run(unit, store, lambda events: None, threading.Event(), pruner)
    return time.perf_counter() - start, sum(run["n_epochs"] for run in store.runs())


def on_ray() -> float:
    from lrtui.backends.ray_tune import RayBackend

    class Unwatched:  # no bars: the figure is Ray's
        def expect(self, jobs):
            pass

        def __call__(self, events):
            pass

    start = time.perf_counter()
    RayBackend().run(plan(), Store.at(Path(tempfile.mkdtemp())), Unwatched())
    return time.perf_counter() - start


def main() -> None:
    trials, cpus = len(plan()), os.cpu_count() or 1
    local("auto")  # warm up
    (batched, epochs), (alone, _) = local("auto"), local("off")
    print(f"sweep, 3 x 3 grid x 3 seeds = {trials} runs of {EPOCHS} epochs on spirals, CPU ({cpus} cores), wall s:")
    print(f"  local batched {batched:.1f}   local one by one {alone:.1f}   ratio {batched / alone:.2f}")
    print(f"  a sweep of 10,000,000 runs with --yes: its first batch planned and checked in {first_batch():.2f} s "
          "(goal: within a second)")
    try:
        import ray  # noqa: F401
    except ImportError:
        print("  on Ray: no ray here (pip install 'lrtui[ray]'); skipped")
    else:
        wall = on_ray()
        print(f"  local Ray ({cpus} trials at a time) {wall:.1f}, {wall / alone:.2f} x one by one; Ray's overhead per "
              f"trial (Ray's wall x {cpus} at a time - one by one) / {trials}: {(wall * cpus - alone) / trials:.2f} s")
    try:
        import optuna  # noqa: F401
    except ImportError:
        print("  --prune halving: no optuna here (pip install 'lrtui[optuna]'); skipped")
        return
    (pruned_batched, kept), (pruned_alone, kept_alone) = local("auto", prune=True), local("off", prune=True)
    print(f"  --prune halving: batched {pruned_batched:.1f} ({pruned_batched / batched:.2f} x unpruned), one by one "
          f"{pruned_alone:.1f} ({pruned_alone / alone:.2f} x); epochs trained {kept} and {kept_alone} of {epochs}")


def first_batch() -> float:
    """Seconds from the command line's arguments to the first batch of a ten-million-run sweep."""
    from lrtui.cli import main, sweep_args, train
    from lrtui.output import progress

    values = lambda n, scale: ",".join(str(v * scale) for v in range(1, n + 1))  # noqa: E731
    args = main.build_parser().parse_args(["sweep", "StepLR", "--grid", f"gamma={values(100, 0.01)}", "--grid",
                                          f"step_size={values(100, 1)}", "--seeds", "1000", "--yes", "--device", "cpu"])
    start = time.perf_counter()
    preset = presets.Preset("sweep-StepLR", runs=(presets.Run("StepLR", validate("StepLR", {"step_size": 30}),
                                                              validate_optimizer({})),))
    planned = train.planned([replace(preset, sweep=sweep_args.space(None, args))], args, "sweep")
    progress.Watched(planned, "sweep")
    next(batches(planned))
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
