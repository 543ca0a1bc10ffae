"""The app picks up what other processes write to its store while it is open (a `lrtui run` in tmux):
a new run appears in the runs table, and a run it lists as running shows how it ended."""
from __future__ import annotations

import threading
import time

import pytest
from pilot import until

from lrtui.runs.store import Store, StoreError
from lrtui.ui import watch
from lrtui.ui.app import LrtuiApp
from lrtui.ui.runs_table import COLUMNS
from lrtui.ui.watch import Held, look

EPOCH = {"lr": 0.1, "train_loss": 1.0, "val_loss": 1.1, "val_acc": 0.5, "seconds": 0.2, "samples_per_s": 100.0}


def start(store: Store, label: str):
    """A run as a headless `lrtui run` starts it: its own Store on the folder, its own connection."""
    return Store.at(store.path.parent).start(label, None, {"scheduler": {"name": "StepLR"}}, "spirals", "cpu", "cpu",
                                             0, 8)


def write(writer, first_epoch: int, epochs: int, status: str | None = None) -> None:
    for epoch in range(first_epoch, first_epoch + epochs):
        writer.steps(4 * epoch, [0.1] * 4, None, [1.0 - 0.1 * epoch] * 4)
        writer.epoch({"epoch": epoch, **EPOCH, "val_loss": 1.0 - 0.1 * epoch})
    if status:
        writer.finish(status)


def status_and_epochs(app, run_id: int) -> list[str]:
    """The runs table's status and epochs of run `run_id`, as shown; [] while it is not listed."""
    table, titles = app.query_one("#runs"), [title for title, _ in COLUMNS]
    rows = ([str(c) for c in table.get_row_at(i)] for i in range(table.row_count))
    cells = next((cells for cells in rows if cells[titles.index("id")] == str(run_id)), None)
    return [cells[titles.index("status")], cells[titles.index("ep")]] if cells else []


def test_a_look_reads_what_is_new_of_new_and_running_training_runs_and_moves_past_the_rest(store):
    listed = start(store, "listed")
    write(listed, 0, 1)
    store.start("sweep", None, {}, "spirals", "cpu", "cpu", 0, 100, kind="find").finish("finished")
    with store.session() as db:  # a row whose config cannot be read
        db.execute("INSERT INTO runs (label, config, task, status, started) VALUES ('bad', '[]', 'x', 'finished', 0)")
    since = listed.run_id
    held = {listed.run_id: Held(epochs=1, rows=4, shown=True)}
    newest, found = look(store, since, held)
    assert newest == listed.run_id + 2 and found == []  # the sweep and the unreadable row: passed over
    late = start(store, "late")
    write(late, 0, 1)
    write(listed, 1, 1, "finished")
    newest, found = look(store, newest, held)
    assert newest == late.run_id
    (old, new) = found
    assert (old.run["id"], old.new, old.first_row, old.run["status"]) == (listed.run_id, False, 4, "finished")
    assert [e["epoch"] for e in old.run["epochs"]] == [1] and old.run["steps"]["step"] == [4, 5, 6, 7]
    assert (new.run["id"], new.new, new.run["status"], len(new.run["epochs"])) == (late.run_id, True, "running", 1)
    assert new.run["steps"]["step"] == []  # not shown: no steps
    assert look(store, newest, {late.run_id: Held(1, 0, False)}) == (newest, [])


async def test_a_run_another_process_writes_appears_with_its_epochs_and_its_end(store, monkeypatch):
    looks = []
    monkeypatch.setattr(watch, "look", lambda *args: looks.append(look(*args)) or looks[-1])
    app = LrtuiApp(store=store)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: looks)  # the app has looked at the store since it opened
        assert status_and_epochs(app, 1) == []
        thread = threading.Thread(target=lambda: write(start(store, "headless"), 0, 2, "finished"))
        thread.start()
        thread.join()
        await until(pilot, lambda: status_and_epochs(app, 1) == ["finished", "2"], 10)
        view = app.book.runs[1]
        assert (view.label, view.status) == ("headless", "finished")
        assert [(e["epoch"], e["val_loss"]) for e in view.epochs] == [(0, 1.0), (1, pytest.approx(0.9))]


@pytest.mark.slow
async def test_a_listed_running_run_that_another_process_finishes_shows_finished(store):
    writer = start(store, "in tmux")
    write(writer, 0, 1)
    app = LrtuiApp(store=store)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: writer.run_id in app.book.runs)  # listed by the store's reader, off the event loop
        assert status_and_epochs(app, writer.run_id) == ["running", "1"]
        app.query_one("#runs").focus()
        await pilot.press("space")  # shown: its steps are read as they come
        view = app.book.runs[writer.run_id]
        await until(pilot, lambda: view.shown)
        app.next_redraw = time.monotonic() + 60  # the charts wait, as after a slow redraw: the table does not
        write(writer, 1, 2, "finished")
        await until(pilot, lambda: status_and_epochs(app, writer.run_id) == ["finished", "3"], 10)
        assert [e["epoch"] for e in view.epochs] == [0, 1, 2]
        assert list(view.loss) == pytest.approx([1.0 - 0.1 * (i // 4) for i in range(12)])


@pytest.mark.slow
async def test_the_watch_outlives_a_look_that_fails_and_says_so_once(store, monkeypatch):
    calls, changes = [], Store.changes

    def flaky(self, *args):  # the store is busy, twice, then answers
        calls.append(1)
        if len(calls) <= 2:
            raise StoreError("database is locked")
        return changes(self, *args)

    app, notes = LrtuiApp(store=store), []
    notify = app.notify
    monkeypatch.setattr(app, "notify", lambda message, **kw: (notes.append(str(message)), notify(message, **kw)))
    async with app.run_test(size=(120, 36)) as pilot:
        monkeypatch.setattr(Store, "changes", flaky)
        write(start(store, "headless"), 0, 2, "finished")
        await until(pilot, lambda: status_and_epochs(app, 1) == ["finished", "2"], 10)
        assert notes == ["cannot read the store: database is locked"]
