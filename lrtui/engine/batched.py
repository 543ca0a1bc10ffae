"""Several runs trained as one vectorised model: a `Batch` of compatible jobs (one task, batch size,
epoch count, device and optimizer class; any schedule, optimizer arguments and seed) in one loop.

The members' parameters and buffers are stacked (member i is row i), and one forward and backward
goes through `torch.func.vmap` over `functional_call`, one loss per member. Members of one seed share
its batches, literally (`in_dims=None`); each seed's data is drawn from its own task as built for it,
with the global random state it would have alone, so that a member sees exactly the batches of its
sequential run. Each member keeps a real torch optimizer driven by its real scheduler: they hold its
lr, momentum and betas, which one update over the stack reads every step (lrtui.engine.stacked).

Each member is an ordinary run: its own events, epochs, steps and ending. One that diverges is
ended at that step, one a sweep's pruner ends after an epoch, and either is dropped from the stack;
the others go on. What the first step cannot take
(vmap refuses the model, the seeds' batches differ in shape, anything raising) trains the jobs one
after another instead, each run saying why.
"""
from __future__ import annotations

import contextlib
import copy
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterator

from lrtui.engine.events import Event, RunEnded, Status, Steps
from lrtui.engine.linear_stack import by_hand, linear_layers
from lrtui.engine.shared import (Loop, Prune, explain, first_line, on_device, prepare, random_state,
                                 resolve_device, walk)
from lrtui.engine.sizing import fitting, probe_batch, timed
from lrtui.engine.streams import Stream, draws_alone
from lrtui.engine.training import schedule_notes, train
from lrtui.plan.planning import Batch, Job
from lrtui.schedule.catalogue import build, moves_momentum
from lrtui.schedule.params import AUTO

FASTER = 1.0  # auto batches where K runs as one step in at most this share of K steps alone (where it
# measures no loss, it gains: the steps of runs alone also draw their own batches, which it leaves out)


class Unbatchable(Exception):
    """Why these jobs cannot train as one model; they train one after another instead."""


def train_together(batch: Batch, emit: Callable[[list[Event]], None], stop: Any,
                   prune: Prune | None = None) -> None:
    """Train the batch's jobs as one vectorised model (several, where auto finds that the device's
    memory holds fewer), else one after another; the runs of points pruned already do not start.
    Each run's ending is in its events."""
    jobs = [job for job in batch.jobs if not (prune and prune.out(job))]
    if not jobs:
        return
    try:
        group = Group(jobs)
        taken = len(group.members)  # auto: the rest is another batch
        group.train(emit, stop, prune)
    except Unbatchable as e:
        one_by_one(jobs, str(e), emit, stop, prune)
        return
    if taken < len(jobs) and not stop.is_set():
        train_together(Batch(tuple(jobs[taken:])), emit, stop, prune)


def one_by_one(jobs: list[Job], why: str, emit: Callable[[list[Event]], None], stop: Any,
               prune: Prune | None = None) -> None:
    """The fallback: each job trained alone, its config and its notes saying why. A run that fails
    before its first step ends its preset's runs here (the same task would fail the same way)."""
    stepped, given_up = set(), set()

    def watch(events: list[Event]) -> None:
        stepped.update(event.key for event in events if isinstance(event, Steps))
        emit(events)

    for job in jobs:
        if stop.is_set():
            break
        if job.preset in given_up or prune and prune.out(job):
            continue
        note = f"trained alone, not batched with {len(jobs) - 1} other runs: {why}"
        status = train(replace(job, config=job.config | {"batch": {"members": 1, "reason": why}}), watch, stop,
                       (note,), prune)
        if status == Status.FAILED and job.key not in stepped:
            given_up.add(job.preset)


@dataclass(eq=False)
class Member:
    job: Job
    loop: Loop
    optimizer: Any       # a real torch optimizer over one placeholder parameter: it holds the hyperparameters
    stepper: Any         # the real scheduler(s) that set them
    stream: int          # its seed's Stream
    per_step: bool
    samples: int = 0
    lr_at_start: float = 0.0

    @property
    def group(self) -> dict:
        return self.optimizer.param_groups[0]

    def momentum(self) -> float | None:
        group = self.group
        return group["betas"][0] if "betas" in group else group.get("momentum")


class Group:
    """The members of a batch as one stacked model, built from each seed's task."""

    def __init__(self, jobs: list[Job]):
        from torch.func import stack_module_state

        from lrtui.engine.stacked import StackedUpdate

        self.device = resolve_device(jobs[0].device)
        self.streams = [self._stream(jobs[0])]  # ConfigError (bad input) goes up: alone it would be refused too
        first = self.streams[0].built
        probe = probe_batch(first["val"], jobs[0].batch_size, self.device) if jobs[0].batch_runs == AUTO else None
        if jobs[0].batch_runs == AUTO:
            jobs = jobs[:fitting(first["model"], probe, self.device)]
        seeds = list(dict.fromkeys(job.seed for job in jobs))
        self.streams += [self._stream(next(job for job in jobs if job.seed == seed)) for seed in seeds[1:]]
        if len({s.steps_per_epoch for s in self.streams}) > 1:
            raise Unbatchable("the seeds' tasks give different numbers of batches per epoch")
        for stream in self.streams:  # swapping the global random state costs ~0.1 ms: only where it matters
            stream.isolated = len(self.streams) > 1 and not all(map(draws_alone, (stream.built["train"],
                                                                                   stream.built["val"])))
        models, used = [], set()
        for job in jobs:  # a seed's first member takes its model, the others a copy (the same weights)
            model = self.streams[seeds.index(job.seed)].built["model"]
            models.append(model if job.seed not in used else copy.deepcopy(model))
            used.add(job.seed)
        try:
            params, self.buffers = stack_module_state([m.to(self.device) for m in models])
        except Exception as e:  # noqa: BLE001 - the seeds' models differ
            raise Unbatchable(f"the models cannot be stacked ({type(e).__name__}: {e})") from None
        self.names = list(params)
        self.params = [params[n] for n in self.names]
        self.base = copy.deepcopy(models[0]).to("meta")
        self.layers = linear_layers(self.base, self.names)
        self.steps_per_epoch = self.streams[0].steps_per_epoch
        self.members = [self._member(job, seeds.index(job.seed), len(jobs)) for job in jobs]
        self._index()
        self.update = StackedUpdate(jobs[0].optimizer.name, self.params)
        self.stepped = False  # an update was made: from then on, an error fails the members
        self.prune: Prune | None = None
        self.pending: list[Any] = []  # each step's losses (K,) on the device, until handed on
        if probe is not None and len(jobs) > 1:
            self._faster(models[0], probe)

    def _faster(self, model: Any, batch: tuple[Any, Any]) -> None:
        """auto batches only where it pays (on a CPU, a convolutional model's K runs as one cost as much
        as one by one): a training step of the members as one model (forward, backward, the stacked
        update) against K steps of one alone (with its torch optimizer), timed on `batch` in eval mode
        over copies of the weights, so that nothing of the runs moves. Unbatchable where the batch
        takes more than FASTER of the time."""
        from lrtui.engine.stacked import StackedUpdate

        alone = copy.deepcopy(model).eval()
        optimizer = self.members[0].job.optimizer.build(alone.parameters())

        def one() -> None:
            optimizer.zero_grad(set_to_none=True)
            self.streams[0].built["loss"](alone(batch[0]), batch[1]).backward()
            optimizer.step()

        params = [p.detach().clone().requires_grad_(p.requires_grad) for p in self.params]
        update, groups = StackedUpdate(self.members[0].job.optimizer.name, params), [m.group for m in self.members]

        def together() -> None:
            for p in params:
                p.grad = None
            self.losses(self.outputs(batch[0], None, params), batch[1], None).sum().backward()
            update.step(groups)

        self.base.eval()
        k = len(self.members)
        try:
            separate, joint = timed(one, self.device) * k, timed(together, self.device)
        except Exception as e:  # noqa: BLE001 - what the batch cannot take (vmap refusing the model) trains alone
            raise Unbatchable(f"{type(e).__name__}: {first_line(str(e))}") from None
        if joint > FASTER * separate:
            raise Unbatchable(f"on {self.device.type} these runs train no faster as one model ({joint * 1e3:.1f} ms "
                              f"a step for {k}, {separate / k * 1e3:.1f} ms for one alone)")

    @staticmethod
    def _stream(job: Job) -> Stream:
        _, built, steps = prepare(job)
        return Stream(built, steps, random_state())

    def _member(self, job: Job, stream: int, k: int) -> Member:
        import torch

        optimizer = job.optimizer.build([torch.nn.Parameter(torch.zeros(1))])
        length = job.schedule.length(job.epochs, self.steps_per_epoch)
        loop = Loop(job, lambda events: None, moves_momentum(job.schedule.spec, job.schedule.params))
        loop.start("train", job.config | {"batch": {"members": k}}, self.device, job.epochs, self.steps_per_epoch,
                   (*self.streams[stream].built["notes"], *schedule_notes(job, length, self.base)))
        return Member(job, loop, optimizer, build(job.schedule, optimizer, length), stream,
                      job.schedule.interval == "step")

    # the loop

    def train(self, emit: Callable[[list[Event]], None], stop: Any, prune: Prune | None = None) -> None:
        """Train every member to its end (or its pruning). A first step that raises (before anything
        is handed on) raises Unbatchable."""
        for m in self.members:
            m.loop.emit = emit
        self.prune = prune
        first = self.members[0].job
        try:
            self._epochs(stop)
        except Exception as e:  # noqa: BLE001 - every member still training fails; what they did is kept
            if not self.stepped:  # nothing handed on yet: what the first step cannot take trains unbatched
                raise Unbatchable(f"{type(e).__name__}: {first_line(str(e))}") from None
            with contextlib.suppress(Exception):  # the steps taken are kept, where they can still be read
                self._flush()
            self._end(self.members, Status.FAILED, explain(e, first))

    def outputs(self, inputs: Any, dim: int | None, params: list | None = None) -> Any:
        """Every member's outputs (K, batch, ...) for `inputs`, shared (dim None) or one row per member
        (0), from the stacked parameters (or `params` like them)."""
        from torch.func import functional_call, vmap

        params = self.params if params is None else params
        if self.layers is None:
            return vmap(lambda p, buffers, x: functional_call(self.base, (p, buffers), (x,)),
                        in_dims=(0, 0, dim))(dict(zip(self.names, params)), self.buffers, inputs)
        return by_hand(self.layers, params, inputs, dim, len(self.members))

    def losses(self, out: Any, targets: Any, dim: int | None) -> Any:
        """Every member's loss (K,) on its outputs, each by the loss its own seed's build returned: the
        members that share one loss function at once, in the members' order."""
        import torch

        if self.loss_order is None:
            return self._losses(self.loss_parts[0][0], out, targets, dim)
        parts = [self._losses(fn, out.index_select(0, rows), targets if dim is None else targets.index_select(0, rows),
                              dim) for fn, rows in self.loss_parts]
        return torch.cat(parts).index_select(0, self.loss_order)

    @staticmethod
    def _losses(loss_fn: Callable, out: Any, targets: Any, dim: int | None) -> Any:
        """One loss function's (K,) losses: cross-entropy (the tasks' default) over all members' rows at once
        (vmap's runs a Python decomposition of it, 0.4 ms a step at K = 16), another by vmap."""
        import torch.nn.functional as F
        from torch.func import vmap

        if loss_fn is not F.cross_entropy or out.dim() != 3:
            return vmap(loss_fn, in_dims=(0, dim))(out, targets)
        k, n = out.shape[:2]
        rows = targets.reshape(-1) if dim == 0 else targets.repeat(k)
        return F.cross_entropy(out.reshape(k * n, -1), rows, reduction="none").view(k, n).mean(1)

    def _epochs(self, stop: Any) -> None:
        if walk(self.members[0].job.epochs, self, lambda: self._batches("train"), stop,
                lambda: self.members[0].loop.due()):
            self._end(self.members, Status.FINISHED)

    def begin_epoch(self) -> None:
        for m in self.members:
            m.loop.flushed, m.lr_at_start = [], m.group["lr"]
        self.base.train()

    def step(self, batch: tuple[Any, Any, tuple]) -> None:
        inputs, targets, dims = batch
        momenta = [m.momentum() if m.loop.track_momentum else None for m in self.members]  # before the step
        loss = self.losses(self.outputs(inputs, dims[0]), targets, dims[1])
        for p in self.params:
            p.grad = None
        loss.sum().backward()  # each member's parameters get its own loss's gradient
        if not self.stepped:  # tells each scheduler its optimizer has stepped (a no-op: no gradient)
            for m in self.members:
                m.optimizer.step()
        self.update.step([m.group for m in self.members])
        self.stepped = True
        self.pending.append(loss.detach())
        for m, momentum in zip(self.members, momenta):
            m.loop.add(m.group["lr"], momentum)
            m.samples += len(targets) if dims[1] is None else targets.shape[1]
            if m.per_step:
                m.stepper.step()

    def hand_on(self) -> bool:
        self._flush()
        return bool(self.members)

    def stopped(self) -> None:
        self._flush()  # the steps taken are kept, as a run alone keeps them
        self._end(self.members, Status.STOPPED)

    def _batches(self, key: str) -> Iterator[tuple[Any, Any, tuple]]:
        """Each step's inputs and targets for the members, with their vmap in_dims: one seed's batch
        shared (None), or the seeds' batches stacked, one row per member (0)."""
        import torch

        streams = [s.batches(key) for s in self.streams]
        while True:
            pairs = [next(it, None) for it in streams]
            if all(p is None for p in pairs):
                return
            if any(p is None for p in pairs):
                raise RuntimeError(f"the seeds' tasks give different numbers of {key} batches")
            pairs = [(on_device(x, self.device), on_device(y, self.device)) for x, y in pairs]
            if len(pairs) == 1:
                yield *pairs[0], (None, None)
                continue
            inputs, targets = torch.stack([x for x, _ in pairs]), torch.stack([y for _, y in pairs])
            if self.rows is not None:
                inputs, targets = inputs.index_select(0, self.rows), targets.index_select(0, self.rows)
            yield inputs, targets, (0, 0)

    def _index(self) -> None:
        """Each member's row of the seeds' stacked batches, and the members grouped by the loss function
        their seed's build returned (with the order that puts their losses back), as device tensors (the
        rows None where they are the seeds in order; the order None where all share one loss), made when
        the members change: a list index would be copied to the device, a host sync, every step."""
        import torch

        rows = [m.stream for m in self.members]
        self.rows = None if rows == list(range(len(self.streams))) else torch.tensor(rows, device=self.device)
        by_loss: dict[int, list[int]] = {}
        for i, m in enumerate(self.members):
            by_loss.setdefault(id(self.built(m)["loss"]), []).append(i)
        self.loss_parts = [(self.built(self.members[part[0]])["loss"], torch.tensor(part, device=self.device))
                           for part in by_loss.values()]
        taken = [i for part in by_loss.values() for i in part]
        self.loss_order = (None if len(by_loss) == 1 else
                           torch.tensor(sorted(range(len(taken)), key=taken.__getitem__), device=self.device))

    def built(self, member: Member) -> dict:
        """What the member's seed's build returned: its loss, metric and notes are the member's."""
        return self.streams[member.stream].built

    def _flush(self) -> None:
        """Hand on each member's buffered steps (the pending losses of all read at once); end those
        whose loss was not finite."""
        import torch

        rows = torch.stack(self.pending).tolist() if self.pending else []
        self.pending = []
        diverged = []
        for i, m in enumerate(self.members):
            error = m.loop.flush([row[i] for row in rows])
            if error:
                diverged.append((m, error))
        for m, error in diverged:
            self._end([m], Status.DIVERGED, error)

    def end_epoch(self, epoch: int, started: float, train_seconds: float) -> bool:
        losses, accuracy = self._evaluate()
        for i, m in enumerate(list(self.members)):
            val_loss = None if losses is None else losses[i]
            val_acc = None if accuracy is None else accuracy[i]
            ended = m.loop.end_epoch(epoch, m.lr_at_start, m.samples, started, train_seconds, val_loss, val_acc,
                                     m.stepper, m.per_step, self.prune)
            m.samples = 0
            if ended:
                self._end([m], *ended)
        return bool(self.members)

    def _evaluate(self) -> tuple[list[float] | None, list[float] | None]:
        """Each member's mean validation loss and accuracy, summed on the device and read once."""
        import torch

        total = correct = None
        count = 0
        measured = [self.built(m)["metric"] == "accuracy" for m in self.members]
        self.base.eval()
        with torch.no_grad():
            for inputs, targets, dims in self._batches("val"):
                out = self.outputs(inputs, dims[0])
                n = len(targets) if dims[1] is None else targets.shape[1]
                loss = self.losses(out, targets, dims[1]) * n
                total = loss if total is None else total + loss
                if any(measured):
                    hits = (out.argmax(dim=2) == targets).flatten(1).sum(1)  # a member's argmax(dim=1)
                    correct = hits if correct is None else correct + hits
                count += n
        if not count:
            return None, None
        values = torch.stack([total.float(), (correct if correct is not None else total).float()]).tolist()
        return ([v / count for v in values[0]],
                [v / count if measured[i] else None for i, v in enumerate(values[1])] if any(measured) else None)

    def _end(self, members: list[Member], status: Status, error: str | None = None) -> None:
        """End `members` (their steps handed on) and drop them from the stack."""
        for m in members:
            m.loop.flush([])
            m.loop.emit([RunEnded(m.job.key, status, error)])
        keep = [i for i, m in enumerate(self.members) if m not in members]
        if len(keep) == len(self.members):
            return
        self.members = [self.members[i] for i in keep]
        if not keep:
            return
        index = keep
        self.params = [p.detach()[index].requires_grad_(p.requires_grad) for p in self.params]
        self.buffers = {k: v[index] for k, v in self.buffers.items()}
        self.update.keep(keep, self.params)
        self._index()
