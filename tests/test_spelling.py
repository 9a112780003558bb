"""How an answer is spelled: one canonical spelling per value, and what its words say."""

import pytest

from judge.spelling import as_number, has_variable, is_multi_valued, normalize_answer, strip_label

SPELLINGS = [
    (r"$\boxed{7}$", "7"),  # math mode and a box
    (r"\frac{1}{\mathrm{e}}", r"\frac{1}{e}"),  # an upright constant is the constant
    (r"\text{e}^{2}", "e^{2}"),  # ... in \text
    (r"\operatorname{i}", "i"),  # ... the imaginary unit
    (r"\binom 6 3", r"\binom{6}{3}"),  # brace-less binomial
    (r"\dbinom{6}{3}", r"\binom{6}{3}"),  # \dbinom
    ("two fifths", r"\frac{2}{5}"),  # a fraction in words
    ("a third", r"\frac{1}{3}"),  # ... with an article
    ("101_2", "5"),  # a numeral in base 2 is its value
    ("(1F)_{16}", "31"),  # hexadecimal with braces
    ("129_4", "129_4"),  # a digit base 4 lacks: left as written
    ("x_2", "x_2"),  # a subscripted variable is not a numeral
    (r"19, 46, \text{ and } 82", "19, 46, and 82"),  # \text{ and } is the word
    (r"x_{1}=2,\quadx_{2}=3", "x_{1}=2, x_{2}=3"),  # \quad glued to a name is still spacing
    (r"12\pi \text{ cm}^2", r"12\pi"),  # a unit after \pi
    ("28 %", "28"),  # a spaced percent sign
    ("AB = 4", "4"),  # a segment's name
    ("y = 2x + 1", "y = 2x + 1"),  # an equation keeps its left side
    ("3.4e-5", "0.000034"),  # E-notation is the exact decimal
    (r"6.02 \times 10^{23}", "602000000000000000000000"),  # ... and so is scientific notation
    (r"2e - 1", "2e - 1"),  # Euler's number, spaced, stays
    ("2.500.000", "2500000"),  # dot thousands groups
    ("2.500", "2.500"),  # one dot: a decimal point
    ("∛2", r"\sqrt[3]{2}"),  # a unicode cube root
    ("3 1/4", r"\frac{13}{4}"),  # a mixed number with a space
    (r"\text{infinity}", r"\infty"),  # infinity in words
    (r"\cos 60^\circ", r"\cos(\frac{60\pi}{180})"),  # degrees inside a trigonometric function
]


@pytest.mark.parametrize("answer, expected", SPELLINGS)
def test_normalize_answer_spells_one_value_one_way(answer, expected):
    assert normalize_answer(answer) == expected


LABELS = [
    ("x = 3", "3"),  # a variable's value
    (r"\frac{NO}{BO} = \frac{1}{2}", r"\frac{1}{2}"),  # a ratio of segments
    ("(x, y) = (1, 2)", "(1, 2)"),  # a named point
    ("x = e^2", "e^2"),  # e is a constant, not a variable
    ("y = 2x", "y = 2x"),  # the value holds a variable: an equation
    ("x = 1 = y", "x = 1 = y"),  # two equals signs: not a label
]


@pytest.mark.parametrize("answer, expected", LABELS)
def test_strip_label_keeps_equations_whole(answer, expected):
    assert strip_label(answer) == expected


def test_has_variable_ignores_commands_and_constants():
    assert not has_variable(r"\frac{\sqrt{2}}{e} + 3i") and has_variable(r"\frac{x}{2}")


MULTI = [
    ("2, 3", True),  # a bare list
    ("{2, 3}", True),  # a set in braces
    (r"\{2, 3\}", True),  # ... escaped
    ("(2, 3)", False),  # one point
    ("3 or 4", True),  # a hedge in words
    ("7", False),  # one value
]


@pytest.mark.parametrize("norm, multi", MULTI)
def test_is_multi_valued_sees_lists_in_braces(norm, multi):
    assert is_multi_valued(norm) is multi


def test_as_number_reads_plain_numbers_and_integer_fractions_only():
    assert as_number("-3/4") == as_number(r"-\frac{3}{4}") and as_number("x") is None
