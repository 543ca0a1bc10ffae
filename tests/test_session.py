"""The app's session with no app: jobs handed to the trainer one at a time, stop emptying the queue
here, a dead trainer replaced with the queue going on in the new one."""
import threading
from dataclasses import dataclass

from pilot import started

from lrtui.engine.events import Status
from lrtui.ui import session as session_module
from lrtui.ui.session import Session


@dataclass
class Job:
    label: str
    config: dict
    key: str = ""
    comparison: str | None = None


def job(label):
    return Job(label, {"scheduler": {"name": "StepLR"}, "training": {"seed": 0}})


class FakeTrainer:
    """What a trainer is handed, and whether it was told to stop or to close."""

    def __init__(self, store_path):
        self.store_path, self.submitted, self.stop, self.closed = store_path, [], threading.Event(), False

    def submit(self, job):
        self.stop.clear()
        self.submitted.append(job.label)

    def close(self):
        self.closed = True


def new_session(tmp_path, monkeypatch):
    made = []
    monkeypatch.setattr(session_module, "service", lambda path: made.append(FakeTrainer(path)) or made[-1])
    session = Session(tmp_path / "runs.sqlite")
    session.start()
    return session, made


def test_one_job_at_a_time_the_next_when_the_trainer_is_idle(tmp_path, monkeypatch):
    session, [trainer] = new_session(tmp_path, monkeypatch)
    assert trainer.store_path == tmp_path / "runs.sqlite"
    session.enqueue([job("a"), job("b")])
    session.enqueue([job("c")])
    assert trainer.submitted == ["a"] and session.busy and [j.label for j in session.book.queue] == ["b", "c"]
    session.idle()
    assert trainer.submitted == ["a", "b"]
    session.idle()
    session.idle()
    assert trainer.submitted == ["a", "b", "c"] and not session.busy


def test_stop_empties_the_queue_and_stops_the_job_in_the_trainer(tmp_path, monkeypatch):
    session, [trainer] = new_session(tmp_path, monkeypatch)
    session.enqueue([job("a"), job("b")])
    session.stop()
    assert trainer.stop.is_set() and not session.book.queue
    session.idle()
    assert trainer.submitted == ["a"] and not session.busy
    trainer.stop.clear()
    session.stop()  # nothing in the trainer: nothing to stop
    assert not trainer.stop.is_set()


def test_a_dead_trainer_is_said_replaced_and_the_queue_goes_on_in_the_new_one(tmp_path, monkeypatch):
    session, made = new_session(tmp_path, monkeypatch)
    session.enqueue([job("a"), job("b")])
    session.book.take(started(1, "a", 2, 10))
    said = session.died("killed by signal 9")
    first, second = made
    assert said.text == "the training process died (killed by signal 9) during a; a new one starts"
    assert said.severity == "error" and session.book.runs[1].status == Status.INTERRUPTED
    assert session.trainer is second and first.submitted == ["a"] and second.submitted == ["b"]
    session.close()
    assert second.closed and not first.closed
