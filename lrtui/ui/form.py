"""The parameter form: one input per declared parameter of the selected scheduler, then the run's
interval, warmup, optimizer and lr, then the training settings. Each field is checked as it is typed;
a bad value marks the field, shows the rule, and the last good configuration stays in force."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Input, Static

from lrtui.plan.draft import Draft
from lrtui.plan.presets import GIVEN_TRAINING
from lrtui.schedule.catalogue import INTERVAL, WARMUP
from lrtui.schedule.optimizers import OPTIMIZERS
from lrtui.schedule.params import ConfigError, Param
from lrtui.schedule.preview import Curve, checked_exact, checked_fast
from lrtui.ui.children import ChildrenScreen
from lrtui.ui.fields import ChoiceInput, Field, FormField, ListInput, read, show
from lrtui.ui.messages import PreviewReady, PreviewRefused

RUN_FIELDS = (INTERVAL, WARMUP, Param("optimizer", "choice", "SGD", "the optimizer", choices=tuple(OPTIMIZERS)))
SECTIONS = ("scheduler", "run", "training", "optimizer")  # where a key of a refusal is looked for, in order


class Fields(VerticalScroll):
    """The form's fields, scrolled; tells the form when its room changes (what is out of sight with it)."""

    class Resized(Message):
        pass

    def on_resize(self) -> None:
        self.post_message(self.Resized())


class ParamForm(Vertical):
    """Fields that scroll, and under them a line that always shows: the focused field's help, or the
    rule a bad value broke. Posts Changed with the new Draft whenever every field holds a good value,
    then Previewed with its curve, checked as `lrtui preview` checks it: a rule of the whole
    configuration (a warmup past the run, an lr below zero) is shown as a field's is, and the last
    good curve stays. `problem` is the rule broken, while one is."""

    problem: reactive[ConfigError | None] = reactive(None, bindings=True)  # the app's keys follow it

    @dataclass
    class Changed(Message):
        draft: Draft

    @dataclass
    class Previewed(Message):
        draft: Draft
        curve: Curve

    def __init__(self, draft: Draft, **kwargs: Any):
        super().__init__(**kwargs)
        self.draft = draft
        self.last = ""  # the id of the field focused last: tab comes back to it

    def compose(self) -> ComposeResult:
        with Fields(id="fields"):
            yield from self._fields(self.draft)
        yield Static(id="field-help")

    def _fields(self, draft: Draft) -> list[Field]:
        s, o = draft.schedule, draft.optimizer
        fields = [FormField("scheduler", p, s.params[p.name]) for p in s.spec.params]
        run = {"interval": s.interval, "warmup": s.warmup, "optimizer": o.name}
        fields += [FormField("run", p, run[p.name]) for p in RUN_FIELDS
                   if not (p.name == "warmup" and s.spec.has("warmup"))]  # a recipe's own warmup is above
        fields += [FormField("optimizer", p, o.params[p.name]) for p in OPTIMIZERS[o.name]]
        fields += [FormField("training", p, draft.training[p.name]) for p in GIVEN_TRAINING]
        return fields

    def on_mount(self) -> None:
        self._title()
        self.preview()
        self.watch(self.query_one("#fields"), "scroll_y", lambda _: self._hidden())

    def on_fields_resized(self, event: Fields.Resized) -> None:
        event.stop()
        self._hidden()

    def _hidden(self) -> None:
        """The fields out of sight, said on the border (at 80x24 the form shows a few of its dozen)."""
        fields = self.query_one("#fields", VerticalScroll)
        top, bottom = fields.scroll_y, fields.scroll_y + fields.scrollable_content_region.height
        rows = [f.virtual_region for f in fields.query(FormField)]
        above, below = sum(r.bottom <= top for r in rows), sum(r.y >= bottom for r in rows)
        said = [f"↑ {above} more" if above > 0 else "", f"↓ {below} more" if below > 0 else ""]
        self.border_subtitle = "  ".join(s for s in said if s)

    def _title(self) -> None:
        """The border names the scheduler the form holds (what r trains; browsing the list loads none)."""
        self.border_title = f"{self.draft.schedule.name} parameters"

    async def load(self, draft: Draft) -> None:
        """Show `draft` (a scheduler picked, a preset loaded): the fields are rebuilt (`preview` follows)."""
        self.draft = draft
        self._title()
        fields = self.query_one("#fields", VerticalScroll)
        await fields.remove_children()
        await fields.mount_all(self._fields(draft))
        self.problem = None
        self.say("")
        self.call_after_refresh(self._hidden)

    def preview(self) -> None:
        """The draft's curve: at once where it has a closed form, else stepped through torch in a worker."""
        draft = self.draft
        length, _ = draft.run_length()
        try:
            curve = checked_fast(draft.schedule, draft.optimizer, length)
        except ConfigError as e:
            self.refuse(e)
            return
        if curve is None:
            self._exact_preview(draft, length)
        else:
            self.post_message(self.Previewed(draft, curve))

    @work(thread=True, exclusive=True, group="preview", exit_on_error=False)
    def _exact_preview(self, draft: Draft, length: int) -> None:
        try:
            self.post_message(PreviewReady(draft, checked_exact(draft.schedule, draft.optimizer, length)))
        except ConfigError as e:
            self.post_message(PreviewRefused(draft, e))

    def on_preview_ready(self, message: PreviewReady) -> None:
        message.stop()
        if message.key == self.draft:  # else the form has changed since
            self.post_message(self.Previewed(self.draft, message.curve))

    def on_preview_refused(self, message: PreviewRefused) -> None:
        message.stop()
        if message.key == self.draft:
            self.refuse(message.error)

    def focus_first(self) -> None:
        """The field focused last, if it is still there, else the first."""
        last = self.query(f"#{self.last}") if self.last else None
        (last.first() if last else self.query(Input).first()).focus()

    def put(self, key: str, text: str) -> None:
        """`text` in the field `key` ("optimizer-lr"), checked as if typed."""
        self.query_one(f"#{key}", Input).value = text

    def field_values(self) -> dict[str, dict[str, Any]]:
        """Every field's current value, by section; raises ConfigError naming the unreadable field."""
        out: dict[str, dict[str, Any]] = {"scheduler": {}, "run": {}, "optimizer": {}, "training": {}}
        for field in self.query(Field):
            text = field.query_one(Input).value
            out[field.section][field.param.name] = read(field.param, text)
        return out

    def refuse(self, error: ConfigError) -> None:
        """A rule the whole configuration breaks: the field its key names marked (every scheduler
        field when it names none of them), the rule on the line, until the form changes."""
        name = error.key.split(".")[0].split("[")[0]  # warmup, schedulers[1].gamma, params
        named = [f for section in SECTIONS for f in self.query(Field) if (f.section, f.param.name) == (section, name)]
        self._show_problem(error, named[:1] or [f for f in self.query(Field) if f.section == "scheduler"])

    def _show_problem(self, error: ConfigError | None, fields: list[Field]) -> None:
        for field in self.query(Field):
            field.set_class(field in fields, "-invalid")
        self.problem = error
        if error:
            self.say(f"[b]{fields[0].param.name if len(fields) == 1 else 'schedule'}[/b]: {escape(error.problem)}")

    @on(Input.Changed)
    async def _changed(self, event: Input.Changed) -> None:
        event.stop()
        try:
            draft = self.draft.edited(self.field_values())
        except ConfigError as e:
            bad = self.query(f"#{e.key}")
            self._show_problem(e, [bad.first().parent if bad else event.input.parent])
            return
        self._show_problem(None, [])
        switched = draft.optimizer.name != self.draft.optimizer.name
        self.draft = draft
        self.post_message(self.Changed(draft))
        if switched:  # another optimizer has other arguments
            await self.load(draft)
        self._help(event.input)
        self.preview()  # a rule of the whole curve it breaks replaces the help

    @on(ListInput.Opened)
    def _open_children(self, event: ListInput.Opened) -> None:
        """A composite's children in their own editor; what it accepts goes into the fields it edits."""
        schedule = self.draft.schedule

        def accepted(params: dict | None) -> None:
            for name, value in (params or {}).items():
                if self.query(f"#scheduler-{name}"):
                    self.put(f"scheduler-{name}", show(value))

        self.app.push_screen(ChildrenScreen(schedule.name, schedule.params), accepted)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.input.parent.action_move(1)

    @on(ChoiceInput.Untyped)
    def _untyped(self, event: ChoiceInput.Untyped) -> None:
        name = event.input.parent.param.name
        self.say(f"[b]{name}[/b] is chosen, not typed: ← → or space change it ({', '.join(event.input.options)})")

    def on_descendant_focus(self, event: Any) -> None:
        if isinstance(event.widget, Input):
            self.last = event.widget.id
            if not event.widget.parent.has_class("-invalid"):
                self._help(event.widget)

    def _help(self, widget: Input) -> None:
        param = widget.parent.param
        self.say(f"[b]{param.name}[/b]: {param.help}. {param.rule_text()}")

    def say(self, text: str) -> None:
        """The line under the fields: a field's help, the rule a value broke, or a hint from the app
        (markup: what came from the user is escaped)."""
        self.query_one("#field-help", Static).update(text)
