"""What a range test found: the reading of a sweep (lrtui.engine.range_test runs it) into the lr
where the loss falls fastest, and the lrs a check trains. `analyse` is pure, so a stored sweep gives
the same answer again."""
from __future__ import annotations

import math
from dataclasses import dataclass

from lrtui.engine.smoothing import Ema
from lrtui.lazy import np

CHECK_FACTOR = 3  # a check trains each suggestion, and this factor below and above it
SUGGESTIONS = ("minimum", "steepest")  # the first is the one suggested
ADVICE = ("minimum (the one suggested): a tenth of the lr at the lowest smoothed loss, fastai's lr_min; in "
          "lrtui's benchmark against a grid of trained lrs it lands within half a decade of the best far more "
          "often than the valley or the steepest point. steepest: where the smoothed loss falls fastest; "
          "noisier, and often higher. Use the lr as the base lr of a step, exponential or cosine schedule, or as "
          "the peak of a warmup recipe, and for OneCycleLR and CyclicLR as max_lr.")
TOO_FLAT = "too flat to read: the loss fell less than its noise; sweep longer (F, --steps) or over a wider range"


@dataclass(frozen=True)
class Finding:
    lr: list[float]
    loss: list[float]
    smoothed: list[float]
    suggestions: dict[str, float | None]  # SUGGESTIONS; None when the sweep is too short or flat to tell
    flat: bool = False  # the loss fell less than its noise: nothing to read

    @property
    def suggestion(self) -> float | None:
        return self.suggestions[SUGGESTIONS[0]]

    def loss_range(self) -> tuple[float, float]:
        """The losses worth showing: from the lowest smoothed loss to the highest before it, so that
        the fall fills the chart and the blow-up leaves it at the top."""
        smooth = np.array(self.smoothed)
        smooth = smooth[np.isfinite(smooth)]
        if len(smooth) == 0:
            return 0.0, 1.0
        lo = float(smooth.min())
        hi = float(smooth[:int(np.argmin(smooth)) + 1].max())
        if hi <= lo:  # the loss only rose: show all of it
            hi = float(smooth.max())
        pad = (hi - lo) * 0.05 or abs(lo) * 0.05 or 1.0
        return lo - pad, hi + pad


def candidates(finding: Finding) -> list[float]:
    """The lrs a check trains: each suggestion, and CHECK_FACTOR below and above it, each once (to three
    significant digits, as the form takes them), lowest first. A sweep's suggestions are read from a
    curve; a short run at each says which of them trains best."""
    return sorted({float(f"{lr * f:.3g}") for lr in finding.suggestions.values() if lr is not None
                   for f in (1 / CHECK_FACTOR, 1, CHECK_FACTOR)})


def smoothed(loss: list[float], weight: float) -> np.ndarray:
    ema = Ema(weight)
    return np.array([ema.add(v) for v in loss], dtype=float)


def analyse(lr: list[float], loss: list[float], weight: float) -> Finding:
    """The suggestions of a sweep, read on the smoothed loss from the end of its first tenth (an lr too
    small to move the loss) to its lowest point (past it the loss rises: a fall there is noise or a
    recovery, as when a network dies at chance level), short of the last twentieth (the blow-up). A
    sweep whose smoothed loss falls there by less than the noise of one step is too flat to read."""
    smooth = smoothed(loss, weight)
    finite = np.isfinite(smooth)
    n = int(np.argmin(finite)) if not finite.all() else len(smooth)  # up to the first inf or nan
    lo, hi = n // 10, n - max(1, n // 20)
    if hi - lo >= 5:
        hi = min(hi, lo + int(np.argmin(smooth[lo:hi])) + 1)
    suggestions: dict[str, float | None] = dict.fromkeys(SUGGESTIONS)
    flat = False
    if hi - lo >= 5:
        part = smooth[lo:hi]
        flat = bool(part[0] - part[-1] < step_noise(np.asarray(loss[lo:hi], dtype=float)))
        if not flat:
            suggestions["minimum"] = lr[hi - 1] / 10
            suggestions["steepest"] = lr[lo + int(np.argmin(np.gradient(part)))]
    return Finding(list(lr), list(loss), [float(v) for v in smooth], suggestions, flat)


def step_noise(loss: np.ndarray) -> float:
    """The noise of one step's loss: the spread of step-to-step differences over sqrt(2), which a
    trend of the size of the fall barely moves."""
    return float(np.std(np.diff(loss)) / math.sqrt(2))
