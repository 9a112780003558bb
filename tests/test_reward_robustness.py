"""Rewards never raise, never hang and stay in bounds: property tests and hostile-input timings."""

import threading
import time

import pytest
from helpers import BOUNDS, SCORED
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import judge
import rewards as R
from prompts import REASONING_END, SOLUTION_END, SOLUTION_START

TAGS = [REASONING_END, SOLUTION_START, SOLUTION_END, "<start_working_out>", "<|endoftext|>"]
# Text made of tags, math-ish tokens and arbitrary unicode, so blocks actually form.
pieces = st.one_of(
    st.sampled_from(TAGS),
    st.sampled_from(["\\frac{", "}", "{", "^", "\\sqrt{", "!", ",", " or ", "\u2212", "$", "\\boxed{"]),
    st.from_regex(r"-?\d{1,6}(\.\d{1,3})?", fullmatch=True),
    st.text(max_size=20),
)
completion_text = st.lists(pieces, max_size=30).map("".join)
golds = st.one_of(
    st.none(),
    st.from_regex(r"-?\d{1,5}", fullmatch=True),
    st.sampled_from([r"\frac{1}{2}", r"3\sqrt{2}", "[1,2)", r"\{1,2\}", "x^2+1", "12,500"]),
    st.text(max_size=15),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=completion_text, gold=golds, chat=st.booleans())
def test_arbitrary_text_never_raises_and_stays_in_bounds(text, gold, chat):
    completion = [{"role": "assistant", "content": text}] if chat else text
    for name, fn in SCORED.items():
        (score,) = fn(None, [completion], [gold])
        lo, hi = BOUNDS[name]
        assert lo <= score <= hi, (name, text, gold, score)


@settings(max_examples=100, deadline=None)
@given(pred=st.text(max_size=40), gold=st.text(max_size=20))
def test_judge_never_raises_on_arbitrary_strings(pred, gold):
    assert judge.judge_answer(pred, gold) in R.ANSWER_SCORES


def done(answer: str) -> str:
    return f"w{REASONING_END}{SOLUTION_START}{answer}{SOLUTION_END}"


HOSTILE = [
    r"2^{2^{2^{2^{2^{2}}}}}",  # power tower
    "2^2^2^2^2^2",  # power tower without braces
    r"10^{1000000000}",  # huge literal exponent
    "99999999!",  # huge factorial
    r"(10^{9})!",  # factorial of an expression
    r"\binom{100000000}{50000000}",  # huge binomial
    r"\frac{" * 3000 + "1" + "}" * 3000,  # thousands of nested fractions
    "1" * 100_000,  # a number with 100,000 digits
    "9" * 5000 + "/" + "7" * 5000,  # a fraction of huge numbers
    "x" * 20_000,  # 20k characters of one letter
    "".join(chr(32 + (i * 7919) % 9000) for i in range(20_000)),  # 20k characters of garbage
    "\x00\x01\x02\x1b[31m" * 1000,  # control characters
    "\ud800\udfff broken \udc00",  # lone surrogates (broken unicode)
    r"\sqrt{\sqrt{\sqrt{\sqrt{\sqrt{\sqrt{\sqrt{\sqrt{\sqrt{\sqrt{2}}}}}}}}}}",  # deep radicals
    "(" * 5000 + ")" * 5000,  # deep parentheses
    "1, " * 5000,  # a long list
    "1" * 100_000 + "_4",  # a huge number with a base subscript
    "½" * 20_000,  # thousands of vulgar fractions
    "1½" * 10_000,  # ... as mixed numbers
    "x²" * 10_000,  # thousands of superscripts
    "√" * 20_000 + "2",  # nested root signs
    r"\text{" * 3000 + "5" + "}" * 3000,  # nested text wrappers
    "1 " * 20_000,  # digits separated by spaces
    "\\$" * 20_000,  # escaped dollar signs
]
GOLD_HOSTILE = HOSTILE[:9] + HOSTILE[-8:]


def _timed(fn, *args):
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


@pytest.fixture(scope="module", autouse=True)
def warm_math_verify():
    judge.judge_answer(r"\sqrt{2}", r"\sqrt{2}x")  # import sympy once, outside the timings


@pytest.mark.parametrize("answer", HOSTILE, ids=range(len(HOSTILE)))
@pytest.mark.parametrize("gold", ["4", r"\frac{1}{2}"])
def test_hostile_answer_finishes_in_under_a_second(answer, gold):
    for completion in (done(answer), answer):
        for name, fn in SCORED.items():
            seconds = _timed(fn, None, [completion], [gold])
            assert seconds < 1.0, (name, seconds)


@pytest.mark.parametrize("gold", GOLD_HOSTILE, ids=range(len(GOLD_HOSTILE)))
def test_hostile_gold_finishes_in_under_a_second(gold):
    assert _timed(R.check_answer, None, [done("4"), done("x+1")], [gold, gold]) < 1.0


HOSTILE_PAIRS = [  # (gold, answer) that reach the multi-part, set and equation comparisons
    (", ".join(str(i) for i in range(12)), ", ".join(f"(x+{i})^{{40}}" for i in range(12))),  # 144 costly pairs
    (", ".join(str(i) for i in range(12)), r" and ".join(rf"\boxed{{{i}^{{99}}!}}" for i in range(12))),  # boxes
    ("y = (x+1)^{60}", "(x+1)^{60} - y = 0"),  # an equation of high degree
    ("x^{60} > 1", r"x^{61} \le 2 \text{ or } x > 3"),  # inequalities of high degree
    (r"\pm " + "9" * 50, "{" + ", ".join("9" * 50 for _ in range(11)) + "}"),  # plus-minus against a long set
    ("; ".join(f"p={i},q={i}" for i in range(12)), ", ".join(f"({i},{i})" for i in range(12))),  # labelled points
]


@pytest.mark.parametrize("gold, answer", HOSTILE_PAIRS, ids=range(len(HOSTILE_PAIRS)))
def test_hostile_multi_part_answers_finish_in_under_a_second(gold, answer):
    for pred, truth in ((answer, gold), (gold, answer)):
        seconds = _timed(R.check_answer, None, [done(pred)], [truth])
        assert seconds < 1.0, seconds


def test_hostile_answers_finish_in_under_a_second_in_a_worker_thread():
    worst = {}

    def run():
        worst["s"] = max(_timed(R.check_answer, None, [done(a)], ["4"]) for a in HOSTILE)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(timeout=60)
    assert worst["s"] < 1.0


@settings(max_examples=100, deadline=None)
@given(
    reasoning=st.text(max_size=60).filter(lambda t: not any(tag in t for tag in TAGS)),
    answer=st.text(min_size=1, max_size=20).filter(lambda t: t.strip() and not any(tag in t for tag in TAGS)),
    gold=golds,
)
def test_leaving_the_solution_block_out_never_pays_more(reasoning, answer, gold):
    def total(completion):
        return sum(fn(None, [completion], [gold])[0] for fn in R.REWARD_FUNCS.values())

    with_block = f"{reasoning}{REASONING_END}{SOLUTION_START}{answer}{SOLUTION_END}"
    assert total(with_block) >= total(f"{reasoning} {answer}")
