"""Helpers shared by the tests: run a script as a user would, write a small dataset file, every scored function."""

import json
import subprocess
import sys
from pathlib import Path

import rewards

REPO = Path(__file__).resolve().parents[1]

# What TRL calls on every batch: the four rewards and the zero-weight metrics (0 or 1); they make the same promises.
SCORED = {**rewards.REWARD_FUNCS, **rewards.METRIC_FUNCS}
BOUNDS = {**rewards.REWARD_BOUNDS, **dict.fromkeys(rewards.METRIC_FUNCS, (0.0, 1.0))}


def run_script(*args):
    """`python <args>` from the repository root, as a user runs it (the CompletedProcess, output captured)."""
    return subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=300)


def write_jsonl(path, rows):
    """`rows` as a JSON-lines file at `path`; returns the path as a string (what a setting takes)."""
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)
