"""The children editor of a composite, driven by keys in a tiny app that pushes it; the accepted list is
held to catalogue.validate and its lr curve to torch's own SequentialLR."""
from __future__ import annotations

import numpy as np
from pilot import until
from textual.app import App
from textual.widgets import Input, OptionList, Static
from torch.optim import lr_scheduler as S
from torch_truth import torch_lrs

from lrtui.schedule.catalogue import build, starter, validate
from lrtui.ui import children
from lrtui.ui.children import ChildrenScreen

PENDING = object()
WARM_COSINE = {"schedulers": [{"name": "LinearLR", "params": {"start_factor": 0.1, "total_iters": 4}},
                              {"name": "CosineAnnealingLR", "params": {"T_max": 95}}],
               "milestones": [5]}


class Host(App):
    """Pushes the screen at once; keeps what it dismisses with."""

    CSS_PATH = children.__file__.replace("children.py", "app.tcss")

    def __init__(self, composite: str, params: dict):
        super().__init__()
        self.args, self.result = (composite, params), PENDING

    def on_mount(self) -> None:
        self.push_screen(ChildrenScreen(*self.args), self._done)

    def _done(self, result: dict | None) -> None:
        self.result = result


def lines(app) -> list[str]:
    listed = app.screen.query_one("#children-list", OptionList)
    return [str(listed.get_option_at_index(i).prompt) for i in range(listed.option_count)]


def problem(app) -> str:
    return str(app.screen.query_one("#children-problem", Static).render())


async def put(pilot, key: str, text: str) -> None:
    """`text` typed into the field `key` ("child-gamma")."""
    widget = pilot.app.screen.query_one(f"#{key}", Input)
    widget.focus()
    widget.value = text
    await pilot.pause()


async def test_lists_children_one_line_each_and_fits_80x24():
    app = Host("SequentialLR", WARM_COSINE)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert lines(app) == ["1  LinearLR  start_factor=0.1 total_iters=4", "2  CosineAnnealingLR  T_max=95"]
        assert app.screen.query_one("#composite-milestones", Input).value == "[5]"
        for widget in ("#children-list", "#child-fields", "#children-problem", "#children-hint", "#children-done"):
            region = app.screen.query_one(widget).region
            assert region.height >= 1 and region.bottom <= 24 and region.right <= 80, widget
        assert "ctrl+s" in str(app.screen.query_one("#children-hint", Static).render())


async def test_add_edit_delete_reorder_then_accept_gives_torchs_sequential_curve():
    app = Host("SequentialLR", WARM_COSINE)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("a")  # a child from the catalogue: ExponentialLR, with its starter parameters
        await until(pilot, lambda: app.screen.query("#child-names"))
        names = app.screen.query_one("#child-names", OptionList)
        assert "SequentialLR" not in [o.id for o in names.options]  # composites and plateau are not offered
        assert "ReduceLROnPlateau" not in [o.id for o in names.options]
        names.highlighted = [o.id for o in names.options].index("ExponentialLR")
        await pilot.press("enter")
        await until(pilot, lambda: len(lines(app)) == 3)
        assert app.screen.tables[2] == {"name": "ExponentialLR", "params": starter("ExponentialLR").params}
        assert lines(app)[2] == "3  ExponentialLR  gamma=0.95"

        await pilot.press("K")  # up past the cosine: LinearLR, ExponentialLR, CosineAnnealingLR
        assert [line.split()[1] for line in lines(app)] == ["LinearLR", "ExponentialLR", "CosineAnnealingLR"]
        assert lines(app)[1].startswith("2  ExponentialLR")
        await pilot.press("shift+down", "J")  # down again; J at the bottom stays
        assert [line.split()[1] for line in lines(app)] == ["LinearLR", "CosineAnnealingLR", "ExponentialLR"]
        await pilot.press("K")

        await pilot.press("enter")  # edits the highlighted one: ExponentialLR's gamma
        assert app.screen.focused.id == "child-gamma"
        await put(pilot, "child-gamma", "0.9")
        assert app.screen.tables[1]["params"]["gamma"] == 0.9
        assert lines(app)[1] == "2  ExponentialLR  gamma=0.9"
        await put(pilot, "child-gamma", "1.5")  # refused: marked, the rule on the line, 0.9 kept
        assert app.screen.query_one("#child-gamma").parent.has_class("-invalid")
        assert "gamma" in problem(app) and "(0, 1]" in problem(app)
        assert app.screen.tables[1]["params"]["gamma"] == 0.9
        await put(pilot, "child-gamma", "0.8")
        assert not app.screen.query_one("#child-gamma").parent.has_class("-invalid")
        assert app.screen.tables[1]["params"]["gamma"] == 0.8 and lines(app)[1] == "2  ExponentialLR  gamma=0.8"

        await pilot.press("escape")  # from a field back to the list
        assert app.screen.focused.id == "children-list"
        await pilot.press("down", "d")  # the cosine goes
        assert [line.split()[1] for line in lines(app)] == ["LinearLR", "ExponentialLR"]

        await put(pilot, "composite-milestones", "[5, 20]")  # one milestone too many for two children
        await pilot.press("ctrl+s")
        assert app.result is PENDING
        assert "one milestone fewer" in problem(app)
        await put(pilot, "composite-milestones", "[10]")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.result is not PENDING)

    expected = {"schedulers": [{"name": "LinearLR", "params": {"start_factor": 0.1, "total_iters": 4}},
                               {"name": "ExponentialLR", "params": {"gamma": 0.8}}], "milestones": [10]}
    assert app.result == validate("SequentialLR", expected).params
    assert lr_curve(validate("SequentialLR", app.result), 30) == torch_sequential(30)


def lr_curve(schedule, length: int) -> list[float]:
    return torch_lrs(lambda opt: build(schedule, opt, length), length)


def torch_sequential(length: int) -> list[float]:
    out = torch_lrs(lambda opt: S.SequentialLR(
        opt, [S.LinearLR(opt, start_factor=0.1, total_iters=4), S.ExponentialLR(opt, gamma=0.8)], [10]), length)
    assert not np.allclose(out[:12], out[0])  # the curve moves: a real comparison
    return out


async def test_a_refused_child_blocks_accepting_and_the_done_button_accepts():
    params = {"schedulers": [{"name": "ExponentialLR", "params": {"gamma": 0.9}}]}
    app = Host("ChainedScheduler", params)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("a")
        await until(pilot, lambda: app.screen.query("#child-names"))
        names = app.screen.query_one("#child-names", OptionList)
        names.highlighted = [o.id for o in names.options].index("LambdaLR")
        await pilot.press("enter")
        await until(pilot, lambda: len(lines(app)) == 2)
        await pilot.press("ctrl+s")  # LambdaLR sets the lr outright: refused beside ExponentialLR
        assert app.result is PENDING and "cannot hold LambdaLR" in problem(app)
        await pilot.press("d")
        app.screen.query_one("#children-done").focus()
        await pilot.press("enter")
        await until(pilot, lambda: app.result is not PENDING)
    assert app.result == validate("ChainedScheduler", params).params


async def test_escape_cancels():
    app = Host("SequentialLR", WARM_COSINE)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("d", "escape")
        await until(pilot, lambda: app.result is not PENDING)
    assert app.result is None
