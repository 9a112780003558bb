"""Evaluation statistics: Wilson intervals for rates (also pooled over seeds, the problem as the unit),
the exact McNemar test for paired before/after verdicts, the per-problem comparison of two arms over
seeds (an exact sign-flip test on integer counts), and the unbiased pass@k estimator. Pure functions
on counts; no models, no judging here.
"""

from __future__ import annotations

from math import comb

CONFIDENCE = 0.95  # level of every interval
ALPHA = 0.05  # a paired difference with p below this is called distinguishable from noise


def wilson_interval(successes: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The Wilson score interval of a rate (well behaved at 0 % and 100 %, unlike the normal one).

    >>> [round(x, 3) for x in wilson_interval(83, 200)]
    [0.349, 0.484]
    """
    from scipy.stats import binomtest

    if n == 0:
        return 0.0, 1.0  # nothing observed: any rate is possible
    ci = binomtest(successes, n).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


def rate_with_interval(successes: int, n: int, seeds: int = 1) -> str:
    """A rate and its 95 % interval as printed in the reports; `seeds` > 1: n verdicts of that many
    seeds on the same problems, the interval's unit the problem (seeds_rate_interval).

    >>> rate_with_interval(83, 200), rate_with_interval(249, 600, seeds=3)
    ('41.5 % [34.9, 48.4]', '41.5 % [34.9, 48.4]')
    """
    # one seed: scipy's Wilson, so evaluate.py needs no statsmodels (the GPU install does not have it)
    low, high = wilson_interval(successes, n) if seeds == 1 else seeds_rate_interval(successes, n, seeds)
    rate = successes / n if n else 0.0
    return f"{100 * rate:.1f} % [{100 * low:.1f}, {100 * high:.1f}]"


def seeds_rate_interval(successes: int, draws: int, seeds: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The Wilson interval of a rate pooled over `seeds` runs that answered the same problems, with the
    problem as the unit: the Wilson interval of each problem's mean correctness over the seeds, at n =
    problems (draws / seeds). Conservative: a per-problem mean in [0, 1] varies at most as a 0/1
    draw, so the seeds' agreement never narrows it below what one run of those problems would give.

    >>> [round(x, 3) for x in seeds_rate_interval(83, 200, 1)] == [round(x, 3) for x in wilson_interval(83, 200)]
    True
    >>> [round(x, 3) for x in seeds_rate_interval(249, 600, 3)]  # 41.5 % over 3 seeds of 200 problems
    [0.349, 0.484]
    """
    from statsmodels.stats.proportion import proportion_confint  # takes the fractional count of a mean

    if draws == 0:
        return 0.0, 1.0  # nothing observed: any rate is possible
    if seeds < 1 or draws % seeds:
        raise ValueError(f"{draws} verdicts are not {seeds} seeds of the same problems")
    low, high = proportion_confint(successes / seeds, draws // seeds, alpha=1 - confidence, method="wilson")
    return float(low), float(high)


def paired_test(before: list[bool], after: list[bool]) -> dict:
    """Exact McNemar test on the same problems judged before and after: only the problems that
    changed count (fixed: wrong -> right, broken: right -> wrong); under "no change" each is a coin flip.

    >>> result = paired_test([False] * 10 + [True] * 2, [True] * 10 + [False] * 2)
    >>> result["fixed"], result["broken"], round(result["p_value"], 4)
    (10, 2, 0.0386)
    """
    from scipy.stats import binomtest

    if len(before) != len(after):
        raise ValueError(f"paired test needs the same problems: {len(before)} vs {len(after)} verdicts")
    fixed = sum(1 for b, a in zip(before, after, strict=True) if a and not b)
    broken = sum(1 for b, a in zip(before, after, strict=True) if b and not a)
    p_value = 1.0 if fixed + broken == 0 else float(binomtest(fixed, fixed + broken, 0.5).pvalue)
    return {"fixed": fixed, "broken": broken, "n": len(before), "p_value": p_value}


def describe_paired(test: dict, alpha: float = ALPHA) -> str:
    """The paired test in one sentence a reader can act on.

    >>> describe_paired({"fixed": 10, "broken": 2, "n": 12, "p_value": 0.0386})
    'fixed 10, broke 2 of 12 problems; exact McNemar p = 0.0386: distinguishable from noise at this sample size (p < 0.05)'
    """
    head = f"fixed {test['fixed']}, broke {test['broken']} of {test['n']} problems; exact McNemar p = {test['p_value']:.3g}"
    if test["p_value"] < alpha:
        return f"{head}: distinguishable from noise at this sample size (p < {alpha})"
    return f"{head}: not distinguishable from noise at this sample size (p >= {alpha})"


def pass_at_k(n: int, correct: int, k: int) -> float:
    """Unbiased estimate of pass@k from n samples of which `correct` are right (Chen et al., 2021):
    the chance that k samples drawn without replacement from the n include a right one.

    >>> pass_at_k(4, 1, 1), pass_at_k(4, 1, 4), pass_at_k(4, 0, 2), round(pass_at_k(5, 2, 2), 3)
    (0.25, 1.0, 0.0, 0.7)
    """
    if not 1 <= k <= n:
        raise ValueError(f"pass@k needs 1 <= k <= n, got k={k}, n={n}")
    if n - correct < k:
        return 1.0
    return 1.0 - comb(n - correct, k) / comb(n, k)


def sign_flip_p_value(differences: list[int]) -> float:
    """The exact two-sided p-value of the paired sign-flip test on integer per-problem differences:
    under "no difference" each problem's difference is as likely to have the other sign, so the sum of
    the differences is compared with its exact distribution over all 2^m sign assignments of the m
    non-zero ones (counted with integers: no normal approximation, no ranks, ties and zeros exact).

    >>> sign_flip_p_value([1, 1, 1, 1]), sign_flip_p_value([3, 0, -1, 2]), sign_flip_p_value([0, 0])
    (0.125, 0.5, 1.0)
    """
    sizes = [abs(int(d)) for d in differences if d]
    if not sizes:
        return 1.0
    total = sum(sizes)
    counts = [0] * (2 * total + 1)  # counts[k]: sign assignments whose sum is k - total
    counts[total] = 1
    for size in sizes:
        counts = [
            (counts[k - size] if k >= size else 0) + (counts[k + size] if k + size <= 2 * total else 0)
            for k in range(2 * total + 1)
        ]
    observed = abs(sum(int(d) for d in differences))
    extreme = sum(c for k, c in enumerate(counts) if abs(k - total) >= observed)
    return min(1.0, extreme / 2 ** len(sizes))


def per_problem_comparison(control: list[list[bool]], treated: list[list[bool]], seed: int = 0) -> dict:
    """Two arms on the same problems, each under one or more seeds, with the problem as the unit.

    * "Do these adapters beat it on these problems?": each problem's integer count of right answers
      (treated count x control seeds - control count x treated seeds, so arms with different numbers
      of seeds compare on one scale), the paired sign-flip test on those integers (sign_flip_p_value),
      and a bootstrap interval of the mean difference in accuracy that resamples problems (clustered
      by problem: a problem's seeds stay together). The test is exact when swapping the two arms'
      verdicts on a problem is as likely as not under "no difference": true for arms paired seed by
      seed; against a control of one greedy run (a base model) it is a permutation test whose null
      that run does not quite meet, so read each seed's exact McNemar against it too.
    * "Does the recipe beat it on a new seed?": the seed-level figure, the mean over seeds of each
      seed's accuracy difference with a t interval over the seeds (seed s against control seed s when
      both have the same seeds, else against the control's mean); with three seeds it is wide, with
      one there is none (`seed_interval` is None).

    `control[s][i]` is seed s's verdict on problem i.

    >>> result = per_problem_comparison([[False] * 30 + [True] * 10] * 3, [[True] * 30 + [False] * 10] * 3)
    >>> round(result["difference"], 3), result["p_value"] < 0.01, result["seeds_better"], result["problems"]
    (0.5, True, 3, 40)
    """
    import numpy as np
    from scipy.stats import bootstrap
    from scipy.stats import t as student_t

    a, b = np.asarray(control, dtype=int), np.asarray(treated, dtype=int)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1] or a.shape[1] == 0:
        raise ValueError(
            f"per-problem comparison needs seeds x problems verdicts on the same problems: {a.shape} vs {b.shape}"
        )
    counts = b.sum(axis=0) * a.shape[0] - a.sum(axis=0) * b.shape[0]  # integers: no float means over seeds
    differences = b.mean(axis=0) - a.mean(axis=0)
    if np.ptp(differences) == 0:  # every problem moved alike: the interval is that point
        low = high = float(differences[0])
    else:
        ci = bootstrap((differences,), np.mean, confidence_level=CONFIDENCE, n_resamples=10_000, rng=seed)
        low, high = float(ci.confidence_interval.low), float(ci.confidence_interval.high)
    per_seed = b.mean(axis=1) - (a.mean(axis=1) if a.shape[0] == b.shape[0] else a.mean())
    if len(per_seed) == 1:  # one seed says nothing about the next: no interval rather than a point
        seed_interval = None
    elif np.ptp(per_seed) > 0:
        half = student_t.ppf((1 + CONFIDENCE) / 2, len(per_seed) - 1) * per_seed.std(ddof=1) / np.sqrt(len(per_seed))
        seed_interval = (float(per_seed.mean() - half), float(per_seed.mean() + half))
    else:  # seeds that agree exactly: the t interval has no width
        seed_interval = (float(per_seed.mean()), float(per_seed.mean()))
    return {
        "difference": float(differences.mean()),
        "interval": (low, high),
        "p_value": sign_flip_p_value(counts.tolist()),
        "seed_difference": float(per_seed.mean()),
        "seed_interval": seed_interval,
        "seeds_better": int((per_seed > 0).sum()),
        "seeds": b.shape[0],
        "problems": a.shape[1],
    }
