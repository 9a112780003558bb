"""Whether an answer equals the gold: number bands, groups, multi-part answers, sets and equations."""

from fractions import Fraction

import pytest

from judge.equivalence import (
    CLOSE_10,
    CLOSE_20,
    EQUIVALENT,
    TIMEOUT,
    WRONG,
    answer_parts,
    groups_equal,
    numeric_verdict,
    parts_verdict,
    set_pieces,
    tuple_components,
)
from judge.spelling import normalize_answer

BANDS = [
    (Fraction(1, 2), Fraction(1, 2), EQUIVALENT),  # equal
    (0.95, 1, CLOSE_10),  # 5 % off
    (Fraction(88, 100), 1, CLOSE_20),  # 12 % off
    (Fraction(79, 100), 1, WRONG),  # 21 % off
    (Fraction(1, 100), 0, WRONG),  # a zero gold has no ratio
]


@pytest.mark.parametrize("pred, gold, verdict", BANDS)
def test_numeric_verdict_uses_the_same_bands_for_every_gold(pred, gold, verdict):
    assert numeric_verdict(pred, gold) == verdict


GROUPS = [
    (("set", (1, 2)), ("set", (2, 1)), True),  # sets in any order
    (("set", (1, 3)), ("()", (1, 3)), True),  # a braced list against a pair, in written order
    (("set", (1, 3)), ("()", (3, 1)), False),  # ... not in another
    (("[)", (1, 2)), ("set", (1, 2)), False),  # an interval is not a set of two numbers
]


@pytest.mark.parametrize("a, b, same", GROUPS)
def test_groups_equal_follows_the_kinds(a, b, same):
    assert groups_equal(a, b) is same and groups_equal(b, a) is same


PARTS = [
    ("x = 4 or x = -2", ("set", ["4", "-2"])),  # solutions joined by "or", labels gone
    (r"\boxed{1} and \boxed{2}", ("set", ["1", "2"])),  # several boxes
    (r"\pm 3", ("set", ["3", "-3"])),  # plus-minus is two values
    (r"1 \pm \sqrt{2}", ("set", [r"1+\sqrt{2}", r"1-\sqrt{2}"])),  # ... around a value
    (r"\frac{1 \pm \sqrt{5}}{2}", ("set", [r"\frac{1+\sqrt{5}}{2}", r"\frac{1-\sqrt{5}}{2}"])),  # ... inside a fraction
    ("b = 7, a = 2", ("labels", ["2", "7"])),  # labelled parts, in the labels' order
    ("p=5,q=2;p=7,q=2", ("set", ["(5, 2)", "(7, 2)"])),  # labelled solutions are points
    ("(11,7)or(7,11)", ("set", ["(11,7)", "(7,11)"])),  # "or" glued to brackets
    ("7", None),  # one value
    ("[1, 2)", None),  # an interval is one value
]


@pytest.mark.parametrize("answer, expected", PARTS)
def test_answer_parts_finds_the_parts_of_a_multi_part_answer(answer, expected):
    found = answer_parts(answer, normalize_answer(answer))
    assert found == expected or (found[0], [p.replace(" ", "") for p in found[1]]) == expected  # spacing aside


def exact(pred, gold):
    return EQUIVALENT if pred.replace(" ", "") == gold.replace(" ", "") else WRONG


def test_parts_verdict_compares_sets_ignoring_order_and_repeats():
    assert parts_verdict(("set", ["1", "2", "2"]), ("set", ["2", "1"]), exact) == EQUIVALENT
    assert parts_verdict(("set", ["1", "3"]), ("set", ["1", "2"]), exact) == WRONG
    assert parts_verdict(("labels", ["1", "2"]), ("labels", ["2", "1"]), exact) == WRONG  # labelled: in order
    assert parts_verdict(("set", ["1"]), ("set", ["1"]), lambda p, g: TIMEOUT) == TIMEOUT  # undecided


def test_set_pieces_and_tuple_components():
    assert set_pieces(r"x \le -1 or x \ge 4") == [r"x \le -1", r"x \ge 4"]
    assert set_pieces("y = 2x") is None and tuple_components("(2, 7)") == ["2", "7"]
