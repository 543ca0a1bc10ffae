"""`imagefolder:PATH`: the user's images, one sub-folder per class (torchvision's ImageFolder), any
size, grey or colour: converted to RGB, resized to 32x32, split 80/20 into train and validation by
the seed, and learnt by a small CNN."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from lrtui.params import ConfigError
from lrtui.tasks.batches import TensorBatches, split

SIZE, VAL_FRACTION = 32, 0.2


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
            "val": TensorBatches(x[val], y[val], 1024)}


def _rgb(path: str, name: str) -> Any:
    from PIL import Image

    try:
        with Image.open(path) as image:
            return image.convert("RGB")
    except OSError:  # PIL's UnidentifiedImageError, a truncated or corrupt file
        raise ConfigError("task", f"{name}: {path} is not a readable image") from None
