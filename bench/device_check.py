"""The first check on a lent GPU, in one command: does the recipe's GPU path run, one line per check.

    python bench/device_check.py          # on a CUDA GPU: every check below (minutes), then one line each
    python bench/device_check.py --cpu    # the same checks' logic on CPU (tiny model, no Unsloth / vLLM)

Each check is its own `python train_grpo.py` process (Unsloth is imported first in a fresh process,
and a process holds one vLLM engine), on a small Qwen3 with random weights built from its config
(bench/gpu_bench.py, no download) and the shipped data, smoke-sized: format priming, MAX_STEPS steps,
held-out evaluation every EVAL_STEPS, every step's completions logged. What each run wrote is read back:
  unsloth+vllm    Unsloth with fast_inference (vllm 0.32.0 is past the 0.11-0.27.1 its wrappers name)
  unsloth         Unsloth with USE_VLLM=False
  hf+4bit+vllm    USE_VLLM=True on the hf backend in 4-bit is refused in one line, nothing written;
                  USE_VLLM=auto says off, with the reason
A training check passes when the run ends with its adapter, metrics.jsonl has the held-out rows at
step 0 and every EVAL_STEPS, and completions.jsonl holds exactly the training steps' completions
(held-out ones must not appear as training steps). A check whose library is not installed is SKIP
with the reason. Logs, runs and a JSON record of the lines go to --out (runs/device_check/).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import data  # noqa: E402
import reports  # noqa: E402

OUT = REPO / "runs" / "device_check"
STEPS = 4  # GRPO steps a training check runs
EVAL_STEPS = 2  # held-out evaluation at step 0, 2, 4
COMPLETIONS_PER_STEP = 4  # PER_DEVICE_BATCH_SIZE x GRADIENT_ACCUMULATION_STEPS (1): 2 prompts x 2 generations
TIMEOUT = 900  # seconds a check may take (the vLLM engine's start is most of it)
SMALL_QWEN3 = {  # Qwen3-0.6B's layer shape, 4 layers: Unsloth's and vLLM's Qwen3 kernels, built in seconds
    "hidden_size": 1024,
    "intermediate_size": 3072,
    "num_hidden_layers": 4,
    "num_attention_heads": 16,
    "num_key_value_heads": 8,
    "head_dim": 128,
}
RECIPE = {  # the recipe's settings, smoke-sized
    "DATASET_NAME": data.SAMPLE_DATASET,
    "DATASET_CONFIG": None,
    "EVAL_SIZE": 8,
    "EVAL_STEPS": EVAL_STEPS,
    "EVAL_PROBLEMS": 4,
    "PRIME_DATASET": data.PRIMING_DATASET,
    "PRIME_STEPS": 2,
    "MAX_STEPS": STEPS,
    "NUM_GENERATIONS": 2,
    "PER_DEVICE_BATCH_SIZE": COMPLETIONS_PER_STEP,
    "GRADIENT_ACCUMULATION_STEPS": 1,
    "MAX_COMPLETION_LENGTH": 32,
    "LOG_COMPLETIONS_STEPS": 1,
    "SAVE_STEPS": STEPS,
    "VLLM_GPU_MEMORY_UTILIZATION": 0.3,
}


def installed(package: str) -> bool:
    return importlib.util.find_spec(package) is not None


def train(name: str, settings: dict, smoke: bool) -> tuple[int, str, Path]:
    """One train_grpo.py process; (exit code, its output, its OUTPUT_DIR)."""
    out = OUT / name
    shutil.rmtree(out, ignore_errors=True)
    args = (["--smoke"] if smoke else []) + [f"--{k}={v!r}" for k, v in {**settings, "OUTPUT_DIR": str(out)}.items()]
    try:
        done = subprocess.run(
            [sys.executable, str(REPO / "train_grpo.py"), *args],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        code, output = done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired as err:
        code, output = -1, f"{err.stdout or ''}{err.stderr or ''}\ntimed out after {TIMEOUT} s"
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.log").write_text(output)
    return code, output, out


def last_line(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "(no output)"


def verify_run(out: Path, steps: int = STEPS, eval_steps: int = EVAL_STEPS, per_step: int = COMPLETIONS_PER_STEP):
    """What a finished training check wrote, as (passed, detail)."""
    if not (out / "final" / "adapter_model.safetensors").is_file():
        return False, "no final adapter"
    rows = reports.read_metrics(out / "metrics.jsonl")
    trained = sorted({r["step"] for r in rows if "reward" in r})
    evaluated = sorted({r["step"] for r in rows if "eval/strict_accuracy" in r})
    logged = Counter(r["step"] for r in reports.read_metrics(out / "completions.jsonl"))
    problems = []
    if trained != list(range(1, steps + 1)):
        problems.append(f"training rows at steps {trained}")
    if evaluated != list(range(0, steps + 1, eval_steps)):
        problems.append(f"held-out rows at steps {evaluated}, expected every {eval_steps} from 0")
    if logged != dict.fromkeys(range(1, steps + 1), per_step):
        problems.append(f"completions.jsonl rows per step {dict(sorted(logged.items()))}, expected {per_step} each")
    detail = f"{len(trained)} steps, held-out rows at steps {evaluated}, {per_step} completions logged per step"
    return not problems, "; ".join(problems) or detail


def training_check(name: str, settings: dict, smoke: bool, needs: tuple[str, ...]) -> tuple[str, str]:
    missing = [p for p in needs if not installed(p)]
    if missing:
        return "SKIP", f"{', '.join(missing)} not installed"
    start = time.time()
    code, output, out = train(name, settings, smoke)
    if code != 0:
        return "FAIL", f"exit {code}: {last_line(output)} (log: {OUT / name}.log)"
    passed, detail = verify_run(out)
    stray = sorted(p.name for p in REPO.glob("vllm_gen_lora*"))  # Unsloth + vLLM's live LoRA (item 7)
    where = f"; Unsloth left {', '.join(stray)} in the repository root (git-ignored)" if stray else ""
    return ("PASS" if passed else "FAIL"), f"{detail}{where} ({time.time() - start:.0f} s)"


def refusal_check(base: dict, smoke: bool) -> tuple[str, str]:
    """hf + 4-bit + USE_VLLM=True: one `error:` line, exit 2, OUTPUT_DIR not created; USE_VLLM=auto: off,
    with the reason, from the start-up checks train_grpo runs (check_settings)."""
    import contextlib
    import io

    import config
    import train_grpo

    settings = {**base, "BACKEND": "hf", "LOAD_IN_4BIT": True}
    code, output, out = train("hf_4bit_vllm", {**settings, "USE_VLLM": True}, smoke)
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    if code != 2 or len(errors) != 1 or "--LOAD_IN_4BIT=False" not in errors[0] or out.exists():
        return "FAIL", f"exit {code}, {len(errors)} error line(s), OUTPUT_DIR {'written' if out.exists() else 'absent'}"
    printed = io.StringIO()
    cfg = {**train_grpo.CONFIG, **(train_grpo.SMOKE if smoke else {}), **settings, "USE_VLLM": "auto"}
    try:
        with contextlib.redirect_stdout(printed):
            train_grpo.check_settings(cfg, smoke)
    except config.ConfigError as err:
        return "FAIL", f"True refused, but auto refused too: {err}"
    lines = printed.getvalue().splitlines()
    auto = next((line for line in lines if line.startswith("USE_VLLM=auto:")), "no USE_VLLM=auto line")
    if not auto.startswith("USE_VLLM=auto: off ("):
        return "FAIL", f"True refused, but {auto}"
    return "PASS", f"True refused in one line ({errors[0][:100]}...); {auto}"


def checks(cpu: bool) -> list[tuple[str, str, str]]:
    """Every check, as (name, PASS / FAIL / SKIP, detail)."""
    import torch

    if cpu:  # the tiny model on CPU: the hf backend's run and the refusal; the GPU checks say why they skip
        base = {**RECIPE, "MAX_COMPLETION_LENGTH": 24}
        results = [("hf (CPU, tiny model)", *training_check("hf_cpu", base, smoke=True, needs=()))]
        results += [(n, "SKIP", "--cpu: no CUDA GPU used") for n in ("unsloth+vllm", "unsloth")]
        return results + [("hf+4bit+vllm", *refusal_check(base, smoke=True))]
    if not torch.cuda.is_available():
        raise SystemExit("device check: no CUDA GPU here; `--cpu` checks the script's logic on CPU")
    import gpu_bench

    model = OUT / "small-qwen3"
    if not (model / "config.json").is_file():
        gpu_bench.write_random_model(model, SMALL_QWEN3)
        torch.cuda.empty_cache()  # the checks' processes get the whole GPU
    four_bit = installed("bitsandbytes")  # 4-bit needs it; without it the checks run 16-bit and say so
    base = {**RECIPE, "MODEL_NAME": str(model), "LOAD_IN_4BIT": four_bit}
    base["OPTIM"] = "adamw_8bit" if four_bit else "adamw_torch"
    bits = "4-bit" if four_bit else "16-bit (bitsandbytes not installed)"
    unsloth = {**base, "BACKEND": "unsloth"}
    return [
        (
            f"unsloth+vllm, {bits}",
            *training_check("unsloth_vllm", {**unsloth, "USE_VLLM": True}, False, ("unsloth", "vllm")),
        ),
        (f"unsloth, {bits}", *training_check("unsloth", {**unsloth, "USE_VLLM": False}, False, ("unsloth",))),
        ("hf+4bit+vllm", *refusal_check(base, smoke=False)),
    ]


def main() -> None:
    global OUT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu", action="store_true", help="check the script's logic on CPU with the tiny model")
    parser.add_argument("--out", type=Path, default=OUT, help="logs, runs and results.json (default: %(default)s)")
    args = parser.parse_args()
    OUT = args.out.resolve()
    results = checks(args.cpu)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.json").write_text(
        json.dumps([dict(zip(("check", "result", "detail"), r, strict=True)) for r in results])
    )
    for name, result, detail in results:
        print(f"{result} {name}: {detail}")
    raise SystemExit(1 if any(result == "FAIL" for _, result, _ in results) else 0)


if __name__ == "__main__":
    main()
