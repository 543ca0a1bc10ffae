"""Preview speed, measured side by side in one run.

Preview: a 100k-step preview after a parameter change, closed form (the fast path) against stepping
the real torch scheduler (the exact path), for the schedulers people preview per batch.
Goal: the fast path within 20 ms; stepping torch takes about 400 ms.
"""
from __future__ import annotations

import statistics
import sys
import time

from lrtui.schedule.catalogue import validate
from lrtui.schedule.optimizers import validate_optimizer
from lrtui.schedule.preview import exact_curve, fast

STEPS = 100_000
CASES = [
    ("CosineAnnealingLR", {}),
    ("OneCycleLR", {"max_lr": 0.3}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 500}),
    ("MultiStepLR", {"milestones": [30_000, 60_000, 90_000]}),
    ("warmup_cosine", {"warmup": 2_000}),
    ("wsd", {"warmup": 2_000, "shape": "cosine"}),
]


def best_of(fn, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main() -> int:
    optimizer = validate_optimizer({"name": "SGD", "lr": 0.1, "momentum": 0.9})
    exact_curve(validate("StepLR", {"step_size": 1}), optimizer, 2)  # pay torch's first-optimizer cost once
    print(f"preview of {STEPS:,} steps (ms; best / median)")
    print(f"{'scheduler':<20}{'fast':>16}{'exact (torch)':>18}{'speed-up':>10}  goal fast <= 20 ms")
    worst = 0.0
    for name, params in CASES:
        # a parameter change: validation and resolution are part of the cost, as in the UI
        change = lambda: fast(validate(name, params, interval="step"), optimizer, STEPS)  # noqa: E731
        step = lambda: exact_curve(validate(name, params, interval="step"), optimizer, STEPS)  # noqa: E731
        f_best, f_med = best_of(change, 20)
        e_best, e_med = best_of(step, 3)
        worst = max(worst, f_med)
        print(f"{name:<20}{f_best * 1e3:>8.1f} / {f_med * 1e3:<6.1f}{e_best * 1e3:>9.0f} / {e_med * 1e3:<6.0f}"
              f"{e_med / f_med:>9.0f}x  {'ok' if f_med <= 0.020 else 'SLOW'}")
    print(f"slowest fast path (median): {worst * 1e3:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
