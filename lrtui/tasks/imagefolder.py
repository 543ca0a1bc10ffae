"""`imagefolder:PATH`: the user's images, one sub-folder per class (torchvision's ImageFolder), any
size, grey or colour: converted to RGB, resized to 32x32, split 80/20 into train and validation by
the seed, and learnt by a small CNN."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from lrtui.schedule.params import ConfigError
from lrtui.tasks.batches import TensorBatches, split

SIZE, VAL_FRACTION = 32, 0.2
FEW_BATCHES = 8  # training batches per epoch below which the build notes it: a schedule moves in coarse steps


def build(ctx: Any, name: str) -> dict:
    import torch
    from torchvision import datasets
    from torchvision.transforms import v2

    from lrtui.tasks.shapes import model

    root = Path(name.partition(":")[2]).expanduser()
    transform = v2.Compose([v2.ToImage(), v2.Resize((SIZE, SIZE), antialias=True), v2.ToDtype(torch.float32, scale=True)])
    try:
        folder = datasets.ImageFolder(str(root), transform=transform, loader=lambda p: _rgb(p, name))
    except (FileNotFoundError, OSError) as e:
        raise ConfigError("task", f"{name}: {e}") from None
    if len(folder.classes) < 2:
        raise ConfigError("task", f"{name}: needs at least two class folders, found {len(folder.classes)}")
    images = torch.stack([image for image, _ in folder])
    labels = torch.tensor(folder.targets)
    train, val = split(len(images), VAL_FRACTION, ctx.seed)
    x, y = images.to(ctx.device), labels.to(ctx.device)
    return {"model": model(3, len(folder.classes)), "metric": "accuracy",
            "train": TensorBatches(x[train], y[train], ctx.batch_size, seed=ctx.seed),
            "val": TensorBatches(x[val], y[val], 1024), "notes": _few_batches(name, len(train), ctx.batch_size)}


def _few_batches(name: str, images: int, batch_size: int) -> list[str]:
    """A note when an epoch is only a few steps (96 images in batches of 128 make one)."""
    steps = -(-images // batch_size)
    if steps >= FEW_BATCHES:
        return []
    hint = (f"try a batch size of {images // FEW_BATCHES}" if images >= FEW_BATCHES
            else f"the folder has too few images for {FEW_BATCHES}")
    return [f"{name}: {images} training images in batches of {batch_size} make {steps} step{'s' * (steps > 1)} "
            f"per epoch, fewer than {FEW_BATCHES} (the schedule moves in coarse steps): {hint}"]


def _rgb(path: str, name: str) -> Any:
    from PIL import Image

    try:
        with Image.open(path) as image:
            return image.convert("RGB")
    except OSError:  # PIL's UnidentifiedImageError, a truncated or corrupt file
        raise ConfigError("task", f"{name}: {path} is not a readable image") from None
