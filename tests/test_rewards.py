"""Score tables for the four rewards, in both completion formats, and the reward contract."""

import pickle
import threading

import pytest
from helpers import BOUNDS, SCORED

import judge
import rewards as R
from prompts import REASONING_END, REASONING_START, SOLUTION_END, SOLUTION_START


def done(answer: str, reasoning: str = "Working.") -> str:
    """A completion in the exact format with the given answer."""
    return f"{reasoning}{REASONING_END}{SOLUTION_START}{answer}{SOLUTION_END}"


def as_chat(text: str) -> list[dict]:
    return [{"role": "assistant", "content": text}]


def both_formats(table):
    """Each (completion, ...) case once as plain text and once as a conversation."""
    return [(fmt(case[0]), *case[1:]) for case in table for fmt in (lambda t: t, as_chat)]


EXACT_FORMAT = [
    (done("4"), R.FORMAT_EXACT),  # the canonical shape
    (done("4") + "\n\n", R.FORMAT_EXACT),  # trailing whitespace
    (done("4") + "<|endoftext|>", R.FORMAT_EXACT),  # a decoded EOS marker
    (REASONING_START + done("4"), R.FORMAT_EXACT),  # opening tag repeated once at the start
    (f"x{REASONING_END}\n{SOLUTION_START} 4 {SOLUTION_END}", R.FORMAT_EXACT),  # whitespace between
    (done("4") + " Hope this helps", 0.0),  # text after the block
    (done("   "), 0.0),  # empty answer
    (done("4", reasoning=" "), 0.0),  # no working out
    (done("4") + done("5"), 0.0),  # two blocks
    (f"x{REASONING_END} so {SOLUTION_START}4{SOLUTION_END}", 0.0),  # prose between the tags
    (f"x{SOLUTION_START}4{SOLUTION_END}", 0.0),  # no REASONING_END
    (f"x{REASONING_END}{SOLUTION_START}4", 0.0),  # unterminated block
    (f"x{REASONING_END}{SOLUTION_END}4{SOLUTION_START}", 0.0),  # tags reversed
    (f"x{REASONING_START}{REASONING_END}{SOLUTION_START}4{SOLUTION_END}", 0.0),  # nested opening
    ("", 0.0),  # empty completion
]


@pytest.mark.parametrize("completion, expected", both_formats(EXACT_FORMAT))
def test_match_format_exactly_table(completion, expected):
    assert R.match_format_exactly(None, [completion], ["4"]) == [expected]


APPROX = [
    (done("4"), 1.5),  # each tag once
    ("4", -3.0),  # no tag at all
    (f"x{REASONING_END}4", -1.5),  # one tag of three
    (done("4") + done("5"), -3.0),  # REASONING_END, SOLUTION_START, SOLUTION_END all twice
    (f"x{REASONING_END}{SOLUTION_START}4{SOLUTION_START}", -1.5),  # two openings, no closing
    (done("4") * 500, -3.0),  # spam is bounded below
    (f"{REASONING_END}{SOLUTION_START}{SOLUTION_END}", 1.5),  # tags alone, in order
]


@pytest.mark.parametrize("completion, expected", both_formats(APPROX))
def test_match_format_approximately_table(completion, expected):
    assert R.match_format_approximately(None, [completion]) == [expected]


CHECK_ANSWER = [
    (done("42"), "42", R.ANSWER_EQUIVALENT),  # exact
    (done(r"\frac{1}{2}"), "0.5", R.ANSWER_EQUIVALENT),  # same value, other notation
    (done("x = 42"), "42", R.ANSWER_EQUIVALENT),  # assignment
    (done(r"\boxed{42}"), "42", R.ANSWER_EQUIVALENT),  # boxed inside the block
    (done("40"), "42", R.ANSWER_CLOSE_10),  # within 10%
    (done("35"), "42", R.ANSWER_CLOSE_20),  # within 20%
    (done("-42"), "42", R.ANSWER_WRONG),  # sign flips are wrong, not close
    (done("7"), "42", R.ANSWER_WRONG),  # wrong
    (done(r"\sqrt{3}"), r"\sqrt{2}", R.ANSWER_WRONG),  # wrong symbolic answer
    (done("no idea"), "42", R.ANSWER_UNPARSEABLE),  # prose only
    (done("41 or 42"), "42", R.ANSWER_UNPARSEABLE),  # hedging with "or"
    (done("40, 41, 42"), "42", R.ANSWER_UNPARSEABLE),  # hedging with a list
    (done(r"\pm 42"), "42", R.ANSWER_UNPARSEABLE),  # hedging with plus-minus
    (done(r"6 \times 9 - 12"), "42", R.ANSWER_UNPARSEABLE),  # the problem restated: no value stated
    (done(r"6 \times 7 = 42. \text{Final answer: } 42"), "42", R.ANSWER_EQUIVALENT),  # a marked final answer
    (done(r"42 \text{ when } n \text{ is even}"), "42", R.ANSWER_UNPARSEABLE),  # a conditional answer: a hedge
    (done("11:20 AM"), "11:20 PM", R.ANSWER_WRONG),  # the other half of the day
    ("The answer is 42.", "42", R.ANSWER_NO_BLOCK),  # answer only in prose
    (f"<SOLUTION>42</SOLUTION>{REASONING_END}", "42", R.ANSWER_NO_BLOCK),  # block in the reasoning
    (done("42") + done("41"), "42", R.ANSWER_NO_BLOCK),  # two blocks
    (f"x{REASONING_END}{SOLUTION_START}42", "42", R.ANSWER_NO_BLOCK),  # unterminated
    (done(""), "42", R.ANSWER_NO_BLOCK),  # empty block
    (done("42"), "", 0.0),  # no gold: nothing to judge
    (done("42"), None, 0.0),  # missing gold
]


@pytest.mark.parametrize("completion, gold, expected", both_formats(CHECK_ANSWER))
def test_check_answer_table(completion, gold, expected):
    assert R.check_answer(None, [completion], [gold]) == [expected]


CHECK_NUMBERS = [
    (done("42"), "42", R.NUMBER_MATCH),  # equal
    (done("42.0"), "42", R.NUMBER_MATCH),  # trailing .0
    (done("12,500"), "12500", R.NUMBER_MATCH),  # thousands separator in the prediction
    (done("12500"), "12,500", R.NUMBER_MATCH),  # ... and in the gold
    (done("\u22123"), "-3", R.NUMBER_MATCH),  # unicode minus
    (done("x = 42 apples"), "42", R.NUMBER_MATCH),  # first number after words
    (done("41"), "42", R.NUMBER_WRONG),  # wrong
    (done("42 or 43"), "42", R.NUMBER_WRONG),  # hedging is never a match
    (done(r"\boxed{42}\boxed{43}"), "42", R.NUMBER_WRONG),  # two boxes are a hedge too
    (done("forty-two"), "42", R.NUMBER_NONE),  # no number in the block
    (done(r"6 \times 9 - 12"), "42", R.NUMBER_NONE),  # arithmetic left undone states no number
    (done("6 x 7 = 42. Final answer: 42"), "42", R.NUMBER_MATCH),  # the marked answer's number, not the working's
    (done(r"0.5 \text{ or } \frac{1}{2}"), "0.5", R.NUMBER_MATCH),  # one value written twice is no hedge
    (done(r"42 \text{ if } n > 1"), "42", R.NUMBER_WRONG),  # a conditional answer is a hedge
    (done("123"), "123_4", R.NUMBER_NOT_APPLICABLE),  # a numeral in a base: digits and value both right
    ("42", "42", R.NUMBER_NONE),  # no block
    (done("1/2"), r"\frac{1}{2}", R.NUMBER_NOT_APPLICABLE),  # gold is not a plain number
    (done("42"), None, R.NUMBER_NOT_APPLICABLE),  # no gold
]


@pytest.mark.parametrize("completion, gold, expected", both_formats(CHECK_NUMBERS))
def test_check_numbers_table(completion, gold, expected):
    assert R.check_numbers(None, [completion], [gold]) == [expected]


def test_check_answer_rejects_two_solution_blocks():
    assert R.check_answer(None, [done("42") + done("42")], ["42"]) == [R.ANSWER_NO_BLOCK]


def test_check_answer_score_order_never_pays_more_for_no_block():
    order = [R.ANSWER_SCORES[v] for v in (judge.EQUIVALENT, judge.CLOSE_10, judge.CLOSE_20, judge.WRONG)]
    order += [R.ANSWER_UNPARSEABLE, R.ANSWER_NO_BLOCK]
    assert order == sorted(order, reverse=True) and len(set(order)) == len(order)
    assert R.NUMBER_MATCH > R.NUMBER_WRONG > R.NUMBER_NONE


def test_correct_answer_in_loose_format_outscores_wrong_answer_in_perfect_format():
    def total(completion):
        return sum(f(None, [completion], ["42"])[0] for f in R.REWARD_FUNCS.values())

    assert total(done("42") + " trailing words") > total(done("41"))


def test_a_restated_problem_earns_less_than_a_wrong_number():
    def total(completion, gold):
        return sum(f(None, [completion], [gold])[0] for f in R.REWARD_FUNCS.values())

    restated, wrong, right = done(r"19 \times 9 - 73"), done("97"), done("98")
    assert total(right, "98") > total(wrong, "98") > total(restated, "98") > total("98", "98")


# --- Contract tests: every reward, the same promises


@pytest.fixture(params=sorted(SCORED))
def reward(request):
    return SCORED[request.param]


def test_registry_lists_the_four_rewards_in_order():
    names = ["match_format_exactly", "match_format_approximately", "check_answer", "check_numbers"]
    assert list(R.REWARD_FUNCS) == names
    assert all(R.REWARD_FUNCS[n].__name__ == n for n in names)
    assert set(R.REWARD_BOUNDS) == set(names)


def test_reward_ignores_extra_trl_kwargs(reward):
    kwargs = dict(
        completion_ids=[[1, 2]],
        trainer_state=object(),
        log_extra=lambda *a: None,
        log_metric=lambda *a: None,
        problem=["p"],
    )
    assert reward(["p"], [done("4")], ["4"], **kwargs) == reward(["p"], [done("4")], ["4"])


def test_reward_keeps_batch_length(reward):
    completions = [done(str(i)) for i in range(7)]
    assert len(reward(None, completions, ["3"] * 7)) == 7
    assert len(reward(None, completions, ["3"] * 2)) == 7  # short gold list: padded, not truncated
    assert reward(None, [], []) == []


@pytest.mark.parametrize("completion", ["", [], as_chat(""), None, [{"role": "assistant"}]])
def test_reward_gives_finite_score_for_empty_input(reward, completion):
    (score,) = reward(None, [completion], ["4"])
    lo, hi = BOUNDS[reward.__name__]
    assert isinstance(score, float) and lo <= score <= hi


def test_reward_is_picklable(reward):
    assert pickle.loads(pickle.dumps(reward)) is reward


def test_reward_accepts_one_gold_for_the_batch(reward):
    assert reward(None, [done("4"), done("5")], "4") == reward(None, [done("4"), done("5")], ["4", "4"])


def test_reward_gives_same_scores_in_a_worker_thread(reward):
    completions = [done(a) for a in ("42", r"\frac{84}{2}", "41", "3 or 4", r"\sqrt{18}")]
    golds = ["42", "42", "42", "4", r"3\sqrt{2}"]
    expected = reward(None, completions, golds)
    seen = {}
    worker = threading.Thread(target=lambda: seen.update(r=reward(None, completions, golds)))
    worker.start()
    worker.join(timeout=30)
    assert seen["r"] == expected


def test_extract_answer_is_the_judge_of_the_solution_block():
    assert judge.extract_answer(done(" 7 ")) == "7"
    assert judge.extract_answer(as_chat(done("7"))) == "7"
    assert judge.extract_answer("7") is None


def test_check_answer_scores_a_timeout_as_unparseable_and_logs_how_often(monkeypatch):
    import judge
    from judge import symbolic

    monkeypatch.setattr(symbolic, "mv_parse", lambda norm, seconds: None)  # every parse runs out of budget
    judge.prepare_gold.cache_clear()
    logged = {}
    done = f"w{REASONING_END}{SOLUTION_START}{{}}{SOLUTION_END}"
    completions = [done.format("x^2 - 1"), done.format("1 - x^2"), done.format("(x-1)(x+1)")]
    scores = R.check_answer(None, completions, ["(x-1)(x+1)"] * 3, log_metric=logged.__setitem__)
    assert scores == [R.ANSWER_UNPARSEABLE, R.ANSWER_UNPARSEABLE, R.ANSWER_EQUIVALENT]  # the same text needs no parse
    assert logged == {"judge/timeout_frac": pytest.approx(2 / 3)}
    judge.prepare_gold.cache_clear()
