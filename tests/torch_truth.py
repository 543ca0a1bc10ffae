"""The truth the tests compare with: lrs from a real torch scheduler."""
import warnings

import torch


def torch_lrs(make, steps: int, lr: float = 0.1) -> list[float]:
    """The lr in effect at each of `steps` steps of `make(optimizer)`, an SGD at `lr`: the lr it starts with,
    then the lr after each step() but the last (which nothing would read)."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = make(opt)
        lrs = [opt.param_groups[0]["lr"]]
        for _ in range(steps - 1):
            scheduler.step()
            lrs.append(opt.param_groups[0]["lr"])
    return lrs
