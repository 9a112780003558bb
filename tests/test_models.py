"""recipe/models.py: the hf backend loader on a local model folder, and its one-line error."""

import pytest

import train_grpo
from recipe import checks, models
from recipe.config import ConfigError


def test_hf_backend_loads_a_local_model_folder_with_lora(tmp_path, tiny_tokenizer):
    from peft import PeftModel

    from prompts import CHAT_TEMPLATE

    models.build_tiny_model(tiny_tokenizer).save_pretrained(str(tmp_path))
    tiny_tokenizer.save_pretrained(str(tmp_path))
    cfg = {**train_grpo.CONFIG, "MODEL_NAME": str(tmp_path), "LORA_RANK": 4, "LORA_ALPHA": 8}
    model, tokenizer = models.load_model(cfg, "hf", smoke=False)  # the real loading code, on CPU
    assert isinstance(model, PeftModel) and tokenizer.chat_template == CHAT_TEMPLATE
    assert model.peft_config["default"].r == 4


def test_hf_backend_lora_initialization_follows_seed_whatever_ran_before(tmp_path, tiny_tokenizer):
    import torch

    models.build_tiny_model(tiny_tokenizer).save_pretrained(str(tmp_path))
    tiny_tokenizer.save_pretrained(str(tmp_path))

    def lora_a(seed: int, draws: int) -> torch.Tensor:
        torch.rand(draws)  # whatever consumed random numbers before the load
        cfg = {**train_grpo.CONFIG, "MODEL_NAME": str(tmp_path), "LORA_RANK": 4, "LORA_ALPHA": 8, "SEED": seed}
        model, _ = models.load_model(cfg, "hf", smoke=False)
        return torch.cat([p.detach().flatten() for n, p in model.named_parameters() if "lora_A" in n])

    first = lora_a(seed=7, draws=3)
    assert torch.equal(first, lora_a(seed=7, draws=1000))  # same SEED, same adapter start (arms compare paired)
    assert not torch.equal(first, lora_a(seed=8, draws=3))  # another SEED, another start


def test_a_model_that_cannot_be_loaded_is_one_clear_error(tmp_path):
    cfg = {**train_grpo.CONFIG, "MODEL_NAME": str(tmp_path / "no-such-model")}
    with pytest.raises(ConfigError, match="cannot load model"):
        models.load_model(cfg, "hf", smoke=False)


CPU_MODE = [
    # (settings, adjusted settings) with CPU=True
    (
        {"BACKEND": "auto", "LOAD_IN_4BIT": True, "OPTIM": "adamw_8bit"},
        {"BACKEND": "hf", "LOAD_IN_4BIT": False, "OPTIM": "adamw_torch"},
    ),  # the GPU defaults
    (
        {"BACKEND": "hf", "LOAD_IN_4BIT": False, "OPTIM": "adamw_torch"},
        {"BACKEND": "hf", "LOAD_IN_4BIT": False, "OPTIM": "adamw_torch"},
    ),  # already CPU-ready
    ({"BACKEND": "auto", "LOAD_IN_4BIT": True}, {"BACKEND": "hf", "LOAD_IN_4BIT": False}),  # evaluate.py: no optimizer
]


@pytest.mark.parametrize("settings, adjusted", CPU_MODE)
def test_cpu_mode_adjusts_gpu_only_settings_with_a_line(settings, adjusted, capsys):
    cfg = checks.apply_cpu_mode({**settings, "CPU": True, "USE_VLLM": False})
    assert {k: cfg[k] for k in adjusted} == adjusted
    printed = capsys.readouterr().out
    assert ("CPU mode:" in printed) == (settings != adjusted)


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"BACKEND": "unsloth", "USE_VLLM": False}, "Unsloth needs a CUDA GPU"),  # Unsloth asked for by name
        ({"BACKEND": "auto", "USE_VLLM": True}, "cannot use vLLM"),  # vLLM is a GPU engine
    ],
)
def test_cpu_mode_refuses_gpu_engines_in_one_line(settings, message):
    with pytest.raises(ConfigError, match=message):
        checks.apply_cpu_mode({**settings, "CPU": True, "LOAD_IN_4BIT": False, "OPTIM": "adamw_torch"})


def test_cpu_mode_off_changes_nothing():
    cfg = {"CPU": False, "BACKEND": "auto", "LOAD_IN_4BIT": True, "OPTIM": "adamw_8bit", "USE_VLLM": True}
    assert checks.apply_cpu_mode(cfg) == cfg


def test_gguf_path_finds_a_file_or_the_one_file_in_a_folder(tmp_path):
    (tmp_path / "one").mkdir()
    (tmp_path / "one" / "m.gguf").write_bytes(b"")
    (tmp_path / "two").mkdir()
    for name in ("a.gguf", "b.gguf"):
        (tmp_path / "two" / name).write_bytes(b"")
    (tmp_path / "hf").mkdir()
    (tmp_path / "hf" / "config.json").write_text("{}")
    assert models.gguf_path(str(tmp_path / "one" / "m.gguf")) == tmp_path / "one" / "m.gguf"  # the file itself
    assert models.gguf_path(str(tmp_path / "one")) == tmp_path / "one" / "m.gguf"  # a folder holding one
    assert models.gguf_path(str(tmp_path / "hf")) is None  # an ordinary model folder
    assert models.gguf_path("unsloth/Qwen3-4B-Base") is None  # a Hub id
    with pytest.raises(ConfigError, match="holds 2 GGUF files"):
        models.gguf_path(str(tmp_path / "two"))
    with pytest.raises(ConfigError, match="GGUF file not found"):
        models.gguf_path(str(tmp_path / "missing.gguf"))


class Tokenizer:
    """The attributes reconcile_eos reads and writes, with a fixed vocabulary."""

    vocab = {"<|endoftext|>": 0, "<|im_start|>": 1, "<|im_end|>": 2}

    def __init__(self, eos, pad=None):
        self.eos_token, self.pad_token = eos, pad

    @property
    def eos_token_id(self):
        return self.vocab.get(self.eos_token)

    def convert_ids_to_tokens(self, index):
        return {v: k for k, v in self.vocab.items()}[index]


class Model:
    def __init__(self, eos_ids):
        from transformers import GenerationConfig

        self.generation_config = GenerationConfig(eos_token_id=eos_ids)


EOS_CASES = [
    # (tokenizer EOS, generation config EOS ids, EOS after, generation EOS after, a line printed?)
    ("<|im_start|>", 2, "<|im_end|>", 2, True),  # SmolLM2 from GGUF: the tokenizer is wrong
    ("<|im_end|>", [2, 0], "<|im_end|>", [2, 0], False),  # agree (Qwen3 lists two stop ids)
    ("<|endoftext|>", [2, 0], "<|endoftext|>", [2, 0], False),  # any listed stop id is fine
    ("<|im_end|>", None, "<|im_end|>", 2, True),  # the model names none: stop on the tokenizer's
]


@pytest.mark.parametrize("eos, stops, eos_after, stops_after, printed", EOS_CASES)
def test_reconcile_eos_makes_the_template_end_turns_where_generation_stops(
    eos, stops, eos_after, stops_after, printed, capsys
):
    tokenizer, model = Tokenizer(eos), Model(stops)
    models.reconcile_eos(model, tokenizer)
    assert (tokenizer.eos_token, model.generation_config.eos_token_id) == (eos_after, stops_after)
    assert tokenizer.pad_token == eos_after  # no pad token: pad with EOS
    assert ("end of turn:" in capsys.readouterr().out) == printed


def test_reconcile_eos_refuses_when_nothing_names_an_end_of_turn():
    with pytest.raises(ConfigError, match="end-of-turn"):
        models.reconcile_eos(Model(None), Tokenizer(None))


def test_a_plain_copy_saved_with_the_recipes_template_is_converted_again(tmp_path, tiny_tokenizer):
    from transformers import AutoTokenizer

    from prompts import CHAT_TEMPLATE, native_template

    own = "{% for m in messages %}{{ m['content'] }}{{ eos_token }}{% endfor %}"
    source = tmp_path / "source"
    tokenizer = models.build_tiny_tokenizer()
    tokenizer.chat_template = own
    models.build_tiny_model(tokenizer).save_pretrained(source)
    tokenizer.save_pretrained(source)
    copy = tmp_path / "copy"
    models.save_plain_copy(str(source), copy)
    assert (copy / "chat_template.jinja").read_text() == own  # the model's own template is kept
    (copy / "chat_template.jinja").write_text(CHAT_TEMPLATE)  # a copy made before it was (the recipe's)
    models.save_plain_copy(str(source), copy)
    assert (copy / "chat_template.jinja").read_text() == own  # converted again, not reused
    assert native_template(AutoTokenizer.from_pretrained(copy)) == own
