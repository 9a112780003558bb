"""Training and evaluation data: dataset schemas, local files and Hub datasets, problem/answer rows,
the held-out split, prompt rendering with the length filter, and format-priming samples. No models here.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from prompts import REASONING_START, build_prompt, format_solution, turn_end

from .config import ConfigError, print_main

REPO = Path(__file__).resolve().parents[1]
SAMPLE_DATASET = str(REPO / "data" / "sample_math.jsonl")
PRIMING_DATASET = str(REPO / "data" / "priming.jsonl")  # 30 short worked solutions: --smoke, tests, offline
PRIMING_HUB = "unsloth/OpenMathReasoning-mini"  # the Unsloth notebook's priming data (split "cot")
LOCAL_SUFFIXES = {".jsonl": "json", ".json": "json", ".parquet": "parquet", ".csv": "csv"}


SCHEMAS = {
    "openr1": ("problem", "answer"),  # open-r1/OpenR1-Math-220k, MATH-500
    "dapo": ("prompt", "solution"),  # open-r1/DAPO-Math-17k-Processed
    "gsm8k": ("question", "answer"),  # openai/gsm8k: the gold follows '####' in the answer
}


def detect_schema(columns) -> str:
    """The schema whose columns the dataset has.

    >>> detect_schema(["problem", "solution", "answer"]), detect_schema(["prompt", "solution"])
    ('openr1', 'dapo')
    """
    for name, needed in SCHEMAS.items():
        if set(needed) <= set(columns):
            return name
    expected = " or ".join(f"({', '.join(cols)})" for cols in SCHEMAS.values())
    raise ConfigError(f"unknown dataset schema: columns {sorted(columns)}; expected {expected}")


def load_rows(name: str, config: str | None = None, split: str = "train"):
    """A `datasets.Dataset` from a local .jsonl/.json/.parquet/.csv file or a Hub dataset."""
    import datasets

    suffix = Path(name).suffix.lower()
    if suffix in LOCAL_SUFFIXES:
        if not Path(name).is_file():
            raise ConfigError(f"dataset file not found: {name}")
        return datasets.load_dataset(LOCAL_SUFFIXES[suffix], data_files=name, split="train")
    try:
        return datasets.load_dataset(name, config, split=split)
    except (FileNotFoundError, ValueError, ConnectionError) as err:
        raise ConfigError(f"cannot load dataset {name!r} (config {config!r}, split {split!r}): {err}") from None


def _gold(schema: str, value) -> str:
    text = "" if value is None else str(value).strip()
    if schema == "gsm8k":
        text = text.rpartition("####")[2].strip() if "####" in text else ""
    return text


def _problem_text(value) -> str:
    if isinstance(value, list):  # some datasets store the prompt as chat messages
        return "\n".join(str(m.get("content", "")) for m in value if isinstance(m, dict) and m.get("role") == "user")
    return "" if value is None else str(value).strip()


def to_problems(rows):
    """Rows of any known schema -> columns `problem`, `answer`.

    Rows missing a problem or an answer are dropped, and so are repeats of a problem already seen
    (datasets carry duplicates; a repeat would leak a training problem into the held-out split).
    Returns (dataset, number dropped).
    """
    import datasets

    schema = detect_schema(rows.column_names)
    problem_col, answer_col = SCHEMAS[schema]

    def convert(batch):
        return {
            "problem": [_problem_text(p) for p in batch[problem_col]],
            "answer": [_gold(schema, a) for a in batch[answer_col]],
        }

    # Explicit string features: a CSV's int column would otherwise stay int, and a gold of 0 read as falsy.
    features = datasets.Features({"problem": datasets.Value("string"), "answer": datasets.Value("string")})
    mapped = rows.map(convert, batched=True, remove_columns=rows.column_names, features=features, desc="mapping")
    seen: set[str] = set()
    keep = []
    for i, (problem, answer) in enumerate(zip(mapped["problem"], mapped["answer"], strict=True)):
        if problem and answer and problem not in seen:
            seen.add(problem)
            keep.append(i)
    return mapped.select(keep), len(mapped) - len(keep)


def heldout_split(problems, eval_size: int, seed: int):
    """Deterministic (train, held-out) split that train_grpo.py and evaluate.py agree on."""
    if eval_size <= 0:
        return problems, problems.select([])
    if eval_size >= len(problems):
        raise ConfigError(f"EVAL_SIZE={eval_size} leaves no training data: the dataset has {len(problems)} usable rows")
    parts = problems.train_test_split(test_size=eval_size, seed=seed, shuffle=True)
    return parts["train"], parts["test"]


def even_eval_batches(problems: int, per_device: int, processes: int) -> tuple[int, int]:
    """(problems to keep, per-device eval batch) so that every held-out problem weighs the same: TRL
    averages the per-batch means, so a short last batch (or accelerate padding a rank with repeats)
    would count some problems twice. Keeps whole global batches, or one batch per process when there
    are fewer problems than one global batch; (0, 0) when there are fewer problems than processes.

    >>> even_eval_batches(100, 8, 1)  # 12 batches of 8; 4 problems left out
    (96, 8)
    >>> even_eval_batches(16, 4, 1)  # already whole batches
    (16, 4)
    >>> even_eval_batches(10, 8, 4)  # fewer than one global batch: 2 per process
    (8, 2)
    """
    global_batch = per_device * processes
    if problems >= global_batch:
        return problems - problems % global_batch, per_device
    return problems - problems % processes, problems // processes


def to_prompts(problems, tokenizer, keep_quantile: float = 0.9, max_tokens: int | None = None):
    """Problems -> `{"prompt": chat messages, "answer": gold}`, dropping the longest prompts.

    Prompts above the `keep_quantile` of token lengths are dropped (the recipe keeps the shortest
    90%), so MAX_COMPLETION_LENGTH can be MAX_SEQ_LENGTH minus the longest kept prompt; and above
    `max_tokens` when given (the held-out prompts evaluated during training: the training cut).
    Returns (dataset, number dropped, longest kept prompt in tokens).
    """
    import numpy as np

    def render(batch):
        prompts = [build_prompt(p) for p in batch["problem"]]
        texts = tokenizer.apply_chat_template(prompts, tokenize=False, add_generation_prompt=True)
        return {"prompt": prompts, "answer": batch["answer"], "prompt_tokens": count_tokens(tokenizer, texts)}

    rendered = problems.map(render, batched=True, remove_columns=problems.column_names, desc="tokenizing")
    if len(rendered) == 0:
        raise ConfigError("no training problems left after dropping rows without a problem or answer")
    lengths = np.array(rendered["prompt_tokens"])
    cut = int(np.quantile(lengths, keep_quantile)) if keep_quantile < 1 else int(lengths.max())
    cut = cut if max_tokens is None else min(cut, max_tokens)
    kept = rendered.filter(lambda b: [n <= cut for n in b["prompt_tokens"]], batched=True, desc="length filter")
    return kept.remove_columns("prompt_tokens"), len(rendered) - len(kept), cut


def count_tokens(tokenizer, texts: list[str]) -> list[int]:
    """Token count of each text. A fast tokenizer counts in Rust, without character offsets and
    without copying ids to Python lists: ~3x faster on long problems (bench/data_bench.py)."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:
        encode = getattr(backend, "encode_batch_fast", backend.encode_batch)  # _fast: tokenizers >= 0.20
        return [len(encoding) for encoding in encode(texts, add_special_tokens=False)]
    return [len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]


def priming_samples(name: str, split: str = "train", tokenizer=None, max_tokens: int | None = None):
    """Correctly formatted worked solutions for format-priming SFT.

    Local files have `problem`, `reasoning`, `answer`; Hub datasets in the OpenMathReasoning style
    (`problem`, `generated_solution`, `expected_answer`, e.g. PRIMING_HUB split "cot") work too, with
    the text inside <think> moved into the working-out tags and, as the Unsloth notebook does, only
    the rows whose answer is a number kept. Without a tokenizer: prompt/completion chat pairs. With
    one: the token ids priming trains (`priming_tokens`), samples over `max_tokens` dropped. What was
    kept is printed in one line.
    """
    rows = load_rows(name, None, split)
    cols = set(rows.column_names)
    if {"problem", "reasoning", "answer"} <= cols:
        fields = ("problem", "reasoning", "answer")
    elif {"problem", "generated_solution", "expected_answer"} <= cols:
        fields = ("problem", "generated_solution", "expected_answer")
    else:
        raise ConfigError(
            f"unknown priming schema: columns {sorted(cols)}; expected (problem, reasoning, answer) "
            "or (problem, generated_solution, expected_answer)"
        )
    numeric = rows
    if fields[2] == "expected_answer":  # the notebook keeps the Hub rows whose answer is a number
        numeric = rows.filter(lambda b: [is_number(a) for a in b[fields[2]]], batched=True, desc="numeric answers")

    def convert(row):
        reasoning = str(row[fields[1]])
        if "<think>" in reasoning:
            reasoning = reasoning.partition("<think>")[2].partition("</think>")[0]
        return {
            "prompt": build_prompt(str(row[fields[0]])),
            "completion": [
                {
                    "role": "assistant",
                    "content": format_solution(reasoning.strip(), str(row[fields[2]]).strip()),
                }
            ],
        }

    samples = numeric.map(convert, remove_columns=rows.column_names, desc="priming data")
    filters = ["with a numeric answer"] if numeric is not rows else []
    if tokenizer is not None:
        samples = samples.map(
            lambda batch: priming_tokens(batch, tokenizer),
            batched=True,
            remove_columns=samples.column_names,
            desc="priming tokens",
        )
        if max_tokens is not None:
            samples = samples.filter(
                lambda batch: [len(ids) <= max_tokens for ids in batch["input_ids"]],
                batched=True,
                desc="priming length filter",
            )
            filters.append(f"at most {max_tokens} tokens")
    kept = " ".join([f"kept {len(samples)}", " and ".join(filters)]).strip()
    source = name if Path(name).suffix.lower() in LOCAL_SUFFIXES else f"{name} (split {split})"
    print_main(f"priming data {source}: {len(rows)} rows; {kept}")
    if len(samples) == 0:
        raise ConfigError(f"no priming samples left in {name}: {kept}")
    return samples


def priming_tokens(batch: dict, tokenizer) -> dict:
    """Prompt/completion pairs as the ids GRPO sees: the prompt tokenized on its own, as GRPO tokenizes
    it (the chat template with its generation prompt, which ends in REASONING_START), then the
    completion tokenized on its own (the answer after that tag, then the template's end of turn,
    prompts.turn_end: what generation stops on); labels -100 on the prompt.

    Tokenizing prompt + completion as one text would merge tokens across the boundary (with Qwen's BPE
    the generation prompt's closing `>` joins `We`, `\\n`, `$`, ...), and train pairs GRPO's prompt,
    ending in a lone `>`, never produces; TRL and Unsloth would also mask that boundary differently.
    Both keep a dataset with `labels` as it is. The completion is not read from the template's own
    rendering of an assistant turn: a model's template may write there what its generation prompt
    does not (Qwen3's adds an empty `<think>` block to the last assistant turn).
    """
    prompt_texts = tokenizer.apply_chat_template(batch["prompt"], tokenize=False, add_generation_prompt=True)
    end = turn_end(tokenizer)
    completions = []
    for prompt, completion in zip(prompt_texts, batch["completion"], strict=True):
        content = completion[-1]["content"]
        if not prompt.endswith(REASONING_START):
            raise ConfigError(
                "the chat template's generation prompt does not end in the working-out tag, so priming cannot "
                "train the tokens GRPO generates after the prompt"
            )
        completions.append(content.removeprefix(REASONING_START) + end)
    prompt_ids = tokenizer(prompt_texts, add_special_tokens=False)["input_ids"]
    completion_ids = tokenizer(completions, add_special_tokens=False)["input_ids"]
    return {
        "input_ids": [p + c for p, c in zip(prompt_ids, completion_ids, strict=True)],
        "labels": [[-100] * len(p) + c for p, c in zip(prompt_ids, completion_ids, strict=True)],
    }


def is_number(text) -> bool:
    """True when the text is one plain number, as the notebook's pandas.to_numeric reads it.

    >>> is_number("12"), is_number(" -3.5 "), is_number("1e3"), is_number("1,000"), is_number("x+1"), is_number("nan")
    (True, True, True, False, False, False)
    """
    text = "" if text is None else str(text).strip()
    try:
        return "_" not in text and math.isfinite(float(text))
    except ValueError:
        return False


def sample_texts() -> list[str]:
    """The problems of the shipped sample dataset (the tiny tokenizer is trained on them)."""
    return [json.loads(line)["prompt"] for line in Path(SAMPLE_DATASET).read_text().splitlines()]
