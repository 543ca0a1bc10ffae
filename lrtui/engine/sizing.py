"""How many runs auto batches, and whether batching pays: the members the device's free memory holds,
and the timing of a training step, measured on copies so that nothing of the runs moves."""
from __future__ import annotations

import copy
import os
import time
from typing import Any, Callable

from lrtui.engine.shared import on_device, random_state, set_random_state
from lrtui.plan.planning import MAX_BATCH

MEMORY_SHARE = 0.5  # of the device's free memory, the most that auto lets a batch's members take


def fitting(model: Any, batch: tuple[Any, Any] | None, device: Any) -> int:
    """How many members auto batches: as many as half the device's free memory holds, each costing
    its parameters four times (weights, gradients, two optimizer states) and its activations (those
    one validation batch saves for the backward pass, scaled to a training batch), at most MAX_BATCH."""
    free = free_memory(device)
    if free is None:
        return MAX_BATCH
    member = 4 * sum(p.numel() * p.element_size() for p in model.parameters()) + activations(model, batch, device)
    return max(1, min(MAX_BATCH, int(MEMORY_SHARE * free // max(member, 1))))


def probe_batch(val: Any, batch_size: int, device: Any) -> tuple[Any, Any] | None:
    """A training batch's worth of the first validation batch, on the device, to measure a step with
    (the random state untouched); None without validation batches."""
    if val is None:
        return None
    state = random_state()
    try:
        inputs, targets = next(iter(val))
        return on_device(inputs[:batch_size], device), on_device(targets[:batch_size], device)
    except Exception:  # noqa: BLE001 - a measurement: the first step says what really fails
        return None
    finally:
        set_random_state(state)


def activations(model: Any, batch: tuple[Any, Any] | None, device: Any) -> int:
    """Bytes a training step saves for the backward pass, through a copy of the model; 0 without a batch."""
    import torch

    if batch is None:
        return 0
    saved = 0

    def pack(t: Any) -> Any:
        nonlocal saved
        saved += t.numel() * t.element_size()
        return t

    try:
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            copy.deepcopy(model).to(device)(batch[0])
    except Exception:  # noqa: BLE001 - an estimate: the first step says what really fails
        return 0
    return saved


def timed(step: Callable[[], Any], device: Any) -> float:
    """The fewest seconds a call of `step` took, over calls for about 20 ms after a first (at least 3;
    a GPU synchronised around each): the least is the least disturbed by anything else running."""
    import torch

    sync = torch.cuda.synchronize if device.type == "cuda" else lambda: None
    step()
    sync()
    times: list[float] = []
    while len(times) < 3 or sum(times) < 0.02 and len(times) < 50:
        start = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - start)
    return min(times)


def free_memory(device: Any) -> int | None:
    """Bytes free on `device`: CUDA's own count, else the machine's available memory (None where unknown)."""
    import torch

    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None
