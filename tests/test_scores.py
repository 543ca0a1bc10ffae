"""A run's figures, computed against hand-made epoch rows whose best is known."""
import math

import numpy as np
import pytest

from lrtui import scores

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
    assert (s.id, s.scheduler, s.epochs, s.seed, s.preset) == (4, scores.RANGE_TEST, 0, 3, None)
    assert s.best_val_loss is s.final_val_loss is s.best_acc is s.seconds_per_epoch is None


def test_a_queued_run_has_no_id_and_no_figures():
    s = scores.queued("next", CONFIG)
    assert (s.id, s.label, s.status, s.epochs, s.scheduler, s.seed, s.preset) == \
        (None, "next", "queued", 0, "StepLR", 7, "mine")
    assert s.best_val_loss is s.lr_at_best is s.final_val_loss is s.best_acc is s.seconds_per_epoch is None
    assert scores.queued("sweep", {"sweep": {"smooth": 0.05}}).scheduler == scores.RANGE_TEST
