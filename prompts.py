"""The reasoning format the model learns: tags, system prompt and chat template; and the prompts the
base model is also scored with in evaluate.py, so the "before" is the base model at its best.

This is the one source for the format. `rewards.py` checks completions against these tags,
`train_grpo.py` and `evaluate.py` render prompts with this template, so training and evaluation
always agree on what a well-formed answer looks like.
"""

from __future__ import annotations

import json
from pathlib import Path

# Tags of the Unsloth Qwen3-4B-Base GRPO recipe. Plain text, never special tokens: TRL decodes
# completions with special tokens skipped, so a special-token tag would vanish from the text.
REASONING_START = "<start_working_out>"
REASONING_END = "<end_working_out>"
SOLUTION_START = "<SOLUTION>"
SOLUTION_END = "</SOLUTION>"

SYSTEM_PROMPT = (
    "You are given a problem.\n"
    "Think about the problem and provide your working out.\n"
    f"Place it between {REASONING_START} and {REASONING_END}.\n"
    f"Then, provide your final answer only, between {SOLUTION_START}{SOLUTION_END}"
)

# A template for base models (they ship none): system text, then user and assistant turns, each
# assistant turn closed by EOS. The generation prompt ends with REASONING_START, so generation
# starts inside the reasoning and completions never contain the opening tag. `json.dumps` makes the
# default system prompt a valid Jinja string literal (ASCII escapes are read the same way).
CHAT_TEMPLATE = (
    "{% if messages[0]['role'] == 'system' %}"
    "{{ messages[0]['content'] + eos_token }}"
    "{% set loop_messages = messages[1:] %}"
    "{% else %}"
    "{{ " + json.dumps(SYSTEM_PROMPT) + " + eos_token }}"
    "{% set loop_messages = messages %}"
    "{% endif %}"
    "{% for message in loop_messages %}"
    "{% if message['role'] == 'user' %}"
    "{{ message['content'] }}"
    "{% elif message['role'] == 'assistant' %}"
    "{{ message['content'] + eos_token }}"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}"
    "{{ " + json.dumps(REASONING_START) + " }}"
    "{% endif %}"
)


# The chat templates a run can train with (CHAT_TEMPLATE in train_grpo.py): "recipe" is the one above
# (the Unsloth notebook's); "native" is the model's own (role markers kept), its generation prompt
# followed by REASONING_START, so both start generation inside the working out.
TEMPLATES = ("recipe", "native")
NATIVE_SUFFIX = "{% if add_generation_prompt %}{{ " + json.dumps(REASONING_START) + " }}{% endif %}"


def native_template(tokenizer) -> str | None:
    """The tokenizer's own chat template (remembered before the recipe first replaced it), or None
    when it has none; a template this module wrote is not the model's own.

    >>> class Tok:
    ...     chat_template = "{{ messages[0]['content'] }}"
    >>> native_template(Tok()) == Tok.chat_template, native_template(apply_chat_template(Tok()))
    (True, "{{ messages[0]['content'] }}")
    """
    if hasattr(tokenizer, "native_chat_template"):
        return tokenizer.native_chat_template
    own = getattr(tokenizer, "chat_template", None)
    if not isinstance(own, str) or own == CHAT_TEMPLATE:
        return None
    return own.removesuffix(NATIVE_SUFFIX) or None  # a folder saved by a native run holds it with the suffix


def apply_chat_template(tokenizer, template: str = "recipe"):
    """Install a run's chat template on `tokenizer` (in place) and return it: "recipe" (CHAT_TEMPLATE)
    or "native" (the tokenizer's own, the generation prompt followed by REASONING_START). The own
    template stays readable through native_template(). ValueError for an unknown name, or "native"
    on a tokenizer that has none.

    >>> class Tok:  # any object with a `chat_template` attribute works
    ...     chat_template = None
    >>> apply_chat_template(Tok()).chat_template == CHAT_TEMPLATE
    True
    >>> Tok.chat_template = "{{ messages[0]['content'] }}"
    >>> apply_chat_template(Tok(), "native").chat_template.endswith(NATIVE_SUFFIX)
    True
    """
    if template not in TEMPLATES:
        raise ValueError(f"CHAT_TEMPLATE={template!r}: use one of {', '.join(map(repr, TEMPLATES))}")
    own = native_template(tokenizer)
    if template == "native" and own is None:
        raise ValueError(
            "CHAT_TEMPLATE='native' needs a tokenizer with a chat template of its own, and this one has none: "
            "use CHAT_TEMPLATE='recipe'"
        )
    tokenizer.native_chat_template = own
    tokenizer.chat_template = CHAT_TEMPLATE if template == "recipe" else own + NATIVE_SUFFIX
    return tokenizer


def turn_end(tokenizer, chat_template: str | None = None) -> str:
    """What the installed chat template (or `chat_template`) writes right after an assistant turn's
    content, trailing whitespace left out: the end-of-turn text a completion must end with
    ("<|im_end|>" for ChatML, the EOS for the recipe's template). Priming appends it; generation
    must stop on it."""
    sentinel = "\u2063END\u2063"  # invisible separators: never in a template's own text
    chat = build_prompt("x") + [{"role": "assistant", "content": sentinel}]
    text = tokenizer.apply_chat_template(chat, tokenize=False, chat_template=chat_template)
    return text[text.rindex(sentinel) + len(sentinel) :].rstrip()


def turn_end_id(tokenizer, chat_template: str | None = None) -> int | None:
    """The token id of turn_end when it is one token (what generation can stop on), else None."""
    end = turn_end(tokenizer, chat_template)
    ids = tokenizer(end, add_special_tokens=False)["input_ids"] if end else []
    return ids[0] if len(ids) == 1 else None


def build_prompt(problem: str, system_prompt: str = SYSTEM_PROMPT) -> list[dict]:
    """The conversational prompt (system + user) that TRL's trainers expect.

    >>> [m["role"] for m in build_prompt("What is 2 + 2?")]
    ['system', 'user']
    """
    return [
        {"role": "system", "content": system_prompt},
        {"role": "user", "content": problem},
    ]


def prompt_problem(prompt) -> str:
    """The user's problem in a conversational prompt (as `build_prompt` writes it), on one line.

    >>> prompt_problem(build_prompt("  What is   2 + 2? "))
    'What is 2 + 2?'
    """
    if isinstance(prompt, list):
        prompt = next((m.get("content", "") for m in reversed(prompt) if m.get("role") == "user"), "")
    return " ".join(str(prompt).split())


def format_solution(reasoning: str, answer: str) -> str:
    """A completion in the exact format the rewards pay for (used for format-priming SFT).

    >>> format_solution("2 + 2 = 4", "4")
    '<start_working_out>2 + 2 = 4<end_working_out><SOLUTION>4</SOLUTION>'
    """
    return f"{REASONING_START}{reasoning}{REASONING_END}{SOLUTION_START}{answer}{SOLUTION_END}"


# --- The base model at its best (evaluate.py): its own template, zero-shot and few-shot, no tags

FEWSHOT_FILE = Path(__file__).resolve().parent / "data" / "fewshot_math.jsonl"  # worked examples, plain words
BASE_PROMPTS = ("native", "fewshot")  # the prompts evaluate.py can add beside the recipe's template


def fewshot_examples(path: Path = FEWSHOT_FILE) -> list[dict]:
    """The worked examples of the few-shot prompt: problem, solution in plain words ending "The answer is N."."""
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def base_prompt_text(problem: str, tokenizer, style: str, examples: list[dict] | None = None) -> str:
    r"""The prompt text for the base model under `style`: "native" (the problem alone as a user turn of
    the model's own chat template) or "fewshot" (worked examples as earlier turns first). A tokenizer
    without a template of its own gets plain text, "Question: ...\nAnswer: ...". No system prompt, no tags.

    >>> class Plain:
    ...     chat_template = None
    >>> print(base_prompt_text("What is 2 + 2?", Plain(), "native"))
    Question: What is 2 + 2?
    Answer:
    >>> base_prompt_text("What is 2 + 2?", Plain(), "fewshot", [{"problem": "1 + 1?", "solution": "The answer is 2."}])
    'Question: 1 + 1?\nAnswer: The answer is 2.\n\nQuestion: What is 2 + 2?\nAnswer:'
    """
    if style not in BASE_PROMPTS:
        raise ValueError(f"base prompt {style!r}: use one of {', '.join(BASE_PROMPTS)}")
    shots = (fewshot_examples() if examples is None else examples) if style == "fewshot" else []
    own = native_template(tokenizer)
    if own is None:
        turns = [f"Question: {e['problem']}\nAnswer: {e['solution']}\n\n" for e in shots]
        return "".join(turns) + f"Question: {problem}\nAnswer:"
    messages = []
    for e in shots:
        messages += [{"role": "user", "content": e["problem"]}, {"role": "assistant", "content": e["solution"]}]
    messages.append({"role": "user", "content": problem})
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True, chat_template=own)


def cut_next_question(completion: str) -> str:
    r"""A base model's completion up to where it starts a question of its own (a plain-text few-shot
    prompt invites it to go on with "Question: ..."): what follows is not its answer.

    >>> cut_next_question("So 4. The answer is 4.\n\nQuestion: What is 3 + 3?\nAnswer: 6")
    'So 4. The answer is 4.'
    """
    return completion.split("\nQuestion:")[0].rstrip()
