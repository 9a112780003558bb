"""Documents a run leaves for people: the reward plot, the model card and its Hub push (training), and the
comparison report (evaluate.py). They read metrics.jsonl as callbacks.py writes it; nothing here trains.
"""

from __future__ import annotations

import json
from pathlib import Path

import judge
from prompts import REASONING_END, REASONING_START, SOLUTION_END, SOLUTION_START, SYSTEM_PROMPT
from rewards import METRIC_FUNCS

from . import callbacks, statistics


def reward_series(rows: list[dict]) -> dict[str, list[tuple[int, float]]]:
    """Total reward and each reward's mean over the logged steps: name -> [(step, value)]."""
    series: dict[str, list] = {}
    for row in rows:
        for key, value in row.items():
            if key == "reward" or (key.startswith("rewards/") and key.endswith("/mean")):
                name = "total" if key == "reward" else key.split("/")[1]
                if name not in METRIC_FUNCS and value is not None:  # accuracy metrics are not rewards
                    series.setdefault(name, []).append((row["step"], float(value)))
    return series


def eval_series(rows: list[dict]) -> dict[str, list[tuple[int, float]]]:
    """The held-out metrics logged during training: name (strict_accuracy, ...) -> [(step, value)]."""
    series: dict[str, list] = {}
    for row in rows:
        for name in callbacks.EVAL_METRICS:
            if row.get(name) is not None:
                series.setdefault(name.removeprefix("eval/"), []).append((row["step"], float(row[name])))
    return series


def eval_summary(rows: list[dict]) -> str | None:
    """First -> last held-out accuracy in one line, or None when no evaluation was logged.

    >>> rows = [{"step": 0, "eval/strict_accuracy": 0.25, "eval/lenient_accuracy": 0.5},
    ...         {"step": 50, "eval/strict_accuracy": 0.5, "eval/lenient_accuracy": 0.75}]
    >>> eval_summary(rows)
    'held-out accuracy (step 0 -> 50): strict 25.0% -> 50.0%, lenient 50.0% -> 75.0%'
    """
    series = eval_series(rows)
    if "strict_accuracy" not in series:
        return None
    first, last = series["strict_accuracy"][0][0], series["strict_accuracy"][-1][0]
    parts = [
        f"{name.removesuffix('_accuracy')} {100 * points[0][1]:.1f}% -> {100 * points[-1][1]:.1f}%"
        for name, points in series.items()
        if name.endswith("_accuracy")
    ]
    return f"held-out accuracy (step {first} -> {last}): " + ", ".join(parts)


def plot_smoothed(ax, points: list[tuple[int, float]], color: str, label: str, linewidth: float = 1.5) -> None:
    """One series on a matplotlib axis: its (step, value) points faint, their rolling mean as a line."""
    steps, values = zip(*points, strict=True)
    ax.plot(steps, values, ".", color=color, alpha=0.3, markersize=4)
    ax.plot(steps, callbacks.rolling_mean(list(values)), color=color, label=label, linewidth=linewidth)


def plot_rewards(rows: list[dict], path: Path, title: str) -> None:
    """Each reward's per-step mean as faint points, and its rolling mean as a line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    accuracy = {k: v for k, v in eval_series(rows).items() if k.endswith("_accuracy") or k == "exact_format"}
    fig, axes = plt.subplots(1, 2 if accuracy else 1, figsize=(13 if accuracy else 8, 4.5), squeeze=False)
    ax = axes[0][0]
    series = reward_series(rows)
    for i, (name, points) in enumerate(series.items()):
        label = f"{name} (rolling mean of {callbacks.SMOOTHING_WINDOW})"
        plot_smoothed(ax, points, f"C{i}", label, linewidth=2.5 if name == "total" else 1.2)
    if not series:
        ax.text(0.5, 0.5, "no GRPO steps logged", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("GRPO step")
    ax.set_ylabel("mean reward")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if series:
        ax.legend(fontsize=8)
    if accuracy:  # the held-out problems every EVAL_STEPS: what the rewards are meant to buy
        acc_ax = axes[0][1]
        for i, (name, points) in enumerate(accuracy.items()):
            steps, values = zip(*points, strict=True)
            acc_ax.plot(steps, [100 * v for v in values], "o-", color=f"C{i}", label=name)
        acc_ax.set_xlabel("GRPO step")
        acc_ax.set_ylabel("% of held-out problems")
        acc_ax.set_ylim(-2, 102)
        acc_ax.set_title("held-out accuracy during training")
        acc_ax.grid(alpha=0.3)
        acc_ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def final_rewards(rows: list[dict], window: int = 10) -> dict[str, float]:
    """Mean of each reward series over its last `window` logged steps."""
    return {name: sum(v for _, v in pts[-window:]) / len(pts[-window:]) for name, pts in reward_series(rows).items()}


def write_model_card(path: Path, config: dict, rows: list[dict], backend: str, resolved: dict | None = None) -> None:
    finals = final_rewards(rows)
    steps = rows[-1]["step"] if rows else 0
    lines = [
        *card_header(config),
        f"# LoRA adapter: {config['MODEL_NAME']} + GRPO on math",
        "",
        f"Trained with this repository's `train_grpo.py` (backend: {backend}) for {steps} GRPO steps "
        f"on `{config['DATASET_NAME']}`. Reasoning goes between `{REASONING_START}` and `{REASONING_END}`, "
        f"the final answer between `{SOLUTION_START}` and `{SOLUTION_END}`.",
        "",
        *_eval_lines(rows),
        "## Final rewards (mean of the last 10 logged steps)",
        "",
        "| reward | mean |",
        "|---|---|",
        *[f"| {name} | {value:.3f} |" for name, value in finals.items()],
        "",
        *how_to_use(config),
        "## Files",
        "",
        "- `final/`: the LoRA adapter (safetensors) and tokenizer with the chat template",
        "- `recipe_config.json`: every constant of the run; `metrics.jsonl`: one line per logged step",
        "- `reward_curve.png`: total and per-reward mean reward over steps",
        "",
        *_objective_lines(resolved or {}),
        "## Config",
        "",
        "| name | value |",
        "|---|---|",
        *[f"| {k} | `{v!r}` |" for k, v in config.items()],
        "",
    ]
    path.write_text("\n".join(lines))


def _eval_lines(rows: list[dict]) -> list[str]:
    """The card's held-out accuracy table: every evaluation logged during training."""
    series = eval_series(rows)
    if not series:
        return []
    names = list(series)
    steps = sorted({step for points in series.values() for step, _ in points})
    values = {name: dict(points) for name, points in series.items()}

    def cell(name, step):
        value = values[name].get(step)
        return "" if value is None else f"{value:.1f}" if name == "mean_length" else f"{100 * value:.1f} %"

    return [
        "## Held-out accuracy during training",
        "",
        eval_summary(rows) or "",
        "",
        "| step | " + " | ".join(names) + " |",
        "|---" * (len(names) + 1) + "|",
        *[f"| {step} | " + " | ".join(cell(n, step) for n in names) + " |" for step in steps],
        "",
    ]


OBJECTIVE = (  # the trainer settings that define what is optimised, shown in the card
    "loss_type",
    "beta",
    "epsilon",
    "epsilon_high",
    "scale_rewards",
    "num_iterations",
    "mask_truncated_completions",
    "temperature",
    "min_p",
    "top_p",
    "top_k",
    "max_completion_length",
    "num_generations",
    "per_device_train_batch_size",
    "gradient_accumulation_steps",
    "learning_rate",
    "lr_scheduler_type",
    "warmup_steps",
    "weight_decay",
    "optim",
    "use_vllm",
    "vllm_importance_sampling_correction",
    "reward_weights",
    "max_steps",
    "max_length",
    "padding_free",
    "seed",
    "bf16",
    "fp16",
)


def _objective_lines(resolved: dict) -> list[str]:
    """The resolved GRPO and priming settings: the same on both backends, whatever their defaults."""
    lines = []
    for stage, settings in resolved.items():
        shown = [(k, settings[k]) for k in OBJECTIVE if k in settings]
        lines += [f"## {stage} settings (as trained)", "", "| setting | value |", "|---|---|"]
        lines += [f"| {k} | `{v!r}` |" for k, v in shown] + [""]
    return lines


def card_header(config: dict) -> list[str]:
    """The model card's YAML metadata: base model, PEFT, tags, the dataset when it is a Hub id."""
    import yaml

    dataset = str(config["DATASET_NAME"])
    metadata = {
        "base_model": str(config["MODEL_NAME"]),
        "library_name": "peft",
        "license": "other",  # placeholder: set the license your base model and data allow
        "tags": ["trl", "grpo", "lora", "math", "reasoning", "rlvr"],
    }
    if "/" in dataset and not Path(dataset).exists():
        metadata["datasets"] = [dataset]
    return ["---", yaml.safe_dump(metadata, sort_keys=False).strip(), "---", ""]


def how_to_use(config: dict) -> list[str]:
    """A snippet that loads the adapter and asks one question with the run's chat template (recipe or
    native, saved with the tokenizer) and the system prompt it trained with."""
    template = config.get("CHAT_TEMPLATE", "recipe")
    return [
        "## How to use",
        "",
        "```python",
        "from peft import PeftModel",
        "from transformers import AutoModelForCausalLM, AutoTokenizer",
        "",
        f'base = AutoModelForCausalLM.from_pretrained("{config["MODEL_NAME"]}", dtype="auto", device_map="auto")',
        'model = PeftModel.from_pretrained(base, "path/or/hub-id/of/this/adapter")',
        f'tokenizer = AutoTokenizer.from_pretrained("path/or/hub-id/of/this/adapter")  # its "{template}" chat template',
        f"system = {SYSTEM_PROMPT!r}  # the system prompt it trained with",
        'messages = [{"role": "system", "content": system}, {"role": "user", "content": "What is the sqrt of 101?"}]',
        "text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)",
        'inputs = tokenizer(text, return_tensors="pt", add_special_tokens=False).to(model.device)',
        "output = model.generate(**inputs, max_new_tokens=512)",
        'print(tokenizer.decode(output[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True))',
        "```",
        "",
        f"The answer is between `{SOLUTION_START}` and `{SOLUTION_END}`.",
        "",
    ]


def push_run(out: Path, repo_id: str, merged: bool) -> str:
    """Upload the adapter, tokenizer, model card and reward plot (and merged weights when saved) to the
    Hub with huggingface_hub; the token comes from its own login or HF_TOKEN, never from our config."""
    from huggingface_hub import HfApi

    api = HfApi()
    url = api.create_repo(repo_id, exist_ok=True, repo_type="model")
    api.upload_folder(repo_id=repo_id, folder_path=str(out / "final"), commit_message="GRPO LoRA adapter")
    for name in ("README.md", "reward_curve.png"):
        if (out / name).is_file():
            api.upload_file(repo_id=repo_id, path_or_fileobj=str(out / name), path_in_repo=name)
    if merged and (out / "merged").is_dir():
        api.upload_folder(repo_id=repo_id, folder_path=str(out / "merged"), path_in_repo="merged")
    return str(url)


# --- The comparison report (evaluate.py): comparison.json / .md / .png


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
