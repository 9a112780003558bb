"""The one source of the format: tags, system prompt, chat template."""

import prompts
from prompts import REASONING_START, SYSTEM_PROMPT, build_prompt


def render(tokenizer, messages, **kwargs):
    return tokenizer.apply_chat_template(messages, tokenize=False, **kwargs)


def test_tags_are_the_recipes():
    tags = (prompts.REASONING_START, prompts.REASONING_END, prompts.SOLUTION_START, prompts.SOLUTION_END)
    assert tags == ("<start_working_out>", "<end_working_out>", "<SOLUTION>", "</SOLUTION>")


def test_system_prompt_names_every_tag():
    for tag in (prompts.REASONING_START, prompts.REASONING_END, prompts.SOLUTION_START, prompts.SOLUTION_END):
        assert tag in SYSTEM_PROMPT


def test_generation_prompt_opens_the_reasoning(tiny_tokenizer):
    text = render(tiny_tokenizer, build_prompt("What is 2+2?"), add_generation_prompt=True)
    eos = tiny_tokenizer.eos_token
    assert text == f"{SYSTEM_PROMPT}{eos}What is 2+2?{REASONING_START}"


def test_default_system_prompt_when_none_is_given(tiny_tokenizer):
    text = render(tiny_tokenizer, [{"role": "user", "content": "Q"}], add_generation_prompt=False)
    assert text == f"{SYSTEM_PROMPT}{tiny_tokenizer.eos_token}Q"


def test_assistant_turns_end_with_eos(tiny_tokenizer):
    messages = [*build_prompt("Q", system_prompt="S"), {"role": "assistant", "content": "A"}]
    assert render(tiny_tokenizer, messages) == f"S{tiny_tokenizer.eos_token}QA{tiny_tokenizer.eos_token}"


def test_tags_are_ordinary_tokens_that_survive_decoding(tiny_tokenizer):
    text = prompts.format_solution("2+2=4", "4")
    ids = tiny_tokenizer(text, add_special_tokens=False)["input_ids"]
    assert tiny_tokenizer.decode(ids, skip_special_tokens=True) == text
