"""`shapes`: 28x28 grey images of six drawn shapes (disc, square, triangle, cross, ring, bar) at
random places and sizes, with noise; a small CNN classifies them; random rotation and shift per image
as augmentation, on the device."""
from __future__ import annotations

from typing import Any

from lrtui.tasks import BUILTIN
from lrtui.tasks.batches import TensorBatches

TRAIN = BUILTIN["shapes"][2]
SIZE, VAL = 28, 1000
WIDTHS, GROUPS = (16, 32, 64, 128), 8  # the CNN's channels per block, GroupNorm's groups
CLASSES = ("disc", "square", "triangle", "cross", "ring", "bar")


def draw(n: int, generator: Any) -> tuple[Any, Any]:
    """n images (n, 1, 28, 28) in [0, 1] and their class."""
    import torch

    label = torch.randint(0, len(CLASSES), (n,), generator=generator)
    cx, cy = (torch.rand(2, n, 1, 1, generator=generator) * 12 + 8)
    radius = torch.rand(n, 1, 1, generator=generator) * 4 + 5
    ys, xs = torch.meshgrid(torch.arange(SIZE, dtype=torch.float32), torch.arange(SIZE, dtype=torch.float32),
                            indexing="ij")
    dx, dy = (xs - cx) / radius, (ys - cy) / radius
    masks = torch.stack([
        dx ** 2 + dy ** 2 <= 1,                                    # disc
        (dx.abs() <= 0.8) & (dy.abs() <= 0.8),                     # square
        (dy <= 0.8) & (dy >= 1.6 * dx.abs() - 0.8),                # triangle
        ((dx.abs() <= 0.25) | (dy.abs() <= 0.25)) & (dx.abs() <= 1) & (dy.abs() <= 1),  # cross
        ((dx ** 2 + dy ** 2) <= 1) & ((dx ** 2 + dy ** 2) >= 0.45),  # ring
        (dx.abs() <= 1) & (dy.abs() <= 0.3),                       # bar
    ], dim=1)
    image = masks[torch.arange(n), label].float()
    image = 0.8 * image + 0.3 * torch.randn(n, SIZE, SIZE, generator=generator)
    return image.clamp(0, 1).unsqueeze(1), label


def model(channels: int = 1, classes: int = len(CLASSES)) -> Any:
    """A small CNN for 28x28 or 32x32 images: 3x3 convolutions, each normalised (GroupNorm) and
    max-pooled before the next, the last seeing the whole image, then global average pooling.
    Without normalisation it sits at chance for about ten epochs; GroupNorm, not BatchNorm, treats
    every sample on its own, so the model has no running statistics and stays easy to vectorise."""
    from torch import nn

    layers = []
    for i, width in enumerate(WIDTHS):
        layers += [nn.MaxPool2d(2)] if i else []
        layers += [nn.Conv2d(channels, width, 3, padding=1, bias=False), nn.GroupNorm(GROUPS, width), nn.ReLU()]
        channels = width
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, classes))


def build(ctx: Any, name: str = "shapes") -> dict:
    import torch

    from lrtui.tasks.augment import RandomAffine

    generator = torch.Generator().manual_seed(ctx.seed)
    x, y = draw(TRAIN + VAL, generator)
    x, y = x.to(ctx.device), y.to(ctx.device)
    augment = RandomAffine(ctx.seed, ctx.device, degrees=10, shift=0.1)
    return {"model": model(),
            "train": TensorBatches(x[:TRAIN], y[:TRAIN], ctx.batch_size, seed=ctx.seed, transform=augment),
            "val": TensorBatches(x[TRAIN:], y[TRAIN:], 1024),
            "metric": "accuracy"}
