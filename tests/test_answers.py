"""Where the answer is: the completion's text, the single solution block, boxes, the lenient answer."""

import pytest

from judge.answers import completion_text, extract_answer, first_number, lenient_answer, stated_answer
from judge.equivalence import boxed_contents
from prompts import REASONING_END, SOLUTION_END, SOLUTION_START

BLOCKS = [
    (f"w{REASONING_END}{SOLUTION_START} 7 {SOLUTION_END}", "7"),  # one block: its stripped content
    (f"{SOLUTION_START}3{SOLUTION_END}{SOLUTION_START}4{SOLUTION_END}", None),  # two blocks: no answer
    (f"{SOLUTION_START}3", None),  # unterminated
    (f"{SOLUTION_END}3{SOLUTION_START}", None),  # tags in the wrong order
    (f"{SOLUTION_START}  {SOLUTION_END}", None),  # empty block
    (f"{SOLUTION_START}3{SOLUTION_END}{REASONING_END}", None),  # a draft inside the reasoning
    ([{"role": "assistant", "content": f"{SOLUTION_START}5{SOLUTION_END}"}], "5"),  # conversational
]


@pytest.mark.parametrize("completion, expected", BLOCKS)
def test_extract_answer_takes_the_single_solution_block_only(completion, expected):
    assert extract_answer(completion) == expected


def test_completion_text_reads_parts_and_replaces_broken_unicode():
    assert completion_text([{"role": "assistant", "content": [{"type": "text", "text": "a"}, "b"]}]) == "ab"
    assert completion_text("x\ud800") == "x?"  # a lone surrogate cannot be encoded


BOXES = [
    (r"\boxed{1} and \boxed{2}", ["1", "2"]),  # two boxes, words between them
    (r"\boxed{\frac{1}{2}}", [r"\frac{1}{2}"]),  # nested braces stay inside
    (r"\boxed{1", []),  # unbalanced: nothing
]


@pytest.mark.parametrize("text, expected", BOXES)
def test_boxed_contents_lists_every_balanced_box(text, expected):
    assert boxed_contents(text) == expected


STATED = [
    # (what the block holds, the value it states)
    (r"36 (check: $6 \times 6 = 36$ ✓)", "36"),  # a trailing check
    (r"36 \quad \text{(verify: } 6^2 = 36)", "36"),  # ... in \text, with \quad
    ("36 ✓", "36"),  # a tick alone
    ("2 + 3 = 5, 5 x 2 = 10. Final answer: 10", "10"),  # working before a marked final answer
    (r"\textbf{Final answer:} 36", "36"),  # a bold marker: its brace goes
    ("So the answer is $(-1, 4)$.", "$(-1, 4)$."),  # the sentence before the marker goes
    ("Final answer: 36. I hope it is correct.", "36."),  # a sentence after it that states no value
    ("Final answer: 7. Or maybe 9.", "7. Or maybe 9."),  # ... one that states a value stays (a hedge)
    ("the answer is 7, the answer is 9", "the answer is 7, the answer is 9"),  # two markers: as written
    (r"\boxed{\frac{1}{2}", r"\frac{1}{2}"),  # an unbalanced box at the end is read
    (r"\boxed{\frac{1}{2", r"\boxed{\frac{1}{2"),  # ... not when its content is unbalanced too
    ("2 + 3 = 5", "2 + 3 = 5"),  # working without a marker is not cut
]


@pytest.mark.parametrize("answer, expected", STATED)
def test_stated_answer_keeps_the_one_value_a_block_states(answer, expected):
    assert stated_answer(answer) == expected


def test_first_number_reads_thousands_and_unicode_minus():
    assert str(first_number("about \u22121,200 m")) == "-1200" and first_number("none") is None


LENIENT = [
    # (completion, answer a grader would take)
    ("work<end_working_out><SOLUTION>12</SOLUTION>", "12"),  # tags present: the solution block wins
    (r"work <SOLUTION>12</SOLUTION> but \boxed{13}", "12"),  # block beats a later box
    (r"so the total is \boxed{\frac{3}{4}}.", r"\frac{3}{4}"),  # boxed only
    (r"first \boxed{1}, then \boxed{2}", "2"),  # several boxes: the last
    (r"\boxed{\frac{1}{2}", "2"),  # unbalanced box: not taken; the last number instead
    ("I add them. The answer is 42. Check: 40 + 2.", "42"),  # explicit statement beats the last number
    ("Answer: 3.5", "3.5"),  # "Answer:" with a decimal point
    ("final answer = x + 1\nthat is all", "x + 1"),  # statement up to its line end
    ("3 apples plus 5 apples make 8", "8"),  # plain text: the last number
    ("from 1,200 we take away 200: 1,000", "1,000"),  # thousands separators kept together
    ("half of it, 3/4", "3/4"),  # a slash fraction as one number
    ("it is \u22127", "-7"),  # unicode minus
    ("<SOLUTION>12", "12"),  # unterminated block: not a block; the last number
    ("no idea", None),  # nothing
    ("", None),  # empty
]


@pytest.mark.parametrize("completion, expected", LENIENT)
def test_lenient_answer_looks_where_a_grader_would(completion, expected):
    assert lenient_answer(completion) == expected


def test_lenient_answer_takes_conversational_completions():
    assert lenient_answer([{"role": "assistant", "content": "The answer is 9."}]) == "9"
