"""The app's book of runs, with no app: the queue handed to the training process one job at a time,
the training events growing the runs, a death of the training process, the store's reads."""
from dataclasses import dataclass, replace

from pilot import started

from lrtui.engine.events import EpochEnded, RunEnded, Status, Steps
from lrtui.ui import watch
from lrtui.ui.book import Book


@dataclass
class Job:
    label: str
    config: dict
    comparison: str | None = None
    group: str | None = None
    key: str = ""


def job(label):
    return Job(label, {"scheduler": {"name": "StepLR"}, "training": {"seed": 0}})


def stored(run_id, key, kind="train", label="theirs"):
    return {"id": run_id, "key": key, "kind": kind, "label": label, "status": "running", "comparison": None, "group": None,
            "config": {"scheduler": {"name": "StepLR"}}, "epochs": [], "steps": {"lr": [], "loss": [], "momentum": []}}


def test_jobs_go_to_the_training_process_one_at_a_time_in_order():
    book = Book()
    a, b, c = job("a"), job("b"), job("c")
    assert book.enqueue([a, b]) is a and book.busy
    assert book.enqueue([c]) is None  # busy: it waits
    assert [j.label for j in book.queue] == ["b", "c"]
    assert book.take(started(1, "a", 2, 10)) is None
    book.take(RunEnded("k1", Status.FINISHED))
    assert book.busy and not book.training  # until the training process says it is done with the job
    book.idle()
    assert not book.busy
    assert book.next() is b and book.next() is c and book.busy
    assert book.next() is None and not book.busy


def test_compatible_queued_runs_go_to_the_training_process_as_one_batch():
    from lrtui.plan.planning import Batch, FindJob, Job
    from lrtui.schedule.catalogue import validate
    from lrtui.schedule.optimizers import validate_optimizer

    def real(lr, **kw):
        return Job(f"lr {lr}", validate("StepLR", {"step_size": 1}), validate_optimizer({"name": "SGD", "lr": lr}), 2, **kw)

    a, b, c, d = real(0.1), real(0.2), real(0.3, task="shapes"), real(0.4, task="shapes")
    find = FindJob("range test", validate_optimizer({"name": "SGD"}))
    book = Book()
    assert book.enqueue([a, b, find, c, d]) == Batch((a, b))
    for key, run_id in (("k1", 1), ("k2", 2)):
        book.take(replace(started(run_id, "x", 2, 10), key=key))
    assert book.training == [1, 2]
    book.take(RunEnded("k1", Status.FINISHED))
    assert book.training == [2] and book.busy
    book.idle()
    assert book.next() is find and book.next() == Batch((c, d)) and not book.queue


def test_stop_empties_the_queue_and_says_whether_a_job_is_still_in_training():
    book = Book()
    assert not book.stop()
    book.enqueue([job("a"), job("b")])
    assert book.stop() and not book.queue


def test_events_grow_the_run_they_name_and_its_end_is_its_status():
    book = Book()
    book.enqueue([job("a")])
    book.take(started(4, "a", 2, 3))
    assert book.training == [4] and book.stored == {"k4": 4} and book.runs[4].shown
    book.take(Steps("k4", 0, (0.1, 0.1, 0.1), None, (2.0, 1.5, 1.0)))
    book.take(EpochEnded("k4", 0, 0.1, 1.5, 1.2, 0.5, 0.3, 1000.0))
    assert list(book.runs[4].loss) == [2.0, 1.5, 1.0] and book.runs[4].epochs[0]["val_loss"] == 1.2
    assert book.take(Steps("k9", 0, (0.1,), None, (1.0,))) is None  # a run it does not know: ignored
    said = book.take(RunEnded("k4", Status.DIVERGED))
    assert book.runs[4].status == "diverged" and not book.training
    assert said.text == "a: diverged" and said.severity == "warning"
    said = book.take(RunEnded("k4", Status.FAILED, "out of memory"))
    assert said.text == "a: failed: out of memory" and said.severity == "error"


def test_a_task_note_on_a_run_is_said_once():
    book = Book()
    said = book.take(started(1, "a", 2, 3, notes=("only 2 batches", "no validation")))
    assert said.text == "a: only 2 batches; no validation" and said.severity == "warning"
    assert book.take(replace(started(2, "b", 2, 3, notes=("only 2 batches",)), key="k2")) is None  # its batch's others


def test_a_dead_training_process_interrupts_its_run_and_frees_the_queue():
    book = Book()
    book.enqueue([job("a"), job("b")])
    book.take(started(1, "a", 2, 3))
    said = book.died("killed by signal 9")
    assert said.severity == "error"
    assert said.text == "the training process died (killed by signal 9) during a; a new one starts"
    assert book.runs[1].status == "interrupted" and not book.busy and not book.training
    assert book.next().label == "b"  # for the next process
    assert book.died("exit code 1").text == "the training process died (exit code 1); a new one starts"


def test_the_store_adds_runs_of_other_processes_never_its_own_or_range_tests():
    book = Book()
    book.take(started(1, "mine", 2, 3))
    book.read(watch.Read(stored(1, "k1"), new=True))  # the one in training: events feed it
    book.read(watch.Read(stored(2, "x2", kind="find"), new=True))
    book.read(watch.Read(stored(3, "x3"), new=False))  # not new and not listed: deleted meanwhile
    assert set(book.runs) == {1}
    book.read(watch.Read(stored(5, "x5"), new=True))
    assert set(book.runs) == {1, 5} and not book.runs[5].shown and book.runs[5].label == "theirs"
    assert book.held() == {5: watch.Held(0, 0, False)}  # running elsewhere: the watch reads it on


def test_the_table_lists_the_runs_then_the_queue_in_order():
    book = Book()
    book.enqueue([job("a"), job("b"), job("c")])
    book.take(started(1, "a", 2, 3))
    rows = book.rows()
    assert [(r.summary.label, r.summary.status, r.queued) for r in rows] == [
        ("a", "running", None), ("b", "queued", 0), ("c", "queued", 1)]


def test_a_group_band_is_the_mean_over_its_seeds_with_min_and_max_where_they_differ():
    import numpy as np

    from lrtui.ui.groups import band
    from lrtui.ui.runview import RunView

    views = []
    for seed, losses in enumerate(([3.0, 2.0, 1.0, 0.5], [4.0, 2.5, 2.0])):  # the second has not finished
        view = RunView(seed, "cosine", {"training": {"seed": seed, "seeds": [0, 1]}}, "cyan", True, steps_per_epoch=2,
                       comparison="c", group="cosine")
        view.add_steps([0.1] * len(losses), losses)
        view.epochs = [{"epoch": 0, "val_loss": 1.5 + seed}]
        views.append(view)
    lr, loss = band(views, x_steps=True, momentum=False)
    mean, low, high, val = loss
    assert (mean.label, low.label, high.label, val.label) == ("cosine", "cosine min", "cosine max", "cosine val")
    ema = [np.array(v.ema) for v in views]  # each seed's smoothed loss
    assert np.allclose(mean.y, [(ema[0][0] + ema[1][0]) / 2, (ema[0][1] + ema[1][1]) / 2,
                                (ema[0][2] + ema[1][2]) / 2, ema[0][3]]) and np.array_equal(mean.x, [0, 1, 2, 3])
    assert np.allclose(low.y[:3], np.minimum(ema[0][:3], ema[1])) and np.isnan(low.y[3])  # one seed there: no spread
    assert np.allclose(high.y[:3], np.maximum(ema[0][:3], ema[1])) and mean.lines
    assert np.array_equal(val.x, [2.0]) and np.array_equal(val.y, [2.0])  # epoch 1's end, in steps
    assert np.array_equal(lr[0].y, [0.1] * 4) and np.isnan(lr[1].y).all()  # one lr for all seeds: no dots
    assert {s.colour for s in lr + loss} == {"cyan"}


def test_a_comparison_handed_as_one_unit_is_settled_only_when_its_last_member_ends():
    """A batch that falls back to one run after another starts its members in turn: the comparison
    is not over when its first run ends (the range test's check was judged on its first lr), and is
    over when the last ends; a stop ends it at the run in progress (the others never start)."""
    from lrtui.plan import presets
    from lrtui.plan.planning import Batch, jobs

    def ran(book, job, run_id, status=Status.FINISHED):
        book.take(replace(started(run_id, job.label, 1, 10), key=job.key, comparison=job.comparison))
        book.take(RunEnded(job.key, status))

    first, second, third = jobs(presets.find("seed-four"), epochs=1, device="cpu")[:3]
    book = Book()
    assert book.enqueue([first, second, third]) == Batch((first, second, third))
    ran(book, first, 1)
    assert not book.settled(first.comparison)
    ran(book, second, 2)
    ran(book, third, 3)
    assert book.settled(first.comparison)

    book = Book()
    book.enqueue([first, second, third])
    book.take(replace(started(1, first.label, 1, 10), key=first.key, comparison=first.comparison))
    assert book.stop() and not book.settled(first.comparison)
    book.take(RunEnded(first.key, Status.STOPPED))
    assert book.settled(first.comparison)
