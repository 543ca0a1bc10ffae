"""Validation of schedulers and optimizers: every rule of SCHEDULERS.md "What torch does not check"
is refused with a ConfigError whose key names the parameter and whose message names the scheduler
and the offending value; valid input validates; a few rules are shown to matter in torch itself."""
from __future__ import annotations

import tomllib

import numpy as np
import pytest
import tomli_w
from torch_truth import torch_lrs

from lrtui.schedule.catalogue import CATALOGUE, INTERVALS, Schedule, validate
from lrtui.schedule.optimizers import OPTIMIZERS, OptimizerConfig, validate_optimizer
from lrtui.schedule.params import ConfigError

CYCLIC = {"base_lr": 0.01, "max_lr": 0.1}
ONE_CYCLE = {"max_lr": 0.1}


def seq(*children, milestones):
    return {"schedulers": [{"name": n, "params": p} for n, p in children], "milestones": milestones}


# id: (scheduler, params, keyword arguments of validate, expected key, the offending value as the
# message shows it after "got "; for an expression, as the message quotes it)
RULES = {
    "StepLR step_size 0": ("StepLR", {"step_size": 0}, {}, "step_size", "0"),
    "StepLR step_size -1": ("StepLR", {"step_size": -1}, {}, "step_size", "-1"),
    "StepLR step_size 2.5": ("StepLR", {"step_size": 2.5}, {}, "step_size", "2.5"),
    "StepLR gamma -0.1": ("StepLR", {"step_size": 3, "gamma": -0.1}, {}, "gamma", "-0.1"),
    "StepLR gamma 0": ("StepLR", {"step_size": 3, "gamma": 0.0}, {}, "gamma", "0.0"),
    "MultiStepLR unsorted": ("MultiStepLR", {"milestones": [30, 10]}, {}, "milestones", "[30, 10]"),
    "MultiStepLR negative": ("MultiStepLR", {"milestones": [-5, 10]}, {}, "milestones", "[-5, 10]"),
    "MultiStepLR empty": ("MultiStepLR", {"milestones": []}, {}, "milestones", "[]"),
    "MultiStepLR not ints": ("MultiStepLR", {"milestones": [10, 20.5]}, {}, "milestones", "[10, 20.5]"),
    "ConstantLR factor 0": ("ConstantLR", {"factor": 0}, {}, "factor", "0"),
    "ConstantLR total_iters 0": ("ConstantLR", {"total_iters": 0}, {}, "total_iters", "0"),
    "ConstantLR total_iters -3": ("ConstantLR", {"total_iters": -3}, {}, "total_iters", "-3"),
    "LinearLR start_factor 0": ("LinearLR", {"start_factor": 0}, {}, "start_factor", "0"),
    "LinearLR start_factor 1.5": ("LinearLR", {"start_factor": 1.5}, {}, "start_factor", "1.5"),
    "LinearLR end_factor 1.5": ("LinearLR", {"end_factor": 1.5}, {}, "end_factor", "1.5"),
    "LinearLR total_iters 0": ("LinearLR", {"total_iters": 0}, {}, "total_iters", "0"),
    "ExponentialLR gamma 0": ("ExponentialLR", {"gamma": 0}, {}, "gamma", "0"),
    "ExponentialLR gamma -0.5": ("ExponentialLR", {"gamma": -0.5}, {}, "gamma", "-0.5"),
    "ExponentialLR gamma 1.5": ("ExponentialLR", {"gamma": 1.5}, {}, "gamma", "1.5"),
    "PolynomialLR power -1": ("PolynomialLR", {"power": -1}, {}, "power", "-1"),
    "PolynomialLR total_iters 0": ("PolynomialLR", {"total_iters": 0}, {}, "total_iters", "0"),
    "CosineAnnealingLR T_max 0": ("CosineAnnealingLR", {"T_max": 0}, {}, "T_max", "0"),
    "CosineAnnealingLR T_max -5": ("CosineAnnealingLR", {"T_max": -5}, {}, "T_max", "-5"),
    "CosineAnnealingLR eta_min -1": ("CosineAnnealingLR", {"eta_min": -1e-3}, {}, "eta_min", "-0.001"),
    "WarmRestarts T_0 0": ("CosineAnnealingWarmRestarts", {"T_0": 0}, {}, "T_0", "0"),
    "WarmRestarts T_mult 0": ("CosineAnnealingWarmRestarts", {"T_0": 5, "T_mult": 0}, {}, "T_mult", "0"),
    "WarmRestarts T_mult 2.0": ("CosineAnnealingWarmRestarts", {"T_0": 5, "T_mult": 2.0}, {}, "T_mult", "2.0"),
    "CyclicLR step_size_up 0": ("CyclicLR", {**CYCLIC, "step_size_up": 0}, {}, "step_size_up", "0"),
    "CyclicLR step_size_down 0": ("CyclicLR", {**CYCLIC, "step_size_down": 0}, {}, "step_size_down", "0"),
    "CyclicLR mode": ("CyclicLR", {**CYCLIC, "mode": "sawtooth"}, {}, "mode", '"sawtooth"'),
    "OneCycleLR div_factor 0": ("OneCycleLR", {**ONE_CYCLE, "div_factor": 0}, {}, "div_factor", "0"),
    "OneCycleLR final_div_factor 0": ("OneCycleLR", {**ONE_CYCLE, "final_div_factor": 0}, {},
                                      "final_div_factor", "0"),
    "OneCycleLR pct_start*total_steps <= 1": ("OneCycleLR", {**ONE_CYCLE, "pct_start": 0.3, "total_steps": 3},
                                              {}, "pct_start", "0.3 * 3"),
    "OneCycleLR pct_start 1.5": ("OneCycleLR", {**ONE_CYCLE, "pct_start": 1.5}, {}, "pct_start", "1.5"),
    "OneCycleLR three_phase pct_start 0.6": ("OneCycleLR", {**ONE_CYCLE, "pct_start": 0.6, "three_phase": True,
                                                            "total_steps": 100}, {}, "pct_start", "0.6"),
    "OneCycleLR momentum order": ("OneCycleLR", {**ONE_CYCLE, "base_momentum": 0.99, "max_momentum": 0.9},
                                  {}, "base_momentum", "0.99 and 0.9"),
    "ReduceLROnPlateau factor 1.0": ("ReduceLROnPlateau", {"factor": 1.0}, {}, "factor", "1.0"),
    "ReduceLROnPlateau factor 0": ("ReduceLROnPlateau", {"factor": 0}, {}, "factor", "0"),
    "ReduceLROnPlateau factor -0.1": ("ReduceLROnPlateau", {"factor": -0.1}, {}, "factor", "-0.1"),
    "ReduceLROnPlateau patience -1": ("ReduceLROnPlateau", {"patience": -1}, {}, "patience", "-1"),
    "ReduceLROnPlateau interval step": ("ReduceLROnPlateau", {}, {"interval": "step"}, "interval", "'step'"),
    "SequentialLR holding ReduceLROnPlateau": (
        "SequentialLR", seq(("ReduceLROnPlateau", {}), ("StepLR", {"step_size": 2}), milestones=[5]), {},
        "schedulers[0]", None),
    "SequentialLR nested": (
        "SequentialLR", seq(("StepLR", {"step_size": 2}),
                            ("SequentialLR", seq(("StepLR", {"step_size": 2}), milestones=[])), milestones=[5]),
        {}, "schedulers[1]", None),
    "SequentialLR milestones count": (
        "SequentialLR", seq(("StepLR", {"step_size": 2}), ("ExponentialLR", {"gamma": 0.9}),
                            ("ConstantLR", {}), milestones=[5]), {}, "milestones", "1 for 3"),
    "SequentialLR unsorted milestones": (
        "SequentialLR", seq(("StepLR", {"step_size": 2}), ("ExponentialLR", {"gamma": 0.9}),
                            ("ConstantLR", {}), milestones=[10, 5]), {}, "milestones", "[10, 5]"),
    "SequentialLR milestone 0": (
        "SequentialLR", seq(("StepLR", {"step_size": 2}), ("ConstantLR", {}), milestones=[0]), {},
        "milestones", "[0]"),
    "ChainedScheduler with LambdaLR": (
        "ChainedScheduler", {"schedulers": [{"name": "ExponentialLR", "params": {"gamma": 0.9}},
                                            {"name": "LambdaLR", "params": {"lr_lambda": "0.9 ** epoch"}}]},
        {}, "schedulers[1]", None),
    "ChainedScheduler with OneCycleLR": (
        "ChainedScheduler", {"schedulers": [{"name": "OneCycleLR", "params": ONE_CYCLE},
                                            {"name": "ExponentialLR", "params": {"gamma": 0.9}}]},
        {}, "schedulers[0]", None),
    "unknown parameter": ("StepLR", {"step_size": 3, "gama": 0.5}, {}, "gama", None),
    "missing required parameter": ("StepLR", {}, {}, "step_size", None),
    "OneCycleLR warmup": ("OneCycleLR", ONE_CYCLE, {"warmup": 5}, "warmup", "5"),
    "CyclicLR warmup": ("CyclicLR", CYCLIC, {"warmup": 5}, "warmup", "5"),
    "ChainedScheduler warmup": ("ChainedScheduler", {"schedulers": [{"name": "ExponentialLR",
                                                                     "params": {"gamma": 0.9}}]},
                                {"warmup": 5}, "warmup", "5"),
    "negative warmup": ("StepLR", {"step_size": 3}, {"warmup": -1}, "warmup", "-1"),
    "fractional warmup": ("ExponentialLR", {"gamma": 0.9}, {"warmup": 2.5}, "warmup", "2.5"),
    "negative recipe warmup": ("warmup_cosine", {}, {"warmup": -1}, "warmup", "-1"),
    "recipe warmup not below total": ("warmup_cosine", {"warmup": 10, "total": 10}, {}, "warmup", "10 and 10"),
    "inverse_sqrt warmup 0": ("inverse_sqrt", {"warmup": 0}, {}, "warmup", "0"),
    "unknown interval": ("StepLR", {"step_size": 3}, {"interval": "batch"}, "interval", "'batch'"),
    "LambdaLR lr_lambda import": ("LambdaLR", {"lr_lambda": "__import__('os')"}, {}, "lr_lambda",
                                  repr("__import__('os')")),
    "MultiplicativeLR lr_lambda attribute": ("MultiplicativeLR", {"lr_lambda": "epoch.real"}, {}, "lr_lambda",
                                             repr("epoch.real")),
    "LambdaLR lr_lambda not text": ("LambdaLR", {"lr_lambda": 0.5}, {}, "lr_lambda", "0.5"),
    "LambdaLR lr_lambda names t": ("LambdaLR", {"lr_lambda": "0.9 ** t"}, {}, "lr_lambda", "'0.9 ** t'"),
}


@pytest.mark.parametrize("name, params, kwargs, key, shown", RULES.values(), ids=RULES.keys())
def test_rule_refused_with_key_scheduler_and_value(name, params, kwargs, key, shown):
    with pytest.raises(ConfigError) as info:
        validate(name, params, **kwargs)
    error = info.value
    assert error.key == key
    assert name in error.problem, error.problem
    assert str(error) == f"{key}: {error.problem}"
    if shown is not None:
        quoted = key == "lr_lambda" and shown[0] in "'\""  # an expression is quoted, not "got"
        assert (shown if quoted else f"got {shown}") in error.problem, error.problem


def test_refused_children_name_parent_and_child():
    with pytest.raises(ConfigError) as info:
        validate(*RULES["SequentialLR holding ReduceLROnPlateau"][:2])
    assert "ReduceLROnPlateau" in info.value.problem and "SequentialLR" in info.value.problem
    with pytest.raises(ConfigError) as info:
        validate(*RULES["ChainedScheduler with LambdaLR"][:2])
    assert "LambdaLR" in info.value.problem and "ChainedScheduler" in info.value.problem
    # a child's own bad value: the key says where, the message names the child and the value
    with pytest.raises(ConfigError) as info:
        validate("SequentialLR", seq(("StepLR", {"step_size": 2}), ("StepLR", {"step_size": 0}), milestones=[5]))
    assert info.value.key == "schedulers[1].params.step_size"
    assert info.value.problem == "StepLR needs an integer >= 1, got 0"
    with pytest.raises(ConfigError) as info:
        validate("SequentialLR", seq(("StepLR", {"step_size": 2}), ("LambdaLR", {"lr_lambda": "x"}), milestones=[5]))
    assert info.value.key == "schedulers[1].params.lr_lambda" and "LambdaLR" in info.value.problem
    with pytest.raises(ConfigError) as info:
        validate("SequentialLR", seq(("StepLR", {"step_size": 2}), ("NoSuchLR", {}), milestones=[5]))
    assert info.value.key == "schedulers[1].name" and "'NoSuchLR'" in info.value.problem


def test_unknown_parameter_and_missing_parameter_messages():
    with pytest.raises(ConfigError) as info:
        validate("StepLR", {"step_size": 3, "gama": 0.5})
    assert "'gama'" in info.value.problem and "gamma" in info.value.problem  # lists what it takes
    with pytest.raises(ConfigError) as info:
        validate("StepLR", {})
    assert "StepLR needs step_size" in info.value.problem


@pytest.mark.parametrize("name", ["NoSuchLR", "", "steplr"])
def test_unknown_scheduler(name):
    with pytest.raises(ConfigError) as info:
        validate(name, {})
    assert info.value.key == "name"
    assert f"unknown scheduler {name!r}" in info.value.problem
    if name == "steplr":
        assert "did you mean StepLR?" in info.value.problem


def test_chained_scheduler_may_hold_one_absolute_child_alone():
    s = validate("ChainedScheduler", {"schedulers": [{"name": "LambdaLR", "params": {"lr_lambda": "0.9"}}]})
    assert s.params["schedulers"] == [{"name": "LambdaLR", "params": {"lr_lambda": "0.9"}}]


def test_child_table_with_unknown_key_is_refused():
    with pytest.raises(ConfigError) as info:
        validate("SequentialLR", {"schedulers": [{"name": "StepLR", "params": {"step_size": 2}, "warmup": 3}],
                                  "milestones": []})
    assert info.value.key == "schedulers[0].warmup"


# The required parameters of every catalogue entry; a new entry must be added here.
REQUIRED = {
    "StepLR": {"step_size": 30},
    "MultiStepLR": {"milestones": [30, 80]},
    "ExponentialLR": {"gamma": 0.95},
    "CosineAnnealingWarmRestarts": {"T_0": 10},
    "CyclicLR": CYCLIC,
    "OneCycleLR": ONE_CYCLE,
    "LambdaLR": {"lr_lambda": "0.95 ** epoch"},
    "MultiplicativeLR": {"lr_lambda": "0.95"},
    "SequentialLR": seq(("LinearLR", {}), ("CosineAnnealingLR", {}), milestones=[5]),
    "ChainedScheduler": {"schedulers": [{"name": "ConstantLR", "params": {}},
                                        {"name": "ExponentialLR", "params": {"gamma": 0.9}}]},
    "cosine_restarts_decay": {"T_0": 10},
}


@pytest.mark.parametrize("name", CATALOGUE)
def test_every_entry_validates_with_its_defaults(name):
    spec = CATALOGUE[name]
    required = {p.name for p in spec.params if p.required}
    assert required == set(REQUIRED.get(name, {})), f"add the required parameters of {name} to REQUIRED"
    s = validate(name, REQUIRED.get(name, {}))
    assert isinstance(s, Schedule) and s.name == name and s.spec is spec
    assert s.interval == spec.unit and s.interval in INTERVALS and s.warmup == 0
    assert set(s.params) == {p.name for p in spec.params}
    for p in spec.params:
        if not p.required:
            assert s.params[p.name] == p.default, p.name
    assert spec.summary and spec.description and spec.unit in INTERVALS


def test_both_intervals_accepted_where_allowed():
    assert validate("StepLR", {"step_size": 3}, interval="step").interval == "step"
    assert validate("OneCycleLR", ONE_CYCLE, interval="epoch").interval == "epoch"
    assert validate("ReduceLROnPlateau").interval == "epoch"


def test_recipe_takes_warmup_as_its_own_parameter():
    s = validate("warmup_cosine", {}, warmup=7)
    assert s.warmup == 0 and s.params["warmup"] == 7


def test_lr_lambda_is_kept_as_text():
    s = validate("LambdaLR", {"lr_lambda": " 0.9 ** epoch "})
    assert isinstance(s.params["lr_lambda"], str)


ROUND_TRIP = [
    ("StepLR", {"step_size": 30}, {}),
    ("StepLR", {"step_size": 30, "gamma": 0.5}, {"interval": "step", "warmup": 3}),
    ("MultiStepLR", {"milestones": [150, 250], "gamma": 0.1}, {}),
    ("CosineAnnealingLR", {"T_max": "auto", "eta_min": 1e-5}, {"warmup": 5}),
    ("CyclicLR", {**CYCLIC, "mode": "exp_range", "gamma": 0.999, "step_size_down": 10}, {"interval": "epoch"}),
    ("OneCycleLR", {"max_lr": 0.3, "pct_start": 0.25, "total_steps": 6000, "three_phase": True}, {}),
    ("ReduceLROnPlateau", {"mode": "max", "patience": 3}, {}),
    ("LambdaLR", {"lr_lambda": "min(1, (epoch + 1) / 10)"}, {}),
    ("wsd", {"shape": "cosine", "decay_frac": 0.1}, {"warmup": 100}),
    ("cosine_restarts_decay", {"T_0": 10, "T_mult": 2, "decay": 0.7}, {}),
    ("SequentialLR", seq(("LinearLR", {"start_factor": 0.1}), ("CyclicLR", CYCLIC), milestones=[5]), {}),
    ("ChainedScheduler", REQUIRED["ChainedScheduler"], {}),
]


@pytest.mark.parametrize("name, params, kwargs", ROUND_TRIP, ids=[r[0] for r in ROUND_TRIP])
def test_to_table_round_trips_through_validate_and_toml(name, params, kwargs):
    s = validate(name, params, **kwargs)
    table = s.to_table()
    assert table["name"] == name
    again = validate(table["name"], table["params"], interval=table.get("interval"),
                     warmup=table.get("warmup", 0))
    assert again == s
    # as a preset writes and reads it
    text = tomli_w.dumps({"scheduler": table})
    assert tomllib.loads(text)["scheduler"] == table


def test_to_table_leaves_defaults_out():
    assert validate("StepLR", {"step_size": 30, "gamma": 0.1}).to_table() == {
        "name": "StepLR", "params": {"step_size": 30}}
    assert validate("StepLR", {"step_size": 30}, interval="step", warmup=2).to_table() == {
        "name": "StepLR", "interval": "step", "warmup": 2, "params": {"step_size": 30}}
    assert validate("OneCycleLR", ONE_CYCLE, interval="step").to_table() == {
        "name": "OneCycleLR", "params": ONE_CYCLE}
    s = validate("SequentialLR", seq(("StepLR", {"step_size": 2}), ("CyclicLR", CYCLIC), milestones=[4]))
    assert s.to_table()["params"]["schedulers"] == [{"name": "StepLR", "params": {"step_size": 2}},
                                                    {"name": "CyclicLR", "params": CYCLIC}]


# ---- torch itself: the rules matter ----------------------------------------------------------

# rule id in RULES, how torch is given the same value, steps, what goes wrong
CRASHES = [
    ("StepLR step_size 0", lambda S, o: S.StepLR(o, step_size=0), 1),
    ("CosineAnnealingLR T_max 0", lambda S, o: S.CosineAnnealingLR(o, T_max=0), 1),
    ("ConstantLR factor 0", lambda S, o: S.ConstantLR(o, factor=0, total_iters=2), 2),
    ("PolynomialLR power -1", lambda S, o: S.PolynomialLR(o, total_iters=3, power=-1), 3),
    ("OneCycleLR div_factor 0", lambda S, o: S.OneCycleLR(o, max_lr=0.1, total_steps=10, div_factor=0), 0),
    ("CyclicLR step_size_up 0", lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=0), 0),
]


@pytest.mark.parametrize("rule, make, steps", CRASHES, ids=[c[0] for c in CRASHES])
def test_torch_crashes_where_lrtui_refuses(rule, make, steps):
    from torch.optim import lr_scheduler as S

    with pytest.raises(ConfigError):
        validate(*RULES[rule][:2], **RULES[rule][2])
    with pytest.raises(ZeroDivisionError):
        torch_lrs(lambda o: make(S, o), steps + 1)


def test_torch_silently_misbehaves_where_lrtui_refuses():
    from torch.optim import lr_scheduler as S

    # gamma > 1: the lr grows without bound
    lrs = torch_lrs(lambda o: S.ExponentialLR(o, gamma=1.5), 6)
    assert lrs[-1] == pytest.approx(0.1 * 1.5 ** 5)
    # negative gamma: a negative lr every other decay
    assert torch_lrs(lambda o: S.StepLR(o, step_size=1, gamma=-0.1), 2)[-1] < 0
    # ReduceLROnPlateau with factor 0 sets the lr to 0
    import torch

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    plateau = S.ReduceLROnPlateau(opt, factor=0, patience=0)
    plateau.step(1.0)
    plateau.step(1.0)
    assert opt.param_groups[0]["lr"] == 0
    for rule in ("ExponentialLR gamma 1.5", "StepLR gamma -0.1", "ReduceLROnPlateau factor 0"):
        with pytest.raises(ConfigError):
            validate(*RULES[rule][:2], **RULES[rule][2])


ACCEPTED = {  # what torch takes and has a use: lrtui takes it too, and says what it does
    "StepLR gamma 2": ("StepLR", {"step_size": 2, "gamma": 2.0}, lambda S, o: S.StepLR(o, 2, 2.0),
                       "StepLR: gamma 2 > 1 raises the lr at every decay (a warmup by stairs)"),
    "MultiStepLR zero": ("MultiStepLR", {"milestones": [0, 3]}, lambda S, o: S.MultiStepLR(o, [0, 3]),
                         "MultiStepLR: a milestone at 0 multiplies the lr by gamma before the first step"),
    "MultiStepLR repeated": ("MultiStepLR", {"milestones": [2, 2, 5], "gamma": 0.5},
                             lambda S, o: S.MultiStepLR(o, [2, 2, 5], 0.5),
                             "MultiStepLR: milestone 2 is given 2 times: the lr is multiplied by gamma ** 2 there"),
    "CyclicLR base_lr > max_lr": ("CyclicLR", {"base_lr": 0.2, "max_lr": 0.05, "step_size_up": 3, "cycle_momentum": False},
                                  lambda S, o: S.CyclicLR(o, 0.2, 0.05, step_size_up=3, cycle_momentum=False),
                                  "CyclicLR: base_lr 0.2 > max_lr 0.05: each cycle dips from base_lr down to max_lr "
                                  "and back (the triangles upside down)"),
}


@pytest.mark.parametrize("name, params, make, note", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_what_torch_takes_and_has_a_use_is_accepted_with_a_note_and_previewed_as_torch_steps_it(
        name, params, make, note, cli):
    import json

    from torch.optim import lr_scheduler as S

    from lrtui.schedule.catalogue import notes
    from lrtui.schedule.optimizers import validate_optimizer
    from lrtui.schedule.preview import preview

    schedule = validate(name, params)
    assert notes(schedule) == [note]
    truth = torch_lrs(lambda o: make(S, o), 12)
    fast = preview(schedule, validate_optimizer({"lr": 0.1}), 12)
    assert not fast.exact and fast.lr.tolist() == pytest.approx(truth, rel=1e-12)
    sets = [f"--set={k}={json.dumps(v)}" for k, v in params.items()]  # JSON's numbers, lists and booleans are TOML's
    code, out, err = cli("preview", name, *sets, "--interval", "epoch", "--epochs", "12", "--format", "json")
    assert code == 0 and f"lrtui preview: note: {note}" in err.splitlines()
    assert json.loads(out)["lr"] == pytest.approx(truth, rel=1e-12)


def test_torch_sequential_lr_accepts_unsorted_milestones():
    from torch.optim import lr_scheduler as S

    def make(o):
        return S.SequentialLR(o, [S.ExponentialLR(o, 0.5), S.ExponentialLR(o, 0.9), S.ExponentialLR(o, 0.1)],
                              milestones=[5, 2])
    # it runs: the third scheduler takes over at step 2 and the second (gamma 0.9) never runs at all
    expected = [0.1, 0.05] + [0.1 * 0.1 ** (k - 2) for k in range(2, 7)]
    assert torch_lrs(make, 7) == pytest.approx(expected, rel=1e-12)


# ---- optimizers --------------------------------------------------------------------------------

@pytest.mark.parametrize("table, key, says", [
    ({"name": "Adagrad"}, "name", "unknown optimizer 'Adagrad'"),
    ({"name": "LBFGS", "lr": 1}, "name", "unknown optimizer 'LBFGS'"),
    ({"name": "SGD", "lr": 0}, "lr", "SGD needs a number > 0, got 0"),
    ({"name": "Adam", "lr": -0.1}, "lr", "Adam needs a number > 0, got -0.1"),
    ({"name": "SGD", "lr": "fast"}, "lr", 'got "fast"'),
    ({"name": "SGD", "lr": 0.1, "nesterov": True}, "nesterov", "momentum > 0"),
    ({"name": "SGD", "lr": 0.1, "nesterov": True, "momentum": 0.9, "dampening": 0.1}, "nesterov", "dampening 0"),
    ({"name": "SGD", "momentum": 1.5}, "momentum", "got 1.5"),
    ({"name": "Adam", "betas": [0.9]}, "betas", "two entries, got [0.9]"),
    ({"name": "AdamW", "betas": [0.9, 0.99, 0.999]}, "betas", "got [0.9, 0.99, 0.999]"),
    ({"name": "Adam", "betas": [1.0, 0.999]}, "betas", "got [1.0, 0.999]"),
    ({"name": "Adam", "betas": 0.9}, "betas", "got 0.9"),
    ({"name": "Adam", "momentum": 0.9}, "momentum", "Adam has no parameter 'momentum'"),
    ({"name": "RMSprop", "eps": 0}, "eps", "got 0"),
])
def test_bad_optimizer_refused(table, key, says):
    with pytest.raises(ConfigError) as info:
        validate_optimizer(table)
    assert info.value.key == key
    assert says in info.value.problem


def test_valid_optimizers():
    sgd = validate_optimizer({"name": "SGD", "lr": 0.05, "momentum": 0.9, "nesterov": True})
    assert isinstance(sgd, OptimizerConfig) and sgd.lr == 0.05 and sgd.momentum_name == "momentum"
    assert sgd.params["nesterov"] is True and sgd.params["dampening"] == 0.0
    adam = validate_optimizer({"name": "Adam", "lr": 1e-3})
    assert adam.params["betas"] == [0.9, 0.999] and adam.momentum_name == "beta1"
    assert validate_optimizer({}).name == "SGD"  # the default optimizer
    assert validate_optimizer({"name": "AdamW"}).params["weight_decay"] == 0.01
    table = {"name": "SGD", "lr": 0.1}
    validate_optimizer(table)
    assert table == {"name": "SGD", "lr": 0.1}  # the caller's table is not changed
    for name in OPTIMIZERS:
        assert validate_optimizer({"name": name}).name == name


def test_a_warmup_as_long_as_the_run_is_refused_when_the_length_is_known():
    from lrtui.schedule.catalogue import resolve

    schedule = validate("CosineAnnealingLR", {}, warmup=10)
    assert resolve(schedule, 11)["T_max"] == 1
    with pytest.raises(ConfigError) as e:
        resolve(schedule, 10)
    assert e.value.key == "warmup" and "10" in e.value.problem


def test_an_optional_parameter_can_be_left_unset():
    schedule = validate("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_down": None})
    assert schedule.params["step_size_down"] is None
    with pytest.raises(ConfigError):
        validate("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": None})  # not optional


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_every_scheduler_starts_from_its_declared_examples(name):
    from lrtui.schedule.catalogue import starter
    from lrtui.schedule.preview import preview

    schedule = starter(name)
    required = [p.name for p in CATALOGUE[name].params if p.required]
    assert all(schedule.params[k] is not None for k in required)
    optimizer = validate_optimizer({"name": "SGD", "lr": 0.1})
    assert preview(schedule, optimizer, 100 if schedule.interval == "epoch" else 4700).lr.size > 0


def torch_phase_ends(pct_start: float, total_steps: int, three_phase: bool) -> list[float] | None:
    """Where torch's OneCycleLR ends each phase, read from the object torch builds; None where building
    it divides by zero (a first phase of length 0)."""
    import torch

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    try:
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, 0.1, total_steps=total_steps, pct_start=pct_start,
                                                    three_phase=three_phase)
    except ZeroDivisionError:
        return None
    return [phase["end_step"] for phase in sched._schedule_phases]


@pytest.mark.parametrize("three_phase", [True, False])
def test_one_cycle_is_refused_exactly_where_torch_phases_are_empty_or_overlap(three_phase):
    """Each phase must be longer than nothing: 0 < end 1 < end 2 (< end 3), torch's own boundaries."""
    from lrtui.schedule.catalogue import resolve

    for total in (3, 4, 5, 9, 10, 11, 40, 99):
        for pct in (0.1, 0.25, 0.3, 1 / 3, 0.45, 0.5, 0.5 + 1 / (2 * total), 0.55, 0.6, 0.75, 0.9):
            ends = torch_phase_ends(pct, total, three_phase)
            ordered = ends is not None and all(a < b for a, b in zip([0, *ends], ends))
            try:
                resolve(validate("OneCycleLR", {"max_lr": 0.1, "pct_start": pct, "total_steps": total,
                                                "three_phase": three_phase}), total)
                accepted = True
            except ConfigError as e:
                assert e.key == "pct_start" and "OneCycleLR" in e.problem
                accepted = False
            assert accepted == ordered, (total, pct, ends)


def one_cycle_truth(steps: int, **params) -> tuple[np.ndarray, np.ndarray]:
    """lr and momentum in effect at each of `steps` batches under torch's own OneCycleLR on an SGD with
    momentum 0.9, stepped once after each batch (the last step's lr is read by nothing)."""
    import torch

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(opt, **params)
    lr, momentum = [], []
    for _ in range(steps):
        lr.append(opt.param_groups[0]["lr"])
        momentum.append(opt.param_groups[0]["momentum"])
        opt.step()
        scheduler.step()
    return np.array(lr), np.array(momentum)


def test_one_cycle_three_phase_at_pct_start_one_half_trains_through_every_step_as_torch_does():
    """Three phases at pct_start 0.5 over 20 steps (up to step 9, down to the start at 18, to the end at
    19): the run's scheduler steps once after each of its 20 batches without torch refusing the last,
    and its lr and momentum at every step, and the preview's, are torch's OneCycleLR(three_phase=True)."""
    import torch

    from lrtui.schedule import preview as P
    from lrtui.schedule.catalogue import build

    params = {"max_lr": 0.1, "pct_start": 0.5, "three_phase": True, "total_steps": 20}
    truth_lr, truth_momentum = one_cycle_truth(20, **params)
    assert truth_lr.argmax() == 9 and truth_lr[9] == pytest.approx(0.1)  # torch's own three phases
    assert truth_lr[18] == pytest.approx(0.1 / 25) and truth_lr[19] == pytest.approx(0.1 / 25 / 1e4)
    assert truth_momentum.argmin() == 9 and truth_momentum[0] == truth_momentum[18] == pytest.approx(0.95)

    schedule = validate("OneCycleLR", params)
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    group = opt.param_groups[0]
    stepper = build(schedule, opt, 20)
    lr, momentum = [], []
    for _ in range(20):  # as training steps it: once after each of the run's 20 batches
        lr.append(group["lr"])
        momentum.append(group["momentum"])
        opt.step()
        stepper.step()
    np.testing.assert_allclose(lr, truth_lr, rtol=1e-12, atol=0)
    np.testing.assert_allclose(momentum, truth_momentum, rtol=1e-12, atol=0)

    optimizer = validate_optimizer({"name": "SGD", "lr": 0.1, "momentum": 0.9})
    shown = P.preview(schedule, optimizer, 20)  # what the user sees: the closed form
    exact = P.exact_curve(schedule, optimizer, 20)
    assert not shown.exact and exact.exact and shown.momentum_name == exact.momentum_name == "momentum"
    for curve in (shown, exact):
        np.testing.assert_allclose(curve.lr, truth_lr, rtol=1e-12, atol=0)
        np.testing.assert_allclose(curve.momentum, truth_momentum, rtol=1e-12, atol=0)


@pytest.mark.parametrize("name, params", [("inverse_sqrt", {}), ("warmup_cosine", {}), ("wsd", {}),
                                          ("poly_warmup", {}), ("warmup_cosine", {"total": 500})])
@pytest.mark.parametrize("warmup", [99, 100, 150])
def test_a_recipe_warmup_at_least_the_run_is_refused_like_a_generic_one(name, params, warmup):
    from lrtui.schedule.catalogue import resolve

    schedule = validate(name, {**params, "warmup": warmup})
    with pytest.raises(ConfigError) as e:
        resolve(schedule, 100 if warmup > 99 else 99)
    assert e.value.key == "warmup" and name in e.value.problem
    assert resolve(schedule, warmup + 1)["warmup"] == warmup
