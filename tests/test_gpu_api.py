"""The static GPU contract: our Unsloth keywords against the pinned wheels' signatures, read with ast."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

import check_gpu_api  # noqa: E402


def test_our_unsloth_calls_are_found_in_our_source():
    calls = check_gpu_api.our_calls()
    assert {"model_name", "load_in_4bit", "fast_inference", "max_lora_rank"} <= calls["from_pretrained"]
    assert {"r", "lora_alpha", "target_modules", "use_gradient_checkpointing"} <= calls["get_peft_model"]
    assert "save_method" in calls["save_pretrained_merged"]
    assert "quantization_method" in calls["save_pretrained_gguf"]


def fake_wheels(tmp_path, rename=None):
    """Wheels holding just the functions the check reads; `rename` = (old, new) parameter name."""
    sources = {
        "unsloth/models/loader.py": "class FastLanguageModel:\n    def from_pretrained(model_name=None, max_seq_length=2048, load_in_4bit=True, fast_inference=False, max_lora_rank=64, gpu_memory_utilization=0.5, random_state=3407, *args, **kwargs): pass\n",
        "unsloth/models/llama.py": "class FastLlamaModel:\n    def get_peft_model(model, r=16, target_modules=None, lora_alpha=16, lora_dropout=0.0, use_gradient_checkpointing='unsloth', random_state=3407, **kwargs): pass\n",
        "unsloth/save.py": "def unsloth_generic_save_pretrained_merged(self, save_directory, tokenizer=None, save_method='merged_16bit'): pass\ndef unsloth_save_pretrained_gguf(self, save_directory, tokenizer=None, quantization_method='fast_quantized'): pass\n",
        "unsloth_zoo/vllm_utils.py": "def load_lora(model, save_directory, load_tensors=False, lora_request_id=None): pass\n",
    }
    wheels = {}
    for package in ("unsloth", "unsloth_zoo"):
        path = tmp_path / f"{package}-0-py3-none-any.whl"
        with zipfile.ZipFile(path, "w") as archive:
            for name, text in sources.items():
                if name.startswith(package + "/"):
                    archive.writestr(name, text.replace(*rename) if rename else text)
        wheels[package] = path
    return wheels


def test_matching_signatures_report_no_drift(tmp_path):
    assert check_gpu_api.check(fake_wheels(tmp_path)) == []


def test_a_renamed_parameter_is_drift_even_behind_kwargs(tmp_path):
    problems = check_gpu_api.check(fake_wheels(tmp_path, rename=("max_lora_rank", "lora_rank_max")))
    assert (
        len(problems) == 1 and "'max_lora_rank' is not a parameter of FastLanguageModel.from_pretrained" in problems[0]
    )


def test_a_missing_function_is_drift(tmp_path):
    problems = check_gpu_api.check(fake_wheels(tmp_path, rename=("def load_lora", "def load_adapter")))
    assert problems == ["load_lora: load_lora not found in unsloth_zoo-0-py3-none-any.whl:unsloth_zoo/vllm_utils.py"]


@pytest.mark.slow
def test_pinned_unsloth_wheels_accept_every_keyword_we_pass(tmp_path):
    result = subprocess.run(
        [sys.executable, "bench/check_gpu_api.py", "--wheels", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode == 3:
        pytest.skip(f"pinned Unsloth wheels cannot be downloaded here: {result.stdout.strip()}")
    assert result.returncode == 0, result.stdout
    assert "0 drift(s)" in result.stdout
