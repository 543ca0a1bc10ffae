"""Shipped presets load, preview and round-trip; bad presets are refused with file and key; user presets
live beside the shipped ones and shadow them; nothing in a preset is ever executed."""
from __future__ import annotations

import tomllib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from lrtui.paths import SHIPPED_PRESETS
from lrtui.plan import presets
from lrtui.schedule.params import ConfigError
from lrtui.schedule.preview import exact_curve, preview

SHIPPED = {
    "seed-four", "resnet-multistep", "cosine-warmup", "one-cycle", "sgdr", "cyclic", "wsd", "polynomial",
    "inverse-sqrt", "reduce-on-plateau", "modern-compare", "step-grid",
}


@pytest.fixture(autouse=True)
def user_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test sees an empty user config dir, never the real one."""
    root = tmp_path / "config"
    monkeypatch.setenv("LRTUI_CONFIG_DIR", str(root))
    return root / "presets"


def shipped() -> dict[str, Path]:
    return {name: path for name, path in presets.available().items() if path.parent == SHIPPED_PRESETS}


def length(preset: presets.Preset, run: presets.Run) -> int:
    """Every shipped preset trains on spirals: 6,000 training points, so ceil(6000 / batch) batches."""
    assert preset.training["task"] == "spirals"
    epochs = preset.training["epochs"]
    per_epoch = preset.training["steps_per_epoch"] or -(-6000 // preset.training["batch_size"])
    return epochs * per_epoch if run.schedule.interval == "step" else epochs


# --- shipped presets ---------------------------------------------------------------------------------

def test_every_expected_preset_is_shipped() -> None:
    assert set(shipped()) == SHIPPED
    assert {p.stem for p in SHIPPED_PRESETS.glob("*.toml")} == SHIPPED


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_preset_loads_and_every_run_previews(name: str) -> None:
    preset = presets.find(name)
    assert preset.name == name
    assert preset.path == SHIPPED_PRESETS / f"{name}.toml"
    assert len(preset.description.split()) >= 20, "a description says when to use the preset"
    assert preset.training["task"] == "spirals"
    assert 30 <= preset.training["epochs"] <= 100
    assert preset.runs
    assert len({run.label for run in preset.runs}) == len(preset.runs), "labels tell runs apart"
    for run in preset.runs:
        n = length(preset, run)
        if run.schedule.interval == "step":
            assert preset.steps_per_epoch == 47  # ceil(6000 / 128): the batches training will count
        assert preset.length(run) == n
        curve = preview(run.schedule, run.optimizer, n)
        assert curve.lr.shape == (n,)
        assert np.all(np.isfinite(curve.lr)) and np.all(curve.lr >= 0)
        assert curve.lr.max() > curve.lr.min(), f"{run.label}: the lr never moves"
        assert curve.lr.max() > 0
        # what the preview shows is what the torch scheduler does in training
        np.testing.assert_allclose(curve.lr, exact_curve(run.schedule, run.optimizer, n).lr, rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_preset_round_trips(name: str) -> None:
    preset = presets.find(name)
    again = presets.parse(tomllib.loads(presets.to_toml(preset)))
    assert again == replace(preset, path=None)


def test_seed_four_is_exactly_the_article() -> None:
    preset = presets.find("seed-four")
    assert preset.training["epochs"] == 100
    assert preset.optimizer.name == "SGD"
    assert preset.optimizer.lr == 0.1
    assert preset.optimizer.params["momentum"] == 0.0  # optim.SGD(model.parameters(), lr=0.1)
    got = [(run.schedule.name, run.schedule.params, run.schedule.interval, run.schedule.warmup, run.optimizer)
           for run in preset.runs]
    assert got == [
        ("StepLR", {"step_size": 30, "gamma": 0.1}, "epoch", 0, preset.optimizer),
        ("MultiStepLR", {"milestones": [30, 80], "gamma": 0.1}, "epoch", 0, preset.optimizer),
        ("ExponentialLR", {"gamma": 0.1}, "epoch", 0, preset.optimizer),
        ("CosineAnnealingLR", {"T_max": "auto", "eta_min": 0.0}, "epoch", 0, preset.optimizer),
    ]
    step, multi, expo, cosine = (preview(r.schedule, r.optimizer, 100).lr for r in preset.runs)
    assert step[29] == pytest.approx(0.1) and step[30] == pytest.approx(0.01) and step[90] == pytest.approx(1e-4)
    assert multi[79] == pytest.approx(0.01) and multi[80] == pytest.approx(0.001)
    assert expo[3] == pytest.approx(1e-4)
    assert cosine[50] == pytest.approx(0.05)  # T_max is the run length: halfway down at epoch 50


# --- bad presets ---------------------------------------------------------------------------------------

HEAD = 'name = "bad"\n[training]\nepochs = 10\n'
OK_RUN = '[[runs]]\nscheduler = { name = "StepLR", params = { step_size = 3 } }\n'

BAD = {
    "unknown training key": (HEAD + "colour = 1\n" + OK_RUN, "training.colour"),
    "unknown top-level key": ('name = "bad"\ncolour = "red"\n' + OK_RUN, "colour"),
    "no runs": (HEAD, "runs"),
    "empty runs": ('name = "bad"\nruns = []\n', "runs"),
    "runs not tables": ('name = "bad"\nruns = [1, 2]\n', "runs"),
    "unknown scheduler": (HEAD + '[[runs]]\nscheduler = { name = "StepLr", params = { step_size = 3 } }\n',
                          "runs[0].scheduler.name"),
    "bad parameter": (HEAD + OK_RUN + '[[runs]]\nscheduler = { name = "StepLR", params = { step_size = 3, gamma = -2.0 } }\n',
                      "runs[1].scheduler.params.gamma"),
    "missing parameter": (HEAD + '[[runs]]\nscheduler = { name = "StepLR" }\n', "runs[0].scheduler.params.step_size"),
    "unknown parameter": (HEAD + '[[runs]]\nscheduler = { name = "StepLR", params = { step_size = 3, gama = 0.5 } }\n',
                          "runs[0].scheduler.params.gama"),
    "unsorted milestones": (HEAD + '[[runs]]\nscheduler = { name = "MultiStepLR", params = { milestones = [8, 4] } }\n',
                            "runs[0].scheduler.params.milestones"),
    "params not a table": (HEAD + '[[runs]]\nscheduler = { name = "StepLR", params = "step_size=3" }\n',
                           "runs[0].scheduler.params"),
    "scheduler not a table": (HEAD + '[[runs]]\nscheduler = "StepLR"\n', "runs[0].scheduler"),
    "unknown key in scheduler": (HEAD + '[[runs]]\nscheduler = { name = "StepLR", param = { step_size = 3 } }\n',
                                 "runs[0].scheduler.param"),
    "bad optimizer arg": (HEAD + '[optimizer]\nname = "SGD"\nlr = -0.1\n' + OK_RUN, "optimizer.lr"),
    "optimizer arg of another optimizer": (HEAD + '[optimizer]\nname = "SGD"\nbetas = [0.9, 0.99]\n' + OK_RUN,
                                           "optimizer.betas"),
    "unknown optimizer": (HEAD + '[optimizer]\nname = "Adagrad"\n' + OK_RUN, "optimizer.name"),
    "optimizer not a table": ('name = "bad"\noptimizer = "SGD"\n' + OK_RUN, "optimizer"),
    "bad run optimizer arg": (HEAD + OK_RUN + 'optimizer = { lr = 0 }\n', "runs[0].optimizer.lr"),
    "run optimizer not a table": (HEAD + OK_RUN + 'optimizer = "Adam"\n', "runs[0].optimizer"),
    "negative warmup": (HEAD + OK_RUN + "warmup = -1\n", "runs[0].warmup"),
    "warmup not an integer": (HEAD + OK_RUN + 'warmup = "5"\n', "runs[0].warmup"),
    "warmup refused": (HEAD + '[[runs]]\nscheduler = { name = "OneCycleLR", params = { max_lr = 0.1 } }\nwarmup = 5\n',
                       "runs[0].warmup"),
    "bad interval": (HEAD + '[[runs]]\nscheduler = { name = "StepLR", interval = "batch", params = { step_size = 3 } }\n',
                     "runs[0].scheduler.interval"),
    "plateau per step": (HEAD + '[[runs]]\nscheduler = { name = "ReduceLROnPlateau", interval = "step" }\n',
                         "runs[0].scheduler.interval"),
    "unknown key in a run": (HEAD + OK_RUN + "lr = 0.1\n", "runs[0].lr"),
    "unknown key in a later run": (HEAD + OK_RUN + OK_RUN + "warmpu = 3\n", "runs[1].warmpu"),
    "bad training value": ('name = "bad"\n[training]\nepochs = 0\n' + OK_RUN, "training.epochs"),
    "bad device": ('name = "bad"\n[training]\ndevice = "gpu"\n' + OK_RUN, "training.device"),
    "training not a table": ('name = "bad"\ntraining = 5\n' + OK_RUN, "training"),
    "no seeds": ('name = "bad"\n[training]\nseeds = 0\n' + OK_RUN, "training.seeds"),
    "empty seeds": ('name = "bad"\n[training]\nseeds = []\n' + OK_RUN, "training.seeds"),
    "repeated seeds": ('name = "bad"\n[training]\nseeds = [3, 1, 3]\n' + OK_RUN, "training.seeds"),
    "negative seed in seeds": ('name = "bad"\n[training]\nseeds = [0, -1]\n' + OK_RUN, "training.seeds"),
    "no runs batched": ('name = "bad"\n[training]\nbatch_runs = 0\n' + OK_RUN, "training.batch_runs"),
    "batch_runs a word": ('name = "bad"\n[training]\nbatch_runs = "on"\n' + OK_RUN, "training.batch_runs"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_preset_is_refused_with_file_and_key(case: str, tmp_path: Path) -> None:
    text, key = BAD[case]
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        presets.load(path)
    assert str(info.value).startswith(f"{path}: {key}: "), str(info.value)
    assert info.value.key == f"{path}: {key}"
    assert info.value.problem


def test_the_bad_cases_differ_from_a_good_preset_only_where_they_say(tmp_path: Path) -> None:
    path = tmp_path / "good.toml"
    path.write_text(HEAD + OK_RUN + OK_RUN, encoding="utf-8")
    preset = presets.load(path)
    assert preset.name == "bad" and len(preset.runs) == 2 and preset.training["epochs"] == 10


def test_invalid_toml_is_refused_with_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('name = "unterminated\n' + OK_RUN, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        presets.load(path)
    assert str(info.value).startswith(f"{path}: ")
    assert info.value.key == str(path)
    assert "not valid TOML" in info.value.problem


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    with pytest.raises(ConfigError) as info:
        presets.find(str(path))
    assert str(info.value).startswith(str(path))
    assert "cannot read" in info.value.problem


def test_unknown_scheduler_suggests_the_right_spelling(tmp_path: Path) -> None:
    path = tmp_path / "typo.toml"
    path.write_text(HEAD + '[[runs]]\nscheduler = { name = "steplr", params = { step_size = 3 } }\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="did you mean StepLR"):
        presets.load(path)


# --- user presets ----------------------------------------------------------------------------------------

def test_saved_user_preset_is_listed_beside_the_shipped_ones(user_dir: Path) -> None:
    seed = presets.find("seed-four")
    mine = replace(seed, name="my-cosine", description="only the cosine", runs=seed.runs[3:], path=None)
    path = presets.save(mine)
    assert path == user_dir / "my-cosine.toml"
    found = presets.available()
    assert found["my-cosine"] == path
    assert SHIPPED <= set(found)
    assert set(shipped()) == SHIPPED
    loaded = presets.find("my-cosine")
    assert loaded == replace(mine, path=path)
    assert [r.schedule.name for r in loaded.runs] == ["CosineAnnealingLR"]


def test_user_preset_shadows_a_shipped_one(user_dir: Path) -> None:
    shipped_text = (SHIPPED_PRESETS / "seed-four.toml").read_text(encoding="utf-8")
    seed = presets.find("seed-four")
    mine = replace(seed, description="my own seed-four", runs=seed.runs[:1], path=None)
    path = presets.save(mine)
    assert presets.available()["seed-four"] == path == user_dir / "seed-four.toml"
    loaded = presets.find("seed-four")
    assert loaded.description == "my own seed-four"
    assert [r.schedule.name for r in loaded.runs] == ["StepLR"]
    assert (SHIPPED_PRESETS / "seed-four.toml").read_text(encoding="utf-8") == shipped_text
    assert "seed-four" not in shipped()  # the listing now points at the user's file


def test_find_by_path_loads_that_file(tmp_path: Path) -> None:
    path = tmp_path / "elsewhere.toml"
    path.write_text(OK_RUN, encoding="utf-8")
    preset = presets.find(str(path))
    assert preset.name == "elsewhere" and preset.path == path
    assert "elsewhere" not in presets.available()


def test_find_unknown_name_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as info:
        presets.find("no-such-preset")
    assert info.value.key == "preset"
    assert "no-such-preset" in info.value.problem


# --- a preset is data -------------------------------------------------------------------------------------

@pytest.mark.parametrize("expression", [
    "__import__('os').system('touch {marker}')",
    "open('{marker}', 'w').close() or 1",
    "(lambda: __import__('os').system('touch {marker}'))()",
    "[c for c in ().__class__.__base__.__subclasses__()][0]",
    "epoch.__class__",
])
def test_loading_a_preset_never_executes_code(expression: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "X"
    path = tmp_path / "evil.toml"
    lam = expression.format(marker=marker)
    path.write_text(HEAD + f'[[runs]]\nscheduler = {{ name = "LambdaLR", params = {{ lr_lambda = "{lam}" }} }}\n',
                    encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        presets.load(path)
    assert info.value.key == f"{path}: runs[0].scheduler.params.lr_lambda"
    assert not marker.exists()
    assert not (tmp_path / "X").exists()


def test_a_plain_expression_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "lambda.toml"
    path.write_text(HEAD + '[[runs]]\nscheduler = { name = "LambdaLR", params = { lr_lambda = "0.5 ** epoch" } }\n',
                    encoding="utf-8")
    preset = presets.load(path)
    lr = preview(preset.runs[0].schedule, preset.runs[0].optimizer, 10).lr
    np.testing.assert_allclose(lr, 0.1 * 0.5 ** np.arange(10))


# --- malformed user presets ----------------------------------------------------------------------------

MALFORMED = {  # file name: (its bytes, what the refusal says)
    "binary.toml": (bytes(range(256)), "not a text file"),
    "listname.toml": (b'[[runs]]\nscheduler = { name = ["StepLR"] }\n', "runs[0].scheduler.name"),
    "optname.toml": (b'optimizer = { name = ["SGD"] }\n' + OK_RUN.encode(), "optimizer.name"),
    "toplevel.toml": (b'name = ["x"]\n' + OK_RUN.encode(), "name: needs a string"),
    "folder.toml": (None, "not a regular file"),
}


@pytest.fixture
def malformed(user_dir: Path) -> Path:
    user_dir.mkdir(parents=True)
    for name, (data, _) in MALFORMED.items():
        path = user_dir / name
        path.mkdir() if data is None else path.write_bytes(data)
    return user_dir


def test_malformed_user_presets_are_each_refused_with_their_file(malformed: Path) -> None:
    for name, (_, says) in MALFORMED.items():
        with pytest.raises(ConfigError) as info:
            presets.find(Path(name).stem)
        assert str(info.value).startswith(f"{malformed / name}") and says in str(info.value)


def test_malformed_user_presets_leave_every_other_preset_loadable(malformed: Path, cli) -> None:
    for name in SHIPPED:
        assert presets.find(name).runs
    code, out, err = cli("preview", "seed-four", "--format", "csv")
    assert code == 0 and err == "" and out.count("\n") == 1 + 4 * 100
    code, out, err = cli("list", "presets")
    assert code == 0 and err == ""
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert SHIPPED | {Path(n).stem for n in MALFORMED} == set(lines)
    for name, (_, says) in MALFORMED.items():
        assert "user" in lines[Path(name).stem] and f"refused: {says}" in lines[Path(name).stem]


@pytest.mark.parametrize("name", ["..", ".", "...", ".hidden", "a/b", "../up", "a\\b", "", "a\0b"])
def test_a_name_that_is_no_plain_file_name_is_refused_and_nothing_is_written(name: str, user_dir: Path) -> None:
    seed = presets.find("seed-four")
    with pytest.raises(ConfigError) as info:
        presets.save(replace(seed, name=name, path=None))
    assert info.value.key == "name" and repr(name) in info.value.problem
    assert not any(user_dir.parent.parent.rglob("*.toml"))  # "../up" would land beside the presets dir


@pytest.mark.parametrize("name", ["my.preset", "a..b", "x-1_2"])
def test_a_name_with_dots_inside_is_a_preset_name(name: str, user_dir: Path) -> None:
    seed = presets.find("seed-four")
    assert presets.save(replace(seed, name=name, path=None)) == user_dir / f"{name}.toml"
    assert presets.find(name).runs == seed.runs
