"""The static GPU contract: our Unsloth keywords against the pinned wheels' signatures, read with ast."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))

import check_gpu_api  # noqa: E402


def test_our_unsloth_calls_are_found_in_our_source():
    calls = check_gpu_api.our_calls()
    assert {"model_name", "load_in_4bit", "fast_inference", "max_lora_rank"} <= calls["from_pretrained"]
    assert {"r", "lora_alpha", "target_modules", "use_gradient_checkpointing"} <= calls["get_peft_model"]
    assert "save_method" in calls["save_pretrained_merged"]
    assert "quantization_method" in calls["save_pretrained_gguf"]
    assert {"sampling_params", "lora_request"} <= calls["fast_generate"]  # lora_request through **request
    assert {
        "temperature",
        "max_tokens",
        "seed",
        "min_p",
        "n",
        "stop_token_ids",
    } == check_gpu_api.sampling_params_calls()


def fake_wheels(tmp_path, rename=None):
    """Wheels holding just the functions the check reads; `rename` = (old, new) parameter name."""
    sources = {
        "unsloth/models/loader.py": "class FastLanguageModel:\n    def from_pretrained(model_name=None, max_seq_length=2048, dtype=None, load_in_4bit=True, use_gradient_checkpointing='unsloth', fast_inference=False, max_lora_rank=64, gpu_memory_utilization=0.5, random_state=3407, *args, **kwargs): pass\n    def for_inference(model): pass\n",
        "vllm/entrypoints/llm.py": "class LLM:\n    def generate(self, prompts=None, sampling_params=None, use_tqdm=True, lora_request=None): pass\n",
        "vllm/sampling_params.py": "class SamplingParams:\n    n: int = 1\n    temperature: float = 1.0\n    min_p: float = 0.0\n    seed: int = None\n    max_tokens: int = 16\n    stop_token_ids: list = None\n",
        "unsloth/models/llama.py": "class FastLlamaModel:\n    def get_peft_model(model, r=16, target_modules=None, lora_alpha=16, lora_dropout=0.0, use_gradient_checkpointing='unsloth', random_state=3407, **kwargs): pass\n",
        "unsloth/save.py": "def unsloth_generic_save_pretrained_merged(self, save_directory, tokenizer=None, save_method='merged_16bit'): pass\ndef unsloth_save_pretrained_gguf(self, save_directory, tokenizer=None, quantization_method='fast_quantized'): pass\n",
        "unsloth_zoo/vllm_utils.py": "def load_lora(model, save_directory, load_tensors=False, lora_request_id=None): pass\n",
    }
    wheels = {}
    for package in ("unsloth", "unsloth_zoo", "vllm"):
        path = tmp_path / f"{package}-0-py3-none-any.whl"
        with zipfile.ZipFile(path, "w") as archive:
            for name, text in sources.items():
                if name.startswith(package + "/"):
                    archive.writestr(name, text.replace(*rename) if rename else text)
        wheels[package] = path
    return wheels


def test_matching_signatures_report_no_drift(tmp_path):
    assert check_gpu_api.check_signatures(fake_wheels(tmp_path)) == []


def test_a_renamed_parameter_is_drift_even_behind_kwargs(tmp_path):
    problems = check_gpu_api.check_signatures(fake_wheels(tmp_path, rename=("max_lora_rank", "lora_rank_max")))
    assert (
        len(problems) == 1 and "'max_lora_rank' is not a parameter of FastLanguageModel.from_pretrained" in problems[0]
    )


def test_a_missing_function_is_drift(tmp_path):
    problems = check_gpu_api.check_signatures(fake_wheels(tmp_path, rename=("def load_lora", "def load_adapter")))
    assert problems == ["load_lora: load_lora not found in unsloth_zoo-0-py3-none-any.whl:unsloth_zoo/vllm_utils.py"]


@pytest.fixture(scope="module")
def pinned_wheels(tmp_path_factory):
    """The pinned unsloth, unsloth_zoo and vllm wheels (downloaded once; ~360 MB, seconds from PyPI)."""
    folder = tmp_path_factory.mktemp("wheels")
    try:
        return check_gpu_api.download(folder)
    except subprocess.CalledProcessError as err:
        pytest.skip(f"pinned wheels cannot be downloaded here: {err.stderr.decode().strip()[-200:]}")


@pytest.mark.slow
def test_pinned_wheels_accept_every_keyword_and_setting_we_pass(pinned_wheels):
    folder = next(iter(pinned_wheels.values())).parent
    result = subprocess.run(
        [sys.executable, "tools/check_gpu_api.py", "--wheels", str(folder)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout
    assert "0 drift(s)" in result.stdout


@pytest.mark.slow
def test_unsloths_dr_grpo_rewrite_is_drift_without_our_translation(pinned_wheels, monkeypatch):
    from recipe import models

    with zipfile.ZipFile(pinned_wheels["unsloth"]) as archive:
        rl_source = archive.read("unsloth/models/rl.py").decode()
    assert check_gpu_api.check_rewrites(rl_source) == []
    monkeypatch.setattr(models, "unsloth_config_args", lambda settings: settings)  # pass "group" as is
    assert check_gpu_api.check_rewrites(rl_source) == [
        "Unsloth's config rewrites scale_rewards 'group' -> 'none' (loss_type='dr_grpo', scale_rewards='group')"
    ]


def test_unsloth_defaults_are_read_per_trainer_and_unpassed_ones_are_drift(monkeypatch):
    rl_source = (
        "def patch(trainer_file):\n"
        "    replacements = {'seed': 3407, 'logging_nan_inf_filter': False, 'new_default': 1}\n"
        "    replacements['warmup_steps'] = 0.1\n"
        "    if trainer_file == 'grpo_trainer':\n"
        "        replacements = {'beta': None, 'loss_type': None}\n"
        "    if trainer_file == 'sft_trainer':\n"
        "        replacements = {'loss_type': 'nll'}\n"
    )
    found = check_gpu_api.unsloth_defaults(rl_source)
    assert found == {
        None: {"seed", "logging_nan_inf_filter", "new_default", "warmup_steps"},
        "grpo_trainer": {"beta", "loss_type"},
        "sft_trainer": {"loss_type"},
    }
    known = {"seed", "new_default", "beta", "loss_type", "warmup_steps"}  # fields of both configs, say
    monkeypatch.setattr(check_gpu_api, "config_fields", lambda cls: known)
    problems = [p for p in check_gpu_api.check_configs(rl_source) if "Unsloth's patched config fills" in p]
    assert problems == [  # a default a version bump brought in, which we neither pass nor classify
        "grpo: Unsloth's patched config fills 'new_default' (rl.py `replacements`) and we do not pass it",
        "priming: Unsloth's patched config fills 'new_default' (rl.py `replacements`) and we do not pass it",
    ]


def test_a_sampling_params_keyword_vllm_lacks_is_drift(tmp_path):
    problems = check_gpu_api.check_signatures(fake_wheels(tmp_path, rename=("min_p: float", "minimum_p: float")))
    assert problems == ["SamplingParams: our keyword 'min_p' is not a field (vllm-0-py3-none-any.whl)"]


def unsloth_dataset_utils(wheel: Path, tmp_path, monkeypatch):
    """unsloth_zoo/dataset_utils.py from the pinned wheel, importable on CPU: its package's __init__ needs
    a GPU, the module itself only torch and datasets."""
    import importlib.util
    import types

    path = tmp_path / "dataset_utils.py"
    with zipfile.ZipFile(wheel) as archive:
        path.write_bytes(archive.read("unsloth_zoo/dataset_utils.py"))
    package = types.ModuleType("unsloth_zoo")
    package.__path__ = []  # its own imports of unsloth_zoo.dataset_utils find the module below
    monkeypatch.setitem(sys.modules, "unsloth_zoo", package)
    spec = importlib.util.spec_from_file_location("unsloth_zoo.dataset_utils", path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "unsloth_zoo.dataset_utils", module)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_unsloths_sft_dataset_step_trains_the_priming_ids_and_labels_as_given(
    pinned_wheels, tiny_tokenizer, tmp_path, monkeypatch
):
    import types

    from trl import SFTConfig

    from recipe import data

    module = unsloth_dataset_utils(pinned_wheels["unsloth_zoo"], tmp_path, monkeypatch)
    samples = data.priming_samples(data.PRIMING_DATASET, tokenizer=tiny_tokenizer, max_tokens=1024)
    trainer = types.SimpleNamespace()  # what Unsloth's SFTTrainer passes as self: the collator is set on it
    args = SFTConfig(output_dir=str(tmp_path / "sft"), max_length=2048, report_to="none", use_cpu=True)
    prepared = module.sft_prepare_dataset(trainer, samples, tiny_tokenizer, args, False, None, "train")
    assert prepared["input_ids"] == samples["input_ids"] and prepared["labels"] == samples["labels"]  # not re-tokenized
    batch = trainer.data_collator([{k: row[k] for k in ("input_ids", "labels")} for row in prepared.select(range(4))])
    width = batch["labels"].shape[1]
    assert batch["labels"].tolist() == [row + [-100] * (width - len(row)) for row in samples["labels"][:4]]


# --- vLLM's bitsandbytes (issue 34 item 1) and the facts read from this environment

VLLM_QUANT = "vllm/model_executor/layers/quantization/__init__.py"
PLUGIN_INIT = "vllm_bnb_plugin/__init__.py"


def bnb_wheels(tmp_path, in_tree=False, plugin_import="register_quantization_config"):
    """A vLLM wheel whose QuantizationMethods has bitsandbytes or not, and a plugin wheel importing one
    name from it."""
    methods = '"awq", "fp8"' + (', "bitsandbytes"' if in_tree else "")
    vllm = {
        VLLM_QUANT: f"from typing import Literal\nQuantizationMethods = Literal[{methods}]\n"
        "def register_quantization_config(quantization): pass\n",
        "vllm/platforms/__init__.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    current_platform: int\n",
    }
    plugin = {
        PLUGIN_INIT: f"from vllm.model_executor.layers.quantization import {plugin_import}\n"
        "from vllm.platforms import current_platform\n"
    }
    wheels = {}
    for package, files in (("vllm", vllm), ("vllm-bnb-plugin", plugin)):
        wheels[package] = tmp_path / f"{package.replace('-', '_')}-0-py3-none-any.whl"
        with zipfile.ZipFile(wheels[package], "w") as archive:
            for name, text in files.items():
                archive.writestr(name, text)
    return wheels


def unpinned(name):
    raise SystemExit(f"{name} is not pinned")


BNB_CASES = [
    # (bitsandbytes in vLLM's own list, plugin pinned, the plugin's import, drift expected)
    (False, True, "register_quantization_config", None),  # vLLM 0.32 + the pinned plugin, imports resolve
    (False, False, "register_quantization_config", "pin vllm-bnb-plugin"),  # the fourth reading's crash
    (False, True, "register_quant_config", "imports register_quant_config"),  # a vLLM that renamed it
    (True, False, "register_quantization_config", None),  # vLLM <= 0.27: in tree, no plugin needed
]


@pytest.mark.parametrize("in_tree, pin, name, drift", BNB_CASES)
def test_vllm_without_bitsandbytes_in_tree_requires_the_plugin_pin_and_its_imports(
    tmp_path, monkeypatch, in_tree, pin, name, drift
):
    if not pin:
        monkeypatch.setattr(check_gpu_api, "pinned", unpinned)
    problems = check_gpu_api.check_vllm_bitsandbytes(bnb_wheels(tmp_path, in_tree, name))
    assert (problems == []) if drift is None else (len(problems) == 1 and drift in problems[0])


def test_the_vllm_extra_pins_the_plugin_the_check_asks_for():
    assert check_gpu_api.pinned("vllm-bnb-plugin") == "0.0.3"
    assert check_gpu_api.pinned("deepspeed")  # the ZeRO configs' version (requirements-deepspeed.txt)


def test_facts_of_the_installed_trl_and_transformers_hold():
    """The facts read from this environment (no download): TRL's bf16 cast of a 4-bit model's adapter in
    both trainers, vLLM required in server mode too, ZeRO-3's save gathering on every rank."""
    installed = [fact for fact in check_gpu_api.FACTS if fact[0] in check_gpu_api.INSTALLED]
    assert len(installed) >= 7
    monkeypatched = check_gpu_api.FACTS
    try:
        check_gpu_api.FACTS = tuple(installed)
        assert check_gpu_api.check_facts({}) == []
    finally:
        check_gpu_api.FACTS = monkeypatched
