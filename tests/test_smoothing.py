"""The one EMA (lrtui.engine.smoothing): debiased, weight of each new value, and the same curve in the range
test and the run charts."""
import math

import numpy as np
import pytest

from lrtui.engine.smoothing import Ema
from lrtui.judge import findings
from lrtui.ui.runview import LOSS_WEIGHT, RunView


def by_hand(values, weight):
    """The debiased EMA as a weighted mean: the i-th of n values weighs (1 - weight) ** (n - 1 - i)."""
    out = []
    for n in range(1, len(values) + 1):
        w = [(1 - weight) ** (n - 1 - i) for i in range(n)]
        out.append(sum(wi * v for wi, v in zip(w, values[:n])) / sum(w))
    return out


def test_the_ema_is_debiased_and_weight_is_that_of_each_new_value():
    ema = Ema(0.1)
    assert math.isnan(ema.value)  # nothing averaged yet
    got = [ema.add(v) for v in (2.0, 4.0, 1.0)]
    assert got[0] == pytest.approx(2.0)  # the first average is the first value, not a tenth of it
    assert got == pytest.approx([2.0, 5.8 / 1.9, 6.22 / 2.71])  # (0.9 * 2 + 4) / (0.9 + 1), ...
    assert ema.value == got[-1]
    loss = list(np.random.default_rng(1).random(40) + 1)
    ema = Ema(0.3)
    assert [ema.add(v) for v in loss] == pytest.approx(by_hand(loss, 0.3))
    ema = Ema(1.0)
    assert [ema.add(v) for v in loss] == loss  # weight 1: no smoothing


def test_the_charts_smoothed_loss_is_the_emas_over_the_finite_losses_as_the_range_tests_is():
    loss = [3.0] + list(np.random.default_rng(2).random(24) + 1)  # the first the highest: a diverged run's cut
    view = RunView(1, "StepLR", {"scheduler": {"name": "StepLR"}}, "red", True, steps_per_epoch=5)
    view.add_steps([0.1] * 10, loss[:10])
    view.add_steps([0.1] * 16, [None] + loss[10:] + [math.inf])  # a step without a loss; a diverged last
    _, (smooth, *_) = view.series(x_steps=True, smooth=True)
    ema = Ema(LOSS_WEIGHT)
    want = [ema.add(v) for v in loss]
    # a step without a finite loss keeps the average before it; the diverged run's cut (at 3) leaves every value
    expected = want[:10] + [want[9]] + want[10:] + [want[-1]]
    assert list(smooth.y) == pytest.approx(expected)
    assert smooth.y[0] == pytest.approx(loss[0]) and LOSS_WEIGHT == 0.1  # debiased; each new loss weighs a tenth
    assert list(smooth.y[:10]) == pytest.approx(by_hand(loss[:10], 0.1))
    assert list(findings.smoothed(loss, LOSS_WEIGHT)) == pytest.approx(want)  # the range test's, on the same losses
