"""models.py: the hf backend loader on a local model folder, and its one-line error."""

import pytest

import models
import train_grpo
from config import ConfigError


def test_hf_backend_loads_a_local_model_folder_with_lora(tmp_path, tiny_tokenizer):
    from peft import PeftModel

    from prompts import CHAT_TEMPLATE

    models.build_tiny_model(tiny_tokenizer).save_pretrained(str(tmp_path))
    tiny_tokenizer.save_pretrained(str(tmp_path))
    cfg = {**train_grpo.CONFIG, "MODEL_NAME": str(tmp_path), "LORA_RANK": 4, "LORA_ALPHA": 8}
    model, tokenizer = models.load_model(cfg, "hf", smoke=False)  # the real loading code, on CPU
    assert isinstance(model, PeftModel) and tokenizer.chat_template == CHAT_TEMPLATE
    assert model.peft_config["default"].r == 4


def test_a_model_that_cannot_be_loaded_is_one_clear_error(tmp_path):
    cfg = {**train_grpo.CONFIG, "MODEL_NAME": str(tmp_path / "no-such-model")}
    with pytest.raises(ConfigError, match="cannot load model"):
        models.load_model(cfg, "hf", smoke=False)
