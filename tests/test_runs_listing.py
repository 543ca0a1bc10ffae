"""`lrtui runs` reads what its table shows: a training run's epochs, never its step rows (100k of them
for a long run); a range test's steps, from which its suggestion comes."""
from lrtui.runs.store import Store


def test_lrtui_runs_reads_the_steps_of_range_tests_only(cli, tmp_path, monkeypatch):
    store = Store.at(tmp_path / "runs")
    run = store.start("StepLR", None, {"scheduler": {"name": "StepLR"}}, "spirals", "cpu", "cpu", 0, 4)
    run.steps(0, [0.1] * 4, None, [1.0] * 4)
    run.epoch({"epoch": 0, "lr": 0.1, "train_loss": 1.0, "val_loss": 0.9, "val_acc": 0.5, "seconds": 0.2,
               "samples_per_s": 100.0})
    run.finish("finished")
    sweep = store.start("LR range test", None, {"sweep": {"smooth": 0.05}}, "spirals", "cpu", "cpu", 0, 100,
                        kind="find")
    sweep.steps(0, [10 ** (-7 + i / 10) for i in range(100)], None, [1.0 - i / 200 for i in range(100)])
    sweep.finish("finished")
    asked, read = [], Store.run
    monkeypatch.setattr(Store, "run", lambda self, run_id, steps=True, **kw: (asked.append((run_id, steps)),
                                                                             read(self, run_id, steps, **kw))[1])
    code, out, err = cli("runs", "--runs-dir", str(tmp_path / "runs"))
    assert code == 0 and "0.900" in out, err
    assert sorted(asked) == [(run.run_id, False), (sweep.run_id, True)]
