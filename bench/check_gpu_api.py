"""Static contract check of the GPU path: every keyword our code passes to Unsloth exists there.

    python bench/check_gpu_api.py                 # downloads the pinned wheels (no install, no import)
    python bench/check_gpu_api.py --wheels DIR    # wheels already downloaded into DIR

Unsloth cannot be imported without a GPU, so its API is read from the pinned wheels' source with
`ast`: the signatures of FastLanguageModel.from_pretrained, FastLlamaModel.get_peft_model (which
FastLanguageModel.get_peft_model forwards to), the functions Unsloth binds as a text model's
save_pretrained_merged / save_pretrained_gguf, and unsloth_zoo.vllm_utils.load_lora. The keywords
our code passes are read from our own source the same way, so a new call site is checked too. A
keyword that only a `**kwargs` would swallow counts as missing: it would be ignored silently.
Exit 1 and one line per drift; a version bump that renames a parameter fails here, not on a GPU.
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUR_FILES = ("models.py", "train_grpo.py", "evaluate.py")


def pinned(name: str) -> str:
    """The version requirements.txt pins for a package."""
    match = re.search(rf"^{re.escape(name)}==(\S+)", (REPO / "requirements.txt").read_text(), re.M)
    if not match:
        raise SystemExit(f"{name} is not pinned in requirements.txt")
    return match.group(1)


# our call (attribute or function name) -> (wheel, file inside it, class or None, function)
TARGETS = {
    "from_pretrained": ("unsloth", "unsloth/models/loader.py", "FastLanguageModel", "from_pretrained"),
    "get_peft_model": ("unsloth", "unsloth/models/llama.py", "FastLlamaModel", "get_peft_model"),
    "save_pretrained_merged": ("unsloth", "unsloth/save.py", None, "unsloth_generic_save_pretrained_merged"),
    "save_pretrained_gguf": ("unsloth", "unsloth/save.py", None, "unsloth_save_pretrained_gguf"),
    "load_lora": ("unsloth_zoo", "unsloth_zoo/vllm_utils.py", None, "load_lora"),
}


def our_calls() -> dict[str, set[str]]:
    """Keywords our code passes at each Unsloth call: from_pretrained / get_peft_model on
    FastLanguageModel, and the save / load_lora calls, wherever they are."""
    calls: dict[str, set[str]] = {name: set() for name in TARGETS}
    for name in OUR_FILES:
        for node in ast.walk(ast.parse((REPO / name).read_text())):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if called in ("from_pretrained", "get_peft_model"):
                owner = func.value if isinstance(func, ast.Attribute) else None
                if not (isinstance(owner, ast.Name) and owner.id == "FastLanguageModel"):
                    continue  # transformers' and PEFT's own calls are not Unsloth's
            if called in calls:
                calls[called] |= {kw.arg for kw in node.keywords if kw.arg is not None}
    return calls


def signature(source: str, cls: str | None, function: str) -> set[str]:
    """Named parameters of a function (or a class's method) in a source file."""
    tree = ast.parse(source)
    scope = tree.body
    if cls is not None:
        found = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls]
        if not found:
            raise LookupError(f"class {cls} not found")
        scope = found[0].body
    for node in scope:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == function:
            args = node.args
            return {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    raise LookupError(f"{cls + '.' if cls else ''}{function} not found")


def download(folder: Path) -> dict[str, Path]:
    wheels = {}
    for package in ("unsloth", "unsloth_zoo"):
        version = pinned(package)
        found = sorted(folder.glob(f"{package}-{version}-*.whl"))
        if not found:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "-q",
                    "--no-deps",
                    "-d",
                    str(folder),
                    f"{package}=={version}",
                ],
                check=True,
                capture_output=True,
            )
            found = sorted(folder.glob(f"{package}-{version}-*.whl"))
        wheels[package] = found[0]
    return wheels


def check(wheels: dict[str, Path]) -> list[str]:
    problems = []
    for call, keywords in our_calls().items():
        wheel, path, cls, function = TARGETS[call]
        with zipfile.ZipFile(wheels[wheel]) as archive:
            source = archive.read(path).decode()
        try:
            accepted = signature(source, cls, function)
        except LookupError as err:
            problems.append(f"{call}: {err} in {wheels[wheel].name}:{path}")
            continue
        for keyword in sorted(keywords - accepted):
            where = f"{cls + '.' if cls else ''}{function}"
            problems.append(
                f"{call}: our keyword {keyword!r} is not a parameter of {where} ({wheels[wheel].name}:{path})"
            )
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheels", type=Path, help="folder with the pinned wheels (downloaded when missing)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.wheels or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        try:
            wheels = download(folder)
        except subprocess.CalledProcessError as err:
            print(f"cannot download the pinned Unsloth wheels: {err.stderr.decode().strip().splitlines()[-1:]}")
            raise SystemExit(3) from None
        problems = check(wheels)
    calls = our_calls()
    for line in problems:
        print(line)
    checked = sum(len(k) for k in calls.values())
    print(f"gpu api: {checked} keywords at {len(calls)} Unsloth calls checked, {len(problems)} drift(s)")
    raise SystemExit(1 if problems else 0)


if __name__ == "__main__":
    main()
