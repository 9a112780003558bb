"""Shared fixtures: the tiny offline tokenizer and small datasets written to temporary files."""

import json

import pytest


@pytest.fixture(scope="session")
def tiny_tokenizer():
    from models import build_tiny_tokenizer

    return build_tiny_tokenizer()


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)
