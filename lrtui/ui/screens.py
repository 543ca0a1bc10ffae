"""Modal screens: the preset picker, help, a snippet of code, a name to save under, a yes/no."""
from __future__ import annotations

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from lrtui import finder, presets
from lrtui.params import ConfigError
from lrtui.ui.form import Field, read

KEYS = (("?", "this help"), ("q", "quit (stops a run first)"),
        ("r", "run the form"), ("c", "run every run of the preset"),
        ("s", "stop the run and the queue"), ("p", "pick a preset"),
        ("f", "LR range test of the form"), ("F", "its settings, then run it"),
        ("a / A", "range test lr to form / steepest"), ("ctrl+s", "save the form as a preset"),
        ("l", "log scale"), ("m", "smooth the loss (EMA)"),
        ("x", "x axis: steps or epochs"), ("ctrl+p", "palette: code, export, all"),
        ("tab", "next pane (shift: previous)"), ("j / k", "down / up in lists"))
NOTES = """[b]escape[/b]  from a field to the list; from the range test back to the schedule
Runs table: [b]space[/b] shows or hides a run, [b]delete[/b] deletes it, [b]o[/b] sorts.
Form: type a value; a bad one is marked, the last good one stays in force."""


def keys_text() -> str:
    """The keys in two columns that fit 80 columns."""
    cells = [f"[b]{key:<7}[/b] {text:<29}" for key, text in KEYS]
    return "\n".join(" ".join(cells[i:i + 2]) for i in range(0, len(cells), 2)) + "\n" + NOTES


class Modal(ModalScreen):
    BINDINGS = [Binding("escape", "dismiss", "Close")]


class HelpScreen(Modal):
    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("[b]lrtui[/b]: which learning-rate schedule, with which parameters?")
            yield Static(keys_text())
            yield Label("Escape closes this.", classes="hint")


class CodeScreen(Modal):
    def __init__(self, code: str):
        super().__init__()
        self.code = code

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label("Plain torch, runnable as it is (select and copy; Escape closes)")
            yield TextArea(self.code, language=None, read_only=True, id="code")


class PresetPicker(Modal):
    """Lists shipped and user presets with their descriptions; Enter returns the chosen name."""

    def compose(self) -> ComposeResult:
        self.found = presets.available()
        with Vertical(classes="dialog wide"):
            yield Label("Presets (Enter loads, Escape cancels)")
            yield OptionList(*(Option(name, id=name) for name in sorted(self.found)), id="preset-list")
            yield Static(id="preset-description")

    @on(OptionList.OptionHighlighted)
    def _describe(self, event: OptionList.OptionHighlighted) -> None:
        try:
            text = escape(presets.load(self.found[event.option.id]).description)
        except ConfigError as e:
            text = f"[red]refused[/red]: {escape(str(e))}"
        self.query_one("#preset-description", Static).update(text)

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


class NameScreen(Modal):
    """Asks for a name; returns it, or None on Escape."""

    def __init__(self, prompt: str, value: str):
        super().__init__()
        self.prompt, self.value = prompt, value

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.prompt)
            yield Input(self.value, id="name")

    @on(Input.Submitted)
    def _done(self, event: Input.Submitted) -> None:
        name = event.value.strip()
        if name and all(c.isalnum() or c in "-_." for c in name):
            self.dismiss(name)
        else:
            self.notify("letters, digits, - _ and . only", severity="error")


class SweepScreen(Modal):
    """The range test's settings, a field each; Enter checks them all and returns the Sweep (a bad
    value is marked with its rule, the screen stays), Escape returns None."""

    def __init__(self, settings: finder.Sweep):
        super().__init__()
        self.settings = settings

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("LR range test: Enter runs it with these settings, Escape cancels")
            for param in finder.SETTINGS:
                yield Field("sweep", param, getattr(self.settings, param.name))
            yield Static(id="sweep-problem", classes="hint")

    @on(Input.Submitted)
    def _run(self, event: Input.Submitted) -> None:
        for field in self.query(Field):
            field.remove_class("-invalid")
        try:
            values = {f.param.name: read(f.param, f.query_one(Input).value) for f in self.query(Field)}
            self.dismiss(finder.sweep(values))
        except ConfigError as e:
            self.query_one(f"#sweep-{e.key}").parent.add_class("-invalid")
            self.query_one("#sweep-problem", Static).update(f"[b]{e.key}[/b]: {escape(e.problem)}")


class ConfirmScreen(Modal):
    BINDINGS = [Binding("y", "yes", "Yes"), Binding("n,escape", "no", "No")]

    def __init__(self, question: str):
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question)
            yield Label("y: yes   n: no", classes="hint")

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)



