"""math-verify under CPU budgets: the time limit, sets of reals, equations and constants."""

import threading
import time

import pytest

from judge import symbolic

SETS = [
    (["-x > -1"], ["x < 1"], True),  # a negated inequality is the same set
    ([r"x \le -1", r"x \ge 4"], [r"(-\infty,-1]", r"[4,\infty)"], True),  # union of two rays
    (["x < 1"], ["x <= 1"], False),  # an endpoint more
]


@pytest.mark.parametrize("a, b, same", SETS)
def test_real_set_reads_inequalities_and_intervals_as_one_kind_of_set(a, b, same):
    assert (symbolic.real_set(a, 1.0) == symbolic.real_set(b, 1.0)) is same


def test_real_set_refuses_what_is_not_a_set_of_reals():
    assert symbolic.real_set(["x = 3"], 1.0) is None  # an equation is not an inequality
    assert symbolic.real_set(["x + y < 1"], 1.0) is None  # two variables


EQUATIONS = [
    (("y", "2x + 1"), ("2x - y + 1", "0"), True),  # rearranged
    (("2x + 4y - 3", "0"), ("y", r"-\frac{1}{2}x + \frac{3}{4}"), True),  # scaled
    (("y", "2x + 1"), ("y", "2x - 1"), False),  # another line
    (("y", "x^2"), ("y", "x"), False),  # not a constant multiple
]


@pytest.mark.parametrize("a, b, same", EQUATIONS)
def test_equations_equal_up_to_rearranging_and_a_constant_factor(a, b, same):
    assert symbolic.equations_equal(a, b, 1.0) is same


def test_constant_values_tell_an_exact_value_from_its_decimal():
    sqrt2, decimal, power = (symbolic.mv_parse(s, 1.0)[0] for s in (r"\sqrt{2}", "1.414214", "2^{10}"))
    exact, gold, pred = symbolic.constant_values(sqrt2, decimal)
    assert not exact and gold == pytest.approx(1.41421356) and pred == pytest.approx(1.414214)
    assert symbolic.constant_values(power, symbolic.mv_parse("1024", 1.0)[0])[0]  # exactly the number
    assert symbolic.constant_values(sqrt2, symbolic.mv_parse("x", 1.0)[0]) is None  # a variable: not a constant


def test_a_spent_budget_is_reported_not_guessed(monkeypatch):
    monkeypatch.setattr(symbolic, "mv_parse", lambda norm, seconds: None)
    assert symbolic.real_set(["x < 1"], 1.0) == symbolic.TIMED_OUT
    assert symbolic.equations_equal(("y", "x"), ("y", "x"), 1.0) == symbolic.TIMED_OUT


def _burn(seconds: float) -> None:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def test_time_limit_stops_work_after_its_cpu_budget():
    start = time.thread_time()
    try:
        with symbolic.time_limit(0.2):
            _burn(5)
        raise AssertionError("the budget did not stop the work")
    except symbolic.Timeout:
        pass
    assert 0.2 <= time.thread_time() - start < 1.0


def test_time_limit_does_not_count_waiting_or_other_threads():
    stop = threading.Event()

    def burner():
        while not stop.is_set():
            _burn(0.01)

    worker = threading.Thread(target=burner)
    worker.start()
    try:
        with symbolic.time_limit(0.1):  # the process burns CPU all the while; this thread only waits
            time.sleep(0.5)
    finally:
        stop.set()
        worker.join()
