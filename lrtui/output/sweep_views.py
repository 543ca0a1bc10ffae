"""A sweep's results as the parameters it swept: with one, the metric against its values (log axis
where they span a decade or more), mean and range over seeds, drawn in the terminal; with two, a
table of the mean metric, a row per value of the first and a column per value of the second, its
cells coloured from best to worst and the best marked `*` (the numbers alone tell it without colour).
Points a pruner ended are named as pruned."""
from __future__ import annotations

import math
from typing import Any

from lrtui.judge.verdict import Comparison, GroupStats


def points(runs: list[dict]) -> dict[str, dict[str, Any]]:
    """Each group's sweep point ({path: value}), from its runs' configs."""
    return {run["group"]: run["config"]["point"] for run in runs if run["config"].get("point") and run["group"]}


def swept(by_group: dict[str, dict[str, Any]]) -> list[str]:
    """The keys whose values differ from point to point, in the order the points name them."""
    keys = list(dict.fromkeys(k for point in by_group.values() for k in point))
    return [k for k in keys if len({_hashable(p.get(k)) for p in by_group.values()}) > 1]


def view(judged: Comparison, runs: list[dict], width: int, colour: bool) -> Any:
    """The result view of a sweep of one or two swept keys (a str or a rich renderable), else None."""
    by_group = points(runs)
    keys = swept(by_group)
    stats = {g.name: g for g in judged.groups if g.name in by_group}
    if len(keys) == 1:
        return line(keys[0], by_group, stats, judged, width, colour)
    if len(keys) == 2:
        return grid(keys, by_group, stats, judged)
    return None


def line(key: str, by_group: dict, stats: dict[str, GroupStats], judged: Comparison, width: int, colour: bool) -> str:
    """The metric's mean (and min and max over seeds, dotted) against the key's values."""
    import plotext as plt

    rows = sorted(((by_group[name][key], g) for name, g in stats.items() if g.mean is not None),
                  key=lambda row: _order(_hashable(row[0])))
    if not rows:
        return ""
    x = [value for value, _ in rows]
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in x)
    log = numbers and all(v > 0 for v in x) and max(x) >= 10 * min(x)
    xs = [math.log10(v) for v in x] if log else x if numbers else list(range(len(x)))
    plt.clear_figure()
    plt.plotsize(width, 16)
    plt.theme("clear")
    if not numbers:  # an expression, a choice, a list: each value a place on the axis, named (plotext would read a
        plt.xticks(xs, [str(v) if len(str(v)) <= 14 else str(v)[:13] + "…" for v in x])  # string as a date)
    plt.plot(xs, [g.mean for _, g in rows], marker="braille" if colour else "*", label="mean")
    if any(g.min != g.max for _, g in rows):
        for end in ("min", "max"):
            plt.plot(xs, [getattr(g, end) for _, g in rows], marker="dot" if colour else ".", label=end)
    name = key.rpartition(".")[2]
    plt.xlabel(f"log10 {name}" if log else name)
    plt.title(f"{judged.metric.described} against {name}")
    chart = plt.build() if colour else plt.uncolorize(plt.build())
    best = judged.groups[0]
    pruned = ", ".join(str(by_group[g][key]) for g in judged.pruned if g in by_group)
    return (chart + (f"best: {name}={by_group[best.name][key]} ({best.mean:.4g})\n" if best.mean is not None else "")
            + (f"pruned: {name}={pruned}\n" if pruned else ""))


def grid(keys: list[str], by_group: dict, stats: dict[str, GroupStats], judged: Comparison) -> Any:
    """The mean metric of each (first key, second key) cell: a heat map that prints its numbers."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    first, second = keys
    rows = sorted({_hashable(p[first]) for p in by_group.values()}, key=_order)
    cols = sorted({_hashable(p[second]) for p in by_group.values()}, key=_order)
    cell = {n: (_hashable(p[first]), _hashable(p[second])) for n, p in by_group.items()}
    cells = {cell[n]: g.mean for n, g in stats.items()}
    pruned = {cell[n] for n in judged.pruned if n in cell}
    means = sorted(v for v in cells.values() if v is not None)
    best = judged.groups[0].name if judged.groups else None
    best_cell = best and cell.get(best)
    title = Text(f"{judged.metric.described}, mean over seeds; * the best")  # above the table, not wrapped to it
    table = Table()
    table.add_column(f"{first.rpartition('.')[2]} \\ {second.rpartition('.')[2]}", justify="right")
    for col in cols:
        table.add_column(str(col), justify="right")
    for row in rows:
        out = [str(row)]
        for col in cols:
            mean = cells.get((row, col))
            if mean is None:
                out.append("pruned" if (row, col) in pruned else "-")
                continue
            rank = means.index(mean) / max(len(means) - 1, 1)  # 0: lowest
            good = 1 - rank if not judged.metric.higher_is_better else rank
            style = "green" if good >= 2 / 3 else "yellow" if good >= 1 / 3 else "red"
            mark = "*" if (row, col) == best_cell else " "
            out.append(f"[{style}]{mean:.4g}{mark}[/{style}]")
        table.add_row(*out)
    return Group(title, table)


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _order(value: Any) -> tuple:
    return (0, value, "") if isinstance(value, (int, float)) else (1, 0, str(value))
