"""Augmentation that stays on the device: a random affine map per image (rotation, shift, mirror),
drawn from a seeded generator and applied with one grid_sample. torchvision's v2 transforms draw
their parameters on the host, once per batch, and synchronise a GPU three times per batch doing so."""
from __future__ import annotations

import math
from typing import Any


class RandomAffine:
    def __init__(self, seed: int, device: Any, degrees: float = 0.0, shift: float = 0.0, mirror: bool = False):
        import torch

        self.generator = torch.Generator(device=device).manual_seed(seed)
        self.degrees, self.shift, self.mirror = degrees, shift, mirror

    def __call__(self, x: Any) -> Any:
        import torch
        import torch.nn.functional as F

        n, device = len(x), x.device
        draw = lambda: torch.rand(n, device=device, generator=self.generator) * 2 - 1  # noqa: E731 - U(-1, 1)
        angle = draw() * math.radians(self.degrees)
        flip = torch.where(draw() < 0, -1.0, 1.0) if self.mirror else torch.ones(n, device=device)
        cos, sin = torch.cos(angle), torch.sin(angle)
        theta = torch.stack([torch.stack([cos * flip, -sin, draw() * 2 * self.shift], 1),
                             torch.stack([sin * flip, cos, draw() * 2 * self.shift], 1)], 1)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        return F.grid_sample(x, grid, padding_mode="zeros", align_corners=False)
