"""Shared fixtures: the tiny offline tokenizer, the real Qwen tokenizer and small datasets written to temporary files."""

import json

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


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)
