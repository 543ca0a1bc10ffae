"""The core's one declaration of what a run is made of: training settings merged with overrides
(presets.training_settings), the optimizer as a table, a run's interval and warmup, and the form's
draft checked from its field values (draft.Draft.edited), each refused with the CLI's own words."""
from __future__ import annotations

import pytest

from lrtui.cli.main import build_parser
from lrtui.plan import planning, presets
from lrtui.plan.draft import Draft
from lrtui.schedule.catalogue import INTERVAL, WARMUP, starter, validate
from lrtui.schedule.optimizers import OPTIMIZERS, validate_optimizer
from lrtui.schedule.params import ConfigError

BASE = presets.Preset("").training


def problem(make) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        make()
    return info.value


def test_an_override_wins_none_is_not_given_and_the_rest_is_the_presets():
    base = {**BASE, "epochs": 7, "seed": 3}
    got = presets.training_settings(base, epochs=2, seed=None, device="cpu")
    assert got == {**base, "epochs": 2, "device": "cpu"}
    assert list(got) == [p.name for p in presets.TRAINING]
    assert presets.training_settings(base) == base


@pytest.mark.parametrize("argv, override", [
    (["run", "seed-four", "--epochs", "0"], {"epochs": 0}),
    (["run", "seed-four", "--batch-size", "-3"], {"batch_size": -3}),
    (["preview", "StepLR", "--set", "step_size=2", "--epochs", "0"], {"epochs": 0}),
    (["preview", "OneCycleLR", "--set", "max_lr=0.1", "--steps-per-epoch", "0"], {"steps_per_epoch": 0}),
    (["find", "--batch-size", "0"], {"batch_size": 0}),
])
def test_a_bad_override_is_refused_as_the_cli_refuses_it(cli, argv, override):
    error = problem(lambda: presets.training_settings(BASE, **override))
    assert error.key == next(iter(override)) and "training needs an integer >= 1" in error.problem
    code, out, err = cli(*argv)
    assert code == 2 and err == f"lrtui {argv[0]}: {error}\n"


def test_jobs_merge_the_same_way():
    preset = presets.find("seed-four")
    job = planning.jobs(preset, epochs=3, seed=None, task="tasks.py:build")[0]
    assert (job.epochs, job.seed, job.task) == (3, preset.training["seed"], "tasks.py:build")
    assert job.config["training"] == {k: v for k, v in presets.training_settings(
        preset.training, epochs=3, task="tasks.py:build").items() if k != "steps_per_epoch"} | {"seeds": [0]}
    assert str(problem(lambda: planning.jobs(preset, epochs=0))) == str(
        problem(lambda: presets.training_settings(preset.training, epochs=0)))


def test_a_task_file_may_be_given_but_not_named_by_a_preset():
    assert presets.training_settings(BASE, task="tasks.py:build")["task"] == "tasks.py:build"
    error = problem(lambda: presets.parse({"training": {"task": "tasks.py:build"}, "runs": [{"scheduler": {
        "name": "StepLR", "params": {"step_size": 2}}}]}))
    assert error.key == "training.task" and "never names code" in error.problem


def test_an_unknown_setting_is_refused():
    error = problem(lambda: presets.training_settings(BASE, colour=1))
    assert error.key == "colour" and "training has no parameter 'colour'" in error.problem


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_an_optimizer_as_a_table_reads_back_to_itself(name):
    optimizer = validate_optimizer({"name": name, "lr": 0.02})
    assert optimizer.to_table() == {"name": name, **optimizer.params}
    assert validate_optimizer(optimizer.to_table()) == optimizer


def test_interval_and_warmup_are_declared_once_for_validation_form_and_cli():
    from lrtui.ui.form import RUN_FIELDS

    assert RUN_FIELDS[:2] == (INTERVAL, WARMUP)
    actions = {a.dest: a for a in build_parser()._subparsers._group_actions[0].choices["preview"]._actions}
    assert (tuple(actions["interval"].choices), actions["interval"].help) == (INTERVAL.choices, INTERVAL.help)
    assert actions["warmup"].help == WARMUP.help
    for bad in (-1, 2.5, True, 2**63):
        assert str(problem(lambda: validate("StepLR", {"step_size": 2}, warmup=bad))) == str(
            problem(lambda: WARMUP.check(bad, "StepLR")))
    assert [validate("StepLR", {"step_size": 2}, interval=i).interval for i in INTERVAL.choices] == ["epoch", "step"]
    for bad in ("", "batch", 1):  # "" is no interval, not the scheduler's own
        error = problem(lambda: validate("StepLR", {"step_size": 2}, interval=bad))
        assert error.key == "interval" and "needs interval 'epoch' or 'step'" in error.problem


def values(draft: Draft) -> dict:
    """What the form's fields hold for `draft`, by section."""
    s = draft.schedule
    run = {"interval": s.interval, "optimizer": draft.optimizer.name} | ({} if s.spec.has("warmup") else
                                                                          {"warmup": s.warmup})
    return {"scheduler": dict(s.params), "run": run, "optimizer": dict(draft.optimizer.params),
            "training": dict(draft.training)}


DRAFT = Draft(validate("StepLR", {"step_size": 3}, warmup=2), validate_optimizer({"lr": 0.1, "momentum": 0.9}),
              dict(BASE))


def edit(section: str, **changed) -> dict:
    v = values(DRAFT)
    v[section] = {**v[section], **changed}
    return v


def test_a_draft_reads_back_from_its_own_values():
    assert DRAFT.edited(values(DRAFT)) == DRAFT
    recipe = Draft(starter("warmup_cosine"), DRAFT.optimizer, DRAFT.training)  # its own warmup: no run-warmup
    assert recipe.edited(values(recipe)) == recipe


def test_an_edit_makes_the_new_draft():
    new = DRAFT.edited(edit("scheduler", gamma=0.5) | {"run": {"interval": "step", "warmup": 4, "optimizer": "SGD"}})
    assert new.schedule == validate("StepLR", {"step_size": 3, "gamma": 0.5}, interval="step", warmup=4)
    assert new.optimizer == DRAFT.optimizer


def test_another_optimizer_keeps_only_the_lr():
    new = DRAFT.edited(edit("run", optimizer="Adam"))
    assert new.optimizer == validate_optimizer({"name": "Adam", "lr": 0.1})


def test_a_task_file_given_on_the_command_line_stays_editable():
    """The app started with --task file.py:build shows that task; another field's edit is not refused for it."""
    draft = Draft(DRAFT.schedule, DRAFT.optimizer, {**BASE, "task": "tasks.py:build"})
    assert draft.edited(edit("scheduler", gamma=0.5) | {"training": draft.training}).training["task"] == "tasks.py:build"


@pytest.mark.parametrize("section, changed, key, truth", [
    ("run", {"interval": ""}, "run-interval", lambda: validate("StepLR", {"step_size": 3}, interval="")),
    ("run", {"interval": "batch"}, "run-interval", lambda: validate("StepLR", {"step_size": 3}, interval="batch")),
    ("run", {"warmup": -1}, "run-warmup", lambda: validate("StepLR", {"step_size": 3}, warmup=-1)),
    ("run", {"warmup": 2.5}, "run-warmup", lambda: validate("StepLR", {"step_size": 3}, warmup=2.5)),
    ("scheduler", {"step_size": 0}, "scheduler-step_size", lambda: validate("StepLR", {"step_size": 0})),
    ("run", {"optimizer": "Lion"}, "run-optimizer", lambda: validate_optimizer({"name": "Lion"})),
    ("optimizer", {"lr": -1.0}, "optimizer-lr", lambda: validate_optimizer({"lr": -1.0})),
    ("optimizer", {"momentum": 2.0}, "optimizer-momentum", lambda: validate_optimizer({"momentum": 2.0})),
    ("training", {"epochs": 0}, "training-epochs", lambda: presets.training_settings(BASE, epochs=0)),
    ("training", {"seed": -1}, "training-seed", lambda: presets.training_settings(BASE, seed=-1)),
    ("training", {"device": "tpu"}, "training-device", lambda: presets.training_settings(BASE, device="tpu")),
])
def test_a_bad_value_is_refused_keyed_by_its_field_with_the_core_rule(section, changed, key, truth):
    error = problem(lambda: DRAFT.edited(edit(section, **changed)))
    assert (error.key, error.problem) == (key, problem(truth).problem)


def test_a_bad_child_of_a_composite_marks_its_scheduler_field():
    seq = Draft(validate("SequentialLR", {"schedulers": [{"name": "StepLR", "params": {"step_size": 2}},
                                                         {"name": "ExponentialLR", "params": {"gamma": 0.9}}],
                                          "milestones": [3]}), DRAFT.optimizer, DRAFT.training)
    v = values(seq)
    v["scheduler"]["schedulers"] = [v["scheduler"]["schedulers"][0], {"name": "ExponentialLR",
                                                                      "params": {"gamma": -1}}]
    error = problem(lambda: seq.edited(v))
    assert error.key == "scheduler-schedulers" and "gamma" not in error.key and "ExponentialLR" in error.problem


def test_an_empty_interval_in_a_preset_is_refused_not_read_as_the_schedulers_own():
    error = problem(lambda: presets.parse({"runs": [{"scheduler": {"name": "StepLR", "interval": "",
                                                                   "params": {"step_size": 2}}}]}))
    assert error.key == "runs[0].scheduler.interval" and "got ''" in error.problem
