"""The judge decides by value alone: the same verdicts cold, warm and beside CPU-burning processes,
the same in both directions, and a different value is never paid as right."""

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from judge_table import EQUIVALENCE

from judge import is_equivalent, judge_answer

ROOT = Path(__file__).resolve().parents[1]
PAIRS = [(gold, pred) for gold, pred, _ in EQUIVALENCE if pred]

# Judges the table cold (a fresh process, nothing warmed by hand), then again after warm_up(),
# both directions each time, and prints the verdicts as JSON.
JUDGE_TABLE = """
import json, sys
sys.path[:0] = [{root!r}, {tests!r}]
import judge
from judge_table import EQUIVALENCE
pairs = [(g, p) for g, p, _ in EQUIVALENCE if p]
def verdicts():
    judge.prepare_gold.cache_clear()
    return [[judge.judge_answer(p, g), judge.judge_answer(g, p)] for g, p in pairs]
cold = verdicts()
judge.warm_up()
print(json.dumps({{"cold": cold, "warm": verdicts()}}))
"""


def _judge_table_in_fresh_process() -> dict:
    script = JUDGE_TABLE.format(root=str(ROOT), tests=str(ROOT / "tests"))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600, check=True)
    return json.loads(out.stdout.splitlines()[-1])


def test_equivalence_table_verdicts_are_identical_cold_warm_and_under_cpu_load():
    quiet = _judge_table_in_fresh_process()
    burn = "while True: pass"
    burners = [subprocess.Popen([sys.executable, "-c", burn]) for _ in range(2)]  # two cores: fully busy
    try:
        loaded = _judge_table_in_fresh_process()
    finally:
        for p in burners:
            p.kill()
            p.wait()
    assert quiet["cold"] == quiet["warm"] == loaded["cold"] == loaded["warm"]
    assert "timeout" not in {v for pair in quiet["cold"] for v in pair}
    expected = [ok for _, pred, ok in EQUIVALENCE if pred]
    assert [[a == "equivalent", b == "equivalent"] for a, b in quiet["cold"]] == [[ok, ok] for ok in expected]


def test_equivalence_table_agrees_in_both_directions():
    for (gold, pred), (_, _, expected) in zip(PAIRS, [row for row in EQUIVALENCE if row[1]], strict=True):
        assert is_equivalent(pred, gold) is is_equivalent(gold, pred) is expected, (gold, pred)


def _forms(value: Fraction) -> list[str]:
    """Spellings of one value a model or a dataset may write."""
    n, d = value.numerator, value.denominator
    sign = "-" if value < 0 else ""
    forms = [rf"{sign}\frac{{{abs(n)}}}{{{d}}}", f"{n}/{d}", rf"\dfrac{{{n * 3}}}{{{d * 3}}}", rf"\boxed{{{n}/{d}}}"]
    if d == 1:
        forms += [str(n), f"x = {n}", f"{n} apples", f"{n}.0", rf"\text{{{n}}}"]
    if 10**6 % d == 0:  # a terminating decimal
        decimal = f"{float(value):.6f}".rstrip("0").rstrip(".")
        forms += [decimal, rf"{decimal} \text{{ cm}}"]
    return forms


fractions = st.builds(Fraction, st.integers(-500, 500), st.sampled_from([1, 1, 2, 3, 4, 5, 8, 25]))


@settings(max_examples=150, deadline=None)
@given(a=fractions, b=fractions, data=st.data())
def test_numeric_forms_are_equivalent_exactly_when_values_are_equal_either_way(a, b, data):
    pred = data.draw(st.sampled_from(_forms(a)))
    gold = data.draw(st.sampled_from(_forms(b)))
    assert is_equivalent(pred, gold) is is_equivalent(gold, pred) is (a == b), (gold, pred)


@settings(max_examples=100, deadline=None)
@given(pred=st.text(max_size=30), gold=st.text(max_size=15))
def test_arbitrary_strings_never_pay_one_direction_only(pred, gold):
    assert (judge_answer(pred, gold) == "equivalent") is (judge_answer(gold, pred) == "equivalent")
