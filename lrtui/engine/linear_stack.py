"""A model that is a plain stack of Linear layers and elementwise activations, batched by hand: K
members' outputs in one batched matrix product a layer (at small K much faster than vmap's dispatch)."""
from __future__ import annotations

from typing import Any


def linear_layers(model: Any, names: list[str]) -> list[tuple[Any, int | None, int | None]] | None:
    """A model that is a plain stack of Linear layers and elementwise activations, as (module, index of
    its weight in `names`, of its bias) per layer (None for an activation's); None for any other model.
    Such a stack is batched by hand, one batched matrix product a layer: at small K much faster than
    vmap's dispatch (spirals MLP, K = 8: about 4 ms a step against 6)."""
    from torch import nn

    if not isinstance(model, nn.Sequential):
        return None
    elementwise = (nn.ReLU, nn.LeakyReLU, nn.ELU, nn.GELU, nn.SiLU, nn.Mish, nn.Tanh, nn.Sigmoid, nn.Softplus,
                   nn.Identity)
    layers = []
    for i, layer in enumerate(model):
        if isinstance(layer, nn.Linear):
            bias = names.index(f"{i}.bias") if layer.bias is not None else None
            layers.append((layer, names.index(f"{i}.weight"), bias))
        elif isinstance(layer, elementwise) and not getattr(layer, "inplace", False):
            layers.append((layer, None, None))
        else:
            return None
    return layers


def by_hand(layers: list, params: list, inputs: Any, dim: int | None, k: int) -> Any:
    """The outputs (K, batch, ...) of a stack of Linear layers and activations, one torch.baddbmm a layer."""
    import torch

    h = inputs if dim == 0 else inputs.expand(k, *inputs.shape)
    for layer, weight, bias in layers:
        if weight is None:
            h = layer(h)
            continue
        w = params[weight].transpose(1, 2)
        flat = h.reshape(k, -1, h.shape[-1])  # a member's leading dimensions as rows
        out = torch.bmm(flat, w) if bias is None else torch.baddbmm(params[bias].unsqueeze(1), flat, w)
        h = out.reshape(*h.shape[:-1], w.shape[-1])
    return h
