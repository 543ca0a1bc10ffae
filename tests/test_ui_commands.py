"""The palette's Copy as code and Export runs, and ctrl+s, driven through Pilot: what the clipboard was
given, what was written where, what was refused."""

import subprocess
import sys

import pytest
from pilot import until
from textual.widgets import Input, RadioButton

from lrtui.output.snippets import snippet
from lrtui.paths import user_presets_dir
from lrtui.plan import presets
from lrtui.ui.app import LrtuiApp

PER_EPOCH = 47  # spirals' batches at batch size 128
MINE = """name = "mine"
[training]
epochs = 3
[[runs]]
label = "steps"
scheduler = { name = "StepLR", params = { step_size = 1 } }
[[runs]]
label = "unguarded"
scheduler = { name = "LambdaLR", params = { lr_lambda = "min(1, 10 / epoch)" } }
[[runs]]
label = "decay"
scheduler = { name = "ExponentialLR", params = { gamma = 0.5 } }
"""


@pytest.fixture
def mine():
    """A user preset of three runs, the second one's lr_lambda beyond plain Python at epoch 0."""
    user_presets_dir().mkdir(parents=True)
    (user_presets_dir() / "mine.toml").write_text(MINE)
    return presets.find("mine")


def noted(app):
    """The app's toasts, as they are asked for."""
    notes = []
    notify = app.notify
    app.notify = lambda message, **kw: (notes.append(str(message)), notify(message, **kw))
    return notes


def runs_as_python(path):
    return subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120)


async def write_to(pilot, path=None):
    """w in the code screen, or export's dialog already open: the path typed (default if None), Enter."""
    field = pilot.app.screen.query_one("#path", Input)
    if path is not None:
        field.value = str(path)
    await pilot.press("enter")
    await pilot.pause()


@pytest.mark.slow
async def test_copy_as_code_copies_and_writes_the_forms_code_asking_before_overwriting(store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = LrtuiApp(store=store)
    notes = noted(app)
    async with app.run_test(size=(100, 30)) as pilot:
        copied = []
        copy = app.copy_to_clipboard
        app.copy_to_clipboard = lambda text: (copied.append(text), copy(text))
        await app.run_action("copy_code")  # as the palette runs it
        await pilot.pause()
        d = app.draft
        code = snippet(d.schedule, d.optimizer, 100, PER_EPOCH)
        assert app.screen.query_one("#code").text == code
        await pilot.press("c")
        assert copied == [code] and app.clipboard == code and "copied" in notes[-1]

        target = tmp_path / "lrtui_schedule.py"
        await pilot.press("w")
        await pilot.pause()
        assert app.screen.query_one("#path", Input).value == str(target)  # absolute, editable
        await write_to(pilot)
        assert target.read_text() == code and str(target) in notes[-1]
        assert type(app.screen).__name__ == "CodeScreen"
        result = runs_as_python(target)
        assert result.returncode == 0, result.stderr

        target.write_text("mine")
        await pilot.press("w")
        await write_to(pilot)
        assert type(app.screen).__name__ == "ConfirmScreen"
        await pilot.press("n")
        await pilot.pause()
        assert target.read_text() == "mine" and type(app.screen).__name__ == "PathScreen"
        await write_to(pilot)
        await pilot.press("y")
        await pilot.pause()
        assert target.read_text() == code and type(app.screen).__name__ == "CodeScreen"

        for bad in (tmp_path / "no-such-folder" / "x.py", tmp_path):
            await pilot.press("w")
            await write_to(pilot, bad)
            assert app.is_running and type(app.screen).__name__ == "PathScreen"
            assert notes[-1].startswith(f"cannot write {bad}: ") and "\n" not in notes[-1]
            await pilot.press("escape")
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "MainScreen"


@pytest.mark.slow
async def test_copy_as_code_of_a_preset_has_the_form_then_every_run_and_says_why_one_has_none(
        store, tmp_path, mine, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = LrtuiApp(preset=mine, store=store)
    async with app.run_test(size=(100, 30)) as pilot:
        field = app.query_one("#scheduler-step_size", Input)
        field.focus()
        field.value = "2"  # the form differs from the preset's first run
        await until(pilot, lambda: app.draft.schedule.params["step_size"] == 2)
        await app.run_action("copy_code")
        await pilot.pause()
        code = app.screen.query_one("#code").text
        d, runs = app.draft, mine.runs
        parts = code.split("\n\n\n")
        assert parts[0] == snippet(d.schedule, d.optimizer, 3, PER_EPOCH, "form").rstrip("\n")
        assert parts[1] == snippet(runs[0].schedule, runs[0].optimizer, 3, PER_EPOCH, "steps").rstrip("\n")
        assert parts[2].startswith("# unguarded: no snippet: ") and "plain Python cannot compute 10 / epoch" in parts[2]
        assert parts[3] == snippet(runs[2].schedule, runs[2].optimizer, 3, PER_EPOCH, "decay")
        await pilot.press("w")
        await write_to(pilot)
        target = tmp_path / "lrtui_schedule.py"
        assert target.read_text() == code
        result = runs_as_python(target)
        assert result.returncode == 0, result.stderr


@pytest.mark.slow
async def test_ctrl_s_with_a_preset_saves_the_form_or_the_whole_comparison(store, mine, tmp_path, monkeypatch):
    app = LrtuiApp(preset=mine, store=store)
    notes = noted(app)
    async with app.run_test(size=(100, 30)) as pilot:
        app.query_one("#schedulers").focus()
        await pilot.press("ctrl+s")
        await pilot.pause()
        app.screen.query_one("#name", Input).value = "../up"
        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "NameScreen" and "needs to be a file's name" in notes[-1]
        app.screen.query_one("#name", Input).value = "all-of-it"
        await pilot.press("tab", "down", "enter")  # the choice: all the preset's runs
        await pilot.pause()
        assert [b.value for b in app.screen.query(RadioButton)] == [False, True]
        assert app.focused.id == "name"  # back at the name: Enter saves
        await pilot.press("enter")
        await until(pilot, lambda: "all-of-it" in presets.available())
        saved = presets.find("all-of-it")
        assert (saved.runs, saved.training, saved.optimizer) == (mine.runs, mine.training, mine.optimizer)
        assert str(saved.path) in notes[-1]

        await pilot.press("ctrl+s")
        await pilot.pause()
        app.screen.query_one("#name", Input).value = "just-the-form"
        await pilot.press("enter")  # the form, chosen at first
        await until(pilot, lambda: "just-the-form" in presets.available())
        assert [r.schedule for r in presets.find("just-the-form").runs] == [app.draft.schedule]

        monkeypatch.setenv("LRTUI_CONFIG_DIR", str(saved.path))  # a file where the folder would be
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.is_running and notes[-1].startswith("cannot save ") and "\n" not in notes[-1]


@pytest.mark.slow
async def test_export_asks_for_the_path_and_writes_the_shown_runs(store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    writer = store.start("stored", None, {"scheduler": {"name": "StepLR"}}, "spirals", "cpu", "cpu", 0, 4)
    writer.steps(0, [0.1] * 4, None, [1.0, 0.9, 0.8, 0.7])
    for epoch in range(2):
        writer.epoch({"epoch": epoch, "lr": 0.1, "train_loss": 0.8, "val_loss": 0.8, "val_acc": 0.5,
                      "seconds": 0.1, "samples_per_s": 1e4})
    writer.finish("finished")
    app = LrtuiApp(store=store)
    notes = noted(app)
    async with app.run_test(size=(100, 30)) as pilot:
        app.query_one("#runs").focus()
        await pilot.press("space")  # shown
        await until(pilot, lambda: app.book.runs[writer.run_id].shown)
        await app.run_action("export")
        await pilot.pause()
        default = app.screen.query_one("#path", Input).value
        assert default.startswith(f"{tmp_path}/lrtui-runs-") and default.endswith(".csv")
        assert not list(tmp_path.glob("*.csv"))  # nothing written before the path is given

        target = tmp_path / "chosen.csv"
        await write_to(pilot, target)
        rows = target.read_text().splitlines()
        assert rows[0].startswith("run_id,label,kind") and sum(",epoch," in r for r in rows) == 2
        assert str(target) in notes[-1] and type(app.screen).__name__ == "MainScreen"

        bad = tmp_path / "no-such-folder" / "x.csv"
        await app.run_action("export")
        await pilot.pause()
        await write_to(pilot, bad)
        assert app.is_running and not bad.parent.exists()
        assert notes[-1].startswith(f"cannot write {bad}: ") and "\n" not in notes[-1]
