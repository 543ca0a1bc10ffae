"""torchvision datasets: `mnist`, `fashion-mnist` (small CNN) and `cifar10` (ResNet-18 for 32x32).

Read from the data dir by torchvision's own loaders, downloaded only when asked (--download). The
images are decoded once into tensors on the training device; batches are drawn there."""
from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from lrtui.schedule.params import ConfigError
from lrtui.tasks.batches import TensorBatches

WHERE = {"mnist": "MNIST/raw", "fashion-mnist": "FashionMNIST/raw", "cifar10": "cifar-10-batches-py"}
STATS = {"mnist": (0.1307, 0.3081), "fashion-mnist": (0.2860, 0.3530),
         "cifar10": ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))}


def _dataset(name: str, root: Path, train: bool, download: bool) -> Any:
    from torchvision import datasets

    if name == "cifar10":
        class CIFAR10(datasets.CIFAR10):
            """Checks that the files are there; torchvision checks their md5s when it downloads them."""

            def _check_integrity(self) -> bool:
                return all((Path(self.root) / self.base_folder / f).is_file()
                           for f, _ in self.train_list + self.test_list)

            def _load_meta(self) -> None:
                with open(Path(self.root) / self.base_folder / self.meta["filename"], "rb") as meta:
                    self.classes = pickle.load(meta, encoding="latin1")[self.meta["key"]]
                self.class_to_idx = {name: i for i, name in enumerate(self.classes)}

        cls = CIFAR10
    else:
        cls = datasets.MNIST if name == "mnist" else datasets.FashionMNIST
    try:
        return cls(str(root), train=train, download=download)
    except (RuntimeError, FileNotFoundError):  # torchvision's "Dataset not found" (it names no path)
        raise ConfigError("task", f"{name}: no data in {root / WHERE[name]}; run with --download to fetch it "
                          f"there, or point --data-dir at a folder that holds {WHERE[name]}") from None


def _tensors(name: str, dataset: Any, device: Any) -> tuple[Any, Any]:
    import torch

    mean, std = (torch.tensor(s, dtype=torch.float32).view(1, -1, 1, 1) for s in STATS[name])
    data = torch.as_tensor(dataset.data)
    x = (data.unsqueeze(1) if data.ndim == 3 else data.permute(0, 3, 1, 2)).float().div(255)
    return ((x - mean) / std).to(device), torch.as_tensor(dataset.targets).to(device)


def resnet18_32x32(classes: int = 10) -> Any:
    """torchvision's ResNet-18 without pretrained weights, with a 3x3 stem and no max-pool for 32x32."""
    from torch import nn
    from torchvision.models import resnet18

    net = resnet18(weights=None, num_classes=classes)
    net.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
    net.maxpool = nn.Identity()
    return net


def build(ctx: Any, name: str) -> dict:
    from lrtui.tasks.shapes import model as small_cnn

    root = ctx.data_dir
    train = _tensors(name, _dataset(name, root, True, ctx.download), ctx.device)
    val = _tensors(name, _dataset(name, root, False, ctx.download), ctx.device)
    if name == "cifar10":
        from lrtui.tasks.augment import RandomAffine

        augment = RandomAffine(ctx.seed, ctx.device, shift=4 / 32, mirror=True)  # the usual crop-4 and flip
        return {"model": resnet18_32x32(), "metric": "accuracy",
                "train": TensorBatches(*train, ctx.batch_size, seed=ctx.seed, transform=augment),
                "val": TensorBatches(*val, 1024)}
    return {"model": small_cnn(1, 10), "metric": "accuracy",
            "train": TensorBatches(*train, ctx.batch_size, seed=ctx.seed), "val": TensorBatches(*val, 1024)}
