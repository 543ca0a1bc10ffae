"""Modal screens: the preset picker, help, a snippet of code, a name to save under, a file to write, a yes/no."""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from rich.markup import escape
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.keys import key_to_character
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, RadioButton, RadioSet, Static, TextArea
from textual.widgets.option_list import Option

from lrtui.plan import presets, range_test
from lrtui.schedule.params import ConfigError
from lrtui.ui import keymap
from lrtui.ui.fields import ChoiceInput, Field, ListInput, TextInput, read
from lrtui.ui.runs_table import RunsTable
from lrtui.ui.widgets import SchedulerList

PALETTE = "palette: code, export, all"  # Textual's key (App.COMMAND_PALETTE_BINDING), in no BINDINGS of ours
EDITS = "Enter, a digit, a sign or a point begins an edit (Enter again ends it)."
PANES = (("schedulers", (SchedulerList,), ""), ("parameters", (Field, TextInput, ChoiceInput, ListInput), EDITS),
         ("runs", (RunsTable,), ""))  # each pane's own keys (the charts' are the app's), then what no key says
CELL = 36  # two cells a row in the dialog's 76 columns


def key_text(binding: Binding, keys: dict[str, str] | None = None) -> str:
    """Its keys as typed (as the user's keymap has moved them): `?` for question_mark, `space/enter`
    for "space,enter"."""
    def shown(key: str) -> str:
        character = key_to_character(key)
        return character if character and character.isprintable() and not character.isspace() else key

    return "/".join(shown(key.strip()) for key in keymap.shown(binding, keys or {}).split(","))


def key_help(binding: Binding) -> str:
    """What the help says of a key: its tooltip, else its description."""
    return binding.tooltip or binding.description.lower()


def keys_text(bindings: list[Binding], moved: dict[str, str] | None = None) -> str:
    """Every key the main screen binds (as the user's keymap has `moved` them), with its help, in two
    columns (a longer one alone in a row), and the palette's; then each pane's own."""
    keys = [(key_text(b, moved), key_help(b)) for b in bindings] + [(App.COMMAND_PALETTE_BINDING, PALETTE)]
    cells = [(f"{key:<7} {text}", f"[b]{key:<7}[/b] {escape(text)}") for key, text in keys]
    short = [markup + " " * (CELL - len(plain)) for plain, markup in cells if len(plain) <= CELL]
    lines = ["  ".join(short[i:i + 2]).rstrip() for i in range(0, len(short), 2)]
    lines += [markup for plain, markup in cells if len(plain) > CELL]
    for pane, classes, note in PANES:
        lines.append(f"[u]{pane}[/u]:  " + "  ".join(f"[b]{key_text(b)}[/b] {escape(key_help(b))}"
                                                   for cls in classes for b in cls.BINDINGS))
        lines += [note] if note else []
    return "\n".join(lines)


class Modal(ModalScreen):
    BINDINGS = [Binding("escape", "dismiss", "Close")]


class HelpScreen(Modal):
    def __init__(self, bindings: list[Binding], moved: dict[str, str]):
        super().__init__()
        self.bindings, self.moved = bindings, moved

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog") as dialog:
            dialog.border_title = "[b]lrtui[/b]: which learning-rate schedule, with which parameters?"
            dialog.border_subtitle = "escape closes this"
            yield Static(keys_text(self.bindings, self.moved))


class ResultScreen(Modal):
    """A sweep's result view (a chart as text, or a table) and its verdict in words, read only."""

    def __init__(self, title: str, view: object, verdict: str):
        super().__init__()
        self.title_text, self.view, self.verdict = title, view, verdict

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide") as dialog:
            dialog.border_title = escape(self.title_text)
            dialog.border_subtitle = "escape closes this"
            yield Static(self.view, id="result")
            yield Static(escape(self.verdict), id="verdict")


class CodeScreen(Modal):
    """The code, read only; c copies it through the terminal (OSC 52), w writes it to a file."""

    BINDINGS = [Binding("c", "clipboard", "Copy"), Binding("w", "write", "Write to a file")]
    DEFAULT_FILE = "lrtui_schedule.py"

    def __init__(self, code: str):
        super().__init__()
        self.code = code

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label("Plain torch, runnable as it is: c copies, w writes a file, Escape closes")
            yield TextArea(self.code, language=None, read_only=True, id="code")

    def action_clipboard(self) -> None:
        self.app.copy_to_clipboard(self.code)
        self.notify(f"copied {len(self.code.splitlines())} lines (where the terminal lets programs set the clipboard)")

    def action_write(self) -> None:
        def written(path: Path | None) -> None:
            if path:
                self.notify(escape(f"wrote {path}"), timeout=6)

        self.app.push_screen(PathScreen("Write the code to:", Path(self.DEFAULT_FILE),
                                        lambda path: path.write_text(self.code, encoding="utf-8")), written)


class PathScreen(Modal):
    """Asks for a file's path (the default shown absolute, editable) and hands it to `write`: a file that
    exists is written over only after a yes; a path it cannot write is said in one line and the screen
    stays for another. Returns the path written, or None on Escape."""

    def __init__(self, prompt: str, default: Path, write: Callable[[Path], object]):
        super().__init__()
        self.prompt, self.default, self.write = prompt, default.absolute(), write

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.prompt)
            yield Input(str(self.default), id="path")
            yield Label("Enter writes, Escape cancels", classes="hint")

    @on(Input.Submitted)
    def _chosen(self, event: Input.Submitted) -> None:
        path = Path(event.value.strip()).expanduser()
        if os.path.isfile(path):  # False, not an error, for a path that cannot be looked at
            self.app.push_screen(ConfirmScreen(escape(f"{path} exists: write over it?")),
                                 lambda yes: self._write(path) if yes else None)
        else:
            self._write(path)

    def _write(self, path: Path) -> None:
        try:
            self.write(path)
        except (OSError, ValueError) as e:  # ValueError: a NUL in the path
            self.notify(escape(f"cannot write {path}: {getattr(e, 'strerror', None) or e}"), severity="error")
            return
        self.dismiss(path)


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
    """Asks for a preset's name (presets.check_name's rule, said when broken) and, given `choices`,
    which of them to save (the first at first); returns (name, choice's index), or None on Escape."""

    def __init__(self, prompt: str, value: str, choices: tuple[str, ...] = ()):
        super().__init__()
        self.prompt, self.value, self.choices = prompt, value, choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.prompt)
            yield Input(self.value, id="name")
            if self.choices:
                yield RadioSet(*(RadioButton(escape(c), value=i == 0) for i, c in enumerate(self.choices)),
                               id="save-choice")
                yield Label("tab, arrows and Enter choose; Enter in the name saves", classes="hint")

    @on(RadioSet.Changed)
    def _back_to_the_name(self) -> None:
        self.query_one("#name").focus()

    @on(Input.Submitted)
    def _done(self, event: Input.Submitted) -> None:
        try:
            name = presets.check_name(event.value.strip())
        except ConfigError as e:
            self.notify(escape(e.problem), severity="error")
            return
        choice = self.query_one(RadioSet).pressed_index if self.choices else 0
        self.dismiss((name, choice))


class SweepScreen(Modal):
    """The range test's settings, a field each; Enter checks them all and returns the Sweep (a bad
    value is marked with its rule, the screen stays), Escape returns None."""

    def __init__(self, settings: range_test.Sweep):
        super().__init__()
        self.settings = settings

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("LR range test: Enter runs it with these settings, Escape cancels")
            for param in range_test.SETTINGS:
                yield Field("sweep", param, getattr(self.settings, param.name))
            yield Static(id="sweep-problem", classes="hint")

    @on(Input.Submitted)
    def _run(self, event: Input.Submitted) -> None:
        for field in self.query(Field):
            field.remove_class("-invalid")
        try:
            values = {f.param.name: read(f.param, f.query_one(Input).value) for f in self.query(Field)}
            self.dismiss(range_test.sweep(values))
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
