"""How an answer is spelled: one canonical spelling for unicode math, LaTeX variants, units, number
words, thousands separators and inequalities, and what its words say (several candidates, prose).
"""

from __future__ import annotations

import math
import re
import unicodedata
from decimal import Decimal
from fractions import Fraction

from .answers import BOXED, MINUS_SIGNS, closing_brace

MAX_NUMBER_CHARS = 60  # longer digit strings are not turned into exact fractions


# \quad even when glued to what follows (x_1 = 2,\quadx_2 = 3); not a row break \\
_SPACING = re.compile(r"(?<!\\)\\(?:,|;|:|!|\s|q?quad|displaystyle\b|left\b|right\b)|~")


_DEGREE_PERCENT = re.compile(r"(?<=[\d}])(?:\^\s*\{?\s*\\circ\s*\}?|\\degree|\s*\\?%|\s*percent)$")


# Words after a number, a closing brace or \\pi: "5 apples", "5 \text{ cm}^2", "60 km/h". Stripped only when
# every word is a unit or a counted noun (see _is_unit_word); "7 or more", "7 squared" keep them.
_UNIT_SUFFIX = re.compile(
    r"(?:(?<=[\d}])|(?<=\\pi))((?:\s*\\(?:text|mbox|mathrm)\s*\{[^{}]*\}|\s+[A-Za-z][A-Za-z.]*)"
    r"(?:\s*\^\s*\{?\d\}?|\s*/\s*[A-Za-z]+|\s+[A-Za-z][A-Za-z.]*|\s*\\(?:text|mbox|mathrm)\s*\{[^{}]*\})*)$"
)


WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]+")


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


# Words that state a value only in a case ("6 when k is odd", "x = 2 if a > 0"): a hedge, never a unit.
CONDITION_WORDS = frozenset(
    ["if", "iff", "when", "whenever", "unless", "provided", "providing", "assuming", "otherwise", "given"]
)


HEDGE_WORDS = frozenset(_HEDGES.split()) | NUMBER_WORDS.keys() | NUMBER_SCALES.keys() | CONDITION_WORDS


_OPERATORS = "plus minus times multiplied divided by squared cubed power powers root roots sqrt factorial"


OPERATOR_WORDS = frozenset(_OPERATORS.split())


_FUNCTIONS = "pi sin cos tan cot sec csc log ln exp mod gcd lcm arcsin arccos arctan inf infty"


MATH_WORDS = frozenset(_FUNCTIONS.split())  # not prose: function names written without a backslash


NOT_UNIT_WORDS = HEDGE_WORDS | OPERATOR_WORDS | MATH_WORDS


_SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")


_SUPERSCRIPTS = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+")


_VULGAR_CHARS = "¼½¾⅐⅑⅒⅓⅔⅕⅖⅗⅘⅙⅚⅛⅜⅝⅞"


_VULGAR = re.compile(f"(\\d*)([{_VULGAR_CHARS}])")


_ROOT = re.compile(r"([√∛∜])\s*(\d+(?:\.\d+)?|[A-Za-z]|\([^()]*\)|\{[^{}]*\})")


_ROOT_INDEX = {"√": "", "∛": "[3]", "∜": "[4]"}  # the square, cube and fourth roots


_ROOT_OF = re.compile("([³⁴])√")  # ³√2: the cube root written with a superscript index


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
    "°": "^{\\circ}",
    "∈": "\\in ",
    "∣": "\\mid ",
}


_CURRENCY = re.compile(r"\\\$|[€£¥]|\\euro\b|\\pounds\b")  # \$5, €5: the sign is not part of the value


_TEXT_WRAPPER = re.compile(r"^\\(?:text|textbf|textrm|mathrm|mathbf|mbox|operatorname)\s*\{")


_SPACE_THOUSANDS = re.compile(r"^-?\d{1,3}(?: \d{3})+(?:\.\d+)?$")


_DIGIT_SPACE_DIGIT = re.compile(r"(?<=\d) (?=\d)")


_EMPTY_SET = {"\\emptyset", "\\varnothing", "\\{\\}", "{}", "\\O"}


# 3.4e-5, 6.02E23: E-notation when written unspaced as one token. Read before \mathrm{e} becomes e, so
# 3\mathrm{e}-5 stays Euler's number; write e spaced (2e - 1) to mean it.
_E_NOTATION = re.compile(r"(?<![\w.\\^_{])(\d+(?:\.\d+)?|\.\d+)[eE]([-+]?\d{1,3})(?![\w.^])")


# 6.02 \times 10^{23} as a whole answer: the exact number (math-verify reads 6.02 as a float).
_SCIENTIFIC = re.compile(r"^(-?\d+(?:\.\d+)?)\s*(?:\\times|\\cdot|\*)\s*10\s*\^\s*\{?\s*([-+]?\d{1,3})\s*\}?$")


# Thousands separators of other locales, when they cannot be a decimal point: two or more dot groups
# (2.500.000, 1.234.567,89 with a decimal comma), or apostrophes (2'500'000).
_DOT_THOUSANDS = re.compile(r"^-?\d{1,3}(?:\.\d{3}){2,}(?:,\d+)?$")


_APOSTROPHE_THOUSANDS = re.compile(r"^-?\d{1,3}(?:['’]\d{3})+(?:\.\d+)?$")


# A mixed number written with a space: an integer, then a proper fraction (3 1/4 is 13/4).
_SPACED_MIXED = re.compile(r"^(-?)(\d+) (\d+)/(\d+)$")


# Infinity in words: \text{infinity}, "-infinity", "positive infinity".
_INFINITY_WORD = re.compile(
    r"(?:\\(?:text|mathrm|textrm|mbox)\s*\{\s*)?(?:(positive\s+|\+\s*)|(negative\s+|-\s*))?"
    r"(?<![A-Za-z\\])infinity(?![A-Za-z])(?:\s*\})?",
    re.IGNORECASE,
)


# A trigonometric function of an angle in degrees: \cos 60^\circ is cos(60 pi / 180) = 1/2. (A degree
# sign on the whole answer is a unit and goes, _DEGREE_PERCENT.)
_DEGREE_TRIG = re.compile(
    r"(?<![A-Za-z])\\?(sin|cos|tan|cot|sec|csc)(\s*\^\s*(?:\d|\{[^{}]*\}))?\s*(?:([({]\s*\(?)\s*)?(-?\d+(?:\.\d+)?)\s*"
    r"(?:\^\s*\{?\s*\\circ\s*\}?|\\degree)(?(3)\s*\)?\s*[)}])"
)


# A time of day with its meridiem (AM / PM in any spelling: pm, p.m., \text{ p.m.}), or noon / midnight.
_MERIDIEM = r"(?:\\(?:text|mathrm|textrm|mbox|rm)\s*\{\s*([AaPp])\.?\s*[Mm]\.?\s*\}|([AaPp])\.?\s*[Mm]\.?)"
_CLOCK = re.compile(rf"^(\d{{1,2}})(?::(\d{{2}}))?(?::(\d{{2}}))?\s*{_MERIDIEM}$")
_NOON = re.compile(r"^(?:12(?::00)?\s*)?(noon|midnight)$", re.IGNORECASE)
# Canonical spellings: "11:20 PM", and a 24-hour time (hour 0 or 13-23, or a zero-padded hour: 09:30).
_CANONICAL_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))? ([AP])M$")
_24_HOUR = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


# A multiple-choice answer: a letter in brackets, optionally bold or in \text, then optionally its value:
# "\textbf{(C)}\ 12", "(C) 12", "\text{(C)}". A bare capital letter is a letter only against one of these.
CHOICE_LETTERS = "ABCDEFGHIJ"
_CHOICE = re.compile(
    rf"^(?:\\(?:textbf|text|mathrm|mathbf|textrm|mbox)\s*\{{\s*\(\s*([{CHOICE_LETTERS}])\s*\)\s*\}}"
    rf"|\(\s*([{CHOICE_LETTERS}])\s*\))\s*[.:]?\s*(.*)$"
)


# Set-builder notation: \{x \mid x > 2\}, \{n \in \mathbb{Z} : 1 \le n \le 3\}, \{x \in \mathbb{R} | x \ne 3\}.
_SET_BUILDER = re.compile(
    r"^\\?\{\s*([A-Za-z])\s*(?:\\in\s*(?:\\mathbb\s*\{?\s*([RZNQ])\s*\}?|\\([RZNQ])(?![A-Za-z])|([RZNQ]))"
    r"\s*(\^\s*\{?\s*[+*]\s*\}?|_\s*\{?\s*(?:>|\\geq?)?\s*0\s*\}?)?)?"
    r"\s*(?:\\mid|\||:|\\colon)\s*(.+?)\s*\\?\}$"
)
_INTERVAL_BOUNDS = re.compile(r"^([(\[])(.+),(.+)([)\]])$")
MAX_SET_MEMBERS = 50  # an integer set-builder with more members is compared as written


# One math value at the end of a sentence: "So the vertex is $(-1, 4)$." Words that could change the value
# keep the sentence whole ("at least $7$"; "at" alone is a place: "the vertex is at $(2, -3)$").
_MATH_SEGMENT = re.compile(r"\$([^$]+)\$|\\\((.+?)\\\)")
_NOT_SENTENCE_WORDS = NOT_UNIT_WORDS - {"at"}


# A label before the value: "x =", "x_1 =", "(x, y) =", "x \\in", point and segment names ("AB =",
# "OR =", "\\frac{NO}{BO} ="). Stripped only when the value holds no variable (LABELLED_VALUE), so
# "y = 2x + 1" stays an equation.
LABEL = re.compile(
    r"^\s*(?:(?:[A-Za-z]|\\[A-Za-z]+)(?:_\{?\w+\}?)?|[A-Z]{2,4}|\\frac\{[A-Z]{1,4}\}\{[A-Z]{1,4}\}"
    r"|\(\s*[A-Za-z](?:\s*,\s*[A-Za-z])+\s*\))\s*(?:=|\\in\b)\s*(?=[^=]+$)"
)
_COMMAND = re.compile(r"\\(?:text|mbox|mathrm|operatorname)\s*\{[^{}]*\}|\\[A-Za-z]+")
CONSTANT_LETTERS = frozenset("ei")  # e and i are numbers, not variables
_JOINER_TEXT = re.compile(r"\\(?:text|mbox|mathrm|textrm)\s*\{\s*(and|or)\s*\}")  # \text{ and }: a word
_UPRIGHT_CONSTANT = re.compile(r"\\(?:mathrm|text|textrm|operatorname|mathit|rm|mbox)\s*\{\s*([ei])\s*\}")
_BINOM = re.compile(r"\\[dt]?binom\s*(\d|\{[^{}]*\})\s*(\d|\{[^{}]*\})")  # \binom 6 3, \dbinom{6}{3}
_BASE_NUMERAL = re.compile(r"^\(?([0-9A-Za-z]+)\)?_\{?(\d+)\}?$")  # 123_4, (1011)_{2}
ORDINAL_DENOMINATORS = {"half": 2, "halves": 2, "quarter": 4, "quarters": 4}
ORDINAL_DENOMINATORS |= {
    f"{word}{plural}": value
    for word, value in {"third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9}.items()
    for plural in ("", "s")
} | {"tenth": 10, "tenths": 10}


_BARE_FRAC = re.compile(r"\\frac\s*(\d|\{[^{}]*\})\s*(\d|\{[^{}]*\})")  # \frac 3 4, \frac34


_BARE_SQRT = re.compile(r"\\sqrt\s*(\d)")  # \sqrt 5: LaTeX takes one digit as the argument


_BARE_SCRIPT = re.compile(r"([_^])\s*(\d)(?=\s)")  # \log_3 5: the base is one digit, 5 is the argument


_REPEATING = re.compile(r"(-?)(\d*)\.(\d*)\\(?:overline|bar|dot)\s*\{?(\d+)\}?")  # 0.\overline{81}


_BARE_PI = re.compile(r"(?<![\\A-Za-z])pi(?![A-Za-z])")


RELATION = re.compile(r"\\(?:le|ge)(?:q(?:slant)?)?(?![A-Za-z])|<=|>=|<|>")


ENVIRONMENT = re.compile(r"\\(?:begin|end)\s*\{[A-Za-z*]*\}|\\operatorname\s*\{[^{}]*\}")


_NUMBER_WORD = "(?:" + "|".join(sorted(NUMBER_WORDS.keys() | NUMBER_SCALES.keys(), key=len, reverse=True)) + ")"


_NUMBER_PHRASE = re.compile(rf"{_NUMBER_WORD}(?:[\s-]+{_NUMBER_WORD})*\b", re.IGNORECASE)


_THOUSANDS = re.compile(r"^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")


NUMBER = re.compile(r"^-?(?:\d+(?:\.\d*)?|\.\d+)$")
_FRACTION = re.compile(r"^(-?)(?:\\frac\{(-?\d+)\}\{(\d+)\}|(\d+)/(\d+))$")
_PROSE_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{3,}")


_HEDGE_PATTERN = re.compile(r"\bor\b|\band\b|\\lor\b|\\vee\b|\\pm\b|\\mp\b|\u00b1", re.IGNORECASE)


def _unwrap_boxed(s: str) -> str:
    """The content of the single \\boxed{...} (balanced), or s unchanged (none, or several: a hedge)."""
    matches = list(BOXED.finditer(s))
    if len(matches) != 1:
        return s
    end = closing_brace(s, matches[0].end())
    return s[matches[0].end() : end] if end is not None else s


def _unicode_math(s: str) -> str:
    """LaTeX for the unicode math a model may write: superscript exponents, vulgar fractions, roots,
    operators and constants. Done before NFKC, which would turn x² into x2 and 1½ into 11⁄2."""
    s = _ROOT_OF.sub(lambda m: "∛" if m.group(1) == "³" else "∜", s)
    s = _SUPERSCRIPTS.sub(lambda m: "^{" + m.group().translate(_SUPERSCRIPT_DIGITS) + "}", s)
    if any(ch in _VULGAR_CHARS for ch in s):
        s = _VULGAR.sub(_vulgar_fraction, s)
    s = _ROOT.sub(lambda m: f"\\sqrt{_ROOT_INDEX[m.group(1)]}{{{m.group(2).removeprefix('(').removesuffix(')')}}}", s)
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
        if closing_brace(s, match.end()) != len(s) - 1:  # "\text{a} + \text{b}": not one wrapper
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
    return _base_numeral(_spelled(answer))


def _spelled(answer: str) -> str:
    """normalize_answer but for the value of a base numeral (123_4 stays 123_4)."""
    s = unicodedata.normalize("NFKC", _unicode_math(answer)).translate(MINUS_SIGNS)
    s = _unwrap_boxed(s)
    s = _CURRENCY.sub("", s)
    if "$" in s or "\\(" in s:
        s = _sentence_value(s)
    elif " " in s and not s.lstrip().startswith("\\"):
        s = _plain_sentence_value(s)
    s = s.replace("$", "").replace("\\(", "").replace("\\)", "").replace("\\[", "").replace("\\]", "")
    s = s.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac").replace("{,}", ",").replace("{:}", ":")
    if "e" in s or "E" in s:
        s = _E_NOTATION.sub(_e_notation, s)
    s = _UPRIGHT_CONSTANT.sub(r"\1", s)  # \mathrm{e}, \text{i}: the constants e and i
    s = _JOINER_TEXT.sub(r" \1 ", s)
    s = _SPACING.sub(" ", s).strip().rstrip(".").strip()
    if "nfinity" in s or "NFINITY" in s:
        s = _INFINITY_WORD.sub(_infinity, s)
    s = _unwrap_text(s)
    clock = _clock_time(s)
    if clock is not None:
        return clock
    s = _brace_arguments(s)
    if "\\circ" in s or "\\degree" in s:
        s = _DEGREE_TRIG.sub(_degrees_in_radians, s)
    s = _REPEATING.sub(_repeating_fraction, s)
    if "{" in s and ("mid" in s or "|" in s or ":" in s or "colon" in s):
        s = _set_builder(s)
    s = strip_label(s)
    if "\\ne" in s:
        s = _excluded_points(s)
    s = _inequality_interval(s)
    s = _fraction_words(s) or (_NUMBER_PHRASE.sub(_number_phrase_value, s, count=1) if _NUMBER_PHRASE.match(s) else s)
    s = _strip_units(s).strip()
    s = " ".join(s.split())
    if _SPACE_THOUSANDS.match(s):
        s = s.replace(" ", "")  # 12 500: digit groups of three
    s = _spaced_mixed_number(s)
    if "10" in s:
        s = _SCIENTIFIC.sub(_e_notation, s)
    if _DOT_THOUSANDS.match(s):
        s = s.replace(".", "").replace(",", ".")  # 2.500.000; 1.234.567,89
    elif _APOSTROPHE_THOUSANDS.match(s):
        s = s.replace("'", "").replace("’", "")
    s = _DIGIT_SPACE_DIGIT.sub(", ", s)  # 1 2: two numbers, never twelve
    if _THOUSANDS.match(s.replace(" ", "")):
        s = s.replace(",", "").replace(" ", "")
    if s.replace(" ", "") in _EMPTY_SET:
        s = "\\emptyset"
    return _worked_value(s)


def numeral_digits(answer: str) -> str | None:
    """The digits of a numeral written with a base subscript other than ten ("123_4" -> "123"), else None:
    a gold asked "in base 4" may be answered with the digits alone.

    >>> numeral_digits("123_4"), numeral_digits("(1F)_{16}"), numeral_digits("27_{10}"), numeral_digits("x_2")
    ('123', '1F', None, None)
    """
    if "_" not in answer:
        return None
    s = _spelled(answer)
    match = _BASE_NUMERAL.match(s.replace(" ", ""))
    if match is None or match.group(2) == "10" or _base_numeral(s) == s:
        return None
    return match.group(1)


def _set_builder(s: str) -> str:
    """The set a set-builder describes, in the spelling the judge compares: over the reals its condition
    (x > 2, later the interval (2,\\infty); x \\ne 3, the reals without 3); over the integers the finite
    set its bounds enclose (\\{1, 2, 3\\}). Anything else (unbounded integers, 0 in \\mathbb{N}, whose
    convention varies) stays as written."""
    match = _SET_BUILDER.match(s)
    if match is None:
        return s
    var, *domains, restriction, condition = match.groups()
    domain = next((d for d in domains if d), "R")
    if var not in condition:
        return s
    if domain == "R" and not restriction:
        return condition
    bounds = _INTERVAL_BOUNDS.match(_inequality_interval(condition).replace(" ", ""))
    if domain not in "ZN" or bounds is None:
        return s
    left, low, high, right = bounds.groups()
    smallest = None  # the least member the domain allows: \\mathbb{Z}^+, \\mathbb{N}_0, \\mathbb{N}
    if restriction:
        smallest = 0 if "0" in restriction and ">" not in restriction else 1
    elif domain == "N":
        smallest = 0
    low_value, high_value = as_number(low), as_number(high)
    if low_value is None and low == "-\\infty" and smallest is not None:
        low_value, left = Fraction(smallest), "["
    if low_value is None or high_value is None:
        return s
    first = math.floor(low_value) + 1 if left == "(" or low_value != int(low_value) else int(low_value)
    last = math.ceil(high_value) - 1 if right == ")" or high_value != int(high_value) else int(high_value)
    first = first if smallest is None else max(first, smallest)
    if domain == "N" and not restriction and first <= 0:
        return s  # is 0 a natural number? the convention varies
    if last - first + 1 > MAX_SET_MEMBERS:
        return s
    members = range(first, last + 1)
    return "\\{" + ", ".join(map(str, members)) + "\\}" if members else "\\emptyset"


def _sentence_value(s: str) -> str:
    """The math of a sentence that ends in one math value and states nothing else ("So the vertex is
    $(-1, 4)$." -> "(-1, 4)"); s unchanged when the words could change the value (a hedge, a
    condition, an operator: "at least $7$"), hold a number, or follow the value ("$5$ apples": a unit)."""
    segments = list(_MATH_SEGMENT.finditer(s.replace("$$", "$")))
    if len(segments) != 1:
        return s
    text = s.replace("$$", "$")
    match = segments[0]
    before, after = text[: match.start()], text[match.end() :]
    words = {w.lower() for w in WORD.findall(before)}
    if not _counted_words(after) or not words or any(ch.isdigit() for ch in before) or words & _NOT_SENTENCE_WORDS:
        return s
    return match.group(1) or match.group(2)


_TOTAL_WORDS = frozenset({"in", "total", "all", "altogether", "each", "now", "left"})  # "12 apples in total."
_PLAIN_NUMBER = re.compile(r"(?<![\\\w.])-?\d+(?:,\d{3})*(?:\.\d+)?(?![\w.]*\d)")


def _counted_words(after: str) -> bool:
    """True when what follows a sentence's value only names what it counts ("apples in total."): words
    that are units or counted nouns, or "in total", "altogether"; never a hedge or an operator."""
    words = WORD.findall(after.replace("\\text", " "))
    rest = WORD.sub(" ", after.replace("\\text", " ")).strip(" .!{}")
    return not rest and all(w.lower() in _TOTAL_WORDS or (len(w) > 1 and _is_unit_word(w)) for w in words)


def _plain_sentence_value(s: str) -> str:
    """The one number of a plain sentence that states it ("So there are 12 apples in total." -> "12"),
    under the same conditions as a sentence with math delimiters: words before it, only counted words
    after it, no second number, nothing that could change the value."""
    numbers = list(_PLAIN_NUMBER.finditer(s))
    if len(numbers) != 1:
        return s
    before, after = s[: numbers[0].start()], s[numbers[0].end() :]
    words = {w.lower() for w in WORD.findall(before)}
    if (
        len(words) < 2
        or words & _NOT_SENTENCE_WORDS
        or not _counted_words(after)
        or any(ch in before for ch in "=^_{}\\")
    ):
        return s
    return numbers[0].group()


def _clock_time(s: str) -> str | None:
    """The canonical spelling of a time of day with a meridiem ("11:20 p.m." -> "11:20 PM", "5pm" ->
    "5:00 PM", "noon" -> "12:00 PM"), or None. The meridiem is part of the value: it is kept, never
    stripped as a unit."""
    if "m" not in s and "M" not in s and "oon" not in s and "ight" not in s:
        return None
    noon = _NOON.match(s)
    if noon:
        return "12:00 PM" if noon.group(1).lower() == "noon" else "12:00 AM"
    match = _CLOCK.match(s)
    if match is None:
        return None
    hour, minutes, seconds, wrapped, bare = match.groups()
    if not 1 <= int(hour) <= 12 or int(minutes or 0) > 59 or int(seconds or 0) > 59:
        return None
    text = f"{int(hour)}:{minutes or '00'}" + (f":{seconds}" if seconds else "")
    return f"{text} {(wrapped or bare).upper()}M"


def time_of_day(norm: str) -> tuple[int, bool] | None:
    """(seconds after midnight, whether a meridiem was written) for a normalised time of day: "11:20 PM"
    with its meridiem, or a 24-hour time that cannot be a 12-hour one (hour 0 or 13-23, or written with a
    leading zero: "23:20", "09:30"); None for anything else, "11:20" included (which half of the day?).

    >>> time_of_day("11:20 PM"), time_of_day("23:20"), time_of_day("11:20"), time_of_day("12:05 AM")
    ((84000, True), (84000, False), None, (300, True))
    """
    match = _CANONICAL_CLOCK.match(norm)
    if match:
        hour, minutes, seconds, half = match.groups()
        hour = int(hour) % 12 + (12 if half == "P" else 0)
        return hour * 3600 + int(minutes) * 60 + int(seconds or 0), True
    match = _24_HOUR.match(norm)
    if match is None:
        return None
    hour, minutes, seconds = match.groups()
    if int(minutes) > 59 or int(seconds or 0) > 59 or int(hour) > 23:
        return None
    if not (int(hour) == 0 or int(hour) >= 13 or hour.startswith("0")):
        return None
    return int(hour) * 3600 + int(minutes) * 60 + int(seconds or 0), False


# A condition on the problem's variables after a value: the words above, "for k odd", "for all n",
# \forall, or a piecewise answer.
_CONDITION = re.compile(
    r"(?<![\\A-Za-z])(?:" + "|".join(sorted(CONDITION_WORDS)) + r")(?![A-Za-z])"
    r"|(?<![\\A-Za-z])in(?:\s|\})+case(?![A-Za-z])"
    # "for n odd", "for some k": a case; "for all n" states the value everywhere, so it is no condition
    r"|(?<![\\A-Za-z])for(?:\s|\})+(?!(?:all|every|each|any)(?![A-Za-z]))(?:some|odd|even|[A-Za-z](?![A-Za-z])|\\(?!forall)[A-Za-z]+)"
    r"|\\begin\s*\{cases\}",
    re.IGNORECASE,
)


def choice_parts(norm: str) -> tuple[str | None, str | None] | None:
    """(letter, value) of a multiple-choice answer ("(C) 12" -> ("C", "12"), "(C)" -> ("C", None)); a bare
    capital letter gives (letter, None) and anything else (None, the answer itself), so a choice can be
    compared with either; None for an empty answer.

    >>> choice_parts(r"\\textbf{(C)} 12"), choice_parts("C"), choice_parts("12")
    (('C', '12'), ('C', None), (None, '12'))
    """
    s = norm.strip()
    match = _CHOICE.match(s)
    if match:
        return match.group(1) or match.group(2), match.group(3).strip() or None
    if len(s) == 1 and s in CHOICE_LETTERS:
        return s, None
    return (None, s) if s else None


def is_choice(norm: str) -> bool:
    """True when an answer is marked as a multiple-choice letter: "(C)", "\\textbf{(C)} 12"."""
    return "(" in norm and bool(_CHOICE.match(norm.strip()))


def is_conditional(text: str) -> bool:
    """True when an answer states a value only in a case ("6 \\text{ when } k \\text{ is odd}",
    "x = 2 if a > 0", "\\boxed{6} for k odd", a piecewise answer): read on the answer as written, so a
    condition outside a box counts.

    >>> is_conditional(r"6 \\text{ when } k \\text{ is odd}"), is_conditional(r"\\boxed{(3, 3)} for part (a)")
    (True, False)
    """
    return bool(_CONDITION.search(text))


def strip_label(s: str) -> str:
    """The value after a label ("x =", "AB =", "(x, y) =") when that value holds no variable; else s.

    >>> strip_label("AB = 4"), strip_label(r"\\frac{NO}{BO} = \\frac{1}{2}"), strip_label("y = 2x + 1")
    ('4', '\\\\frac{1}{2}', 'y = 2x + 1')
    """
    match = LABEL.match(s)
    if match is None or has_variable(_strip_units(s[match.end() :])):
        return s
    return s[match.end() :]


def has_variable(s: str) -> bool:
    """True when s holds a letter outside LaTeX commands that is not the constant e or i."""
    return any(ch.isalpha() and ch not in CONSTANT_LETTERS for ch in _COMMAND.sub(" ", s))


def _fraction_words(s: str) -> str | None:
    """\\frac{n}{d} for a fraction in words ("two fifths", "one half", "a third"), else None."""
    words = s.lower().replace("-", " ").split()
    if len(words) != 2 or words[1] not in ORDINAL_DENOMINATORS:
        return None
    numerator = 1 if words[0] in ("a", "an", "one") else NUMBER_WORDS.get(words[0])
    if numerator is None:
        return None
    return f"\\frac{{{numerator}}}{{{ORDINAL_DENOMINATORS[words[1]]}}}"


def _base_numeral(s: str) -> str:
    """A numeral with a base subscript is its value: 101_2 -> 5, (1F)_{16} -> 31 (a digit the base
    lacks, or a base outside 2-36, leaves it as written)."""
    if "_" not in s or len(s) > MAX_NUMBER_CHARS:
        return s
    match = _BASE_NUMERAL.match(s.replace(" ", ""))
    if not match or not 2 <= int(match.group(2)) <= 36 or not any(ch.isdigit() for ch in match.group(1)):
        return s
    try:
        return str(int(match.group(1), int(match.group(2))))
    except ValueError:
        return s


def _brace_arguments(s: str) -> str:
    """Braces around one-token LaTeX arguments (\\frac 3 4, \\sqrt 5, \\binom 6 3, \\log_3 5), so the digit-group rule
    below never reads "3 5" as two numbers; "pi" written out is \\pi."""
    s = _BARE_FRAC.sub(lambda m: "\\frac{" + _unbrace(m.group(1)) + "}{" + _unbrace(m.group(2)) + "}", s)
    s = _BARE_SQRT.sub(r"\\sqrt{\1}", s)
    s = _BINOM.sub(lambda m: "\\binom{" + _unbrace(m.group(1)) + "}{" + _unbrace(m.group(2)) + "}", s)
    s = _BARE_SCRIPT.sub(r"\1{\2}", s)
    return _BARE_PI.sub(r"\\pi ", s)


def _unbrace(arg: str) -> str:
    return arg[1:-1] if arg.startswith("{") else arg


def _e_notation(match: re.Match) -> str:
    """3.4e-5, 3.4 \\times 10^{-5} -> 0.000034: the exact decimal (exponents beyond MAX_NUMBER_CHARS stay
    as written)."""
    mantissa, exponent = match.groups()
    if abs(int(exponent)) > MAX_NUMBER_CHARS:
        return match.group()
    text = format(Decimal(f"{mantissa}e{exponent}"), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _infinity(match: re.Match) -> str:
    return "-\\infty" if match.group(2) else "\\infty"


def _degrees_in_radians(match: re.Match) -> str:
    """\\cos 60^\\circ -> \\cos(\\frac{60\\pi}{180}): the angle in radians, as math-verify reads it."""
    function, power, _, degrees = match.groups()
    return f"\\{function}{power or ''}(\\frac{{{degrees}\\pi}}{{180}})"


def _spaced_mixed_number(s: str) -> str:
    """3 1/4 -> \\frac{13}{4}: an integer and a proper fraction, one value (never the two numbers)."""
    match = _SPACED_MIXED.match(s)
    if match is None:
        return s
    sign, whole, numerator, denominator = match.groups()
    if not 0 < int(numerator) < int(denominator):
        return s
    return f"{sign}\\frac{{{int(whole) * int(denominator) + int(numerator)}}}{{{denominator}}}"


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
    relations = RELATION.findall(s)
    if not relations or len(relations) > 2:
        return s
    parts = [p.strip() for p in RELATION.split(s)]
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
    if match and all(_is_unit_word(w) for w in WORD.findall(match.group(1))):
        return s[: match.start()]
    return s


def _is_unit_word(word: str) -> bool:
    word = word.rstrip(".")
    if len(word) == 1:
        return word in UNIT_LETTERS
    return word.lower() not in NOT_UNIT_WORDS


BRACKET_DEPTH = {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}  # how each character moves the nesting


def split_top_level(s: str, separator: str = ",") -> list[str]:
    """s split at `separator` outside brackets.

    >>> split_top_level("(1, 2), 3"), split_top_level("p=5,q=2;p=7,q=2", ";")
    (['(1, 2)', ' 3'], ['p=5,q=2', 'p=7,q=2'])
    """
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(s):
        depth += BRACKET_DEPTH.get(ch, 0)
        if ch == separator and depth == 0:
            parts.append(s[start:i])
            start = i + 1
    return parts + [s[start:]]


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


def is_multi_valued(norm: str) -> bool:
    """Several candidate answers: a list (bare, or a set in braces), "or" / "and" / \\vee / \\pm, two
    boxes, or a lone "|" ("4 | 5"; absolute values |x| come in pairs)."""
    inner = braced_body(norm)
    if inner is not None and _top_level_separator(inner):
        return True
    if _top_level_separator(norm) or _HEDGE_PATTERN.search(norm) or len(BOXED.findall(norm)) > 1:
        return True
    return norm.count("|") % 2 == 1


def braced_body(norm: str) -> str | None:
    """What a set in braces holds ("\\{1, 2\\}", "{1, 2}"), or None when norm is not one."""
    s = norm.strip()
    if s.startswith("\\{") and s.endswith("\\}"):
        return s[2:-2]
    if s.startswith("{") and closing_brace(s, 1) == len(s) - 1:
        return s[1:-1]
    return None


def is_prose(norm: str) -> bool:
    """Words and no digits ("no idea", "banana split"): sympy would read them as a product of
    symbols, which is not an answer to a math problem."""
    return not any(ch.isdigit() for ch in norm) and bool(_PROSE_WORD.search(norm))


def prose_words(norm: str) -> set[str]:
    """Words of two letters or more outside LaTeX commands and environment names, lower case."""
    return {w.lower() for w in WORD.findall(ENVIRONMENT.sub(" ", norm)) if len(w) > 1} - MATH_WORDS


def stated_values(norm: str) -> set:
    """The distinct values an answer states between its words: "answer is 7, no: 9" -> {7, 9}."""
    values = set()
    for segment in WORD.split(ENVIRONMENT.sub(" ", norm)):
        segment = segment.strip(" ,.;:!?{}")
        if any(ch.isdigit() for ch in segment):
            number = as_number(segment)  # 7 and 7.0 are one value
            values.add(segment.replace(" ", "") if number is None else number)
    return values


def as_number(norm: str) -> Fraction | None:
    """An exact value for plain numbers and integer fractions; None for anything else."""
    s = norm.replace(" ", "")
    if len(s) > MAX_NUMBER_CHARS:
        return None
    if NUMBER.match(s):
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


# --- Unevaluated arithmetic: plain numbers joined by + - x / (a restated problem, not its value)

_PLAIN = r"(?:\d+(?:\.\d+)?|\.\d+)"
# A fraction of two plain numbers is a closed form (one value), never arithmetic left to do; so is a
# mixed number: 2\frac{3}{4}, and (1+\frac{1}{2}), normalize_answer's spelling of 1½.
_FRAC = rf"\\frac\{{\s*-?\s*{_PLAIN}\s*\}}\{{\s*{_PLAIN}\s*\}}"
_LITERAL_FRACTION = re.compile(
    rf"\(\d+\+{_FRAC}\)|(?<![\d.])\d+\s*{_FRAC}|{_FRAC}|(?<![\d.]){_PLAIN}\s*/\s*{_PLAIN}(?![\d.])"
)
_FRAC_OF_ARITHMETIC = re.compile(r"\\frac\{([^{}]*)\}\{([^{}]*)\}")  # \frac{19 \times 9}{2}: its arguments' arithmetic
_ARITHMETIC_TOKEN = re.compile(
    rf"\s*(\0|{_PLAIN}|\\(?:times|cdotp|cdot|div|ast|bullet)(?![A-Za-z])|[-+*/()\[\]{{}}\u22c5\u2217\u2219\u2715])"
)
_BINARY = {"\\times", "\\cdot", "\\cdotp", "\\div", "\\ast", "\\bullet", "*", "/", "+", "-"} | set(
    "\u22c5\u2217\u2219\u2715"
)
# What can stand around arithmetic without stating a value: words and \text{} without digits (units,
# "So", "Q.E.D."), sizing and spacing commands, a degree sign, a percent sign, end-of-proof marks,
# absolute-value bars; set braces count as brackets. Dropped before the arithmetic test, so
# "(19 \times 9 - 73) apples" or "|19 \times 9 - 73|" restates the problem as plainly as the bare form.
_AROUND_ARITHMETIC = re.compile(
    r"\\(?:text|textrm|textbf|mathrm|mathbf|mbox|operatorname)\s*\{[^{}\d]*\}"
    r"|\\(?:left|right|bigl|bigr|Bigl|Bigr|big|Big|bigg|Bigg)(?![A-Za-z])"
    r"|\\(?:blacksquare|square|qed|lvert|rvert|vert|mid)(?![A-Za-z])"
    r"|\^\s*\{?\s*\\circ\s*\}?|\\degree|\u00b0|\\?%|Q\.E\.D\.?|\|"
    r"|(?<=[\d)\]}])\s*[mgshLJNWVK](?:\^\s*\{?\d\}?)?\s*$"  # a one-letter unit after the value: "(...) m"
)
_PROSE = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{2,}(?![A-Za-z])")


def is_bare_arithmetic(norm: str) -> bool:
    """True when a normalised answer is arithmetic left undone on plain numbers: literals joined by
    + - x / (\\times, \\cdot, \\div, *), brackets allowed, at least one operation ("19 \\times 9 - 73",
    "2(3 + 4)"). It restates a computation instead of stating its value. Closed forms are values: a
    signed number, a fraction of two numbers (3/4, \\frac{3}{4}), and anything with a power, root,
    factorial, constant or letter (4 \\times 10^{5}, 2^{10}, 1 + \\sqrt{2}, 5!, 2\\pi). An equation of
    such constants states its last side, as math-verify reads it: "19 \\times 9 - 73 = 98" states 98,
    "98 = 19 \\times 9 - 73" and the problem written twice state no value.

    >>> [is_bare_arithmetic(s) for s in (r"19 \\times 9 - 73", "(12 + 3) / 5", "2(3 + 4)", r"\\frac{7 + 1}{2}")]
    [True, True, True, True]
    >>> [is_bare_arithmetic(s) for s in ("-5", "(-3)", "3/4", r"\\frac{3}{4}", r"4 \\times 10^{5}", r"1 + \\sqrt{2}")]
    [False, False, False, False, False, False]
    >>> [is_bare_arithmetic(s) for s in ("6 + 7 = 13", "13 = 6 + 7", "6 + 7 = 6 + 7", "x = 6 + 7")]
    [False, True, True, False]
    """
    # words go only when they are units, counted nouns or filler ("So", "apples"): a hedge ("or"), an
    # operator word or a function name keeps the answer from reading as arithmetic
    core = _PROSE.sub(lambda m: " " if _is_unit_word(m.group()) else m.group(), _AROUND_ARITHMETIC.sub(" ", norm))
    core = core.replace("\\{", "(").replace("\\}", ")").strip(" .,;:")
    sides = [_arithmetic_operations(side) for side in core.split("=") if side.strip()]  # "= 19 \\times 9 - 73"
    if not sides or any(count is None for count in sides):
        return False  # anything else (a letter, ^, !, \\sqrt, a comma) makes it more than arithmetic
    return sides[-1] > 0


def _arithmetic_operations(s: str) -> int | None:
    """How many operations join the plain numbers of `s`, or None when `s` holds anything else."""
    s = _LITERAL_FRACTION.sub(" \0 ", s)  # \0: a placeholder no answer holds
    previous = None
    while previous != s:  # innermost first: \\frac{\\frac{1 + 1}{2}}{3}
        previous, s = s, _FRAC_OF_ARITHMETIC.sub(r"(\1)/(\2)", s)
    tokens, position = [], 0
    while position < len(s.rstrip()):
        match = _ARITHMETIC_TOKEN.match(s, position)
        if match is None:
            return None
        tokens.append(match.group(1))
        position = match.end()
    if not tokens:
        return None  # an empty side ("= 5") is not arithmetic
    operand_end = {")", "]", "}"}  # what can stand left of a binary operation
    operations = 0
    for left, right in zip(tokens, tokens[1:], strict=False):  # each neighbouring pair
        left_operand = left in operand_end or left[0].isdigit() or left[0] in ".\0"
        right_operand = right in "([{" or right[0].isdigit() or right[0] in ".\0"
        bracketed = left in operand_end or right in "([{"  # 2(3) or (2)(3); "3 4" is two numbers, not a product
        if left_operand and (right in _BINARY or (right_operand and bracketed)):
            operations += 1
    return operations


def _worked_value(s: str) -> str:
    """An equation of constants whose sides before the last do arithmetic ("19 \\times 9 - 73 = 98",
    "6 \\times 7 = 42") is working that ends in its value: the last side, as math-verify reads a chain.
    Anything else is left as it is ("\\frac12 = 0.5" is two writings; "98 = 19 \\times 9 - 73" ends in
    arithmetic, which states no value).

    >>> _worked_value(r"19 \\times 9 - 73 = 98"), _worked_value("1 + 1 = 2"), _worked_value("x = 2 + 3")
    ('98', '2', 'x = 2 + 3')
    """
    if "=" not in s or any(ch.isalpha() for ch in s.replace("\\times", "").replace("\\cdot", "").replace("\\div", "")):
        return s
    sides = [side.strip() for side in s.split("=")]
    counts = [_arithmetic_operations(side) for side in sides]
    if any(count is None for count in counts) or counts[-1] != 0 or not all(counts[:-1]):
        return s
    return sides[-1]


_EXCLUSION = re.compile(r"^([A-Za-z])\s*\\neq?(?![A-Za-z])\s*(.+)$")
_EXCLUSION_JOINER = re.compile(r"\s*(?:,|;|\\text\s*\{\s*and\s*\}|\band\b|\\land\b|\\wedge\b)\s*")


def _excluded_points(s: str) -> str:
    """Points a variable must not take, as the set of reals they leave: "x \\ne \\pm 2", "x \\ne 2, x \\ne -2",
    "x \\ne -2, 2" and "x \\ne 2 and x \\ne -2" all -> (-\\infty,-2)\\cup(-2,2)\\cup(2,\\infty); s unchanged
    unless every item excludes plain numbers from one variable.

    >>> _excluded_points(r"x \\neq \\pm 2"), _excluded_points(r"x \\ne 2 \\text{ and } y \\ne 3")
    ('(-\\\\infty,-2)\\\\cup(-2,2)\\\\cup(2,\\\\infty)', 'x \\\\ne 2 \\\\text{ and } y \\\\ne 3')
    """
    variable, points = None, set()
    for item in _EXCLUSION_JOINER.split(s.strip()):
        match = _EXCLUSION.match(item)
        if match is not None:
            if variable not in (None, match.group(1)):
                return s
            variable, item = match.group(1), match.group(2)
        elif variable is None:
            return s
        item = item.strip()
        signs = (1, -1) if item.startswith("\\pm") else (1,)
        value = as_number(item.removeprefix("\\pm").strip())
        if value is None:
            return s
        points |= {sign * value for sign in signs}
    if len(points) < 2 and not s.count("\\pm"):
        return s  # one point: x \\ne 3 is read as it is (equivalence.py knows it)
    ends = ["-\\infty", *(_plain(p) for p in sorted(points)), "\\infty"]
    return "\\cup".join(f"({a},{b})" for a, b in zip(ends, ends[1:], strict=False))


def _plain(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"\\frac{{{value.numerator}}}{{{value.denominator}}}"
