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
