"""The answer judge: find the final answer in a completion and decide whether it equals the gold.

Holds answer extraction (the single solution block), normalisation, exact fast paths and math-verify
under time and size limits, and the verdict names. It holds no scores: `rewards.py` maps verdicts to
rewards, and `evaluate.py` reports accuracy from the same verdicts, so training and evaluation agree.
"""

from __future__ import annotations

import cmath
import functools
import logging
import re
import signal
import threading
import unicodedata
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from prompts import REASONING_END, SOLUTION_END, SOLUTION_START

logger = logging.getLogger(__name__)

# --- Limits that keep every completion's judgement well under a second
MAX_ANSWER_CHARS = 400  # longer answers are only compared as normalised strings
MAX_NUMBER_CHARS = 60  # longer digit strings are not turned into exact fractions
MAX_BRACE_DEPTH = 8  # deeper LaTeX nesting is not handed to math-verify
MAX_EXPONENT_DIGITS = 4  # 2^{12345} is fine for sympy, 2^{123456789} is not
GOLD_PARSE_SECONDS = 0.2  # SIGALRM budget for parsing one gold (main thread only)
PARSE_SECONDS = 0.3  # ... for parsing one prediction
VERIFY_SECONDS = 0.3  # ... for comparing it to the gold (all three together stay under 1 s)
GOLD_CACHE_SIZE = 4096  # prepared golds kept per process (a parsed gold is a few KB)

# Verdicts of the judge, from best to worst.
EQUIVALENT, CLOSE_10, CLOSE_20, WRONG, UNPARSEABLE, NO_BLOCK = (
    "equivalent",
    "close_10",
    "close_20",
    "wrong",
    "unparseable",
    "no_block",
)
VERDICTS = (EQUIVALENT, CLOSE_10, CLOSE_20, WRONG, UNPARSEABLE, NO_BLOCK)


# --- Completion text and the solution block


def completion_text(completion) -> str:
    """The text of a completion: a plain string, or the assistant content of a conversation.

    >>> completion_text([{"role": "assistant", "content": "hi"}])
    'hi'
    """
    if completion is None:
        return ""
    if isinstance(completion, str):
        text = completion
    elif isinstance(completion, dict):
        text = _content_text(completion.get("content"))
    elif isinstance(completion, (list, tuple)):
        text = "".join(
            _content_text(m.get("content")) if isinstance(m, dict) else completion_text(m)
            for m in completion
            if not isinstance(m, dict) or m.get("role", "assistant") == "assistant"
        )
    else:
        text = str(completion)
    # Lone surrogates (broken unicode) would make later encoding steps raise.
    return text.encode("utf-8", "replace").decode("utf-8")


def _content_text(content) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, (list, tuple)):  # multimodal-style parts: [{"type": "text", "text": ...}]
        return "".join(p.get("text") or "" if isinstance(p, dict) else str(p) for p in content)
    return str(content)


def extract_answer(text) -> str | None:
    """The answer inside the single solution block, or None when there is no such block.

    None for: no block, two blocks, an unterminated block, tags in the wrong order, an empty
    block, or a block followed by REASONING_END (a draft inside the reasoning, not the answer).

    >>> extract_answer("2+2 is 4<end_working_out><SOLUTION> 4 </SOLUTION>")
    '4'
    >>> extract_answer("<SOLUTION>3</SOLUTION><SOLUTION>4</SOLUTION>") is None
    True
    """
    text = completion_text(text)
    if text.count(SOLUTION_START) != 1 or text.count(SOLUTION_END) != 1:
        return None
    start = text.index(SOLUTION_START) + len(SOLUTION_START)
    end = text.index(SOLUTION_END)
    if end < start or REASONING_END in text[end:]:
        return None
    answer = text[start:end].strip()
    return answer or None


# --- Normalisation and fast paths

_MINUS_SIGNS = dict.fromkeys(map(ord, "\u2212\u2012\u2013\u2014\ufe63\uff0d"), "-")
_SPACING = re.compile(r"(?<!\\)\\(?:,|;|:|!|\s|quad\b|qquad\b|displaystyle\b|left\b|right\b)|~")  # not a row break \\
_BOXED = re.compile(r"\\(?:boxed|fbox)\s*\{")
_UNIT_SUFFIX = re.compile(  # only after a number or a closing brace: "no idea" keeps its words
    r"(?<=[\d}])(?:\^\s*\{?\s*\\circ\s*\}?|\\degree|\\?%|"  # degrees, percent
    r"\s*\\(?:text|mbox|mathrm)\s*\{[^{}]*\}|"  # \text{ cm}
    r"\s+[A-Za-z][A-Za-z.]*(?:\s+[A-Za-z][A-Za-z.]*)*)$"  # words: "5 apples", "5 square units"
)
_SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_SUPERSCRIPTS = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+")
_VULGAR_CHARS = "¼½¾⅐⅑⅒⅓⅔⅕⅖⅗⅘⅙⅚⅛⅜⅝⅞"
_VULGAR = re.compile(f"(\\d*)([{_VULGAR_CHARS}])")
_ROOT = re.compile(r"√\s*(\d+(?:\.\d+)?|[A-Za-z]|\([^()]*\)|\{[^{}]*\})")
_UNICODE_LATEX = {  # after the patterns above; a trailing space keeps "\\pi r" from reading as "\\pir"
    "√": "\\sqrt",
    "×": "\\times ",
    "·": "\\cdot ",
    "÷": "\\div ",
    "π": "\\pi ",
    "∞": "\\infty ",
    "∅": "\\emptyset ",
    "≤": "\\le ",
    "≥": "\\ge ",
    "≠": "\\ne ",
    "⁄": "/",
}
_CURRENCY = re.compile(r"\\\$|[€£¥]|\\euro\b|\\pounds\b")  # \$5, €5: the sign is not part of the value
_TEXT_WRAPPER = re.compile(r"^\\(?:text|textbf|textrm|mathrm|mathbf|mbox|operatorname)\s*\{")
_SPACE_THOUSANDS = re.compile(r"^-?\d{1,3}(?: \d{3})+(?:\.\d+)?$")
_DIGIT_SPACE_DIGIT = re.compile(r"(?<=\d) (?=\d)")
_EMPTY_SET = {"\\emptyset", "\\varnothing", "\\{\\}", "{}", "\\O"}
_BASE_NUMBER = re.compile(r"^\(?([0-9A-Za-z]+)\)?_\{?(\d+)\}?$")  # 123_4, (1011)_{2}
_ASSIGNMENT = re.compile(r"^\s*(?:[A-Za-z]|\\[A-Za-z]+)(?:_\{?\w+\}?)?\s*=\s*(?=[^=]+$)")
_THOUSANDS = re.compile(r"^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_NUMBER = re.compile(r"^-?(?:\d+(?:\.\d*)?|\.\d+)$")
_FRACTION = re.compile(r"^(-?)(?:\\frac\{(-?\d+)\}\{(\d+)\}|(\d+)/(\d+))$")
_FIRST_NUMBER = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d{1,3}(?: \d{3})+(?![\d.])|-?\d+(?:\.\d+)?")
_HUGE_EXPONENT = re.compile(r"\^\s*\{?\s*\d{" + str(MAX_EXPONENT_DIGITS + 1) + ",}")
_PROSE_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{3,}")
_HEDGE_WORDS = re.compile(r"\bor\b|\band\b|\\lor\b|\\vee\b|\\pm\b|\\mp\b|\u00b1", re.IGNORECASE)


def _closing_brace(s: str, start: int) -> int | None:
    """The index of the brace that closes the one opened just before `start`, or None (unbalanced)."""
    depth = 1
    for i in range(start, len(s)):
        depth += {"{": 1, "}": -1}.get(s[i], 0)
        if depth == 0:
            return i
    return None


def _unwrap_boxed(s: str) -> str:
    """The content of the single \\boxed{...} (balanced), or s unchanged (none, or several: a hedge)."""
    matches = list(_BOXED.finditer(s))
    if len(matches) != 1:
        return s
    end = _closing_brace(s, matches[0].end())
    return s[matches[0].end() : end] if end is not None else s


def _unicode_math(s: str) -> str:
    """LaTeX for the unicode math a model may write: superscript exponents, vulgar fractions, roots,
    operators and constants. Done before NFKC, which would turn x² into x2 and 1½ into 11⁄2."""
    s = _SUPERSCRIPTS.sub(lambda m: "^{" + m.group().translate(_SUPERSCRIPT_DIGITS) + "}", s)
    if any(ch in _VULGAR_CHARS for ch in s):
        s = _VULGAR.sub(_vulgar_fraction, s)
    s = _ROOT.sub(lambda m: "\\sqrt{" + m.group(1).removeprefix("(").removesuffix(")") + "}", s)
    for char, latex in _UNICODE_LATEX.items():
        s = s.replace(char, latex)
    return s


def _vulgar_fraction(match: re.Match) -> str:
    value = Fraction(unicodedata.numeric(match.group(2))).limit_denominator(1000)
    fraction = f"\\frac{{{value.numerator}}}{{{value.denominator}}}"
    return f"({match.group(1)}+{fraction})" if match.group(1) else fraction  # 1½ is one and a half


def _unwrap_text(s: str) -> str:
    """The content of an answer wrapped whole in \\text{} / \\mathrm{} / \\textbf{} ... (balanced)."""
    while match := _TEXT_WRAPPER.match(s):
        if _closing_brace(s, match.end()) != len(s) - 1:  # "\text{a} + \text{b}": not one wrapper
            return s
        s = s[match.end() : -1].strip()
    return s


def normalize_answer(answer: str) -> str:
    """A canonical spelling of an answer for cheap comparisons (not a full simplifier).

    >>> normalize_answer(r"$y = \\boxed{12{,}500}$ apples.")
    '12500'
    >>> normalize_answer("x² + ½"), normalize_answer(r"\\text{\\$12 500}"), normalize_answer("1 2")
    ('x^{2} + \\\\frac{1}{2}', '12500', '1, 2')
    """
    s = unicodedata.normalize("NFKC", _unicode_math(answer)).translate(_MINUS_SIGNS)
    s = _unwrap_boxed(s)
    s = _CURRENCY.sub("", s)
    s = s.replace("$", "").replace("\\(", "").replace("\\)", "").replace("\\[", "").replace("\\]", "")
    s = s.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac").replace("{,}", ",")
    s = _SPACING.sub(" ", s).strip().rstrip(".").strip()
    s = _unwrap_text(s)
    s = _ASSIGNMENT.sub("", s, count=1)
    s = _UNIT_SUFFIX.sub("", s).strip()
    s = " ".join(s.split())
    if _SPACE_THOUSANDS.match(s):
        s = s.replace(" ", "")  # 12 500: digit groups of three
    s = _DIGIT_SPACE_DIGIT.sub(", ", s)  # 1 2: two numbers, never twelve
    if _THOUSANDS.match(s.replace(" ", "")):
        s = s.replace(",", "").replace(" ", "")
    if s.replace(" ", "") in _EMPTY_SET:
        s = "\\emptyset"
    return s


def _as_number(norm: str) -> Fraction | None:
    """An exact value for plain numbers and integer fractions; None for anything else."""
    s = norm.replace(" ", "")
    if len(s) > MAX_NUMBER_CHARS:
        return None
    if _NUMBER.match(s):
        return Fraction(s)
    match = _FRACTION.match(s)
    if match:
        sign, num_a, den_a, num_b, den_b = match.groups()
        den = int(den_a or den_b)
        if den == 0:
            return None
        value = Fraction(int(num_a or num_b), den)
        return -value if sign else value
    return None


_INFINITY = {"\\infty": "inf", "+\\infty": "inf", "-\\infty": "-inf", "\\inf": "inf"}


def _split_top_level(s: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(s):
        depth += {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            parts.append(s[start:i])
            start = i + 1
    return parts + [s[start:]]


def _as_number_group(norm: str) -> tuple | None:
    """Intervals, tuples, sets and lists whose items are all plain numbers (or infinities), as a
    comparable value; None for anything else. math-verify takes 40-120 ms on such pairs."""
    s = norm.replace(" ", "")
    if len(s) > MAX_ANSWER_CHARS or "," not in s:
        return None
    if s.startswith("\\{") and s.endswith("\\}"):
        kind, body = "set", s[2:-2]
    elif s[0] in "([" and s[-1] in ")]":
        kind, body = s[0] + s[-1], s[1:-1]
    else:
        kind, body = "set", s  # a bare list "2, 5, 7" is compared as a set, as math-verify does
    items = []
    for item in _split_top_level(body):
        value = _INFINITY.get(item) or _as_number(item)
        if value is None:
            return None
        items.append(value)
    return (kind, frozenset(items)) if kind == "set" else (kind, tuple(items))


def _top_level_separator(s: str) -> bool:
    """True when s lists several items: a comma or semicolon outside any bracket."""
    depth = 0
    for ch in s:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch in ",;" and depth <= 0:
            return True
    return False


def _is_multi_valued(norm: str) -> bool:
    """Several candidate answers: a list, "or" / "and" / \\vee / \\pm, two boxes, or a lone "|"
    ("4 | 5"; absolute values |x| come in pairs)."""
    if _top_level_separator(norm) or _HEDGE_WORDS.search(norm) or len(_BOXED.findall(norm)) > 1:
        return True
    return norm.count("|") % 2 == 1


def _is_prose(norm: str) -> bool:
    """Words and no digits ("no idea", "banana split"): sympy would read them as a product of
    symbols, which is not an answer to a math problem."""
    return not any(ch.isdigit() for ch in norm) and bool(_PROSE_WORD.search(norm))


def _too_costly_for_sympy(s: str) -> bool:
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
    if re.search(r"\^\s*\{[^{}]*\^|\^\s*\(?[^{}\s]*\^|\^\s*\d\s*\^", s):
        return True
    if _HUGE_EXPONENT.search(s):
        return True
    # Factorials, binomials and gammas of big literals.
    if re.search(r"(!|\\binom|\\choose|\\Gamma|\\prod)", s) and re.search(r"\d{4,}", s):
        return True
    return "!!" in s or bool(re.search(r"[)}]\s*!", s))


class _Timeout(BaseException):
    """Raised by our SIGALRM handler; a BaseException so sympy's `except Exception` cannot eat it."""


@contextmanager
def _time_limit(seconds: float):
    """Bound the block with a float SIGALRM timer in the main thread; elsewhere rely on the guards.

    math-verify's own timeouts take whole seconds only and raise outside the main thread, so they
    are disabled (None) and this timer replaces them.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_alarm(signum, frame):
        raise _Timeout

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


_math_verify_module = None
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
)


def _math_verify():
    """math-verify, imported on first need (sympy costs ~1 s) and warmed up outside any timer, so a
    process's first parse (grammar loading) is not cut short by the time limit."""
    global _math_verify_module
    if _math_verify_module is None:
        import math_verify

        # It warns that its own timeout is off; ours (_time_limit) replaces it.
        logging.getLogger("math_verify").setLevel(logging.ERROR)
        warm = [math_verify.parse(s, parsing_timeout=None) for s in WARM_UP]
        for gold, pred in zip(warm, warm[1:], strict=False):
            math_verify.verify(gold, pred, timeout_seconds=None)
        _math_verify_module = math_verify
    return _math_verify_module


def warm_up() -> None:
    """Load math-verify and sympy now (~1-2 s), so that no completion pays for them inside the
    reward's time limit; the training and evaluation scripts call it at start-up."""
    _math_verify()


def _mv_parse(norm: str, seconds: float) -> list | None:
    """math-verify's parse of a normalised answer, bounded in size and time.

    [] when nothing parseable was found, None when the time limit or an error cut it short."""
    if not norm or _too_costly_for_sympy(norm):
        return []
    parse = _math_verify().parse
    try:
        with _time_limit(seconds):
            return parse(f"${norm}$", parsing_timeout=None)
    except _Timeout:
        logger.debug("math-verify parse timed out on %.80r", norm)
    except Exception:  # math-verify rarely raises; an odd answer must not stop a training run
        logger.debug("math-verify parse failed on %.80r", norm, exc_info=True)
    return None


class PreparedGold:
    """A gold answer prepared once and shared by all completions of its group."""

    __slots__ = ("raw", "norm", "key", "number", "group", "single", "base", "_parsed")

    def __init__(self, gold) -> None:
        self.raw = "" if gold is None else completion_text(gold).strip()
        self.norm = normalize_answer(self.raw) if len(self.raw) <= MAX_ANSWER_CHARS else self.raw
        self.key = self.norm.replace(" ", "")
        self.number = _as_number(self.norm)
        self.group = _as_number_group(self.norm)
        self.single = not _is_multi_valued(self.norm)
        self.base = _base_number(self.key)
        self._parsed = None

    def parsed(self) -> list:
        if self._parsed is None:
            result = _mv_parse(self.norm, GOLD_PARSE_SECONDS)
            if result is None:  # timed out (a loaded machine): try again next time, do not remember []
                return []
            self._parsed = result
        return self._parsed


@functools.lru_cache(maxsize=GOLD_CACHE_SIZE)
def prepare_gold(gold: str) -> PreparedGold:
    """Golds are prepared once per process: a group's completions, and later epochs, share them."""
    return PreparedGold(gold)


def _base_number(key: str) -> tuple[int, int] | None:
    """(value, base) of a number written with a base subscript (123_4, (1011)_{2}), else None.

    >>> _base_number("123_4"), _base_number("(1011)_{2}"), _base_number("x_1"), _base_number("129_4")
    ((27, 4), (11, 2), None, None)
    """
    if "_" not in key or len(key) > MAX_NUMBER_CHARS:  # cheap refusals first: golds can be huge
        return None
    match = _BASE_NUMBER.match(key)
    if not match or not 2 <= int(match.group(2)) <= 36 or not any(ch.isdigit() for ch in match.group(1)):
        return None
    try:
        return int(match.group(1), int(match.group(2))), int(match.group(2))
    except ValueError:  # a digit the base does not have
        return None


def _base_verdict(key: str, pred_base: tuple[int, int] | None, gold: PreparedGold) -> str:
    """Numbers in a base are equal only as values in the same base: 123_4 is 27, and 123_5 is never
    paid for 123_4 (nor 27 for it: the answer was asked for in base 4). Digits without the subscript
    are read in the gold's base (1011 for 1011_2); a subscripted answer to a decimal gold counts only
    in base 10."""
    if gold.base is not None:
        if pred_base is None:
            try:
                pred_base = (int(key, gold.base[1]), gold.base[1]) if key.isalnum() else None
            except ValueError:
                pred_base = None
        if pred_base is None:
            return WRONG if any(ch.isdigit() for ch in key) else UNPARSEABLE
        return EQUIVALENT if pred_base == gold.base else WRONG
    if pred_base[1] == 10 and gold.number is not None:
        return _numeric_verdict(Fraction(pred_base[0]), gold.number)
    return WRONG


def judge_prepared(pred: str | None, gold: PreparedGold) -> str:
    """The verdict for one extracted answer against one prepared gold."""
    if pred is None:
        return NO_BLOCK
    if len(pred) > MAX_ANSWER_CHARS:  # too long to normalise safely: exact text or nothing
        return EQUIVALENT if pred.strip() == gold.raw else UNPARSEABLE
    norm = normalize_answer(pred)
    key = norm.replace(" ", "")
    if not key:
        return UNPARSEABLE
    pred_base = _base_number(key)
    if gold.base is not None or pred_base is not None:
        return _base_verdict(key, pred_base, gold)
    if key == gold.key:
        return EQUIVALENT
    if gold.single and _is_multi_valued(norm):
        return UNPARSEABLE  # hedging: "3 or 4", "2, 5, 7" for a single-valued gold
    if _is_prose(norm) and not _is_prose(gold.norm):
        return UNPARSEABLE
    number = _as_number(norm)
    if number is not None and gold.number is not None:
        if "%" in pred and "%" not in gold.raw and number / 100 == gold.number:
            return EQUIVALENT  # "50%" for a gold of 0.5 (and "50%" for 50 is equal anyway)
        return _numeric_verdict(number, gold.number)
    group = _as_number_group(norm)
    if group is not None and gold.group is not None:
        return EQUIVALENT if group == gold.group else WRONG
    return _symbolic_verdict(norm, gold, number)


def _numeric_verdict(pred: Fraction, gold: Fraction) -> str:
    if pred == gold:
        return EQUIVALENT
    if gold != 0:
        ratio = pred / gold
        if Fraction(9, 10) <= ratio <= Fraction(11, 10):
            return CLOSE_10
        if Fraction(8, 10) <= ratio <= Fraction(12, 10):
            return CLOSE_20
    return WRONG


def _symbolic_verdict(norm: str, gold: PreparedGold, number: Fraction | None) -> str:
    gold_parsed = gold.parsed()
    pred_parsed = _mv_parse(norm, PARSE_SECONDS) or []
    if not pred_parsed:
        return WRONG if number is not None else UNPARSEABLE
    if not gold_parsed:
        return WRONG
    try:
        with _time_limit(VERIFY_SECONDS):
            if _clearly_different(gold_parsed[0], pred_parsed[0]):
                return WRONG
            if _identical(gold_parsed[0], pred_parsed[0]):
                return EQUIVALENT
    except _Timeout:
        return WRONG
    except Exception:  # the probe is only a shortcut: on any doubt math-verify decides
        logger.debug("numeric probe failed on %.80r", norm, exc_info=True)
    try:
        with _time_limit(VERIFY_SECONDS):
            same = _math_verify().verify(gold_parsed, pred_parsed, timeout_seconds=None)
    except _Timeout:
        logger.debug("math-verify verify timed out on %.80r", norm)
        same = False
    except Exception:
        logger.debug("math-verify verify failed on %.80r", norm, exc_info=True)
        same = False
    return EQUIVALENT if same else WRONG


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


def judge_answer(pred: str | None, gold) -> str:
    """The verdict for an extracted answer: one of EQUIVALENT ... NO_BLOCK (see ANSWER_SCORES).

    >>> judge_answer("0.5", r"\\frac{1}{2}"), judge_answer("0.46", "0.5"), judge_answer(None, "1")
    ('equivalent', 'close_10', 'no_block')
    """
    return judge_prepared(pred, prepare_gold(completion_text(gold).strip()))


def is_equivalent(pred: str | None, gold) -> bool:
    """True when the extracted answer is mathematically the gold answer.

    >>> is_equivalent(r"3\\sqrt{2}", r"\\sqrt{18}"), is_equivalent("3 or 4", "4")
    (True, False)
    """
    return judge_answer(pred, gold) == EQUIVALENT


# --- Lenient extraction (evaluation only: where a human grader would look)

_ANSWER_STATEMENT = re.compile(r"(?:final answer|answer)\s*(?:is|:|=)?\s*:?\s*([^\n]+)", re.IGNORECASE)
_LAST_NUMBER = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?(?:\s*/\s*\d+)?")


def _last_boxed(text: str) -> str | None:
    """The content of the last balanced \\boxed{...} / \\fbox{...}, or None."""
    matches = list(_BOXED.finditer(text))
    if not matches:
        return None
    end = _closing_brace(text, matches[-1].end())
    return text[matches[-1].end() : end].strip() or None if end is not None else None


def lenient_answer(text) -> str | None:
    r"""The model's final answer wherever a grader would look, in this order: the single solution
    block; else the last \boxed{}; else the last "answer is ..." / "Answer: ..." statement (up to the
    end of its sentence); else the last number written; else None. Used for evaluation's lenient
    accuracy only (training pays the solution block alone), judged by the same `judge_answer`.

    >>> lenient_answer("so <SOLUTION>12</SOLUTION>"), lenient_answer(r"thus \boxed{\frac{1}{2}}.")
    ('12', '\\frac{1}{2}')
    >>> lenient_answer("The answer is 42. Done"), lenient_answer("3 apples and 5 pears: 8"), lenient_answer("no idea")
    ('42', '8', None)
    """
    text = completion_text(text)
    block = extract_answer(text)
    if block is not None:
        return block
    boxed = _last_boxed(text)
    if boxed is not None:
        return boxed
    statements = _ANSWER_STATEMENT.findall(text)
    if statements:
        statement = re.split(r"\.(?:\s|$)", statements[-1].strip(), maxsplit=1)[0].strip()
        if statement:
            return statement[:MAX_ANSWER_CHARS]
    numbers = _LAST_NUMBER.findall(unicodedata.normalize("NFKC", text).translate(_MINUS_SIGNS))
    return numbers[-1].replace(" ", "") if numbers else None


# --- Plain numbers (check_numbers' coarser check)


def numeric_gold(gold) -> Decimal | None:
    """The gold as a decimal when it is a plain number after normalisation, else None.

    >>> numeric_gold("12,500"), numeric_gold(r"\\frac{1}{2}")
    (Decimal('12500'), None)
    """
    key = prepare_gold(completion_text(gold).strip()).key  # normalised once per process
    return Decimal(key) if _NUMBER.match(key) else None


def is_hedged(answer: str) -> bool:
    """True when an answer lists several candidates ("3 or 4", "2, 5", "\\pm 2").

    >>> is_hedged("3 or 4"), is_hedged("-4")
    (True, False)
    """
    text = unicodedata.normalize("NFKC", answer).translate(_MINUS_SIGNS)
    return _is_multi_valued(normalize_answer(text[:MAX_ANSWER_CHARS]))


def first_number(answer: str) -> Decimal | None:
    """The first number written in an answer (thousands commas and unicode minus read), or None.

    >>> first_number("about −1,200 m, not 5"), first_number("none")
    (Decimal('-1200'), None)
    """
    text = unicodedata.normalize("NFKC", answer).translate(_MINUS_SIGNS)
    match = _FIRST_NUMBER.search(text)
    if match is None:
        return None
    try:
        return Decimal(match.group().replace(",", "").replace(" ", ""))
    except InvalidOperation:
        return None
