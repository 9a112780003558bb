"""Long runs you can trust: resume skips half-written checkpoints, a mismatched rerun refuses before
touching anything, SIGTERM saves and stops, and the rerun continues the same metrics."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import train_grpo
from recipe import runs
from recipe.config import ConfigError

REPO = Path(__file__).resolve().parents[1]


def make_checkpoint(folder: Path, state: str | None = '{"global_step": 1}', weights: bool = True) -> Path:
    folder.mkdir(parents=True)
    if weights:
        (folder / "adapter_model.safetensors").write_bytes(b"x")
    if state is not None:
        (folder / "trainer_state.json").write_text(state)
    return folder


CHECKPOINTS = [
    # (checkpoints as (step, state text or None, weights?), expected resume step, skipped steps)
    ([(2, "{}", True), (4, "{}", True)], 4, []),  # both complete: the newest
    ([(2, "{}", True), (4, None, True)], 2, [4]),  # killed before trainer_state.json (written last)
    ([(2, "{}", True), (4, '{"global_st', True)], 2, [4]),  # killed while writing it
    ([(2, "{}", True), (4, "{}", False)], 2, [4]),  # weights missing
    ([(2, "{}", True), (10, None, True), (6, None, False)], 2, [10, 6]),  # several, numeric order
    ([(4, None, True)], None, [4]),  # nothing complete: a new run
]


@pytest.mark.parametrize("checkpoints, expected, skipped", CHECKPOINTS)
def test_resume_picks_the_newest_complete_checkpoint(tmp_path, checkpoints, expected, skipped):
    for step, state, weights in checkpoints:
        make_checkpoint(tmp_path / f"checkpoint-{step}", state, weights)
    found, incomplete = runs.resumable_checkpoint(tmp_path)
    assert (runs.checkpoint_step(found) if found else None) == expected
    assert [runs.checkpoint_step(p) for p in incomplete] == skipped
    assert all(p.exists() for p in incomplete)  # never deleted


def test_rerun_check_names_each_differing_setting(tmp_path):
    cfg = {**train_grpo.CONFIG, **train_grpo.SMOKE, "FORMAT": runs.format_fingerprint()}
    (tmp_path / "recipe_config.json").write_text(json.dumps(cfg, default=str))
    (tmp_path / "checkpoint-2").mkdir()  # the folder holds a run that trained
    runs.check_rerun(tmp_path / "recipe_config.json", {**cfg, "MAX_STEPS": 99, "SAVE_STEPS": 7}, "RESTART")  # allowed
    changed = {**cfg, "LORA_RANK": 4, "LORA_TARGET_MODULES": ("q_proj",)}
    with pytest.raises(ConfigError) as err:
        runs.check_rerun(tmp_path / "recipe_config.json", changed, "RESTART")
    message = str(err.value)
    assert "LORA_RANK 8 -> 4" in message and "LORA_TARGET_MODULES" in message and "MAX_STEPS" not in message
    assert "--OUTPUT_DIR" in message and "--RESTART=True" in message


@pytest.mark.slow
def test_truncated_checkpoint_is_skipped_and_the_run_finishes(tmp_path, capsys):
    args = ["--smoke", "--PRIME_STEPS=2", "--MAX_STEPS=4", "--SAVE_STEPS=2", f"--OUTPUT_DIR={tmp_path}"]
    train_grpo.main(args)
    (tmp_path / "checkpoint-4" / "trainer_state.json").write_text('{"global_st')  # killed mid-save
    capsys.readouterr()
    train_grpo.main(args)
    out = capsys.readouterr().out
    assert "skipping incomplete checkpoints (killed while saving?): checkpoint-4" in out
    assert f"resuming from {tmp_path / 'checkpoint-2'}" in out
    assert json.loads((tmp_path / "checkpoint-4" / "trainer_state.json").read_text())["global_step"] == 4


@pytest.mark.slow
def test_mismatched_rerun_refuses_before_touching_the_folder_and_more_steps_continue(tmp_path, capsys):
    args = ["--smoke", "--PRIME_STEPS=2", "--MAX_STEPS=2", "--SAVE_STEPS=2", f"--OUTPUT_DIR={tmp_path}"]
    train_grpo.main(args)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    result = subprocess.run(
        [sys.executable, "train_grpo.py", *args, "--LORA_RANK=4"], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.count("error:") == 1 and "LORA_RANK 8 -> 4" in result.stderr
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before  # nothing overwritten
    capsys.readouterr()
    train_grpo.main([*args[:2], "--MAX_STEPS=4", *args[3:]])  # raising MAX_STEPS continues the run
    assert f"resuming from {tmp_path / 'checkpoint-2'}" in capsys.readouterr().out
    assert json.loads((tmp_path / "recipe_config.json").read_text())["MAX_STEPS"] == 4  # the change is recorded
    train_grpo.main([*args, "--LORA_RANK=4", "--RESTART=True"])  # or start over on purpose
    assert json.loads((tmp_path / "recipe_config.json").read_text())["LORA_RANK"] == 4


def reward_steps(path: Path) -> list[int]:
    if not path.is_file():
        return []
    return [json.loads(line)["step"] for line in path.read_text().splitlines() if '"reward"' in line]


@pytest.mark.slow
def test_sigterm_saves_a_checkpoint_and_the_rerun_continues(tmp_path):
    common = [
        "--smoke",
        "--PRIME_STEPS=0",
        "--SAVE_STEPS=1000",
        "--MAX_COMPLETION_LENGTH=64",
        f"--OUTPUT_DIR={tmp_path}",
    ]
    process = subprocess.Popen(
        [sys.executable, "train_grpo.py", *common, "--MAX_STEPS=500"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 120
    while len(reward_steps(tmp_path / "metrics.jsonl")) < 2 and time.time() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 128 + signal.SIGTERM, err[-2000:]
    stopped = int(out.split("stopped at step ")[1].split(":")[0])
    assert 2 <= stopped < 500 and "rerun the same command to resume" in out
    assert runs.is_complete(tmp_path / f"checkpoint-{stopped}") and not (tmp_path / "final").exists()
    assert (tmp_path / "reward_curve.png").is_file() and (tmp_path / "README.md").is_file()  # reports so far

    done = subprocess.run(
        [sys.executable, "train_grpo.py", *common, f"--MAX_STEPS={stopped + 2}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"resuming from {tmp_path / f'checkpoint-{stopped}'}" in done.stdout
    assert reward_steps(tmp_path / "metrics.jsonl") == list(range(1, stopped + 3))  # continuous
    assert (tmp_path / "final" / "adapter_model.safetensors").is_file()


def test_a_run_that_stopped_on_a_mistake_does_not_block_the_corrected_rerun(tmp_path):
    import train_grpo
    from recipe.config import ConfigError

    with pytest.raises(ConfigError, match="dataset file not found"):
        train_grpo.main(["--smoke", "--DATASET_NAME=missing.jsonl", f"--OUTPUT_DIR={tmp_path}"])
    assert (tmp_path / "recipe_config.json").is_file() and not (tmp_path / "final").exists()
    train_grpo.main(["--smoke", "--PRIME_STEPS=0", "--MAX_STEPS=1", f"--OUTPUT_DIR={tmp_path}"])  # not refused
    assert (tmp_path / "final" / "adapter_model.safetensors").is_file()
