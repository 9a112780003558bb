"""The smoke run in two processes on gloo (torchrun; `accelerate launch --cpu` starts only one)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_two_process_smoke_run_shards_prompts_and_saves_one_adapter(tmp_path):
    cmd = [
        sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29533",
        "train_grpo.py", "--smoke", "--LOG_PROMPTS_PER_RANK=True", f"--OUTPUT_DIR={tmp_path}",
    ]  # fmt: skip
    result = subprocess.run(
        cmd,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("done: adapter in") == 1  # only the main process reports and saves
    assert result.stdout.count("data: ") == 1  # the data step printed once
    assert (tmp_path / "final" / "adapter_model.safetensors").is_file()
    rank0 = set((tmp_path / "prompts_rank0.txt").read_text().splitlines())
    rank1 = set((tmp_path / "prompts_rank1.txt").read_text().splitlines())
    assert rank0 and rank1 and rank0 != rank1  # each rank trained on its own shard of the prompts


def test_batch_rule_counts_every_process():
    # 4 completions per device x 3 processes = 12, not a multiple of NUM_GENERATIONS=8.
    env = {**os.environ, "WORLD_SIZE": "3"}
    cmd = [sys.executable, "train_grpo.py", "--smoke", "--NUM_GENERATIONS=8"]
    result = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 2
    assert "x processes x GRADIENT_ACCUMULATION_STEPS = 12 completions" in result.stderr


@pytest.mark.parametrize(
    "name, distributed_type, zero_stage",
    [("ddp", "MULTI_GPU", None), ("zero2", "DEEPSPEED", 2), ("zero3", "DEEPSPEED", 3)],
)
def test_accelerate_configs_are_valid(name, distributed_type, zero_stage):
    from accelerate.commands.config.config_args import ClusterConfig

    config = ClusterConfig.from_yaml_file(str(REPO / "configs" / f"{name}.yaml"))  # accelerate's own loader
    assert config.distributed_type == distributed_type
    assert config.deepspeed_config.get("zero_stage") == zero_stage
    assert config.mixed_precision == "bf16" and not config.use_cpu


@pytest.mark.slow
def test_a_signal_to_one_rank_stops_every_rank_at_the_same_step(tmp_path):
    import signal
    import time

    import psutil

    cmd = [
        sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29534",
        "train_grpo.py", "--smoke", "--PRIME_STEPS=0", "--MAX_STEPS=500", "--SAVE_STEPS=1000",
        "--MAX_COMPLETION_LENGTH=64", f"--OUTPUT_DIR={tmp_path}",
    ]  # fmt: skip
    launcher = subprocess.Popen(
        cmd,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    metrics = tmp_path / "metrics.jsonl"
    deadline = time.time() + 300
    while (not metrics.is_file() or metrics.read_text().count('"reward"') < 2) and time.time() < deadline:
        time.sleep(0.2)
    workers = [
        p for p in psutil.Process(launcher.pid).children(recursive=True) if "train_grpo.py" in " ".join(p.cmdline())
    ]
    rank1 = next(p for p in workers if p.environ().get("RANK") == "1")
    rank1.send_signal(signal.SIGTERM)  # only rank 1 is told
    out, err = launcher.communicate(timeout=300)
    stopped = int(out.split("stopped at step ")[1].split(":")[0])  # rank 0 stops too, and reports
    state = tmp_path / f"checkpoint-{stopped}" / "trainer_state.json"
    assert state.is_file(), err[-3000:]
    assert not (tmp_path / "final").exists() and stopped < 500


RECORD_SAVES = """
import os, sys
sys.path.insert(0, {repo!r})
import transformers

save_model = transformers.Trainer.save_model


def recorded(self, output_dir=None, _internal_call=False):
    if not _internal_call:  # checkpoints are saved by the trainer itself, on every rank already
        with open({log!r}, "a") as fh:
            fh.write(f"{{os.environ['RANK']}} {{type(self).__name__}} {{output_dir}}\\n")
    return save_model(self, output_dir, _internal_call)


transformers.Trainer.save_model = recorded
import train_grpo
from recipe import config

config.run_main(train_grpo.main)
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    "steps, saver",
    [
        (1, "GRPOTrainer"),  # the GRPO adapter
        (0, "SFTTrainer"),  # MAX_STEPS=0: the primed adapter, saved by the priming trainer the same way
    ],
)
def test_every_rank_calls_the_final_save_as_zero3_requires(tmp_path, steps, saver):
    """Under DeepSpeed ZeRO-3 save_model gathers the sharded weights on every rank: a rank that skips it
    leaves rank 0 waiting forever. On gloo without DeepSpeed the call is the same, and only rank 0 writes."""
    log, run = tmp_path / "saves.txt", tmp_path / "run"
    script = tmp_path / "record_saves.py"
    script.write_text(RECORD_SAVES.format(repo=str(REPO), log=str(log)))
    cmd = [
        sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29535",
        str(script), "--smoke", "--PRIME_STEPS=2", f"--MAX_STEPS={steps}", "--EVAL_STEPS=0", f"--OUTPUT_DIR={run}",
    ]  # fmt: skip
    result = subprocess.run(
        cmd, cwd=REPO, capture_output=True, text=True, timeout=600, env={**os.environ, "OMP_NUM_THREADS": "1"}
    )
    assert result.returncode == 0, result.stderr[-3000:]
    calls = sorted(log.read_text().splitlines())
    assert calls == [f"0 {saver} {run / 'final'}", f"1 {saver} {run / 'final'}"]
    assert (run / "final" / "adapter_model.safetensors").is_file()
    assert result.stdout.count("done: adapter in") == 1  # the tokenizer, reports and card: rank 0 only
