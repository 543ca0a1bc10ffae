"""Batches of in-memory tensors, kept on the training device, in an order drawn from the seed."""
from __future__ import annotations

from typing import Any, Callable, Iterator


class TensorBatches:
    """Re-iterable (inputs, targets) batches of tensors already on the device. Each pass shuffles with
    its own generator seeded once, so two runs built with one seed see the same batches, epoch by
    epoch, whatever their schedules do. `transform` (augmentation) applies to each input batch."""

    def __init__(self, x: Any, y: Any, batch_size: int, seed: int | None = None,
                 transform: Callable[[Any], Any] | None = None):
        import torch

        self.x, self.y, self.batch_size, self.transform = x, y, batch_size, transform
        self.generator = None if seed is None else torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return -(-len(self.x) // self.batch_size)

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        import torch

        n = len(self.x)
        order = (torch.randperm(n, generator=self.generator).to(self.x.device) if self.generator is not None
                 else torch.arange(n, device=self.x.device))
        for start in range(0, n, self.batch_size):
            idx = order[start:start + self.batch_size]
            x = self.x[idx]
            yield (self.transform(x) if self.transform else x), self.y[idx]


def split(n: int, val_fraction: float, seed: int) -> tuple[Any, Any]:
    """Train and validation indices of n samples, the same for the same seed."""
    import torch

    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    n_val = max(1, int(n * val_fraction))
    return order[n_val:], order[:n_val]
