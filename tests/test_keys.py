"""Keys and focus: the keys do what the hints say. A field takes text only once an edit begins
(Enter, or a digit, a sign or a point); tab walks the panes, arrows move within them; a field of a
few values cycles."""
import pytest
from pilot import started, until
from torch.optim.lr_scheduler import StepLR
from torch_truth import torch_lrs

from lrtui.runs.store import Store
from lrtui.ui.app import LrtuiApp


@pytest.fixture
def store(tmp_path):
    return Store.at(tmp_path / "runs")


def focused(app):
    return app.screen.focused


async def pick(pilot, name):
    app = pilot.app
    app.query_one("#schedulers").focus()
    app.query_one("#schedulers").highlighted = [o.id for o in app.query_one("#schedulers").options].index(name)
    await pilot.press("enter")
    await pilot.pause()


@pytest.mark.slow
async def test_enter_picks_a_scheduler_and_r_then_runs_it_instead_of_typing_r(store):
    app = LrtuiApp(store=store, device="cpu")
    async with app.run_test(size=(120, 36)) as pilot:
        await pick(pilot, "StepLR")
        assert app.draft.schedule.name == "StepLR" and focused(app).id == "scheduler-step_size"
        assert "Enter edits" not in str(app.query_one("#field-help").render())  # the field's own help now
        await pilot.press("r")
        assert focused(app).value == "30" and app.draft.schedule.params["step_size"] == 30
        await until(pilot, lambda: any(view.config["scheduler"]["name"] == "StepLR" for view in app.book.runs.values()))


@pytest.mark.slow
async def test_a_digit_starts_a_new_value_enter_ends_it_and_moves_down(store):
    app = LrtuiApp(store=store)
    async with app.run_test(size=(120, 36)) as pilot:
        await pick(pilot, "StepLR")
        await pilot.press("1", "5", "x")  # x is typed too: an edit takes every key
        assert focused(app).value == "15x" and focused(app).editing
        await pilot.press("backspace", "enter")
        assert app.draft.schedule.params["step_size"] == 15
        assert focused(app).id == "scheduler-gamma" and not focused(app).editing


@pytest.mark.slow
async def test_escape_ends_an_edit_with_the_text_it_began_with_then_leaves_the_form(store):
    app = LrtuiApp(store=store)
    async with app.run_test(size=(120, 36)) as pilot:
        await pick(pilot, "StepLR")
        await pilot.press("enter", "0", "escape")  # Enter begins an edit keeping the text
        assert focused(app).value == "30" and not focused(app).editing
        assert app.draft.schedule.params["step_size"] == 30
        await pilot.press("escape")
        assert focused(app).id == "schedulers"


@pytest.mark.slow
async def test_enter_begins_an_edit_in_which_letters_are_text(store):
    app = LrtuiApp(store=store)
    async with app.run_test(size=(120, 36)) as pilot:
        await pick(pilot, "LambdaLR")
        assert focused(app).id == "scheduler-lr_lambda"
        await pilot.press("enter", "ctrl+u", "0", ".", "9", " ", "*", "*", " ", "e", "p", "o", "c", "h", "enter")
        assert app.draft.schedule.params["lr_lambda"] == "0.9 ** epoch"


@pytest.mark.slow
async def test_tab_walks_the_panes_and_shift_tab_walks_back(store):
    app = LrtuiApp(store=store)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert focused(app).id == "schedulers"
        seen = []
        for _ in range(4):
            await pilot.press("tab")
            seen.append(focused(app).id)
        assert seen == ["scheduler-T_max", "plots", "runs", "schedulers"]
        await pilot.press("shift+tab")
        assert focused(app).id == "runs"


@pytest.mark.slow
async def test_arrows_move_between_fields_and_tab_comes_back_to_the_last_one(store):
    app = LrtuiApp(store=store)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("tab", "down", "down", "down")
        assert focused(app).id == "run-warmup"
        await pilot.press("up")
        assert focused(app).id == "run-interval"
        await pilot.press("tab", "shift+tab")
        assert focused(app).id == "run-interval"


@pytest.mark.slow
async def test_a_choice_field_cycles_on_its_keys_and_takes_no_letters(store):
    app = LrtuiApp(store=store)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        app.query_one("#run-interval").focus()
        await pilot.press("space")
        assert app.draft.schedule.interval == "step"
        await pilot.press("left")
        assert app.draft.schedule.interval == "epoch"
        await pick(pilot, "OneCycleLR")
        app.query_one("#scheduler-three_phase").focus()
        await pilot.press("e", "right")  # e is not typed: it is no key of the app either
        assert app.draft.schedule.params["three_phase"] is True and focused(app).value == "true"
        app.query_one("#training-task").focus()
        await pilot.press("space")
        assert app.draft.training["task"] == "shapes"


@pytest.mark.slow
async def test_enter_on_a_composites_children_opens_their_editor_and_what_it_accepts_is_in_the_form(store):
    from lrtui.ui.children import ChildrenScreen

    app = LrtuiApp(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pick(pilot, "SequentialLR")
        before = [child["name"] for child in app.draft.schedule.params["schedulers"]]
        assert focused(app).id == "scheduler-schedulers" and len(before) == 2
        await pilot.press("enter")
        assert isinstance(app.screen, ChildrenScreen)
        await pilot.press("J", "ctrl+s")  # the first child moved down, accepted
        await until(pilot, lambda: [c["name"] for c in app.draft.schedule.params["schedulers"]] == before[::-1])
        assert not isinstance(app.screen, ChildrenScreen)


@pytest.mark.slow
async def test_b_shows_the_momentum_one_cycle_moves_and_is_refused_where_none_moves(store):
    from lrtui.ui.charts import Chart

    app = LrtuiApp(store=store)
    async with app.run_test(size=(120, 36)) as pilot:
        await pick(pilot, "OneCycleLR")
        await until(pilot, lambda: app.curve is not None and app.curve.momentum is not None)
        await pilot.press("b")
        chart = app.query_one("#lr-chart", Chart)
        assert list(chart.series[0].y) == list(app.curve.momentum) and chart.title.startswith("momentum")
        await pilot.press("b")
        assert list(chart.series[0].y) == list(app.curve.lr)
        await pick(pilot, "StepLR")
        await pilot.press("b")
        assert not app.chart.momentum and list(chart.series[0].y) == list(app.curve.lr)


async def test_a_schedule_that_does_not_move_within_the_run_is_said_on_the_status_line(store):
    app = LrtuiApp(store=store)
    async with app.run_test(size=(120, 36)) as pilot:
        await pick(pilot, "StepLR")
        app.query_one("#training-epochs").value = "5"
        await until(pilot, lambda: app.draft.training["epochs"] == 5)
        await until(pilot, lambda: "does not change within the run's 5 epochs" in app.query_one("#status").text)
        assert app.curve.lr.tolist() == pytest.approx(torch_lrs(lambda o: StepLR(o, 30, 0.1), 5))  # truly flat
        app.query_one("#training-epochs").value = "50"
        await until(pilot, lambda: "ready" in app.query_one("#status").text)
        assert app.curve.lr.tolist() == pytest.approx(torch_lrs(lambda o: StepLR(o, 30, 0.1), 50))  # a drop at 30


async def test_a_tasks_notes_on_a_run_are_said(store):
    from lrtui.ui.messages import TrainingEvents

    app, notes = LrtuiApp(store=store), []
    notify = app.notify
    app.notify = lambda message, **kw: (notes.append(str(message)), notify(message, **kw))
    async with app.run_test(size=(120, 36)) as pilot:
        app.post_message(TrainingEvents([started(1, "StepLR", 5, 1, ("3 training batches per epoch: few to compare",))]))
        await until(pilot, lambda: notes == ["StepLR: 3 training batches per epoch: few to compare"])


async def test_o_sorts_the_runs_by_each_figure_best_first_and_runs_without_it_last(store):
    from lrtui.ui.runs_table import COLUMNS

    epoch = {"lr": 0.1, "train_loss": 1.0, "val_acc": 0.5, "seconds": 0.2, "samples_per_s": 100.0}
    for seed, (val_loss, acc) in enumerate([(0.5, 0.7), (None, None), (0.3, 0.9)]):
        writer = store.start(f"run {seed}", None, {"scheduler": {"name": "StepLR"}}, "spirals", "cpu", "cpu", seed, 4)
        if val_loss is not None:
            writer.epoch({"epoch": 0, **epoch, "val_loss": val_loss, "val_acc": acc})
        writer.finish("finished" if val_loss is not None else "failed")
    app = LrtuiApp(store=store)
    async with app.run_test(size=(120, 36)) as pilot:
        table = app.query_one("#runs")
        await until(pilot, lambda: table.row_count == 3)  # listed by the store's reader, off the event loop
        table.focus()
        column = [title for title, _ in COLUMNS].index("id")

        def ids():
            return [str(table.get_row_at(i)[column]) for i in range(table.row_count)]

        assert ids() == ["3", "2", "1"]  # the newest first
        await pilot.press("o")  # best validation loss: lowest first
        assert ids() == ["3", "1", "2"]
        await pilot.press("o")  # best accuracy: highest first
        assert ids() == ["3", "1", "2"]


async def test_a_choice_field_holding_another_value_cycles_to_its_first(store):
    app = LrtuiApp(store=store)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        field = app.query_one("#run-interval")
        field.value = "weekly"  # as text put in from elsewhere: refused by the form's check
        field.focus()
        await pilot.press("space")
        assert field.value == "epoch" and app.draft.schedule.interval == "epoch"
        await pilot.press("space")
        assert app.draft.schedule.interval == "step"


@pytest.mark.slow
async def test_c_runs_every_run_of_the_loaded_preset_and_is_dimmed_without_one(store):
    from lrtui.plan import presets

    app = LrtuiApp(presets.find("seed-four"), store=store)
    async with app.run_test(size=(120, 36)) as pilot:
        handed = []
        app.session.trainer.submit = handed.append  # what c hands the training process, kept from it
        await pilot.press("c")
        assert [len(job.jobs) for job in handed] == [4] and not app.book.queue  # as one batch
    bare = LrtuiApp(store=store)
    async with bare.run_test(size=(120, 36)) as pilot:
        await pilot.press("c")
        assert not bare.book.queue and not bare.busy and bare.check_action("compare", ()) is None


@pytest.mark.slow
async def test_walking_down_the_whole_form_changes_nothing_and_only_left_right_space_cycle(store):
    """At 80x24, Down through every field, Up back, then Enter down every field as a user ending each
    edit does: no value changes (Enter once cycled a choice field: walking down switched interval to
    step). A digit on a choice field changes nothing and says how it is changed."""
    from lrtui.ui.fields import ChoiceInput, TextInput

    app = LrtuiApp(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pick(pilot, "StepLR")
        ids = [widget.id for widget in app.query("#fields Input")]
        before = app.draft
        for down in ids[1:]:
            await pilot.press("down")
            assert focused(app).id == down and app.draft == before
        for up in ids[-2::-1]:
            await pilot.press("up")
            assert focused(app).id == up and app.draft == before
        for here, below in zip(ids, ids[1:]):
            assert focused(app).id == here
            await pilot.press(*(["enter", "enter"] if isinstance(focused(app), TextInput) else ["enter"]))
            assert focused(app).id == below and app.draft == before
        app.query_one("#run-interval").focus()
        await pilot.press("3")
        assert app.draft == before and focused(app).id == "run-interval"
        assert "interval is chosen, not typed" in str(app.query_one("#field-help").render())
        await pilot.press("right")
        assert app.draft.schedule.interval == "step" and isinstance(focused(app), ChoiceInput)
        await pilot.press("space")
        assert app.draft.schedule.interval == "epoch"
