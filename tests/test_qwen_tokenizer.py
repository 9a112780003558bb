"""What the tiny test tokenizer cannot stand for, checked with the real Qwen BPE (no weights; fetched by
tests/fetch_qwen_tokenizer.py): the chat template and EOS, the tags' tokens, the priming boundary on
both backends' collators, the prompt-length filter and the completion budget on the shipped data."""

import numpy as np
import pytest
from datasets import Dataset
from helpers import write_jsonl

import rewards
import train_grpo
from prompts import (
    NATIVE_SUFFIX,
    REASONING_END,
    REASONING_START,
    SOLUTION_END,
    SOLUTION_START,
    SYSTEM_PROMPT,
    build_prompt,
    format_solution,
)
from recipe import data, generation, models

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def qwen_model(qwen_tokenizer):
    """A one-layer random Qwen3 over the real vocabulary: enough for the trainers to be built."""
    return models.build_tiny_model(qwen_tokenizer, hidden_size=16, layers=1)


def grpo_trainer(tokenizer, model, folder):
    """TRL's GRPOTrainer on the tokenizer and model, built as the recipe builds it (never trained here)."""
    from trl import GRPOConfig, GRPOTrainer

    args = GRPOConfig(
        output_dir=str(folder),
        per_device_train_batch_size=2,
        num_generations=2,
        max_completion_length=8,
        report_to="none",
        use_cpu=True,
    )
    prompts = Dataset.from_list([{"prompt": build_prompt("What is 1 + 1?"), "answer": "2"}] * 2)
    return GRPOTrainer(
        model=model,
        reward_funcs=[rewards.match_format_exactly],
        args=args,
        train_dataset=prompts,
        processing_class=tokenizer,
    )


@pytest.fixture(scope="module")
def grpo_prompt_ids(qwen_tokenizer, qwen_model, tmp_path_factory):
    """The prompt ids TRL's GRPOTrainer itself generates from."""
    trainer = grpo_trainer(qwen_tokenizer, qwen_model, tmp_path_factory.mktemp("grpo"))
    return lambda problems: trainer._tokenize_prompts([build_prompt(p) for p in problems])[0]


def test_qwen_chat_template_ends_each_turn_with_eos_and_the_prompt_with_the_working_out_tag(qwen_tokenizer):
    tok = qwen_tokenizer
    chat = build_prompt("What is 2 + 3?") + [{"role": "assistant", "content": format_solution("2 + 3 = 5", "5")}]
    ids = tok.apply_chat_template(chat, tokenize=True, return_dict=True)["input_ids"]
    assert tok.eos_token == "<|endoftext|>" and ids.count(tok.eos_token_id) == 2  # after the system and answer
    assert ids[-1] == tok.eos_token_id  # the completion ends in the EOS GRPO's generation stops at
    prompt = tok.apply_chat_template(build_prompt("What is 2 + 3?"), tokenize=True, add_generation_prompt=True)
    assert tok.decode(prompt["input_ids"]).endswith("3?" + REASONING_START)  # generation starts in the working out
    assert tok.decode(prompt["input_ids"][-1:]) == ">"  # a lone `>`: the boundary GRPO generates across


TAG_PIECES = [  # (tag, its Qwen tokens): several ordinary tokens each
    (REASONING_START, ["<", "start", "_working", "_out", ">"]),
    (REASONING_END, ["<", "end", "_working", "_out", ">"]),
    (SOLUTION_START, ["<S", "OLUTION", ">"]),
    (SOLUTION_END, ["</", "S", "OLUTION", ">"]),
]


@pytest.mark.parametrize("tag, pieces", TAG_PIECES)
def test_qwen_tokenizes_each_tag_into_plain_tokens(qwen_tokenizer, tag, pieces):
    ids = qwen_tokenizer(tag, add_special_tokens=False)["input_ids"]
    assert [qwen_tokenizer.decode([i]) for i in ids] == pieces
    assert not set(ids) & set(qwen_tokenizer.all_special_ids)  # a special-token tag would vanish when decoded


def test_a_formatted_completion_survives_qwen_decoding_and_scores_full_format(qwen_tokenizer):
    text = f"2 + 3 = 5{REASONING_END}{SOLUTION_START}5{SOLUTION_END}"
    ids = qwen_tokenizer(text + qwen_tokenizer.eos_token, add_special_tokens=False)["input_ids"]
    decoded = qwen_tokenizer.decode(ids, skip_special_tokens=True)  # as TRL decodes completions
    assert decoded == text
    score = rewards.match_format_exactly([build_prompt("x")], [[{"role": "assistant", "content": decoded}]])
    assert score == [rewards.FORMAT_EXACT]


# (working out, does tokenizing prompt + completion as one text merge the tag's `>` with it?)
BOUNDARIES = [
    ("We add 2 and 3: 5.", True),  # `>We` is one Qwen token
    ("To add: 2 + 3 = 5.", True),  # `>To`
    ("$2 + 3 = 5$", True),  # `>$`
    ("Okay, 2 + 3 = 5.", False),  # `>` + `Okay`
    ("2 + 3 = 5", False),  # `>` + `2`
]


BOUNDARY_ROWS = [
    {"problem": f"Problem {i}: what is 2 + 3?", "reasoning": r, "answer": "5"} for i, (r, _) in enumerate(BOUNDARIES)
]


def boundary_samples(tokenizer, tmp_path):
    """BOUNDARY_ROWS as priming samples, through the priming file reader."""
    return data.priming_samples(write_jsonl(tmp_path / "p.jsonl", BOUNDARY_ROWS), tokenizer=tokenizer, max_tokens=1024)


def test_priming_trains_the_prompt_ids_grpo_generates_from(qwen_tokenizer, grpo_prompt_ids, tmp_path):
    tok = qwen_tokenizer
    rows = BOUNDARY_ROWS
    samples = boundary_samples(tok, tmp_path)
    prompts = grpo_prompt_ids([row["problem"] for row in rows])
    for sample, prompt, row, (_, merges) in zip(samples, prompts, rows, BOUNDARIES, strict=True):
        n = len(prompt)
        assert sample["input_ids"][:n] == prompt  # exactly what GRPO's rollouts continue
        assert sample["labels"][:n] == [-100] * n and sample["labels"][n:] == sample["input_ids"][n:]
        completion = tok.decode(sample["input_ids"][n:], skip_special_tokens=True)
        assert completion == format_solution(row["reasoning"], "5").removeprefix(REASONING_START)
        assert sample["input_ids"][-1] == tok.eos_token_id
        chat = build_prompt(row["problem"]) + [{"role": "assistant", "content": format_solution(row["reasoning"], "5")}]
        joint = tok.apply_chat_template(chat, tokenize=True, return_dict=True)["input_ids"]
        assert (joint[:n] != prompt) == merges  # what tokenizing the two together would have trained


def test_priming_batches_mask_exactly_the_prompt_on_both_backends(qwen_tokenizer, qwen_model, tmp_path):
    from transformers import DataCollatorForSeq2Seq
    from trl import SFTConfig, SFTTrainer

    samples = boundary_samples(qwen_tokenizer, tmp_path)
    args = SFTConfig(output_dir=str(tmp_path / "sft"), report_to="none", use_cpu=True, max_length=2048)
    trl_trainer = SFTTrainer(model=qwen_model, args=args, train_dataset=samples, processing_class=qwen_tokenizer)
    prepared = trl_trainer.train_dataset
    assert prepared["input_ids"] == samples["input_ids"]  # TRL keeps pre-tokenized samples as they are
    features = [{k: row[k] for k in ("input_ids", "labels")} for row in samples]
    trl_batch = trl_trainer.data_collator([dict(row) for row in prepared])
    # Unsloth's SFT step keeps a dataset with `labels` and collates it with DataCollatorForSeq2Seq
    # (unsloth_zoo/dataset_utils.py, checked by tools/check_gpu_api.py FACTS)
    unsloth_batch = DataCollatorForSeq2Seq(qwen_tokenizer)(features)
    width = max(len(f["labels"]) for f in features)
    expected = [f["labels"] + [-100] * (width - len(f["labels"])) for f in features]
    assert trl_batch["labels"].tolist() == expected and unsloth_batch["labels"].tolist() == expected


def test_prompt_length_filter_counts_the_ids_grpo_tokenizes(qwen_tokenizer, grpo_prompt_ids):
    problems, _ = data.to_problems(data.load_rows(data.SAMPLE_DATASET))
    lengths = [len(ids) for ids in grpo_prompt_ids(list(problems["problem"]))]
    kept, dropped, longest = data.to_prompts(problems, qwen_tokenizer, train_grpo.PROMPT_LENGTH_QUANTILE)
    assert longest == int(np.quantile(lengths, train_grpo.PROMPT_LENGTH_QUANTILE))
    assert dropped == sum(n > longest for n in lengths) > 0 and len(kept) == len(lengths) - dropped


def test_the_completion_budget_on_the_shipped_data_fits_every_shipped_priming_solution(qwen_tokenizer):
    cfg = {**train_grpo.CONFIG, "DATASET_NAME": data.SAMPLE_DATASET, "DATASET_CONFIG": None, "EVAL_SIZE": 20}
    _, _, longest = train_grpo.build_train_dataset(cfg, qwen_tokenizer)
    budget = cfg["MAX_SEQ_LENGTH"] - longest  # MAX_COMPLETION_LENGTH=None, as train_grpo resolves it
    samples = data.priming_samples(
        data.PRIMING_DATASET, tokenizer=qwen_tokenizer, max_tokens=cfg["MAX_SEQ_LENGTH"] // 2
    )
    completions = [sum(label != -100 for label in row["labels"]) for row in samples]
    assert len(samples) == 30 and max(completions) <= budget  # GRPO can generate what priming teaches


# --- CHAT_TEMPLATE='native': the model's own template (Qwen's ChatML), the tag after its generation prompt


@pytest.fixture(scope="module")
def native_qwen():
    """The real Qwen BPE with its own template installed as the loaders install it, and a one-layer model."""
    from fetch_qwen_tokenizer import FOLDER
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(FOLDER)
    model = models.build_tiny_model(tokenizer, hidden_size=16, layers=1)
    models.install_template(model, tokenizer, "native")
    return tokenizer, model


def test_native_template_keeps_qwens_role_markers_and_ends_the_prompt_in_the_working_out_tag(native_qwen):
    tok, model = native_qwen
    text = tok.apply_chat_template(build_prompt("What is 2 + 3?"), tokenize=False, add_generation_prompt=True)
    assert text == (
        f"<|im_start|>system\n{SYSTEM_PROMPT}<|im_end|>\n<|im_start|>user\nWhat is 2 + 3?<|im_end|>\n"
        f"<|im_start|>assistant\n{REASONING_START}"
    )
    assert tok.chat_template.endswith(NATIVE_SUFFIX)
    im_end = tok.convert_tokens_to_ids("<|im_end|>")
    # ChatML closes a turn with <|im_end|>, not Qwen's <|endoftext|>: it becomes the EOS generation stops on
    assert tok.eos_token == "<|im_end|>" and im_end in model.generation_config.eos_token_id
    assert tok.convert_tokens_to_ids("<|endoftext|>") in model.generation_config.eos_token_id  # still a stop


def test_native_priming_trains_the_prompt_ids_grpo_generates_from(native_qwen, tmp_path):
    tok, model = native_qwen
    trainer = grpo_trainer(tok, model, tmp_path / "grpo")
    assert tok.convert_tokens_to_ids("<|im_end|>") in trainer.eos_token_ids  # GRPO ends completions at the turn's end
    samples = boundary_samples(tok, tmp_path)
    grpo_ids = trainer._tokenize_prompts([build_prompt(row["problem"]) for row in BOUNDARY_ROWS])[0]
    for sample, prompt, row in zip(samples, grpo_ids, BOUNDARY_ROWS, strict=True):
        n = len(prompt)
        assert sample["input_ids"][:n] == prompt and sample["labels"][:n] == [-100] * n
        assert (
            tok.decode(sample["input_ids"][n:])
            == format_solution(row["reasoning"], "5").removeprefix(REASONING_START) + "<|im_end|>"
        )  # the answer, then the end of turn: nothing the template adds after it


QWEN3_LIKE = (  # Qwen3's own template writes an empty think block into the last assistant turn only
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n"
    "{% if m['role'] == 'assistant' and loop.last %}<think>\n\n</think>\n\n{% endif %}"
    "{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def test_priming_trains_what_follows_the_generation_prompt_not_the_templates_assistant_turn(tmp_path):
    from fetch_qwen_tokenizer import FOLDER
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(FOLDER)
    tok.chat_template = QWEN3_LIKE
    models.install_template(models.build_tiny_model(tok, hidden_size=16, layers=1), tok, "native")
    samples = boundary_samples(tok, tmp_path)
    for sample in samples:
        text = tok.decode(sample["input_ids"])
        assert "<think>" not in text and text.endswith("</SOLUTION><|im_end|>")  # GRPO's prompt never holds <think>


def test_evaluation_stops_at_the_own_templates_end_of_turn_only_for_the_base_prompts(qwen_tokenizer, qwen_model):

    im_end = qwen_tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert im_end not in generation.stop_token_ids(qwen_tokenizer, qwen_model, "recipe")  # as in training
    assert im_end in generation.stop_token_ids(qwen_tokenizer, qwen_model, "native")  # the model's own turns end there
    assert im_end in generation.stop_token_ids(qwen_tokenizer, qwen_model, "fewshot")
