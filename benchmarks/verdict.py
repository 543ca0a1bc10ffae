"""The cost of a verdict: 16 schedules x 20 seeds, judged as the app judges a comparison at every
completed run. Goal: under 50 ms (the first call also imports scipy.stats, reported apart)."""
from __future__ import annotations

import statistics
import time

import numpy as np

from lrtui.verdict import compare

GROUPS, SEEDS = 16, 20


def main() -> int:
    rng = np.random.default_rng(0)
    luck = rng.normal(0, 0.05, SEEDS)  # a seed's shared luck: what pairing cancels
    scores = {f"schedule {g}": {s: float(1 + 0.01 * g + luck[s] + rng.normal(0, 0.01)) for s in range(SEEDS)}
              for g in range(GROUPS)}
    scores["schedule 3"][7] = None  # one diverged run
    start = time.perf_counter()
    compare(scores)
    first = time.perf_counter() - start
    times = []
    for _ in range(30):
        start = time.perf_counter()
        verdict = compare(scores).verdict
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    print(f"verdict of {GROUPS} schedules x {SEEDS} seeds: median {median * 1e3:.1f} ms, best {min(times) * 1e3:.1f} ms "
          f"(first, importing scipy.stats: {first * 1e3:.0f} ms)  goal < 50 ms  {'ok' if median < 0.05 else 'MISSED'}")
    print(f"  verdict: {verdict.text}")
    return 0


if __name__ == "__main__":
    main()
