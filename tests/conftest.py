"""Shared fixtures: the tiny offline tokenizer, the real Qwen tokenizer, and one `train_grpo.py --smoke` run.
Shared helpers (run_script, write_jsonl) are in helpers.py, shared tables in judge_table.py."""

import pytest


@pytest.fixture(scope="session")
def tiny_tokenizer():
    from recipe.models import build_tiny_tokenizer

    return build_tiny_tokenizer()


@pytest.fixture(scope="session")
def qwen_tokenizer():
    """The real Qwen2 / Qwen3 BPE (no weights) with the recipe's chat template."""
    from fetch_qwen_tokenizer import FOLDER
    from transformers import AutoTokenizer

    from prompts import apply_chat_template

    if not (FOLDER / "tokenizer.json").is_file():
        pytest.skip(f"the real Qwen tokenizer is not in {FOLDER}: run `python tests/fetch_qwen_tokenizer.py`")
    return apply_chat_template(AutoTokenizer.from_pretrained(FOLDER))


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory):
    """One `train_grpo.py --smoke` run shared by the training and evaluation tests."""
    import train_grpo

    out = tmp_path_factory.mktemp("smoke")
    train_grpo.main(["--smoke", f"--OUTPUT_DIR={out}", "--SAVE_MERGED=True"])
    return out
