"""Helpers shared by the tests: run a script as a user would, write a small dataset file."""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_script(*args):
    """`python <args>` from the repository root, as a user runs it (the CompletedProcess, output captured)."""
    return subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=300)


def write_jsonl(path, rows):
    """`rows` as a JSON-lines file at `path`; returns the path as a string (what a setting takes)."""
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)
