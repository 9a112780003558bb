"""GRPO step speed and memory of the two backends on a Qwen3-4B-shaped model, offline.

    bash bench/gpu_bench.sh                         # both backends, one process each, then the ratios
    python bench/gpu_bench.py --backend hf --steps 5 --out hf.json
    python bench/gpu_bench.py --compare unsloth.json hf.json
    python bench/gpu_bench.py --backend hf --smoke  # CPU check of this script (tiny model)

No download: the model is Qwen3-4B's architecture (config written out below) with random weights,
the tokenizer is the offline tiny BPE one. Random weights never emit EOS, so every completion runs
to MAX_COMPLETION_LENGTH and both backends generate the same number of tokens. train_grpo.main runs
unchanged with the settings given here (no priming, K steps), and the numbers come from its own
metrics.jsonl: seconds per step (first step excluded: compilation and warm-up), generated tokens per
second, and peak GPU memory.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recipe import callbacks, config, data, models  # noqa: E402

# Qwen3-4B(-Base)'s architecture, from its published config.
QWEN3_4B = {
    "hidden_size": 2560,
    "intermediate_size": 9728,
    "num_hidden_layers": 36,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "head_dim": 128,
    "vocab_size": 151936,
    "max_position_embeddings": 40960,
    "rope_theta": 1000000.0,
    "rms_norm_eps": 1e-6,
    "tie_word_embeddings": True,
}


def write_random_model(folder: Path, shape: dict | None = None) -> str:
    """Qwen3-4B-shaped random weights (bf16, ~8 GB; `shape` overrides QWEN3_4B's sizes) and the offline
    tokenizer, as a local model dir."""
    import torch
    from transformers import Qwen3Config, Qwen3ForCausalLM

    tokenizer = models.build_tiny_tokenizer()
    config = Qwen3Config(
        **{**QWEN3_4B, **(shape or {})}, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id
    )
    torch.manual_seed(0)
    with torch.device("cuda" if torch.cuda.is_available() else "cpu"):
        model = Qwen3ForCausalLM(config).to(torch.bfloat16)
    model.save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    del model
    return str(folder)


def run(backend: str, steps: int, completion: int, batch: int, four_bit: bool, smoke: bool, out: str | None) -> dict:
    if backend == "unsloth":  # first, before writing the model imports transformers: else Unsloth runs de-optimised
        if early := models.imported_before_unsloth():
            raise config.ConfigError(f"{', '.join(early)} imported before Unsloth: its figures would not be Unsloth's")
        models.start_unsloth()
    import torch

    import train_grpo

    with tempfile.TemporaryDirectory() as tmp:
        args = [
            f"--BACKEND={backend!r}",
            "--PRIME_STEPS=0",
            f"--MAX_STEPS={steps}",
            f"--MAX_COMPLETION_LENGTH={completion}",
            f"--PER_DEVICE_BATCH_SIZE={batch}",
            f"--LOAD_IN_4BIT={four_bit}",
            f"--DATASET_NAME={data.SAMPLE_DATASET!r}",
            "--DATASET_CONFIG=None",
            "--EVAL_SIZE=0",
            f"--SAVE_STEPS={steps + 1}",
            f"--OUTPUT_DIR={tmp}/run",
        ]
        if smoke:
            args.insert(0, "--smoke")
        else:
            start = time.perf_counter()
            args.append(f"--MODEL_NAME={write_random_model(Path(tmp) / 'model')!r}")
            print(f"wrote the random Qwen3-4B-shaped model in {time.perf_counter() - start:.0f} s", flush=True)
            if not four_bit:
                args.append("--OPTIM='adamw_torch'")  # adamw_8bit needs bitsandbytes
        if torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()
        train_grpo.main(args)
        rows = [r for r in callbacks.read_metrics(Path(tmp) / "run" / "metrics.jsonl") if "step_time" in r]
    timed = rows[1:] or rows  # the first step compiles kernels and warms caches
    seconds = statistics.mean(r["step_time"] for r in timed)
    tokens = statistics.mean(r["completions/mean_length"] * batch for r in timed)
    result = {
        "backend": backend,
        "steps": len(rows),
        "load_in_4bit": four_bit and not smoke,
        "completions_per_step": batch,
        "seconds_per_step": seconds,
        "generated_tokens_per_second": tokens / seconds,
        "peak_gpu_memory_gib": torch.cuda.max_memory_allocated() / 2**30 if torch.cuda.is_available() else None,
        "device": torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu",
    }
    print(json.dumps(result, indent=1))
    if out:
        Path(out).write_text(json.dumps(result) + "\n")
    return result


def compare(paths: list[str]) -> None:
    results = [json.loads(Path(p).read_text()) for p in paths]
    print("| backend | s/step | generated tok/s | peak GPU GiB |")
    print("|---|---|---|---|")
    for r in results:
        memory = f"{r['peak_gpu_memory_gib']:.1f}" if r["peak_gpu_memory_gib"] is not None else "-"
        print(f"| {r['backend']} | {r['seconds_per_step']:.2f} | {r['generated_tokens_per_second']:.0f} | {memory} |")
    if len(results) == 2:
        a, b = results
        print(
            f"speed-up {a['backend']} vs {b['backend']}: {b['seconds_per_step'] / a['seconds_per_step']:.2f}x per step"
        )
        if a["peak_gpu_memory_gib"] and b["peak_gpu_memory_gib"]:
            print(f"memory {a['backend']} / {b['backend']}: {a['peak_gpu_memory_gib'] / b['peak_gpu_memory_gib']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["unsloth", "hf"], default="hf")
    parser.add_argument("--steps", type=int, default=6, help="GRPO steps; the first is not timed")
    parser.add_argument("--completion", type=int, default=256, help="tokens generated per completion")
    parser.add_argument("--batch", type=int, default=8, help="completions per step (2 prompts x 4 generations)")
    parser.add_argument("--no-4bit", dest="four_bit", action="store_false", help="16-bit base (no bitsandbytes)")
    parser.add_argument("--smoke", action="store_true", help="tiny model on CPU: checks this script only")
    parser.add_argument("--out", help="write the result as JSON here")
    parser.add_argument("--compare", nargs="+", metavar="JSON", help="print a table of saved results")
    args = parser.parse_args()
    if args.compare:
        compare(args.compare)
        return
    config.run_main(
        lambda: run(args.backend, args.steps, args.completion, args.batch, args.four_bit, args.smoke, args.out)
    )


if __name__ == "__main__":
    main()
