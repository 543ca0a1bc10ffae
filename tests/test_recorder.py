"""Loops run without a store; the recorder alone writes what their events say, under each job's key."""
import threading

from lrtui import engine
from lrtui.engine.events import EpochEnded, RunEnded, RunStarted, Steps
from lrtui.plan import planning
from lrtui.plan.planning import Job
from lrtui.plan.range_test import sweep
from lrtui.runs import recorder
from lrtui.runs.recorder import Recorder
from lrtui.runs.store import Store
from lrtui.schedule.catalogue import validate
from lrtui.schedule.optimizers import validate_optimizer


def job(epochs: int = 3, seed: int = 0) -> Job:
    return Job("cos", validate("CosineAnnealingLR", {"T_max": epochs}), validate_optimizer({"name": "SGD", "lr": 0.1}),
               epochs, task="spirals", batch_size=256, seed=seed, device="cpu",
               config={"scheduler": {"name": "CosineAnnealingLR"}, "training": {"seed": seed}})


def loop_events(j) -> list:
    events: list = []
    assert engine.run(j, events.extend, threading.Event()) == "finished"
    return events


def test_a_loop_runs_with_no_store_and_names_every_event_by_its_jobs_key(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    j = job()
    events = loop_events(j)
    assert {e.key for e in events} == {j.key}
    assert isinstance(events[0], RunStarted) and events[0].run_id is None  # nothing recorded it
    assert events[0].config == j.config and (events[0].seed, events[0].task, events[0].kind) == (0, "spirals", "train")
    assert [e.epoch for e in events if isinstance(e, EpochEnded)] == [0, 1, 2]
    assert events[-1] == RunEnded(j.key, "finished", None)
    assert not list(tmp_path.rglob("*.sqlite"))
    sweep_job = planning.find_job({"task": "spirals", "batch_size": 64, "seed": 0, "device": "cpu"},
                                validate_optimizer({"name": "SGD"}), sweep({"steps": 20}))
    found = loop_events(sweep_job)
    assert found[0].kind == "find" and sum(len(e.lr) for e in found if isinstance(e, Steps)) == 20


def test_events_made_elsewhere_are_recorded_as_their_run_and_a_retried_key_replaces_it(store):
    here, there = job(seed=1), job(seed=2)
    recorder.run(here, store, lambda events: None, threading.Event())
    made_elsewhere = loop_events(there)  # as a trial on another machine would send them
    forwarded: list = []
    Recorder(store, forwarded.extend)(made_elsewhere)
    runs = {r["key"]: r for r in store.runs()}
    assert set(runs) == {here.key, there.key}
    stored = store.run(runs[there.key]["id"])
    assert forwarded[0].run_id == stored["id"] and forwarded[1:] == made_elsewhere[1:]
    steps = [e for e in made_elsewhere if isinstance(e, Steps)]
    assert stored["steps"]["lr"] == [x for s in steps for x in s.lr]
    assert stored["steps"]["loss"] == [x for s in steps for x in s.loss]
    ended = [e for e in made_elsewhere if isinstance(e, EpochEnded)]
    assert [(e["epoch"], e["val_loss"], e["train_loss"]) for e in stored["epochs"]] == [
        (e.epoch, e.val_loss, e.train_loss) for e in ended]
    assert (stored["status"], stored["config"], stored["seed"]) == ("finished", there.config, 2)

    Recorder(store)(made_elsewhere[:2])  # the trial retried: its run starts again under its key
    again = [r for r in store.runs() if r["key"] == there.key]
    assert len(again) == 1 and again[0]["status"] == "running" and len(store.runs()) == 2


def test_a_range_test_is_committed_step_by_step(store):
    sweep_job = planning.find_job({"task": "spirals", "batch_size": 64, "seed": 0, "device": "cpu"},
                                validate_optimizer({"name": "SGD"}), sweep({"steps": 20}))
    events = loop_events(sweep_job)
    started, first_steps = events[0], next(e for e in events if isinstance(e, Steps))
    Recorder(store)([started, first_steps])  # the sweep's process killed here: what came is kept
    kept = Store.at(store.path.parent).run(store.runs()[0]["id"])
    assert kept["kind"] == "find" and kept["steps"]["lr"] == list(first_steps.lr)
