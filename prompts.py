"""The reasoning format the model learns: tags, system prompt and chat template.

This is the one source for the format. `rewards.py` checks completions against these tags,
`train_grpo.py` and `evaluate.py` render prompts with this template, so training and evaluation
always agree on what a well-formed answer looks like.
"""

from __future__ import annotations

import json

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


def apply_chat_template(tokenizer):
    """Install the recipe's chat template on `tokenizer` (in place) and return it.

    >>> class Tok:  # any object with a `chat_template` attribute works
    ...     chat_template = None
    >>> apply_chat_template(Tok()).chat_template == CHAT_TEMPLATE
    True
    """
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


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
