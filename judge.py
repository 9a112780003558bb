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
import time
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
# Budgets in CPU seconds of the judging thread, not wall time: load from other processes cannot
# reach them. The slowest ordinary answer (the equivalence table and the reward bench's 2,048,
# warm) takes 0.056 CPU-s for its whole judgement (gold parse + parse + compare); each step's budget
# is over 10x that. Hostile inputs are bounded by the guards above, not by these budgets.
GOLD_PARSE_CPU_SECONDS = 0.6  # parsing one gold (main thread only; elsewhere the guards bound it)
PARSE_CPU_SECONDS = 0.6  # ... parsing one prediction
VERIFY_CPU_SECONDS = 0.6  # ... comparing it to the gold
RETRY_BUDGET_SCALE = 10  # evaluate.py re-judges a timed-out answer once with budgets this many times larger
GOLD_CACHE_SIZE = 4096  # prepared golds kept per process (a parsed gold is a few KB)

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
_DEGREE_PERCENT = re.compile(r"(?<=[\d}])(?:\^\s*\{?\s*\\circ\s*\}?|\\degree|\\?%|\s*percent)$")
# Words after a number or a closing brace: "5 apples", "5 \text{ cm}^2", "60 km/h". Stripped only when
# every word is a unit or a counted noun (see _is_unit_word); "7 or more", "7 squared" keep them.
_UNIT_SUFFIX = re.compile(
    r"(?<=[\d}])((?:\s*\\(?:text|mbox|mathrm)\s*\{[^{}]*\}|\s+[A-Za-z][A-Za-z.]*)"
    r"(?:\s*\^\s*\{?\d\}?|\s*/\s*[A-Za-z]+|\s+[A-Za-z][A-Za-z.]*|\s*\\(?:text|mbox|mathrm)\s*\{[^{}]*\})*)$"
)
_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]+")
UNIT_LETTERS = frozenset("mgshLJNWVK")  # one-letter units; any other letter after a number is a variable
_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen"
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety"
# Read as numbers when they are the whole answer ("seven"); a second value anywhere else.
NUMBER_WORDS = {word: value for value, word in enumerate(f"{_ONES} seventeen eighteen nineteen".split())}
NUMBER_WORDS |= {word: 10 * (i + 2) for i, word in enumerate(_TENS.split())}
NUMBER_SCALES = {"hundred": 100, "thousand": 10**3, "million": 10**6, "billion": 10**9}
# Words that make "N word" something other than the value N: another candidate or an open range
# (a hedge), or arithmetic spelled out (a different value).
_HEDGES = (
    "or and nor either neither not no maybe perhaps probably possibly approximately approx roughly about around "
    "nearly almost more less fewer greater larger smaller bigger higher lower least most than over under above "
    "below between at dozen half halves third thirds quarter quarters twice double triple once"
)
HEDGE_WORDS = frozenset(_HEDGES.split()) | NUMBER_WORDS.keys() | NUMBER_SCALES.keys()
_OPERATORS = "plus minus times multiplied divided by squared cubed power powers root roots sqrt factorial"
OPERATOR_WORDS = frozenset(_OPERATORS.split())
_FUNCTIONS = "pi sin cos tan cot sec csc log ln exp mod gcd lcm arcsin arccos arctan inf infty"
MATH_WORDS = frozenset(_FUNCTIONS.split())  # not prose: function names written without a backslash
NOT_UNIT_WORDS = HEDGE_WORDS | OPERATOR_WORDS | MATH_WORDS
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
_ASSIGNMENT = re.compile(  # "x =", "x_1 =", "(x, y) =", "x \\in": the name is not part of the value
    r"^\s*(?:(?:[A-Za-z]|\\[A-Za-z]+)(?:_\{?\w+\}?)?|\(\s*[A-Za-z](?:\s*,\s*[A-Za-z])+\s*\))"
    r"\s*(?:=|\\in\b)\s*(?=[^=]+$)"
)
_BARE_FRAC = re.compile(r"\\frac\s*(\d|\{[^{}]*\})\s*(\d|\{[^{}]*\})")  # \frac 3 4, \frac34
_BARE_SQRT = re.compile(r"\\sqrt\s*(\d)")  # \sqrt 5: LaTeX takes one digit as the argument
_BARE_SCRIPT = re.compile(r"([_^])\s*(\d)(?=\s)")  # \log_3 5: the base is one digit, 5 is the argument
_REPEATING = re.compile(r"(-?)(\d*)\.(\d*)\\(?:overline|bar|dot)\s*\{?(\d+)\}?")  # 0.\overline{81}
_BARE_PI = re.compile(r"(?<![\\A-Za-z])pi(?![A-Za-z])")
_RELATION = re.compile(r"\\(?:le|ge)(?:q(?:slant)?)?(?![A-Za-z])|<=|>=|<|>")
_ENVIRONMENT = re.compile(r"\\(?:begin|end)\s*\{[A-Za-z*]*\}|\\operatorname\s*\{[^{}]*\}")
_NUMBER_WORD = "(?:" + "|".join(sorted(NUMBER_WORDS.keys() | NUMBER_SCALES.keys(), key=len, reverse=True)) + ")"
_NUMBER_PHRASE = re.compile(rf"{_NUMBER_WORD}(?:[\s-]+{_NUMBER_WORD})*\b", re.IGNORECASE)
_THOUSANDS = re.compile(r"^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_NUMBER = re.compile(r"^-?(?:\d+(?:\.\d*)?|\.\d+)$")
_FRACTION = re.compile(r"^(-?)(?:\\frac\{(-?\d+)\}\{(\d+)\}|(\d+)/(\d+))$")
_FIRST_NUMBER = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d{1,3}(?: \d{3})+(?![\d.])|-?\d+(?:\.\d+)?")
_HUGE_EXPONENT = re.compile(r"\^\s*\{?\s*\d{" + str(MAX_EXPONENT_DIGITS + 1) + ",}")
_PROSE_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{3,}")
_HEDGE_PATTERN = re.compile(r"\bor\b|\band\b|\\lor\b|\\vee\b|\\pm\b|\\mp\b|\u00b1", re.IGNORECASE)


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
    >>> normalize_answer(r"0.\\overline{81}"), normalize_answer(r"-3 < x \\le 1"), normalize_answer("seven")
    ('\\\\frac{9}{11}', '(-3,1]', '7')
    """
    s = unicodedata.normalize("NFKC", _unicode_math(answer)).translate(_MINUS_SIGNS)
    s = _unwrap_boxed(s)
    s = _CURRENCY.sub("", s)
    s = s.replace("$", "").replace("\\(", "").replace("\\)", "").replace("\\[", "").replace("\\]", "")
    s = s.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac").replace("{,}", ",")
    s = _SPACING.sub(" ", s).strip().rstrip(".").strip()
    s = _unwrap_text(s)
    s = _brace_arguments(s)
    s = _REPEATING.sub(_repeating_fraction, s)
    s = _ASSIGNMENT.sub("", s, count=1)
    s = _inequality_interval(s)
    s = _NUMBER_PHRASE.sub(_number_phrase_value, s, count=1) if _NUMBER_PHRASE.match(s) else s
    s = _strip_units(s).strip()
    s = " ".join(s.split())
    if _SPACE_THOUSANDS.match(s):
        s = s.replace(" ", "")  # 12 500: digit groups of three
    s = _DIGIT_SPACE_DIGIT.sub(", ", s)  # 1 2: two numbers, never twelve
    if _THOUSANDS.match(s.replace(" ", "")):
        s = s.replace(",", "").replace(" ", "")
    if s.replace(" ", "") in _EMPTY_SET:
        s = "\\emptyset"
    return s


def _brace_arguments(s: str) -> str:
    """Braces around one-token LaTeX arguments (\\frac 3 4, \\sqrt 5, \\log_3 5), so the digit-group rule
    below never reads "3 5" as two numbers; "pi" written out is \\pi."""
    s = _BARE_FRAC.sub(lambda m: "\\frac{" + _unbrace(m.group(1)) + "}{" + _unbrace(m.group(2)) + "}", s)
    s = _BARE_SQRT.sub(r"\\sqrt{\1}", s)
    s = _BARE_SCRIPT.sub(r"\1{\2}", s)
    return _BARE_PI.sub(r"\\pi ", s)


def _unbrace(arg: str) -> str:
    return arg[1:-1] if arg.startswith("{") else arg


def _repeating_fraction(match: re.Match) -> str:
    """0.\\overline{81} -> \\frac{9}{11}: math-verify reads d.\\overline{r} as d."""
    sign, whole, fixed, repeat = match.groups()
    if len(whole + fixed + repeat) > MAX_NUMBER_CHARS:
        return match.group()
    value = int(whole or 0) + Fraction(
        int(fixed + repeat) - int(fixed or 0), 10 ** len(fixed) * (10 ** len(repeat) - 1)
    )
    return f"{sign}\\frac{{{value.numerator}}}{{{value.denominator}}}"


def _inequality_interval(s: str) -> str:
    """The interval an inequality in one variable describes: x \\ge 2 -> [2,\\infty), -3 < x \\le 1 ->
    (-3,1]; so an interval gold and the same set written as inequalities compare both ways."""
    relations = _RELATION.findall(s)
    if not relations or len(relations) > 2:
        return s
    parts = [p.strip() for p in _RELATION.split(s)]
    if not all(parts):
        return s
    below = [r.startswith(("<", "\\le")) for r in relations]  # "a < x": a lies below x
    is_var = [len(p) == 1 and p.isalpha() for p in parts]
    if len(parts) == 2 and is_var[0] != is_var[1]:
        bound, var_first = (parts[1], True) if is_var[0] else (parts[0], False)
        upper = below[0] == var_first  # x < b and b > x both bound x from above
        open_ = "(" if relations[0] in "<>" else "["
        if upper:
            return f"(-\\infty,{bound}{')' if open_ == '(' else ']'}"
        return f"{open_}{bound},\\infty)"
    if len(parts) == 3 and is_var == [False, True, False] and below[0] == below[1]:
        low, high = (parts[0], parts[2]) if below[0] else (parts[2], parts[0])
        left, right = (relations[0], relations[1]) if below[0] else (relations[1], relations[0])
        return f"{'(' if left in '<>' else '['}{low},{high}{')' if right in '<>' else ']'}"
    return s


def _number_phrase_value(match: re.Match) -> str:
    """Digits for small number words at the start of an answer ("seven", "twenty-one", "five
    hundred"); the words unchanged when they do not read as one number ("seven eight")."""
    total = current = 0
    last = None
    for word in re.split(r"[\s-]+", match.group().lower()):
        if word in NUMBER_SCALES:
            if last in (None, "scale") and word != "hundred" or current == 0:
                return match.group()
            if word == "hundred":
                current *= 100
            else:
                total, current = total + current * NUMBER_SCALES[word], 0
            last = "scale"
            continue
        value = NUMBER_WORDS[word]
        if last == "unit" or (last == "tens" and not 0 < value < 10):
            return match.group()
        current += value
        last = "tens" if value >= 20 else "unit"
    return str(total + current)


def _strip_units(s: str) -> str:
    """The answer without what cannot change its value: degrees, percent, units and counted nouns
    ("5 apples", "7 cm^2", "60 km/h"); words that could ("7 or more", "7 squared", "7 x") stay."""
    s = _DEGREE_PERCENT.sub("", s)
    match = _UNIT_SUFFIX.search(s)
    if match and all(_is_unit_word(w) for w in _WORD.findall(match.group(1))):
        return s[: match.start()]
    return s


def _is_unit_word(word: str) -> bool:
    word = word.rstrip(".")
    if len(word) == 1:
        return word in UNIT_LETTERS
    return word.lower() not in NOT_UNIT_WORDS


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
    if _top_level_separator(norm) or _HEDGE_PATTERN.search(norm) or len(_BOXED.findall(norm)) > 1:
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
    """Raised by our timer's handler; a BaseException so sympy's `except Exception` cannot eat it."""


MIN_REARM_SECONDS = 0.005  # the shortest re-armed wait when other threads ran the process timer down


@contextmanager
def _time_limit(seconds: float):
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
            raise _Timeout
        signal.setitimer(signal.ITIMER_PROF, max(left, MIN_REARM_SECONDS))

    previous = signal.signal(signal.SIGPROF, on_profile_tick)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


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
    r"$x \ge 2$",
    r"$(x, y) = (3, 5)$",
    r"$3i + \frac{1}{2}i$",
    r"$\text{odd}$",
    r"$50\%$",
    r"$1,2$",
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
            if gold and pred:
                _probe(*(parsed[0] for parsed in _imaginary_unit(gold, pred)))  # evalf / expand first use
        _math_verify_module = math_verify
    return _math_verify_module


def warm_up() -> None:
    """Load math-verify and sympy now (~1-2 s), so that no completion pays for them inside the
    reward's time limit; the training and evaluation scripts call it at start-up."""
    _math_verify()


def _mv_parse(norm: str, seconds: float) -> list | None:
    """math-verify's parse of a normalised answer, bounded in size and CPU time.

    [] when nothing parseable was found (or math-verify failed), None when the budget ran out."""
    if not norm or _too_costly_for_sympy(norm):
        return []
    parse = _math_verify().parse
    try:
        with _time_limit(seconds):
            return parse(f"${norm}$", parsing_timeout=None)
    except _Timeout:
        logger.debug("math-verify parse timed out on %.80r", norm)
        return None
    except Exception:  # math-verify rarely raises; an odd answer must not stop a training run
        logger.debug("math-verify parse failed on %.80r", norm, exc_info=True)
        return []


class PreparedGold:
    """A gold answer prepared once and shared by all completions of its group."""

    __slots__ = ("raw", "norm", "key", "number", "group", "single", "base", "prose", "not_one_value", "_parsed")

    def __init__(self, gold) -> None:
        self.raw = "" if gold is None else completion_text(gold).strip()
        self.norm = normalize_answer(self.raw) if len(self.raw) <= MAX_ANSWER_CHARS else self.raw
        self.key = self.norm.replace(" ", "")
        self.number = _as_number(self.norm)
        self.group = _as_number_group(self.norm)
        self.single = not _is_multi_valued(self.norm)
        self.base = _base_number(self.key)
        self.prose = _is_prose(self.norm)
        self.not_one_value = _prose_verdict(self.norm) is not None  # "7 or more" as a gold
        self._parsed = None

    def parsed(self, seconds: float = GOLD_PARSE_CPU_SECONDS) -> list | None:
        """math-verify's parse of the gold; None when the budget ran out (not remembered)."""
        if self._parsed is None:
            result = _mv_parse(self.norm, seconds)
            if result is None:
                return None
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
    paid for 123_4 (nor 27 for it: the answer was asked for in base 4). Bare digits on one side are
    read in the other side's base (1011 for 1011_2, either way round), so the verdict is symmetric."""
    if gold.base is not None and pred_base is not None:
        return EQUIVALENT if pred_base == gold.base else WRONG
    (value, base), bare = (gold.base, key) if gold.base is not None else (pred_base, gold.key)
    try:
        read = int(bare, base) if bare.isalnum() and bare.isascii() else None
    except ValueError:  # a digit that base does not have
        read = None
    if read is None:
        return WRONG if gold.base is None or any(ch.isdigit() for ch in key) else UNPARSEABLE
    return EQUIVALENT if read == value else WRONG


def judge_prepared(pred: str | None, gold: PreparedGold, budget: float = 1.0) -> str:
    """The verdict for one extracted answer against one prepared gold; `budget` scales the CPU-time
    budgets (evaluate.py re-judges a TIMEOUT once with RETRY_BUDGET_SCALE).

    Every rule is symmetric: judging (gold, pred) and (pred, gold) agree on equivalence."""
    if pred is None:
        return NO_BLOCK
    if len(pred) > MAX_ANSWER_CHARS:  # too long to normalise safely: exact text or nothing
        return EQUIVALENT if pred.strip() == gold.raw else UNPARSEABLE
    norm = normalize_answer(pred)
    key = norm.replace(" ", "")
    if not key:
        return UNPARSEABLE
    if key == gold.key:
        return EQUIVALENT
    pred_base = _base_number(key)
    if gold.base is not None or pred_base is not None:
        return _base_verdict(key, pred_base, gold)
    multi = _is_multi_valued(norm)
    if multi and gold.single:
        return UNPARSEABLE  # hedging: "3 or 4", "2, 5, 7" for a single-valued gold
    if not gold.single and not multi:
        return WRONG  # one value never equals a list of candidates
    if gold.prose:  # "odd", "Sunday": only the same words match, in any case
        return EQUIVALENT if _is_prose(norm) and key.lower() == gold.key.lower() else WRONG
    if _is_prose(norm):
        return UNPARSEABLE
    verdict = _prose_verdict(norm)
    if verdict is not None:
        return verdict
    if gold.not_one_value:
        return WRONG
    number = _as_number(norm)
    if number is not None and gold.number is not None:
        pred_percent, gold_percent = _has_percent(pred), _has_percent(gold.raw)
        if pred_percent != gold_percent and (number / 100 if pred_percent else number * 100) == gold.number:
            return EQUIVALENT  # "50%" for a gold of 0.5, and 0.5 for a gold of 50%
        return _numeric_verdict(number, gold.number)
    group = _as_number_group(norm)
    if group is not None and gold.group is not None:
        return EQUIVALENT if group == gold.group else WRONG
    return _symbolic_verdict(norm, gold, number, budget)


def _has_percent(text: str) -> bool:
    return "%" in text or "percent" in text.lower()


def _prose_words(norm: str) -> set[str]:
    """Words of two letters or more outside LaTeX commands and environment names, lower case."""
    return {w.lower() for w in _WORD.findall(_ENVIRONMENT.sub(" ", norm)) if len(w) > 1} - MATH_WORDS


def _stated_values(norm: str) -> set:
    """The distinct values an answer states between its words: "answer is 7, no: 9" -> {7, 9}."""
    values = set()
    for segment in _WORD.split(_ENVIRONMENT.sub(" ", norm)):
        segment = segment.strip(" ,.;:!?{}")
        if any(ch.isdigit() for ch in segment):
            number = _as_number(segment)  # 7 and 7.0 are one value
            values.add(segment.replace(" ", "") if number is None else number)
    return values


def _prose_verdict(norm: str) -> str | None:
    """UNPARSEABLE or WRONG for an answer whose words make it something other than one value, else
    None: a second candidate or an open range ("7 or eight", "at least 7", "answer is 7, no: 9"),
    or arithmetic spelled out ("7 squared": not the value 7)."""
    words = _prose_words(norm)
    if not words:
        return None
    if words & HEDGE_WORDS or len(_stated_values(norm)) > 1:
        return UNPARSEABLE
    if words & OPERATOR_WORDS:
        return WRONG
    return None


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


def _imaginary_unit(gold_parsed: list, pred_parsed: list) -> tuple[list, list]:
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


def _symbolic_verdict(norm: str, gold: PreparedGold, number: Fraction | None, budget: float) -> str:
    gold_parsed = gold.parsed(GOLD_PARSE_CPU_SECONDS * budget)
    pred_parsed = _mv_parse(norm, PARSE_CPU_SECONDS * budget)
    if gold_parsed is None or pred_parsed is None:
        return TIMEOUT
    if not pred_parsed:
        return WRONG if number is not None else UNPARSEABLE
    if not gold_parsed:
        return WRONG
    try:
        with _time_limit(VERIFY_CPU_SECONDS * budget):
            gold_parsed, pred_parsed = _imaginary_unit(gold_parsed, pred_parsed)
            shortcut = _probe(gold_parsed[0], pred_parsed[0])
            if shortcut is not None:
                return shortcut
            same = _math_verify().verify(gold_parsed, pred_parsed, timeout_seconds=None)
    except _Timeout:
        logger.debug("judging timed out on %.80r", norm)
        return TIMEOUT
    except Exception:  # math-verify rarely raises; an odd answer must not stop a training run
        logger.debug("judging failed on %.80r", norm, exc_info=True)
        same = False
    return EQUIVALENT if same else WRONG


def _probe(gold, pred) -> str | None:
    """WRONG or EQUIVALENT when a cheap check settles the pair, else None (math-verify decides)."""
    try:
        if _clearly_different(gold, pred):
            return WRONG
        if _identical(gold, pred):
            return EQUIVALENT
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
    """True when an answer is not one committed value: several candidates ("3 or 4", "2, 5",
    "\\pm 2", "at least 7", "answer is 7, no: 9") or arithmetic spelled out ("7 squared").

    >>> is_hedged("3 or 4"), is_hedged("7 or more"), is_hedged("7 squared"), is_hedged("-4 apples")
    (True, True, True, False)
    """
    text = unicodedata.normalize("NFKC", answer).translate(_MINUS_SIGNS)
    norm = normalize_answer(text[:MAX_ANSWER_CHARS])
    return _is_multi_valued(norm) or _prose_verdict(norm) is not None


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
