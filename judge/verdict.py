"""The verdict: whether an extracted answer equals the gold, from the package's other modules.

`judge_answer` judges one answer; `prepare_gold` + `judge_prepared` are the same judgement split in
two, so a group of completions sharing one gold parses it once. Where the answer is lives in
answers.py, how it is spelled in spelling.py, whether two spellings are equal in equivalence.py
(with math-verify under CPU budgets in symbolic.py).
"""

from __future__ import annotations

import functools
import logging
import time
import unicodedata
from decimal import Decimal

from . import symbolic
from .answers import (
    MAX_ANSWER_CHARS,
    MINUS_SIGNS,
    completion_text,
    stated_answer,
)
from .equivalence import (
    EQUIVALENT,
    NO_BLOCK,
    TIMEOUT,
    UNPARSEABLE,
    WRONG,
    answer_parts,
    as_number_group,
    equation_sides,
    equations_verdict,
    groups_equal,
    has_percent,
    is_set_form,
    numeric_verdict,
    parts_verdict,
    prose_verdict,
    set_pieces,
    sets_verdict,
    symbolic_verdict,
    tuple_components,
    value_writings,
    yes_no_verdict,
)
from .spelling import (
    LABEL,
    NUMBER,
    as_number,
    choice_parts,
    is_bare_arithmetic,
    is_choice,
    is_conditional,
    is_multi_valued,
    is_prose,
    normalize_answer,
    numeral_digits,
    time_of_day,
)

logger = logging.getLogger(__name__)

RETRY_BUDGET_SCALE = 10  # evaluate.py re-judges a timed-out answer once with budgets this many times larger
GOLD_CACHE_SIZE = 4096  # prepared golds kept per process (a parsed gold is a few KB)
PARTS_CPU_SECONDS = 0.6  # all the part-by-part judgements of one multi-part answer together


class PreparedGold:
    """A gold answer prepared once and shared by all completions of its group."""

    __slots__ = (
        "raw",
        "norm",
        "key",
        "number",
        "group",
        "single",
        "prose",
        "not_one_value",
        "parts",
        "set_pieces",
        "set_form",
        "equation",
        "components",
        "arithmetic",
        "conditional",
        "clock",
        "choice",
        "digits",
        "writings",
        "_one_value",
        "_parsed",
    )

    def __init__(self, gold) -> None:
        self.raw = "" if gold is None else stated_answer(completion_text(gold).strip())
        self.norm = normalize_answer(self.raw) if len(self.raw) <= MAX_ANSWER_CHARS else self.raw
        self.key = self.norm.replace(" ", "")
        self.number = as_number(self.norm)
        self.group = as_number_group(self.norm)
        self.single = not is_multi_valued(self.norm)
        self.prose = is_prose(self.norm)
        self.not_one_value = prose_verdict(self.norm) is not None  # "7 or more" as a gold
        short = len(self.raw) <= MAX_ANSWER_CHARS
        self.parts = answer_parts(self.raw, self.norm) if short and not self.single else None
        self.set_pieces = set_pieces(self.norm) if short else None
        self.set_form = is_set_form(self.norm) if short else False  # read only with set_pieces
        self.equation = equation_sides(self.norm) if short else None
        self.components = tuple_components(self.norm) if short else None
        self.arithmetic = is_bare_arithmetic(self.norm) if short else False
        self.conditional = is_conditional(self.raw) if short else False
        self.clock = time_of_day(self.norm)
        self.choice = is_choice(self.norm)
        self.digits = numeral_digits(self.raw) if short else None  # "123" for a gold of 123_4
        self.writings = value_writings(self.norm) if short else None
        self._one_value = False  # not yet decided
        self._parsed = None

    def one_value(self, budget: float) -> str | None:
        """The gold's one value when it is written twice ("\\frac{1}{2} or 0.5"), else None; decided once."""
        if self._one_value is False:
            self._one_value = _one_value(self.writings, budget)
        return self._one_value

    def parsed(self, seconds: float = symbolic.GOLD_PARSE_CPU_SECONDS) -> list | None:
        """math-verify's parse of the gold; None when the budget ran out (not remembered)."""
        if self._parsed is None:
            result = symbolic.mv_parse(self.norm, seconds)
            if result is None:
                return None
            self._parsed = result
        return self._parsed


@functools.lru_cache(maxsize=GOLD_CACHE_SIZE)
def prepare_gold(gold: str) -> PreparedGold:
    """Golds are prepared once per process: a group's completions, and later epochs, share them."""
    return PreparedGold(gold)


def judge_prepared(pred: str | None, gold: PreparedGold, budget: float = 1.0) -> str:
    """The verdict for one extracted answer against one prepared gold; `budget` scales the CPU-time
    budgets (evaluate.py re-judges a TIMEOUT once with RETRY_BUDGET_SCALE).

    Every rule is symmetric: judging (gold, pred) and (pred, gold) agree on equivalence."""
    if pred is None:
        return NO_BLOCK
    if len(pred) > MAX_ANSWER_CHARS:  # too long to normalise safely: exact text or nothing
        return EQUIVALENT if pred.strip() == gold.raw else UNPARSEABLE
    pred = stated_answer(pred)  # a trailing check, working before a marked final answer, an open box
    norm = normalize_answer(pred)
    key = norm.replace(" ", "")
    if not key:
        return UNPARSEABLE
    conditional = is_conditional(pred)  # on the answer as written: a condition after a box counts
    if key == gold.key and conditional == gold.conditional:
        return EQUIVALENT  # a gold is always an answer to itself, whatever its form
    if conditional or gold.conditional:  # "6 when k is odd" states a value only in a case: a hedge
        return UNPARSEABLE if conditional else WRONG
    if gold.digits is not None or "_" in pred:  # 123 for 123_4: the digits asked for, without the base
        if gold.digits is not None and "_" not in pred and key.upper() == gold.digits.upper():
            return EQUIVALENT
        digits = numeral_digits(pred)
        if digits is not None and "_" not in gold.raw and gold.key.upper() == digits.upper():
            return EQUIVALENT
    arithmetic = is_bare_arithmetic(norm)
    if arithmetic != gold.arithmetic:  # "19 \times 9 - 73" restates the problem: it states no value
        return UNPARSEABLE if arithmetic else WRONG  # (the other way round too: the verdict stays symmetric)
    clock = time_of_day(norm)
    if (clock and clock[1]) or (gold.clock and gold.clock[1]):  # a time with its meridiem on either side
        if clock is not None and gold.clock is not None:  # 11:20 PM = 23:20; 11:20 AM is the other half
            return EQUIVALENT if clock[0] == gold.clock[0] else WRONG
        if not is_multi_valued(norm):  # "11:20" without its half of the day, or no time at all
            return WRONG
    if gold.choice or is_choice(norm):  # "\textbf{(C)}\ 12": its letter, its value, or both
        return _choice_verdict(choice_parts(norm), choice_parts(gold.norm), budget)
    one = _one_value(value_writings(norm), budget)  # "\frac{1}{2} or 0.5": one value, not a hedge
    if one is not None:
        return judge_prepared(one, gold, budget)
    if gold.writings is not None and (gold_one := gold.one_value(budget)) is not None:
        return judge_prepared(pred, prepare_gold(gold_one), budget)
    verdict = yes_no_verdict(key, gold.key) or _forms_verdict(pred, norm, gold, budget)
    if verdict is not None:
        return verdict
    group = as_number_group(norm)
    if group is not None and gold.group is not None:  # before the hedge rule: {1, 3} against (1, 3)
        return EQUIVALENT if groups_equal(group, gold.group) else WRONG
    multi = is_multi_valued(norm)
    if multi and gold.single:
        return UNPARSEABLE  # hedging: "3 or 4", "2, 5, 7", two boxes for a single-valued gold
    if not gold.single and not multi:
        return WRONG  # one value never equals a list of candidates
    if multi:  # both multi-part: lists, sets, solutions joined by words, several boxes
        parts = answer_parts(pred, norm)
        if parts is not None and gold.parts is not None:
            return parts_verdict(parts, gold.parts, _part_judge(budget))
    if gold.prose:  # "odd", "Sunday": only the same words match, in any case
        return EQUIVALENT if is_prose(norm) and key.lower() == gold.key.lower() else WRONG
    if is_prose(norm):
        return UNPARSEABLE
    verdict = prose_verdict(norm)
    if verdict is not None:
        return verdict
    if gold.not_one_value:
        return WRONG
    number = as_number(norm)
    if number is not None and gold.number is not None:
        pred_percent, gold_percent = has_percent(pred), has_percent(gold.raw)
        if pred_percent != gold_percent and (number / 100 if pred_percent else number * 100) == gold.number:
            return EQUIVALENT  # "50%" for a gold of 0.5, and 0.5 for a gold of 50%
        return numeric_verdict(number, gold.number)
    return symbolic_verdict(norm, gold, number, budget)


def _one_value(writings: list[str] | None, budget: float) -> str | None:
    """The value that every writing states ("\\frac{1}{2} or 0.5" -> "0.5"), the last one; None when
    they are not all exactly that value ("1/2 or 1/3" stays a hedge) or when one is arithmetic left
    undone ("1 + 1 = 2" is working, not two writings)."""
    if writings is None or any(is_bare_arithmetic(normalize_answer(w)) for w in writings):
        return None
    last = prepare_gold(writings[-1])
    if all(judge_prepared(w, last, budget) == EQUIVALENT for w in writings[:-1]):
        return writings[-1]
    return None


def _choice_verdict(pred: tuple, gold: tuple, budget: float) -> str:
    """A multiple-choice answer against another answer: letters must agree where both sides have one,
    values where both have one (a right letter with a wrong value contradicts itself), and at least
    one of the two must be compared. A value near the choice's is another choice: wrong, never close."""
    (pred_letter, pred_value), (gold_letter, gold_value) = pred, gold
    letters = pred_letter is not None and gold_letter is not None
    if letters and pred_letter != gold_letter:
        return WRONG
    if pred_value is None or gold_value is None:
        return EQUIVALENT if letters else WRONG
    verdict = judge_prepared(pred_value, prepare_gold(gold_value), budget)
    return verdict if verdict in (EQUIVALENT, UNPARSEABLE, TIMEOUT) else WRONG


def _part_judge(budget: float):
    """judge_prepared for the parts of a multi-part answer, within PARTS_CPU_SECONDS in all: once
    they are spent every further pair is TIMEOUT (a list of 12 parts makes up to 144 pairs)."""
    deadline = time.thread_time() + PARTS_CPU_SECONDS * budget

    def same(pred_part: str, gold_part: str) -> str:
        if time.thread_time() > deadline:
            return TIMEOUT
        return judge_prepared(pred_part, prepare_gold(gold_part), budget)

    return same


def _forms_verdict(pred: str, norm: str, gold: PreparedGold, budget: float) -> str | None:
    """The verdict for the forms one value can take that the hedge rule must not see as several:
    a set of reals (inequalities, unions), an equation (rearranged, or the right side of a labelled
    one against a bare value), a point written as labelled parts against a tuple; else None."""
    pieces = set_pieces(norm)
    if pieces is not None and gold.set_pieces is not None and (gold.set_form or is_set_form(norm)):
        verdict = sets_verdict(pieces, gold.set_pieces, budget)
        if verdict is not None:
            return verdict
    equation = equation_sides(norm)
    if equation is not None and gold.equation is not None:
        return equations_verdict(equation, gold.equation, budget)
    if (equation is None) != (gold.equation is None):  # y = 2x + 1 against 2x + 1
        left, right = equation or gold.equation
        if LABEL.match(f"{left} ="):
            return (
                judge_prepared(right, prepare_gold(gold.raw), budget)
                if equation
                else judge_prepared(pred, prepare_gold(right), budget)
            )
    components = tuple_components(norm)
    if components is not None and gold.parts is not None and gold.parts[0] == "labels":
        point = ("labels", [normalize_answer(c) for c in components])
        return parts_verdict(point, gold.parts, _part_judge(budget))
    if gold.components is not None:  # labelled parts against a tuple gold: "a = 2, b = 7" for (2, 7)
        parts = answer_parts(pred, norm)
        if parts is not None and parts[0] == "labels":
            return parts_verdict(parts, ("labels", gold.components), _part_judge(budget))
    return None


def judge_answer(pred: str | None, gold, budget: float = 1.0) -> str:
    """The verdict for an extracted answer: one of VERDICTS (see rewards.ANSWER_SCORES).

    >>> judge_answer("0.5", r"\\frac{1}{2}"), judge_answer("0.46", "0.5"), judge_answer(None, "1")
    ('equivalent', 'close_10', 'no_block')
    >>> judge_answer("7 or more", "7"), judge_answer("7 squared", "7"), judge_answer("-1", "i^2")
    ('unparseable', 'wrong', 'equivalent')
    """
    return judge_prepared(pred, prepare_gold(completion_text(gold).strip()), budget)


def judge_patiently(pred: str | None, gold) -> tuple[str, bool]:
    """judge_answer, and once more with RETRY_BUDGET_SCALE times the budgets when the first verdict
    is TIMEOUT: (verdict, whether it re-judged). For evaluation, whose accuracy must not depend on
    the machine; training keeps the plain budget (a reward must never stall a step).

    >>> judge_patiently("x^2 - 1", "(x-1)(x+1)")
    ('equivalent', False)
    """
    verdict = judge_answer(pred, gold)
    if verdict != TIMEOUT:
        return verdict, False
    return judge_answer(pred, gold, budget=RETRY_BUDGET_SCALE), True


def is_equivalent(pred: str | None, gold) -> bool:
    """True when the extracted answer is mathematically the gold answer.

    >>> is_equivalent(r"3\\sqrt{2}", r"\\sqrt{18}"), is_equivalent("3 or 4", "4")
    (True, False)
    """
    return judge_answer(pred, gold) == EQUIVALENT


def numeric_gold(gold) -> Decimal | None:
    """The gold as a decimal when it is a plain number after normalisation, else None (a numeral in a
    base too: its digits are as right as its value).

    >>> numeric_gold("12,500"), numeric_gold(r"\\frac{1}{2}"), numeric_gold("123_4")
    (Decimal('12500'), None, None)
    """
    prepared = prepare_gold(completion_text(gold).strip())  # normalised once per process
    if prepared.digits is not None:  # 123_4: its value and its digits are both right answers
        return None
    return Decimal(prepared.key) if NUMBER.match(prepared.key) else None


def is_unevaluated(answer: str) -> bool:
    """True when an answer is arithmetic on plain numbers left undone (spelling.is_bare_arithmetic):
    it restates a computation, and states no value.

    >>> is_unevaluated(r"19 \\times 9 - 73"), is_unevaluated("98"), is_unevaluated(r"4 \\times 10^{5}")
    (True, False, False)
    """
    text = unicodedata.normalize("NFKC", answer).translate(MINUS_SIGNS)
    return is_bare_arithmetic(normalize_answer(text[:MAX_ANSWER_CHARS]))


def is_hedged(answer: str) -> bool:
    """True when an answer is not one committed value: several candidates ("3 or 4", "2, 5",
    "\\pm 2", "at least 7", "answer is 7, no: 9") or arithmetic spelled out ("7 squared").

    >>> is_hedged("3 or 4"), is_hedged("7 or more"), is_hedged("7 squared"), is_hedged("-4 apples")
    (True, True, True, False)
    >>> is_hedged(r"\\boxed{6} \\text{ when } k \\text{ is odd}")
    True
    """
    text = stated_answer(unicodedata.normalize("NFKC", answer).translate(MINUS_SIGNS)[:MAX_ANSWER_CHARS])
    norm = normalize_answer(text)
    if _one_value(value_writings(norm), 1.0) is not None:
        return False  # "0.5 or \frac{1}{2}": one value written twice
    return is_multi_valued(norm) or prose_verdict(norm) is not None or is_conditional(text)
