"""The command line contract: outputs, exit codes, one-line errors, no torch for --help."""
import csv
import io
import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from torch_truth import torch_lrs

from lrtui.output import plots, tables
from lrtui.schedule.catalogue import CATALOGUE


def test_preview_json_is_what_torch_produces(cli):
    code, out, _ = cli("preview", "MultiStepLR", "--set", "milestones=[3, 7]", "--set", "gamma=0.5",
                       "--epochs", "10", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    expected = torch_lrs(lambda o: torch.optim.lr_scheduler.MultiStepLR(o, [3, 7], 0.5), 10)
    assert doc["lr"] == pytest.approx(expected, rel=1e-12)
    assert doc["scheduler"] == {"name": "MultiStepLR", "params": {"milestones": [3, 7], "gamma": 0.5}}
    assert doc["interval"] == "epoch" and doc["length"] == 10


def test_preview_per_step_covers_every_batch_and_stops_before_onecycle_overflows(cli):
    code, out, _ = cli("preview", "OneCycleLR", "--set", "max_lr=0.3", "--set", "pct_start=0.25",
                       "--epochs", "3", "--steps-per-epoch", "20", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    expected = torch_lrs(lambda o: torch.optim.lr_scheduler.OneCycleLR(o, 0.3, total_steps=60, pct_start=0.25), 60)
    assert len(doc["lr"]) == 60
    assert doc["lr"] == pytest.approx(expected, rel=1e-9)
    assert len(doc["momentum"]) == 60 and max(doc["momentum"]) == pytest.approx(0.95)


def test_set_reads_toml_values_and_auto(cli):
    code, out, _ = cli("preview", "CosineAnnealingLR", "--set", "T_max=auto", "--set", "eta_min=0.001",
                       "--epochs", "8", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    expected = torch_lrs(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 8, 0.001), 8)
    assert doc["lr"] == pytest.approx(expected, rel=1e-12)
    code, out, _ = cli("preview", "OneCycleLR", "--set", "max_lr=1", "--set", 'anneal_strategy="linear"',
                       "--set", "three_phase=true", "--epochs", "2", "--steps-per-epoch", "10", "--format", "json")
    assert code == 0 and json.loads(out)["scheduler"]["params"]["three_phase"] is True


def test_warmup_flag_ramps_then_starts_the_schedule(cli):
    code, out, _ = cli("preview", "StepLR", "--set", "step_size=2", "--warmup", "3", "--epochs", "8",
                       "--format", "json")
    assert code == 0
    lr = json.loads(out)["lr"]
    assert lr[:3] == pytest.approx([0.1 / 4, 0.2 / 4, 0.3 / 4])
    assert lr[3:] == pytest.approx([0.1, 0.1, 0.01, 0.01, 0.001])


def test_csv_has_every_step_of_every_run(cli):
    code, out, _ = cli("preview", "--preset", "seed-four", "--epochs", "12", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 4 * 12
    step = [float(r["lr"]) for r in rows if r["run"] == "StepLR"]
    assert step == pytest.approx(torch_lrs(lambda o: torch.optim.lr_scheduler.StepLR(o, 30, 0.1), 12))


def test_csv_reads_back_as_the_previews_floats_exactly(cli, tmp_path):
    from lrtui.plan.presets import load
    from lrtui.schedule.preview import preview

    path = tmp_path / "mixed.toml"
    path.write_text('[training]\nepochs = 7\nsteps_per_epoch = 30\n'
                    '[[runs]]\nlabel = \'cycle "1", {x}\'\n'
                    'scheduler = { name = "OneCycleLR", interval = "step", params = { max_lr = 0.3 } }\n'
                    '[[runs]]\nlabel = "plateau"\n'
                    'scheduler = { name = "ReduceLROnPlateau", params = { patience = 1 } }\n')
    code, out, _ = cli("preview", "--preset", str(path), "--format", "csv")
    assert code == 0 and out.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(out, newline="")))
    assert rows[0] == ["run", "interval", "index", "lr", "momentum", "metric"]
    preset = load(path)
    expected = []
    for r in preset.runs:
        c = preview(r.schedule, r.optimizer, preset.length(r))
        absent = [""] * len(c.lr)
        expected += zip([r.label] * len(c.lr), [r.schedule.interval] * len(c.lr), range(len(c.lr)), c.lr.tolist(),
                        absent if c.momentum is None else c.momentum.tolist(),
                        absent if c.metric is None else c.metric.tolist())
    read = lambda text: float(text) if text else ""  # noqa: E731
    assert [(r[0], r[1], int(r[2]), *map(read, r[3:])) for r in rows[1:]] == expected
    assert len(expected) == 7 * 30 + 7 and expected[0][4] != "" and expected[-1][5] != ""


def test_preset_json_lists_runs_and_set_reaches_the_runs_that_have_the_key(cli):
    code, out, _ = cli("preview", "--preset", "seed-four", "--set", "gamma=0.5", "--epochs", "5",
                       "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["preset"] == "seed-four" and len(doc["runs"]) == 4
    gammas = {r["label"]: r["scheduler"]["params"].get("gamma") for r in doc["runs"]}
    assert gammas["ExponentialLR"] == 0.5 and gammas["StepLR"] == 0.5
    assert "gamma" not in doc["runs"][3]["scheduler"]["params"]  # cosine has no gamma


def test_table_shows_both_sides_of_each_drop(cli):
    code, out, _ = cli("preview", "StepLR", "--set", "step_size=37", "--epochs", "100")
    assert code == 0
    rows = {int(line.split()[0]): float(line.split()[1]) for line in out.splitlines() if line.strip()[:1].isdigit()}
    assert rows[36] == pytest.approx(0.1) and rows[37] == pytest.approx(0.01)
    assert rows[73] == pytest.approx(0.01) and rows[74] == pytest.approx(0.001)


def test_plot_overlays_every_run_without_colour_codes_when_piped(cli):
    code, out, _ = cli("preview", "--preset", "seed-four", "--format", "plot", "--log")
    assert code == 0
    for label in ("StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR"):
        assert label in out
    assert "\x1b[" not in out and "1e-1" in out


LEVELS = ["run at 0.1", "run at 0.4", "run at 0.7", "run at 1.0"]


def levels(tmp_path):
    """A preset of four flat lrs, one per run, each drawn on its own row of a chart."""
    path = tmp_path / "levels.toml"
    path.write_text("[training]\nepochs = 20\n" + "".join(
        f'[[runs]]\nlabel = "{label}"\nscheduler = {{ name = "StepLR", params = {{ step_size = 100 }} }}\n'
        f'optimizer = {{ name = "SGD", lr = {label[-3:]} }}\n' for label in LEVELS))
    return path


def test_plot_legend_is_under_the_chart_one_line_per_run_in_order(cli, monkeypatch, tmp_path):
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("LINES", "31")  # a plot of 30 rows in all
    code, out, _ = cli("preview", "--preset", str(levels(tmp_path)), "--format", "plot")
    assert code == 0
    lines = out.splitlines()
    chart, legend = lines[:-4], lines[-4:]
    assert len(chart) == 30 - 4 and chart[-1].strip() == "epoch"  # the chart ends with its x label
    assert not any(label in row for row in chart for label in LEVELS)
    assert [line.split(" ", 1)[1] for line in legend] == LEVELS
    swatches = [line.split(" ", 1)[0] for line in legend]
    assert len(set(swatches)) == 4
    # the marker each run is drawn with, on the one row of its flat lr, higher for a higher lr (the
    # first run's is braille, drawn as lines)
    rows = [row for (row,) in ([i for i, text in enumerate(chart[1:-3]) if s[0] in text] for s in swatches[1:])]
    assert rows == sorted(set(rows), reverse=True)


def test_coloured_plot_gives_each_run_its_own_colour_and_its_swatch_that_colour(monkeypatch, tmp_path):
    import re

    from lrtui.plan import presets
    from lrtui.schedule.preview import preview

    monkeypatch.setenv("LINES", "31")  # plotext clips a chart to the terminal
    preset = presets.find(str(levels(tmp_path)))
    curves = [preview(r.schedule, r.optimizer, preset.length(r)) for r in preset.runs]
    lines = plots.plot(preset, curves, 100, 12, colour=True).splitlines()
    chart, legend = lines[:-4], lines[-4:]
    assert len(chart) == 10  # never shorter than 10 rows
    colours = [re.match(r"\x1b\[[0-9;]*m", line).group() for line in legend]
    assert len(set(colours)) == 4
    rows = [row for (row,) in ([i for i, text in enumerate(chart) if c in text] for c in colours)]
    assert rows == sorted(set(rows), reverse=True)  # each on the one row of its flat lr, higher for a higher lr
    assert [re.sub(r"\x1b\[[0-9;]*m", "", line).split(" ", 1)[1] for line in legend] == LEVELS


@pytest.mark.parametrize("argv, names", [
    (["preview", "StepLR", "--set", "step_size=0"], ["step_size", "StepLR", "0"]),
    (["preview", "StepLR"], ["step_size"]),
    (["preview", "StepLR", "--set", "step_size"], ["--set", "KEY=VALUE"]),
    (["preview", "StepLR", "--set", "step_size=3", "--set", "gama=0.5"], ["gama"]),
    (["preview", "NoSuchLR"], ["NoSuchLR"]),
    (["preview", "steplr"], ["StepLR"]),
    (["preview", "ExponentialLR", "--set", "gamma=1.5"], ["gamma", "1.5"]),
    (["preview", "OneCycleLR", "--set", "max_lr=0.1", "--warmup", "5"], ["warmup", "OneCycleLR"]),
    (["preview", "ReduceLROnPlateau", "--interval", "step"], ["interval"]),
    (["preview", "StepLR", "--set", "step_size=2", "--epochs", "0"], ["epochs"]),
    (["preview", "StepLR", "--set", "step_size=2", "--lr", "-1"], ["lr"]),
    (["preview", "StepLR", "--preset", "seed-four"], ["preset"]),
    (["preview", "--preset", "seed-four", "--set", "T_0=3"], ["T_0"]),
    (["preview", "--preset", "no/such/file.toml"], ["no/such/file.toml"]),
    (["preview", "LambdaLR", "--set", "lr_lambda='__import__(\"os\")'"], ["lr_lambda"]),
    (["preview", "LambdaLR", "--set", "lr_lambda='1 - epoch / 5'", "--epochs", "10"], ["LambdaLR", "6"]),
    (["preview", "StepLR", "--format", "xml"], ["xml"]),
    (["preview", "StepLR", "--epochs", "many"], ["many"]),
    (["list", "things"], ["things"]),
    (["list", "schedulers", "NoSuchLR"], ["NoSuchLR"]),
    (["code", "CyclicLR", "--set", "base_lr=0.1", "--set", "max_lr=0.2", "--set", "base_momentum=0.95"],
     ["base_momentum", "max_momentum"]),
])
def test_bad_input_exits_2_with_one_line_naming_it(cli, argv, names):
    code, out, err = cli(*argv)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    for name in names:
        assert name in err


def test_list_schedulers_shows_the_whole_catalogue_and_details(cli):
    code, out, _ = cli("list", "schedulers")
    assert code == 0
    for name in CATALOGUE:
        assert name in out
    code, out, _ = cli("list", "schedulers", "OneCycleLR")
    assert code == 0
    for param in ("max_lr", "pct_start", "div_factor", "three_phase", "base_momentum"):
        assert param in out
    assert "warmup: not accepted" in out


def test_list_presets_and_tasks(cli):
    code, out, _ = cli("list", "presets")
    assert code == 0 and "seed-four" in out and "shipped" in out
    code, out, _ = cli("list", "tasks")
    assert code == 0 and out.strip()


def test_a_broken_user_preset_is_listed_with_its_problem(cli, tmp_path, monkeypatch):
    folder = tmp_path / "config" / "presets"
    folder.mkdir(parents=True)
    (folder / "mine.toml").write_text('[[runs]]\nscheduler = { name = "StepLR", params = { step_size = 0 } }\n')
    code, out, _ = cli("list", "presets")
    assert code == 0
    line = next(line for line in out.splitlines() if "mine" in line)
    assert "user" in line and "step_size" in line


def test_help_answers_without_importing_torch():
    probe = ("import sys\nfrom lrtui.cli.main import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
             "print('torch' in sys.modules, 'textual' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "False False"


def test_python_m_lrtui_and_version():
    result = subprocess.run([sys.executable, "-m", "lrtui", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("lrtui ")


def _config(scheduler="StepLR", params=None, lr=0.1, seed=0, epochs=20):
    return {"preset": "mine", "scheduler": {"name": scheduler, "params": params or {"step_size": 10, "gamma": 0.1}},
            "interval": "epoch", "warmup": 0, "optimizer": {"name": "SGD", "lr": lr, "momentum": 0.9},
            "training": {"task": "synthetic", "epochs": epochs, "batch_size": 64, "seed": seed, "device": "cpu"}}


def test_labels_name_the_scheduler_and_what_differs_among_the_runs():
    from lrtui.plan.labels import labels

    assert labels([_config(), _config(params={"step_size": 30, "gamma": 0.1}, lr=0.05)]) == [
        "StepLR step_size=10 lr=0.1", "StepLR step_size=30 lr=0.05"]
    assert labels([_config(seed=1), _config(seed=2), _config(seed=1, epochs=5)]) == [
        "StepLR epochs 20 seed 1", "StepLR epochs 20 seed 2", "StepLR epochs 5 seed 1"]
    assert labels([_config(), _config(scheduler="CosineAnnealingLR", params={"T_max": 20})]) == [
        "StepLR", "CosineAnnealingLR"]  # a parameter only one of them has tells nothing apart: the names do
    adam = _config() | {"optimizer": {"name": "Adam", "lr": 0.1}}
    assert labels([_config(), adam]) == ["StepLR optimizer=SGD", "StepLR optimizer=Adam"]  # not momentum=0.9
    assert labels([_config()]) == ["StepLR"]  # nothing differs from itself
    assert labels([_config(), {"sweep": {"steps": 100}, "optimizer": {"name": "SGD", "lr": 0.1}}])[1].startswith(
        "LR range test")


def test_names_too_long_for_their_room_keep_what_tells_them_apart():
    from lrtui.plan.labels import fitted

    sweep = ["StepLR gamma=0.1 lr=0.3", "StepLR gamma=0.5 lr=0.3"]
    assert fitted(sweep, 30) == sweep  # they fit: as they are
    assert fitted(sweep, 16) == ["gamma=0.1 lr=0.3", "gamma=0.5 lr=0.3"]  # the word they all begin with goes
    assert fitted(["StepLR seed 1", *sweep], 16) == ["StepLR seed 1", *fitted(sweep, 16)]  # where it must
    assert fitted(sweep, 12) == ["gamma=0.1 l…", "gamma=0.5 l…"]  # then each is cut
    assert fitted(["StepLR gamma=0.1 lr=0.3"], 16) == ["StepLR gamma=0.…"]  # alone, nothing tells it apart
    assert fitted(["CosineAnnealingLR", "CosineAnnealingWarmRestarts"], 20) == ["CosineAnnealingLR",
                                                                               "CosineAnnealingWarm…"]


def _store_runs(folder, configs):
    from lrtui.runs.store import Store

    store = Store.at(folder)
    for i, config in enumerate(configs):
        writer = store.start(config["scheduler"]["name"], config["preset"], config, "synthetic", "cpu", "cpu",
                             config["training"]["seed"], 1)
        writer.epoch({"epoch": 0, "lr": 0.1, "train_loss": 1.0 + i, "val_loss": 0.5 + i, "val_acc": 0.25,
                      "seconds": 1.0, "samples_per_s": 100.0})
        writer.finish("finished")
    return store


def test_runs_tells_apart_runs_that_differ_only_in_seed_and_fits_80_columns(cli, tmp_path):
    from rich.console import Console

    from lrtui.judge import scores

    store = _store_runs(tmp_path / "runs", [_config(seed=1), _config(seed=2)])
    code, out, _ = cli("runs", "--runs-dir", str(tmp_path / "runs"))
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:]}
    assert code == 0 and out.splitlines()[0].split()[:4] == ["id", "label", "seed", "preset"]
    assert rows["1"][1:5] == ["StepLR", "seed", "1", "1"] and rows["2"][1:5] == ["StepLR", "seed", "2", "2"]
    assert rows["1"][5] == "mine"
    console = Console(width=80, file=io.StringIO())
    long = _config(params={"step_size": 10, "gamma": 0.123456789, "last_epoch": -1}, lr=0.0123456789)
    store = _store_runs(tmp_path / "more", [long, _config(seed=3, epochs=7)])
    console.print(tables.summary_table([scores.stored(store.run(i)) for i in (1, 2)]))
    lines = console.file.getvalue().splitlines()
    # the labels, without the scheduler both begin with, take a second line, cut there
    assert all(len(line) <= 80 for line in lines) and len(lines) == 5 and lines[1].split()[1] == "gamma=0.123…"
    assert lines[2].strip() == "lr=0.012345…" and lines[4].strip() == "lr=0.1 epoc…"  # between words, else cut
    assert "last_epoch" not in console.file.getvalue()  # one run's alone: it tells nothing apart
    for line, val in zip(lines[1::2], ("0.5000", "1.5000")):  # the figures survive, whole, on the first
        assert line.split()[-4] == val and line.split()[-1] == "1.00"


def test_a_schedule_whose_lr_does_not_change_within_the_run_is_noted_from_its_curve():
    from lrtui.schedule.catalogue import validate
    from lrtui.schedule.optimizers import validate_optimizer
    from lrtui.schedule.preview import preview, unchanging

    sgd = validate_optimizer({"name": "SGD", "lr": 0.1})

    def note(name, params, epochs=5, **kw):
        schedule = validate(name, params, **kw)
        return unchanging(name, schedule, preview(schedule, sgd, epochs))

    assert note("StepLR", {"step_size": 30}) == "StepLR: the lr does not change within the run's 5 epochs"
    assert note("MultiStepLR", {"milestones": [30, 80]}) == (
        "MultiStepLR: the lr does not change within the run's 5 epochs")
    assert note("LambdaLR", {"lr_lambda": "1"}) is not None  # any scheduler: read from the curve
    assert note("StepLR", {"step_size": 30}, 31) is None
    assert note("StepLR", {"step_size": 30}, warmup=2) is None
    assert note("CosineAnnealingLR", {"T_max": "auto"}) is None
    plateau = validate("ReduceLROnPlateau", {})
    assert np.all(preview(plateau, sgd, 5).lr == 0.1)  # flat in a preview, yet training decides it
    assert unchanging("ReduceLROnPlateau", plateau, preview(plateau, sgd, 5)) is None


def test_preview_and_run_note_each_run_whose_lr_does_not_change_before_training(cli):
    code, _, err = cli("preview", "--preset", "seed-four", "--epochs", "5")
    assert code == 0 and err.splitlines() == [
        "lrtui preview: note: StepLR: the lr does not change within the run's 5 epochs",
        "lrtui preview: note: MultiStepLR: the lr does not change within the run's 5 epochs"]
    # 4 at a time, not auto: whether auto finds that batching pays is timed, and a loaded machine may say no
    code, _, err = cli("run", "seed-four", "--epochs", "5", "--device", "cpu", "--batch-runs", "4", "--json")
    lines = err.splitlines()
    assert code == 0 and lines[:3] == [
        "lrtui run: note: StepLR: the lr does not change within the run's 5 epochs",
        "lrtui run: note: compatible runs train 4 at a time as one vectorised model (--batch-runs off: one by one)",
        "lrtui run: note: MultiStepLR: the lr does not change within the run's 5 epochs"]
    assert not any("note" in line for line in lines[3:])  # each as its run starts, once
    code, _, err = cli("preview", "--preset", "seed-four", "--epochs", "31")
    assert code == 0 and err == ""
