"""bench/device_check.py, the first command on a lent GPU: its verdicts on run folders, and its CPU mode end to end."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

import device_check  # noqa: E402


def run_folder(tmp_path, train_steps=(1, 2, 3, 4), eval_steps=(0, 2, 4), logged=None, adapter=True):
    """A training check's OUTPUT_DIR as train_grpo writes it; `logged` = {step: completions in completions.jsonl}."""
    out = tmp_path / "run"
    (out / "final").mkdir(parents=True)
    if adapter:
        (out / "final" / "adapter_model.safetensors").write_bytes(b"")
    rows = [{"step": s, "reward": 0.0} for s in train_steps] + [
        {"step": s, "eval/strict_accuracy": 0.0} for s in eval_steps
    ]
    (out / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
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
        "PASS hf (CPU, tiny model)",
        "SKIP unsloth+vllm",
        "SKIP unsloth",
        "PASS hf+4bit+vllm",
    ]
    assert "held-out rows at steps [0, 2, 4]" in lines[0] and "USE_VLLM=auto: off" in lines[3]
    assert [r["result"] for r in json.loads((tmp_path / "results.json").read_text())] == [
        "PASS",
        "SKIP",
        "SKIP",
        "PASS",
    ]
    assert not (tmp_path / "hf_4bit_vllm").exists()  # the refused run wrote nothing
