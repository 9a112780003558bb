"""math-verify under CPU budgets: the parse and the comparison of answers that are not plain numbers,
bounded in size (guards) and in the judging thread's CPU time, with cheap numeric probes first.
"""

from __future__ import annotations

import cmath
import contextlib
import logging
import re
import signal
import threading
import time
from contextlib import contextmanager

from .answers import MAX_ANSWER_CHARS

logger = logging.getLogger(__name__)


MAX_BRACE_DEPTH = 8  # deeper LaTeX nesting is not handed to math-verify


MAX_EXPONENT_DIGITS = 4  # 2^{12345} is fine for sympy, 2^{123456789} is not


# Budgets in CPU seconds of the judging thread, not wall time: load from other processes cannot
# reach them. The slowest ordinary answer (the equivalence table and the reward bench's 2,048,
# warm) takes 0.056 CPU-s for its whole judgement (gold parse + parse + compare); each step's budget
# is over 10x that. Hostile inputs are bounded by the guards above, not by these budgets.
GOLD_PARSE_CPU_SECONDS = 0.6  # parsing one gold (main thread only; elsewhere the guards bound it)


PARSE_CPU_SECONDS = 0.6  # ... parsing one prediction


VERIFY_CPU_SECONDS = 0.6  # ... comparing it to the gold


_HUGE_EXPONENT = re.compile(r"\^\s*\{?\s*\d{" + str(MAX_EXPONENT_DIGITS + 1) + ",}")


def too_costly_for_sympy(s: str) -> bool:
    """Inputs that can make sympy compute astronomically large numbers, or recurse deeply."""
    if len(s) > MAX_ANSWER_CHARS:
        return True
    depth = max_depth = 0
    for ch in s:
        if ch == "{":
            depth += 1
            max_depth = max(max_depth, depth)
        elif ch == "}":
            depth -= 1
    if max_depth > MAX_BRACE_DEPTH:
        return True
    # Exponent towers (a power inside an exponent) and huge literal exponents.
    # (an operator between two powers ends the first: x^2+y^2 is no tower)
    if re.search(r"\^\s*\{[^{}]*\^|\^\s*\(?[^{}\s+\-*/=(),]*\^|\^\s*\d\s*\^", s):
        return True
    if _HUGE_EXPONENT.search(s):
        return True
    # Factorials, binomials and gammas of big literals.
    if re.search(r"(!|\\binom|\\choose|\\Gamma|\\prod)", s) and re.search(r"\d{4,}", s):
        return True
    return "!!" in s or bool(re.search(r"[)}]\s*!", s))


class Timeout(BaseException):
    """Raised by our timer's handler; a BaseException so sympy's `except Exception` cannot eat it."""


MIN_REARM_SECONDS = 0.005  # the shortest re-armed wait when other threads ran the process timer down


@contextmanager
def time_limit(seconds: float):
    """Bound the block by `seconds` of the calling thread's CPU time (main thread only; elsewhere
    the guards bound the work).

    CPU time, not wall time: other processes on the machine cannot make an ordinary answer time
    out. The process-wide profiling timer (ITIMER_PROF) also counts this process's other threads
    (torch's workers), so when it fires the handler reads the main thread's own CPU clock and
    re-arms for what is left instead of stopping early. math-verify's own timeouts take whole
    seconds only and raise outside the main thread, so they are disabled (None) and this replaces them.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    start = time.thread_time()

    def on_profile_tick(signum, frame):
        left = seconds - (time.thread_time() - start)
        if left <= 0:
            raise Timeout
        signal.setitimer(signal.ITIMER_PROF, max(left, MIN_REARM_SECONDS))

    previous = signal.signal(signal.SIGPROF, on_profile_tick)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


_math_verify_module = None
WARM_UP_SECONDS = 60.0  # the warm-up's own calls: one-time loading, never cut short


# One answer of each shape the grammar meets: the first parse of a shape loads code (up to ~0.3 s).
WARM_UP = (
    "$1$",
    r"$\sqrt{2}x^2$",
    r"$(1+\frac{1}{2})$",
    r"$\{1, 2\}$",
    r"$[0, \pi)$",
    r"$2\times 3 \cdot 4$",
    r"$\begin{pmatrix}1\\2\end{pmatrix}$",
    r"$x_1 + y^{-1}$",
    r"$\log_2 8 + \sin(x)$",
    r"$-\infty$",
    r"$x \ge 2$",
    r"$(x, y) = (3, 5)$",
    r"$3i + \frac{1}{2}i$",
    r"$\text{odd}$",
    r"$50\%$",
    r"$1,2$",
)


def load_math_verify():
    """math-verify, imported on first need (sympy costs ~1 s) and warmed up outside any timer, so a
    process's first parse (grammar loading) is not cut short by the time limit."""
    global _math_verify_module
    if _math_verify_module is None:
        import math_verify

        # It warns that its own timeout is off; ours (time_limit) replaces it.
        logging.getLogger("math_verify").setLevel(logging.ERROR)
        warm = [math_verify.parse(s, parsing_timeout=None) for s in WARM_UP]
        for gold, pred in zip(warm, warm[1:], strict=False):
            math_verify.verify(gold, pred, timeout_seconds=None)
            if gold and pred:
                probe(*(parsed[0] for parsed in imaginary_unit(gold, pred)))  # evalf / expand first use
        _math_verify_module = math_verify
        real_set(["-x > -1", r"(-\infty,2]"], WARM_UP_SECONDS)  # solveset and set unions: first use
        real_set(["x^2 < 4", r"x \ne 3", r"\mathbb{R} \setminus \{3\}"], WARM_UP_SECONDS)  # ... polynomial, \ne
        equations_equal(("y", "2x + 1"), ("2x - y + 1", "0"), WARM_UP_SECONDS)  # cancel: first use
    return _math_verify_module


def warm_up() -> None:
    """Load math-verify and sympy now (~1-2 s), so that no completion pays for them inside the
    reward's time limit; the training and evaluation scripts call it at start-up."""
    load_math_verify()


def mv_parse(norm: str, seconds: float | None) -> list | None:
    """math-verify's parse of a normalised answer, bounded in size and CPU time (seconds None: inside
    a caller's time limit, which cannot nest).

    [] when nothing parseable was found (or math-verify failed), None when the budget ran out."""
    if not norm or too_costly_for_sympy(norm):
        return []
    parse = load_math_verify().parse
    try:
        with time_limit(seconds) if seconds is not None else contextlib.nullcontext():
            return parse(f"${norm}$", parsing_timeout=None)
    except Timeout:
        logger.debug("math-verify parse timed out on %.80r", norm)
        return None
    except Exception:  # math-verify rarely raises; an odd answer must not stop a training run
        logger.debug("math-verify parse failed on %.80r", norm, exc_info=True)
        return []


def imaginary_unit(gold_parsed: list, pred_parsed: list) -> tuple[list, list]:
    """Both parses with the symbol i read as the imaginary unit, when either side holds it as a
    number (3i, i^2, \\frac{3}{5}i); unchanged otherwise."""
    import sympy

    def symbols_i(parsed):
        return {s for e in parsed if isinstance(e, sympy.Basic) for s in e.free_symbols if str(s) == "i"}

    found = symbols_i(gold_parsed) | symbols_i(pred_parsed)
    if not found:
        return gold_parsed, pred_parsed
    swap = dict.fromkeys(found, sympy.I)

    def read(parsed):
        return [e.xreplace(swap) if isinstance(e, sympy.Basic) else e for e in parsed]

    return read(gold_parsed), read(pred_parsed)


def probe(gold, pred) -> bool | None:
    """False (different) or True (equal) when a cheap check settles the pair, else None (math-verify decides)."""
    try:
        if _clearly_different(gold, pred):
            return False
        if _identical(gold, pred):
            return True
    except Exception:  # the probe is only a shortcut: on any doubt math-verify decides
        logger.debug("numeric probe failed on %.80r / %.80r", gold, pred, exc_info=True)
    return None


PROBE_TOLERANCE = 1e-4  # relative gap above which two values are certainly not equal


PROBE_POINTS = (0.5772, 1.3247, 2.2360, 0.9159)  # where free symbols are evaluated (x, y, z, ...)


def _clearly_different(gold, pred) -> bool:
    """True when two sympy expressions differ numerically (at a fixed point for their symbols).

    A cheap filter before math-verify's symbolic verify, which costs 5-50 ms when the answer is
    wrong; equal values, non-expressions and anything odd fall through to verify.
    """
    import sympy

    if not (isinstance(gold, sympy.Expr) and isinstance(pred, sympy.Expr)):
        return False
    symbols = sorted(gold.free_symbols | pred.free_symbols, key=str)
    if len(symbols) > len(PROBE_POINTS):
        return False
    point = {sym: sympy.Float(v) for sym, v in zip(symbols, PROBE_POINTS, strict=False)}
    g, p = complex(gold.evalf(15, subs=point)), complex(pred.evalf(15, subs=point))
    if not all(map(cmath.isfinite, (g, p))):
        return False
    return abs(g - p) > PROBE_TOLERANCE * max(1.0, abs(g))


def _identical(gold, pred) -> bool:
    """True when gold - pred expands to 0: a proof of equality that costs ~1 ms where math-verify's
    verify costs 10-20 ms (polynomials, radicals). Anything else falls through to verify."""
    import sympy

    if not (isinstance(gold, sympy.Expr) and isinstance(pred, sympy.Expr)):
        return False
    if sympy.count_ops(gold) + sympy.count_ops(pred) > 60:  # keep expand cheap
        return False
    return sympy.expand(gold - pred) == 0


# --- Sets of reals, equations, constants

TIMED_OUT = "timed out"  # what the helpers below return when their budget ran out


def _parse_one(text: str):
    """The first sympy object math-verify reads from text (within the caller's time limit), None when
    it reads nothing, TIMED_OUT."""
    parsed = mv_parse(text, None)
    if parsed is None:
        return TIMED_OUT
    return parsed[0] if parsed else None


def real_set(pieces: list[str], seconds: float):
    """The set of reals that inequalities in one variable (x \\ne 3 too) and intervals describe, their union
    when several ("x \\le -1 or x \\ge 4", "(-\\infty,-1] \\cup [4,\\infty)", "-x > -1"); None when a
    piece is neither; TIMED_OUT when the budget ran out."""
    import sympy

    load_math_verify()  # a process's first parse warms up outside the budget
    try:
        with time_limit(seconds):
            sets = []
            for piece in pieces:
                value = _parse_one(piece)
                if value is TIMED_OUT:
                    return TIMED_OUT
                if isinstance(value, sympy.Set):
                    value = value.doit()  # \mathbb{R} \setminus \{3\} arrives unevaluated
                if isinstance(value, sympy.Set) and value.is_subset(sympy.S.Reals):
                    sets.append(value)
                elif isinstance(value, sympy.core.relational.Relational) and len(value.free_symbols) == 1:
                    if isinstance(value, sympy.Eq):  # x = 3 is a solution, not a set of reals
                        return None
                    (var,) = value.free_symbols
                    sets.append(sympy.solveset(value, var, domain=sympy.S.Reals))
                else:
                    return None
            return sympy.Union(*sets)
    except Timeout:
        return TIMED_OUT
    except Exception:  # an odd piece: not a set this reading can decide
        logger.debug("real set failed on %.80r", pieces, exc_info=True)
        return None


def equations_equal(pred: tuple[str, str], gold: tuple[str, str], seconds: float):
    """True when two equations are the same up to rearranging and a non-zero factor (y = 2x + 1 and
    2x - y + 1 = 0): (left - right) of one is a constant multiple of the other's; TIMED_OUT."""
    import sympy

    load_math_verify()  # a process's first parse warms up outside the budget
    try:
        with time_limit(seconds):
            sides = []
            for left, right in (pred, gold):
                value = _parse_one(f"{left} - ({right})")
                if value is TIMED_OUT:
                    return TIMED_OUT
                if not isinstance(value, sympy.Expr):
                    return False
                sides.append(value)
            pred_side, gold_side = sides
            if gold_side == 0 or pred_side == 0:
                return gold_side == pred_side
            ratio = sympy.cancel(pred_side / gold_side)
            return not ratio.free_symbols and ratio != 0 and bool(ratio.is_finite)
    except Timeout:
        return TIMED_OUT
    except Exception:  # sympy could not compare them: not shown equal
        logger.debug("equation comparison failed on %.80r / %.80r", pred, gold, exc_info=True)
        return False


def constant_values(gold, pred) -> tuple[bool, float, float] | None:
    """(exactly equal, gold's value, pred's value) when both are real constants (no free symbols,
    e.g. sqrt(2) and 1.414214), else None. Exactly: a decimal approximation is not the constant."""
    import sympy

    if not (isinstance(gold, sympy.Expr) and isinstance(pred, sympy.Expr)):
        return None
    if gold.free_symbols or pred.free_symbols:
        return None
    gold_value, pred_value = complex(gold.evalf(30)), complex(pred.evalf(30))
    if gold_value.imag or pred_value.imag or not all(map(cmath.isfinite, (gold_value, pred_value))):
        return None
    exact = [sympy.nsimplify(e, rational=True) if isinstance(e, sympy.Float) else e for e in (gold, pred)]
    difference = (exact[0] - exact[1]).is_zero
    return bool(difference), gold_value.real, pred_value.real
