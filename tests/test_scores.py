"""A run's figures, computed against hand-made epoch rows whose best is known."""
import math

import numpy as np
import pytest

from lrtui.judge import scores
from lrtui.plan import planning
from lrtui.plan.config import RANGE_TEST

CONFIG = {"preset": "mine", "scheduler": {"name": "StepLR", "params": {"step_size": 1}},
          "training": {"task": "synthetic", "seed": 7}}


def epoch(i, lr, train_loss, val_loss=None, val_acc=None, seconds=1.0):
    return {"epoch": i, "lr": lr, "train_loss": train_loss, "val_loss": val_loss, "val_acc": val_acc,
            "seconds": seconds, "samples_per_s": 100.0}


def test_a_run_with_validation_is_scored_on_its_val_loss_not_its_train_loss():
    epochs = [epoch(0, 0.1, 2.0, 1.5, 0.4, 1.0), epoch(1, 0.05, 1.0, 0.9, 0.6, 2.0),
              epoch(2, 0.01, 0.5, 1.1, 0.7, 6.0)]  # train loss lowest at epoch 2, val loss at epoch 1
    s = scores.summarise(3, "a", "finished", epochs, CONFIG)
    assert (s.best_val_loss, s.lr_at_best, s.final_val_loss) == (0.9, 0.05, 1.1)
    assert (s.best_acc, s.seconds_per_epoch, s.epochs) == (0.7, 3.0, 3)
    assert (s.id, s.label, s.status, s.scheduler, s.seed, s.preset) == (3, "a", "finished", "StepLR", 7, "mine")
    assert s.config is CONFIG and scores.score(s) == 0.9


def test_a_run_without_validation_is_scored_on_its_train_loss():
    epochs = [epoch(0, 0.1, 2.0), epoch(1, 0.05, 0.8), epoch(2, 0.01, 1.2)]
    s = scores.summarise(1, "a", "finished", epochs, CONFIG)
    assert (s.best_val_loss, s.lr_at_best, scores.score(s)) == (0.8, 0.05, 0.8)
    assert s.final_val_loss is None and s.best_acc is None


def test_validation_in_some_epochs_only_scores_those_epochs():
    epochs = [epoch(0, 0.1, 0.1), epoch(1, 0.05, 0.5, 2.0), epoch(2, 0.01, 0.4)]
    s = scores.summarise(1, "a", "finished", epochs, CONFIG)
    assert (s.best_val_loss, s.lr_at_best, s.final_val_loss) == (2.0, 0.05, None)


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan])
def test_an_epoch_whose_loss_is_not_finite_is_never_the_best(bad):
    epochs = [epoch(0, 0.1, 2.0, 1.5), epoch(1, 0.5, 1.0, bad), epoch(2, 1.0, 3.0, None)]
    s = scores.summarise(1, "a", "diverged", epochs, CONFIG)
    assert (s.best_val_loss, s.lr_at_best, s.epochs) == (1.5, 0.1, 3)
    trained = [epoch(0, 0.1, 2.0), epoch(1, 0.5, bad)]
    assert scores.summarise(1, "a", "diverged", trained, CONFIG).best_val_loss == 2.0
    nothing = scores.summarise(1, "a", "diverged", [epoch(0, 0.1, bad)], CONFIG)
    assert nothing.best_val_loss is None and nothing.lr_at_best is None and scores.score(nothing) is None


def test_a_stored_run_is_summarised_from_its_epochs_as_a_live_one():
    rows = [epoch(0, 0.1, 2.0, 1.5, 0.4, 1.0), epoch(1, 0.05, 1.0, 0.9, 0.6, 3.0)]
    run = {"id": 2, "kind": "train", "label": "a", "status": "finished", "config": CONFIG, "epochs": rows}
    assert scores.stored(run) == scores.summarise(2, "a", "finished", rows, CONFIG)
    assert (scores.stored(run).best_val_loss, scores.stored(run).seconds_per_epoch) == (0.9, 2.0)


def test_a_range_test_has_only_its_suggested_lr():
    """Loss falls between 1e-4 and 1e-2 and blows up past 1e-1: the suggestion (the minimum) is near 1e-2."""
    lr = np.geomspace(1e-6, 1.0, 300)
    x = np.log10(lr)
    loss = 2 - np.tanh(2 * (x + 3)) + np.where(x > -1, 50 * (x + 1) ** 2, 0)
    config = {"preset": None, "sweep": {"smooth": 1.0}, "training": {"task": "synthetic", "seed": 3}}
    run = {"id": 4, "kind": "find", "label": "find", "status": "finished", "config": config,
           "steps": {"lr": lr.tolist(), "loss": loss.tolist()}}
    s = scores.stored(run)
    assert s.lr_at_best == pytest.approx(1e-2, rel=0.1)
    assert (s.id, s.scheduler, s.epochs, s.seed, s.preset) == (4, RANGE_TEST, 0, 3, None)
    assert s.best_val_loss is s.final_val_loss is s.best_acc is s.seconds_per_epoch is None


def test_a_queued_run_has_no_id_and_no_figures():
    s = scores.queued("next", CONFIG)
    assert (s.id, s.label, s.status, s.epochs, s.scheduler, s.seed, s.preset) == \
        (None, "next", "queued", 0, "StepLR", 7, "mine")
    assert s.best_val_loss is s.lr_at_best is s.final_val_loss is s.best_acc is s.seconds_per_epoch is None
    assert scores.queued("sweep", {"sweep": {"smooth": 0.05}}).scheduler == RANGE_TEST


def stored_run(group, seed, status="finished", val_losses=(1.0,), task="spirals", epochs=None, label=None):
    rows = [epoch(i, 0.1, v + 0.1, v, 0.5) for i, v in enumerate(val_losses)]
    return {"group": group, "label": label or group, "seed": seed, "status": status, "task": task, "epochs": rows,
            "config": {"training": {"task": task, "epochs": epochs or len(rows), "batch_size": 128}}}


def test_stored_runs_score_by_group_and_seed_failures_none_and_unfinished_left_out():
    from lrtui.judge.verdict import METRICS

    runs = [stored_run("a", 0, val_losses=(2.0, 0.5)), stored_run("b", 0, "diverged"), stored_run("a", 1, "failed"),
            stored_run("b", 1, "stopped"), stored_run("b", 2, "interrupted"), stored_run("c", 0, "running"),
            stored_run(None, 3, label="old")]  # a run of no comparison: its label is its group
    assert scores.group_scores(map(scores.Entry.stored, runs), METRICS["final_val_loss"]) == {"a": {0: 0.5, 1: None}, "b": {0: None}, "c": {},
                                                                    "old": {3: 1.0}}
    assert scores.group_scores(map(scores.Entry.stored, runs[:1]), METRICS["best_val_acc"]) == {"a": {0: 0.5}}


def test_two_runs_of_a_group_on_one_seed_or_a_metric_the_runs_lack_are_refused():
    from lrtui.judge.verdict import METRICS
    from lrtui.schedule.params import ConfigError

    with pytest.raises(ConfigError, match="two runs of a on seed 0"):
        scores.group_scores(map(scores.Entry.stored, [stored_run("a", 0), stored_run("a", 0)]), METRICS["final_val_loss"])
    no_accuracy = [stored_run("a", 0, task="regression"), stored_run("b", 0, task="regression")]
    for run in no_accuracy:
        for row in run["epochs"]:
            row["val_acc"] = None
    with pytest.raises(ConfigError, match="best_val_acc: the runs do not measure the best val accuracy"):
        scores.group_scores(map(scores.Entry.stored, no_accuracy), METRICS["best_val_acc"])


def test_runs_that_differ_in_task_epochs_or_batch_size_do_not_belong_together():
    assert scores.mismatch([stored_run("a", 0), stored_run("b", 0)]) is None
    assert scores.mismatch([stored_run("a", 0), stored_run("b", 0, task="shapes")]) == \
        "the runs differ in task (shapes, spirals)"
    assert scores.mismatch([stored_run("a", 0, epochs=3), stored_run("b", 0, epochs=5)]) == \
        "the runs differ in epochs (3, 5)"


def test_a_stored_config_is_read_once_with_what_a_range_test_or_an_older_store_lacks_filled_in():
    from lrtui.plan import presets
    from lrtui.plan.config import RANGE_TEST, RunConfig

    job = planning.jobs(presets.find("seed-four"), seeds=[3, 5])[1]
    setup = RunConfig.of(job.config)
    assert (setup.scheduler, setup.params, setup.preset, setup.warmup, setup.interval) == (
        "MultiStepLR", {"milestones": [30, 80]}, "seed-four", 0, "epoch")  # as given: the defaults are left out
    assert (setup.seed, setup.seeds, setup.training["epochs"], setup.optimizer["lr"]) == (3, (3, 5), 100, 0.1)
    sweep = RunConfig.of({"sweep": {"smooth": 0.05}, "training": {"task": "spirals", "seed": 2}})
    assert (sweep.scheduler, sweep.params, sweep.warmup, sweep.seeds, sweep.training["epochs"]) == (
        RANGE_TEST, {}, None, (2,), None)
    old = RunConfig.of({})  # a config of an older store, or a test's
    assert (old.scheduler, old.seed, old.seeds, old.preset, old.training["task"]) == ("?", None, (None,), None, None)
