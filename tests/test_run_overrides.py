"""`lrtui run` and `lrtui find` take preview's overrides (--set, --lr, --optimizer), with its meaning."""
import json

import pytest
import torch
from torch_truth import torch_lrs


def trained(cli, *argv):
    code, out, err = cli("run", "seed-four", "--epochs", "2", "--device", "cpu", "--json", *argv)
    assert code == 0, err
    return {run["label"]: run for run in json.loads(out)["runs"]}


S = torch.optim.lr_scheduler


def test_lr_reaches_every_run_as_the_lr_the_optimizer_used(cli):
    runs = trained(cli, "--lr", "0.05")
    truth = {"StepLR": lambda o: S.StepLR(o, 30, 0.1), "MultiStepLR": lambda o: S.MultiStepLR(o, [30, 80], 0.1),
             "ExponentialLR": lambda o: S.ExponentialLR(o, 0.1),
             "CosineAnnealingLR": lambda o: S.CosineAnnealingLR(o, 2)}
    assert set(runs) == set(truth)
    for label, make in truth.items():
        assert [e["lr"] for e in runs[label]["epochs"]] == pytest.approx(torch_lrs(make, 2, 0.05), rel=1e-12)


def test_set_reaches_each_run_whose_scheduler_has_the_parameter(cli):
    runs = trained(cli, "--set", "gamma=0.5", "--set", "step_size=1")
    assert runs["StepLR"]["scheduler"]["params"] == {"step_size": 1, "gamma": 0.5}
    assert runs["MultiStepLR"]["scheduler"]["params"]["gamma"] == 0.5
    assert [e["lr"] for e in runs["StepLR"]["epochs"]] == pytest.approx(
        torch_lrs(lambda o: S.StepLR(o, 1, 0.5), 2, 0.1), rel=1e-12)
    assert [e["lr"] for e in runs["ExponentialLR"]["epochs"]] == pytest.approx(
        torch_lrs(lambda o: S.ExponentialLR(o, 0.5), 2, 0.1), rel=1e-12)
    assert "gamma" not in runs["CosineAnnealingLR"]["scheduler"]["params"]


def test_optimizer_trains_every_run_with_it_at_the_presets_lr(cli, tmp_path):
    code, out, err = cli("run", "seed-four", "--epochs", "1", "--device", "cpu", "--optimizer", "Adam", "--json")
    assert code == 0, err
    from lrtui.runs.store import Store
    store = Store.at(tmp_path / "runs", False)
    for run in json.loads(out)["runs"]:
        assert store.run(run["id"])["config"]["optimizer"] == {"name": "Adam", "lr": 0.1, "betas": [0.9, 0.999],
                                                              "eps": 1e-8, "weight_decay": 0.0}


@pytest.mark.parametrize("argv, names", [
    (["--lr", "-1"], ["lr"]),
    (["--lr", "fast"], ["--lr", "fast"]),
    (["--set", "gamma=-1"], ["gamma"]),
    (["--set", "T_0=3"], ["T_0"]),
    (["--set", "gamma"], ["--set", "KEY=VALUE"]),
    (["--optimizer", "Lion"], ["--optimizer", "Lion"]),
])
def test_bad_overrides_exit_2_with_one_line_before_training(cli, tmp_path, argv, names):
    code, out, err = cli("run", "seed-four", "--epochs", "1", "--device", "cpu", *argv)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    for name in names:
        assert name in err
    assert json.loads(cli("runs", "--json")[1]) == {"runs": []}  # nothing trained


def test_find_optimizer_keeps_the_presets_arguments_as_preview_does(cli):
    code, out, err = cli("find", "--preset", "seed-four", "--optimizer", "Adam", "--steps", "20", "--device", "cpu",
                         "--json")
    assert code == 0, err
    assert json.loads(out)["config"]["optimizer"]["name"] == "Adam"
    assert json.loads(out)["config"]["optimizer"]["lr"] == 0.1
