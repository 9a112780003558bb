"""The GPU path's CPU-checkable parts: settings Unsloth would rewrite are explicit, exports run last
and fail in one line, trainer arguments exist before the model loads, Unsloth's start-up warnings."""

import sys
from pathlib import Path

import pytest

import rewards
import train_grpo
from recipe import checks, generation, models
from recipe.config import ConfigError

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
    settings, _ = train_grpo.check_settings({**train_grpo.CONFIG, **train_grpo.SMOKE}, smoke=True)  # as main() does
    return settings


def test_grpo_config_is_built_with_every_setting_unsloth_rewrites(cfg, tmp_path):
    from trl import GRPOConfig

    settings = train_grpo.grpo_settings(cfg, tmp_path)
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


# --- The GPU path's second reading (issue 19): precision, vLLM, the objective Unsloth would rewrite


@pytest.fixture
def gpu(monkeypatch):
    """Torch's GPU queries faked to one CUDA card of a given compute capability (a T4 is 7.5). Like a
    real T4 under torch 2.13, bf16 tensors can be made on it (torch.cuda.is_bf16_supported() says True);
    Unsloth is replaced by a module with its own rule (unsloth/models/_utils.py: bf16 only when every
    card is Ampere or newer, checked against the pinned wheel by tools/check_gpu_api.py)."""
    import types

    import torch

    def fake(major: int, minor: int = 0) -> None:
        monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
        monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
        monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (major, minor))
        monkeypatch.setattr(
            torch.cuda, "get_device_properties", lambda device=None: types.SimpleNamespace(major=major, minor=minor)
        )
        monkeypatch.setattr(torch.cuda, "_check_bf16_tensor_supported", lambda device: True)
        unsloth = types.ModuleType("unsloth")
        unsloth.is_bfloat16_supported = lambda: all(m >= 8 for m, _ in [torch.cuda.get_device_capability()])
        monkeypatch.setitem(sys.modules, "unsloth", unsloth)

    return fake


@pytest.mark.parametrize("backend", ["unsloth", "hf"])
@pytest.mark.parametrize("capability, bf16", [((7, 5), False), ((7, 0), False), ((8, 0), True), ((9, 0), True)])
def test_precision_follows_the_loaders_decision_never_bf16_before_ampere(gpu, backend, capability, bf16, tmp_path):
    import torch

    gpu(*capability)
    assert torch.cuda.is_bf16_supported()  # the trap: True on every faked card, a T4 included
    cfg = {**train_grpo.CONFIG, "BACKEND": backend}
    assert checks.compute_dtype(cfg) is (torch.bfloat16 if bf16 else torch.float16)
    for settings in (
        train_grpo.grpo_settings(cfg, tmp_path),
        train_grpo.priming_settings(cfg, tmp_path),
    ):
        assert (settings["bf16"], settings["fp16"]) == (bf16, not bf16)  # recorded under `resolved`


VLLM_AUTO = [
    # (GPU in use, vLLM installed, backend, VLLM_MODE, LOAD_IN_4BIT, resolved USE_VLLM)
    (True, True, "unsloth", "colocate", True, True),  # installed on the Unsloth backend: fast_inference, 4-bit too
    (True, True, "hf", "colocate", False, True),  # installed on the hf backend, 16-bit: TRL colocate
    (True, True, "hf", "colocate", True, False),  # hf + 4-bit: TRL would sync packed 4-bit tensors to vLLM
    (True, False, "unsloth", "colocate", True, False),  # not installed
    (False, True, "hf", "colocate", False, False),  # no GPU in use (CPU mode, --smoke)
    (True, True, "hf", "server", False, False),  # a server must be started by hand: USE_VLLM=True asks for it
]


def pretend_vllm(monkeypatch, gpu_on: bool, installed: bool, plugin: bool = True) -> None:
    """A GPU in use or not, vLLM installed or not, and with it `vllm-bnb-plugin` or not (vLLM 0.32.0's
    version as installed: no bitsandbytes in tree)."""
    import importlib.util
    from importlib import metadata

    find_spec, version = importlib.util.find_spec, metadata.version
    present = {"vllm": installed, checks.VLLM_BNB_MODULE: installed and plugin}
    monkeypatch.setattr(checks, "use_gpu", lambda cfg: gpu_on)
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: (object() if present[name] else None) if name in present else find_spec(name, *a),
    )
    monkeypatch.setattr(metadata, "version", lambda name: "0.32.0" if name == "vllm" else version(name))


@pytest.mark.parametrize("gpu_on, installed, backend, mode, four_bit, expected", VLLM_AUTO)
def test_use_vllm_auto_is_on_exactly_when_vllm_can_run(
    monkeypatch, capsys, gpu_on, installed, backend, mode, four_bit, expected
):
    pretend_vllm(monkeypatch, gpu_on, installed)
    cfg = {**train_grpo.CONFIG, "VLLM_MODE": mode, "LOAD_IN_4BIT": four_bit}
    assert checks.resolve_vllm(cfg, backend) is expected
    said = capsys.readouterr().out
    assert f"USE_VLLM=auto: {'on' if expected else 'off'}" in said  # said in one line, with the reason
    if backend == "hf" and four_bit and installed and gpu_on:
        assert "--LOAD_IN_4BIT=False" in said
    assert checks.resolve_vllm({**cfg, "USE_VLLM": False}, backend) is False  # forced off
    with pytest.raises(ConfigError, match="USE_VLLM='yes'"):
        checks.resolve_vllm({**cfg, "USE_VLLM": "yes"}, backend)


@pytest.mark.parametrize("mode", ["colocate", "server"])
def test_use_vllm_true_on_the_hf_backend_in_4bit_is_refused_with_the_way_out(monkeypatch, mode):
    pretend_vllm(monkeypatch, True, True)
    cfg = {**train_grpo.CONFIG, "USE_VLLM": True, "VLLM_MODE": mode}
    with pytest.raises(ConfigError, match=r"LOAD_IN_4BIT=True: TRL syncs 4-bit weights .*--LOAD_IN_4BIT=False"):
        checks.check_vllm(cfg, "hf")
    checks.check_vllm({**cfg, "LOAD_IN_4BIT": False}, "hf")  # 16-bit weights: accepted
    if mode == "colocate":
        checks.check_vllm(cfg, "unsloth")  # Unsloth's own path loads its 4-bit weights into vLLM itself


def readme_commands(script: str) -> list[list[str]]:
    """The --NAME=value flags of each command that runs `script` in README.md and docs/*.md (continuations joined)."""
    repo = Path(__file__).resolve().parents[1]
    pages = [repo / "README.md", *sorted((repo / "docs").glob("*.md"))]
    text = "\n".join(page.read_text().replace("\\\n", " ") for page in pages)
    return [
        [word for word in line.split(script, 1)[1].split() if word.startswith("--") and "=" in word]
        for line in text.splitlines()
        if f" {script}" in line and not line.lstrip().startswith(("#", "|", "`"))
    ]


def test_the_readmes_training_commands_pass_the_start_up_checks_on_a_gpu_with_vllm(monkeypatch, tmp_path):
    from recipe import config

    pretend_vllm(monkeypatch, True, True)
    monkeypatch.setattr(checks, "require_gpu_or_smoke", lambda *a: None)
    monkeypatch.setattr(checks, "check_optimizer", lambda optim: None)  # bitsandbytes is a GPU install
    monkeypatch.setattr(checks, "has_cuda", lambda: True)
    commands = [flags for flags in readme_commands("train_grpo.py") if "--smoke" not in flags]
    assert any("--USE_VLLM=True" in flags for flags in commands)  # the vLLM server line is among them
    for flags in commands:
        cfg, _ = config.resolve_config(train_grpo.CONFIG, [*flags, f"--OUTPUT_DIR={tmp_path}"], train_grpo.SMOKE)
        train_grpo.check_settings(cfg, smoke=False)  # no ConfigError: each works as written


def test_vllm_sampler_limits_are_mapped_or_refused_at_start():
    assert checks.vllm_min_p(None) == 0.0  # SamplingParams(min_p=None) raises in vLLM 0.32
    for temperature in (2.5, -0.1, None):
        with pytest.raises(ConfigError, match="vLLM samples only at 0 to 2"):
            checks.check_vllm_temperature(temperature)
    checks.check_vllm_temperature(2.0)


def test_evaluate_refuses_a_second_vllm_engine_and_out_of_range_sampling(tmp_path):
    import evaluate

    merged = tmp_path / "merged"
    merged.mkdir()
    (merged / "config.json").write_text("{}")
    cfg = {**evaluate.CONFIG, "USE_VLLM": True, "ADAPTER": str(merged)}
    assert generation.is_merged(str(merged))
    with pytest.raises(ConfigError, match="second vLLM engine"):
        evaluate.check_vllm_settings(cfg, "unsloth")
    with pytest.raises(ConfigError, match="vLLM samples only"):
        evaluate.check_vllm_settings({**cfg, "ADAPTER": None, "NUM_SAMPLES": 4, "TEMPERATURE": 3.0}, "unsloth")
    evaluate.check_vllm_settings({**cfg, "USE_VLLM": False}, "unsloth")  # the HF path: no limit of vLLM's
    evaluate.check_vllm_settings(cfg, "hf")  # evaluate's vLLM path is Unsloth's


@pytest.mark.parametrize(
    "sampler, expected",
    [
        ({"MIN_P": 0.1}, False),  # the recipe's min-p: vLLM's log-probs are of the truncated distribution
        ({"MIN_P": None, "TOP_P": 0.9}, False),  # top-p truncates too
        ({"MIN_P": None, "TOP_K": 50}, False),  # and top-k
        ({"MIN_P": None, "TOP_P": 1.0, "TOP_K": 0}, True),  # untruncated: the correction compares like with like
    ],
)
def test_importance_sampling_correction_is_never_on_with_a_truncating_sampler(cfg, tmp_path, sampler, expected):
    from trl import GRPOConfig

    settings = {**cfg, **sampler, "USE_VLLM": True, "VLLM_IMPORTANCE_SAMPLING_CORRECTION": "auto"}
    settings["VLLM_IMPORTANCE_SAMPLING_CORRECTION"] = checks.resolve_is_correction(settings)
    grpo = train_grpo.grpo_settings(settings, tmp_path)
    args = GRPOConfig(**{**grpo, "max_completion_length": 24})  # built as the script builds it
    assert args.use_vllm is True and args.vllm_importance_sampling_correction is expected
    if not expected:
        with pytest.raises(ConfigError, match="shrinks every completion's loss"):
            checks.resolve_is_correction({**settings, "VLLM_IMPORTANCE_SAMPLING_CORRECTION": True})


@pytest.mark.parametrize("loss_type", ["dapo", "grpo", "dr_grpo", "bnpo"])
@pytest.mark.parametrize("scale_rewards", ["group", "batch", "none"])
def test_unsloth_is_told_scale_rewards_so_that_it_keeps_ours(loss_type, scale_rewards):
    passed = models.unsloth_config_args({"loss_type": loss_type, "scale_rewards": scale_rewards})
    # unsloth/models/rl.py turns dr_grpo's "group" into False and keeps scaling only for None (-> True = "group")
    keeps_scaling = loss_type == "dr_grpo" and scale_rewards == "group"
    assert passed["scale_rewards"] == (None if keeps_scaling else scale_rewards)


def test_adapter_trained_on_unsloths_4bit_twin_is_the_same_base(tmp_path):
    import json

    (tmp_path / "adapter_config.json").write_text(
        json.dumps({"base_model_name_or_path": "unsloth/Qwen3-4B-Base-unsloth-bnb-4bit"})
    )
    assert generation.adapter_base_warning(str(tmp_path), "unsloth/Qwen3-4B-Base") is None
    assert "trained on" in generation.adapter_base_warning(str(tmp_path), "Qwen/Qwen2.5-0.5B")


@pytest.mark.parametrize("checkpointing, expected", [(True, "unsloth"), (False, False)])
def test_unsloth_loader_honours_gradient_checkpointing_and_names_the_weights_it_loaded(
    monkeypatch, tiny_tokenizer, capsys, checkpointing, expected
):
    import types

    calls = {}
    model = models.build_tiny_model(tiny_tokenizer)
    model.config._name_or_path = "unsloth/Qwen3-4B-Base-unsloth-bnb-4bit"  # what Unsloth swaps in for 4-bit

    class FastLanguageModel:  # records what our loader passes; Unsloth itself needs a GPU
        @staticmethod
        def from_pretrained(**kwargs):
            calls["from_pretrained"] = kwargs
            return model, tiny_tokenizer

        @staticmethod
        def get_peft_model(model, **kwargs):
            calls["get_peft_model"] = kwargs
            return model

    monkeypatch.setitem(sys.modules, "unsloth", types.SimpleNamespace(FastLanguageModel=FastLanguageModel))
    cfg = {**train_grpo.CONFIG, "GRADIENT_CHECKPOINTING": checkpointing, "USE_VLLM": False}
    models.load_model(cfg, "unsloth", smoke=False)
    assert calls["from_pretrained"]["use_gradient_checkpointing"] == expected
    assert calls["get_peft_model"]["use_gradient_checkpointing"] == expected
    assert calls["from_pretrained"]["dtype"] is None  # Unsloth's own precision: what supports_bf16 reads
    assert "Unsloth loaded 'unsloth/Qwen3-4B-Base-unsloth-bnb-4bit'" in capsys.readouterr().out


# --- The GPU path's fourth reading (issue 34)

VLLM_BNB = [
    # (backend, LOAD_IN_4BIT, plugin installed, USE_VLLM=auto resolves to, USE_VLLM=True refused)
    (
        "unsloth",
        True,
        False,
        False,
        True,
    ),  # the default run with requirements-vllm.txt minus the plugin: load_vllm raises
    ("unsloth", True, True, True, False),  # the plugin registers bitsandbytes with vLLM: Unsloth's fast path
    ("unsloth", False, False, True, False),  # 16-bit weights need no bitsandbytes in vLLM
    ("hf", False, False, True, False),  # hf + 16-bit: TRL colocate, no bitsandbytes either
]


@pytest.mark.parametrize("backend, four_bit, plugin, auto, refused", VLLM_BNB)
def test_vllm_without_its_bitsandbytes_plugin_is_off_under_auto_and_refused_when_asked(
    monkeypatch, capsys, backend, four_bit, plugin, auto, refused
):
    pretend_vllm(monkeypatch, True, True, plugin=plugin)
    cfg = {**train_grpo.CONFIG, "LOAD_IN_4BIT": four_bit}
    assert checks.resolve_vllm(cfg, backend) is auto
    said = [line for line in capsys.readouterr().out.splitlines() if line.startswith("USE_VLLM=auto")]
    assert len(said) == 1 and (auto or "vllm-bnb-plugin" in said[0])  # one line, naming the package when off
    forced = {**cfg, "USE_VLLM": True}
    if refused:
        with pytest.raises(ConfigError, match="vllm-bnb-plugin.*--USE_VLLM=False"):
            checks.check_vllm(forced, backend)
    else:
        checks.check_vllm(forced, backend)


def test_evaluate_with_vllm_in_4bit_refuses_without_the_plugin(monkeypatch):
    import evaluate

    pretend_vllm(monkeypatch, True, True, plugin=False)
    cfg = {**evaluate.CONFIG, "USE_VLLM": True, "ADAPTER": None}
    with pytest.raises(ConfigError, match="vllm-bnb-plugin"):
        evaluate.check_vllm_settings(cfg, "unsloth")
    evaluate.check_vllm_settings({**cfg, "LOAD_IN_4BIT": False}, "unsloth")  # 16-bit: no plugin needed
    pretend_vllm(monkeypatch, True, True, plugin=True)
    evaluate.check_vllm_settings(cfg, "unsloth")


def test_vllm_extra_pins_the_bitsandbytes_plugin():
    text = (Path(__file__).resolve().parents[1] / "requirements-vllm.txt").read_text()
    assert "vllm-bnb-plugin==0.0.3" in text


@pytest.mark.parametrize("vllm_here", [False, True])
def test_vllm_server_mode_needs_vllm_in_the_trainers_environment(monkeypatch, vllm_here):
    pretend_vllm(monkeypatch, True, vllm_here)
    cfg = {**train_grpo.CONFIG, "USE_VLLM": True, "VLLM_MODE": "server", "LOAD_IN_4BIT": False}
    if vllm_here:
        checks.check_vllm(cfg, "hf")  # TRL's client imports vLLM here too: installed, accepted
    else:  # refused at start, not after the model and data loaded on every GPU
        with pytest.raises(ConfigError, match="VLLM_MODE='server' needs vLLM in the trainers' environment"):
            checks.check_vllm(cfg, "hf")


def build_trainer(stage: str, cfg: dict, model, tokenizer, tmp_path):
    """A trainer built as train_grpo builds it (priming's SFTTrainer or the GRPOTrainer), not trained."""
    import datasets
    from trl import GRPOConfig, GRPOTrainer, SFTConfig, SFTTrainer

    from recipe import data

    if stage == "priming":
        samples = data.priming_samples(data.PRIMING_DATASET, tokenizer=tokenizer, max_tokens=256)
        args = SFTConfig(**train_grpo.priming_settings(cfg, tmp_path))
        return SFTTrainer(model=model, args=args, train_dataset=samples, processing_class=tokenizer)
    one = {"match_format_exactly": cfg["REWARDS"]["match_format_exactly"]}
    grpo = {**train_grpo.grpo_settings({**cfg, "REWARDS": one}, tmp_path), "max_completion_length": 8}
    grpo["reward_weights"] = grpo["reward_weights"][:1]
    prompts = datasets.Dataset.from_dict({"prompt": [[{"role": "user", "content": "1+1?"}]] * 4})
    return GRPOTrainer(
        model=model,
        processing_class=tokenizer,
        reward_funcs=[rewards.match_format_exactly],
        args=GRPOConfig(**grpo),
        train_dataset=prompts,
    )


@pytest.mark.parametrize("stage", ["priming", "grpo"])
def test_a_4bit_models_lora_weights_are_float32_when_each_trainer_starts_on_the_hf_backend(
    cfg, tiny_tokenizer, tmp_path, stage
):
    import torch

    model, _ = models.load_model({**cfg, "EVAL_STEPS": 0}, "hf", smoke=True)
    model.get_base_model().is_loaded_in_4bit = True  # what bitsandbytes 4-bit loading sets (read through PEFT)
    trainer = build_trainer(stage, {**cfg, "EVAL_STEPS": 0}, model, tiny_tokenizer, tmp_path)
    trainable = [p for p in trainer.model.parameters() if p.requires_grad]
    assert trainable and {p.dtype for p in trainable} == {torch.bfloat16}  # TRL's constructor cast them (the bug)
    train_grpo.ready_to_train({"BACKEND": "hf"}, trainer)  # the recipe's step between building and train()
    assert {p.dtype for p in trainable} == {torch.float32}
    frozen = [p for p in trainer.model.parameters() if not p.requires_grad]
    assert {p.dtype for p in frozen} == {torch.float32}  # only the adapter was touched (the tiny model is fp32)


def test_the_float32_line_is_said_once_for_priming_and_grpo(cfg, tiny_tokenizer, tmp_path, capsys):
    settings = {**cfg, "EVAL_STEPS": 0}
    model, _ = models.load_model(settings, "hf", smoke=True)
    model.get_base_model().is_loaded_in_4bit = True
    for stage in ("priming", "grpo"):  # as a run builds them, on the same model: each casts the adapter
        train_grpo.ready_to_train({"BACKEND": "hf"}, build_trainer(stage, settings, model, tiny_tokenizer, tmp_path))
    assert capsys.readouterr().out.count("LoRA weights kept in float32") == 1


def test_a_16bit_models_lora_weights_are_left_as_they_are(tiny_tokenizer):
    import torch

    model = models.build_tiny_model(tiny_tokenizer).to(torch.bfloat16)
    assert models.keep_trainable_fp32(model) == 0  # not quantized: TRL casts nothing, nor do we
    assert {p.dtype for p in model.parameters()} == {torch.bfloat16}


@pytest.mark.parametrize("four_bit", [True, False])
def test_evaluate_loads_a_merged_folder_in_16_bit_and_says_so(tmp_path, monkeypatch, capsys, four_bit):
    import evaluate

    merged = tmp_path / "merged"
    merged.mkdir()
    (merged / "config.json").write_text("{}")
    loads = []
    monkeypatch.setattr(models, "load_model", lambda cfg, *a, **k: (loads.append(cfg), ("model", "tokenizer"))[1])
    monkeypatch.setattr(generation, "make_generator", lambda *a: lambda problems, **k: [{} for _ in problems])
    cfg = {**evaluate.CONFIG, "ADAPTER": str(merged), "LOAD_IN_4BIT": four_bit, "BASE_PROMPTS": ()}
    generation.generate_runs(cfg, "hf", "base model", "tokenizer", ["1+1?"])
    assert [c["MODEL_NAME"] for c in loads] == [str(merged)]  # the base was loaded by the caller
    assert loads[0]["LOAD_IN_4BIT"] is False  # never re-quantized to NF4
    said = [line for line in capsys.readouterr().out.splitlines() if line.startswith("merged model")]
    assert len(said) == (1 if four_bit else 0) and (not said or "loaded in 16-bit" in said[0])


TOP_K_RUN = [
    # (backend, USE_VLLM, TOP_K, top_k passed and recorded)
    ("unsloth", True, 0, -1),  # Unsloth's config spells "no top-k" -1 under vLLM: recorded as it runs
    ("unsloth", False, 0, 0),  # Unsloth's own generate: 0 as given
    ("hf", True, 0, 0),  # TRL colocate keeps 0 (vLLM 0.32 reads 0 and -1 alike)
    ("unsloth", True, 20, 20),  # a real cut is passed as is
]


@pytest.mark.parametrize("backend, use_vllm, top_k, expected", TOP_K_RUN)
def test_recipe_config_records_the_top_k_that_runs(cfg, tmp_path, backend, use_vllm, top_k, expected):
    from trl import GRPOConfig

    settings = {**cfg, "BACKEND": backend, "USE_VLLM": use_vllm, "TOP_K": top_k}
    grpo = train_grpo.grpo_settings(settings, tmp_path)
    assert grpo["top_k"] == expected  # what resolved["grpo"] in recipe_config.json says
    assert GRPOConfig(**{**grpo, "max_completion_length": 24}).top_k == expected
