"""The SmolLM2 experiment's design: its fixed settings, the names of its arms, runs and result files,
and the dev-split rules that choose the learning rate and the template (bench/real_model/README.md).
Both run.py (training, answering) and report.py (the summary) read it; `--quick` points RESULTS and
WORK elsewhere, so every reader takes them from here at call time.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from recipe import callbacks, documents

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
RESULTS = HERE / "results"  # small JSON files, committed
WORK = REPO / "runs" / "real_model"  # model copy, task files, adapters, checkpoints (ignored by git)
MODEL_DIR = WORK / "smollm2-135m"  # the GGUF converted once to a plain folder (shared with --quick and grpo_memory)
DEV_PROBLEMS = 100  # the recipe's held-out split (EVAL_SIZE) of the training file: the dev split
GRPO_STEPS = 100  # fixed before any run of this design
SWEEP_RATES = (1e-4, 3e-4, 1e-3)  # LoRA GRPO learning rates tried on the dev split (3e-4 won the last design's sweep)
SWEEP_SEED = 100  # the sweep's seed, apart from the arms' seeds
SWEEP_SCORED_STEPS = (50, 75, 100)  # the dev evaluations a rate is scored on (the mean of their strict accuracy)
CHOICE_RULE = (
    "the rate with the highest mean dev strict accuracy over the in-training evaluations at steps "
    f"{', '.join(map(str, SWEEP_SCORED_STEPS))}; a tie goes to the smaller rate"
)
ARMS = ("priming", "grpo", "noanswer")
NATIVE_ARMS = ("priming_native", "grpo_native")  # the same arms under CHAT_TEMPLATE='native'
BASE_PROMPTS = ("native", "fewshot")  # evaluate.py's prompts for the base model at its best (no training)
ARM_LABELS = {"base": "base", "priming": "priming-only", "grpo": "GRPO", "noanswer": "no-answer-reward"}
ARM_LABELS |= {"base-native": "base own template", "base-fewshot": "base few-shot"}
ARM_LABELS |= {"priming_native": "priming-only native", "grpo_native": "GRPO native"}
ARM_LABELS |= {"grpo_long": "GRPO 300-step", "grpo_native_long": "GRPO native 300-step"}
CLOSED_CHECK_RATE = 1e-4  # the recipe template's chosen rate (sweep.json), re-run under the closed reward
TEMPLATE_RULE = (
    "the template with the higher dev score (CHOICE_RULE's score): native at the rate its own sweep chose, "
    f"against the recipe template at {CLOSED_CHECK_RATE:g} re-run under the closed reward (sweep_closed); a tie "
    "goes to the recipe template (the notebook's)"
)
LONG_STEPS = 300  # the longer run of the chosen template (its rate decays over all 300 steps)
LONG_CHECKPOINTS = (100, 200, 300)  # the test families are answered at each, all reported (fixed before they run)
FORMAT_ONLY = {"check_answer": 0.0, "check_numbers": 0.0}  # the noanswer arm: the answer rewards weigh nothing
# The recipe's settings for a 135M model on CPU (same for every arm; MAX_STEPS, REWARDS and the
# learning rate are what differ).
RECIPE = {
    "CPU": True,
    "EVAL_SIZE": DEV_PROBLEMS,  # the dev split, held out by the recipe itself
    "EVAL_STEPS": 25,
    "EVAL_PROBLEMS": DEV_PROBLEMS,
    "PROMPT_LENGTH_QUANTILE": 1.0,
    "LORA_RANK": 16,
    "LORA_ALPHA": 32,
    "PRIME_STEPS": 60,  # 120 samples: three passes over the 40 format-only rows
    "PRIME_BATCH_SIZE": 2,
    "PRIME_LEARNING_RATE": 2e-4,
    "NUM_GENERATIONS": 8,
    "PER_DEVICE_BATCH_SIZE": 8,  # x GRADIENT_ACCUMULATION_STEPS = 16 completions (2 prompts) per step
    "GRADIENT_ACCUMULATION_STEPS": 2,
    "MAX_COMPLETION_LENGTH": 96,  # two steps with working out take ~60 tokens; truncation is reported
    "WARMUP_RATIO": 0.05,
    "GRADIENT_CHECKPOINTING": False,
    "SAVE_STEPS": 25,  # a stopped arm resumes from its last checkpoint
    "LOG_COMPLETIONS_STEPS": 0,
}
EVAL = {"MAX_NEW_TOKENS": 128, "BATCH_SIZE": 32, "NUM_SAMPLES": 1}  # three steps fit in 128
QUICK = {"steps": 2, "problems": 8, "rate": 3e-4}  # --quick: a pipeline check of a few minutes


def is_sweep(arm: str) -> bool:
    return arm.startswith("sweep")


def template_of(arm: str) -> str:
    """The chat template an arm trains with: its name says _native, else the recipe's (the base model's
    own-template prompts, base-native, use no training template)."""
    return "native" if "_native" in arm else "recipe"


def run_name(arm: str, seed: int, rate: float | None) -> str:
    return f"{arm}_lr{rate:g}_seed{seed}" if is_sweep(arm) else f"{arm}_seed{seed}"


def work_dir(arm: str, seed: int, rate: float) -> Path:
    """An arm's run folder; a GRPO arm's names its rate, so an adapter trained ahead at a rate the sweep
    did not choose is never reused."""
    name = run_name(arm, seed, rate)
    return WORK / (name if is_sweep(arm) or arm.startswith("priming") else f"{name}_lr{rate:g}")


def code_commit() -> str:
    """The commit of the code running (with "+changes" when the tree differs from it): recorded in
    every result, so a number can be traced to the code that produced it."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True).stdout.strip()

    commit = git("rev-parse", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "*.py")
    return commit + ("+changes" if dirty else "")


def dev_score(name: str) -> float | None:
    """A sweep run's score under CHOICE_RULE, or None until its scored evaluations are stored."""
    rows = callbacks.read_metrics(RESULTS / f"{name}_metrics.jsonl")
    accuracy = dict(documents.eval_series(rows).get("strict_accuracy", []))
    if not all(step in accuracy for step in SWEEP_SCORED_STEPS):
        return None
    return sum(accuracy[step] for step in SWEEP_SCORED_STEPS) / len(SWEEP_SCORED_STEPS)


def sweep_arm(template: str) -> str:
    return "sweep" if template == "recipe" else f"sweep_{template}"


def choose_rate(template: str = "recipe") -> float | None:
    """CHOICE_RULE over a template's stored sweep, or None while a rate is missing; written to
    sweep.json (the recipe template's, the third design) or sweep_<template>.json."""
    arm = sweep_arm(template)
    scores = {rate: dev_score(run_name(arm, SWEEP_SEED, rate)) for rate in SWEEP_RATES}
    if any(score is None for score in scores.values()):
        return None
    chosen = max(sorted(SWEEP_RATES), key=lambda rate: (scores[rate], -rate))
    accuracy = {f"{rate:g}": score for rate, score in scores.items()}
    record = {"rule": CHOICE_RULE, "seed": SWEEP_SEED, "dev_strict_accuracy": accuracy, "chosen": chosen}
    (RESULTS / f"{arm}.json").write_text(json.dumps(record, indent=1) + "\n")
    return chosen


def choose_template() -> str | None:
    """TEMPLATE_RULE on the dev split, or None while a score is missing; written to template.json."""
    native_rate = choose_rate("native")
    scores = {
        "recipe": dev_score(run_name("sweep_closed", SWEEP_SEED, CLOSED_CHECK_RATE)),
        "native": None if native_rate is None else dev_score(run_name("sweep_native", SWEEP_SEED, native_rate)),
    }
    if any(score is None for score in scores.values()):
        return None
    chosen = "native" if scores["native"] > scores["recipe"] else "recipe"
    rates = {"recipe": CLOSED_CHECK_RATE, "native": native_rate}
    record = {"rule": TEMPLATE_RULE, "dev_score": scores, "rate": rates, "chosen": chosen, "chosen_rate": rates[chosen]}
    (RESULTS / "template.json").write_text(json.dumps(record, indent=1) + "\n")
    return chosen


def result_name(family: str, arm: str, seed: int | None, step: int | None = None) -> str:
    """A result file's name: `<family>_base[-<prompt>].json`, `<family>_<arm>_seed<s>.json`, and for a
    long run's checkpoint `<family>_<arm>_step<N>_seed<s>.json`."""
    if arm.startswith("base"):
        return f"{family}_{arm}.json"
    return f"{family}_{arm}{'' if step is None else f'_step{step}'}_seed{seed}.json"
