"""A user task: your own model and data, compared under lrtui's schedules.

    lrtui run seed-four --task examples/user_task.py:build

lrtui seeds every RNG (random, numpy, torch) with the run's seed, then calls `build(ctx)` once per
run. `ctx.device`, `ctx.batch_size` and `ctx.seed` are given; `build` returns a dict:

    model   required  a torch.nn.Module (lrtui moves it to ctx.device)
    train   required  a re-iterable of (inputs, targets) batches (moved to ctx.device if elsewhere)
    val     optional  the same, for validation (else ReduceLROnPlateau watches the training loss)
    loss    optional  loss(outputs, targets); default torch.nn.functional.cross_entropy
    metric  optional  "accuracy" (argmax over dim 1, for classifiers) or None

This one is a small regression: a noisy, smooth function of 8 features, learnt by an MLP with a
mean-squared-error loss, so it sets `loss` and leaves `metric` at None. An epoch takes a fraction of
a second on a CPU.
"""
import math

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FEATURES, TRAIN, VAL = 8, 16384, 2048
DATA_SEED = 1234  # the data set is fixed; only the initial weights and the batch order follow ctx.seed


def make_data(n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """n samples: features uniform in [-1, 1], a target of about unit scale with a little noise."""
    x = torch.rand(n, FEATURES, generator=generator) * 2 - 1
    y = (torch.sin(math.pi * x[:, 0]) * x[:, 1] + x[:, 2] ** 2 - 0.5 * x[:, 3] * x[:, 4]
         + 0.3 * x[:, 5] + 0.05 * torch.randn(n, generator=generator))
    return x, y.unsqueeze(1)  # targets shaped like the model's output, (n, 1)


def build(ctx) -> dict:
    x, y = make_data(TRAIN + VAL, torch.Generator().manual_seed(DATA_SEED))
    x, y = x.to(ctx.device), y.to(ctx.device)  # on the device once, rather than every batch

    # Shuffle with a generator seeded by the run's seed: every run of a comparison (one seed) then
    # sees the same batches in the same order, whatever its schedule does.
    train = DataLoader(TensorDataset(x[:TRAIN], y[:TRAIN]), batch_size=ctx.batch_size, shuffle=True,
                       generator=torch.Generator().manual_seed(ctx.seed))
    val = DataLoader(TensorDataset(x[TRAIN:], y[TRAIN:]), batch_size=1024)

    # Initialised from torch's global RNG, which lrtui has seeded: the same weights for every run.
    model = nn.Sequential(nn.Linear(FEATURES, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))

    return {"model": model, "train": train, "val": val,
            "loss": nn.functional.mse_loss,  # regression: not the default cross-entropy
            "metric": None}                   # no accuracy for a regression
