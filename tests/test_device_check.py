"""bench/device_check.py, the first command on a lent GPU: its verdicts on run folders, and its CPU mode end to end."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

import device_check  # noqa: E402


def run_folder(
    tmp_path,
    train_steps=(1, 2, 3, 4),
    eval_steps=(0, 2, 4),
    logged=None,
    adapter=True,
    grad_norm=0.5,
    priming=(2.5, 2.1),
):
    """A training check's OUTPUT_DIR as train_grpo writes it; `logged` = {step: completions in completions.jsonl},
    `priming` = the priming steps' losses."""
    out = tmp_path / "run"
    (out / "final").mkdir(parents=True)
    if adapter:
        (out / "final" / "adapter_model.safetensors").write_bytes(b"")
    rows = [{"step": s, "reward": 0.0, "grad_norm": grad_norm} for s in train_steps] + [
        {"step": s, "eval/strict_accuracy": 0.0} for s in eval_steps
    ]
    (out / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    primed = [{"step": i, "loss": loss} for i, loss in enumerate(priming, 1)]
    (out / "priming_metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in primed))
    logged = dict.fromkeys(train_steps, 4) if logged is None else logged
    completions = [{"step": s, "completion": "x"} for s, n in logged.items() for _ in range(n)]
    (out / "completions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in completions))
    return out


VERDICTS = [
    ({}, True, "4 steps, held-out rows at steps [0, 2, 4]"),  # what a good run writes
    (
        {"logged": {1: 8, 2: 4, 3: 8, 4: 4}},
        False,
        "completions.jsonl rows per step",
    ),  # held-out rows logged as steps 1, 3
    ({"eval_steps": (0,)}, False, "held-out rows at steps [0]"),  # evaluation stopped after step 0
    ({"train_steps": (1, 2)}, False, "training rows at steps [1, 2]"),  # the run ended early
    ({"adapter": False}, False, "no final adapter"),  # nothing saved
]


@pytest.mark.parametrize("folder, passed, detail", VERDICTS)
def test_verify_run_passes_only_what_a_complete_run_writes(tmp_path, folder, passed, detail):
    ok, text = device_check.verify_run(run_folder(tmp_path, **folder))
    assert ok == passed and detail in text


RUNS = [
    # (exit code (None: killed at the time-out), output, run folder, result, detail)
    (0, "done: adapter in final", {}, "PASS", "priming 2 steps, loss 2.5 -> 2.1; grad norm 0.5-0.5"),  # all good
    (None, "done: adapter in final", {}, "FAIL", "then hung at exit"),  # wrote everything, never exited
    (None, "step 2", {"train_steps": (1, 2), "adapter": False}, "FAIL", "before finishing: no final adapter"),  # slow
    (1, "Traceback\nRuntimeError: CUDA error", {}, "FAIL", "exit 1: RuntimeError: CUDA error"),  # crashed
    (0, "WARNING: Unsloth could not rebuild TRL's GRPOTrainer", {}, "FAIL", "1 recipe warning(s)"),  # TRL's fallback
    (0, "WARNING:root:a library's own log line", {}, "PASS", "grad norm"),  # Python logging's warnings: not ours
    (0, "", {"grad_norm": 0.0}, "FAIL", "without a finite non-zero gradient"),  # no spread: LoRA backward unseen
    (0, "", {"grad_norm": float("nan")}, "FAIL", "without a finite non-zero gradient"),  # a NaN gradient
    (0, "", {"priming": (2.5,)}, "FAIL", "priming losses at steps [1], expected 1-2"),  # priming cut short
    (0, "", {"priming": (2.5, 0.0)}, "FAIL", "not all finite and non-zero"),  # a zero loss: nothing trained
]


@pytest.mark.parametrize("code, output, folder, result, detail", RUNS)
def test_a_check_passes_only_a_complete_warning_free_run_and_tells_a_hang_from_a_crash(
    tmp_path, code, output, folder, result, detail
):
    out = run_folder(tmp_path, **folder)
    got, text = device_check.verdict(code, output, out, tmp_path / "work")
    assert got == result and detail in text, text


def test_the_vllm_check_needs_proof_that_vllm_generated(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    assert device_check.vllm_generated("", work)[0] is False  # Unsloth's own generate would pass everything else
    assert device_check.vllm_generated(f"INFO {device_check.VLLM_ENGINE_LINE} (v0.32.0)", work)[0] is True
    (work / "vllm_gen_lora_0").mkdir()  # written by this check (its working folder starts empty)
    ok, detail = device_check.vllm_generated("", work)
    assert ok and "vllm_gen_lora_0" in detail
    out = run_folder(tmp_path)
    assert device_check.verdict(0, "", out, work, [device_check.vllm_generated("", tmp_path / "none")])[0] == "FAIL"


def test_the_adapters_dtype_is_read_from_its_safetensors_header(tmp_path):
    import torch
    from safetensors.torch import save_file

    out = run_folder(tmp_path)
    save_file(
        {"a": torch.zeros(2, dtype=torch.float32), "b": torch.zeros(2)}, out / "final" / "adapter_model.safetensors"
    )
    assert device_check.adapter_dtypes(out) == {"F32"}
    save_file({"a": torch.zeros(2, dtype=torch.bfloat16)}, out / "final" / "adapter_model.safetensors")
    assert device_check.adapter_dtypes(out) == {"BF16"}  # what TRL's cast of a 4-bit model's LoRA saves


def test_the_test_only_reward_spreads_a_group_and_is_not_the_recipes():
    import rewards

    scores = device_check.spread_reward(None, ["aaaa", "abcd", [{"role": "assistant", "content": "ab"}]])
    assert len(set(scores)) == 3
    assert device_check.SPREAD_REWARD not in rewards.REWARD_FUNCS  # registered in the checks' processes only


def test_the_learning_rate_probe_summarises_each_run(tmp_path):
    out = tmp_path / "rate"
    out.mkdir()
    rows = [{"step": s, "reward": float(s), "grad_norm": 0.25} for s in range(1, 11)]
    rows += [{"step": 0, "eval/strict_accuracy": 0.25}, {"step": 10, "eval/strict_accuracy": 0.5}]
    (out / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    summary = device_check.rate_summary(out)
    assert summary == {
        "steps": 10,
        "reward_first": 3.0,  # steps 1-5
        "reward_last": 8.0,  # steps 6-10
        "accuracy_first": 0.25,
        "accuracy_last": 0.5,
        "grad_norm": 0.25,
    }
    assert device_check.rate_line(5e-6, summary).startswith("LEARNING_RATE=5e-06: 10 steps, reward 3.00 -> 8.00")


@pytest.mark.slow
def test_device_check_on_cpu_runs_the_hf_check_and_the_refusal_one_line_each(tmp_path):
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "device_check.py"), "--cpu", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    assert [line.split(":")[0] for line in lines] == [
        "PASS hf+4bit+vllm",  # cheap checks first
        "SKIP prequantized",
        "SKIP unsloth",
        "PASS hf (CPU, tiny model)",
        "SKIP unsloth+vllm",  # vLLM last
        "device check",
    ]
    assert "USE_VLLM=auto: off" in lines[0] and "held-out rows at steps [0, 2, 4]" in lines[3]
    assert "priming 2 steps" in lines[3] and "grad norm" in lines[3]  # the spread reward's gradient reached LoRA
    assert lines[-1].startswith("device check: 2 PASS, 0 FAIL, 3 SKIP")
    assert [r["result"] for r in json.loads((tmp_path / "results.json").read_text())] == [
        "PASS",
        "SKIP",
        "SKIP",
        "PASS",
        "SKIP",
    ]
    assert not (tmp_path / "hf_4bit_vllm").exists()  # the refused run wrote nothing
