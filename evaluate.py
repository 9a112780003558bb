"""Before/after: strict and lenient accuracy, format and length of a base model and its GRPO-trained
version on the same held-out problems, with 95 % intervals and a paired test, against the base model
at its best prompt.

    python evaluate.py                                   # after `python train_grpo.py`: base vs RUN_DIR/final
    python evaluate.py --RUN_DIR=outputs/long --ADAPTER=checkpoint-200 --NUM_PROBLEMS=500
    python evaluate.py --ADAPTER=None                    # the run's base model alone, same held-out split
    python evaluate.py --ADAPTER=outputs/long/merged     # a merged model folder instead of an adapter
    python evaluate.py --EVAL_DATASET=HuggingFaceH4/MATH-500 --EVAL_SPLIT=test
    python evaluate.py --RUN_DIR=None --ADAPTER=None --MODEL_NAME=Qwen/Qwen3-4B-Base --EVAL_DATASET=openai/gsm8k --EVAL_CONFIG=main
    python evaluate.py --NUM_SAMPLES=8                   # adds pass@1 (mean of 8 samples) and unbiased pass@k
    python evaluate.py --ASK="What is the sqrt of 101?"  # the one-question view: base and trained side by side
    python evaluate.py --BASE_PROMPTS="()"               # the recipe's template only (no extra base passes)
    python evaluate.py --smoke                           # CPU, tiny model, after train_grpo.py --smoke

Both models get the same chat template, system prompt, decoding and seed. The base model is also
prompted at its best, without the tags it has never seen: its own chat template zero-shot, and the
same with the worked examples of data/fewshot_math.jsonl (plain "Question: ... Answer:" text for a
tokenizer without a template). The headline compares the trained model with the best of the base
model's prompts on lenient accuracy (the only one a tag-free prompt can earn), with the paired test
against that prompt; each base prompt costs one more generation pass. Every completion is judged
by the reward's own code: *strict* accuracy is the answer in the single solution block (judge.
extract_answer, exactly what check_answer pays: "did it learn the format"); *lenient* accuracy is the
final answer wherever a grader would look (judge.lenient_answer: block, last \\boxed{}, "answer is",
last number: "did it get better at math"); both use judge.judge_answer. The base model, data and split
come from the training run (RUN_DIR/recipe_config.json), so the held-out problems are exactly those
training did not see; --NAME=value overrides still win.
"""

import contextlib
import json
import sys
from pathlib import Path

import judge
import prompts
import rewards
from recipe import callbacks, config, data, models, statistics

# --- What to compare
RUN_DIR = "outputs/qwen3-4b-grpo"  # the training run: its recipe_config.json names base model, data, split; None = none
ADAPTER = (
    "final"  # in RUN_DIR: final | checkpoint-N; or a path to an adapter or a merged model folder; None = base alone
)
MODEL_NAME = "unsloth/Qwen3-4B-Base"  # base model; read from the training run when there is one
BACKEND = "auto"  # auto | unsloth | hf (as in train_grpo.py)
MAX_SEQ_LENGTH = 2048  # tokens
LOAD_IN_4BIT = True
CPU = False  # True: evaluate on CPU (hf backend, fp32, no 4-bit); small models only
LORA_RANK = 32  # max LoRA rank vLLM reserves (Unsloth + USE_VLLM); read from the training run
CHAT_TEMPLATE = "recipe"  # recipe | native: the template the run trained with (train_grpo.py); read from the run

# --- Data (the held-out split of the training data unless EVAL_DATASET is set)
DATASET_NAME = "open-r1/DAPO-Math-17k-Processed"  # the training dataset; read from the training run
DATASET_CONFIG = "en"
DATASET_SPLIT = "train"
EVAL_SIZE = 200  # problems train_grpo.py held out; read from the training run
SEED = 3407  # split seed and generation seed; read from the training run
EVAL_DATASET = None  # another dataset instead (Hub id or local file): openr1 / dapo / gsm8k / MATH-500 schemas
EVAL_CONFIG = None  # its Hub config (gsm8k: "main")
EVAL_SPLIT = "test"
NUM_PROBLEMS = 200  # at most this many problems; +-7 points is the 95 % interval width at 200 and 50 % accuracy

# --- The base model at its best (judged leniently: a base model cannot be expected to write the tags)
BASE_PROMPTS = ("native", "fewshot")  # also score the base under its own template zero-shot / few-shot; () = off
FEWSHOT_FILE = str(prompts.FEWSHOT_FILE)  # data/fewshot_math.jsonl: the few-shot prompt's worked examples

# --- Generation
MAX_NEW_TOKENS = None  # completion budget (hitting it counts as truncated); None = what the run trained with
DEFAULT_NEW_TOKENS = 1024  # the budget when MAX_NEW_TOKENS is None and there is no training run to read
BATCH_SIZE = 16  # prompts per generate call
NUM_SAMPLES = 1  # 1 = greedy only; n > 1 adds n sampled completions: pass@1 (their mean) and pass@k
PASS_AT_K = None  # k values reported with NUM_SAMPLES = n; None = 1, 2, 4, ... up to n
TEMPERATURE = 1.0  # for the sampled completions
MIN_P = 0.1  # for the sampled completions
USE_VLLM = False  # Unsloth backend: generate with vLLM (fast_generate, adapter via lora_request)
VLLM_GPU_MEMORY_UTILIZATION = 0.6

# --- The one-question view (no dataset, no gold)
ASK = None  # a question, or a .txt file of questions (one a line): prints base and trained completions side by side

# --- Output
EVAL_DIR = None  # comparison.json / .md / .png; None = RUN_DIR/eval (./eval without a run)
NUM_EXAMPLES = 3  # side-by-side examples in comparison.md
EXAMPLE_CHARS = 1500  # each example completion is cut to this many characters there

# --- Smoke (--smoke: CPU, the tiny offline model, the adapter from `train_grpo.py --smoke`)
SMOKE = {
    "RUN_DIR": "runs/smoke",
    "MODEL_NAME": "tiny-random-qwen3",
    "DATASET_NAME": data.SAMPLE_DATASET,
    "DATASET_CONFIG": None,
    "EVAL_SIZE": 20,
    "NUM_PROBLEMS": 20,
    "MAX_NEW_TOKENS": 24,
    "LOAD_IN_4BIT": False,
}

CONFIG = {k: v for k, v in globals().items() if k.isupper() and k != "SMOKE"}
# What must match the training run for the held-out split and the base weights to be the same.
FROM_TRAINING = (
    "MODEL_NAME",
    "MAX_SEQ_LENGTH",
    "LOAD_IN_4BIT",
    "LORA_RANK",
    "CHAT_TEMPLATE",
    "DATASET_NAME",
    "DATASET_CONFIG",
    "DATASET_SPLIT",
    "EVAL_SIZE",
    "SEED",
)
LIBRARIES = ("torch", "transformers", "trl", "peft", "math-verify")  # versions stated in the report


def main(argv: list[str] | None = None) -> None:
    # --- config: defaults < smoke < the training run's settings < command line
    cfg, flags = config.resolve_config(CONFIG, sys.argv[1:] if argv is None else argv, SMOKE, inherit=run_settings)
    smoke = "smoke" in flags
    models.require_gpu_or_smoke(smoke, cfg["CPU"], "evaluate.py")
    cfg = models.apply_cpu_mode(cfg)
    cfg["ADAPTER"] = resolve_adapter(cfg, smoke)
    if cfg["MAX_NEW_TOKENS"] is None:
        cfg["MAX_NEW_TOKENS"] = DEFAULT_NEW_TOKENS
        config.print_main(f"MAX_NEW_TOKENS: no training run to read, so {DEFAULT_NEW_TOKENS} new tokens")
    backend = models.choose_backend(cfg["BACKEND"], smoke)
    check_vllm_settings(cfg, backend)
    check_base_prompts(cfg)

    # --- the one-question view: no dataset, no judging against a gold
    if cfg["ASK"] is not None:
        questions = ask_questions(cfg["ASK"])
        model, tokenizer = load_models(cfg, backend, smoke)
        runs = generate_runs(cfg, backend, smoke, model, tokenizer, questions)
        print(ask_view(list(questions["problem"]), runs))
        return

    # --- problems
    problems = eval_problems(cfg)
    config.print_main(f"evaluating on {len(problems)} problems ({describe_source(cfg)})")

    # --- models: the base, and the trained one (adapter switched on, or a merged folder)
    model, tokenizer = load_models(cfg, backend, smoke)
    runs = generate_runs(cfg, backend, smoke, model, tokenizer, problems)

    # --- judge and report
    judge.warm_up()
    report = build_report(cfg, problems, runs)
    out = eval_dir(cfg)
    write_report(report, out, cfg["NUM_EXAMPLES"], cfg["EXAMPLE_CHARS"])
    print(summary_table(report["metrics"]))
    print(report["headline"]["sentence"])
    print(judge_line(report["judge"]))
    for sentence in report.get("paired", {}).values():
        print(sentence["sentence"])
    print(f"wrote {out / 'comparison.json'}, comparison.md, comparison.png")


def check_vllm_settings(cfg: dict, backend: str) -> None:
    """What evaluate's vLLM path cannot do, refused in one line before any model loads: a merged model
    folder would start a second engine per process (Unsloth builds one per from_pretrained with
    fast_inference, and the base model's already holds its share of the GPU), vLLM samples only at
    temperatures from 0 to 2, and vLLM >= 0.28 loads 4-bit weights only with `vllm-bnb-plugin`."""
    if not (backend == "unsloth" and cfg["USE_VLLM"]):
        return
    if cfg["ADAPTER"] is not None and is_merged(cfg["ADAPTER"]):
        raise config.ConfigError(
            f"USE_VLLM=True with a merged model folder ({cfg['ADAPTER']}) would start a second vLLM engine beside "
            "the base model's: evaluate the run's adapter (RUN_DIR=<run>, or ADAPTER=<run>/final) or pass --USE_VLLM=False"
        )
    if cfg["NUM_SAMPLES"] > 1:
        models.check_vllm_temperature(cfg["TEMPERATURE"])
    models.check_vllm_bitsandbytes(cfg, backend)  # the base model loads as LOAD_IN_4BIT says


def check_base_prompts(cfg: dict) -> None:
    """BASE_PROMPTS names only known prompts, and the few-shot file is there, before any model loads."""
    unknown = set(cfg["BASE_PROMPTS"]) - set(prompts.BASE_PROMPTS)
    if unknown:
        raise config.ConfigError(f"BASE_PROMPTS: unknown {sorted(unknown)}; use any of {prompts.BASE_PROMPTS} or ()")
    if "fewshot" in cfg["BASE_PROMPTS"] and not Path(cfg["FEWSHOT_FILE"]).is_file():
        raise config.ConfigError(
            f"FEWSHOT_FILE not found: {cfg['FEWSHOT_FILE']} (or pass --BASE_PROMPTS=\"('native',)\")"
        )


# --- What is compared: the run, its adapter, the problems


def run_settings(cfg: dict, overrides: dict) -> dict:
    """The model/data/split settings of the training run (RUN_DIR, or the folder above the adapter)."""
    path = run_config_path(cfg)
    if path is None:
        return {}
    saved = json.loads(path.read_text())
    taken = {k: saved[k] for k in FROM_TRAINING if k in saved and k not in overrides}
    trained_budget = trained_completion_length(saved)
    if trained_budget and "MAX_NEW_TOKENS" not in overrides:  # a model that learnt to reason long is not cut short
        taken["MAX_NEW_TOKENS"] = trained_budget
    config.print_main(f"from the training run ({path}): " + ", ".join(f"{k}={v!r}" for k, v in taken.items()))
    return taken


def run_config_path(cfg: dict) -> Path | None:
    candidates = []  # the run that made the adapter first (an adapter path from another run), then RUN_DIR
    if cfg["ADAPTER"] is not None and Path(cfg["ADAPTER"]).is_dir():
        candidates.append(Path(cfg["ADAPTER"]).parent / "recipe_config.json")
    if cfg["RUN_DIR"] is not None:
        candidates.append(Path(cfg["RUN_DIR"]) / "recipe_config.json")
    return next((p for p in candidates if p.is_file()), None)


def resolve_adapter(cfg: dict, smoke: bool) -> str | None:
    """The adapter (or merged model) folder: a name inside RUN_DIR (final, checkpoint-N) or a path."""
    name = cfg["ADAPTER"]
    if name is None:
        return None
    inside = Path(cfg["RUN_DIR"]) / name if cfg["RUN_DIR"] is not None else None
    path = inside if inside is not None and inside.exists() else Path(name)
    if not (path / "adapter_config.json").is_file() and not (path / "config.json").is_file():
        hint = "python train_grpo.py --smoke" if smoke else "python train_grpo.py"
        shown = inside if inside is not None and not Path(name).exists() else path
        raise config.ConfigError(
            f"no LoRA adapter or model in {str(shown)!r} (run `{hint}` first, or pass --ADAPTER=None for the base model alone)"
        )
    return str(path)


def is_merged(adapter: str | None) -> bool:
    """A full model folder (merged export) rather than a LoRA adapter."""
    return adapter is not None and not (Path(adapter) / "adapter_config.json").is_file()


def adapter_steps(adapter: str | None) -> int | None:
    """GRPO steps behind an adapter: a checkpoint's trainer state, or the run's last logged step."""
    if adapter is None:
        return None
    path = Path(adapter)
    state = path / "trainer_state.json"
    if state.is_file():
        return json.loads(state.read_text()).get("global_step")
    if path.name == "final" and (path.parent / "recipe_config.json").is_file():
        return max((row.get("step", 0) for row in callbacks.read_metrics(path.parent / "metrics.jsonl")), default=0)
    return None


def eval_dir(cfg: dict) -> Path:
    if cfg["EVAL_DIR"] is not None:
        return Path(cfg["EVAL_DIR"])
    return Path(cfg["RUN_DIR"]) / "eval" if cfg["RUN_DIR"] is not None else Path("eval")


def eval_problems(cfg: dict):
    """The held-out split of the training data (same seed and size), or EVAL_DATASET."""
    if cfg["EVAL_DATASET"]:
        rows = data.load_rows(cfg["EVAL_DATASET"], cfg["EVAL_CONFIG"], cfg["EVAL_SPLIT"])
        problems, _ = data.to_problems(rows)
    else:
        rows = data.load_rows(cfg["DATASET_NAME"], cfg["DATASET_CONFIG"], cfg["DATASET_SPLIT"])
        _, problems = data.heldout_split(data.to_problems(rows)[0], cfg["EVAL_SIZE"], cfg["SEED"])
    if len(problems) == 0:
        raise config.ConfigError("no problems to evaluate: set EVAL_SIZE > 0 in training, or EVAL_DATASET")
    return problems.select(range(min(cfg["NUM_PROBLEMS"], len(problems))))


def describe_source(cfg: dict) -> str:
    if cfg["EVAL_DATASET"]:
        return f"{cfg['EVAL_DATASET']} [{cfg['EVAL_SPLIT']}]"
    return f"held-out split of {cfg['DATASET_NAME']}, EVAL_SIZE={cfg['EVAL_SIZE']}, SEED={cfg['SEED']}"


def ask_questions(ask: str):
    """The --ASK questions as a dataset with a `problem` column: one question, or a .txt file of them."""
    import datasets

    path = Path(ask)
    if path.suffix == ".txt":
        if not path.is_file():
            raise config.ConfigError(f"question file not found: {ask}")
        questions = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    else:
        questions = [ask.strip()]
    if not questions or not all(questions):
        raise config.ConfigError("ASK holds no question")
    return datasets.Dataset.from_dict({"problem": questions})


# --- Models and generation


def load_models(cfg: dict, backend: str, smoke: bool):
    """The base model, wrapped with the LoRA adapter (switchable) when ADAPTER is one."""
    adapter = cfg["ADAPTER"]
    model, tokenizer = models.load_model(cfg, backend, smoke, with_lora=False)
    if adapter is not None and not is_merged(adapter) and not (backend == "unsloth" and cfg["USE_VLLM"]):
        model = attach_adapter(model, adapter, cfg["MODEL_NAME"])  # vLLM takes the adapter per request instead
    if backend == "unsloth" and not cfg["USE_VLLM"]:
        from unsloth import FastLanguageModel

        FastLanguageModel.for_inference(model)  # Unsloth's fast generation path
    return model, tokenizer


BASE_PROMPT_LABELS = {
    "native": "its own chat template, zero-shot",
    "fewshot": "its own chat template, worked examples of FEWSHOT_FILE first",
}


def base_run_name(style: str) -> str:
    """The name of the base model's run under a BASE_PROMPTS style, in the report and its tables."""
    return f"base-{style}"


def generate_runs(cfg: dict, backend: str, smoke: bool, model, tokenizer, problems) -> dict:
    """{"base": records, "base-<prompt>": records per BASE_PROMPTS[, "trained": records]}: the same
    problems, decoding and seed; "base" and "trained" under the run's template, each base-<prompt>
    under the base model's own. Each run's generation time goes into its records' "seconds"."""
    generate = make_generator(cfg, backend, model, tokenizer)
    runs = {"base": timed(generate, problems, adapter=False)}
    for style in cfg["BASE_PROMPTS"]:
        runs[base_run_name(style)] = timed(generate, problems, adapter=False, style=style)
    if cfg["ADAPTER"] is None:
        return runs
    if is_merged(cfg["ADAPTER"]):  # a second full model, loaded like the base but in 16-bit
        merged, merged_tokenizer = models.load_model(merged_settings(cfg), backend, False, with_lora=False)
        runs["trained"] = timed(make_generator(cfg, backend, merged, merged_tokenizer), problems, adapter=False)
    else:
        runs["trained"] = timed(generate, problems, adapter=True)
    return runs


def merged_settings(cfg: dict) -> dict:
    """The settings a merged model folder loads with: its own weights in 16-bit, never LOAD_IN_4BIT. Its
    LoRA change is small against the weights; quantized again to NF4 it would survive only as rounding
    noise (and on Unsloth the base would be its pre-quantized twin, another scheme). Said in one line."""
    if cfg["LOAD_IN_4BIT"]:
        config.print_main(
            f"merged model {cfg['ADAPTER']}: loaded in 16-bit (4-bit would re-quantize the trained weights); "
            "the base model stays in 4-bit as LOAD_IN_4BIT says (--LOAD_IN_4BIT=False compares both in 16-bit)"
        )
    return {**cfg, "MODEL_NAME": cfg["ADAPTER"], "LOAD_IN_4BIT": False}


def timed(generate, problems, **kwargs) -> list[dict]:
    """generate(problems, **kwargs), each record holding the pass's wall time in "seconds"."""
    import time

    start = time.perf_counter()
    records = generate(problems, **kwargs)
    seconds = time.perf_counter() - start
    for record in records:
        record["seconds"] = seconds
    return records


def attach_adapter(model, adapter: str, model_name: str):
    """The base model wrapped with the LoRA in `adapter`; a clear error if it was made for another base."""
    warning = adapter_base_warning(adapter, model_name)
    if warning:
        config.print_main(warning)
    from peft import PeftModel

    try:
        return PeftModel.from_pretrained(model, adapter)
    except (RuntimeError, ValueError, KeyError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise config.ConfigError(f"adapter in {adapter!r} does not match base model {model_name!r}: {first}") from None


def adapter_base_warning(adapter: str, model_name: str) -> str | None:
    """A warning when the adapter was trained on another base model. Unsloth records its pre-quantized
    twin ("...-unsloth-bnb-4bit") when it trained in 4-bit: the same base (models.same_base_model)."""
    saved_base = json.loads((Path(adapter) / "adapter_config.json").read_text()).get("base_model_name_or_path")
    if saved_base and not models.same_base_model(saved_base, model_name):
        return f"warning: adapter was trained on {saved_base!r}, evaluating on {model_name!r}"
    return None


def make_generator(cfg: dict, backend: str, model, tokenizer):
    """generate(problems, adapter) -> per problem: {"completions": [...], "tokens": [...], "truncated": [...]}.

    Completion 0 is greedy; NUM_SAMPLES > 1 adds that many sampled completions for pass@k.
    """
    if backend == "unsloth" and cfg["USE_VLLM"]:
        return _vllm_generator(cfg, model, tokenizer)
    return _hf_generator(cfg, model, tokenizer)


def _prompts(problems, tokenizer, style: str = "recipe", fewshot_file: str = FEWSHOT_FILE) -> list[str]:
    """The prompt texts: the run's template with the recipe's system prompt ("recipe"), or a base prompt
    (prompts.base_prompt_text: the model's own template, zero-shot or few-shot)."""
    if style == "recipe":
        return [
            tokenizer.apply_chat_template(prompts.build_prompt(p), tokenize=False, add_generation_prompt=True)
            for p in problems["problem"]
        ]
    examples = prompts.fewshot_examples(Path(fewshot_file)) if style == "fewshot" else []
    return [prompts.base_prompt_text(p, tokenizer, style, examples) for p in problems["problem"]]


def stop_token_ids(tokenizer, model, style: str = "recipe") -> set:
    """Every token a completion ends at: the tokenizer's EOS and the generation config's; for a base
    prompt (`style` native / fewshot) also the end of turn of the model's own template, which a run's
    template may not use (the recipe's), so the run's own completions stop exactly as in training."""
    stops = {tokenizer.eos_token_id, *models.generation_stops(model)}
    own = prompts.native_template(tokenizer) if style != "recipe" else None
    if own is not None:
        stops.add(prompts.turn_end_id(tokenizer, own))
    return stops - {None}


def base_completion(text: str, tokens: int, truncated: bool, tokenizer) -> tuple[str, int, bool]:
    """A base prompt's completion cut where the model starts a question of its own (plain-text few-shot):
    what follows is not its answer, and an answer given before the cut was not truncated."""
    cut = prompts.cut_next_question(text)
    if cut == text.rstrip():
        return text, tokens, truncated
    return cut, len(tokenizer(cut, add_special_tokens=False)["input_ids"]), False


def _hf_generator(cfg: dict, model, tokenizer):
    import torch
    from tqdm import tqdm

    tokenizer.padding_side = "left"  # decoder-only batching: pad on the left so generation continues the prompt
    model.eval()
    device = next(model.parameters()).device

    def run(texts: list[str], sample: bool, stop_ids: set) -> list[tuple[str, int, bool]]:
        """One batch; generate() stops at any of `stop_ids` (Qwen3: <|endoftext|> and <|im_end|>)."""
        batch = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(device)
        budgets = token_budgets(cfg, batch["attention_mask"].sum(dim=1).tolist())
        options = (
            {
                "do_sample": True,
                "temperature": cfg["TEMPERATURE"],
                "min_p": cfg["MIN_P"],
                "top_k": 0,
            }
            if sample
            else {"do_sample": False}
        )
        with torch.no_grad():
            out = model.generate(
                **batch,
                max_new_tokens=max(max(budgets), 1),
                pad_token_id=tokenizer.pad_token_id,
                eos_token_id=sorted(stop_ids),
                **options,
            )
        results = []
        for row, budget in zip(out[:, batch["input_ids"].shape[1] :].tolist(), budgets, strict=True):
            ids, truncated = cut_at_budget(row, stop_ids, budget)
            results.append((tokenizer.decode(ids, skip_special_tokens=True), len(ids), truncated))
        return results

    def generate(problems, adapter: bool, style: str = "recipe") -> list[dict]:
        torch.manual_seed(cfg["SEED"])
        texts = _prompts(problems, tokenizer, style, cfg["FEWSHOT_FILE"])
        budgets = token_budgets(cfg, data.count_tokens(tokenizer, texts))
        records = [{"completions": [], "tokens": [], "truncated": [], "budget": b} for b in budgets]
        stop_ids = stop_token_ids(tokenizer, model, style)
        if not hasattr(model, "disable_adapter"):
            switch = contextlib.nullcontext()
        elif not adapter:
            switch = model.disable_adapter()
        else:
            switch = _merged_adapter(model)
        passes = [False] + [True] * (cfg["NUM_SAMPLES"] if cfg["NUM_SAMPLES"] > 1 else 0)
        with (
            switch,
            tqdm(total=len(texts) * len(passes), desc="trained" if adapter else f"base ({style})") as bar,
        ):
            for sample in passes:
                for start in range(0, len(texts), cfg["BATCH_SIZE"]):
                    for record, (text, n, cut) in zip(
                        records[start:],
                        run(texts[start : start + cfg["BATCH_SIZE"]], sample, stop_ids),
                        strict=False,
                    ):
                        if style != "recipe":
                            text, n, cut = base_completion(text, n, cut, tokenizer)
                        record["completions"].append(text)
                        record["tokens"].append(n)
                        record["truncated"].append(cut)
                    bar.update(min(cfg["BATCH_SIZE"], len(texts) - start))
        return records

    return generate


def token_budgets(cfg: dict, prompt_lengths: list[int]) -> list[int]:
    """Each prompt's completion budget, one rule for both generators: MAX_NEW_TOKENS, but prompt +
    completion never past MAX_SEQ_LENGTH (vLLM's max_model_len, which Unsloth sets to it); 0 for a
    prompt that fills it (no completion: vLLM would raise on it).

    >>> token_budgets({"MAX_NEW_TOKENS": 100, "MAX_SEQ_LENGTH": 512}, [20, 450, 600])
    [100, 62, 0]
    """
    return [max(0, min(cfg["MAX_NEW_TOKENS"], cfg["MAX_SEQ_LENGTH"] - n)) for n in prompt_lengths]


def cut_at_budget(ids: list[int], stop_ids: set, budget: int) -> tuple[list[int], bool]:
    """A generated row up to its first stop token and within its budget: (completion ids without the
    stop token, truncated = no stop token within the budget).

    >>> cut_at_budget([5, 6, 2, 9], {2}, 10), cut_at_budget([5, 6, 7, 2], {2}, 3), cut_at_budget([5], {2}, 0)
    (([5, 6], False), ([5, 6, 7], True), ([], True))
    """
    end = next((i for i, token in enumerate(ids[:budget]) if token in stop_ids), None)
    return (ids[:budget], True) if end is None else (ids[:end], False)


def vllm_completion(text: str, token_ids, finish_reason: str | None, stop_ids: set) -> tuple[str, int, bool]:
    """(text, tokens, truncated) of one vLLM output, counted as the HF path counts: vLLM's token_ids
    end with the EOS when it stopped on one, which the HF count leaves out.

    >>> vllm_completion("4", [7, 2], "stop", {2}), vllm_completion("44", [7, 7], "length", {2})
    (('4', 1, False), ('44', 2, True))
    """
    ids = list(token_ids)
    if finish_reason == "stop" and ids and ids[-1] in stop_ids:
        ids = ids[:-1]
    return text, len(ids), finish_reason == "length"


@contextlib.contextmanager
def _merged_adapter(model):
    """Generate with the LoRA merged into float base weights (the same function, ~4x faster on CPU:
    no extra low-rank matmuls per layer per token), unmerged afterwards. 4-bit weights stay unmerged."""
    quantized = getattr(model, "is_quantized", False) or getattr(model.base_model.model, "is_loaded_in_4bit", False)
    if quantized:
        yield
        return
    model.merge_adapter()
    try:
        yield
    finally:
        model.unmerge_adapter()


def _vllm_generator(cfg: dict, model, tokenizer):
    # The model comes from from_pretrained alone (no get_peft_model), which has a vLLM engine but no
    # `load_lora` method: Unsloth attaches that only in patch_peft_fast_inference. unsloth_zoo's
    # function needs only the engine, and reads the saved adapter from disk.
    from unsloth_zoo.vllm_utils import load_lora
    from vllm import SamplingParams

    lora = load_lora(model, cfg["ADAPTER"]) if cfg["ADAPTER"] is not None else None

    def generate(problems, adapter: bool, style: str = "recipe") -> list[dict]:
        texts = _prompts(problems, tokenizer, style, cfg["FEWSHOT_FILE"])
        # the run's template: vLLM's own stops, as in training; a base prompt: also its template's end of turn
        stop_ids = {tokenizer.eos_token_id} - {None} if style == "recipe" else stop_token_ids(tokenizer, model, style)
        budgets = token_budgets(cfg, data.count_tokens(tokenizer, texts))
        room = [i for i, budget in enumerate(budgets) if budget > 0]  # vLLM raises on a prompt past max_model_len
        request = {"lora_request": lora} if adapter else {}
        outputs = {i: [] for i in range(len(texts))}
        passes = [(0.0, 1)] + ([(cfg["TEMPERATURE"], cfg["NUM_SAMPLES"])] if cfg["NUM_SAMPLES"] > 1 else [])
        for temperature, n in passes:
            params = [
                SamplingParams(
                    temperature=temperature,
                    min_p=models.vllm_min_p(cfg["MIN_P"]) if temperature else 0.0,
                    n=n,
                    max_tokens=budgets[i],
                    seed=cfg["SEED"],
                    stop_token_ids=None if style == "recipe" else sorted(stop_ids),  # None: vLLM's default
                )
                for i in room
            ]
            done = model.fast_generate([texts[i] for i in room], sampling_params=params, **request) if room else []
            for i, result in zip(room, done, strict=True):
                finished = [vllm_completion(o.text, o.token_ids, o.finish_reason, stop_ids) for o in result.outputs]
                if style != "recipe":
                    finished = [base_completion(*f, tokenizer) for f in finished]
                outputs[i].extend(finished)
            for i in set(outputs) - set(room):  # no room left for a completion: empty and truncated
                outputs[i].extend([("", 0, True)] * n)
        return [
            {
                "completions": [text for text, _, _ in outs],
                "tokens": [tokens for _, tokens, _ in outs],
                "truncated": [cut for _, _, cut in outs],
                "budget": budgets[i],
            }
            for i, outs in outputs.items()
        ]

    return generate


# --- Judging and metrics (pure: tested on fixed completions)


def judge_completion(completion: str, gold: str) -> dict:
    """The reward's verdict on one completion: strict verdict and correctness (the solution block),
    lenient correctness (the answer wherever a grader would look), exact format, and whether the
    judge ran out of its CPU budget and judged again with a larger one (`rejudged`)."""
    verdict, rejudged = judge.judge_patiently(judge.extract_answer(completion), gold)
    lenient = verdict == judge.EQUIVALENT
    if not lenient:
        lenient_verdict, lenient_rejudged = judge.judge_patiently(judge.lenient_answer(completion), gold)
        lenient, rejudged = lenient_verdict == judge.EQUIVALENT, rejudged or lenient_rejudged
    exact = rewards.match_format_exactly(None, [completion])[0] == rewards.FORMAT_EXACT
    return {
        "verdict": verdict,
        "correct": verdict == judge.EQUIVALENT,
        "lenient": lenient,
        "exact_format": exact,
        "rejudged": rejudged,
    }


def pass_at_ks(num_samples: int, configured) -> list[int]:
    """The k values reported for n samples: the configured ones up to n, or 1, 2, 4, ... up to n."""
    if configured is not None:
        return sorted({k for k in configured if 1 <= k <= num_samples})
    return sorted({2**i for i in range(num_samples.bit_length()) if 2**i <= num_samples} | {num_samples})


def model_metrics(records: list[dict], pass_k=None) -> dict:
    """Counts and rates of one model: greedy strict and lenient accuracy, exact-format and truncation
    rate (each with its Wilson interval), mean completion tokens, and with samples pass@1 / pass@k."""
    n = len(records)
    greedy = [r["judged"][0] for r in records]

    def rate(successes: int) -> dict:
        low, high = statistics.wilson_interval(successes, n)
        return {"value": successes / n, "low": low, "high": high, "count": successes, "n": n}

    result = {
        "strict_accuracy": rate(sum(j["correct"] for j in greedy)),
        "lenient_accuracy": rate(sum(j["lenient"] for j in greedy)),
        "format_rate": rate(sum(j["exact_format"] for j in greedy)),
        "truncation_rate": rate(sum(r["truncated"][0] for r in records)),
        "mean_tokens": {"value": sum(r["tokens"][0] for r in records) / n},
    }
    samples = len(records[0]["judged"]) - 1
    if samples > 1:
        for kind, key in (("strict", "correct"), ("lenient", "lenient")):
            right = [sum(j[key] for j in r["judged"][1:]) for r in records]
            for k in pass_at_ks(samples, pass_k):
                value = sum(statistics.pass_at_k(samples, c, k) for c in right) / n
                result[f"{kind}_pass@{k}"] = {"value": value}
    return result


def build_report(cfg: dict, problems, runs: dict) -> dict:
    """Per-problem records for each model, metrics per model, what was compared, and the paired tests."""
    per_problem = []
    for i, (problem, gold) in enumerate(zip(problems["problem"], problems["answer"], strict=True)):
        entry = {"problem": problem, "gold": gold}
        for name, records in runs.items():
            record = records[i]
            record["judged"] = [judge_completion(c, gold) for c in record["completions"]]
            entry[name] = record
        per_problem.append(entry)
    judged = [j for p in per_problem for name in runs for j in p[name]["judged"]]
    report = {
        "judge": {  # answers whose judgement ran out of CPU budget once, and those still undecided after
            "rejudged": sum(j["rejudged"] for j in judged),
            "undecided": sum(j["verdict"] == judge.TIMEOUT for j in judged),
            "retry_budget_scale": judge.RETRY_BUDGET_SCALE,
        },
        "setup": {
            **describe_setup(cfg, len(per_problem)),
            "prompts past the budget": budget_line(cfg, per_problem),
            "generation time": generation_times(runs),
        },
        "metrics": {name: model_metrics([p[name] for p in per_problem], cfg["PASS_AT_K"]) for name in runs},
        "config": {k: cfg[k] for k in CONFIG},
        "problems": per_problem,
    }
    report["headline"] = headline(report["metrics"], per_problem)
    if "trained" in runs:
        for kind, key in (("strict", "correct"), ("lenient", "lenient")):
            before = [p["base"]["judged"][0][key] for p in per_problem]
            after = [p["trained"]["judged"][0][key] for p in per_problem]
            test = statistics.paired_test(before, after)
            report.setdefault("paired", {})[kind] = {**test, "sentence": f"{kind}: {statistics.describe_paired(test)}"}
            if kind == "strict":
                report["fixed"] = [i for i, (b, a) in enumerate(zip(before, after, strict=True)) if a and not b]
                report["broken"] = [i for i, (b, a) in enumerate(zip(before, after, strict=True)) if b and not a]
    return report


def headline(metrics_by_name: dict, per_problem: list[dict]) -> dict:
    """The trained model against the base model at its best: the base prompt with the highest lenient
    accuracy (a tie goes to the earlier prompt in the report), with the exact paired test on lenient
    verdicts against that prompt. Picking the best prompt on these same problems favours the base, so
    a gain that survives it is not an artefact of a prompt that cripples the base model."""
    bases = [name for name in metrics_by_name if name != "trained"]
    best = max(bases, key=lambda name: (metrics_by_name[name]["lenient_accuracy"]["count"], -bases.index(name)))
    base_rate = metrics_by_name[best]["lenient_accuracy"]
    result = {"base_prompt": best, "base_lenient": base_rate["value"]}
    if "trained" not in metrics_by_name:
        result["sentence"] = (
            f"Base model at its best: {best}, lenient {statistics.rate_with_interval(base_rate['count'], base_rate['n'])}."
        )
        return result
    before = [p[best]["judged"][0]["lenient"] for p in per_problem]
    after = [p["trained"]["judged"][0]["lenient"] for p in per_problem]
    test = statistics.paired_test(before, after)
    trained_rate = metrics_by_name["trained"]["lenient_accuracy"]
    result.update(trained_lenient=trained_rate["value"], paired=test)
    result["sentence"] = (
        f"Headline, trained vs the base model at its best prompt ({best}), lenient accuracy: "
        f"{statistics.rate_with_interval(trained_rate['count'], trained_rate['n'])} vs "
        f"{statistics.rate_with_interval(base_rate['count'], base_rate['n'])}; {statistics.describe_paired(test)}."
    )
    return result


def generation_times(runs: dict) -> str:
    """Each run's generation pass in seconds: what every extra base prompt costs."""
    return ", ".join(f"{name} {records[0].get('seconds', 0.0):.1f} s" for name, records in runs.items() if records)


def budget_line(cfg: dict, per_problem: list[dict]) -> str:
    """How many prompts leave less than MAX_NEW_TOKENS (or no room at all) before MAX_SEQ_LENGTH."""
    if not all("budget" in p["base"] for p in per_problem):
        return "not recorded"
    budgets = [p["base"]["budget"] for p in per_problem]
    short = sum(0 < b < cfg["MAX_NEW_TOKENS"] for b in budgets)
    none = sum(b == 0 for b in budgets)
    return (
        f"{short} of {len(budgets)} prompts leave fewer than {cfg['MAX_NEW_TOKENS']} new tokens before "
        f"MAX_SEQ_LENGTH={cfg['MAX_SEQ_LENGTH']} (their budget is cut to fit), {none} leave none (no completion)"
    )


def describe_setup(cfg: dict, n: int) -> dict:
    """Exactly what was compared: models, adapter and its steps, data, decoding, seed, versions."""
    decoding = f"greedy, at most {cfg['MAX_NEW_TOKENS']} new tokens ({new_tokens_source(cfg)})"
    if cfg["NUM_SAMPLES"] > 1:
        decoding += f"; {cfg['NUM_SAMPLES']} samples at temperature {cfg['TEMPERATURE']}, min_p {cfg['MIN_P']}"
    return {
        "base model": cfg["MODEL_NAME"],
        "trained": "none (base model alone)"
        if cfg["ADAPTER"] is None
        else f"{'merged model' if is_merged(cfg['ADAPTER']) else 'LoRA adapter'} {cfg['ADAPTER']}",
        "GRPO steps": adapter_steps(cfg["ADAPTER"]),
        "chat template": f"{cfg['CHAT_TEMPLATE']} (base and trained)",
        "base prompts": ", ".join(
            [f"{base_run_name(style)} ({BASE_PROMPT_LABELS[style]})" for style in cfg["BASE_PROMPTS"] or ()] or ["none"]
        ),
        "problems": describe_source(cfg),
        "N": n,
        "decoding": decoding,
        "seed": cfg["SEED"],
        "versions": models.library_versions(LIBRARIES),
    }


def trained_completion_length(saved: dict) -> int | None:
    """The completion length a training run's recipe_config.json says it trained with."""
    return saved.get("resolved", {}).get("grpo", {}).get("max_completion_length")


def new_tokens_source(cfg: dict) -> str:
    """Where the completion budget came from, for the report."""
    path = run_config_path(cfg)
    if path and trained_completion_length(json.loads(path.read_text())) == cfg["MAX_NEW_TOKENS"]:
        return "the completion length the run trained with"
    return "set for this evaluation" if cfg["MAX_NEW_TOKENS"] != DEFAULT_NEW_TOKENS else "the default"


ROWS = (  # metric key -> label in the table, in the order a reader needs them
    ("strict_accuracy", "strict accuracy (solution block)"),
    ("lenient_accuracy", "lenient accuracy (final answer anywhere)"),
    ("format_rate", "exact format"),
    ("truncation_rate", "truncated"),
    ("mean_tokens", "mean completion tokens"),
)


def _cell(entry: dict, key: str) -> str:
    if key == "mean_tokens":
        return f"{entry['value']:.1f}"
    if "count" not in entry:  # pass@k: an estimate without an interval
        return f"{100 * entry['value']:.1f} %"
    return statistics.rate_with_interval(entry["count"], entry["n"])


def summary_table(model_metrics_by_name: dict) -> str:
    names = list(model_metrics_by_name)
    first = model_metrics_by_name[names[0]]
    rows = [(key, label) for key, label in ROWS] + [(k, k) for k in first if "pass@" in k]
    lines = ["| metric | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for key, label in rows:
        lines.append(f"| {label} | " + " | ".join(_cell(model_metrics_by_name[n][key], key) for n in names) + " |")
    return "\n".join(lines)


def write_report(report: dict, out: Path, num_examples: int, example_chars: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "comparison.json").write_text(json.dumps(report, indent=1, default=str))
    lines = ["# Before / after GRPO", "", report["headline"]["sentence"], ""]
    lines += [summary_table(report["metrics"]), "", "Rates with 95 % Wilson intervals.", ""]
    lines += [
        "`base` is the base model under the run's template and system prompt; `base-native` under its own chat "
        "template, zero-shot; `base-fewshot` the same with worked examples first. The tag-free prompts can only "
        "earn lenient accuracy.",
        "",
    ]
    lines += [judge_line(report["judge"]), ""]
    if "paired" in report:
        lines += [
            f"Problems the trained model fixed: {len(report['fixed'])}; broke: {len(report['broken'])} (strict).",
            "",
            *[f"- {test['sentence']}" for test in report["paired"].values()],
            "",
        ]
    lines += ["## What was compared", "", *[f"- {k}: {v}" for k, v in report["setup"].items()], ""]
    if "paired" in report:
        shown = (report["fixed"] + report["broken"])[:num_examples] or list(
            range(min(num_examples, len(report["problems"])))
        )
        for i in shown:
            p = report["problems"][i]
            lines += [f"## Problem {i}", "", p["problem"], "", f"Gold: `{p['gold']}`", ""]
            for name in ("base", "trained"):
                j = p[name]["judged"][0]
                lines += [
                    f"**{name}** ({j['verdict']}):",
                    "",
                    "```",
                    p[name]["completions"][0][:example_chars],
                    "```",
                    "",
                ]
    (out / "comparison.md").write_text("\n".join(lines))
    plot_comparison(report["metrics"], out / "comparison.png")


def judge_line(counts: dict) -> str:
    """How many completions the judge had to re-judge with a larger budget, said in one line."""
    return (
        f"Judge: {counts['rejudged']} completion(s) re-judged with {counts['retry_budget_scale']}x the CPU budget "
        f"after a timeout; {counts['undecided']} still undecided (counted as not correct)."
    )


def plot_comparison(model_metrics_by_name: dict, path: Path) -> None:
    """Strict and lenient accuracy (and format rate) per model, with their 95 % intervals as error bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [
        ("strict_accuracy", "strict accuracy"),
        ("lenient_accuracy", "lenient accuracy"),
        ("format_rate", "exact format"),
    ]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    width = 0.8 / len(model_metrics_by_name)
    for i, (name, m) in enumerate(model_metrics_by_name.items()):
        values = [100 * m[k]["value"] for k, _ in keys]
        errors = [
            [100 * (m[k]["value"] - m[k]["low"]) for k, _ in keys],
            [100 * (m[k]["high"] - m[k]["value"]) for k, _ in keys],
        ]
        ax.bar([x + i * width for x in range(len(keys))], values, width, yerr=errors, capsize=4, label=name)
    ax.set_xticks(
        [x + width * (len(model_metrics_by_name) - 1) / 2 for x in range(len(keys))], [label for _, label in keys]
    )
    ax.set_ylabel("% of problems (95 % interval)")
    ax.set_ylim(0, 100)
    ax.legend()
    ax.set_title("Base vs GRPO-trained")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def ask_view(questions: list[str], runs: dict) -> str:
    """Each question with every model's completion and the answers the judge would extract."""
    lines = []
    for i, question in enumerate(questions):
        lines += ["=" * 80, f"Q: {question}"]
        for name, records in runs.items():
            completion = records[i]["completions"][0]
            strict, lenient = judge.extract_answer(completion), judge.lenient_answer(completion)
            lines += [
                f"--- {name}: solution block {strict!r}, final answer {lenient!r} ({records[i]['tokens'][0]} tokens)",
                completion.strip(),
            ]
    return "\n".join(lines)


if __name__ == "__main__":
    config.run_main(main)
