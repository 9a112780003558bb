"""The real Qwen2 / Qwen3 BPE tokenizer (vocabulary only, no weights) for the tests, fetched once.

    python tests/fetch_qwen_tokenizer.py    # .ci/run runs it; cached in ~/.cache/grpo-recipe/qwen-tokenizer

Qwen's tokenizer is on the Hub, which the tests cannot reach; the sdist of `llama-cpp-python` on PyPI
ships it as a vocabulary-only GGUF file (151,936 entries). It is read once with transformers' GGUF
loader (about 30 s) and saved as a plain tokenizer folder, which then loads in a second.
Set QWEN_TOKENIZER_DIR to keep the folder elsewhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

SDIST = "llama-cpp-python==0.3.36"  # 77 MB, only downloaded, never built
MEMBER = "vendor/llama.cpp/models/ggml-vocab-qwen2.gguf"
FOLDER = Path(os.environ.get("QWEN_TOKENIZER_DIR", Path.home() / ".cache" / "grpo-recipe" / "qwen-tokenizer"))
CHECK_TEXTS = ("<start_working_out>We add 2 + 3 = 5.<end_working_out><SOLUTION>5</SOLUTION><|endoftext|>", "x² ≥ 0")


def fetch(folder: Path = FOLDER) -> Path:
    """The tokenizer folder, downloaded and converted when it is not there yet."""
    if (folder / "tokenizer.json").is_file():
        return folder
    from transformers import AutoTokenizer

    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:", SDIST, "-d", tmp]
        subprocess.run(command, check=True)
        (sdist,) = Path(tmp).glob("*.tar.gz")
        with tarfile.open(sdist) as archive:
            member = next(m for m in archive.getmembers() if m.name.endswith(MEMBER))
            gguf = Path(tmp) / Path(MEMBER).name
            gguf.write_bytes(archive.extractfile(member).read())
        tokenizer = AutoTokenizer.from_pretrained(tmp, gguf_file=gguf.name)
        staging = folder.with_name(folder.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        tokenizer.save_pretrained(staging)
        saved = AutoTokenizer.from_pretrained(staging)
        for text in CHECK_TEXTS:  # the plain folder tokenizes as the GGUF vocabulary does
            if saved(text)["input_ids"] != tokenizer(text)["input_ids"]:
                raise SystemExit(f"the saved Qwen tokenizer differs from the GGUF one on {text!r}")
        staging.rename(folder)
    return folder


if __name__ == "__main__":
    print(f"Qwen tokenizer: {fetch()}")
