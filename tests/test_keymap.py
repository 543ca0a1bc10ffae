"""The user's keymap (<config dir>/keymap.toml): read and checked alone, then moving the app's keys."""
import os
from pathlib import Path

from pilot import until
from rich.text import Text

from lrtui.ui import keymap
from lrtui.ui.app import LrtuiApp
from lrtui.ui.main_screen import MainScreen
from lrtui.ui.screens import keys_text


def keymap_file(text: str) -> Path:
    path = Path(os.environ["LRTUI_CONFIG_DIR"]) / "keymap.toml"  # conftest's isolated config dir
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_moved_keys_are_read_and_a_swap_is_no_clash():
    path = keymap_file('run = "R"\ncompare = "r"\nlog = "ctrl+l,f5"\nhelp = "question_mark"\n')
    assert keymap.read(path, MainScreen.BINDINGS) == (
        {"run": "R", "compare": "r", "log": "ctrl+l,f5", "help": "question_mark"}, [])


def test_no_file_is_no_keymap(tmp_path):
    assert keymap.read(tmp_path / "keymap.toml", MainScreen.BINDINGS) == ({}, [])


def test_each_bad_entry_is_refused_naming_the_file_and_the_id_and_the_rest_is_kept():
    path = keymap_file('runn = "R"\nlog = "ctrl-l"\nsmooth = 3\nstop = "r"\nx_axis = "X"\n')
    keys, refused = keymap.read(path, MainScreen.BINDINGS)
    assert keys == {"x_axis": "X"}
    assert [line.split(": ", 2)[:2] for line in refused] == [[str(path), "runn"], [str(path), "log"],
                                                            [str(path), "smooth"], [str(path), "stop"]]
    assert refused[0].startswith(f"{path}: runn: no binding has this id (the ids: ")
    assert refused[1] == f"{path}: log: 'ctrl-l' is no key Textual knows (such as R, ctrl+r, f5, question_mark); " \
                         "its default key is kept"
    assert refused[2] == f"{path}: smooth: needs keys as a string, such as \"R\" or \"ctrl+r,f5\", got 3; " \
                         "its default key is kept"
    assert refused[3] == f"{path}: stop: 'r' would be the key of run too; its default key is kept"


def test_a_file_that_is_no_toml_keeps_every_default_key():
    path = keymap_file('run = "R\n')
    keys, [refused] = keymap.read(path, MainScreen.BINDINGS)
    assert keys == {} and refused.startswith(f"{path}: not read (") and refused.endswith("the default keys are kept")


async def test_the_app_answers_to_the_moved_keys_says_what_it_refused_and_its_help_shows_them(store):
    keymap_file('log = "L"\nx_axis = "ctrl+x"\nsmoth = "S"\n')
    app = LrtuiApp(store=store)
    async with app.run_test(size=(120, 36)) as pilot:
        app.query_one("#schedulers").focus()
        await pilot.press("l")  # no longer the log key
        await pilot.press("L")
        await until(pilot, lambda: app.chart.log_scale)
        await pilot.press("ctrl+x")
        await until(pilot, lambda: app.chart.x_steps)
        assert app.chart.log_scale and app.chart.x_steps and not app.chart.smooth
        assert any(n.message.startswith(f"{os.environ['LRTUI_CONFIG_DIR']}/keymap.toml: smoth: no binding has this id")
                   for n in app._notifications)
        helped = " ".join(Text.from_markup(keys_text(MainScreen.BINDINGS, app.keys)).plain.split())
        assert "L log scale" in helped and "ctrl+x x axis: steps or epochs" in helped and "l log scale" not in helped
