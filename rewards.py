"""The four verifiable rewards of the recipe: two format checks and two answer checks.

The answer checks score the verdicts of the judge (`judge/`: extraction and equivalence live there, shared
with evaluate.py); this module holds the scores, the format checks and `REWARD_FUNCS`.

Every reward has TRL's signature ``(prompts, completions, answer=None, **kwargs) -> list[float]``,
accepts conversational (``[{"role": "assistant", "content": ...}]``) and plain-text completions,
ignores the extra keyword arguments TRL passes, never raises, never hangs and returns finite floats.

How the scores fit together (per completion; the trainer sums them, weighted by ``REWARDS``):

* ``check_answer`` spans the widest range (+5 .. -4.5), so being right dominates everything else:
  a correct answer in a sloppy format (0 + 1.5 + 5 + 3.5 = 10) beats a wrong answer in a perfect
  format (3 + 1.5 - 2.5 - 1.5 = 0.5).
* Its order is equivalent > within 10% > within 20% > wrong > unparseable / hedged / undecided in
  time > no block: a model can never earn more by leaving the solution block out or by listing candidates.
* ``check_numbers`` (+3.5 .. -2.5) repeats the signal for numeric golds with a coarser check, and
  keeps the same order (match > wrong > no number).
* The format rewards (exact +3 or 0; approximate +1.5 .. -3) teach the tags early, when almost no
  answer is right yet, and stay smaller than the answer range so they cannot outweigh correctness.
"""

from __future__ import annotations

import logging

import judge
from judge import CLOSE_10, CLOSE_20, EQUIVALENT, NO_BLOCK, TIMEOUT, UNPARSEABLE, WRONG, completion_text, extract_answer
from prompts import REASONING_END, REASONING_START, SOLUTION_END, SOLUTION_START

logger = logging.getLogger(__name__)

# --- Scores
FORMAT_EXACT = 3.0  # match_format_exactly: the whole completion has the exact shape
FORMAT_TAG_OK = 0.5  # match_format_approximately: per tag that appears exactly once (max +1.5)
FORMAT_TAG_BAD = -1.0  # ... per tag missing or repeated (min -3.0, however many are spammed)
ANSWER_EQUIVALENT = 5.0  # check_answer: mathematically equivalent to the gold
ANSWER_CLOSE_10 = 2.0  # ... numerically within 10% of a numeric gold
ANSWER_CLOSE_20 = 1.5  # ... within 20%
ANSWER_WRONG = -2.5  # ... a committed, parseable, wrong answer
ANSWER_UNPARSEABLE = -3.5  # ... a block with no judgeable answer: prose, hedges like "3 or 4"
ANSWER_NO_BLOCK = -4.5  # ... no single well-formed solution block: the lowest, never paid more
NUMBER_MATCH = 3.5  # check_numbers: first number in the block equals the numeric gold
NUMBER_WRONG = -1.5  # ... a different number, or a list of candidates
NUMBER_NONE = -2.5  # ... no block or no number in it
NUMBER_NOT_APPLICABLE = 0.0  # ... the gold is not a plain number: this reward abstains

# Strings some tokenizers leave at the end of a decoded completion.
EOS_MARKERS = ("<|endoftext|>", "<|im_end|>", "<|end_of_text|>", "<|eot_id|>", "</s>", "<eos>")

# The score of each verdict of the judge, from best to worst.
ANSWER_SCORES = {
    EQUIVALENT: ANSWER_EQUIVALENT,
    CLOSE_10: ANSWER_CLOSE_10,
    CLOSE_20: ANSWER_CLOSE_20,
    WRONG: ANSWER_WRONG,
    UNPARSEABLE: ANSWER_UNPARSEABLE,
    TIMEOUT: ANSWER_UNPARSEABLE,  # undecided within the CPU budget: never paid more than a wrong answer
    NO_BLOCK: ANSWER_NO_BLOCK,
}


# --- The format


def _strip_eos(text: str) -> str:
    text = text.rstrip()
    stripped = True
    while stripped:
        stripped = False
        for marker in EOS_MARKERS:
            if text.endswith(marker):
                text = text[: -len(marker)].rstrip()
                stripped = True
    return text


def _is_exact_format(text: str) -> bool:
    body = _strip_eos(text).lstrip()
    if body.startswith(REASONING_START):  # tolerated when the prompt did not already open it
        body = body[len(REASONING_START) :]
    if REASONING_START in body:
        return False
    if any(body.count(tag) != 1 for tag in (REASONING_END, SOLUTION_START, SOLUTION_END)):
        return False
    reasoning, _, rest = body.partition(REASONING_END)
    rest = rest.strip()
    if not reasoning.strip() or not rest.startswith(SOLUTION_START):
        return False
    if not rest.endswith(SOLUTION_END):
        return False
    return bool(rest[len(SOLUTION_START) : -len(SOLUTION_END)].strip())


# --- Batch plumbing


def _golds(answer, n: int) -> list:
    """One gold per completion: a list is used as is (padded with None), a scalar is repeated."""
    if isinstance(answer, (list, tuple)):
        answers = list(answer)[:n]
        return answers + [None] * (n - len(answers))
    return [answer] * n


def _guarded(score_one, args, on_error: float) -> float:
    """Run one completion's scoring; a bug is logged loudly and paid the reward's lowest score."""
    try:
        return float(score_one(*args))
    except Exception:
        logger.warning("reward %s failed; scored %s", score_one.__name__, on_error, exc_info=True)
        return on_error


# --- The rewards


def match_format_exactly(prompts, completions, answer=None, **kwargs) -> list[float]:
    """FORMAT_EXACT when the completion is working out, REASONING_END, exactly one non-empty
    solution block and then nothing but whitespace or EOS; 0 otherwise.

    Args:
        prompts: the prompts (unused).
        completions: plain strings or conversational message lists.
        answer: the gold answers (unused).

    >>> match_format_exactly(None, ["Add.<end_working_out><SOLUTION>4</SOLUTION>", "It is 4"])
    [3.0, 0.0]
    """
    return [
        _guarded(lambda c: FORMAT_EXACT if _is_exact_format(completion_text(c)) else 0.0, (c,), 0.0)
        for c in completions
    ]


def _approximate_format_score(completion) -> float:
    text = completion_text(completion)
    return sum(
        FORMAT_TAG_OK if text.count(tag) == 1 else FORMAT_TAG_BAD
        for tag in (REASONING_END, SOLUTION_START, SOLUTION_END)
    )


def match_format_approximately(prompts, completions, answer=None, **kwargs) -> list[float]:
    """Per tag (REASONING_END, SOLUTION_START, SOLUTION_END): FORMAT_TAG_OK when it appears
    exactly once, FORMAT_TAG_BAD when it is missing or repeated; bounded in [-3, 1.5].

    Args:
        prompts: the prompts (unused).
        completions: plain strings or conversational message lists.
        answer: the gold answers (unused).

    >>> match_format_approximately(None, ["x<end_working_out><SOLUTION>4</SOLUTION>", "4"])
    [1.5, -3.0]
    """
    return [_guarded(_approximate_format_score, (c,), 3 * FORMAT_TAG_BAD) for c in completions]


def check_answer(prompts, completions, answer=None, **kwargs) -> list[float]:
    """Score the answer in the single solution block against the gold: equivalent, close (within
    10% / 20%), wrong, unparseable, hedged or undecided within the judge's CPU budget, or no block
    (see the ANSWER_* constants). With TRL's ``log_metric``, logs the fraction judged TIMEOUT.
    A missing gold scores 0 (nothing to judge).

    Args:
        prompts: the prompts (unused).
        completions: plain strings or conversational message lists.
        answer: the gold answer per completion (a list), or one gold for all.

    >>> done = "x<end_working_out><SOLUTION>{}</SOLUTION>"
    >>> check_answer(None, [done.format(r"\\frac{1}{2}"), done.format("0.7"), "0.5"], answer="0.5")
    [5.0, -2.5, -4.5]
    """
    verdicts: dict = {}  # a group often repeats an answer: judge each (gold, answer) pair once
    timeouts: list[bool] = []

    def score(completion, gold) -> float:
        prepared = judge.prepare_gold(completion_text(gold).strip())  # parsed once, shared by the group
        if not prepared.key:
            return 0.0
        pred = extract_answer(completion)
        if (prepared.raw, pred) not in verdicts:
            verdicts[prepared.raw, pred] = judge.judge_prepared(pred, prepared)
        timeouts.append(verdicts[prepared.raw, pred] == TIMEOUT)
        return ANSWER_SCORES[verdicts[prepared.raw, pred]]

    golds = _golds(answer, len(completions))
    scores = [_guarded(score, (c, g), ANSWER_NO_BLOCK) for c, g in zip(completions, golds, strict=True)]
    log_metric = kwargs.get("log_metric")
    if callable(log_metric) and completions:  # TRL averages it per logging step: metrics.jsonl shows it
        log_metric("judge/timeout_frac", sum(timeouts) / len(completions))
    return scores


def _number_score(completion, gold) -> float:
    target = judge.numeric_gold(gold)
    if target is None:
        return NUMBER_NOT_APPLICABLE
    pred = extract_answer(completion)
    pred = None if pred is None else judge.stated_answer(pred)  # the marked answer, not the working before it
    if pred is None or judge.is_unevaluated(pred):
        return NUMBER_NONE  # "19 \times 9 - 73": its first number is not its value, and it states none
    if judge.is_hedged(pred):
        return NUMBER_WRONG  # "3 or 4", "7 or more": the first number must not win by hedging
    value = judge.first_number(pred)
    if value is None:
        return NUMBER_NONE
    return NUMBER_MATCH if value == target else NUMBER_WRONG


def check_numbers(prompts, completions, answer=None, **kwargs) -> list[float]:
    """NUMBER_MATCH when the first number in the solution block equals the numeric gold (commas,
    unicode minus and a trailing .0 tolerated), NUMBER_WRONG otherwise, NUMBER_NONE with no block
    or no number; NUMBER_NOT_APPLICABLE (0) when the gold is not a plain number.

    Args:
        prompts: the prompts (unused).
        completions: plain strings or conversational message lists.
        answer: the gold answer per completion (a list), or one gold for all.

    >>> done = "x<end_working_out><SOLUTION>{}</SOLUTION>"
    >>> check_numbers(None, [done.format("12,500 m"), done.format("12"), "none"], answer="12500")
    [3.5, -1.5, -2.5]
    """
    golds = _golds(answer, len(completions))
    return [_guarded(_number_score, (c, g), NUMBER_NONE) for c, g in zip(completions, golds, strict=True)]


# --- Accuracy metrics: zero-weight functions with the reward signature, so TRL logs them as
# `rewards/<name>/mean` on training batches and `eval_rewards/<name>/mean` on the held-out problems
# (EVAL_STEPS). They are never trained on; evaluate.py reports the same three from the same judge.


def strict_accuracy(prompts, completions, answer=None, **kwargs) -> list[float]:
    """1.0 when the single solution block holds an answer equivalent to the gold, else 0.0.

    >>> strict_accuracy(None, ["x<end_working_out><SOLUTION>0.5</SOLUTION>", "it is 0.5"], answer="1/2")
    [1.0, 0.0]
    """
    golds = _golds(answer, len(completions))
    return [
        _guarded(lambda c, g: float(judge.is_equivalent(extract_answer(c), g)), (c, g), 0.0)
        for c, g in zip(completions, golds, strict=True)
    ]


def lenient_accuracy(prompts, completions, answer=None, **kwargs) -> list[float]:
    """1.0 when the final answer wherever a grader would look (judge.lenient_answer) is equivalent
    to the gold, else 0.0.

    >>> lenient_accuracy(None, ["it is 0.5", "it is 0.7"], answer="1/2")
    [1.0, 0.0]
    """
    golds = _golds(answer, len(completions))
    return [
        _guarded(lambda c, g: float(judge.is_equivalent(judge.lenient_answer(c), g)), (c, g), 0.0)
        for c, g in zip(completions, golds, strict=True)
    ]


def exact_format(prompts, completions, answer=None, **kwargs) -> list[float]:
    """1.0 when match_format_exactly pays the completion, else 0.0.

    >>> exact_format(None, ["x<end_working_out><SOLUTION>4</SOLUTION>", "4"])
    [1.0, 0.0]
    """
    return [float(score == FORMAT_EXACT) for score in match_format_exactly(prompts, completions)]


METRIC_FUNCS = {"strict_accuracy": strict_accuracy, "lenient_accuracy": lenient_accuracy, "exact_format": exact_format}

# The only list of rewards: name -> function, in the recipe's order.
REWARD_FUNCS = {
    "match_format_exactly": match_format_exactly,
    "match_format_approximately": match_format_approximately,
    "check_answer": check_answer,
    "check_numbers": check_numbers,
}

# Lowest and highest score of each reward, for bounds checks and plots.
REWARD_BOUNDS = {
    "match_format_exactly": (0.0, FORMAT_EXACT),
    "match_format_approximately": (3 * FORMAT_TAG_BAD, 3 * FORMAT_TAG_OK),
    "check_answer": (ANSWER_NO_BLOCK, ANSWER_EQUIVALENT),
    "check_numbers": (NUMBER_NONE, NUMBER_MATCH),
}
