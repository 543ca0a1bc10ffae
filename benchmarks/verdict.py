"""The cost of a verdict: 16 schedules x 20 seeds, judged as the app judges a comparison at every
completed run. Goal: under 50 ms. And what starting costs, each in a fresh process: the first verdict
(it imports scipy.special; scipy.stats, which it used before, beside it), `lrtui --help` and `lrtui list
schedulers` (beside a bare Python)."""
from __future__ import annotations

import statistics
import subprocess
import sys
import time

import numpy as np

from lrtui.judge.verdict import compare

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
          f"(this process's first: {first * 1e3:.0f} ms)  goal < 50 ms  {'ok' if median < 0.05 else 'MISSED'}")
    print(f"  verdict: {verdict.text}")
    startup()
    return 0


FIRST_VERDICT = """
import time
start = time.perf_counter()
{before}
from lrtui.judge.verdict import compare
compare({{"a": {{0: 1.0, 1: 1.1, 2: 1.3}}, "b": {{0: 1.2, 1: 1.4, 2: 1.5}}}})
print(time.perf_counter() - start)
"""


def _fresh(code: str) -> float:
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def _wall(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, capture_output=True, check=True)
    return time.perf_counter() - start


def startup(rounds: int = 5) -> None:
    """Medians of `rounds`, alternating, each in a fresh process."""
    special, stats, help_, with_numpy, listing, bare = [], [], [], [], [], []
    lrtui = [sys.executable, "-m", "lrtui"]
    for _ in range(rounds):
        special.append(_fresh(FIRST_VERDICT.format(before="")))
        stats.append(_fresh(FIRST_VERDICT.format(before="import scipy.stats")))
        help_.append(_wall([*lrtui, "--help"]))
        with_numpy.append(_wall([sys.executable, "-c", "import numpy, sys; from lrtui.cli.main import main; main(['--help'])"]))
        listing.append(_wall([*lrtui, "list", "schedulers"]))
        bare.append(_wall([sys.executable, "-c", "pass"]))
    m = statistics.median
    print(f"first verdict in a fresh process: {m(special) * 1e3:.0f} ms (scipy.special), {m(stats) * 1e3:.0f} ms with "
          f"scipy.stats imported as before (ratio {m(special) / m(stats):.2f})")
    print(f"lrtui --help {m(help_) * 1e3:.0f} ms ({m(with_numpy) * 1e3:.0f} ms importing numpy first, as it did "
          f"before), lrtui list schedulers {m(listing) * 1e3:.0f} ms, a bare python {m(bare) * 1e3:.0f} ms (median of {rounds})")


if __name__ == "__main__":
    main()
