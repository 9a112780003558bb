"""The benchmark scripts run (on tiny inputs): their numbers in bench/README.md come from this code."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def run(*args, timeout=300):
    result = subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_rewards_bench_reports_percentiles_and_ratios():
    out = run("bench/rewards_bench.py", "--groups", "6")
    assert "48 completions, 6 golds x 8 generations" in out
    assert out.count("p99") == 3 and "speed ratio math-verify (block) / check_answer" in out


def test_rewards_bench_judges_agree_on_what_is_right():
    sys.path.insert(0, str(REPO / "bench"))
    import rewards_bench

    for gold, completions in rewards_bench.make_batch(16, seed=3):
        for c in completions:
            assert rewards_bench.check_answer_right(c, gold) == bool(rewards_bench.math_verify_block(c, gold)), (
                c,
                gold,
            )


@pytest.mark.slow
def test_gpu_bench_runs_its_measurements_on_the_tiny_model(tmp_path):
    out = tmp_path / "hf.json"
    run("bench/gpu_bench.py", "--backend", "hf", "--smoke", "--steps", "3", "--completion", "8", "--out", str(out))
    result = json.loads(out.read_text())
    assert result["steps"] == 3 and result["seconds_per_step"] > 0 and result["generated_tokens_per_second"] > 0
    table = run("bench/gpu_bench.py", "--compare", str(out), str(out))
    assert "| hf |" in table and "speed-up hf vs hf: 1.00x" in table


def test_gpu_bench_refuses_unsloth_figures_after_transformers_was_imported():
    import transformers  # noqa: F401  (as a bench process that wrote its model first would have)

    sys.path.insert(0, str(REPO / "bench"))
    import gpu_bench

    from recipe.config import ConfigError

    with pytest.raises(ConfigError, match="imported before Unsloth"):
        gpu_bench.run("unsloth", steps=1, completion=8, batch=8, four_bit=False, smoke=False, out=None)
