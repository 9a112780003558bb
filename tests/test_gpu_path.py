"""The GPU path's CPU-checkable parts: settings Unsloth would rewrite are explicit, exports run last
and fail in one line, trainer arguments exist before the model loads, Unsloth's start-up warnings."""

import sys
from pathlib import Path

import pytest

import models
import rewards
import train_grpo

# Settings whose defaults Unsloth 2026.10.7's patched configs change (unsloth/models/rl.py:3238-3269 for
# every config, rl.py:3284-3297 and 3436-3491 for GRPO, rl_replacements.py:161 for top_k under vLLM).
UNSLOTH_REWRITES_ANY = (
    "per_device_train_batch_size",
    "gradient_accumulation_steps",
    "weight_decay",
    "seed",
    "optim",
    "learning_rate",
    "logging_steps",
    "warmup_steps",
    "bf16",
    "fp16",
    "report_to",
)
UNSLOTH_REWRITES_GRPO = (
    "loss_type",
    "beta",
    "epsilon_high",
    "mask_truncated_completions",
    "scale_rewards",
    "top_k",
    "vllm_importance_sampling_correction",
    "num_generations",
    "vllm_mode",
)
UNSLOTH_REWRITES_SFT = ("padding_free",)


@pytest.fixture
def cfg():
    settings = {**train_grpo.CONFIG, **train_grpo.SMOKE}
    settings["EPSILON_HIGH"] = settings["EPSILON"]  # as main() resolves it
    return settings


def test_grpo_config_is_built_with_every_setting_unsloth_rewrites(cfg, tmp_path):
    from trl import GRPOConfig

    settings = train_grpo.grpo_settings(cfg, tmp_path, list(rewards.REWARD_FUNCS))
    args = GRPOConfig(**{**settings, "max_completion_length": 24})
    for name in UNSLOTH_REWRITES_ANY + UNSLOTH_REWRITES_GRPO:
        assert name in settings and settings[name] is not None, name
        if name != "report_to":  # transformers stores "none" as []
            assert getattr(args, name) == settings[name], name  # TRL keeps what we pass
    assert args.epsilon_high == args.epsilon  # not Unsloth's 0.28


def test_priming_config_is_built_with_every_setting_unsloth_rewrites(cfg, tmp_path):
    from trl import SFTConfig

    settings = train_grpo.priming_settings(cfg, tmp_path)
    args = SFTConfig(**settings)
    for name in UNSLOTH_REWRITES_ANY + UNSLOTH_REWRITES_SFT:
        assert name in settings and settings[name] is not None, name
        if name != "report_to":
            assert getattr(args, name) == settings[name], name
    assert (args.gradient_accumulation_steps, args.weight_decay, args.warmup_steps) == (1, 0.0, 0.0)


@pytest.mark.slow
def test_resolved_settings_are_recorded_and_shown_in_the_card(tmp_path):
    import json

    train_grpo.main(["--smoke", "--PRIME_STEPS=2", "--MAX_STEPS=2", f"--OUTPUT_DIR={tmp_path}"])
    saved = json.loads((tmp_path / "recipe_config.json").read_text())
    assert saved["EPSILON_HIGH"] == saved["EPSILON"]
    assert saved["resolved"]["grpo"]["max_completion_length"] == train_grpo.SMOKE["MAX_COMPLETION_LENGTH"]
    assert saved["resolved"]["priming"]["gradient_accumulation_steps"] == 1
    card = (tmp_path / "README.md").read_text()
    assert "## grpo settings (as trained)" in card and "| epsilon_high | `0.2` |" in card
    assert "## priming settings (as trained)" in card and "| padding_free | `False` |" in card


@pytest.mark.slow
def test_a_failing_export_is_one_line_after_everything_is_saved(tmp_path, monkeypatch, capsys):
    def no_network(*args, **kwargs):
        raise OSError("We couldn't connect to 'https://huggingface.co' to load the files\nmore detail")

    monkeypatch.setattr(models, "save_merged", no_network)  # what an offline Unsloth merge raises
    train_grpo.main(["--smoke", "--PRIME_STEPS=0", "--MAX_STEPS=2", "--SAVE_MERGED=True", f"--OUTPUT_DIR={tmp_path}"])
    out = capsys.readouterr().out
    failed = [line for line in out.splitlines() if line.startswith("SAVE_MERGED failed")]
    assert len(failed) == 1 and "OSError: We couldn't connect" in failed[0] and "more detail" not in out
    assert out.index("done: adapter in") < out.index("SAVE_MERGED failed")
    for name in ("final/adapter_model.safetensors", "README.md", "reward_curve.png", "metrics.jsonl"):
        assert (tmp_path / name).is_file(), name


@pytest.mark.slow
def test_trainer_arguments_exist_before_the_model_loads(tmp_path, monkeypatch):
    """Under DeepSpeed ZeRO-3 a GRPOConfig built first is what makes from_pretrained load sharded
    (transformers 5.17 training_args.py:1684-1690 sets the DeepSpeed weakref)."""
    import trl

    order = []
    post_init = trl.GRPOConfig.__post_init__
    load_model = models.load_model
    monkeypatch.setattr(trl.GRPOConfig, "__post_init__", lambda self: (order.append("args"), post_init(self))[1])
    monkeypatch.setattr(models, "load_model", lambda *a, **k: (order.append("model"), load_model(*a, **k))[1])
    train_grpo.main(["--smoke", "--PRIME_STEPS=0", "--MAX_STEPS=1", f"--OUTPUT_DIR={tmp_path}"])
    assert order[:2] == ["args", "model"]


def test_start_unsloth_warns_about_early_imports_and_a_trainer_fallback(tmp_path, monkeypatch, capsys):
    import trl

    (tmp_path / "unsloth.py").write_text("")  # an empty stand-in: Unsloth itself needs a GPU to import
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "unsloth", raising=False)
    models.start_unsloth()
    monkeypatch.delitem(sys.modules, "unsloth")  # transformers / trl are imported already in this test process
    out = capsys.readouterr().out
    assert "versions: " in out and "transformers 5.17.0" in out and "trl 1.14.2" in out
    assert "WARNING: transformers, trl" in out and "imported before Unsloth" in out
    assert "falls back to TRL's own" in out and trl.GRPOTrainer.__name__ == "GRPOTrainer"


def test_vllm_extra_pins_the_version_that_resolves_with_the_recipe():
    text = (Path(__file__).resolve().parents[1] / "requirements-vllm.txt").read_text()
    assert "-r requirements.txt" in text and "vllm==0.32.0" in text
