"""Planning a comparison: the preset's runs x its seeds, paired and round-robin by seed."""
import pytest

from lrtui.plan import planning, presets
from lrtui.schedule.params import ConfigError


def plan(seeds, name="seed-four", **overrides):
    return planning.jobs(presets.find(name), seeds=seeds, epochs=2, **overrides)


def test_one_seed_is_todays_plan_one_job_per_run_on_the_presets_seed():
    jobs = plan(None)
    assert [j.label for j in jobs] == ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR"]
    assert {j.seed for j in jobs} == {0} and len({j.comparison for j in jobs}) == 1
    assert [j.group for j in jobs] == [j.label for j in jobs]


def test_a_count_of_seeds_goes_round_robin_from_the_seed_every_run_once_on_each():
    jobs = plan(3, seed=10)
    assert [(j.seed, j.group) for j in jobs[:5]] == [(10, "StepLR"), (10, "MultiStepLR"), (10, "ExponentialLR"),
                                                    (10, "CosineAnnealingLR"), (11, "StepLR")]
    assert sorted((j.group, j.seed) for j in jobs) == sorted((g, s) for g in {j.group for j in jobs}
                                                              for s in (10, 11, 12))
    assert {j.config["training"]["seed"] for j in jobs} == {10, 11, 12}  # each run's config says its own seed
    assert all(j.config["training"]["seeds"] == [10, 11, 12] for j in jobs)
    assert len({j.key for j in jobs}) == 12 and len({j.comparison for j in jobs}) == 1


def test_a_list_of_seeds_keeps_its_order_and_a_preset_may_give_them():
    assert [j.seed for j in plan([7, 0, 3])][::4] == [7, 0, 3]
    preset = presets.parse({"training": {"seeds": [4, 2]}, "runs": [{"scheduler": {"name": "StepLR",
                                                                                      "params": {"step_size": 1}}}]})
    assert [j.seed for j in planning.jobs(preset)] == [4, 2]


def test_paired_jobs_on_one_seed_differ_only_in_their_schedule():
    jobs = plan(2)
    first = [j for j in jobs if j.seed == 0]
    strip = lambda j: {k: v for k, v in j.config.items() if k not in ("scheduler", "interval", "warmup")}  # noqa: E731
    assert all(strip(j) == strip(first[0]) for j in first)


@pytest.mark.parametrize("seeds", [0, -2, [], [1, 1], 1001, "x"])
def test_bad_seeds_are_refused_naming_the_setting(seeds):
    with pytest.raises(ConfigError) as e:
        plan(seeds)
    assert e.value.key == "seeds"


def test_runs_of_one_label_get_groups_of_their_own_and_presets_sharing_a_label_are_told_apart():
    table = {"name": "twins", "runs": [{"scheduler": {"name": "StepLR", "params": {"step_size": 1}}},
                                       {"scheduler": {"name": "StepLR", "params": {"step_size": 2}}}]}
    twins = planning.jobs(presets.parse(table), seeds=2, comparison="c")
    assert [j.group for j in twins] == ["StepLR", "StepLR #2"] * 2
    other = presets.parse({"name": "other", "runs": table["runs"][:1]})
    both = list(planning.plan([presets.parse(table), other], seeds=2))
    assert [(j.seed, j.group) for j in both] == [(0, "twins: StepLR"), (0, "StepLR #2"), (0, "other: StepLR"),
                                                 (1, "twins: StepLR"), (1, "StepLR #2"), (1, "other: StepLR")]
