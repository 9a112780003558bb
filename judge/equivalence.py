"""Whether an answer equals the gold: the verdict names, plain numbers and the one rule for
approximations, number groups (intervals, tuples, sets), multi-part answers (lists, solutions joined
by words, several boxes), sets of reals written as inequalities or intervals, equations in another
form, and the symbolic comparison through math-verify (symbolic.py).
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Callable
from fractions import Fraction

from . import symbolic
from .answers import BOXED, MAX_ANSWER_CHARS, closing_brace
from .spelling import (
    BRACKET_DEPTH,
    HEDGE_WORDS,
    LABEL,
    OPERATOR_WORDS,
    RELATION,
    as_number,
    braced_body,
    has_variable,
    normalize_answer,
    prose_words,
    split_top_level,
    stated_values,
    strip_label,
)

logger = logging.getLogger(__name__)

# Verdicts of the judge, from best to worst. TIMEOUT is its own verdict (a budget ran out before a
# decision), never silently "wrong": the reward scores it like an unparseable answer and logs how
# often it happens; evaluate.py re-judges it once with a larger budget.
EQUIVALENT, CLOSE_10, CLOSE_20, WRONG, UNPARSEABLE, TIMEOUT, NO_BLOCK = (
    "equivalent",
    "close_10",
    "close_20",
    "wrong",
    "unparseable",
    "timeout",
    "no_block",
)
VERDICTS = (EQUIVALENT, CLOSE_10, CLOSE_20, WRONG, UNPARSEABLE, TIMEOUT, NO_BLOCK)
# One rule for approximations, rational and irrational golds alike, both directions: a value within
# 10 % (20 %) of the other side is close; only an exactly equal value is equivalent, so a decimal
# approximation of an exact gold is never the gold.
CLOSE_10_BAND = (Fraction(9, 10), Fraction(11, 10))
CLOSE_20_BAND = (Fraction(8, 10), Fraction(12, 10))
MAX_PARTS = 12  # a multi-part answer with more parts is compared as written (cost grows with parts^2)
YES_NO = frozenset({"yes", "no", "true", "false"})  # an answer in itself, not the hedge word "no"


# --- Numbers


def numeric_verdict(pred: Fraction | float, gold: Fraction | float) -> str:
    """Equal, within 10 %, within 20 % of a non-zero gold, or wrong.

    >>> numeric_verdict(Fraction(1, 2), Fraction(1, 2)), numeric_verdict(0.333, Fraction(1, 3))
    ('equivalent', 'close_10')
    """
    if pred == gold:
        return EQUIVALENT
    if gold != 0:
        ratio = Fraction(pred) / Fraction(gold)
        if CLOSE_10_BAND[0] <= ratio <= CLOSE_10_BAND[1]:
            return CLOSE_10
        if CLOSE_20_BAND[0] <= ratio <= CLOSE_20_BAND[1]:
            return CLOSE_20
    return WRONG


def has_percent(text: str) -> bool:
    return "%" in text or "percent" in text.lower()


_INFINITY = {"\\infty": "inf", "+\\infty": "inf", "-\\infty": "-inf", "\\inf": "inf"}


def as_number_group(norm: str) -> tuple | None:
    """Intervals, tuples, sets and lists whose items are all plain numbers (or infinities), as a
    comparable value; None for anything else. math-verify takes 40-120 ms on such pairs."""
    s = norm.replace(" ", "")
    if len(s) > MAX_ANSWER_CHARS or "," not in s:
        return None
    inner = braced_body(s)
    if inner is not None:
        kind, body = "set", inner  # \\{1, 2\\} and {-2021, 2021}: the braces hold a set
    elif s[0] in "([" and s[-1] in ")]":
        kind, body = s[0] + s[-1], s[1:-1]
    else:
        kind, body = "set", s  # a bare list "2, 5, 7" is compared as a set, as math-verify does
    items = []
    for item in split_top_level(body):
        value = _INFINITY.get(item) or as_number(item)
        if value is None:
            return None
        items.append(value)
    return kind, tuple(items)  # in written order: a set against a tuple is read in order


def groups_equal(a: tuple, b: tuple) -> bool:
    """Two sets (or bare lists) are equal in any order; a set against a tuple is read in its written
    order, as math-verify does ({1, 3} is (1, 3), not (3, 1)); other kinds must match exactly.

    >>> groups_equal(("set", (1, 3)), ("set", (3, 1))), groups_equal(("set", (1, 3)), ("()", (3, 1)))
    (True, False)
    """
    if a[0] == b[0] == "set":
        return set(a[1]) == set(b[1])
    if a[0] == b[0] or {a[0], b[0]} == {"set", "()"}:
        return a[1] == b[1]
    return False


def prose_verdict(norm: str) -> str | None:
    """UNPARSEABLE or WRONG for an answer whose words make it something other than one value, else
    None: a second candidate or an open range ("7 or eight", "at least 7", "answer is 7, no: 9"),
    or arithmetic spelled out ("7 squared": not the value 7)."""
    words = prose_words(norm)
    if not words:
        return None
    if words & HEDGE_WORDS or len(stated_values(norm)) > 1:
        return UNPARSEABLE
    if words & OPERATOR_WORDS:
        return WRONG
    return None


def yes_no_verdict(key: str, gold_key: str) -> str | None:
    """Yes / no / true / false on either side: the same word in any case, else wrong; None otherwise."""
    pred, gold = key.lower(), gold_key.lower()
    if pred in YES_NO or gold in YES_NO:
        return EQUIVALENT if pred == gold else WRONG
    return None


# --- Multi-part answers

_JOINER = re.compile(r"(?<![A-Za-z\\])(?:and|or)(?![A-Za-z])|\\(?:lor|vee)(?![A-Za-z])|;")
_PLUS_MINUS = re.compile(r"\\pm(?![A-Za-z])|\\mp(?![A-Za-z])|\u00b1")
_TUPLE_LABEL = re.compile(r"^\s*\(\s*[A-Za-z](?:\s*,\s*[A-Za-z])+\s*\)\s*=\s*")


def boxed_contents(text: str) -> list[str]:
    """The contents of every balanced \\boxed{...} in text, in order."""
    contents = []
    for match in BOXED.finditer(text):
        end = closing_brace(text, match.end())
        if end is not None:
            contents.append(text[match.end() : end])
    return contents


def answer_parts(raw: str, norm: str) -> tuple[str, list[str]] | None:
    """The parts of a multi-part answer and how they compare, or None for one value: several
    \\boxed{} (what stands between them is ignored), or a list / set joined by commas, semicolons,
    "and" or "or", or a \\pm; kind "set" (any order) or "labels" (every part labelled: "a = 2, b = 7",
    in the labels' order, compared in order with another labelled answer or a tuple's components).

    >>> answer_parts("x = 4 or x = -2", "x = 4 or x = -2"), answer_parts("7", "7")
    (('set', ['4', '-2']), None)
    """
    boxes = boxed_contents(raw)
    if len(boxes) > 1:
        pieces = boxes
    else:
        s = _TUPLE_LABEL.sub("", norm, count=1)
        inner = braced_body(s)
        s = s if inner is None else inner
        if len(_PLUS_MINUS.split(s)) == 2 and not _JOINER.search(s) and "," not in s:  # \frac{1 \pm \sqrt{5}}{2} too
            return "set", [normalize_answer(value) for value in _plus_minus_values(s)]
        solutions = [p for p in split_top_level(s, ";") if p.strip()]
        if len(solutions) > 1:  # "p=5,q=2;p=7,q=2": each solution's labelled values are one point
            pieces = [_labelled_point(x) for x in solutions]
        else:
            pieces = [p for piece in split_top_level(s) for p in _split_joiners(piece)]
    pieces = [_commas_inside(p.strip()) for piece in pieces if piece.strip() for p in _plus_minus_values(piece)]
    if len(pieces) < 2 or len(pieces) > MAX_PARTS:
        return None
    values = [strip_label(normalize_answer(p)) for p in pieces]
    labels = [LABEL.match(p) for p in pieces]
    if not all(labels):
        return "set", values
    # In the labels' order (x before y, a_3 before a_{37}), which is also a point's order: "b = 7, a = 2"
    # is (2, 7), and two labelled answers with the same labels compare name by name.
    names = [_natural_key(m.group().split("=")[0]) for m in labels]
    if len(set(names)) < len(names):  # "x = 4 or x = -2": solutions of one variable are a set
        return "set", values
    return "labels", [v for _, v in sorted(zip(names, values, strict=True), key=lambda pair: pair[0])]


def _plus_minus_values(piece: str) -> list[str]:
    """The two values of a piece holding one \\pm ("\\pm 2" -> "2", "-2"; "x = 1 \\pm \\sqrt{2}" -> "x = 1+\\sqrt{2}",
    "x = 1-\\sqrt{2}"), so "0, \\pm 2" is three solutions; any other piece unchanged."""
    halves = _PLUS_MINUS.split(piece)
    if len(halves) != 2:
        return [piece]
    left, right = halves
    label = LABEL.match(left)
    head, rest = (left[: label.end()], left[label.end() :]) if label else ("", left)
    if not rest.strip():  # a sign before the value
        return [f"{head}{right.strip()}", f"{head}-{right.strip()}"]
    return [f"{head}{rest}+{right}", f"{head}{rest}-{right}"]


_OR_WORD = re.compile(r"(?<![A-Za-z\\])or(?![A-Za-z])")
_AND_WORD = re.compile(r"(?<![A-Za-z\\])and(?![A-Za-z])|;|\\pm|\\mp")
_ALSO_WRITTEN = re.compile(r"^(.+?)\s*(?:\(\s*(?:or|i\.e\.?,?)\s*(.+)\)|,?\s*i\.e\.?,?\s*(.+))$")


def value_writings(norm: str) -> list[str] | None:
    """The writings of an answer that may state one value twice: joined by "or" ("\\frac{1}{2} or 0.5"),
    "(or ...)", "i.e." or "=" between two sides with no variable ("\\frac{1}{2} = 0.5"); None for
    anything else (a list, "and", \\pm, an equation).

    >>> value_writings(r"\\frac{1}{2} or 0.5"), value_writings("0.5 (or 1/2)"), value_writings("x = 2x - 1")
    (['\\\\frac{1}{2}', '0.5'], ['0.5', '1/2'], None)
    """
    also = _ALSO_WRITTEN.match(norm) if "(" in norm or "i.e" in norm else None
    if also:
        return [also.group(1), also.group(2) or also.group(3)]
    if _OR_WORD.search(norm) and not _AND_WORD.search(norm):
        parts = [p.strip() for piece in split_top_level(norm) for p in _split_joiners(piece)]
        return parts if len(parts) > 1 and "," not in norm and all(parts) else None
    equation = equation_sides(norm)
    if equation is not None and not has_variable(norm):
        return list(equation)
    return None


def _natural_key(label: str) -> tuple:
    text = re.sub(r"[\s{}\\]", "", label)
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text))


def _commas_inside(piece: str) -> str:
    """ "(0;-2;6)" -> "(0,-2,6)": semicolons between a point's coordinates, so the exact group path
    compares it (math-verify on each pair of a long list would spend the parts' CPU budget)."""
    if piece[:1] in "([" and piece[-1:] in ")]" and ";" in piece and "," not in piece:
        return piece.replace(";", ",")
    return piece


def _labelled_point(solution: str) -> str:
    """ "p=5, q=2" -> "(5, 2)" when every comma piece is labelled; the solution unchanged otherwise."""
    pieces = split_top_level(solution)
    if len(pieces) < 2 or not all(LABEL.match(p) for p in pieces):
        return solution
    values = [strip_label(normalize_answer(p)) for p in pieces]
    return "(" + ", ".join(values) + ")"


def _split_joiners(piece: str) -> list[str]:
    """A piece split at the words "and" / "or" (and \\lor, ";") outside brackets."""
    depths = list(itertools.accumulate((BRACKET_DEPTH.get(ch, 0) for ch in piece), initial=0))  # before each char
    parts, start = [], 0
    for match in _JOINER.finditer(piece):
        if depths[match.start()] == 0:
            parts.append(piece[start : match.start()])
            start = match.end()
    return parts + [piece[start:]]


def tuple_components(norm: str) -> list[str] | None:
    """The components of one parenthesised tuple "(2, 7)", or None."""
    s = norm.strip()
    if not (s.startswith("(") and s.endswith(")")) or len(split_top_level(s[1:-1])) < 2:
        return None
    return [c.strip() for c in split_top_level(s[1:-1])]


def parts_verdict(pred: tuple[str, list[str]], gold: tuple[str, list[str]], same: Callable[[str, str], str]) -> str:
    """EQUIVALENT when the parts are the same, each pair judged EQUIVALENT by `same(pred, gold)`: in
    order when both are labelled, else as sets (every part of each side equals a part of the other:
    order and repeats do not count); TIMEOUT when a pair could not be decided in time; else WRONG."""
    (pred_kind, pred_parts), (gold_kind, gold_parts) = pred, gold
    if pred_kind == gold_kind == "labels" and len(pred_parts) != len(gold_parts):
        return WRONG
    verdicts: dict[tuple[int, int], str] = {}

    def pair(i: int, j: int) -> str:
        if (i, j) not in verdicts:
            verdicts[(i, j)] = same(pred_parts[i], gold_parts[j])
        return verdicts[(i, j)]

    if pred_kind == gold_kind == "labels":
        results = [pair(i, i) for i in range(len(pred_parts))]
        return EQUIVALENT if all(r == EQUIVALENT for r in results) else TIMEOUT if TIMEOUT in results else WRONG
    pred_range, gold_range = range(len(pred_parts)), range(len(gold_parts))
    covered = all(any(pair(i, j) == EQUIVALENT for j in gold_range) for i in pred_range) and all(
        any(pair(i, j) == EQUIVALENT for i in pred_range) for j in gold_range
    )
    if covered:
        return EQUIVALENT
    return TIMEOUT if TIMEOUT in verdicts.values() else WRONG


# --- Sets of reals, equations, and the symbolic comparison

_UNION = re.compile(r"\\cup(?![A-Za-z])")
# The reals without a point, or the reals: x \ne 3, \mathbb{R} \setminus \{3\}, \mathbb{R}.
_REALS_FORM = re.compile(r"\\neq?(?![A-Za-z])|\\setminus(?![A-Za-z])|\\mathbb\s*\{?\s*R\b")
_INTERVAL = re.compile(r"^[(\[][^,()\[\]]+,[^,()\[\]]+[)\]]$")


def is_set_form(norm: str) -> bool:
    """An inequality, a union, x \\ne a or the reals: a set of reals, never a point (an interval alone
    may be a point)."""
    return bool(RELATION.search(norm) or _UNION.search(norm) or _REALS_FORM.search(norm))


def set_pieces(norm: str) -> list[str] | None:
    """The pieces of a set of reals written as inequalities or intervals joined by "or" / \\cup (an
    interval alone too), or None when the answer cannot be such a set."""
    if "=" in norm.replace("<=", "").replace(">=", "") or not (
        is_set_form(norm) or _INTERVAL.match(norm.replace(" ", ""))
    ):
        return None
    pieces = [p.strip() for piece in _UNION.split(norm) for p in _split_joiners(piece)]
    return pieces if all(pieces) else None


def equation_sides(norm: str) -> tuple[str, str] | None:
    """(left, right) of an equation with one "=" and no inequality, else None."""
    if norm.count("=") != 1 or RELATION.search(norm) or "\\in" in norm:
        return None
    left, right = (side.strip() for side in norm.split("="))
    return (left, right) if left and right else None


def sets_verdict(pred_pieces: list[str], gold_pieces: list[str], budget: float) -> str | None:
    """The verdict on two sets of reals (inequalities in one variable, intervals, unions), or None
    when either is not readable as one."""
    seconds = symbolic.VERIFY_CPU_SECONDS * budget
    pred_set, gold_set = symbolic.real_set(pred_pieces, seconds), symbolic.real_set(gold_pieces, seconds)
    if symbolic.TIMED_OUT in (pred_set, gold_set):
        return TIMEOUT
    if pred_set is None or gold_set is None:
        return None
    return EQUIVALENT if pred_set == gold_set else WRONG


def equations_verdict(pred: tuple[str, str], gold: tuple[str, str], budget: float) -> str:
    """The same equation in another form (rearranged, scaled) is equivalent."""
    same = symbolic.equations_equal(pred, gold, symbolic.VERIFY_CPU_SECONDS * budget)
    return TIMEOUT if same is symbolic.TIMED_OUT else EQUIVALENT if same else WRONG


def symbolic_verdict(norm: str, gold, number: Fraction | None, budget: float) -> str:
    """math-verify's comparison of an answer with a prepared gold, under the CPU budgets; a plain
    number against an exact constant (or the other way) follows the approximation rule instead."""
    gold_parsed = gold.parsed(symbolic.GOLD_PARSE_CPU_SECONDS * budget)
    pred_parsed = symbolic.mv_parse(norm, symbolic.PARSE_CPU_SECONDS * budget)
    if gold_parsed is None or pred_parsed is None:
        return TIMEOUT
    if not pred_parsed:
        return WRONG if number is not None else UNPARSEABLE
    if not gold_parsed:
        return WRONG
    try:
        with symbolic.time_limit(symbolic.VERIFY_CPU_SECONDS * budget):
            gold_parsed, pred_parsed = symbolic.imaginary_unit(gold_parsed, pred_parsed)
            if (number is None) != (gold.number is None):  # one side a plain number, the other not
                values = symbolic.constant_values(gold_parsed[0], pred_parsed[0])
                if values is not None:  # both constants: exactly equal, or the bands of a number
                    exact_equal, gold_value, pred_value = values
                    return EQUIVALENT if exact_equal else numeric_verdict(Fraction(pred_value), Fraction(gold_value))
            shortcut = symbolic.probe(gold_parsed[0], pred_parsed[0])
            if shortcut is not None:
                return EQUIVALENT if shortcut else WRONG
            same = symbolic.load_math_verify().verify(gold_parsed, pred_parsed, timeout_seconds=None)
    except symbolic.Timeout:
        logger.debug("judging timed out on %.80r", norm)
        return TIMEOUT
    except Exception:  # math-verify rarely raises; an odd answer must not stop a training run
        logger.debug("judging failed on %.80r", norm, exc_info=True)
        same = False
    return EQUIVALENT if same else WRONG
