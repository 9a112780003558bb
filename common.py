"""Code shared by train_grpo.py, evaluate.py, the benchmarks and the tests.

Config overrides, dataset loading and schema detection, the held-out split, the tiny offline model
used by --smoke and the tests, and the backend loader (Unsloth on CUDA, transformers + PEFT
elsewhere). Heavy libraries are imported inside functions: Unsloth must be imported before
transformers / trl / peft when it is used, and that choice is made at run time.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import sys
from pathlib import Path

from prompts import (
    REASONING_END,
    REASONING_START,
    SOLUTION_END,
    SOLUTION_START,
    SYSTEM_PROMPT,
    apply_chat_template,
    build_prompt,
    format_solution,
)

REPO = Path(__file__).resolve().parent
SAMPLE_DATASET = str(REPO / "data" / "sample_math.jsonl")
PRIMING_DATASET = str(REPO / "data" / "priming.jsonl")
LOCAL_SUFFIXES = {".jsonl": "json", ".json": "json", ".parquet": "parquet", ".csv": "csv"}


class ConfigError(Exception):
    """A user mistake: reported as one line and exit code 2, never a traceback."""


def run_main(main) -> None:
    """Run a script's main(); a ConfigError becomes `error: ...` on stderr and exit code 2."""
    try:
        main()
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None


# --- Config overrides


def parse_overrides(argv: list[str], config: dict, flags: tuple[str, ...] = ()) -> tuple[dict, set]:
    """Parse `--NAME=value` overrides for the constants in `config`, and bare `--flag`s.

    Values are Python literals (`--LORA_RANK=16`, `--REWARDS={'check_answer': 1.0}`); a value that
    is not a literal is taken as a string when the constant is a string (`--OUTPUT_DIR=runs/x`).
    An int is accepted where a float is expected. Returns (overrides, flags seen).

    >>> parse_overrides(["--LR=1", "--NAME=runs/a", "--smoke"], {"LR": 0.5, "NAME": "x"}, ("smoke",))
    ({'LR': 1.0, 'NAME': 'runs/a'}, {'smoke'})
    """
    overrides, seen = {}, set()
    for arg in argv:
        if not arg.startswith("--"):
            raise ConfigError(f"unexpected argument {arg!r}: use --NAME=value")
        name, has_value, text = arg[2:].partition("=")
        if not has_value:
            if name not in flags:
                raise ConfigError(f"unknown flag --{name}; flags: {', '.join('--' + f for f in flags) or 'none'}")
            seen.add(name)
            continue
        if name not in config:
            raise ConfigError(f"unknown setting {name!r}; valid names: {', '.join(sorted(config))}")
        overrides[name] = _coerce(name, text, config[name])
    return overrides, seen


def _coerce(name: str, text: str, default):
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        if isinstance(default, str) or default is None:
            return text
        raise ConfigError(f"{name}={text!r} is not a Python literal") from None
    if default is None or value is None:
        return value
    if isinstance(default, str) and not isinstance(value, str):
        return text  # a path or name that happens to read as a number: --DATASET_SPLIT=2024
    if isinstance(default, bool) != isinstance(value, bool):
        raise ConfigError(f"{name} expects {type(default).__name__}, got {text!r}")
    if isinstance(default, float) and isinstance(value, int):
        return float(value)
    if isinstance(default, (int, float)) and isinstance(value, float) and not isinstance(default, float):
        raise ConfigError(f"{name} expects int, got {text!r}")
    if not isinstance(value, type(default)) and not (
        isinstance(default, (list, tuple)) and isinstance(value, (list, tuple))
    ):
        raise ConfigError(f"{name} expects {type(default).__name__}, got {text!r}")
    return value


def resolve_config(defaults: dict, argv: list[str], smoke_overrides: dict, inherit=None) -> tuple[dict, set]:
    """Defaults, then the smoke settings when --smoke is given, then `inherit(config, overrides)` (settings
    read from elsewhere, e.g. the training run evaluate.py compares), then the user's overrides (printed)."""
    overrides, seen = parse_overrides(argv, defaults, ("smoke",))
    config = dict(defaults)
    if "smoke" in seen:
        config.update(smoke_overrides)
    if inherit is not None:
        config.update(inherit({**config, **overrides}, overrides))
    for name, value in overrides.items():
        print_main(f"override: {name} = {value!r}")
    config.update(overrides)
    return config, seen


def save_config(config: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config, indent=2, default=str) + "\n")


# --- Processes


def is_main_process() -> bool:
    """True on rank 0 (and in a single process); read from the launcher's environment."""
    return int(os.environ.get("RANK", os.environ.get("LOCAL_RANK", "0"))) == 0


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def print_main(*args, **kwargs) -> None:
    if is_main_process():
        print(*args, **kwargs, flush=True)


# --- Data

# Known schemas, detected from the columns: name -> (problem column, answer column).
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


def to_prompts(problems, tokenizer, keep_quantile: float = 0.9):
    """Problems -> `{"prompt": chat messages, "answer": gold}`, dropping the longest prompts.

    Prompts above the `keep_quantile` of token lengths are dropped (the recipe keeps the shortest
    90%), so MAX_COMPLETION_LENGTH can be MAX_SEQ_LENGTH minus the longest kept prompt.
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


def priming_samples(name: str):
    """Correctly formatted worked solutions for format-priming SFT, as prompt/completion pairs.

    Local files have `problem`, `reasoning`, `answer`; Hub datasets in the OpenMathReasoning style
    (`problem`, `generated_solution`, `expected_answer`) work too (the text inside <think> is kept).
    """
    rows = load_rows(name)
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

    return rows.map(convert, remove_columns=rows.column_names, desc="priming data")


# --- Tiny offline model (for --smoke, the tests and the CPU benchmarks)


def build_tiny_tokenizer(texts: list[str] | None = None, vocab_size: int = 400):
    """A small byte-level BPE tokenizer trained offline on the sample problems.

    The reasoning/solution tags are added as ordinary tokens (not special ones: TRL decodes
    completions with special tokens skipped, which would erase them).
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    if texts is None:
        texts = [json.loads(line)["prompt"] for line in Path(SAMPLE_DATASET).read_text().splitlines()]
    bpe = Tokenizer(models.BPE(unk_token=None))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator([SYSTEM_PROMPT, *texts], trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<|endoftext|>", pad_token="<|endoftext|>")
    tokenizer.add_tokens([REASONING_START, REASONING_END, SOLUTION_START, SOLUTION_END])
    return apply_chat_template(tokenizer)


def build_tiny_model(tokenizer, seed: int = 0, hidden_size: int = 64, layers: int = 2, init_std: float = 0.3):
    """A Qwen3-architecture causal LM with random weights, small enough to train on a CPU.

    `init_std` is far above the usual 0.02 on purpose: the output layer is the tied, frozen
    embedding, and at 0.02 its logits stay so small that LoRA can barely move any distribution
    away from uniform; at 0.3 a few dozen priming steps teach the format (bench/learning_signal.py).
    """
    import torch
    from transformers import Qwen3Config, Qwen3ForCausalLM

    config = Qwen3Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=2 * hidden_size,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=hidden_size // 4,
        max_position_embeddings=2048,
        tie_word_embeddings=True,
        initializer_range=init_std,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
    )
    torch.manual_seed(seed)
    model = Qwen3ForCausalLM(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model


# --- Backends


def has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def choose_backend(requested: str, smoke: bool) -> str:
    """'unsloth' or 'hf'. auto: Unsloth on one CUDA GPU when it is installed, else transformers+PEFT.

    Multi-process runs (accelerate / torchrun) always use 'hf': Unsloth is a single-GPU engine.
    """
    if requested not in ("auto", "unsloth", "hf"):
        raise ConfigError(f"BACKEND={requested!r}: use 'auto', 'unsloth' or 'hf'")
    unsloth_ok = not smoke and world_size() == 1 and has_cuda() and importlib.util.find_spec("unsloth") is not None
    if requested == "unsloth" and not unsloth_ok:
        raise ConfigError(
            "BACKEND='unsloth' needs one CUDA GPU, a single process and `pip install unsloth` (not --smoke); "
            "use --BACKEND=hf or auto"
        )
    if requested == "auto":
        return "unsloth" if unsloth_ok else "hf"
    return requested


def check_vllm(cfg: dict, backend: str) -> None:
    """USE_VLLM / VLLM_MODE combinations that can work, or a one-line reason."""
    if not cfg["USE_VLLM"]:
        return
    if cfg["VLLM_MODE"] not in ("colocate", "server"):
        raise ConfigError(f"VLLM_MODE={cfg['VLLM_MODE']!r}: use 'colocate' or 'server'")
    if backend == "unsloth" and cfg["VLLM_MODE"] == "server":
        raise ConfigError("VLLM_MODE='server' runs on the hf backend (`trl vllm-serve`); Unsloth uses colocated vLLM")
    if importlib.util.find_spec("vllm") is None and cfg["VLLM_MODE"] == "colocate":
        raise ConfigError("USE_VLLM=True needs vLLM in this environment (`pip install vllm`), or pass --USE_VLLM=False")


def check_optimizer(optim: str) -> None:
    if "8bit" in optim and importlib.util.find_spec("bitsandbytes") is None:
        raise ConfigError(
            f"OPTIM={optim!r} needs bitsandbytes (`pip install bitsandbytes`), or pass --OPTIM=adamw_torch"
        )


def require_gpu_or_smoke(smoke: bool, script: str) -> None:
    if not smoke and not has_cuda():
        raise ConfigError(
            f"the full recipe needs a CUDA GPU (Qwen3-4B-Base with LoRA) and none was found; "
            f"`python {script} --smoke` runs the whole pipeline on CPU with a tiny model"
        )


def lora_settings(cfg: dict) -> dict:
    return dict(
        r=cfg["LORA_RANK"],
        lora_alpha=cfg["LORA_ALPHA"],
        lora_dropout=cfg["LORA_DROPOUT"],
        target_modules=list(cfg["LORA_TARGET_MODULES"]),
    )


def load_model(cfg: dict, backend: str, smoke: bool, with_lora: bool = True):
    """(model, tokenizer) for a backend, with the recipe's chat template and, optionally, LoRA."""
    if smoke:
        tokenizer = build_tiny_tokenizer()
        model = build_tiny_model(tokenizer, seed=cfg["SEED"])
        model.config.name_or_path = cfg["MODEL_NAME"]  # recorded in the adapter, checked by evaluate.py
    elif backend == "unsloth":
        return _load_unsloth(cfg, with_lora)
    else:
        model, tokenizer = _load_hf(cfg)
    if with_lora:
        from peft import LoraConfig, get_peft_model

        model = get_peft_model(model, LoraConfig(task_type="CAUSAL_LM", bias="none", **lora_settings(cfg)))
    return model, tokenizer


def _load_unsloth(cfg: dict, with_lora: bool):
    from unsloth import FastLanguageModel  # before transformers / trl / peft, as Unsloth requires

    model, tokenizer = FastLanguageModel.from_pretrained(
        model_name=cfg["MODEL_NAME"],
        max_seq_length=cfg["MAX_SEQ_LENGTH"],
        load_in_4bit=cfg["LOAD_IN_4BIT"],
        fast_inference=cfg["USE_VLLM"],  # vLLM rollouts inside the same process
        max_lora_rank=cfg["LORA_RANK"],
        gpu_memory_utilization=cfg["VLLM_GPU_MEMORY_UTILIZATION"],
        random_state=cfg["SEED"],
    )
    if with_lora:
        settings = lora_settings(cfg)
        model = FastLanguageModel.get_peft_model(
            model,
            r=settings["r"],
            lora_alpha=settings["lora_alpha"],
            lora_dropout=settings["lora_dropout"],
            target_modules=settings["target_modules"],
            use_gradient_checkpointing="unsloth",  # Unsloth's offloaded checkpointing: longer contexts
            random_state=cfg["SEED"],
        )
    return model, apply_chat_template(tokenizer)


def _load_hf(cfg: dict):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    kwargs: dict = {"dtype": torch.bfloat16 if has_cuda() else torch.float32}
    zero3 = os.environ.get("ACCELERATE_DEEPSPEED_ZERO_STAGE") == "3"
    if has_cuda() and not zero3:  # each process loads its own copy onto its own GPU (DDP / ZeRO-2)
        kwargs["device_map"] = {"": int(os.environ.get("LOCAL_RANK", "0"))}
    if cfg["LOAD_IN_4BIT"] and has_cuda() and zero3:
        raise ConfigError("DeepSpeed ZeRO-3 cannot shard bitsandbytes 4-bit weights: pass --LOAD_IN_4BIT=False")
    if cfg["LOAD_IN_4BIT"] and has_cuda():
        if importlib.util.find_spec("bitsandbytes") is None:
            raise ConfigError(
                "LOAD_IN_4BIT=True needs bitsandbytes (`pip install bitsandbytes`), or pass --LOAD_IN_4BIT=False"
            )
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_compute_dtype=torch.bfloat16,
            bnb_4bit_use_double_quant=True,
        )
    try:
        tokenizer = AutoTokenizer.from_pretrained(cfg["MODEL_NAME"])
        model = AutoModelForCausalLM.from_pretrained(cfg["MODEL_NAME"], **kwargs)
    except OSError as err:
        raise ConfigError(f"cannot load model {cfg['MODEL_NAME']!r}: {err}".splitlines()[0]) from None
    if "quantization_config" in kwargs:
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=True)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, apply_chat_template(tokenizer)


# --- Reports: metrics file, reward plot, model card


def metrics_callback(path: Path):
    """A TrainerCallback appending one JSON line per logged step to `path` (main process only)."""
    from transformers import TrainerCallback

    class MetricsLogger(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if state.is_world_process_zero and logs:
                with path.open("a") as fh:
                    fh.write(json.dumps({"step": state.global_step, **logs}) + "\n")

    return MetricsLogger()


def read_metrics(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def truncate_metrics(path: Path, last_step: int) -> None:
    """Keep lines up to `last_step`: a resumed run re-logs the steps after its checkpoint."""
    kept = [row for row in read_metrics(path) if row.get("step", 0) <= last_step]
    path.write_text("".join(json.dumps(row) + "\n" for row in kept))


def reward_series(rows: list[dict]) -> dict[str, list[tuple[int, float]]]:
    """Total reward and each reward's mean over the logged steps: name -> [(step, value)]."""
    series: dict[str, list] = {}
    for row in rows:
        for key, value in row.items():
            if key == "reward" or (key.startswith("rewards/") and key.endswith("/mean")):
                name = "total" if key == "reward" else key.split("/")[1]
                series.setdefault(name, []).append((row["step"], float(value)))
    return series


def plot_rewards(rows: list[dict], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5))
    for name, points in reward_series(rows).items():
        steps, values = zip(*points, strict=True)
        ax.plot(steps, values, label=name, linewidth=2.5 if name == "total" else 1.2)
    ax.set_xlabel("GRPO step")
    ax.set_ylabel("mean reward")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def final_rewards(rows: list[dict], window: int = 10) -> dict[str, float]:
    """Mean of each reward series over its last `window` logged steps."""
    return {name: sum(v for _, v in pts[-window:]) / len(pts[-window:]) for name, pts in reward_series(rows).items()}


def write_model_card(path: Path, config: dict, rows: list[dict], backend: str) -> None:
    finals = final_rewards(rows)
    steps = rows[-1]["step"] if rows else 0
    lines = [
        f"# LoRA adapter: {config['MODEL_NAME']} + GRPO on math",
        "",
        f"Trained with this repository's `train_grpo.py` (backend: {backend}) for {steps} GRPO steps "
        f"on `{config['DATASET_NAME']}`. Reasoning goes between `{REASONING_START}` and `{REASONING_END}`, "
        f"the final answer between `{SOLUTION_START}` and `{SOLUTION_END}`.",
        "",
        "## Final rewards (mean of the last 10 logged steps)",
        "",
        "| reward | mean |",
        "|---|---|",
        *[f"| {name} | {value:.3f} |" for name, value in finals.items()],
        "",
        "## Files",
        "",
        "- `final/`: the LoRA adapter (safetensors) and tokenizer with the chat template",
        "- `recipe_config.json`: every constant of the run; `metrics.jsonl`: one line per logged step",
        "- `reward_curve.png`: total and per-reward mean reward over steps",
        "",
        "## Config",
        "",
        "| name | value |",
        "|---|---|",
        *[f"| {k} | `{v!r}` |" for k, v in config.items()],
        "",
    ]
    path.write_text("\n".join(lines))


def prompt_problem(prompt) -> str:
    """The user's problem in a conversational prompt, on one line."""
    if isinstance(prompt, list):
        prompt = next((m["content"] for m in reversed(prompt) if m.get("role") == "user"), "")
    return " ".join(str(prompt).split())


def precision_settings() -> dict:
    """Trainer precision flags: bf16 where the GPU has it, fp16 on older GPUs, fp32 on CPU."""
    import torch

    if not torch.cuda.is_available():
        return {"bf16": False, "fp16": False, "use_cpu": True}
    bf16 = torch.cuda.is_bf16_supported()
    return {"bf16": bf16, "fp16": not bf16}


def save_merged(cfg: dict, model, tokenizer, backend: str, path: Path) -> None:
    """Base + LoRA merged into 16-bit weights, loadable without PEFT."""
    if backend == "unsloth":
        model.save_pretrained_merged(str(path), tokenizer, save_method="merged_16bit")
        return
    if cfg["LOAD_IN_4BIT"] and has_cuda():  # merge into a 16-bit copy, not the quantized weights
        import torch
        from peft import PeftModel
        from transformers import AutoModelForCausalLM

        base = AutoModelForCausalLM.from_pretrained(cfg["MODEL_NAME"], dtype=torch.bfloat16)
        model = PeftModel.from_pretrained(base, str(path.parent / "final"))
    model.merge_and_unload().save_pretrained(str(path))
    tokenizer.save_pretrained(str(path))
