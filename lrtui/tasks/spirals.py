"""`spirals`: points on three interleaved spiral arms, with noise; an MLP learns to tell the arms
apart. Generated from the seed, small enough to train in seconds on a CPU, and hard enough that the
learning rate and its schedule show in the loss curves."""
from __future__ import annotations

import math
from typing import Any

from lrtui.tasks import BUILTIN
from lrtui.tasks.batches import TensorBatches

TRAIN = BUILTIN["spirals"][2]
ARMS, VAL, TURNS, NOISE, HIDDEN = 3, 1500, 1.75, 0.12, 128


def points(n: int, generator: Any) -> tuple[Any, Any]:
    """n points, (x, y) in about [-1, 1]^2, and their arm."""
    import torch

    arm = torch.randint(0, ARMS, (n,), generator=generator)
    r = torch.rand(n, generator=generator)
    angle = 2 * math.pi * (TURNS * r + arm / ARMS)
    xy = torch.stack([r * torch.cos(angle), r * torch.sin(angle)], dim=1)
    return xy + NOISE * r.unsqueeze(1) * torch.randn(n, 2, generator=generator), arm


def model() -> Any:
    from torch import nn

    return nn.Sequential(nn.Linear(2, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU(),
                         nn.Linear(HIDDEN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, ARMS))


def build(ctx: Any, name: str = "spirals") -> dict:
    import torch

    generator = torch.Generator().manual_seed(ctx.seed)
    x, y = points(TRAIN + VAL, generator)
    x, y = x.to(ctx.device), y.to(ctx.device)
    return {"model": model(),
            "train": TensorBatches(x[:TRAIN], y[:TRAIN], ctx.batch_size, seed=ctx.seed),
            "val": TensorBatches(x[TRAIN:], y[TRAIN:], 1024),
            "metric": "accuracy"}
