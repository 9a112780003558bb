"""tools/device_check.py, the first command on a lent GPU: its verdicts on run folders, and its CPU mode end to end."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))

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
        [sys.executable, str(REPO / "tools" / "device_check.py"), "--cpu", "--out", str(tmp_path)],
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


class Clock:
    """time.monotonic for the runner: each fake check advances it by the seconds it takes."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def fake_plan(clock, seconds, seen):
    """A plan of the real check names whose runs take `seconds` each and record the time-out they were given."""

    def check(name, took):
        def run(timeout):
            seen.append((name, timeout))
            clock.now += took
            return name, "PASS", f"{took} s"

        return run

    return lambda cpu, done: [
        (name, check(name, took)) for name, took in zip(device_check.CHECKS, seconds, strict=True)
    ]


BUDGETS = [
    # (budget, seconds each check takes, (name, time-out given) per check started, results)
    (540, (10, 10, 10, 10, 10), [(n, 300) for n in device_check.CHECKS], ["PASS"] * 5),  # all fit
    (
        540,
        (10, 300, 200, 10, 10),
        [("hf+4bit+vllm", 300), ("prequantized", 300), ("unsloth", 230)],
        ["PASS"] * 3 + ["SKIP"] * 2,
    ),  # fmt: skip
    (50, (10,) * 5, [], ["SKIP"] * 5),  # less than a check's minimum from the start: nothing started
]


@pytest.mark.parametrize("budget, seconds, started, results", BUDGETS, ids=range(len(BUDGETS)))
def test_checks_fit_the_budget_and_the_rest_skip_with_the_reason(
    tmp_path, monkeypatch, budget, seconds, started, results
):
    clock, seen = Clock(), []
    monkeypatch.setattr(device_check, "OUT", tmp_path)
    monkeypatch.setattr(device_check.time, "monotonic", clock)
    monkeypatch.setattr(device_check, "plan", fake_plan(clock, seconds, seen))
    got = device_check.run_checks(False, None, budget, clock.now)
    assert seen == started  # each check's time-out cut to what is left of the budget
    assert [r for _, r, _ in got] == results
    for name, result, detail in got:
        if result == "SKIP":
            assert f"--only {name}" in detail and f"--budget {budget}" in detail  # how to run it later


def test_each_check_is_printed_and_recorded_as_it_ends(tmp_path, monkeypatch, capsys):
    seen = []

    def second(timeout):  # what an outer kill during the second check would leave
        seen.append(([r["name"] for r in json.loads((tmp_path / "results.json").read_text())], capsys.readouterr().out))
        return "prequantized", "PASS", ""

    monkeypatch.setattr(device_check, "OUT", tmp_path)
    monkeypatch.setattr(
        device_check,
        "plan",
        lambda cpu, done: [("hf+4bit+vllm", lambda t: ("hf+4bit+vllm", "PASS", "ok")), ("prequantized", second)],
    )
    device_check.run_checks(False, None, 540, device_check.time.monotonic())
    assert seen == [(["hf+4bit+vllm"], "PASS hf+4bit+vllm: ok\n")]


def test_only_runs_the_named_checks_and_keeps_an_earlier_invocations_results(tmp_path, monkeypatch):
    clock, seen = Clock(), []
    monkeypatch.setattr(device_check, "OUT", tmp_path)
    monkeypatch.setattr(device_check.time, "monotonic", clock)
    monkeypatch.setattr(device_check, "plan", fake_plan(clock, (10,) * 5, seen))
    device_check.run_checks(False, ["hf+4bit+vllm", "hf"], 540, clock.now)  # the first invocation
    device_check.run_checks(False, ["unsloth+vllm"], 540, clock.now)  # the second: vLLM's alone
    assert [name for name, _ in seen] == ["hf+4bit+vllm", "hf", "unsloth+vllm"]
    recorded = json.loads((tmp_path / "results.json").read_text())
    assert [r["name"] for r in recorded] == ["hf+4bit+vllm", "hf", "unsloth+vllm"]  # in the order checks run


def test_a_timed_out_process_is_killed_with_its_children_and_its_log_kept(tmp_path):
    import time

    grandchild = "import time; time.sleep(60)"  # vLLM's engine core: a grandchild holding the output open
    child = f"import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', {grandchild!r}]); print('started', flush=True); time.sleep(60)"
    start = time.monotonic()
    code, output = device_check.run_logged([sys.executable, "-c", child], tmp_path / "x.log", timeout=3)
    assert code is None and time.monotonic() - start < 30  # not held until the grandchild exits
    assert (tmp_path / "x.log").read_text() == output and "started" in output and "timed out after 3 s" in output


def test_the_prequantize_step_keeps_its_log_when_it_times_out(tmp_path, monkeypatch):
    monkeypatch.setattr(device_check, "OUT", tmp_path)
    monkeypatch.setattr(device_check, "installed", lambda package: True)
    result, detail = device_check.prequantized_check(tmp_path / "model", tmp_path / "quantized", timeout=1)
    assert result == "FAIL" and "timed out after 1 s" in detail
    assert "timed out after 1 s" in (tmp_path / "prequantized.log").read_text()


def test_the_learning_rate_probe_needs_the_model_folder_on_the_gpu_machine(tmp_path, monkeypatch):
    argv = ["device_check.py", "--rates", "5e-6", "1e-5", "--model", "unsloth/Qwen3-4B-Base", "--out", str(tmp_path)]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit, match="a lent GPU has no network"):  # a Hub id: no download there
        device_check.main()


def test_the_learning_rate_probe_fits_one_device_command():
    assert 2 * device_check.PROBE_TIMEOUT <= device_check.BUDGET < 570


@pytest.mark.slow
def test_the_learning_rate_probe_runs_end_to_end_on_cpu(tmp_path):
    done = subprocess.run(
        [sys.executable, str(REPO / "tools" / "device_check.py"), "--cpu", "--rates", "1e-3", "1e-2", "--steps", "2"]
        + ["--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == ["LEARNING_RATE=0.001", "LEARNING_RATE=0.01"], done.stdout
    assert all(": 2 steps, reward " in line and "held-out strict" in line for line in lines), done.stdout
