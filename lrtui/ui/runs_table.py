"""The runs table: every run of this session and of the store, in its chart colour, sortable."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from lrtui.judge.scores import Summary
from lrtui.judge.verdict import GroupStats, PairStats
from lrtui.plan.labels import fitted, labels

# what tells runs apart and how they did first: at 80 columns the table shows up to lr@best, the rest scrolls
COLUMNS = (("", "shown"), ("id", "id"), ("label", "label"), ("seed", "seed"), ("status", "status"),
           ("best val", "best_val_loss"), ("best acc", "best_acc"), ("lr@best", "lr_at_best"),
           ("final val", "final_val_loss"), ("ep", "epochs"), ("s/ep", "seconds_per_epoch"), ("preset", "preset"))
GROUP_COLUMNS = (("mean±95%", "mean"), ("vs best", "vs_best"), ("wins", "wins"))  # a comparison's, of its metric
SORTS = ("id", "best_val_loss", "best_acc", "final_val_loss", "label")
LABEL_WIDTH = 24  # longer labels are fitted to it (labels.fitted: a sweep's shared scheduler goes first)


@dataclass(frozen=True)
class Group:
    """A schedule of a comparison of several seeds, as its row says it: runs ended of runs planned,
    its figures over seeds and against the best (None for the best, or before there is a score)."""

    comparison: str
    name: str
    done: int
    total: int
    stats: GroupStats | None
    pair: PairStats | None
    members: tuple[int, ...]  # the store's ids of its runs so far
    expanded: bool


@dataclass(frozen=True)
class Row:
    """A run as the table lists it: its figures, in its chart colour, shown on the charts or not; or a
    group of runs (its figures the means over them), or a run of an expanded group (under it)."""
    summary: Summary
    colour: str
    shown: bool
    queued: int | None = None  # its place in the queue, for a run not started
    group: Group | None = None
    parent: str | None = None  # a group's run: the group's row key
    key: str | None = None     # a group's row key


class RunsTable(DataTable):
    BINDINGS = [  # the border says them: the footer has no room for them at 80 columns
        Binding("space", "toggle", "Show/hide", show=False, tooltip="show or hide the run (a group: its runs) on the charts"),
        Binding("enter", "fold", "Expand/fold", show=False, tooltip="a comparison's schedule: list its seeds, or fold them"),
        Binding("delete", "delete", "Delete", show=False, tooltip="delete the run (asks first)"),
        Binding("o", "sort", "Sort", show=False, tooltip="sort by the next figure (a comparison: its schedules)"),
        Binding("j", "cursor_down", "Down", show=False), Binding("k", "cursor_up", "Up", show=False)]

    @dataclass
    class Toggled(Message):
        run_ids: tuple[int, ...]

    @dataclass
    class Folded(Message):
        comparison: str
        group: str

    @dataclass
    class DeleteAsked(Message):
        run_id: int

    def __init__(self, **kwargs: Any):
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.sort_by, self.listed, self.columns_shown = 0, [], ()

    def on_mount(self) -> None:
        self.border_subtitle = "space show/hide  del delete  o sort"
        self._columns(COLUMNS, {})

    def _columns(self, columns: tuple, widths: dict[str, int]) -> None:
        """The columns, each as wide as its widest cell: set here, not widened by DataTable as cells
        change (a column it widens in place keeps its rows drawn at the old width: `finishe`)."""
        self.clear(columns=True)
        for title, _ in columns:
            self.add_column(title, key=title or "shown", width=widths.get(title or "shown"))
        self.columns_shown = (columns, widths)

    def show(self, rows: list[Row]) -> None:
        """Runs, each labelled by what differs among them (lrtui.plan.labels), a comparison of several seeds
        as a row per schedule (with the verdict's columns) and its runs under it where expanded. Cells
        change in place while the same rows are listed in the same order and no column changes width
        (no relayout while training); otherwise the rows are rebuilt, keeping the cursor on the same row."""
        self.listed = rows
        self.border_title = "runs" if rows else "runs: none yet (r trains the form, p picks a preset)"
        grouped = any(r.group for r in rows)
        self.border_subtitle = "space show/hide  enter seeds  o sort" if grouped else "space show/hide  del delete  o sort"
        columns = COLUMNS[:5] + GROUP_COLUMNS + COLUMNS[5:] if grouped else COLUMNS
        named = {_key(r): r.group.name if r.group else label
                 for r, label in zip(rows, labels([r.summary.config for r in rows])) if r.parent is None}
        named = dict(zip(named, fitted(list(named.values()), LABEL_WIDTH)))
        key = SORTS[self.sort_by]
        figure = lambda r: getattr(r.summary, key)  # noqa: E731
        top = [r for r in rows if r.parent is None]
        runs = [r for r in top if r.summary.id is not None]
        ranked = sorted((r for r in runs if figure(r) is not None), key=figure, reverse=key in ("best_acc", "id"))
        # the runs without the figure under the others, then the queue, in order; a group's runs under it
        top = ranked + [r for r in runs if figure(r) is None] + [r for r in top if r.summary.id is None]
        rows = [row for r in top for row in (r, *(m for m in rows if m.parent == _key(r)))]
        keys = [_key(r) for r in rows]
        cells = {_key(r): _cells(r, named.get(_key(r), ""), columns) for r in rows}
        widths = {title or "shown": max([cell_len(title), *(cell_len(_plain(row[i])) for row in cells.values())])
                  for i, (title, _) in enumerate(columns)}
        fitted_before = (columns, widths) == self.columns_shown
        if fitted_before and keys == [k.value for k in self.rows]:
            for key, row in cells.items():
                for (title, _), cell in zip(columns, row):
                    if self.get_cell(key, title or "shown") != cell:
                        self.update_cell(key, title or "shown", cell)
            return
        current = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value if self.row_count else None
        at_top = self.cursor_row == 0  # then it stays there, where new runs appear
        if fitted_before:
            self.clear()
        else:
            self._columns(columns, widths)
        for key, row in cells.items():
            self.add_row(*row, key=key)
        if current in keys and not at_top:
            self.move_cursor(row=keys.index(current))

    def _selected(self) -> Row | None:
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return next((r for r in self.listed if _key(r) == key), None)

    def action_toggle(self) -> None:
        row = self._selected()
        if row is not None and (ids := row.group.members if row.group else (row.summary.id,)) and None not in ids:
            self.post_message(self.Toggled(ids))

    def action_fold(self) -> None:
        row = self._selected()
        if row is not None and row.group and row.group.members:
            self.post_message(self.Folded(row.group.comparison, row.group.name))

    def action_delete(self) -> None:
        row = self._selected()
        if row is not None and row.group is None and row.summary.id is not None:
            self.post_message(self.DeleteAsked(row.summary.id))

    def action_sort(self) -> None:
        self.sort_by = (self.sort_by + 1) % len(SORTS)
        self.notify(f"runs sorted by {SORTS[self.sort_by].replace('_', ' ')}")
        self.show(self.listed)


def _cells(r: Row, label: str, columns: tuple) -> list:
    group = r.group
    cells = []
    for _, field in columns:
        if field == "shown":
            cells.append(Text("●" if r.shown else "○", style=r.colour))
        elif field == "label":
            cells.append(Text(f"  seed {r.summary.seed}" if r.parent else label, style=r.colour))
        elif group and field in ("id", "seed") or field in ("mean", "vs_best", "wins"):
            cells.append(_group_cell(group, field) if group else "")
        elif isinstance(value := getattr(r.summary, field), float):
            cells.append(f"{value:.3g}" if field == "lr_at_best" else f"{value:.3f}")
        else:
            cells.append("-" if value is None else str(value))
    return cells


def _group_cell(group: Group, field: str) -> str:
    """A group's own cells: fold mark, runs ended of planned, and the verdict's figures of it."""
    stats, pair = group.stats, group.pair
    if field == "id":
        return "▾" if group.expanded else "▸"
    if field == "seed":
        return f"{group.done}/{group.total}"
    if stats is None or stats.mean is None:
        return "-"
    if field == "mean":
        return stats.shown
    if pair is None:
        return "best" if field == "vs_best" else ""
    if pair.diff is None:
        return "-"
    return f"{pair.diff:+.2g}" if field == "vs_best" else f"{pair.wins:.0%}"


def _plain(cell: Any) -> str:
    return cell.plain if isinstance(cell, Text) else cell


def _key(r: Row) -> str:
    """A row's key: a group's, the run's id, or its place in the queue."""
    return r.key or (str(r.summary.id) if r.summary.id is not None else f"queued-{r.queued}")
