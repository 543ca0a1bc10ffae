"""The runs table: every run of this session and of the store, in its chart colour, sortable."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from lrtui.labels import labels
from lrtui.scores import Summary

# what tells runs apart and how they did first: at 80 columns the table shows up to lr@best, the rest scrolls
COLUMNS = (("", "shown"), ("id", "id"), ("label", "label"), ("seed", "seed"), ("status", "status"),
           ("best val", "best_val_loss"), ("best acc", "best_acc"), ("lr@best", "lr_at_best"),
           ("final val", "final_val_loss"), ("ep", "epochs"), ("s/ep", "seconds_per_epoch"), ("preset", "preset"))
SORTS = ("id", "best_val_loss", "best_acc", "final_val_loss", "label")
LABEL_WIDTH = 24  # a longer label is cut with an ellipsis


@dataclass(frozen=True)
class Row:
    """A run as the table lists it: its figures, in its chart colour, shown on the charts or not."""
    summary: Summary
    colour: str
    shown: bool
    queued: int | None = None  # its place in the queue, for a run not started


class RunsTable(DataTable):
    BINDINGS = [  # the border says them: the footer has no room for them at 80 columns
        Binding("space", "toggle", "Show/hide", show=False, tooltip="show or hide the run on the charts"),
        Binding("delete", "delete", "Delete", show=False, tooltip="delete the run (asks first)"),
        Binding("o", "sort", "Sort", show=False, tooltip="sort by the next figure"),
        Binding("j", "cursor_down", "Down", show=False), Binding("k", "cursor_up", "Up", show=False)]

    @dataclass
    class Toggled(Message):
        run_id: int

    @dataclass
    class DeleteAsked(Message):
        run_id: int

    def __init__(self, **kwargs: Any):
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.sort_by, self.listed = 0, []

    def on_mount(self) -> None:
        self.border_subtitle = "space show/hide  del delete  o sort"
        for title, _ in COLUMNS:
            self.add_column(title, key=title or "shown")

    def show(self, rows: list[Row]) -> None:
        """Runs, each labelled by what differs among them (lrtui.labels). Cells change in place while
        the same runs are listed in the same order (no relayout while training); otherwise the rows are
        rebuilt, keeping the cursor on the same run."""
        self.listed = rows
        self.border_title = "runs" if rows else "runs: none yet (r trains the form, p picks a preset)"
        named = {_key(r): label for r, label in zip(rows, labels([r.summary.config for r in rows]))}
        key = SORTS[self.sort_by]
        figure = lambda r: getattr(r.summary, key)  # noqa: E731
        runs = [r for r in rows if r.summary.id is not None]
        ranked = sorted((r for r in runs if figure(r) is not None), key=figure, reverse=key in ("best_acc", "id"))
        # the runs without the figure under the others, then the queue, in order
        rows = ranked + [r for r in runs if figure(r) is None] + [r for r in rows if r.summary.id is None]
        keys = [_key(r) for r in rows]
        if keys == [k.value for k in self.rows]:
            for r in rows:
                for (title, _), cell in zip(COLUMNS, _cells(r, named[_key(r)])):
                    if self.get_cell(_key(r), title or "shown") != cell:
                        self.update_cell(_key(r), title or "shown", cell, update_width=True)
            return
        current = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value if self.row_count else None
        at_top = self.cursor_row == 0  # then it stays there, where new runs appear
        self.clear()
        for r in rows:
            self.add_row(*_cells(r, named[_key(r)]), key=_key(r))
        if current in keys and not at_top:
            self.move_cursor(row=keys.index(current))

    def _selected(self) -> int | None:
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return int(key) if key.isdigit() else None  # a queued run has no id yet

    def action_toggle(self) -> None:
        run_id = self._selected()
        if run_id is not None:
            self.post_message(self.Toggled(run_id))

    def action_delete(self) -> None:
        run_id = self._selected()
        if run_id is not None:
            self.post_message(self.DeleteAsked(run_id))

    def action_sort(self) -> None:
        self.sort_by = (self.sort_by + 1) % len(SORTS)
        self.notify(f"runs sorted by {SORTS[self.sort_by].replace('_', ' ')}")
        self.show(self.listed)


def _cells(r: Row, label: str) -> list:
    cells = []
    for _, field in COLUMNS:
        if field == "shown":
            cells.append(Text("●" if r.shown else "○", style=r.colour))
        elif field == "label":
            text = Text(label, style=r.colour)
            text.truncate(LABEL_WIDTH, overflow="ellipsis")
            cells.append(text)
        elif isinstance(value := getattr(r.summary, field), float):
            cells.append(f"{value:.3g}" if field == "lr_at_best" else f"{value:.3f}")
        else:
            cells.append("-" if value is None else str(value))
    return cells


def _key(r: Row) -> str:
    """A row's key: the run's id, or its place in the queue."""
    return str(r.summary.id) if r.summary.id is not None else f"queued-{r.queued}"
