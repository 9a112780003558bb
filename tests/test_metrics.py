"""metrics.py: intervals, the paired test and pass@k against values computed by hand."""

from math import comb, sqrt

import pytest

import metrics

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
    assert metrics.wilson_interval(k, n) == pytest.approx(wilson_by_hand(k, n), abs=1e-9)


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
    assert metrics.seeds_rate_interval(right, verdicts, seeds) == pytest.approx(wilson_by_hand(k, n), abs=1e-9)


def test_a_pooled_rate_refuses_verdicts_that_are_not_whole_seeds():
    with pytest.raises(ValueError, match="not 3 seeds"):
        metrics.seeds_rate_interval(1, 10, 3)


def test_rate_is_printed_with_its_interval():
    assert metrics.rate_with_interval(83, 200) == "41.5 % [34.9, 48.4]"


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
    result = metrics.paired_test(before, after)
    assert (result["fixed"], result["broken"], result["n"]) == (fixed, broken, fixed + broken + unchanged)
    assert result["p_value"] == pytest.approx(p_value)


def test_paired_test_refuses_unpaired_lists():
    with pytest.raises(ValueError, match="same problems"):
        metrics.paired_test([True], [True, False])


def test_paired_sentence_says_whether_the_change_is_noise():
    assert "not distinguishable" in metrics.describe_paired(metrics.paired_test([True] * 3, [False, True, True]))
    clear = metrics.describe_paired(metrics.paired_test([False] * 12, [True] * 12))
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
        assert metrics.pass_at_k(n, correct, k) == pytest.approx(1 - all_wrong)


def test_pass_at_1_is_the_mean_over_samples():
    assert metrics.pass_at_k(8, 3, 1) == pytest.approx(3 / 8)
