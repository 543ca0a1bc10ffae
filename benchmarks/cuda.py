"""The CUDA path, where a GPU is present: device selection, batches on the device, and the host
synchronisations one run makes (torch's sync debug mode counts them): a handful per epoch (the
loss flushes and the evaluation), none per step."""
from __future__ import annotations

import tempfile
import threading
import time
import warnings
from collections import Counter
from pathlib import Path

import torch

from lrtui import tasks
from lrtui.engine import device_name, resolve_device
from lrtui.plan.planning import Job
from lrtui.runs import recorder
from lrtui.runs.store import Store
from lrtui.schedule.catalogue import validate
from lrtui.schedule.optimizers import validate_optimizer

EPOCHS = 3


def main() -> None:
    if not torch.cuda.is_available():
        print("cuda: no CUDA device here; skipped")
        return
    device = resolve_device("auto")
    print(f"cuda: auto -> {device} ({device_name(device)})")
    store = Store.at(Path(tempfile.mkdtemp()))
    optimizer = validate_optimizer({"name": "SGD", "lr": 0.1, "momentum": 0.9})
    for task, schedule in (("spirals", validate("OneCycleLR", {"max_lr": 0.5})),
                           ("shapes", validate("CosineAnnealingLR", {}))):
        job = Job(task, schedule, optimizer, task=task, epochs=EPOCHS, device="auto")
        inputs, _ = next(iter(tasks.find(task).build(tasks.Context(device, 128, 0))["train"]))
        recorder.run(job, store, lambda events: None, threading.Event())  # warm-up
        status, steps, seconds, syncs = counted(job, store)
        print(f"  {task}: batches on {inputs.device}, {status}, {steps} steps in {seconds:.2f} s, "
              f"{sum(syncs.values())} host syncs over {EPOCHS} epochs: {dict(syncs)}")


def counted(job, store: Store) -> tuple:
    """A job (or a batch) trained with torch's sync debug mode on: (status, steps, seconds, host syncs by line)."""
    steps = []
    torch.cuda.set_sync_debug_mode("warn")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        status = recorder.run(job, store, lambda events: steps.extend(len(e.loss) for e in events if hasattr(e, "loss")),
                              threading.Event())
        seconds = time.perf_counter() - start
    torch.cuda.set_sync_debug_mode(0)
    syncs = Counter(f"{Path(w.filename).name}:{w.lineno}" for w in caught
                    if "synchroniz" in str(w.message).lower() and "prototype" not in str(w.message))
    return status, sum(steps), seconds, syncs

if __name__ == "__main__":
    main()
