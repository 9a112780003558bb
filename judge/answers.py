"""Where the answer is: the completion's text, the single solution block, \\boxed{}, and where a grader
would look when there is no block (evaluation's lenient answer), and the first number (check_numbers).
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from prompts import REASONING_END, SOLUTION_END, SOLUTION_START

MINUS_SIGNS = dict.fromkeys(map(ord, "\u2212\u2012\u2013\u2014\ufe63\uff0d"), "-")
BOXED = re.compile(r"\\(?:boxed|fbox)\s*\{")


MAX_ANSWER_CHARS = 400  # longer answers are only compared as normalised strings


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


MINUS_SIGNS = dict.fromkeys(map(ord, "\u2212\u2012\u2013\u2014\ufe63\uff0d"), "-")


BOXED = re.compile(r"\\(?:boxed|fbox)\s*\{")


_FIRST_NUMBER = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d{1,3}(?: \d{3})+(?![\d.])|-?\d+(?:\.\d+)?")


def closing_brace(s: str, start: int) -> int | None:
    """The index of the brace that closes the one opened just before `start`, or None (unbalanced)."""
    depth = 1
    for i in range(start, len(s)):
        depth += {"{": 1, "}": -1}.get(s[i], 0)
        if depth == 0:
            return i
    return None


_ANSWER_STATEMENT = re.compile(r"(?:final answer|answer)\s*(?:is|:|=)?\s*:?\s*([^\n]+)", re.IGNORECASE)


_LAST_NUMBER = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?(?:\s*/\s*\d+)?")


def _last_boxed(text: str) -> str | None:
    """The content of the last balanced \\boxed{...} / \\fbox{...}, or None."""
    matches = list(BOXED.finditer(text))
    if not matches:
        return None
    end = closing_brace(text, matches[-1].end())
    return text[matches[-1].end() : end].strip() or None if end is not None else None


# What a small model writes around its one value inside the block. A trailing check ("36 (check: 6 x 6 =
# 36 ✓)") restates working after the answer: it goes. Working that ends in one marked final answer ("6^2
# = 36. Final answer: 36") is judged on the marked answer, never on an intermediate result; two markers
# stay as written (two statements: a hedge when they differ). Working with no marker is not cut: the
# block asks for the answer alone, and the last value of arbitrary working could be any candidate (the
# judge's own rules read it; a chain of equalities at its last side, as math-verify does).
_CHECK_TAIL = re.compile(
    r"(?:\\(?:text|textbf|textrm|mathrm)\s*\{\s*)?[(\[]\s*(?:\\text\s*\{\s*)?(?:check|verif)"
    r"|(?<![A-Za-z])(?:check(?:ing)?|verification|verify)\s*:",
    re.IGNORECASE,
)
_CHECK_MARKS = re.compile(r"(?:\s|\\quad|\\checkmark|✓|✔)+$")
_FINAL_MARKER = re.compile(
    r"(?:final\s+answer|(?<![A-Za-z])answer)\s*(?:is\b\s*:?|:|=)|final\s+answer\b|\\therefore(?![A-Za-z])",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"\.\s+(?=[A-Za-z])")


def stated_answer(answer: str) -> str:
    r"""The one value a solution block states, without what a small model writes around it: a closing
    brace an unbalanced \boxed{ at the end lacks (the block's end tag already ends the answer, so the
    brace adds nothing: read the box), a trailing check, the working before one marked final answer
    and a sentence after it that states no value.

    >>> stated_answer(r"36 (check: $6 \times 6 = 36$ ✓)"), stated_answer("6^2 = 36. Final answer: 36.")
    ('36', '36.')
    >>> stated_answer(r"x = \boxed{5"), stated_answer("the answer is 7, the answer is 9")
    ('x = 5', 'the answer is 7, the answer is 9')
    """
    boxes = list(BOXED.finditer(answer))
    if boxes and closing_brace(answer, boxes[-1].end()) is None:
        inside = answer[boxes[-1].end() :]
        if inside.count("{") == inside.count("}"):
            answer = answer[: boxes[-1].start()] + inside
    lower = answer.lower()
    if "check" in lower or "verif" in lower or "✓" in answer or "✔" in answer:
        tail = _CHECK_TAIL.search(answer)
        if tail is not None and answer[: tail.start()].strip():
            answer = answer[: tail.start()]
        answer = _CHECK_MARKS.sub("", answer)
    if "answer" in lower or "therefore" in lower:
        markers = list(_FINAL_MARKER.finditer(answer))
        if len(markers) == 1:
            answer = _close_braces(answer[markers[0].end() :]).strip(" :*")
            end = _SENTENCE_END.search(answer)
            if end is not None and not any(ch.isdigit() for ch in answer[end.end() :]):
                answer = answer[: end.start() + 1]  # "36. I hope it is correct": the sentence states no value
    return answer.strip()


def _close_braces(text: str) -> str:
    """text without the closing braces it has no opening for (what followed "\text{Final answer: ")."""
    depth, kept = 0, []
    for ch in text:
        if ch == "}" and depth == 0:
            continue
        depth += {"{": 1, "}": -1}.get(ch, 0)
        kept.append(ch)
    return "".join(kept)


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
    numbers = _LAST_NUMBER.findall(unicodedata.normalize("NFKC", text).translate(MINUS_SIGNS))
    return numbers[-1].replace(" ", "") if numbers else None


def first_number(answer: str) -> Decimal | None:
    """The first number written in an answer (thousands commas and unicode minus read), or None.

    >>> first_number("about −1,200 m, not 5"), first_number("none")
    (Decimal('-1200'), None)
    """
    text = unicodedata.normalize("NFKC", answer).translate(MINUS_SIGNS)
    match = _FIRST_NUMBER.search(text)
    if match is None:
        return None
    try:
        return Decimal(match.group().replace(",", "").replace(" ", ""))
    except InvalidOperation:
        return None
