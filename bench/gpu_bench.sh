#!/usr/bin/env bash
# GRPO on a Qwen3-4B-shaped random model: Unsloth vs transformers+PEFT, one process each, same
# settings, then the table and ratios. Extra arguments go to both runs (e.g. --no-4bit --steps 8).
# Needs a CUDA GPU and, offline, the wheels listed in bench/README.md "GPU benchmark".
set -euo pipefail
cd "$(dirname "$0")/.."
out=${BENCH_OUT:-runs/gpu_bench}
mkdir -p "$out"
python bench/gpu_bench.py --backend unsloth --out "$out/unsloth.json" "$@"
python bench/gpu_bench.py --backend hf --out "$out/hf.json" "$@"
python bench/gpu_bench.py --compare "$out/unsloth.json" "$out/hf.json"
