"""The first check on a lent GPU: does the recipe's GPU path run, one line per check.

    python tools/device_check.py          # on a CUDA GPU: every check below, within --budget 540 s
    python tools/device_check.py --only hf+4bit+vllm prequantized unsloth hf   # or in two invocations:
    python tools/device_check.py --only unsloth+vllm                           # ... vLLM's alone
    python tools/device_check.py --cpu    # the same checks' logic on CPU (tiny model, no Unsloth / vLLM)
    python tools/device_check.py --rates 5e-6 1e-5 --model /path/to/Qwen3-4B-Base   # the learning-rate probe

The device tool kills a command at 600 s and lends 15 minutes in all: one invocation stops starting checks
at --budget (540 s by default; a check gets at most TIMEOUT = 300 s, less when less is left), and the ones
it did not start are SKIP with the reason. When checks are skipped for time, run them in a second
invocation with --only (as above); results.json keeps the first invocation's other entries.
Each training check is its own `python train_grpo.py` process (Unsloth is imported first in a fresh
process, and a process holds one vLLM engine), started in a clean working folder of its own, on a small
Qwen3 with random weights built from its config (bench/gpu_bench.py, no download) and the shipped data,
smoke-sized: format priming, MAX_STEPS steps, held-out evaluation every EVAL_STEPS, every step's
completions logged, and a test-only reward with spread beside the recipe's (random weights give every
completion of a group the same recipe score: zero advantages, zero gradients, and a broken LoRA backward
would not show). Cheap checks first, vLLM last (its engine's start is most of a check):
  hf+4bit+vllm    USE_VLLM=True on the hf backend in 4-bit is refused in one line, nothing written;
                  USE_VLLM=auto says off, with the reason
  prequantized    the 4-bit model saved pre-quantized once (BitsAndBytesConfig + save_pretrained) and loaded
                  back: the loader path of Unsloth's `-unsloth-bnb-4bit` twin, which the default run takes
  unsloth         Unsloth with USE_VLLM=False, on the pre-quantized folder
  hf, 4-bit       the hf backend quantizing on load; its saved adapter must be float32 (issue 34 item 2)
  unsloth+vllm    Unsloth with fast_inference on the pre-quantized folder; vLLM must have generated: a
                  `vllm_gen_lora*` folder written in the check's own working folder, or the engine's log line
A training check passes when the run exits 0 with its adapter, metrics.jsonl has every GRPO step and the
held-out rows at step 0 and every EVAL_STEPS, completions.jsonl holds exactly the training steps'
completions, priming_metrics.jsonl has the priming steps asked with finite non-zero losses, every GRPO
step has a finite non-zero gradient norm, and the run printed no `WARNING: ` line (the recipe's: a
fallback to TRL's own trainer, libraries imported before Unsloth). A check that runs past TIMEOUT is
killed and its folder still read: a run that wrote everything and hung at exit is told from one that
never finished. A check whose library is not installed is SKIP with the reason. Each check's line is
printed, and results.json rewritten, as the check ends, and each process writes its log as it runs, so a
kill from outside loses only the check it interrupts. The last line sums up this invocation. Logs, runs
and results.json go to --out (runs/device_check/).

The learning-rate probe (`--rates A B`): the recipe at each rate for --steps GRPO steps (10) after a
short priming, at most --timeout s (240) each so both rates fit one device command, then one line per
rate: the rewards over the first and the last steps, held-out accuracy at step 0 and at the end, the
mean gradient norm. --model must be a folder already on the GPU machine (it has no network: copy the
weights there first). A direction, not a verdict (one seed, few steps); `--cpu` rehearses it on the tiny
model. Its timing on a 4B model is not measured yet.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))  # gpu_bench: the random-weight Qwen3

from recipe import callbacks, data  # noqa: E402

OUT = REPO / "runs" / "device_check"
STEPS = 4  # GRPO steps a training check runs
EVAL_STEPS = 2  # held-out evaluation at step 0, 2, 4
PRIME_STEPS = 2  # priming steps a training check runs (priming_metrics.jsonl must hold each)
COMPLETIONS_PER_STEP = 4  # PER_DEVICE_BATCH_SIZE x GRADIENT_ACCUMULATION_STEPS (1): 2 prompts x 2 generations
TIMEOUT = 300  # seconds a check may take at most (less when the invocation's budget has less left)
BUDGET = 540  # seconds one invocation may take: the device tool kills a command at 600 s (start and exit in the rest)
MIN_CHECK = 60  # a check is not started with less than this left of the budget: SKIP, with --only to run it later
CHECKS = ("hf+4bit+vllm", "prequantized", "unsloth", "hf", "unsloth+vllm")  # names for --only, in the order run
SPREAD_REWARD = "test_spread"  # the test-only reward with spread (registered in the check's process only)
RECIPE_WARNING = "WARNING: "  # how the recipe prints its warnings (Python logging's default is "WARNING:name:")
VLLM_ENGINE_LINE = "Initializing a V1 LLM engine"  # vLLM 0.32's log line when it builds an engine (v1/engine/core.py)
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
    "PRIME_STEPS": PRIME_STEPS,
    "MAX_STEPS": STEPS,
    "NUM_GENERATIONS": 2,
    "PER_DEVICE_BATCH_SIZE": COMPLETIONS_PER_STEP,
    "GRADIENT_ACCUMULATION_STEPS": 1,
    "MAX_COMPLETION_LENGTH": 32,
    "LOG_COMPLETIONS_STEPS": 1,
    "SAVE_STEPS": STEPS,
    "VLLM_GPU_MEMORY_UTILIZATION": 0.3,
    "HEALTH_CHECK_ROLLOUTS": False,  # random weights never learn the primed format: the off-policy check means nothing
    "REWARDS": {
        "match_format_exactly": 1.0,
        "match_format_approximately": 1.0,
        "check_answer": 1.0,
        "check_numbers": 1.0,
        SPREAD_REWARD: 1.0,
    },
}
PROBE_STEPS = 10  # the learning-rate probe's GRPO steps per rate ...
PROBE_TIMEOUT = 240  # ... and its seconds per rate: two rates fit one device command (600 s)
PROBE = {  # the learning-rate probe: the recipe's settings, a short priming, a few GRPO steps, held-out at 0 and end
    "PRIME_STEPS": 10,
    "EVAL_PROBLEMS": 16,
    "EVAL_SIZE": 16,
    "DATASET_NAME": data.SAMPLE_DATASET,
    "DATASET_CONFIG": None,
    "PRIME_DATASET": data.PRIMING_DATASET,
    "MAX_COMPLETION_LENGTH": 256,
    "USE_VLLM": False,
    "SAVE_STEPS": 1000,
}
PROBE_CPU = {"PRIME_STEPS": 2, "EVAL_PROBLEMS": 4, "EVAL_SIZE": 8, "MAX_COMPLETION_LENGTH": 24}  # --cpu: a rehearsal


def spread_reward(prompts, completions, **kwargs) -> list[float]:
    """Test only: a score that differs between completions of a group (distinct characters / 10), so
    advantages and gradients are not zero on random weights. Never a reward of the recipe."""
    from judge import completion_text

    return [len(set(completion_text(c))) / 10 for c in completions]


def run_recipe(argv: list[str]) -> None:
    """train_grpo.main with the test-only reward registered (this process only): `--recipe ARGS`."""
    import rewards
    import train_grpo
    from recipe import config

    rewards.REWARD_FUNCS[SPREAD_REWARD] = spread_reward
    rewards.REWARD_BOUNDS[SPREAD_REWARD] = (0.0, 100.0)
    config.run_main(lambda: train_grpo.main(argv))


def installed(package: str) -> bool:
    return importlib.util.find_spec(package) is not None


def run_logged(argv: list[str], log: Path, timeout: int, cwd: Path | None = None) -> tuple[int | None, str]:
    """A child process with its output written to `log` as it runs (a kill from outside leaves what it
    printed): (exit code, or None when it ran past `timeout` and was killed with its children, its output)."""
    with log.open("w") as fh:
        # a session of its own: vLLM's engine runs in a grandchild, which a time-out must end too
        child = subprocess.Popen(argv, cwd=cwd, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            code = child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            code = None
    output = log.read_text(errors="replace")
    if code is None:
        output += f"\ntimed out after {timeout} s"
        log.write_text(output)
    return code, output


def train(name: str, settings: dict, smoke: bool, timeout: int = TIMEOUT) -> tuple[int | None, str, Path, Path]:
    """One recipe process in a clean working folder of its own: (exit code or None after a time-out,
    its output, its OUTPUT_DIR, its working folder). Its output goes to OUT/<name>.log as it runs."""
    out, work = OUT / name, OUT / f"{name}.work"
    for folder in (out, work):
        shutil.rmtree(folder, ignore_errors=True)
    work.mkdir(parents=True)
    args = (["--smoke"] if smoke else []) + [f"--{k}={v!r}" for k, v in {**settings, "OUTPUT_DIR": str(out)}.items()]
    # cwd: Unsloth + vLLM write vllm_gen_lora*/ into the working directory: this check's own
    argv = [sys.executable, str(Path(__file__).resolve()), "--recipe", *args]
    code, output = run_logged(argv, OUT / f"{name}.log", timeout, cwd=work)
    return code, output, out, work


def last_line(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "(no output)"


def verify_run(out: Path, steps: int = STEPS, eval_steps: int = EVAL_STEPS, per_step: int = COMPLETIONS_PER_STEP):
    """What a finished training check wrote, as (passed, detail)."""
    if not (out / "final" / "adapter_model.safetensors").is_file():
        return False, "no final adapter"
    rows = callbacks.read_metrics(out / "metrics.jsonl")
    trained = sorted({r["step"] for r in rows if "reward" in r})
    evaluated = sorted({r["step"] for r in rows if "eval/strict_accuracy" in r})
    logged = Counter(r["step"] for r in callbacks.read_metrics(out / "completions.jsonl"))
    problems = []
    if trained != list(range(1, steps + 1)):
        problems.append(f"training rows at steps {trained}")
    if evaluated != list(range(0, steps + 1, eval_steps)):
        problems.append(f"held-out rows at steps {evaluated}, expected every {eval_steps} from 0")
    if logged != dict.fromkeys(range(1, steps + 1), per_step):
        problems.append(f"completions.jsonl rows per step {dict(sorted(logged.items()))}, expected {per_step} each")
    detail = f"{len(trained)} steps, held-out rows at steps {evaluated}, {per_step} completions logged per step"
    return not problems, "; ".join(problems) or detail


def finite_positive(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value) and value > 0


def verify_priming(out: Path, steps: int = PRIME_STEPS) -> tuple[bool, str]:
    """priming_metrics.jsonl: a loss at each of the priming steps asked, every one finite and non-zero."""
    losses = {r["step"]: r["loss"] for r in callbacks.read_metrics(out / "priming_metrics.jsonl") if "loss" in r}
    if sorted(losses) != list(range(1, steps + 1)):
        return False, f"priming losses at steps {sorted(losses)}, expected 1-{steps}"
    if not all(finite_positive(v) for v in losses.values()):
        return False, f"priming losses {[losses[s] for s in sorted(losses)]}: not all finite and non-zero"
    return True, f"priming {steps} steps, loss {losses[1]:.3g} -> {losses[steps]:.3g}"


def verify_gradients(out: Path) -> tuple[bool, str]:
    """Every GRPO step's gradient norm finite and non-zero: the test-only reward's spread reached the LoRA."""
    norms = [r.get("grad_norm") for r in callbacks.read_metrics(out / "metrics.jsonl") if "reward" in r]
    if not norms or not all(finite_positive(v) for v in norms):
        return False, f"gradient norms {norms}: a step without a finite non-zero gradient"
    return True, f"grad norm {min(norms):.3g}-{max(norms):.3g}"


def recipe_warnings(output: str) -> list[str]:
    """The recipe's `WARNING: ` lines (start_unsloth: a fallback to TRL's trainer, early imports)."""
    return [line.strip() for line in output.splitlines() if line.startswith(RECIPE_WARNING)]


def vllm_generated(output: str, work: Path) -> tuple[bool, str]:
    """vLLM built an engine and generated in this check: Unsloth wrote its live LoRA for vLLM
    (`vllm_gen_lora*/`) in the check's working folder, made empty before it; or vLLM logged its engine."""
    folders = sorted(p.name for p in work.glob("vllm_gen_lora*"))
    if folders:
        return True, f"vLLM generated ({', '.join(folders)} written)"
    if VLLM_ENGINE_LINE in output:
        return True, "vLLM generated (its engine's log line)"
    return False, "no sign that vLLM generated (no vllm_gen_lora* folder, no engine log line)"


def adapter_dtypes(out: Path) -> set[str]:
    """The dtypes of the saved adapter's tensors, read from the safetensors header."""
    path = out / "final" / "adapter_model.safetensors"
    with path.open("rb") as fh:
        size = int.from_bytes(fh.read(8), "little")
        header = json.loads(fh.read(size))
    return {v["dtype"] for k, v in header.items() if k != "__metadata__"}


def verdict(code: int | None, output: str, out: Path, work: Path, extra=(), timeout: int = TIMEOUT) -> tuple[str, str]:
    """PASS / FAIL and the detail of a training check from its exit, output and folders. `extra`:
    more (passed, detail) checks of the run (vLLM generated, the adapter's dtype)."""
    written, detail = verify_run(out)
    if code is None:  # killed at its time-out: what it wrote tells a hang at exit from a run that never finished
        if written:
            return "FAIL", f"finished ({detail}), then hung at exit past {timeout} s (log: {out}.log)"
        return "FAIL", f"timed out after {timeout} s before finishing: {detail} (log: {out}.log)"
    if code != 0:
        return "FAIL", f"exit {code}: {last_line(output)} (log: {out}.log)"
    results = [(written, detail), verify_priming(out), verify_gradients(out), *extra]
    warned = recipe_warnings(output)
    if warned:
        results.append((False, f"{len(warned)} recipe warning(s): {warned[0][:200]}"))
    failed = [d for ok, d in results if not ok]
    return ("FAIL", "; ".join(failed)) if failed else ("PASS", "; ".join(d for _, d in results))


def training_check(
    name: str,
    settings: dict,
    smoke: bool,
    needs: tuple[str, ...],
    vllm: bool = False,
    fp32_adapter: bool = False,
    timeout: int = TIMEOUT,
) -> tuple[str, str]:
    missing = [p for p in needs if not installed(p)]
    if missing:
        return "SKIP", f"{', '.join(missing)} not installed"
    start = time.time()
    code, output, out, work = train(name, settings, smoke, timeout)
    extra = []
    if vllm:
        extra.append(vllm_generated(output, work))
    if fp32_adapter and (out / "final" / "adapter_model.safetensors").is_file():
        dtypes = adapter_dtypes(out)
        extra.append((dtypes == {"F32"}, f"adapter saved in {', '.join(sorted(dtypes))}"))
    result, detail = verdict(code, output, out, work, extra, timeout)
    return result, f"{detail} ({time.time() - start:.0f} s)"


def refusal_check(base: dict, smoke: bool, timeout: int = TIMEOUT) -> tuple[str, str]:
    """hf + 4-bit + USE_VLLM=True: one `error:` line, exit 2, OUTPUT_DIR not created; USE_VLLM=auto: off,
    with the reason, from the start-up checks train_grpo runs (check_settings)."""
    import contextlib
    import io

    import train_grpo
    from recipe import config

    settings = {**base, "BACKEND": "hf", "LOAD_IN_4BIT": True}
    code, output, out, _ = train("hf_4bit_vllm", {**settings, "USE_VLLM": True}, smoke, timeout)
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    if code != 2 or len(errors) != 1 or "--LOAD_IN_4BIT=False" not in errors[0] or out.exists():
        return "FAIL", f"exit {code}, {len(errors)} error line(s), OUTPUT_DIR {'written' if out.exists() else 'absent'}"
    printed = io.StringIO()
    cfg = {**train_grpo.CONFIG, **(train_grpo.SMOKE if smoke else {}), **settings, "USE_VLLM": "auto"}
    cfg["REWARDS"] = train_grpo.REWARDS  # the test-only reward is registered in the checks' processes only
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


def prequantize(source: str, target: str) -> None:
    """`--prequantize SOURCE TARGET`: the 16-bit model saved in 4-bit (NF4, as the hf backend quantizes) and
    loaded back from TARGET; exits non-zero when the reloaded model is not 4-bit or cannot generate."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig

    quantization = BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_compute_dtype=torch.bfloat16,
        bnb_4bit_use_double_quant=True,
    )
    model = AutoModelForCausalLM.from_pretrained(source, quantization_config=quantization, device_map={"": 0})
    model.save_pretrained(target)
    AutoTokenizer.from_pretrained(source).save_pretrained(target)
    del model
    back = AutoModelForCausalLM.from_pretrained(target, device_map={"": 0})
    if not getattr(back, "is_loaded_in_4bit", False):
        raise SystemExit(f"{target} loaded back, but not in 4-bit")
    ids = torch.tensor([[1, 2, 3]], device="cuda")
    back.generate(ids, max_new_tokens=2, do_sample=False)
    print(f"saved pre-quantized to {target} and loaded back in 4-bit")


def prequantized_check(source: Path, target: Path, timeout: int = TIMEOUT) -> tuple[str, str]:
    if not installed("bitsandbytes"):
        return "SKIP", "bitsandbytes not installed"
    shutil.rmtree(target, ignore_errors=True)
    start = time.time()
    argv = [sys.executable, str(Path(__file__).resolve()), "--prequantize", str(source), str(target)]
    log = OUT / "prequantized.log"
    code, output = run_logged(argv, log, timeout)
    if code is None:
        return "FAIL", f"timed out after {timeout} s (log: {log})"
    if code != 0:
        return "FAIL", f"exit {code}: {last_line(output)} (log: {log})"
    return "PASS", f"{last_line(output)} ({time.time() - start:.0f} s)"


def plan(cpu: bool, done: dict[str, dict]) -> list[tuple[str, Callable[[int], tuple[str, str, str]]]]:
    """Every check, cheap ones first and vLLM last, as (name, run): run(seconds it may take) gives
    (label, PASS / FAIL / SKIP, detail). `done`: the results so far by name, kept up to date by the
    caller (a pre-quantized folder whose check passed, here or in an earlier invocation, serves Unsloth)."""
    import torch

    if cpu:  # the tiny model on CPU: the refusal and the hf backend's run; the GPU checks say why they skip
        base = {**RECIPE, "MAX_COMPLETION_LENGTH": 24}
        no_gpu = "--cpu: no CUDA GPU used"
        return [
            ("hf+4bit+vllm", lambda t: ("hf+4bit+vllm", *refusal_check(base, True, t))),
            ("prequantized", lambda t: ("prequantized", "SKIP", no_gpu)),
            ("unsloth", lambda t: ("unsloth", "SKIP", no_gpu)),
            ("hf", lambda t: ("hf (CPU, tiny model)", *training_check("hf_cpu", base, True, (), timeout=t))),
            ("unsloth+vllm", lambda t: ("unsloth+vllm", "SKIP", no_gpu)),
        ]
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
    quantized = OUT / "small-qwen3-bnb-4bit"
    hf = {**base, "BACKEND": "hf", "USE_VLLM": False}
    vllm_needs = ("unsloth", "vllm") + (("vllm_bnb_plugin",) if four_bit else ())

    def unsloth_settings() -> tuple[dict, str]:
        """Unsloth on the pre-quantized folder (the default run's loader path) when its check passed."""
        if done.get("prequantized", {}).get("result") == "PASS" and (quantized / "config.json").is_file():
            return {**base, "BACKEND": "unsloth", "MODEL_NAME": str(quantized)}, "4-bit pre-quantized"
        return {**base, "BACKEND": "unsloth"}, "4-bit" if four_bit else "16-bit (bitsandbytes not installed)"

    def unsloth(t):
        settings, bits = unsloth_settings()
        return f"unsloth, {bits}", *training_check(
            "unsloth", {**settings, "USE_VLLM": False}, False, ("unsloth",), timeout=t
        )

    def unsloth_vllm(t):
        settings, bits = unsloth_settings()
        run = {**settings, "USE_VLLM": True}
        return f"unsloth+vllm, {bits}", *training_check("unsloth_vllm", run, False, vllm_needs, vllm=True, timeout=t)

    return [
        ("hf+4bit+vllm", lambda t: ("hf+4bit+vllm", *refusal_check(base, False, t))),
        ("prequantized", lambda t: ("prequantized", *prequantized_check(model, quantized, t))),
        ("unsloth", unsloth),
        (
            "hf",
            lambda t: (
                f"hf, {'4-bit' if four_bit else '16-bit'}",
                *training_check("hf", hf, False, (), fp32_adapter=four_bit, timeout=t),
            ),
        ),
        ("unsloth+vllm", unsloth_vllm),
    ]


def read_results() -> dict[str, dict]:
    """results.json's entries by check name (an earlier invocation's, for --only), {} when there is none."""
    try:
        return {r["name"]: r for r in json.loads((OUT / "results.json").read_text()) if "name" in r}
    except (OSError, ValueError, TypeError):
        return {}


def run_checks(cpu: bool, only: list[str] | None, budget: float, started: float) -> list[tuple[str, str, str]]:
    """The checks asked (all, or `only`), in order, each printed and recorded in results.json as it ends,
    so an outer kill loses none; a check not started for want of budget is SKIP with the reason.
    With --only, results.json keeps an earlier invocation's other entries."""
    earlier = read_results() if only else {}
    record = dict(earlier)
    steps = plan(cpu, record)
    results = []
    for name, check in steps:
        if only and name not in only:
            continue
        left = budget - (time.monotonic() - started)
        if left < MIN_CHECK:
            label, result, detail = (
                name,
                "SKIP",
                (
                    f"not started: {max(left, 0):.0f} s left of the --budget {budget:.0f} s; run it in another invocation "
                    f"with --only {name}"
                ),
            )
        else:
            label, result, detail = check(int(min(TIMEOUT, left)))
        results.append((label, result, detail))
        record[name] = {"check": label, "name": name, "result": result, "detail": detail}
        ordered = [record[n] for n, _ in steps if n in record]
        (OUT / "results.json").write_text(json.dumps(ordered, indent=1))
        print(f"{result} {label}: {detail}", flush=True)
    return results


def rate_summary(out: Path, window: int = 5) -> dict:
    """What the learning-rate probe compares for one run: mean total reward over the first and the last
    `window` GRPO steps, held-out strict accuracy at the first and the last evaluation, mean gradient norm."""
    rows = callbacks.read_metrics(out / "metrics.jsonl")
    trained = [r for r in rows if isinstance(r.get("reward"), (int, float))]
    evals = [r["eval/strict_accuracy"] for r in rows if isinstance(r.get("eval/strict_accuracy"), (int, float))]
    norms = [r["grad_norm"] for r in trained if finite_positive(r.get("grad_norm"))]

    def mean(values):
        return sum(values) / len(values) if values else float("nan")

    return {
        "steps": len(trained),
        "reward_first": mean([r["reward"] for r in trained[:window]]),
        "reward_last": mean([r["reward"] for r in trained[-window:]]),
        "accuracy_first": evals[0] if evals else float("nan"),
        "accuracy_last": evals[-1] if evals else float("nan"),
        "grad_norm": mean(norms),
    }


def rate_line(rate: float, summary: dict) -> str:
    """One line per rate of the probe.

    >>> rate_line(1e-5, {"steps": 20, "reward_first": 1.0, "reward_last": 2.5, "accuracy_first": 0.25,
    ...                  "accuracy_last": 0.375, "grad_norm": 0.12})
    'LEARNING_RATE=1e-05: 20 steps, reward 1.00 -> 2.50, held-out strict 25.0% -> 37.5%, grad norm 0.12'
    """
    s = summary
    return (
        f"LEARNING_RATE={rate:g}: {s['steps']} steps, reward {s['reward_first']:.2f} -> {s['reward_last']:.2f}, "
        f"held-out strict {100 * s['accuracy_first']:.1f}% -> {100 * s['accuracy_last']:.1f}%, "
        f"grad norm {s['grad_norm']:.2g}"
    )


def rate_probe(rates: list[float], model: str, steps: int, cpu: bool, timeout: int, budget: float, started: float):
    """The recipe at each rate on `model`, one line each printed as its run ends (a run that fails, or is
    not started for want of budget, says so)."""
    settings = {**PROBE, "MAX_STEPS": steps, "EVAL_STEPS": steps, **(PROBE_CPU if cpu else {"MODEL_NAME": model})}
    for rate in rates:
        left = budget - (time.monotonic() - started)
        if left < MIN_CHECK:
            line = f"LEARNING_RATE={rate:g}: not started: {max(left, 0):.0f} s left of the --budget {budget:.0f} s"
        else:
            run = {**settings, "LEARNING_RATE": rate}
            code, output, out, _ = train(f"rate_{rate:g}", run, cpu, int(min(timeout, left)))
            if code != 0:
                line = f"LEARNING_RATE={rate:g}: {'timed out' if code is None else f'exit {code}'}: {last_line(output)}"
            else:
                line = rate_line(rate, rate_summary(out))
        print(line, flush=True)


def main() -> None:
    global OUT
    started = time.monotonic()
    if sys.argv[1:2] == ["--recipe"]:  # one check's recipe process (train() starts it)
        run_recipe(sys.argv[2:])
        return
    if sys.argv[1:2] == ["--prequantize"]:
        prequantize(*sys.argv[2:4])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu", action="store_true", help="check the script's logic on CPU with the tiny model")
    parser.add_argument("--out", type=Path, default=OUT, help="logs, runs and results.json (default: %(default)s)")
    parser.add_argument(
        "--budget", type=float, default=BUDGET, help="seconds for this invocation; checks past it SKIP (%(default)s)"
    )
    parser.add_argument(
        "--only", nargs="+", choices=CHECKS, metavar="NAME", help=f"run these checks: {', '.join(CHECKS)}"
    )
    parser.add_argument("--rates", type=float, nargs=2, metavar=("A", "B"), help="the learning-rate probe instead")
    parser.add_argument("--model", help="the probe's model: a local folder (the GPU machine has no network)")
    parser.add_argument("--steps", type=int, default=PROBE_STEPS, help="the probe's GRPO steps per rate (%(default)s)")
    parser.add_argument("--timeout", type=int, default=PROBE_TIMEOUT, help="the probe's seconds per rate (%(default)s)")
    args = parser.parse_args()
    OUT = args.out.resolve()
    OUT.mkdir(parents=True, exist_ok=True)
    if args.rates:
        if not args.cpu and not (args.model and (Path(args.model) / "config.json").is_file()):
            raise SystemExit(
                f"device check: --model {args.model} is not a model folder here; copy the weights onto this machine "
                "first (a lent GPU has no network) and pass their folder"
            )
        rate_probe(args.rates, args.model, args.steps, args.cpu, args.timeout, args.budget, started)
        return
    results = run_checks(args.cpu, args.only, args.budget, started)
    counts = Counter(result for _, result, _ in results)
    print(f"device check: {counts['PASS']} PASS, {counts['FAIL']} FAIL, {counts['SKIP']} SKIP (results: {OUT})")
    raise SystemExit(1 if counts["FAIL"] else 0)


if __name__ == "__main__":
    main()
