"""The judge shared by reward and evaluation: each row of judge_table.EQUIVALENCE (gold, prediction,
equivalent?, with a reason each), graded near misses, and math-verify loaded before any completion."""

import pytest
from judge_table import EQUIVALENCE  # the table, shared with test_judge_stability.py

from judge import is_equivalent, judge_answer


@pytest.mark.parametrize("gold, pred, expected", EQUIVALENCE)
def test_is_equivalent_table(gold, pred, expected):
    assert is_equivalent(pred, gold) is expected


@pytest.mark.parametrize(
    "gold, pred, verdict",
    [
        ("100", "95", "close_10"),  # 5% off
        ("100", "110", "close_10"),  # 10% off, boundary included
        ("100", "85", "close_20"),  # 15% off
        ("100", "121", "wrong"),  # 21% off
        (r"\frac{1}{3}", "0.33", "close_10"),  # rounding error of a fraction gold
        # One rule for approximations: a decimal is never an exact gold; the same bands either way.
        (r"\sqrt{2}", "1.414214", "close_10"),  # an irrational gold, closely approximated
        ("1.414214", r"\sqrt{2}", "close_10"),  # ... the other way
        (r"\frac{1}{3}", "0.333333", "close_10"),  # a rational gold: the same band
        (r"\pi", "3.3", "close_10"),  # 5 % off an irrational gold
        (r"\pi", "3.7", "close_20"),  # 18 % off
        (r"\pi", "4", "wrong"),  # 27 % off
        (r"\sqrt{2}", r"\frac{1414}{1000}", "close_10"),  # an exact fraction near it is still not it
        ("1024", "2^{10}", "equivalent"),  # an exact value that is the number
        ("0", "0.01", "wrong"),  # no ratio to a zero gold
        ("42", "banana split", "unparseable"),  # prose: nothing to judge
        ("98", r"19 \times 9 - 73", "unparseable"),  # a restated problem states no value: below a wrong number
        (r"19 \times 9 - 73", "98", "wrong"),  # ... and a number is not that expression (symmetric)
        ("6", r"6 \text{ when } k \text{ is odd}", "unparseable"),  # a conditional answer is a hedge
        (r"6 \text{ when } k \text{ is odd}", "6", "wrong"),  # ... and a value is not a conditional gold
        ("11:20 PM", "11:20 AM", "wrong"),  # the other half of the day: a wrong time
        ("11:20 PM", "11:20 PM or 11:20 AM", "unparseable"),  # both halves: a hedge
        (r"\textbf{(C)}\ 12", "12.5", "wrong"),  # a value near a choice's is another choice, never close
        ("12", "Final answer: 12. Or maybe 13.", "unparseable"),  # a second value after the marked one: a hedge
        ("5", r"2 + 3 = 5, \; 5 \times 2 = 10. \text{Final answer: } 10", "wrong"),  # the marked value is judged
    ],
)
def test_judge_answer_grades_near_misses(gold, pred, verdict):
    assert judge_answer(pred, gold) == verdict


def test_warm_up_loads_math_verify_before_any_completion(monkeypatch):
    import judge
    from judge import symbolic

    monkeypatch.setattr(symbolic, "_math_verify_module", None)
    judge.warm_up()
    assert symbolic._math_verify_module is not None
