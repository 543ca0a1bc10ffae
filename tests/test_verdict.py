"""The verdict on a comparison, checked against scipy.stats where it is the truth and by simulation
where the claim is about rates (false positives, power)."""
import json
import math
from dataclasses import asdict

import numpy as np
import pytest
from scipy import stats

from lrtui.judge import verdict
from lrtui.judge.verdict import METRICS, compare, holm
from lrtui.output import words

LOSS = METRICS["final_val_loss"]
ACC = METRICS["best_val_acc"]


def epoch(i, train_loss, val_loss=None, val_acc=None):
    return {"epoch": i, "lr": 0.1, "train_loss": train_loss, "val_loss": val_loss, "val_acc": val_acc,
            "seconds": 1.0, "samples_per_s": 100.0}


def groups(values: dict[str, list]) -> dict[str, dict[int, float | None]]:
    """Each group's scores on seeds 0, 1, ..."""
    return {name: dict(enumerate(xs)) for name, xs in values.items()}


# --- metrics


def test_each_metric_reads_its_figure_from_the_epochs():
    epochs = [epoch(0, 2.0, 1.5, 0.4), epoch(1, 1.0, 0.9, 0.7), epoch(2, 0.5, 1.1, 0.6)]
    assert METRICS["final_val_loss"].of(epochs) == 1.1
    assert METRICS["best_val_loss"].of(epochs) == 0.9
    assert METRICS["best_val_acc"].of(epochs) == 0.7
    assert METRICS["final_train_loss"].of(epochs) == 0.5
    assert verdict.DEFAULT_METRIC is METRICS["final_val_loss"]
    assert [m.higher_is_better for m in METRICS.values()] == [False, False, True, False]
    assert all(m.name == name and m.label for name, m in METRICS.items())


def test_without_validation_the_val_loss_metrics_fall_back_to_train_loss():
    epochs = [epoch(0, 2.0), epoch(1, 0.8), epoch(2, 1.2)]
    assert METRICS["final_val_loss"].of(epochs) == 1.2
    assert METRICS["best_val_loss"].of(epochs) == 0.8
    assert METRICS["best_val_acc"].of(epochs) is None


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan])
def test_a_diverged_run_has_no_final_score_and_its_bad_epochs_are_never_the_best(bad):
    diverged = [epoch(0, 2.0, 1.5, 0.3), epoch(1, bad, bad, bad)]
    assert METRICS["final_val_loss"].of(diverged) is None
    assert METRICS["final_train_loss"].of(diverged) is None
    assert METRICS["best_val_loss"].of(diverged) == 1.5
    assert METRICS["best_val_acc"].of(diverged) == 0.3
    assert all(m.of([epoch(0, bad, bad, bad)]) is None for m in METRICS.values())
    assert all(m.of([]) is None for m in METRICS.values())


def test_an_unknown_metric_is_refused_naming_the_known_ones():
    assert verdict.metric("best_val_acc") is ACC
    with pytest.raises(ValueError, match="unknown metric 'nope': one of final_val_loss, best_val_loss, "
                                         "best_val_acc, final_train_loss"):
        verdict.metric("nope")


# --- clear verdicts


def test_a_large_separation_over_8_seeds_names_the_best():
    rng = np.random.default_rng(1)
    seed_effect = rng.normal(0, 0.1, 8)
    c = compare(groups({"cos": 1.0 + seed_effect + rng.normal(0, 0.01, 8),
                        "step": 1.3 + seed_effect + rng.normal(0, 0.01, 8),
                        "flat": 1.6 + seed_effect + rng.normal(0, 0.01, 8)}))
    assert [g.name for g in c.groups] == ["cos", "step", "flat"]
    assert [(p.best, p.other) for p in c.pairs] == [("cos", "step"), ("cos", "flat")]
    v = c.verdict
    assert (v.kind, v.best, v.tied, v.seeds_needed) == ("best", "cos", (), None)
    smallest = min(p.diff for p in c.pairs)
    assert smallest == pytest.approx(0.3, abs=0.02)
    assert words.verdict(v) == f"cos is best: better than every other by at least {smallest:.4g} on every comparison " \
                     "(p <= 0.05 after Holm)"
    assert all(p.wins == 1.0 and p.n == 8 and p.p_holm < 0.001 and p.unfinished == () for p in c.pairs)


def test_for_a_higher_is_better_metric_the_highest_is_best_and_its_differences_positive():
    rng = np.random.default_rng(2)
    c = compare(groups({"low": 0.6 + rng.normal(0, 0.01, 8), "high": 0.9 + rng.normal(0, 0.01, 8)}), ACC)
    assert (c.verdict.kind, c.verdict.best) == ("best", "high")
    assert [g.name for g in c.groups] == ["high", "low"]
    assert c.pairs[0].diff == pytest.approx(0.3, abs=0.02) and c.pairs[0].low > 0
    assert c.metric is ACC


# --- agreement with scipy


def test_group_intervals_are_scipys_student_t_intervals():
    rng = np.random.default_rng(3)
    for n in range(2, 12):
        xs = rng.normal(1.0, 0.3, n)
        g = compare(groups({"a": list(xs), "b": list(xs + 1)})).groups[0]
        low, high = stats.t.interval(0.95, n - 1, loc=xs.mean(), scale=stats.sem(xs))
        assert (g.name, g.n, g.failed) == ("a", n, 0)
        assert (g.mean, g.low, g.high) == pytest.approx((xs.mean(), low, high), rel=1e-12)
        assert (g.min, g.max) == (xs.min(), xs.max())


def test_a_group_of_one_or_of_equal_scores_has_a_zero_width_interval_not_nan():
    c = compare({"one": {0: 2.0}, "same": {0: 1.5, 1: 1.5, 2: 1.5}})
    one, same = {g.name: g for g in c.groups}["one"], {g.name: g for g in c.groups}["same"]
    assert (one.mean, one.low, one.high) == (2.0, 2.0, 2.0)
    assert (same.mean, same.low, same.high) == (1.5, 1.5, 1.5)


@pytest.mark.parametrize("metric", [LOSS, ACC])
def test_pair_differences_intervals_and_p_are_scipys_paired_t_test(metric):
    rng = np.random.default_rng(4)
    for n in range(3, 12):
        a, b = rng.normal(1.0, 0.3, n), rng.normal(1.1, 0.3, n)
        c = compare(groups({"a": list(a), "b": list(b)}), metric)
        pair = c.pairs[0]
        best, other = (a, b) if pair.best == "a" else (b, a)
        # oriented so that a positive difference says the best is better
        up, down = (best, other) if metric.higher_is_better else (other, best)
        t = stats.ttest_rel(up, down)
        ci = t.confidence_interval(0.95)
        assert pair.n == n
        assert pair.diff == pytest.approx(np.mean(up - down), rel=1e-12)
        assert (pair.low, pair.high) == pytest.approx((ci.low, ci.high), rel=1e-10)
        assert pair.p == pytest.approx(t.pvalue, rel=1e-10)
        assert pair.p_holm == pytest.approx(t.pvalue, rel=1e-10)  # one pair: nothing to correct
        assert pair.wins == pytest.approx(np.mean(up > down))


def holm_rejects(ps: list[float], alpha: float) -> set[int]:
    """Holm's step-down procedure as defined: walk the p-values from the smallest, rejecting the k-th
    (from 0) while it is at most alpha / (m - k); stop at the first that is not."""
    order = sorted(range(len(ps)), key=lambda i: ps[i])
    rejected = set()
    for k, i in enumerate(order):
        if ps[i] > alpha / (len(ps) - k):
            break
        rejected.add(i)
    return rejected


def test_holm_adjusted_p_values_reject_exactly_what_the_step_down_procedure_does():
    rng = np.random.default_rng(5)
    for _ in range(300):
        m = int(rng.integers(1, 8))
        ps = list(rng.uniform(0, 1, m) ** 3)  # many small ones, so some are rejected
        if rng.uniform() < 0.3:
            ps[0] = ps[-1]  # ties
        adjusted = holm(ps)
        assert all(p <= q <= 1 for p, q in zip(ps, adjusted))
        for alpha in [*rng.uniform(0, 1, 20), *(q * (1 + e) for q in adjusted for e in (-1e-9, 1e-9) if q < 0.99)]:
            assert {i for i, q in enumerate(adjusted) if q <= alpha} == holm_rejects(ps, alpha)
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([]) == []


def test_p_holm_of_a_comparison_is_holm_over_its_pairs():
    rng = np.random.default_rng(6)
    c = compare(groups({k: list(rng.normal(1.0 + 0.05 * i, 0.1, 6)) for i, k in enumerate("abcd")}))
    assert [p.p_holm for p in c.pairs] == pytest.approx(holm([p.p for p in c.pairs]))


# --- rates, by simulation


def test_from_one_distribution_a_best_is_called_in_at_most_5_percent_of_comparisons():
    """3 schedules x 5 seeds, all alike but for a shared per-seed effect much larger than the noise
    (so unpaired tests would be blind and pairing is what finds anything); no practical threshold,
    so only the p-values stand between the noise and a verdict."""
    rng = np.random.default_rng(7)
    called = 0
    for _ in range(1000):
        seed_effect = rng.normal(0, 0.2, 5)
        c = compare(groups({k: list(1.0 + seed_effect + rng.normal(0, 0.02, 5)) for k in "abc"}),
                    min_effect=0.0)
        called += c.verdict.kind == "best"
    assert called / 1000 <= 0.05


def test_pairing_removes_the_shared_seed_effect():
    rng = np.random.default_rng(8)
    seed_effect = rng.normal(0, 0.5, 6)
    c = compare(groups({"a": list(1.0 + seed_effect), "b": list(1.05 + seed_effect + rng.normal(0, 0.005, 6))}))
    assert c.verdict.best == "a" and c.verdict.kind == "best"
    assert stats.ttest_ind(1.0 + seed_effect, 1.05 + seed_effect).pvalue > 0.5  # unpaired: nothing seen


def test_at_the_seeds_the_power_estimate_asks_for_a_real_difference_is_found_most_times():
    """A pilot of 5 seeds whose differences have exactly the true mean and sd ties, and asks for about
    n seeds; at n seeds the difference is found in at least the 80% of simulated comparisons it aims at."""
    delta, sd = 0.02, 0.05
    z = (np.arange(5) - 2) / np.std(np.arange(5), ddof=1)  # mean 0, sd 1 exactly
    pilot = compare(groups({"a": [1.0] * 5, "b": list(1.0 + delta + sd * z)}), min_effect=0.001)
    v = pilot.verdict
    assert (v.kind, v.tied) == ("tied", ("a", "b"))
    expected = math.ceil(((stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) * sd / delta) ** 2)
    assert v.seeds_needed == expected == 50
    assert words.verdict(v) == f"a and b are tied for best (difference {delta:.4g}, interval " \
                     f"[{pilot.pairs[0].low:.4g}, {pilot.pairs[0].high:.4g}]): more seeds would tell (about 50)"
    rng = np.random.default_rng(9)
    found = 0
    for _ in range(400):
        seed_effect = rng.normal(0, 0.3, v.seeds_needed)
        c = compare(groups({"a": list(1.0 + seed_effect),
                            "b": list(1.0 + delta + seed_effect + rng.normal(0, sd, v.seeds_needed))}),
                    min_effect=0.001)
        found += c.verdict.kind == "best" and c.verdict.best == "a"
    assert found / 400 >= 0.8


def test_the_seeds_needed_are_at_least_one_more_than_now_and_at_most_1000():
    near = compare(groups({"a": [1.0, 2.0, 3.0, 4.0], "b": [1.0, 2.6, 2.5, 4.0]}))  # diff 0.025, sd 0.45
    assert near.verdict.kind == "tied" and near.verdict.seeds_needed == 1000
    noisy_but_big = compare(groups({"a": [1.0, 1.0, 1.0], "b": [1.4, 2.0, 2.3]}))  # p ~0.08, asks ~2
    assert noisy_but_big.verdict.kind == "tied" and noisy_but_big.verdict.seeds_needed == 4
    no_difference = compare(groups({"a": [1.0, 2.0, 3.0], "b": [1.5, 1.5, 3.0]}), min_effect=0.0)
    assert no_difference.pairs[0].diff == 0.0 and no_difference.verdict.seeds_needed == 1000


# --- failures, unfinished runs and the practical threshold


def test_a_diverged_run_ranks_last_and_loses_its_pair():
    c = compare(groups({"wild": [None, 0.9, 0.95, 0.85], "calm": [1.0, 1.0, 1.1, 0.9],
                        "dead": [None, None, None, None]}))
    assert [g.name for g in c.groups] == ["calm", "wild", "dead"]
    wild, dead = c.groups[1], c.groups[2]
    assert (wild.n, wild.failed, wild.mean) == (4, 1, pytest.approx(0.9))
    assert (dead.n, dead.failed, dead.mean, dead.low, dead.min) == (4, 4, None, None, None)
    calm_wild = c.pairs[0]
    # seed 0: wild failed, so it scores calm's 1.0 pushed a further max(1, 1.0) bad: 2.0
    assert calm_wild.diff == pytest.approx(np.mean([2.0 - 1.0, 0.9 - 1.0, 0.95 - 1.1, 0.85 - 0.9]))
    assert calm_wild.wins == 0.25
    calm_dead = c.pairs[1]
    # every seed: calm's score pushed max(1, |score|) bad
    assert calm_dead.wins == 1.0 and calm_dead.diff == pytest.approx(np.mean([1.0, 1.0, 1.1, 1.0]))


def test_a_failed_run_loses_in_the_bad_direction_of_a_higher_is_better_metric():
    c = compare(groups({"a": [0.9, 0.91, 0.92], "b": [None, 0.95, 0.96]}), ACC)
    pair = c.pairs[0]
    # seed 0: b failed and scores 0.9 - 1 = -0.1, which outweighs its better seeds; a - b per seed:
    assert (pair.best, pair.other) == ("a", "b")
    assert pair.diff == pytest.approx(np.mean([1.0, -0.04, -0.04])) and pair.wins == pytest.approx(1 / 3)
    assert (c.groups[1].failed, c.groups[1].mean) == (1, pytest.approx(0.955))


def test_two_failures_on_a_seed_are_a_tie():
    c = compare(groups({"a": [None, 1.0, 1.1, 1.2], "b": [None, 1.5, 1.6, 1.7]}))
    pair = c.pairs[0]
    assert (pair.best, pair.n, pair.wins) == ("a", 4, pytest.approx((0.5 + 3) / 4))
    assert pair.diff == pytest.approx(0.5 * 3 / 4)
    assert [g.failed for g in c.groups] == [1, 1]


def test_a_missing_seed_is_unfinished_not_counted():
    c = compare({"a": {0: 1.0, 1: 1.1, 2: 1.2, 3: 1.0}, "b": {0: 2.0, 1: 2.1, 2: 2.2, 5: 2.0}})
    assert [(g.name, g.n) for g in c.groups] == [("a", 4), ("b", 4)]
    pair = c.pairs[0]
    assert (pair.n, pair.unfinished, pair.diff) == (3, (3, 5), pytest.approx(1.0))


def test_a_consistent_but_tiny_difference_is_a_tie_whatever_its_p():
    a = np.array([1.0, 1.2, 0.9, 1.1, 1.05, 0.95, 1.15, 1.0])
    c = compare(groups({"a": list(a), "b": list(a * 1.001)}))
    pair = c.pairs[0]
    assert pair.p_holm < 1e-6 and pair.wins == 1.0
    assert (c.verdict.kind, c.verdict.best, c.verdict.tied) == ("tied", "a", ("a", "b"))
    assert pair.high < 0.01 * c.groups[0].mean  # the whole interval under what would matter: settled
    assert c.verdict.seeds_needed is None and words.verdict(c.verdict).endswith(
        f"the whole interval is under the {0.01 * c.groups[0].mean:.4g} that would matter")
    exact = compare(groups({"a": [1.0, 1.0, 1.0], "b": [1.001, 1.001, 1.001]}))  # no variance at all
    assert (exact.pairs[0].p, exact.verdict.kind, exact.verdict.seeds_needed) == (0.0, "tied", None)
    assert words.verdict(exact.verdict) == "a and b are tied for best (difference 0.001, interval [0.001, 0.001]): " \
                                 "the whole interval is under the 0.01 that would matter"


def test_equal_groups_have_p_1_not_nan():
    c = compare(groups({"a": [1.0, 2.0, 3.0], "b": [1.0, 2.0, 3.0]}))
    assert (c.pairs[0].diff, c.pairs[0].p, c.pairs[0].wins) == (0.0, 1.0, 0.5)
    assert (c.verdict.kind, c.verdict.seeds_needed) == ("tied", None)


def test_under_3_complete_pairs_is_too_few():
    c = compare({"a": {0: 1.0, 1: 1.0, 2: 1.0}, "b": {0: 2.0, 1: 2.0}, "c": {0: 3.0, 1: 3.0, 2: 3.0}})
    v = c.verdict
    assert (v.kind, v.best, v.tied) == ("too-few", "a", ())
    assert words.verdict(v) == "not enough seeds yet: 2 complete pairs, 3 needed"


def test_one_seed_has_no_interval_to_show():
    """One value has no spread and one pair no interval: they are not shown as ±0, nor said in the plural."""
    import io

    from rich.console import Console

    from lrtui.output.tables import comparison_table

    c = compare({"a": {0: 1.0}, "b": {0: 1.5}})
    assert words.verdict(c.verdict) == "not enough seeds yet: 1 complete pair, 3 needed"
    assert [g.shown for g in c.groups] == ["1", "1.5"]
    two = compare({"a": {0: 1.0, 1: 1.2}}).groups[0]
    assert two.shown == f"1.1±{(two.high - two.low) / 2:.2g}"
    console = Console(width=100, record=True, file=io.StringIO())
    console.print(comparison_table(c))
    assert console.export_text().splitlines()[2].split() == ["b", "1", "1.5", "1.5..1.5", "+0.5", "-", "100%", "1"]


def test_one_schedule_is_too_few():
    c = compare(groups({"only": [1.0, 1.1, 1.2, 1.3]}))
    assert (c.verdict.kind, c.verdict.best, words.verdict(c.verdict)) == ("too-few", "only", "one schedule: nothing to compare")
    assert c.pairs == () and c.groups[0].n == 4


def test_three_tied_name_them_best_first_and_the_closest_pair():
    c = compare(groups({"a": [1.0, 1.2, 0.9, 1.1], "b": [1.05, 1.17, 0.94, 1.08],
                        "c": [0.9, 1.4, 0.8, 1.2]}))
    v = c.verdict
    assert v.kind == "tied" and v.tied[0] == v.best == c.groups[0].name and set(v.tied) == set("abc")
    closest = min(c.pairs, key=lambda p: abs(p.diff))
    assert words.verdict(v).startswith(f"{', '.join(v.tied[:-1])} and {v.tied[-1]} are tied for best "
                             f"({closest.best} vs {closest.other}: difference {closest.diff:.4g}")


# --- json


def test_the_json_is_json_safe_and_holds_everything_the_verdict_is_made_of_and_its_sentence():
    c = compare({"a": {0: 1.0, 1: 1.1, 2: 1.2, 3: 0.9}, "b": {0: None, 1: 2.0, 2: 2.1},
                 "c": {0: None, 1: None, 2: None, 3: None}, "d": {0: 1.0, 1: 1.0, 2: 1.0, 3: 1.0}})
    out = json.loads(json.dumps(words.comparison_json(c), allow_nan=False))
    assert out["metric"] == "final_val_loss"
    assert [g["name"] for g in out["groups"]] == [g.name for g in c.groups]
    assert out["groups"][-1] == {"name": "c", "n": 4, "failed": 4, "mean": None, "low": None, "high": None,
                                 "min": None, "max": None}
    assert [p["other"] for p in out["pairs"]] == [p.other for p in c.pairs]
    assert out["pairs"][0].keys() == {"best", "other", "n", "diff", "low", "high", "wins", "p", "p_holm",
                                      "unfinished"}
    v = c.verdict
    assert v.kind == "tied" and out["verdict"] == {
        "kind": v.kind, "best": v.best, "groups": 4, "pairs": v.pairs, "margin": None, "alpha": 0.05,
        "tied": list(v.tied), "closest": {k: list(x) if isinstance(x, tuple) else x for k, x in asdict(v.closest).items()},
        "threshold": v.threshold, "settled": v.settled, "seeds_needed": v.seeds_needed, "text": words.verdict(v)}


def test_the_short_verdict_names_the_best_the_tied_or_says_why_there_is_none():
    from lrtui.judge.verdict import compare

    clear = compare({"a": {s: 1.0 + 0.01 * s for s in range(5)}, "b": {s: 2.0 + 0.01 * s for s in range(5)}})
    assert words.short(clear.verdict) == "a is best"
    same = compare({"a": {0: 1.0, 1: 2.0, 2: 1.5}, "b": {0: 1.1, 1: 1.8, 2: 1.6}})
    assert words.short(same.verdict).startswith("tied: ") and set(same.verdict.tied) == {"a", "b"}
    assert words.short(compare({"a": {0: 1.0}}).verdict) == "one schedule: nothing to compare"


@pytest.mark.parametrize("df", [1, 2, 3, 5, 9, 29, 200])
def test_the_t_distribution_from_scipy_special_is_scipy_stats_own(df):
    """The verdict reads Student's t from scipy.special (a second less to import than scipy.stats): its
    p values and intervals equal scipy.stats's on every degree of freedom a comparison meets."""
    from scipy import stats

    from lrtui.judge.verdict import _interval, _p

    rng = np.random.default_rng(df)
    xs = rng.normal(0.3, 1.0, df + 1)
    assert _p(xs) == pytest.approx(stats.ttest_1samp(xs, 0.0).pvalue, rel=1e-10)
    low, high = _interval(xs)
    expected = stats.t.interval(0.95, df, loc=xs.mean(), scale=stats.sem(xs))
    assert (low, high) == pytest.approx(expected, rel=1e-10)
