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

import json
import sys
from pathlib import Path

import judge
import prompts
import train_grpo as training  # the recipe's settings: the defaults below when no training run is read
from recipe import callbacks, checks, comparison, config, data, documents, generation, models, runs

# --- What to compare
RUN_DIR = "outputs/qwen3-4b-grpo"  # the training run: its recipe_config.json names base model, data, split; None = none
ADAPTER = (
    "final"  # in RUN_DIR: final | checkpoint-N; or a path to an adapter or a merged model folder; None = base alone
)
MODEL_NAME = training.MODEL_NAME  # base model; read from the training run when there is one
BACKEND = training.BACKEND  # auto | unsloth | hf (as in train_grpo.py)
MAX_SEQ_LENGTH = training.MAX_SEQ_LENGTH  # tokens, prompt + completion
LOAD_IN_4BIT = training.LOAD_IN_4BIT  # read from the training run
CPU = False  # True: evaluate on CPU (hf backend, fp32, no 4-bit); small models only
LORA_RANK = training.LORA_RANK  # max LoRA rank vLLM reserves (Unsloth + USE_VLLM); read from the training run
CHAT_TEMPLATE = (
    training.CHAT_TEMPLATE
)  # recipe | native: the template the run trained with (train_grpo.py); read from the run

# --- Data (the held-out split of the training data unless EVAL_DATASET is set)
DATASET_NAME = training.DATASET_NAME  # the training dataset; read from the training run
DATASET_CONFIG = training.DATASET_CONFIG
DATASET_SPLIT = training.DATASET_SPLIT
EVAL_SIZE = training.EVAL_SIZE  # problems train_grpo.py held out; read from the training run
SEED = training.SEED  # split seed and generation seed; read from the training run
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
TEMPERATURE = training.TEMPERATURE  # for the sampled completions
MIN_P = training.MIN_P  # for the sampled completions
USE_VLLM = False  # Unsloth backend: generate with vLLM (fast_generate, adapter via lora_request)
VLLM_GPU_MEMORY_UTILIZATION = training.VLLM_GPU_MEMORY_UTILIZATION  # share of GPU memory vLLM may take

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
LIBRARIES = ("torch", "transformers", "trl", "peft", "math-verify")  # versions stated in the report
# What must match the training run for the held-out split and the base weights to be the same: the
# run's identity (the settings a resumed run refuses to change) that this evaluation also has.
FROM_TRAINING = tuple(name for name in runs.RUN_IDENTITY if name in CONFIG)


def main(argv: list[str] | None = None) -> None:
    # --- config: defaults < smoke < the training run's settings < command line
    cfg, flags = config.resolve_config(CONFIG, sys.argv[1:] if argv is None else argv, SMOKE, inherit=run_settings)
    smoke = "smoke" in flags
    checks.require_gpu_or_smoke(smoke, cfg["CPU"], "evaluate.py")
    cfg = checks.apply_cpu_mode(cfg)
    cfg["ADAPTER"] = resolve_adapter(cfg, smoke)
    if cfg["MAX_NEW_TOKENS"] is None:
        cfg["MAX_NEW_TOKENS"] = cfg["DEFAULT_NEW_TOKENS"]
        config.print_main(f"MAX_NEW_TOKENS: no training run to read, so {cfg['DEFAULT_NEW_TOKENS']} new tokens")
    backend = checks.choose_backend(cfg["BACKEND"], smoke)
    check_vllm_settings(cfg, backend)
    check_base_prompts(cfg)

    # --- the one-question view: no dataset, no judging against a gold
    if cfg["ASK"] is not None:
        questions = ask_questions(cfg["ASK"])
        model, tokenizer = generation.load_models(cfg, backend, smoke)
        outputs = generation.generate_runs(cfg, backend, model, tokenizer, questions)
        print(documents.ask_view(list(questions["problem"]), outputs))
        return

    # --- problems
    problems = eval_problems(cfg)
    config.print_main(f"evaluating on {len(problems)} problems ({describe_source(cfg)})")

    # --- models: the base, and the trained one (adapter switched on, or a merged folder)
    model, tokenizer = generation.load_models(cfg, backend, smoke)
    outputs = generation.generate_runs(cfg, backend, model, tokenizer, problems)

    # --- judge and report
    judge.warm_up()
    settings = {k: cfg[k] for k in CONFIG}  # what the report records as this evaluation's config
    report = comparison.build_report(settings, problems, outputs, describe_setup(cfg, len(problems)))
    out = eval_dir(cfg)
    documents.write_report(report, out, cfg["NUM_EXAMPLES"], cfg["EXAMPLE_CHARS"])
    print(documents.summary_table(report["metrics"]))
    print(report["headline"]["sentence"])
    print(documents.judge_line(report["judge"]))
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
    if cfg["ADAPTER"] is not None and generation.is_merged(cfg["ADAPTER"]):
        raise config.ConfigError(
            f"USE_VLLM=True with a merged model folder ({cfg['ADAPTER']}) would start a second vLLM engine beside "
            "the base model's: evaluate the run's adapter (RUN_DIR=<run>, or ADAPTER=<run>/final) or pass --USE_VLLM=False"
        )
    if cfg["NUM_SAMPLES"] > 1:
        checks.check_vllm_temperature(cfg["TEMPERATURE"])
    checks.check_vllm_bitsandbytes(cfg, backend)  # the base model loads as LOAD_IN_4BIT says


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


# --- What the report says about the setup


def describe_setup(cfg: dict, n: int) -> dict:
    """Exactly what was compared: models, adapter and its steps, data, decoding, seed, versions."""
    decoding = f"greedy, at most {cfg['MAX_NEW_TOKENS']} new tokens ({new_tokens_source(cfg)})"
    if cfg["NUM_SAMPLES"] > 1:
        decoding += f"; {cfg['NUM_SAMPLES']} samples at temperature {cfg['TEMPERATURE']}, min_p {cfg['MIN_P']}"
    return {
        "base model": cfg["MODEL_NAME"],
        "trained": "none (base model alone)"
        if cfg["ADAPTER"] is None
        else f"{'merged model' if generation.is_merged(cfg['ADAPTER']) else 'LoRA adapter'} {cfg['ADAPTER']}",
        "GRPO steps": adapter_steps(cfg["ADAPTER"]),
        "chat template": f"{cfg['CHAT_TEMPLATE']} (base and trained)",
        "base prompts": ", ".join(
            [
                f"{generation.base_run_name(style)} ({generation.BASE_PROMPT_LABELS[style]})"
                for style in cfg["BASE_PROMPTS"] or ()
            ]
            or ["none"]
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
    return "set for this evaluation" if cfg["MAX_NEW_TOKENS"] != cfg["DEFAULT_NEW_TOKENS"] else "the default"


if __name__ == "__main__":
    config.run_main(main)
