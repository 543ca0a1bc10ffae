"""A seed's batches for a batch of runs: drawn from its task as built for it, under the global random
state its run alone would have (a user's DataLoader draws from it), so that each member sees exactly
the batches of its sequential run."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, Iterator

from lrtui.engine.shared import random_state, set_random_state


@dataclass(eq=False)
class Stream:
    """One seed's task as built for it: its batches, drawn under the global random state they would
    have in that seed's run alone (a user's DataLoader draws from it)."""

    built: dict
    steps_per_epoch: int | None
    state: tuple  # the global random state, as its run alone would have it now
    isolated: bool = True  # False where no other seed's stream draws, or its batches draw only on their own

    @contextlib.contextmanager
    def own_random(self) -> Iterator[None]:
        if not self.isolated:
            yield
            return
        outside = random_state()
        set_random_state(self.state)
        try:
            yield
        finally:
            self.state = random_state()
            set_random_state(outside)

    def batches(self, key: str) -> Iterator[tuple[Any, Any]]:
        with self.own_random():
            batches = iter(self.built[key]) if self.built[key] is not None else iter(())
        while True:
            with self.own_random():
                pair = next(batches, None)
            if pair is None:
                return
            yield pair


def draws_alone(batches: Any) -> bool:
    """Batches known to draw only from generators of their own: lrtui's TensorBatches, with no
    augmentation or the built-in one (none draws from the global random state)."""
    from lrtui.tasks.augment import RandomAffine
    from lrtui.tasks.batches import TensorBatches

    return batches is None or isinstance(batches, TensorBatches) and (
        batches.transform is None or isinstance(batches.transform, RandomAffine))
