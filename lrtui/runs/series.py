"""Curves for display: at most a few points per screen column, with every peak and drop kept."""
from __future__ import annotations

import math

from lrtui.lazy import np

LARGEST = 1e300  # plotext overflows scaling magnitudes near the float maximum (about 1.8e308)...
SMALLEST = 1e-300  # ...and subnormals (under 2.2e-308)


def plottable(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which values plotext can scale (finite, under LARGEST in magnitude), and the values with those
    under SMALLEST as zero (which they are on any linear axis)."""
    return np.isfinite(values) & (np.abs(values) < LARGEST), np.where(np.abs(values) < SMALLEST, 0.0, values)


def downsample(x: np.ndarray, y: np.ndarray, buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """Each of `buckets` slices of the curve reduced to its first, lowest, highest and last point, in
    order: a step drop or a cycle's peak survives, where plain striding would skip it."""
    n = len(y)
    if n <= 4 * buckets:
        return x, y
    edges = np.linspace(0, n, buckets + 1).astype(int)
    keep = set()
    for a, b in zip(edges, edges[1:]):
        part = y[a:b]
        keep.update((a, b - 1, a + int(np.argmin(part)), a + int(np.argmax(part))))
    idx = np.array(sorted(keep))
    return x[idx], y[idx]


def without_flats(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The curve without the inner points of its constant stretches: a line between the ends of a
    stretch draws the same, and a step schedule is mostly such stretches."""
    keep = np.ones(len(y), dtype=bool)
    keep[1:-1] = (y[1:-1] != y[:-2]) | (y[1:-1] != y[2:])
    return x[keep], y[keep]


def decades(lo: float, hi: float, room: int) -> tuple[list[int], list[str]]:
    """Ticks for an axis of log10 values from `lo` to `hi`: whole powers of ten, at most about `room`
    of them, labelled 1eN (plotext's own log axis breaks when a figure is rebuilt)."""
    first, last = math.floor(lo), math.ceil(hi)
    ticks = list(range(last, first - 1, -max(1, math.ceil((last - first) / max(2, room)))))
    return ticks, [f"1e{t}" for t in ticks]
