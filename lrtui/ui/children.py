"""The children of a composite (SequentialLR, ChainedScheduler) as a list to add to, edit and reorder.

    ChildrenScreen(composite, params)

`composite` is the scheduler's name; `params` its current, valid, full parameters (with "schedulers",
a list of {"name", "params"} tables, and the rest, e.g. SequentialLR's milestones, shown as fields
above the list). The screen dismisses with the new full parameters, as `catalogue.validate(composite,
...)` cleans them, or with None when cancelled. Each field is checked as it is typed by the checks of
`catalogue.validate` (a bad value is marked, its rule shown on one line, the last good one kept); the
whole is checked on accepting, which is refused with the rule it breaks (a milestone too many).
"""
from __future__ import annotations

import json
from typing import Any

from rich.markup import escape
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from lrtui.schedule.catalogue import CATALOGUE, Schedule, starter, validate
from lrtui.schedule.params import ConfigError
from lrtui.ui.fields import Field, read
from lrtui.ui.screens import Modal

HINT = "a add  enter edit  d delete  K/J move  ctrl+s done  esc cancel"


def line(number: int, table: dict) -> Text:
    """One child as the list shows it: its number, name and the parameters it sets (not the defaults)."""
    shown = Schedule(table["name"], table["params"]).to_table()["params"]
    words = " ".join(f"{k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in shown.items())
    return Text(f"{number}  {table['name']}  {words}".rstrip())


class ChildList(OptionList):
    """The children, one a line; its keys act on the highlighted one."""

    BINDINGS = [Binding("j", "cursor_down", show=False), Binding("k", "cursor_up", show=False),
                Binding("a", "screen.add", "Add"), Binding("d,delete", "screen.remove", "Delete"),
                Binding("K,shift+up", "screen.move(-1)", "Up"), Binding("J,shift+down", "screen.move(1)", "Down")]


class ChildPicker(Modal):
    """The schedulers a composite can hold (no composite, nothing that needs a metric); Enter returns
    the name, escape None."""

    def compose(self) -> ComposeResult:
        names = [s for s in CATALOGUE.values() if s.kind != "composite" and not s.needs_metric]
        with Vertical(id="child-picker", classes="dialog"):
            yield Label("A child scheduler (Enter adds it, Escape cancels)")
            yield OptionList(*(Option(Text(f"{s.name}  {s.summary}"), id=s.name)
                               for s in names), id="child-names")

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


class ChildrenScreen(ModalScreen[dict | None]):
    BINDINGS = [Binding("ctrl+s", "accept", "Done"), Binding("escape", "back", "Back / cancel")]

    def __init__(self, composite: str, params: dict):
        super().__init__()
        clean = validate(composite, params).params
        self.composite = composite
        self.tables: list[dict] = list(clean["schedulers"])  # the children's last good {name, params}
        self.others = {k: v for k, v in clean.items() if k != "schedulers"}  # milestones: last good
        self.bad: dict[str, ConfigError] = {}  # by input id: the fields whose text is refused
        self.editing: int | None = None  # the child whose fields show

    def compose(self) -> ComposeResult:
        spec = CATALOGUE[self.composite]
        with Vertical(id="children-dialog", classes="dialog"):
            yield Label(f"[b]{self.composite}[/b]: {spec.summary}")
            for p in spec.params:
                if p.name in self.others:
                    yield Field("composite", p, self.others[p.name])
            yield ChildList(*(line(i + 1, t) for i, t in enumerate(self.tables)), id="children-list")
            yield VerticalScroll(id="child-fields")
            yield Static(id="children-problem")
            with Horizontal(id="children-foot"):
                yield Label(HINT, id="children-hint", classes="hint")
                yield Button("Done", id="children-done", compact=True)

    def on_mount(self) -> None:
        self.query_one(ChildList).focus()

    def _relist(self, highlight: int) -> None:
        """The list redrawn after a change of its order or length, `highlight` highlighted."""
        listed = self.query_one(ChildList)
        listed.clear_options()
        listed.add_options([line(i + 1, t) for i, t in enumerate(self.tables)])
        if self.tables:
            listed.highlighted = highlight  # its OptionHighlighted shows that child's fields
        else:
            self.run_worker(self._show_child(None))

    @on(OptionList.OptionHighlighted, "#children-list")
    async def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        await self._show_child(event.option_index)

    async def _show_child(self, index: int | None) -> None:
        """The fields of child `index` (none for None); a refused text in the last child's is dropped."""
        self.editing = index
        panel = self.query_one("#child-fields", VerticalScroll)
        await panel.remove_children()
        self.bad = {k: e for k, e in self.bad.items() if not k.startswith("child-")}
        panel.border_title = "" if index is None else f"{index + 1} {self.tables[index]['name']}"
        if index is not None:
            table = self.tables[index]
            await panel.mount_all([Field("child", p, table["params"][p.name]) for p in CATALOGUE[table["name"]].params])
        self._say()

    @on(OptionList.OptionSelected, "#children-list")
    def _edit(self) -> None:
        first = self.query("#child-fields Input")
        if first:
            first.first().focus()

    def action_add(self) -> None:
        self.app.push_screen(ChildPicker(), self._added)

    def _added(self, name: str | None) -> None:
        if name:
            self.tables.append({"name": name, "params": starter(name).params})
            self._relist(len(self.tables) - 1)

    def action_remove(self) -> None:
        i = self.query_one(ChildList).highlighted
        if i is not None:
            del self.tables[i]
            self._relist(min(i, len(self.tables) - 1))

    def action_move(self, by: int) -> None:
        i = self.query_one(ChildList).highlighted
        if i is not None and 0 <= i + by < len(self.tables):
            self.tables[i], self.tables[i + by] = self.tables[i + by], self.tables[i]
            self._relist(i + by)

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        field = event.input.parent
        self.bad.pop(event.input.id, None)
        if field.section == "child":
            self._check_child(event.input)
        else:
            try:
                self.others[field.param.name] = field.param.check(read(field.param, event.value), self.composite)
            except ConfigError as e:
                self.bad[event.input.id] = e
        self._say()

    def _check_child(self, typed: Input) -> None:
        """The shown child's fields checked together as validate checks them; kept when they pass."""
        fields = list(self.query("#child-fields Field"))
        for f in fields:
            self.bad.pop(f"child-{f.param.name}", None)
        i = self.editing
        name = self.tables[i]["name"]
        try:
            params = validate(name, {f.param.name: read(f.param, f.query_one(Input).value) for f in fields}).params
        except ConfigError as e:
            named = f"child-{e.key}"
            self.bad[named if self.query(f"#{named}") else typed.id] = e
            return
        self.tables[i] = {"name": name, "params": params}
        self.query_one(ChildList).replace_option_prompt_at_index(i, line(i + 1, self.tables[i]))

    def _whole(self) -> Schedule | ConfigError:
        try:
            return validate(self.composite, {**self.others, "schedulers": self.tables})
        except ConfigError as e:
            return e

    def _say(self) -> None:
        """The marks and the line: a refused field's rule, else the whole's, else the focused field's help."""
        whole = None if self.bad else self._whole()
        broken = whole if isinstance(whole, ConfigError) else None
        marked = set(self.bad) | ({f"composite-{broken.key}"} if broken else set())
        for f in self.query(Field):
            f.set_class(f.query_one(Input).id in marked, "-invalid")
        if self.bad:
            key, error = next(iter(self.bad.items()))
            text = f"[b]{key.split('-', 1)[1]}[/b]: {escape(error.problem)}"
        elif broken:
            text = f"[b]{_where(broken.key)}[/b]: {escape(broken.problem)}"
        elif isinstance(self.focused, Input):
            p = self.focused.parent.param
            text = f"[b]{p.name}[/b]: {escape(p.help)}. {escape(p.rule_text())}"
        else:
            text = ""
        self.query_one("#children-problem", Static).update(text)

    def on_descendant_focus(self, event: Any) -> None:
        if isinstance(event.widget, Input):
            self._say()

    @on(Input.Submitted)
    def _next(self) -> None:
        self.focus_next()

    @on(Button.Pressed, "#children-done")
    def action_accept(self) -> None:
        whole = None if self.bad else self._whole()
        if isinstance(whole, Schedule):
            self.dismiss(whole.params)
        else:  # the line already says why
            self._say()
            self.app.bell()

    def action_back(self) -> None:
        """From a field to the list; from the list (or the button), cancel."""
        if isinstance(self.focused, Input):
            self.query_one(ChildList).focus()
        else:
            self.dismiss(None)


def _where(key: str) -> str:
    """A key of the whole's refusal in words: "schedulers[2].params.gamma" is child 3."""
    if key.startswith("schedulers["):
        return f"child {int(key[len('schedulers['):key.index(']')]) + 1}"
    return key.split(".")[0]
