"""train_grpo.py end to end on CPU: the real GRPOTrainer, real LoRA, the tiny offline Qwen3."""

import json
import shutil
from pathlib import Path

import pytest
from helpers import run_script
from safetensors.torch import load_file

import train_grpo
from recipe import callbacks

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def test_smoke_run_writes_every_artifact(smoke_run):
    final = smoke_run / "final"
    for name in [
        "adapter_model.safetensors",
        "adapter_config.json",
        "tokenizer.json",
        "chat_template.jinja",
    ]:
        assert (final / name).is_file(), name
    config = json.loads((smoke_run / "recipe_config.json").read_text())
    assert config["MAX_STEPS"] == train_grpo.SMOKE["MAX_STEPS"] and config["smoke"] is True
    rows = callbacks.read_metrics(smoke_run / "metrics.jsonl")
    logged = [r for r in rows if "reward" in r]
    assert [r["step"] for r in logged] == list(range(1, train_grpo.SMOKE["MAX_STEPS"] + 1))
    for name in train_grpo.REWARDS:
        assert f"rewards/{name}/mean" in logged[0]
    assert (smoke_run / "reward_curve.png").read_bytes()[:4] == b"\x89PNG"
    card = (smoke_run / "README.md").read_text()
    assert "Final rewards" in card and "check_answer" in card and "LEARNING_RATE" in card
    assert sorted(p.name for p in smoke_run.glob("checkpoint-*")) == [
        "checkpoint-2",
        "checkpoint-4",
    ]


def test_smoke_run_logs_held_out_accuracy_at_step_0_and_every_eval_steps(smoke_run):
    rows = callbacks.read_metrics(smoke_run / "metrics.jsonl")
    evals = [row for row in rows if "eval/strict_accuracy" in row]
    every = train_grpo.SMOKE["EVAL_STEPS"]
    assert [row["step"] for row in evals] == list(range(0, train_grpo.SMOKE["MAX_STEPS"] + 1, every))
    for row in evals:
        for name in ("strict_accuracy", "lenient_accuracy", "exact_format", "truncated"):
            assert 0.0 <= row[f"eval/{name}"] <= 1.0
        assert 0 < row["eval/mean_length"] <= train_grpo.SMOKE["MAX_COMPLETION_LENGTH"]
    card = (smoke_run / "README.md").read_text()
    assert "## Held-out accuracy during training" in card and "held-out accuracy (step 0 -> 4)" in card
    train_rows = [row for row in rows if "reward" in row]
    assert all("rewards/strict_accuracy/mean" in row for row in train_rows)  # the zero-weight metric, in training too


def test_held_out_evaluation_keeps_whole_eval_batches(tmp_path, capsys):
    # 6 problems in batches of 4: TRL averages batch means, so a last batch of 2 would weigh its problems twice.
    args = ["--smoke", "--PRIME_STEPS=0", "--MAX_STEPS=1", "--EVAL_STEPS=1", "--EVAL_PROBLEMS=6"]
    train_grpo.main([*args, "--PER_DEVICE_BATCH_SIZE=4", f"--OUTPUT_DIR={tmp_path}"])
    out = capsys.readouterr().out
    assert "held-out evaluation: 4 problems every 1 steps (left out: " in out  # 6 less any too long, cut to 4
    assert "past the last whole eval batch, so every problem weighs the same)" in out
    resolved = json.loads((tmp_path / "recipe_config.json").read_text())["resolved"]["grpo"]
    assert resolved["per_device_eval_batch_size"] == 4
    evals = [row for row in callbacks.read_metrics(tmp_path / "metrics.jsonl") if "eval/strict_accuracy" in row]
    assert [row["step"] for row in evals] == [0, 1]
    assert all((4 * row["eval/exact_format"]).is_integer() for row in evals)  # a share of the 4 problems


def test_grpo_steps_change_the_lora_weights_and_merge(tmp_path):
    # No priming: LoRA B starts at zero, so any non-zero B comes from GRPO updates. No held-out
    # evaluation either: its sampling would move the random stream these 6 steps draw their groups from.
    args = ["--smoke", "--PRIME_STEPS=0", "--MAX_STEPS=6", "--SAVE_STEPS=100", "--SAVE_MERGED=True", "--EVAL_STEPS=0"]
    train_grpo.main([*args, f"--OUTPUT_DIR={tmp_path}"])
    weights = load_file(str(tmp_path / "final" / "adapter_model.safetensors"))
    lora_b = [w for name, w in weights.items() if "lora_B" in name]
    assert lora_b and any(w.abs().sum() > 0 for w in lora_b)
    merged = load_file(str(tmp_path / "merged" / "model.safetensors"))
    assert not any("lora" in name for name in merged)  # a plain model, loadable without PEFT
    assert (tmp_path / "merged" / "tokenizer.json").is_file()


def rerun_after_a_kill(args: list[str], out: Path, lost_checkpoint: str, capsys) -> str:
    """Run, simulate a kill that lost `lost_checkpoint` and the adapter, rerun: the rerun's stdout."""
    train_grpo.main(args)
    shutil.rmtree(out / lost_checkpoint)
    shutil.rmtree(out / "final")
    capsys.readouterr()
    train_grpo.main(args)
    return capsys.readouterr().out


def logged_steps(out: Path, key: str) -> list[int]:
    """The steps of the metrics.jsonl rows that log `key`, in file order."""
    return [row["step"] for row in callbacks.read_metrics(out / "metrics.jsonl") if key in row]


def test_rerun_resumes_from_the_last_checkpoint(tmp_path, capsys):
    args = ["--smoke", "--PRIME_STEPS=2", "--MAX_STEPS=4", "--SAVE_STEPS=2", f"--OUTPUT_DIR={tmp_path}"]
    out = rerun_after_a_kill(args, tmp_path, "checkpoint-4", capsys)  # killed after its first checkpoint
    assert f"resuming from {tmp_path / 'checkpoint-2'}" in out
    assert "format priming" not in out  # the primed adapter comes back from the checkpoint
    state = json.loads((tmp_path / "checkpoint-4" / "trainer_state.json").read_text())
    assert state["global_step"] == 4
    assert logged_steps(tmp_path, "reward") == [1, 2, 3, 4]  # the re-run steps replace, not duplicate, the lost ones
    # The held-out curve continues: step 0 and 2 kept, no second step-2 evaluation.
    assert logged_steps(tmp_path, "eval/strict_accuracy") == [0, 2, 4]
    assert (tmp_path / "final" / "adapter_model.safetensors").is_file()


def test_rerun_killed_before_its_first_checkpoint_starts_its_logs_afresh(tmp_path, capsys):
    args = [
        "--smoke",
        "--PRIME_STEPS=0",
        "--MAX_STEPS=2",
        "--SAVE_STEPS=2",
        "--EVAL_STEPS=1",
        f"--OUTPUT_DIR={tmp_path}",
    ]
    out = rerun_after_a_kill(args, tmp_path, "checkpoint-2", capsys)  # its only checkpoint lost
    assert "starting a new run" in out
    assert logged_steps(tmp_path, "eval/strict_accuracy") == [0, 1, 2]  # one step 0: the new run's
    assert logged_steps(tmp_path, "reward") == [1, 2]


MISTAKES = [
    ([], "--smoke` runs the whole pipeline on CPU with a tiny model, and `python train_grpo.py --CPU=True"),  # no GPU
    (
        ["--smoke", "--MAX_STEPS=0", "--PRIME_STEPS=0"],
        "error: MAX_STEPS=0 and no format priming train nothing",
    ),  # no training
    (["--CPU=True", "--USE_VLLM=True"], "error: CPU=True cannot use vLLM"),  # a GPU engine in CPU mode
    (["--smoke", "--SAVE_GGUF=True"], "error: SAVE_GGUF=True needs the Unsloth backend"),  # refused before training
    (["--smoke", "--REPORT_TO=mlflow"], "error: REPORT_TO='mlflow': use one of none, tensorboard"),  # unknown tracker
    (["--smoke", "--PUSH_TO_HUB=True"], "error: PUSH_TO_HUB=True needs HUB_MODEL_ID"),  # where to?
    (["--smoke", "--LERNING_RATE=1"], "error: unknown setting 'LERNING_RATE'; valid names: "),  # typo
    (["--smoke", "--REWARDS={'nope': 1.0}"], "error: REWARDS: unknown names ['nope']"),  # unknown reward
    (["--smoke", "--NUM_GENERATIONS=3"], "must be a multiple of NUM_GENERATIONS=3"),  # batch rule
    (["--smoke", "--DATASET_NAME=missing.jsonl"], "error: dataset file not found: missing.jsonl"),  # bad path
    (
        ["--smoke", "--USE_VLLM=True"],
        "error: USE_VLLM=True with VLLM_MODE='colocate' needs vLLM in this environment",
    ),  # no vLLM
    (["--smoke", "--USE_VLLM=True", "--VLLM_MODE=remote"], "error: VLLM_MODE='remote'"),  # unknown mode
    (["--smoke", "--BACKEND=unsloth"], "error: BACKEND='unsloth' needs one CUDA GPU"),  # Unsloth without a GPU
    (["--smoke", "--OPTIM=adamw_8bit"], "error: OPTIM='adamw_8bit' needs bitsandbytes"),  # no bitsandbytes here
    (
        ["--smoke", "--CHAT_TEMPLATE='chatml'"],
        "error: CHAT_TEMPLATE='chatml': use one of 'recipe', 'native'",
    ),  # unknown
    (
        ["--smoke", "--CHAT_TEMPLATE='native'"],
        "has no chat template of its own; use CHAT_TEMPLATE='recipe'",
    ),  # tiny model
]


@pytest.mark.parametrize("args, message", MISTAKES)
def test_user_mistakes_exit_2_with_one_line(args, message):
    result = run_script("train_grpo.py", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.startswith("error:")]) == 1


def test_max_steps_0_saves_the_primed_adapter_with_the_same_reports(tmp_path, capsys):
    train_grpo.main(["--smoke", "--MAX_STEPS=0", "--PRIME_STEPS=4", f"--OUTPUT_DIR={tmp_path}"])
    assert "no GRPO steps" in capsys.readouterr().out
    weights = load_file(str(tmp_path / "final" / "adapter_model.safetensors"))
    assert any(w.abs().sum() > 0 for name, w in weights.items() if "lora_B" in name)  # priming moved LoRA B
    assert not list(tmp_path.glob("checkpoint-*")) and not (tmp_path / "metrics.jsonl").exists()
    assert len((tmp_path / "priming_metrics.jsonl").read_text().splitlines()) >= 4  # priming's own log
    assert (tmp_path / "reward_curve.png").read_bytes()[:4] == b"\x89PNG"
    assert "for 0 GRPO steps" in (tmp_path / "README.md").read_text()


PRIMING_ONLY_RERUNS = [
    # (MAX_STEPS, RESTART, a complete checkpoint in OUTPUT_DIR, refused)
    (0, False, True, True),  # would skip priming (resumed) and save a freshly initialised LoRA as final/
    (0, True, True, False),  # starts over: priming runs, its adapter is the result
    (0, False, False, False),  # a new folder: priming runs
    (4, False, True, False),  # GRPO resumes from the checkpoint
]


@pytest.mark.parametrize("max_steps, restart, checkpoint, refused", PRIMING_ONLY_RERUNS)
def test_a_priming_only_run_on_a_checkpoint_is_refused_before_anything_is_written(
    tmp_path, max_steps, restart, checkpoint, refused
):
    from recipe.config import ConfigError

    if checkpoint:
        (tmp_path / "checkpoint-2").mkdir()
        (tmp_path / "checkpoint-2" / "adapter_model.safetensors").write_bytes(b"")
        (tmp_path / "checkpoint-2" / "trainer_state.json").write_text("{}")
    if not refused:
        cfg = {**train_grpo.CONFIG, **train_grpo.SMOKE, "OUTPUT_DIR": str(tmp_path), "MAX_STEPS": max_steps}
        train_grpo.check_settings({**cfg, "RESTART": restart}, smoke=True)
        return
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(ConfigError) as err:
        train_grpo.main(["--smoke", "--MAX_STEPS=0", f"--OUTPUT_DIR={tmp_path}"])
    assert str(err.value).startswith("OUTPUT_DIR holds checkpoint-2: MAX_STEPS=0 would save no trained adapter")
    assert "--RESTART=True" in str(err.value) and "\n" not in str(err.value)
    assert sorted(tmp_path.rglob("*")) == before  # no recipe_config.json, no final/
