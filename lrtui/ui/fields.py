"""The form's fields: a label and an input for one parameter. A text field takes text only while it is
being edited, so that the app's one-letter keys (r runs, c compares...) work on a highlighted field; a
field with a few values (a choice, a flag, the task, the device) cycles through them on a key."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Input, Label

from lrtui.schedule.params import AUTO, Param, parse_value
from lrtui.tasks import BUILTIN

STARTS_AN_EDIT = set("0123456789.-+")  # typed on a highlighted field: a new value begins
DEVICES = ("auto", "cpu", "cuda")


def show(value: Any) -> str:
    """A value as the form shows it (and reads it back)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return "" if value is None else str(value)


def choices(param: Param, value: Any) -> tuple[str, ...] | None:
    """The values a field cycles through, the current one among them; None for a field of free text."""
    if param.kind == "choice":
        options = param.choices
    elif param.kind == "bool":
        options = ("false", "true")
    elif param.name == "task":
        options = tuple(name for name in BUILTIN if ":" not in name)
    elif param.name == "device":
        options = DEVICES
    else:
        return None
    return options if show(value) in options else (*options, show(value))


def read(param: Param, text: str) -> Any:
    """Field text as a value for `param`: words stay words; the rest is read as TOML, or JSON for tables."""
    text = text.strip()
    if param.kind in ("expr", "str", "choice") or text == AUTO:
        return text.strip('"')
    if text == "" and param.default is None:
        return None
    if param.kind == "table":
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            pass
    return parse_value(text)


class TextInput(Input):
    """Text taken only while editing: Enter begins an edit (Enter again, or leaving, ends it; escape
    ends it with the text it began with), and so does a digit, a sign or a point, which starts a new
    value. Otherwise printable keys are the app's."""

    editing: reactive[bool] = reactive(False)
    BINDINGS = [Binding("escape", "cancel", "Undo", show=False, tooltip="end an edit with the text it began with")]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.before = self.value

    def watch_editing(self, editing: bool) -> None:
        self.set_class(editing, "-editing")
        self.before = self.value

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return self.editing and super().check_consume_key(key, character)

    def _on_key(self, event: Any) -> None:  # Textual calls Input's after this one, unless prevented
        if self.editing:
            return
        event.prevent_default()  # not typed: a key for the app (the event bubbles on to its bindings)
        if event.character and event.character in STARTS_AN_EDIT:
            self.editing = True
            self.value, self.cursor_position = event.character, 1
            event.stop()

    async def action_submit(self) -> None:
        if not self.editing:
            self.editing = True
            self.cursor_position = len(self.value)
            return
        self.editing = False
        await super().action_submit()

    def action_cancel(self) -> None:
        if not self.editing:
            raise SkipAction()  # escape is the app's: back to the scheduler list
        self.value, self.editing = self.before, False

    def on_blur(self) -> None:
        self.editing = False

    def on_click(self) -> None:
        self.editing = True


class UntypedInput(Input):
    """A field whose value is chosen, never typed: printable keys are the app's."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return False

    def _on_key(self, event: Any) -> None:
        event.prevent_default()


class ChoiceInput(UntypedInput):
    """One of a few values, cycled with space or left and right: nothing to type, nothing to guess.
    Enter moves on to the next field, as it does after an edit (it never changes the value: a user
    pressing Enter down the form passes a choice as it is); a digit typed here says how it is changed."""

    BINDINGS = [Binding("space,right", "cycle(1)", "Next value", show=False, tooltip="next value of a field marked ‹›"),
                Binding("left", "cycle(-1)", "Previous value", show=False)]

    @dataclass
    class Untyped(Message):
        input: ChoiceInput

    def __init__(self, options: tuple[str, ...], *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.options = options

    def _on_key(self, event: Any) -> None:
        super()._on_key(event)
        if event.character and event.character in STARTS_AN_EDIT:  # a value meant to be typed: say why it is not
            event.stop()
            self.post_message(self.Untyped(self))

    def action_cycle(self, by: int) -> None:
        """The next value (the first, after a value put in from elsewhere that is none of them)."""
        at = self.options.index(self.value) if self.value in self.options else -1 if by > 0 else 0
        self.value = self.options[(at + by) % len(self.options)]
        self.cursor_position = 0

    def on_click(self) -> None:
        self.action_cycle(1)


class ListInput(UntypedInput):
    """A composite's list of schedulers, edited in its own screen: Enter or space opens it."""

    BINDINGS = [Binding("space,enter", "open", "Open", show=False, tooltip="open the editor of a list marked ⏎")]

    @dataclass
    class Opened(Message):
        input: ListInput

    def action_open(self) -> None:
        self.post_message(self.Opened(self))

    def on_click(self) -> None:
        self.action_open()


class Field(Horizontal):
    """A label and an input for one parameter (`‹›` after a field that cycles); up and down move to
    the field above or below. In a dialog, text is typed at once; in the main form (FormField), where
    the app's one-letter keys are, only once an edit begins."""

    TEXT: type[Input] = Input
    BINDINGS = [Binding("down", "move(1)", "Next field", show=False),
                Binding("up", "move(-1)", "Previous field", show=False)]

    def __init__(self, section: str, param: Param, value: Any):
        super().__init__(classes="field")
        self.section, self.param, self.value = section, param, value

    def compose(self) -> ComposeResult:
        yield Label(self.param.name, classes="field-name")
        options = choices(self.param, self.value)
        kwargs = dict(id=f"{self.section}-{self.param.name}", compact=True,
                      tooltip=f"{self.param.help}: {self.param.rule_text()}")
        if options:
            yield ChoiceInput(options, show(self.value), **kwargs)
            yield Label("‹›", classes="field-cycles")
        elif self.param.kind == "table":
            yield ListInput(show(self.value), **kwargs)
            yield Label("⏎", classes="field-cycles")
        else:
            yield self.TEXT(show(self.value), **kwargs)

    def action_move(self, by: int) -> None:
        fields = list(self.parent.query_children(Field))
        fields[min(max(fields.index(self) + by, 0), len(fields) - 1)].query_one(Input).focus()


class FormField(Field):
    TEXT = TextInput
