"""What other processes write to the store while the app is open (a `lrtui run` in tmux): the runs
added since the last look, and the ones the app lists as running that have moved on."""
from __future__ import annotations

from dataclasses import dataclass

from lrtui.engine.events import Status
from lrtui.runs.store import Store

SECONDS = 1.0


@dataclass(frozen=True)
class Read:
    """A run as Store.run reads it, its step rows from row `first_row` on; `new` for a run the app has
    not listed."""

    run: dict
    first_row: int = 0
    new: bool = False


@dataclass(frozen=True)
class Held:
    """What the app holds of a run it lists as running: its epochs, its step rows, whether it is shown
    (only a shown run's steps are read)."""

    epochs: int
    rows: int
    shown: bool


def look(store: Store, since: int, running: dict[int, Held]) -> tuple[int, list[Read]]:
    """The newest id seen, and what is new of the training runs after `since` and of the `running` ones
    that ended or gained an epoch (the store commits steps with their epoch), each read from where the
    app is."""
    newest = since

    def seen(run_id: int, _why: str = "") -> None:
        nonlocal newest
        newest = max(newest, run_id)

    found = []
    for run in store.changes(since, running, seen):
        seen(run["id"])
        held = running.get(run["id"])
        unchanged = held is not None and run["status"] == Status.RUNNING and run["n_epochs"] == held.epochs
        if run["kind"] != "train" or unchanged:  # range tests are `lrtui runs`'s
            continue
        held = held or Held(0, 0, False)
        stored = store.run(run["id"], steps=held.shown, from_epoch=held.epochs, from_row=held.rows)
        if stored:  # else deleted meanwhile
            found.append(Read(stored, held.rows, new=run["id"] > since))
    return newest, found
