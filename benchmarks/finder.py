"""The range test against the truth: for each optimizer and task, train the schedule on a log grid of
lrs (half a decade apart) and find the best final validation loss; then run the range test (several
lengths and seeds) and see where each rule's suggestion lands. A suggestion passes when it is within
one grid step of the best lr, or when training at it ends within 10% of the best validation loss.

`python benchmarks/finder.py` prints the grid and the verdicts; `make bench` runs it."""
from __future__ import annotations

import math
import tempfile
import threading
from pathlib import Path

from lrtui.engine.events import EpochEnded, Steps
from lrtui.judge.findings import SUGGESTIONS, Finding, analyse
from lrtui.plan import presets
from lrtui.plan.planning import find_job, jobs
from lrtui.plan.range_test import Sweep, sweep
from lrtui.runs import recorder
from lrtui.runs.store import Store
from lrtui.schedule.catalogue import starter
from lrtui.schedule.optimizers import validate_optimizer

CASES = {"spirals": 40, "shapes": 12}  # task: epochs of the schedule (CosineAnnealingLR, T_max the run)
OPTIMIZERS = {"SGD": {"momentum": 0.9}, "AdamW": {}}
GRID = [10 ** (e / 2) for e in range(-9, 2)]  # 3e-5 .. 3.2, half a decade apart
LENGTHS, SEEDS = (100, 300), (0, 1, 2)


def final_val(store: Store, task: str, epochs: int, opt: str, lr: float) -> float:
    """The final validation loss of the schedule trained at `lr` (inf when it diverged)."""
    optimizer = validate_optimizer({"name": opt, **OPTIMIZERS[opt], "lr": lr})
    preset = presets.Preset("finder-bench", training={**presets.Preset("").training, "task": task, "epochs": epochs},
                            runs=(presets.Run("cosine", starter("CosineAnnealingLR"), optimizer),))
    events: list = []
    status = recorder.run(jobs(preset)[0], store, events.extend, threading.Event())
    val = [e.val_loss for e in events if isinstance(e, EpochEnded)]
    return val[-1] if status == "finished" and val and math.isfinite(val[-1]) else math.inf


def suggestions(store: Store, task: str, opt: str, steps: int, seed: int) -> Finding:
    settings = sweep({"steps": steps})
    training = {"task": task, "batch_size": 128, "seed": seed, "device": "cpu"}
    events: list = []
    job = find_job(training, validate_optimizer({"name": opt, **OPTIMIZERS[opt]}), settings)
    recorder.run(job, store, events.extend, threading.Event())
    steps_ = [e for e in events if isinstance(e, Steps)]
    return analyse([x for e in steps_ for x in e.lr], [x for e in steps_ for x in e.loss], settings.smooth)


def main() -> None:
    hits = {rule: 0 for rule in SUGGESTIONS}
    total = 0
    with tempfile.TemporaryDirectory() as folder:
        store = Store.at(Path(folder))
        print("range test against a grid of trained lrs (CosineAnnealingLR, final validation loss); a suggestion "
              "is ok within half a decade of the best lr, or when the grid's nearest lr trains within 10% of it")
        for task, epochs in CASES.items():
            for opt in OPTIMIZERS:
                truth = {lr: final_val(store, task, epochs, opt, lr) for lr in GRID}
                best = min(truth, key=truth.get)
                print(f"\n{task} {epochs} epochs, {opt} {OPTIMIZERS[opt]}: best lr {best:.1e} (val {truth[best]:.3f})")
                print("  grid  " + "  ".join(f"{lr:.0e}:{v:.3f}" for lr, v in truth.items()))
                for steps in LENGTHS:
                    for seed in SEEDS:
                        found, verdicts = suggestions(store, task, opt, steps, seed), []
                        total += 1
                        for rule, value in found.suggestions.items():
                            if value is None:
                                verdicts.append(f"{rule} {'flat' if found.flat else '-'}")
                                continue
                            nearest = min(GRID, key=lambda g: abs(math.log10(g / value)))
                            ok = abs(math.log10(value / best)) <= 0.5 + 1e-9 or truth[nearest] <= 1.1 * truth[best]
                            hits[rule] += ok
                            verdicts.append(f"{rule} {value:.1e} {'ok' if ok else 'MISS'}")
                        print(f"  sweep {steps:>4} steps seed {seed}: " + "  ".join(verdicts), flush=True)
                default = suggestions(store, task, opt, Sweep().steps, 0).suggestion
                if default is not None:
                    at = final_val(store, task, epochs, opt, default)
                    print(f"  trained at the default sweep's suggestion {default:.1e}: val {at:.3f} "
                          f"({at / truth[best]:.2f} x the best)")
    print("\nok: " + ", ".join(f"{rule} {n}/{total}" for rule, n in hits.items()))


if __name__ == "__main__":
    main()
