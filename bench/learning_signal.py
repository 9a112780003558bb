"""Does the recipe learn? train_grpo.py's own pipeline on a task a tiny CPU model can learn in minutes.

    python bench/learning_signal.py                 # 3 seeds x 100 steps, ~1 minute on 2 cores
    python bench/learning_signal.py --steps 40 --seeds 1

The real training code runs unchanged (train_grpo.main: data mapping, length filter, format-priming
SFT, the four rewards, TRL's GRPOTrainer, LoRA) on the tiny offline Qwen3, with easy one-digit
addition whose answers the rewards check. Priming is kept short on purpose, so GRPO starts from a
model that only sometimes produces the format and a right answer, and the reward has room to rise.
Prints, per seed, the mean total reward over the first and the last 10 GRPO steps; the last line is
`learning signal: reward A -> B over N steps (3 seeds)` with A and B the means over seeds.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import train_grpo  # noqa: E402
from recipe import callbacks, documents  # noqa: E402

WINDOW = 10  # steps averaged at the start and at the end


def write_task(folder: Path, seed: int = 0) -> tuple[str, str]:
    """Addition problems (DAPO schema) and worked solutions for priming, as local jsonl files."""
    rng = random.Random(seed)
    pairs = [(a, b) for a in range(10) for b in range(10)]
    rng.shuffle(pairs)
    problems = [{"prompt": f"What is {a} + {b}?", "solution": str(a + b)} for a, b in pairs]
    priming = [
        {"problem": f"What is {a} + {b}?", "reasoning": f"{a} + {b} = {a + b}", "answer": str(a + b)}
        for a, b in pairs[:40]
    ]
    train_path, prime_path = folder / "addition.jsonl", folder / "addition_priming.jsonl"
    train_path.write_text("".join(json.dumps(r) + "\n" for r in problems))
    prime_path.write_text("".join(json.dumps(r) + "\n" for r in priming))
    return str(train_path), str(prime_path)


def run_seed(seed: int, steps: int, folder: Path, task: tuple[str, str]) -> dict[str, list[float]]:
    out = folder / f"seed{seed}"
    train_grpo.main(
        [
            "--smoke",
            f"--SEED={seed}",
            f"--DATASET_NAME={task[0]!r}",
            f"--PRIME_DATASET={task[1]!r}",
            "--EVAL_SIZE=10",
            "--PROMPT_LENGTH_QUANTILE=1.0",
            "--PRIME_STEPS=40",
            "--PRIME_BATCH_SIZE=8",
            "--PRIME_LEARNING_RATE=1e-2",
            f"--MAX_STEPS={steps}",
            "--NUM_GENERATIONS=8",
            "--PER_DEVICE_BATCH_SIZE=16",
            "--MAX_COMPLETION_LENGTH=20",
            "--LEARNING_RATE=2e-3",
            "--WARMUP_RATIO=0.0",
            "--LORA_RANK=16",
            "--LORA_ALPHA=32",
            f"--SAVE_STEPS={steps + 1}",
            f"--OUTPUT_DIR={out}",
        ]
    )
    series = documents.reward_series(callbacks.read_metrics(out / "metrics.jsonl"))
    return {name: [value for _, value in points] for name, points in series.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    starts, ends = [], []
    with tempfile.TemporaryDirectory() as tmp:
        task = write_task(Path(tmp))
        for seed in range(args.seeds):
            series = run_seed(seed, args.steps, Path(tmp), task)
            starts.append(statistics.mean(series["total"][:WINDOW]))
            ends.append(statistics.mean(series["total"][-WINDOW:]))
            parts = ", ".join(
                f"{name} {statistics.mean(v[:WINDOW]):.2f} -> {statistics.mean(v[-WINDOW:]):.2f}"
                for name, v in series.items()
                if name != "total"
            )
            print(
                f"seed {seed}: reward {starts[-1]:.2f} -> {ends[-1]:.2f} (first / last {WINDOW} steps; {parts})",
                flush=True,
            )
    spread = max(max(starts) - min(starts), max(ends) - min(ends))
    print(f"rise {statistics.mean(ends) - statistics.mean(starts):.2f}; seed-to-seed spread {spread:.2f}")
    print(
        f"learning signal: reward {statistics.mean(starts):.2f} -> {statistics.mean(ends):.2f} over {args.steps} steps ({args.seeds} seeds)"
    )


if __name__ == "__main__":
    main()
