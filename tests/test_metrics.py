"""recipe/statistics.py: intervals, the paired test and pass@k against values computed by hand."""

from math import comb, sqrt

import pytest

from recipe import statistics

Z = 1.959963984540054  # the 97.5 % normal quantile


def wilson_by_hand(k: int, n: int) -> tuple[float, float]:
    p = k / n
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z * sqrt(p * (1 - p) / n + Z**2 / (4 * n**2)) / (1 + Z**2 / n)
    return centre - half, centre + half


@pytest.mark.parametrize(
    "k, n",
    [
        (83, 200),  # the example, 41.5 %
        (0, 20),  # nothing right: the interval still has width
        (20, 20),  # everything right
        (1, 3),  # tiny sample
    ],
)
def test_wilson_interval_matches_the_closed_form(k, n):
    assert statistics.wilson_interval(k, n) == pytest.approx(wilson_by_hand(k, n), abs=1e-9)


SEEDS_RATES = [
    # (right, verdicts, seeds, the interval's Wilson at (right / seeds, verdicts / seeds): one draw per problem)
    (83, 200, 1, (83, 200)),  # one seed: the plain Wilson interval
    (249, 600, 3, (83, 200)),  # 3 seeds of 200 problems: as wide as one run of them, not as 600 draws
    (0, 99, 3, (0, 33)),  # nothing right: still the width of 33 problems
    (3, 6, 2, (1.5, 3)),  # a fractional count: problems half right over the seeds
]


@pytest.mark.parametrize("right, verdicts, seeds, per_problem", SEEDS_RATES)
def test_a_rate_pooled_over_seeds_counts_each_problem_once(right, verdicts, seeds, per_problem):
    k, n = per_problem
    assert statistics.seeds_rate_interval(right, verdicts, seeds) == pytest.approx(wilson_by_hand(k, n), abs=1e-9)


def test_a_pooled_rate_refuses_verdicts_that_are_not_whole_seeds():
    with pytest.raises(ValueError, match="not 3 seeds"):
        statistics.seeds_rate_interval(1, 10, 3)


def test_rate_is_printed_with_its_interval():
    assert statistics.rate_with_interval(83, 200) == "41.5 % [34.9, 48.4]"


PAIRED = [
    # (fixed, broken, two-sided exact p computed by hand from the binomial(fixed + broken, 1/2))
    (10, 2, 2 * (comb(12, 0) + comb(12, 1) + comb(12, 2)) / 2**12),  # a clear improvement
    (3, 3, 1.0),  # as many fixed as broken
    (5, 0, 2 / 2**5),  # all changes one way, few of them
    (0, 0, 1.0),  # nothing changed
]


@pytest.mark.parametrize("fixed, broken, p_value", PAIRED)
def test_paired_test_is_exact_mcnemar(fixed, broken, p_value):
    unchanged = 7  # right both times or wrong both times: ignored by the test
    before = [False] * fixed + [True] * broken + [True] * unchanged
    after = [True] * fixed + [False] * broken + [True] * unchanged
    result = statistics.paired_test(before, after)
    assert (result["fixed"], result["broken"], result["n"]) == (fixed, broken, fixed + broken + unchanged)
    assert result["p_value"] == pytest.approx(p_value)


def test_paired_test_refuses_unpaired_lists():
    with pytest.raises(ValueError, match="same problems"):
        statistics.paired_test([True], [True, False])


def test_paired_sentence_says_whether_the_change_is_noise():
    assert "not distinguishable" in statistics.describe_paired(statistics.paired_test([True] * 3, [False, True, True]))
    clear = statistics.describe_paired(statistics.paired_test([False] * 12, [True] * 12))
    assert "distinguishable from noise" in clear and "not" not in clear


@pytest.mark.parametrize("n", [1, 3, 8])
@pytest.mark.parametrize("correct", [0, 1, 2])
def test_pass_at_k_matches_the_closed_form(n, correct):
    if correct > n:
        return
    for k in range(1, n + 1):
        # chance that k draws without replacement from n all miss the `correct` right ones
        all_wrong = 1.0
        for i in range(k):
            all_wrong *= max(n - correct - i, 0) / (n - i)
        assert statistics.pass_at_k(n, correct, k) == pytest.approx(1 - all_wrong)


def test_pass_at_1_is_the_mean_over_samples():
    assert statistics.pass_at_k(8, 3, 1) == pytest.approx(3 / 8)


SIGN_FLIPS = [  # (per-problem integer differences, exact two-sided p)
    ([1, 1, 1, 1], 2 / 16),  # four problems up by one: only all-up or all-down are as extreme
    ([3, 0, -1, 2], 8 / 16),  # zeros carry no sign; sizes differ
    ([0, 0, 0], 1.0),  # nothing moved
    ([2, -2], 1.0),  # one up, one down by as much
    ([1] * 10, 2 / 2**10),  # ten problems, all up
]


@pytest.mark.parametrize("differences, p_value", SIGN_FLIPS)
def test_sign_flip_test_is_exact_on_integer_differences(differences, p_value):
    assert statistics.sign_flip_p_value(differences) == pytest.approx(p_value)


def test_sign_flip_test_counts_every_sign_assignment():
    import itertools
    import random

    rng = random.Random(0)
    for _ in range(20):
        differences = [rng.randint(-3, 3) for _ in range(rng.randint(1, 9))]
        moved = [d for d in differences if d]
        flips = list(itertools.product((1, -1), repeat=len(moved)))
        extreme = sum(abs(sum(s * d for s, d in zip(signs, moved, strict=True))) >= abs(sum(moved)) for signs in flips)
        assert statistics.sign_flip_p_value(differences) == pytest.approx(extreme / len(flips))


def test_per_problem_comparison_tests_integer_counts_and_gives_the_seed_level_figure():
    control = [[False, False, True, False], [False, True, False, False], [False, False, False, False]]
    treated = [[True, False, True, True], [True, True, True, False], [True, False, True, False]]
    result = statistics.per_problem_comparison(control, treated)
    # per-problem counts over 3 seeds: treated 3, 1, 3, 1 against control 0, 1, 1, 0 -> differences 3, 0, 2, 1
    assert result["p_value"] == pytest.approx(statistics.sign_flip_p_value([9, 0, 6, 3]))
    assert result["seed_difference"] == pytest.approx(sum([0.5, 0.5, 0.5]) / 3)  # each seed +2 of 4
    assert result["seed_interval"] == pytest.approx((0.5, 0.5))  # the seeds agree exactly: no spread
    base = statistics.per_problem_comparison([[False, False, True, False]], treated)  # one control seed (a base model)
    assert base["p_value"] == pytest.approx(statistics.sign_flip_p_value([3, 1, 0, 1]))


def test_per_problem_comparison_gives_no_seed_interval_for_one_seed():
    # one trained seed: nothing to estimate how a new seed would do, so no interval rather than a point
    one = statistics.per_problem_comparison([[False, False, True, False]], [[True, False, True, True]])
    assert one["seed_interval"] is None
    assert one["seed_difference"] == pytest.approx(0.5) and one["seeds_better"] == 1
