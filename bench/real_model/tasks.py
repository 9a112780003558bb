"""The real-model benchmark's problems: arithmetic chains balanced over operation and presentation,
a format-only priming file, and the shortcut detector that reads the working out.

    python bench/real_model/tasks.py   # print each file's balance (cells, operations, sizes)

Families: `one_step` (a op b), `two_step` (two chained operations), both in training; `three_step`,
never trained on (transfer). Each problem is a bare expression or a word problem. Operations:
addition and subtraction of two-digit numbers, multiplication by a one-digit factor. A problem's
key (its operations and operands, commutative operands sorted) is never shared between the training
file and a test set, and the test sets are drawn first, from their own seed.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from pathlib import Path

OPS = ("add", "sub", "mul")
SYMBOL = {"add": "+", "sub": "-", "mul": "\u00d7"}
PRESENTATIONS = ("bare", "word")
FAMILIES = ("one_step", "two_step", "three_step")
TRAINED_FAMILIES = ("one_step", "two_step")
STEPS = {"one_step": 1, "two_step": 2, "three_step": 3}
TEST_SEED = 2026  # the test sets' own generator (new problems: the earlier designs' tests drove their redesigns)
TRAIN_SEED = 77
TEST_PROBLEMS = 200  # per family
TRAIN_PROBLEMS = 1300  # the training file (the recipe holds out its dev split from it)
TWO_STEP_SHARE = 0.3  # of the training file; the rest is one-step
# Operand ranges: wide enough that no cell runs out (mul: 8 x 89 = 712 operand pairs per presentation pair).
ADD_RANGE = (10, 99)
MUL_FACTOR = (2, 9)  # the one-digit factor
MUL_OTHER = (11, 99)
CHAIN_FACTOR = (2, 5)  # a later step's multiplier: keeps chained values in three or four digits
NAMES = ("Ana", "Ben", "Chen", "Dara", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jun")
ITEMS = ("apples", "marbles", "stickers", "coins", "books", "pencils", "cards", "shells")


def apply(op: str, value: int, operand: int) -> int:
    return value + operand if op == "add" else value - operand if op == "sub" else value * operand


def draw_operands(rng: random.Random, ops: tuple[str, ...]) -> tuple[int, ...] | None:
    """Operands for the chain `ops` (every intermediate value positive), or None to redraw."""
    if ops[0] == "mul":
        value, first = rng.randint(*MUL_OTHER), rng.randint(*MUL_FACTOR)
    else:
        value, first = rng.randint(*ADD_RANGE), rng.randint(*ADD_RANGE)
        if ops[0] == "sub":
            value = rng.randint(ADD_RANGE[0] + 10, ADD_RANGE[1])
            first = rng.randint(ADD_RANGE[0], value - 1)
    operands = [value, first]
    value = apply(ops[0], value, first)
    for op in ops[1:]:
        if op == "mul":
            operand = rng.randint(*CHAIN_FACTOR)
        elif op == "sub":
            if value <= ADD_RANGE[0] + 1:
                return None
            operand = rng.randint(ADD_RANGE[0], min(ADD_RANGE[1], value - 1))
        else:
            operand = rng.randint(*ADD_RANGE)
        operands.append(operand)
        value = apply(op, value, operand)
    return tuple(operands)


def key(ops: tuple[str, ...], operands: tuple[int, ...]) -> tuple:
    """What a problem computes, whatever its wording: a test problem never shares it with training."""
    first = tuple(sorted(operands[:2])) if ops[0] in ("add", "mul") else operands[:2]
    return (ops, first, operands[2:])


def bare_text(ops: tuple[str, ...], operands: tuple[int, ...]) -> str:
    expression = f"{operands[0]} {SYMBOL[ops[0]]} {operands[1]}"
    for op, operand in zip(ops[1:], operands[2:], strict=True):
        expression = f"({expression}) {SYMBOL[op]} {operand}"
    return f"What is {expression}?"


def word_text(ops: tuple[str, ...], operands: tuple[int, ...], rng: random.Random) -> str:
    name, item = rng.choice(NAMES), rng.choice(ITEMS)
    a, b = operands[:2]
    if ops[0] == "mul":
        opening = f"{name} has {b} bags with {a} {item} in each."
    elif ops[0] == "add":
        opening = f"{name} has {a} {item} and gets {b} more."
    else:
        opening = f"{name} has {a} {item} and gives away {b}."
    later = {
        "add": "Then {name} gets {n} more.",
        "sub": "Then {name} gives away {n}.",
        "mul": "Then {name}'s {item} become {n} times as many.",
    }
    steps = [later[op].format(name=name, n=n, item=item) for op, n in zip(ops[1:], operands[2:], strict=True)]
    suffix = " left" if ops[-1] == "sub" else "" if ops == ("mul",) else " now"
    question = f"How many {item} does {name} have{suffix}?"
    return " ".join([opening, *steps, question])


def cells(family: str) -> list[tuple[tuple[str, ...], str]]:
    """Every (operations, presentation) cell of a family, in a fixed order."""
    chains = [()]
    for _ in range(STEPS[family]):
        chains = [chain + (op,) for chain in chains for op in OPS]
    return [(chain, presentation) for chain in chains for presentation in PRESENTATIONS]


def draw_family(family: str, count: int, rng: random.Random, taken: set) -> list[dict]:
    """`count` problems spread evenly over the family's cells (round robin), none with a taken key."""
    rows, cell_list = [], cells(family)
    for i in range(count):
        ops, presentation = cell_list[i % len(cell_list)]
        while True:
            operands = draw_operands(rng, ops)
            if operands is not None and key(ops, operands) not in taken:
                break
        taken.add(key(ops, operands))
        value = operands[0]
        for op, operand in zip(ops, operands[1:], strict=True):
            value = apply(op, value, operand)
        text = bare_text(ops, operands) if presentation == "bare" else word_text(ops, operands, rng)
        rows.append(
            {
                "problem": text,
                "answer": str(value),
                "family": family,
                "ops": "+".join(ops),
                "presentation": presentation,
                "operands": list(operands),
            }
        )
    return rows


def build_tasks() -> dict[str, list[dict]]:
    """The test sets (drawn first, from TEST_SEED) and the training file (one- and two-step, shuffled,
    none of the tests' keys), deterministic."""
    taken: set = set()
    test_rng = random.Random(TEST_SEED)
    tasks = {family: draw_family(family, TEST_PROBLEMS, test_rng, taken) for family in FAMILIES}
    train_rng = random.Random(TRAIN_SEED)
    two = round(TRAIN_PROBLEMS * TWO_STEP_SHARE)
    train = draw_family("one_step", TRAIN_PROBLEMS - two, train_rng, taken)
    train += draw_family("two_step", two, train_rng, taken)
    train_rng.shuffle(train)
    tasks["train"] = train
    return tasks


# --- Format-only priming: the tags on questions that are not arithmetic (no task template, no operation)

WORDS = ("garden", "river", "planet", "window", "yellow", "bridge", "candle", "forest", "silver", "pocket")
SHAPES = {"triangle": 3, "square": 4, "pentagon": 5, "hexagon": 6, "octagon": 8, "decagon": 10}
MONTHS = {"January": 31, "February": 28, "April": 30, "July": 31, "September": 30, "December": 31}
PRIMING_ROWS = 40


def format_priming(rng: random.Random | None = None) -> list[dict]:
    """Worked answers in the recipe's format to questions with no addition, subtraction or
    multiplication in them: spelling counts, comparisons, polygon sides, days in a month, rounding."""
    rng = rng or random.Random(5)
    rows = []
    while len(rows) < PRIMING_ROWS:
        problem, reasoning, answer = PRIMING_KINDS[len(rows) % len(PRIMING_KINDS)](rng)
        rows.append({"problem": problem, "reasoning": reasoning, "answer": str(answer)})
    return rows


def _spelling(rng: random.Random) -> tuple[str, str, int]:
    word = rng.choice(WORDS)
    return (
        f"How many letters does the word '{word}' have?",
        f"Spell it out: {', '.join(word)}. That is {len(word)} letters.",
        len(word),
    )


def _larger(rng: random.Random) -> tuple[str, str, int]:
    x, y = rng.sample(range(100, 1000), 2)
    return (
        f"Which number is larger, {x} or {y}?",
        f"Compare them digit by digit from the left: {max(x, y)} is the larger one.",
        max(x, y),
    )


def _sides(rng: random.Random) -> tuple[str, str, int]:
    shape = rng.choice(list(SHAPES))
    return f"How many sides does a {shape} have?", f"A {shape} is a polygon with {SHAPES[shape]} sides.", SHAPES[shape]


def _days(rng: random.Random) -> tuple[str, str, int]:
    month = rng.choice(list(MONTHS))
    return (
        f"How many days does {month} have in a common year?",
        f"In a common year {month} has {MONTHS[month]} days.",
        MONTHS[month],
    )


def _rounding(rng: random.Random) -> tuple[str, str, int]:
    n = rng.randint(100, 999)
    rounded = round(n, -1) if n % 10 != 5 else n + 5  # 5 rounds up (Python's round() would round half to even)
    way = "down" if n % 10 < 5 else "up"
    return (
        f"Round {n} to the nearest ten.",
        f"The last digit of {n} is {n % 10}, so it rounds {way} to {rounded}.",
        rounded,
    )


PRIMING_KINDS = (_spelling, _larger, _sides, _days, _rounding)


# --- Shortcut detector: which operations the working out writes

# Between a number (or a closing bracket) and a number; the right operand is looked at, not consumed:
# in "1 + 2 - 3" the 2 also opens the subtraction, in "(9 + 8) × 5" the bracket opens the product.
OPERATOR = re.compile(r"([\d)])\s*(\+|-|\u2212|\u00d7|\*|x|\\times|\\cdot|\u00b7)\s*(?=\(?\d)")
OPERATOR_NAMES = {"+": "add", "-": "sub", "\u2212": "sub", "\u00d7": "mul", "*": "mul", "x": "mul"}
OPERATOR_NAMES.update({"\\times": "mul", "\\cdot": "mul", "\u00b7": "mul"})


def working_ops(completion: str) -> list[str]:
    """The operations written between numbers in a completion's working out (before its first
    `<end_working_out>`, or the whole text when the tag is missing), in order.

    >>> working_ops("34 + 12 = 46, then 46 \u00d7 3 = 138<end_working_out><SOLUTION>138</SOLUTION>")
    ['add', 'mul']
    >>> working_ops("Add the two numbers: 50 + 20 = 70.")
    ['add']
    >>> working_ops("1 + 2 - 3 = 0"), working_ops("(9 + 8) × 5 = 85")
    (['add', 'sub'], ['add', 'mul'])
    """
    working = completion.split("<end_working_out>")[0]
    return [OPERATOR_NAMES[m.group(2)] for m in OPERATOR.finditer(working)]


def uses_right_operations(completion: str, ops: str) -> bool:
    """The working out writes each of the problem's operations (in `ops`, as '+'-joined names) at
    least as often as the problem has it, and no other operation: the shortcut "add whatever you see"
    fails it on a subtraction, and one addition on a chain of two additions leaves a step out.

    >>> uses_right_operations("80 - 25 = 55", "sub"), uses_right_operations("80 + 25 = 105", "sub")
    (True, False)
    >>> uses_right_operations("92 + 89 = 181", "add+add"), uses_right_operations("92 + 89 + 72 = 253", "add+add")
    (False, True)
    """
    written, needed = Counter(working_ops(completion)), Counter(ops.split("+"))
    return set(written) == set(needed) and all(written[op] >= count for op, count in needed.items())


def first_line(completion: str) -> str:
    """The opening of a completion (its first line, or first sentence, whichever ends first), with
    numbers blanked: the template a model opens every answer with shows as one string.

    >>> first_line("Add the two numbers: 12 + 30 = 42.\\nMore")
    'Add the two numbers: # + # = #.'
    """
    text = completion.strip().split("<end_working_out>")[0].splitlines()[0] if completion.strip() else ""
    sentence = re.split(r"(?<=[.:!?])\s", text, maxsplit=2)
    return re.sub(r"\d+", "#", " ".join(sentence[:2]) if len(sentence) > 1 else text).strip()


def write_tasks(folder: Path) -> dict[str, Path]:
    """The task files (train, one file per test family) and the priming file, as JSON lines."""
    folder.mkdir(parents=True, exist_ok=True)
    tasks = {**build_tasks(), "priming": format_priming()}
    paths = {}
    for name, rows in tasks.items():
        paths[name] = folder / f"{name}.jsonl"
        paths[name].write_text("".join(json.dumps(row) + "\n" for row in rows))
    return paths


def balance(rows: list[dict]) -> dict[str, int]:
    """How many problems each (family, operations, presentation) cell holds."""
    return dict(Counter(f"{r['family']} {r['ops']} {r['presentation']}" for r in rows))


if __name__ == "__main__":
    for name, rows in build_tasks().items():
        ops = Counter(op for r in rows for op in r["ops"].split("+"))
        print(f"{name}: {len(rows)} problems; operations {dict(ops)}; {len(balance(rows))} cells")
