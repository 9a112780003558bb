"""The answer judge: find the final answer in a completion and decide whether it equals the gold.

Entry points: `judge_answer(answer, gold)` for one answer; `prepare_gold(gold)` then
`judge_prepared(answer, prepared)` for a group of completions sharing one gold (the same verdict,
the gold parsed once: what `rewards.py` uses); `judge_patiently` re-judges a timed-out answer with
larger budgets (`evaluate.py`). The answer is found by `extract_answer` (inside the solution tags)
or `lenient_answer` (wherever a grader would look). The judge holds no scores: `rewards.py` maps
verdicts to rewards and `evaluate.py` reports accuracy from the same verdicts, so training and
evaluation agree. No torch, no trainer: it runs in any process.

Modules, in import order: answers (where the answer is), spelling (how it is written), symbolic
(math-verify under CPU budgets), equivalence (whether two spellings are equal), verdict (the
decision). This file exports exactly the names the rest of the project uses.

>>> judge_answer(extract_answer("<SOLUTION>\\\\frac{1}{2}</SOLUTION>"), "0.5")
'equivalent'
>>> judge_answer(extract_answer("<SOLUTION>3</SOLUTION>"), "0.5")
'wrong'
"""

from .answers import completion_text, extract_answer, first_number, lenient_answer, stated_answer
from .equivalence import CLOSE_10, CLOSE_20, EQUIVALENT, NO_BLOCK, TIMEOUT, UNPARSEABLE, WRONG
from .symbolic import warm_up
from .verdict import (
    RETRY_BUDGET_SCALE,
    is_equivalent,
    is_hedged,
    is_unevaluated,
    judge_answer,
    judge_patiently,
    judge_prepared,
    numeric_gold,
    prepare_gold,
)

__all__ = [
    "CLOSE_10",
    "CLOSE_20",
    "EQUIVALENT",
    "NO_BLOCK",
    "RETRY_BUDGET_SCALE",
    "TIMEOUT",
    "UNPARSEABLE",
    "WRONG",
    "completion_text",
    "extract_answer",
    "first_number",
    "is_equivalent",
    "is_hedged",
    "is_unevaluated",
    "judge_answer",
    "judge_patiently",
    "judge_prepared",
    "lenient_answer",
    "numeric_gold",
    "prepare_gold",
    "stated_answer",
    "warm_up",
]
