"""Where a CPU GRPO step's memory goes, and what the trainer's own knobs save: SmolLM2-135M in CPU mode.

    python bench/grpo_memory.py              # 3 layouts x 3 GRPO steps, ~10 minutes on 2 cores
    python bench/grpo_memory.py --steps 2

Each layout optimises the same thing: 16 completions (2 prompts x 8) per optimizer step, split into
PER_DEVICE_BATCH_SIZE x GRADIENT_ACCUMULATION_STEPS (TRL generates the whole batch at once and
back-propagates it in per-device slices). Every layout runs `train_grpo.main` in its own process,
one after another in one run, and reports its peak RSS and median seconds per step (steps after the
first). The part that scales with the per-device batch is the training forward/backward: fp32
logits over the 49k vocabulary for every position, their log-softmax and gradients.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from recipe import callbacks  # noqa: E402

LAYOUTS = [(16, 1), (8, 2), (4, 4)]  # (PER_DEVICE_BATCH_SIZE, GRADIENT_ACCUMULATION_STEPS): 16 completions each
VOCAB, COMPLETION, PROMPT = 49152, 64, 110  # SmolLM2 vocabulary; tokens per completion and (about) per prompt
CHILD = """
import json, resource, sys
sys.path.insert(0, {repo!r})
import train_grpo
train_grpo.main({argv!r})
print("PEAK_RSS_GIB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20)
"""


def run_layout(per_device: int, accumulation: int, steps: int, model_dir: Path, dataset: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        argv = [
            "--CPU=True",
            f"--MODEL_NAME={model_dir}",
            f"--DATASET_NAME={dataset}",
            "--DATASET_CONFIG=None",
            "--EVAL_SIZE=0",
            "--PROMPT_LENGTH_QUANTILE=1.0",
            "--LORA_RANK=16",
            "--LORA_ALPHA=32",
            "--PRIME_STEPS=0",
            f"--MAX_STEPS={steps}",
            "--NUM_GENERATIONS=8",
            f"--PER_DEVICE_BATCH_SIZE={per_device}",
            f"--GRADIENT_ACCUMULATION_STEPS={accumulation}",
            f"--MAX_COMPLETION_LENGTH={COMPLETION}",
            "--LEARNING_RATE=3e-5",
            "--GRADIENT_CHECKPOINTING=False",
            "--SAVE_STEPS=1000",
            f"--OUTPUT_DIR={tmp}/run",
        ]
        done = subprocess.run(
            [sys.executable, "-c", CHILD.format(repo=str(REPO), argv=argv)], capture_output=True, text=True
        )
        if done.returncode != 0:
            raise SystemExit(done.stderr[-2000:])
        peak = float(done.stdout.rsplit("PEAK_RSS_GIB", 1)[1].split()[0])
        times = [
            r["step_time"] for r in callbacks.read_metrics(Path(tmp) / "run" / "metrics.jsonl") if "step_time" in r
        ]
    logits_gib = per_device * (PROMPT + COMPLETION) * VOCAB * 4 / 2**30
    return {
        "per_device_batch": per_device,
        "gradient_accumulation": accumulation,
        "peak_rss_gib": round(peak, 2),
        "seconds_per_step": round(statistics.median(times[1:] or times), 1),
        "one_logits_tensor_gib": round(logits_gib, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO / "bench"))
    from real_model import design, run

    model_dir = run.prepare_model()
    dataset = run.write_tasks(design.WORK / "tasks")["train"]
    results = []
    for per_device, accumulation in LAYOUTS:
        result = run_layout(per_device, accumulation, args.steps, model_dir, dataset)
        results.append(result)
        print(
            f"per-device {per_device:2} x accumulation {accumulation}: peak RSS {result['peak_rss_gib']:5.2f} GiB, "
            f"{result['seconds_per_step']:5.1f} s/step (one fp32 logits tensor {result['one_logits_tensor_gib']:.2f} GiB)",
            flush=True,
        )
    out = REPO / "bench" / "results" / "grpo_memory.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n")
    base = results[0]
    print(
        "memory: "
        + ", ".join(
            f"{r['per_device_batch']}x{r['gradient_accumulation']} {r['peak_rss_gib'] / base['peak_rss_gib']:.2f}x RSS "
            f"{r['seconds_per_step'] / base['seconds_per_step']:.2f}x time"
            for r in results[1:]
        )
        + f" of {base['per_device_batch']}x{base['gradient_accumulation']}"
    )


if __name__ == "__main__":
    main()
