"""The stacked update equals torch.optim member by member: K members' parameters stacked along dim 0 and
stepped by one StackedUpdate match, after every step, what each member's own torch optimizer does on its
own copy (the truth), within rtol 1e-6 and atol 1e-7 (float32). Each member's hyperparameters are held
by a real torch optimizer moved by a real scheduler (lr, and momentum or beta1 where it cycles them);
the gradients are drawn from a seeded generator, the same for the stack and for the truths."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pytest
import torch

from lrtui.engine.stacked import StackedUpdate

RTOL, ATOL = 1e-6, 1e-7
SHAPES = [(4, 3), (3,), (2, 3, 2)]  # a weight, a bias vector, a 3-d tensor
STEPS = 1000
ARGS = {"SGD": ("lr", "momentum", "dampening", "weight_decay", "nesterov"),
        "Adam": ("lr", "betas", "eps", "weight_decay"),
        "AdamW": ("lr", "betas", "eps", "weight_decay"),
        "RMSprop": ("lr", "alpha", "eps", "weight_decay", "momentum")}

Schedule = Callable[[torch.optim.Optimizer], torch.optim.lr_scheduler.LRScheduler]


def one_cycle(opt: torch.optim.Optimizer) -> torch.optim.lr_scheduler.LRScheduler:
    return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=10 * opt.defaults["lr"], total_steps=STEPS,
                                               cycle_momentum=True)


def cyclic(opt: torch.optim.Optimizer) -> torch.optim.lr_scheduler.LRScheduler:
    lr = opt.defaults["lr"]
    return torch.optim.lr_scheduler.CyclicLR(opt, base_lr=lr / 10, max_lr=lr, step_size_up=50,
                                             cycle_momentum=True, base_momentum=0.7, max_momentum=0.9)


def step_lr(opt: torch.optim.Optimizer) -> torch.optim.lr_scheduler.LRScheduler:
    return torch.optim.lr_scheduler.StepLR(opt, step_size=100, gamma=0.7)


SPECS: dict[str, list[tuple[dict, Schedule]]] = {
    "SGD": [(dict(lr=0.1, momentum=0.9, nesterov=True), one_cycle),
            (dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=1e-2), cyclic),
            (dict(lr=0.1, momentum=0.9), step_lr)],
    "Adam": [(dict(lr=1e-3), one_cycle),
             (dict(lr=3e-3, betas=(0.8, 0.99), eps=1e-6, weight_decay=1e-2), cyclic),
             (dict(lr=1e-2, betas=(0.5, 0.9), eps=1e-4, weight_decay=0.1), step_lr)],
    "AdamW": [(dict(lr=1e-3), one_cycle),
              (dict(lr=3e-3, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1), cyclic),
              (dict(lr=1e-2, betas=(0.5, 0.9), eps=1e-4, weight_decay=0.0), step_lr)],
    "RMSprop": [(dict(lr=1e-2, momentum=0.9), one_cycle),
                (dict(lr=1e-3, alpha=0.9, eps=1e-6, weight_decay=1e-2, momentum=0.5), cyclic),
                (dict(lr=1e-2, alpha=0.95), step_lr)],
}


@dataclass(frozen=True)
class Member:
    """One member: `holder` holds its hyperparameters (moved by `advance`, after each step), `truth` is
    torch's own optimizer over `params`, the member's copy."""

    name: str
    holder: torch.optim.Optimizer
    advance: Callable[[int], None]
    truth: torch.optim.Optimizer
    params: list[torch.Tensor]

    def step(self, grads: list[torch.Tensor | None], t: int) -> None:
        group = self.holder.param_groups[0]
        self.truth.param_groups[0].update({k: group[k] for k in ARGS[self.name]})
        for p, g in zip(self.params, grads):
            p.grad = g
        self.truth.step()
        self.advance(t + 1)


def member(name: str, kwargs: dict, gen: torch.Generator,
           schedule: Schedule | None = None, momentum: Callable[[int], float] | None = None) -> Member:
    """A member from random start values, moved by a real scheduler or with its momentum set by hand."""
    holder = getattr(torch.optim, name)([torch.nn.Parameter(torch.zeros(1))], **kwargs)
    params = [torch.nn.Parameter(torch.randn(s, generator=gen)) for s in SHAPES]
    if schedule is not None:
        scheduler = schedule(holder)
        # no grad, so it moves nothing; once is enough: the scheduler looks for it at its first step only
        holder.step()

        def advance(t: int) -> None:
            scheduler.step()
    else:
        def advance(t: int) -> None:
            holder.param_groups[0]["momentum"] = momentum(t)
        advance(0)
    return Member(name, holder, advance, getattr(torch.optim, name)(params, **kwargs), params)


def stack(members: list[Member]) -> list[torch.Tensor]:
    return [torch.stack([m.params[j].detach() for m in members]).requires_grad_() for j in range(len(SHAPES))]


def assert_matches(stacked: list[torch.Tensor], members: list[Member], t: int) -> None:
    mine = torch.cat([p.detach().flatten(1) for p in stacked], dim=1)
    truth = torch.stack([torch.cat([p.detach().flatten() for p in m.params]) for m in members])
    # allclose is assert_close's test (|mine - truth| <= atol + rtol * |truth|) at a tenth of its cost
    assert torch.allclose(mine, truth, rtol=RTOL, atol=ATOL), \
        f"after step {t}: largest difference {(mine - truth).abs().max():.3g}"


def train(update: StackedUpdate, stacked: list[torch.Tensor], members: list[Member], steps: range,
          gen: torch.Generator, no_grad: Callable[[int, int], bool] = lambda t, j: False) -> None:
    """`steps` steps of seeded gradients (None where `no_grad(t, j)`) fed to the stack and to each truth."""
    for t in steps:
        grads = [None if no_grad(t, j) else torch.randn((len(members), *s), generator=gen)
                 for j, s in enumerate(SHAPES)]
        for p, g in zip(stacked, grads):
            p.grad = g
        update.step([m.holder.param_groups[0] for m in members])
        for i, m in enumerate(members):
            m.step([None if g is None else g[i].clone() for g in grads], t)
        assert_matches(stacked, members, t)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SPECS))
def test_each_member_matches_its_own_torch_optimizer_under_its_scheduler(name):
    gen = torch.Generator().manual_seed(0)
    members = [member(name, kwargs, gen, schedule) for kwargs, schedule in SPECS[name]]
    stacked = stack(members)
    train(StackedUpdate(name, stacked), stacked, members, range(STEPS), gen)
    lrs = [m.holder.param_groups[0]["lr"] for m in members]
    assert len(set(lrs)) == len(lrs)  # the schedulers did move each member its own way


# Momentum switched off and on per member: torch's SGD makes the buffer (a clone of the gradient) at the
# first step with momentum != 0 and leaves it alone while momentum is 0; steps 0-4 have every member off.
MOMENTA: dict[str, list[tuple[dict, Callable[[int], float]]]] = {
    "SGD": [(dict(lr=0.1, momentum=0.9, nesterov=True), lambda t: 0.0 if t < 10 else 0.9),
            (dict(lr=0.1, momentum=0.9, dampening=0.5), lambda t: 0.0 if t < 5 or 30 <= t < 40 else 0.9),
            (dict(lr=0.05, dampening=0.2, weight_decay=1e-2), lambda t: 0.0 if t < 60 else 0.5)],
    # torch's RMSprop makes its buffer at the first step only (a KeyError if momentum turns on later)
    "RMSprop": [(dict(lr=1e-2, momentum=0.9), lambda t: 0.0 if 20 <= t < 30 else 0.9),
                (dict(lr=1e-2, alpha=0.9), lambda t: 0.0),
                (dict(lr=1e-3, momentum=0.5), lambda t: 0.0 if 50 <= t < 60 else 0.5)],
}


@pytest.mark.parametrize("name", list(MOMENTA))
def test_momentum_off_then_on_matches_torch(name):
    gen = torch.Generator().manual_seed(1)
    members = [member(name, kwargs, gen, momentum=momentum) for kwargs, momentum in MOMENTA[name]]
    stacked = stack(members)
    train(StackedUpdate(name, stacked), stacked, members, range(100), gen)


@pytest.mark.parametrize("name", list(SPECS))
def test_keep_drops_a_member_and_the_others_still_match(name):
    gen = torch.Generator().manual_seed(2)
    members = [member(name, kwargs, gen, schedule) for kwargs, schedule in SPECS[name]]
    stacked = stack(members)
    update = StackedUpdate(name, stacked)
    train(update, stacked, members, range(50), gen)
    stacked = [p.detach()[[0, 2]].clone().requires_grad_() for p in stacked]
    update.keep([0, 2], stacked)
    train(update, stacked, [members[0], members[2]], range(50, 100), gen)


def test_keep_keeps_which_members_have_made_their_momentum_buffer():
    """Kept at step 20: member 0 has its buffer, member 2 makes its own (undamped) only at step 60."""
    gen = torch.Generator().manual_seed(4)
    members = [member("SGD", kwargs, gen, momentum=momentum) for kwargs, momentum in MOMENTA["SGD"]]
    stacked = stack(members)
    update = StackedUpdate("SGD", stacked)
    train(update, stacked, members, range(20), gen)
    stacked = [p.detach()[[0, 2]].clone().requires_grad_() for p in stacked]
    update.keep([0, 2], stacked)
    train(update, stacked, [members[0], members[2]], range(20, 100), gen)


@pytest.mark.parametrize("name", list(SPECS))
def test_a_tensor_without_grad_is_skipped_as_torch_skips_it(name):
    """Adam's step count is per tensor in torch: the bias's lags behind, and so do its bias corrections."""
    gen = torch.Generator().manual_seed(3)
    members = [member(name, kwargs, gen, schedule) for kwargs, schedule in SPECS[name]]
    stacked = stack(members)
    train(StackedUpdate(name, stacked), stacked, members, range(60), gen,
          no_grad=lambda t, j: j == 1 and t % 3 == 0)
