"""Trackers that need no network: wandb in its offline mode and trackio's local store receive the
run's metrics (one GRPO step on the tiny model). A Hub push stays untested here (no network)."""

import importlib.util
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[1]


def one_step(out, tracker: str, **env) -> None:
    """One GRPO step in its own process: the trackers read their settings from the environment at import."""
    args = [
        "train_grpo.py",
        "--smoke",
        "--MAX_STEPS=1",
        "--EVAL_STEPS=0",
        f"--REPORT_TO={tracker}",
        f"--OUTPUT_DIR={out}",
    ]
    done = subprocess.run(
        [sys.executable, *args], cwd=REPO, env={**os.environ, **env}, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.skipif(
    importlib.util.find_spec("wandb") is None, reason="needs `pip install wandb` (requirements-cpu.txt)"
)
def test_wandb_offline_run_holds_the_grpo_metrics(tmp_path):
    # no account, no network: the run is written to WANDB_DIR
    one_step(tmp_path / "run", "wandb", WANDB_MODE="offline", WANDB_DIR=str(tmp_path), WANDB_SILENT="true")
    (log,) = tmp_path.glob("wandb/offline-run-*/run-*.wandb")  # the run's record file, as `wandb sync` uploads it
    data = log.read_bytes()
    for key in (b"train/reward", b"train/rewards/check_answer/mean", b"train/loss"):
        assert key in data, key


@pytest.mark.skipif(
    importlib.util.find_spec("trackio") is None, reason="needs `pip install trackio` (requirements-cpu.txt)"
)
def test_trackio_local_store_holds_the_grpo_metrics(tmp_path):
    one_step(tmp_path / "run", "trackio", TRACKIO_DIR=str(tmp_path / "store"))  # trackio's local SQLite store
    (db,) = (tmp_path / "store").glob("*.db")
    with sqlite3.connect(db) as store:
        logged = [json.loads(row[0]) for row in store.execute("select metrics from metrics")]
    keys = {key for row in logged for key in row}
    assert {"train/reward", "train/rewards/check_answer/mean", "train/loss"} <= keys
