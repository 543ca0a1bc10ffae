"""The training service the app uses, in its child process and in a thread (the tests' way): the
same engine and store, events back over a queue, stop."""
import time

import pytest

from lrtui.backends.child import Ready, Refused, ThreadTrainer, Trainer
from lrtui.engine.events import EpochEnded, RunEnded
from lrtui.plan import presets
from lrtui.plan.planning import jobs
from lrtui.runs.store import Store


def collect(trainer, until, seconds=60):
    seen, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        for item in trainer.next_events(0.1):
            seen.extend(item if isinstance(item, list) else [item])
        if until(seen):
            return seen
    raise AssertionError(f"timed out; saw {seen[-3:]}")


@pytest.fixture(params=[Trainer, ThreadTrainer])
def trainer(tmp_path, request):
    store = Store.at(tmp_path)
    trainer = request.param(store.path)
    yield trainer, store
    trainer.close()


@pytest.mark.slow
def test_trains_a_job_into_the_store_and_reports_it(trainer):
    trainer, store = trainer
    job = jobs(presets.find("seed-four"), epochs=2, device="cpu")[0]
    trainer.submit(job)
    seen = collect(trainer, lambda s: any(isinstance(e, RunEnded) for e in s))
    assert isinstance(seen[0], Ready)
    assert [e.epoch for e in seen if isinstance(e, EpochEnded)] == [0, 1]
    run = store.runs()[0]
    assert run["status"] == "finished" and run["n_epochs"] == 2 and run["label"] == "StepLR"


@pytest.mark.slow
def test_stop_ends_the_run_and_a_refused_job_is_reported(trainer):
    trainer, store = trainer
    job = jobs(presets.find("seed-four"), epochs=500, device="cpu")[0]
    trainer.submit(job)
    collect(trainer, lambda s: any(isinstance(e, EpochEnded) for e in s))
    trainer.stop.set()
    seen = collect(trainer, lambda s: any(isinstance(e, RunEnded) for e in s), 10)
    assert next(e for e in seen if isinstance(e, RunEnded)).status == "stopped"
    stopped = store.runs()[0]
    assert stopped["status"] == "stopped" and 1 <= stopped["n_epochs"] < 500  # kept, with what it did
    trainer.submit(jobs(presets.find("seed-four"), task="no-such-task", epochs=1, device="cpu")[0])
    seen = collect(trainer, lambda s: any(isinstance(e, Refused) for e in s), 30)
    assert "no-such-task" in next(e for e in seen if isinstance(e, Refused)).error
    assert len(store.runs()) == 1  # the refused job stored nothing
