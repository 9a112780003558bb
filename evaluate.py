"""Before/after: accuracy, format and length of the base model and base + trained LoRA on held-out problems.

    python evaluate.py                                   # after `python train_grpo.py`
    python evaluate.py --ADAPTER_DIR=outputs/long/final --NUM_PROBLEMS=500
    python evaluate.py --EVAL_DATASET=HuggingFaceH4/MATH-500 --EVAL_SPLIT=test
    python evaluate.py --EVAL_DATASET=openai/gsm8k --EVAL_CONFIG=main --EVAL_SPLIT=test
    python evaluate.py --NUM_SAMPLES=8                   # adds pass@8 with sampling
    python evaluate.py --smoke                           # CPU, tiny model, after train_grpo.py --smoke

Both models get the same chat template and system prompt, and every completion is judged by the
reward's own code (judge.extract_answer + judge.judge_answer, rewards.match_format_exactly), so
"accuracy" here and check_answer's reward during training mean the same thing. Model, data and split
settings are read from the training run (ADAPTER_DIR/../recipe_config.json) so the held-out problems
are exactly the ones training did not see; --NAME=value overrides still win.
"""

import json
import sys
from pathlib import Path

import config
import data
import judge
import models
import rewards

# --- Models
MODEL_NAME = "unsloth/Qwen3-4B-Base"  # base model; read from the training run when available
BACKEND = "auto"  # auto | unsloth | hf (as in train_grpo.py)
MAX_SEQ_LENGTH = 2048  # tokens
LOAD_IN_4BIT = True
ADAPTER_DIR = "outputs/qwen3-4b-grpo/final"  # the trained LoRA; None = evaluate the base model alone
LORA_RANK = 32  # max LoRA rank vLLM reserves (Unsloth + USE_VLLM); read from the training run

# --- Data (the held-out split of the training data unless EVAL_DATASET is set)
DATASET_NAME = "open-r1/DAPO-Math-17k-Processed"  # the training dataset; read from the training run
DATASET_CONFIG = "en"
DATASET_SPLIT = "train"
EVAL_SIZE = 200  # problems train_grpo.py held out; read from the training run
SEED = 3407  # split seed and generation seed; read from the training run
EVAL_DATASET = None  # another dataset instead (Hub id or local file): openr1 / dapo / gsm8k / MATH-500 schemas
EVAL_CONFIG = None  # its Hub config (gsm8k: "main")
EVAL_SPLIT = "test"
NUM_PROBLEMS = 200  # at most this many problems

# --- Generation
MAX_NEW_TOKENS = 1024  # completion budget; hitting it counts as truncated
BATCH_SIZE = 16  # prompts per generate call
NUM_SAMPLES = 1  # 1 = greedy pass@1 only; k > 1 adds pass@k from k sampled completions
TEMPERATURE = 1.0  # for the pass@k samples
MIN_P = 0.1  # for the pass@k samples
USE_VLLM = False  # Unsloth backend: generate with vLLM (fast_generate, adapter via lora_request)
VLLM_GPU_MEMORY_UTILIZATION = 0.6

# --- Output
EVAL_DIR = "outputs/qwen3-4b-grpo/eval"  # comparison.json, comparison.md, comparison.png
NUM_EXAMPLES = 3  # side-by-side examples in comparison.md
EXAMPLE_CHARS = 1500  # each example completion is cut to this many characters there

# --- Smoke (--smoke: CPU, the tiny offline model, the adapter from `train_grpo.py --smoke`)
SMOKE = {
    "MODEL_NAME": "tiny-random-qwen3",
    "ADAPTER_DIR": "runs/smoke/final",
    "DATASET_NAME": data.SAMPLE_DATASET,
    "DATASET_CONFIG": None,
    "EVAL_SIZE": 20,
    "NUM_PROBLEMS": 20,
    "MAX_NEW_TOKENS": 24,
    "LOAD_IN_4BIT": False,
    "EVAL_DIR": "runs/smoke/eval",
}

CONFIG = {k: v for k, v in globals().items() if k.isupper() and k != "SMOKE"}
# What must match the training run for the held-out split and the base weights to be the same.
FROM_TRAINING = (
    "MODEL_NAME",
    "MAX_SEQ_LENGTH",
    "LOAD_IN_4BIT",
    "LORA_RANK",
    "DATASET_NAME",
    "DATASET_CONFIG",
    "DATASET_SPLIT",
    "EVAL_SIZE",
    "SEED",
)


def main(argv: list[str] | None = None) -> None:
    # --- config: defaults < smoke < the training run's settings < command line
    cfg, flags = config.resolve_config(
        CONFIG,
        sys.argv[1:] if argv is None else argv,
        SMOKE,
        inherit=lambda settings, overrides: training_settings(settings["ADAPTER_DIR"], exclude=overrides),
    )
    smoke = "smoke" in flags
    models.require_gpu_or_smoke(smoke, "evaluate.py")
    backend = models.choose_backend(cfg["BACKEND"], smoke)

    # --- problems
    problems = eval_problems(cfg)
    config.print_main(f"evaluating on {len(problems)} problems ({describe_source(cfg)})")

    # --- models: the base, and the base with the adapter switched on
    model, tokenizer = load_models(cfg, backend, smoke)
    generate = make_generator(cfg, backend, model, tokenizer)
    runs = {"base": generate(problems, adapter=False)}
    if cfg["ADAPTER_DIR"] is not None:
        runs["trained"] = generate(problems, adapter=True)

    # --- judge and report
    report = build_report(cfg, problems, runs)
    out = Path(cfg["EVAL_DIR"])
    write_report(report, out, cfg["NUM_EXAMPLES"], cfg["EXAMPLE_CHARS"])
    print(summary_table(report["metrics"]))
    print(f"wrote {out / 'comparison.json'}, comparison.md, comparison.png")


def training_settings(adapter_dir, exclude) -> dict:
    """The model/data/split settings of the run that produced `adapter_dir`, if it saved them."""
    if adapter_dir is None:
        return {}
    path = Path(adapter_dir).parent / "recipe_config.json"
    if not path.is_file():
        return {}
    saved = json.loads(path.read_text())
    taken = {k: saved[k] for k in FROM_TRAINING if k in saved and k not in exclude}
    config.print_main(f"from the training run ({path}): " + ", ".join(f"{k}={v!r}" for k, v in taken.items()))
    return taken


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


def load_models(cfg: dict, backend: str, smoke: bool):
    """The base model, wrapped with the adapter (switchable) when ADAPTER_DIR is set."""
    adapter = cfg["ADAPTER_DIR"]
    if adapter is not None and not (Path(adapter) / "adapter_config.json").is_file():
        hint = "python train_grpo.py --smoke" if smoke else "python train_grpo.py"
        raise config.ConfigError(
            f"no LoRA adapter in {adapter!r} (run `{hint}` first, or pass --ADAPTER_DIR=None for the base model alone)"
        )
    model, tokenizer = models.load_model(cfg, backend, smoke, with_lora=False)
    if adapter is not None and not (backend == "unsloth" and cfg["USE_VLLM"]):  # vLLM takes it per request
        model = attach_adapter(model, adapter, cfg["MODEL_NAME"])
    if backend == "unsloth" and not cfg["USE_VLLM"]:
        from unsloth import FastLanguageModel

        FastLanguageModel.for_inference(model)  # Unsloth's fast generation path
    return model, tokenizer


def attach_adapter(model, adapter: str, model_name: str):
    """The base model wrapped with the LoRA in `adapter`; a clear error if it was made for another base."""
    saved_base = json.loads((Path(adapter) / "adapter_config.json").read_text()).get("base_model_name_or_path")
    if saved_base and saved_base != model_name:
        config.print_main(f"warning: adapter was trained on {saved_base!r}, evaluating on {model_name!r}")
    from peft import PeftModel

    try:
        return PeftModel.from_pretrained(model, adapter)
    except (RuntimeError, ValueError, KeyError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise config.ConfigError(f"adapter in {adapter!r} does not match base model {model_name!r}: {first}") from None


def make_generator(cfg: dict, backend: str, model, tokenizer):
    """generate(problems, adapter) -> per problem: {"completions": [...], "tokens": [...], "truncated": [...]}.

    Sample 0 is greedy (pass@1); NUM_SAMPLES > 1 adds that many sampled completions for pass@k.
    """
    if backend == "unsloth" and cfg["USE_VLLM"]:
        return _vllm_generator(cfg, model, tokenizer)
    return _hf_generator(cfg, model, tokenizer)


def _prompts(problems, tokenizer) -> list[str]:
    from prompts import build_prompt

    return [
        tokenizer.apply_chat_template(build_prompt(p), tokenize=False, add_generation_prompt=True)
        for p in problems["problem"]
    ]


def _hf_generator(cfg: dict, model, tokenizer):
    import contextlib

    import torch
    from tqdm import tqdm

    tokenizer.padding_side = "left"  # decoder-only batching: pad on the left so generation continues the prompt
    model.eval()
    device = next(model.parameters()).device
    # generate() stops at any of the generation config's EOS ids (Qwen3: <|endoftext|> and <|im_end|>)
    configured = model.generation_config.eos_token_id
    stop_ids = {tokenizer.eos_token_id, *(configured if isinstance(configured, list) else [configured])} - {None}

    def run(texts: list[str], sample: bool) -> list[tuple[str, int, bool]]:
        batch = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(device)
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
                max_new_tokens=cfg["MAX_NEW_TOKENS"],
                pad_token_id=tokenizer.pad_token_id,
                **options,
            )
        results = []
        for row in out[:, batch["input_ids"].shape[1] :].tolist():
            end = next((i for i, token in enumerate(row) if token in stop_ids), None)
            ids = row if end is None else row[:end]
            results.append((tokenizer.decode(ids, skip_special_tokens=True), len(ids), end is None))
        return results

    def generate(problems, adapter: bool) -> list[dict]:
        torch.manual_seed(cfg["SEED"])
        texts = _prompts(problems, tokenizer)
        records = [{"completions": [], "tokens": [], "truncated": []} for _ in texts]
        switch = (
            contextlib.nullcontext() if adapter or not hasattr(model, "disable_adapter") else model.disable_adapter()
        )
        passes = [False] + [True] * (cfg["NUM_SAMPLES"] if cfg["NUM_SAMPLES"] > 1 else 0)
        with (
            switch,
            tqdm(total=len(texts) * len(passes), desc="trained" if adapter else "base") as bar,
        ):
            for sample in passes:
                for start in range(0, len(texts), cfg["BATCH_SIZE"]):
                    for record, (text, n, cut) in zip(
                        records[start:],
                        run(texts[start : start + cfg["BATCH_SIZE"]], sample),
                        strict=False,
                    ):
                        record["completions"].append(text)
                        record["tokens"].append(n)
                        record["truncated"].append(cut)
                    bar.update(min(cfg["BATCH_SIZE"], len(texts) - start))
        return records

    return generate


def _vllm_generator(cfg: dict, model, tokenizer):
    from vllm import SamplingParams

    lora = model.load_lora(cfg["ADAPTER_DIR"]) if cfg["ADAPTER_DIR"] is not None else None

    def generate(problems, adapter: bool) -> list[dict]:
        texts = _prompts(problems, tokenizer)
        request = {"lora_request": lora} if adapter else {}
        greedy = model.fast_generate(
            texts,
            sampling_params=SamplingParams(temperature=0.0, max_tokens=cfg["MAX_NEW_TOKENS"], seed=cfg["SEED"]),
            **request,
        )
        outputs = [[o.outputs[0]] for o in greedy]
        if cfg["NUM_SAMPLES"] > 1:
            params = SamplingParams(
                temperature=cfg["TEMPERATURE"],
                min_p=cfg["MIN_P"],
                n=cfg["NUM_SAMPLES"],
                max_tokens=cfg["MAX_NEW_TOKENS"],
                seed=cfg["SEED"],
            )
            for out, sampled in zip(
                outputs, model.fast_generate(texts, sampling_params=params, **request), strict=True
            ):
                out.extend(sampled.outputs)
        return [
            {
                "completions": [o.text for o in outs],
                "tokens": [len(o.token_ids) for o in outs],
                "truncated": [o.finish_reason == "length" for o in outs],
            }
            for outs in outputs
        ]

    return generate


# --- Judging and metrics (pure: tested on fixed completions)


def judge_completion(completion: str, gold: str) -> dict:
    """The reward's verdict on one completion: answer verdict, correct?, exact format?"""
    verdict = judge.judge_answer(judge.extract_answer(completion), gold)
    exact = rewards.match_format_exactly(None, [completion])[0] == rewards.FORMAT_EXACT
    return {"verdict": verdict, "correct": verdict == judge.EQUIVALENT, "exact_format": exact}


def model_metrics(records: list[dict]) -> dict:
    """Accuracy (greedy pass@1), exact-format rate, mean completion tokens, truncation rate, pass@k."""
    n = len(records)
    greedy = [r["judged"][0] for r in records]
    metrics = {
        "accuracy": sum(j["correct"] for j in greedy) / n,
        "format_rate": sum(j["exact_format"] for j in greedy) / n,
        "mean_tokens": sum(r["tokens"][0] for r in records) / n,
        "truncation_rate": sum(r["truncated"][0] for r in records) / n,
    }
    k = len(records[0]["judged"]) - 1
    if k > 1:
        metrics[f"pass@{k}"] = sum(any(j["correct"] for j in r["judged"][1:]) for r in records) / n
    return metrics


def build_report(cfg: dict, problems, runs: dict) -> dict:
    """Per-problem records for each model, metrics per model, and which problems changed."""
    per_problem = []
    for i, (problem, gold) in enumerate(zip(problems["problem"], problems["answer"], strict=True)):
        entry = {"problem": problem, "gold": gold}
        for name, records in runs.items():
            record = records[i]
            record["judged"] = [judge_completion(c, gold) for c in record["completions"]]
            entry[name] = record
        per_problem.append(entry)
    metrics = {name: model_metrics([p[name] for p in per_problem]) for name in runs}
    report = {"config": {k: cfg[k] for k in CONFIG}, "metrics": metrics, "problems": per_problem}
    if "trained" in runs:
        report["fixed"] = [
            i
            for i, p in enumerate(per_problem)
            if p["trained"]["judged"][0]["correct"] and not p["base"]["judged"][0]["correct"]
        ]
        report["broken"] = [
            i
            for i, p in enumerate(per_problem)
            if p["base"]["judged"][0]["correct"] and not p["trained"]["judged"][0]["correct"]
        ]
    return report


def summary_table(metrics: dict) -> str:
    names = list(metrics)
    keys = list(metrics[names[0]])
    lines = ["| metric | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for key in keys:
        cells = [f"{metrics[n][key]:.1f}" if key == "mean_tokens" else f"{100 * metrics[n][key]:.1f}%" for n in names]
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_report(report: dict, out: Path, num_examples: int, example_chars: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "comparison.json").write_text(json.dumps(report, indent=1, default=str))
    lines = ["# Before / after GRPO", "", summary_table(report["metrics"]), ""]
    if "fixed" in report:
        lines += [
            f"Problems the trained model fixed: {len(report['fixed'])}; broke: {len(report['broken'])}.",
            "",
        ]
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


def plot_comparison(metrics: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rates = [k for k in next(iter(metrics.values())) if k != "mean_tokens"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), gridspec_kw={"width_ratios": [len(rates), 1]})
    width = 0.8 / len(metrics)
    for i, (name, m) in enumerate(metrics.items()):
        left.bar(
            [x + i * width for x in range(len(rates))],
            [100 * m[k] for k in rates],
            width,
            label=name,
        )
        right.bar([i * width], [m["mean_tokens"]], width, label=name)
    left.set_xticks([x + width * (len(metrics) - 1) / 2 for x in range(len(rates))], rates)
    left.set_ylabel("% of problems")
    left.set_ylim(0, 100)
    left.legend()
    right.set_xticks([width * (len(metrics) - 1) / 2], ["mean tokens"])
    fig.suptitle("Base vs GRPO-trained")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    config.run_main(main)
