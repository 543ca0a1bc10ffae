"""A comparison over seeds in the app: `c` trains the preset's runs x the form's seeds, the runs table
lists a row per schedule (expanded into its seeds on demand), the charts draw each schedule as its
mean and range, and the status line carries the verdict, the same as the store's runs give."""
import pytest
from pilot import set_field, until

from lrtui.engine.events import EpochEnded, RunEnded, RunStarted, Status
from lrtui.judge import scores, verdict
from lrtui.output import words
from lrtui.output.snippets import stored_snippet
from lrtui.plan import presets
from lrtui.ui.app import LrtuiApp
from lrtui.ui.charts import Chart
from lrtui.ui.messages import TrainingEvents
from lrtui.ui.runs_table import RunsTable

PAIR = presets.parse({"name": "pair", "training": {"epochs": 1}, "optimizer": {"name": "SGD", "lr": 0.1}, "runs": [
    {"label": "steps", "scheduler": {"name": "StepLR", "params": {"step_size": 1, "gamma": 0.5}}},
    {"label": "cosine", "scheduler": {"name": "CosineAnnealingLR", "params": {"T_max": "auto"}}}]})


def status_text(app):
    return app.query_one("#status").text


@pytest.mark.slow
async def test_c_trains_every_run_on_every_seed_grouped_and_judged_as_the_store_judges_it(store):
    app = LrtuiApp(preset=PAIR, store=store, device="cpu")
    notes = []
    notify = app.notify
    app.notify = lambda message, **kw: (notes.append(str(message)), notify(message, **kw))
    async with app.run_test(size=(120, 36)) as pilot:
        await set_field(pilot, "training", "seeds", "3")
        await set_field(pilot, "training", "epochs", "2")  # the form's training settings, not the preset's 1
        await until(pilot, lambda: app.draft.training["seeds"] == 3 and app.draft.training["epochs"] == 2)
        app.query_one("#schedulers").focus()
        await pilot.press("c")
        table = app.query_one("#runs", RunsTable)
        await until(pilot, lambda: table.row_count == 2)  # one row per schedule from the start
        await until(pilot, lambda: len(app.book.runs) == 6 and all(v.status == "finished"
                                                                    for v in app.book.runs.values()), seconds=60)
        # redrawn since the last ending (the status line with it), the verdict said, every seed counted
        await until(pilot, lambda: not app.charts_dirty and "verdict: " in status_text(app)
                    and any(n.startswith("comparison ") for n in notes)
                    and [str(table.get_cell_at((r, 3))) for r in range(table.row_count)] == ["3/3", "3/3"])
        views = sorted(app.book.runs.values(), key=lambda v: v.id)
        assert [(v.group, v.seed) for v in views] == [(g, s) for s in (0, 1, 2) for g in ("steps", "cosine")]
        assert all(len(v.epochs) == 2 for v in views)
        assert len({v.colour for v in views if v.group == "steps"}) == 1
        assert {v.colour for v in views if v.group == "steps"} != {v.colour for v in views if v.group == "cosine"}
        comparison = views[0].comparison
        truth = verdict.compare(scores.group_scores(map(scores.Entry.stored, store.comparison(comparison)),
                                                   verdict.DEFAULT_METRIC))
        assert f"verdict: {words.short(truth.verdict)} (by final val loss" in status_text(app)
        assert any(words.verdict(truth.verdict) in n for n in notes)  # said when the comparison ended
        assert [str(table.get_cell_at((r, 3))) for r in range(2)] == ["3/3", "3/3"]
        labels = [table.get_row_at(r)[2].plain for r in range(2)]
        best = truth.groups[0].name
        assert table.get_row_at(labels.index(best))[6] == "best"
        first = labels[0]  # the cursor's row

        table.focus()
        await pilot.press("enter")  # the first schedule's seeds, under it
        await until(pilot, lambda: table.row_count == 5)
        assert [table.get_row_at(r)[3] for r in (1, 2, 3)] == ["0", "1", "2"]
        await pilot.press("enter")
        await until(pilot, lambda: table.row_count == 2)

        await pilot.press("space")  # a schedule's seeds hidden together, then shown together
        await until(pilot, lambda: not any(v.shown for v in views if v.group == first))
        assert all(v.shown for v in views if v.group != first)
        await pilot.press("space")
        await until(pilot, lambda: all(v.shown for v in views))
        loss = app.query_one("#loss-chart", Chart)
        await until(pilot, lambda: {f"{first} min", f"{first} max"} <= {s.label for s in loss.series})
        assert sum(s.label == first for s in loss.series) == 1  # its mean
        await pilot.press("g")  # every seed instead
        await until(pilot, lambda: not any(s.label.endswith(" min") for s in loss.series))
        assert sum(s.label.startswith(first) and not s.label.endswith(" val") for s in loss.series) == 3

        await pilot.press("M")
        await until(pilot, lambda: "(by best val loss" in status_text(app))
        app.action_copy_winner()  # the palette's "Copy the winner as code"
        await until(pilot, lambda: type(app.screen).__name__ == "CodeScreen" and app.screen.query("#code"))
        judged = list(app.judged.values())[-1]
        winner = next(v for v in views if v.group == judged.verdict.best)
        assert app.screen.query_one("#code").text == (
            f"# the winner, by best val loss: {words.verdict(judged.verdict)}\n{stored_snippet(winner.config, winner.group)}")


async def test_the_verdict_on_the_status_line_firms_up_as_pairs_complete(store):
    config = {"scheduler": {"name": "StepLR"}, "training": {"task": "spirals", "seed": 0, "seeds": [0, 1, 2]}}
    app = LrtuiApp(store=store, device="cpu")
    async with app.run_test(size=(120, 36)) as pilot:
        run_id = 100
        for seed in range(3):
            for group, loss in (("good", 1.0), ("bad", 2.0)):
                run_id += 1
                key = f"k{run_id}"
                started = RunStarted(key, group, "train", config | {"training": config["training"] | {"seed": seed}},
                                     None, "spirals", seed, "cpu", "cpu", 1, 1, run_id=run_id, comparison="c",
                                     group=group)
                ended = EpochEnded(key, 0, 0.1, loss + 0.1, loss + 0.01 * seed, 0.5, 0.1, 100.0)
                app.post_message(TrainingEvents([started, ended, RunEnded(key, Status.FINISHED)]))
                await until(pilot, lambda i=run_id: i in app.book.runs and app.book.runs[i].status == "finished")
                app.next_redraw = 0.0
                await until(pilot, lambda: not app.charts_dirty)  # redrawn with it: the table and the status line
                if seed < 2 and group == "bad":  # both schedules in, fewer than 3 pairs
                    assert "verdict: not enough seeds yet" in status_text(app)
        await until(pilot, lambda: "good is best" in status_text(app))
        table = app.query_one("#runs", RunsTable)
        assert [table.get_row_at(r)[2].plain for r in range(2)] == ["bad", "good"]  # by id, newest first
        table.focus()
        await pilot.press("down", "enter")  # good's seeds under it
        await until(pilot, lambda: table.row_count == 5)
        await pilot.press("o")  # by best val loss: the schedules sort, each seed stays under its own
        await until(pilot, lambda: table.get_row_at(0)[2].plain == "good")
        assert [table.get_row_at(r)[2].plain.strip() for r in range(5)] == [
            "good", "seed 0", "seed 1", "seed 2", "bad"]
