"""The benchmark scripts run (on tiny inputs): their numbers in the README come from this code."""

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


def test_real_model_tasks_are_deterministic_disjoint_and_right(tmp_path):
    sys.path.insert(0, str(REPO / "bench"))
    import real_model

    first = real_model.write_tasks(tmp_path / "a")
    second = real_model.write_tasks(tmp_path / "b")
    rows = {}
    for name, path in first.items():
        assert path.read_text() == second[name].read_text()  # same files on every machine
        rows[name] = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(rows["train"]) == real_model.TRAIN_PROBLEMS
    assert len(rows["arithmetic"]) == len(rows["two_step"]) == real_model.EVAL_PROBLEMS
    seen_in_training = {r["problem"] for r in rows["train"] + rows["priming"]}
    assert not seen_in_training & {r["problem"] for r in rows["arithmetic"] + rows["two_step"]}
    for row in rows["priming"]:  # worked solutions end with the right answer
        assert row["reasoning"].rstrip(".").endswith(f"= {row['answer']}")


def test_real_model_summary_judges_stored_completions(tmp_path, monkeypatch):
    sys.path.insert(0, str(REPO / "bench"))
    import real_model

    monkeypatch.setattr(real_model, "RESULTS", tmp_path)
    done = "x<end_working_out><SOLUTION>{}</SOLUTION>"
    golds = ["4", "6", "8", "10"]
    arms = {
        "base": ["4", "7", "9", "11"],  # plain text: strict 0, lenient 1 of 4
        "priming": [done.format(a) for a in ("4", "7", "9", "11")],  # strict 1
        "grpo": [done.format(a) for a in ("4", "6", "8", "11")],  # strict 3
    }
    for arm, completions in arms.items():
        name = "arithmetic_base.json" if arm == "base" else f"arithmetic_{arm}_seed0.json"
        result = {"completions": completions, "gold": golds}
        if arm != "base":
            result["training"] = {"seconds": 90.0 if arm == "priming" else 600.0, "peak_rss_gib": 1.5}
        (tmp_path / name).write_text(json.dumps(result))
    assert real_model.timings([0, 1]) == [
        "seed 0 training: priming 1.5 min, peak RSS 1.50 GiB; grpo 10.0 min, peak RSS 1.50 GiB"
    ]  # seed 1 has no results: no line
    lines = real_model.summarize([0])
    assert any(
        line.startswith("arithmetic base") and "strict 0.0 %" in line and "lenient 25.0 %" in line for line in lines
    )
    assert "real model: GRPO 75.0% vs priming-only 25.0% on arithmetic (strict, n=4, seeds=1), paired p=0.5" in lines


def test_real_model_keeps_reward_curves_and_draws_every_seed(tmp_path, monkeypatch):
    sys.path.insert(0, str(REPO / "bench"))
    import real_model

    monkeypatch.setattr(real_model, "RESULTS", tmp_path / "results")
    rows = [
        {"step": s, "loss": 0.1, "reward": float(s), "rewards/check_answer/mean": 1.0, "rewards/check_answer/std": 2.0}
        for s in (1, 2, 3)
    ]
    rows.append({"step": 3, "train_runtime": 9.0})  # the trainer's closing summary line: no reward
    source = tmp_path / "metrics.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    for seed in (0, 2):
        real_model.keep_curve(seed, source)
    kept = [json.loads(line) for line in (tmp_path / "results" / "grpo_seed0_metrics.jsonl").read_text().splitlines()]
    assert kept == [{"step": s, "reward": float(s), "rewards/check_answer/mean": 1.0} for s in (1, 2, 3)]
    assert real_model.plot_curves([0, 1, 2]) == tmp_path / "results" / "reward_curve.png"  # seed 1 not run: skipped
    assert real_model.plot_curves([5]) is None


def test_gpu_bench_refuses_unsloth_figures_after_transformers_was_imported():
    import transformers  # noqa: F401  (as a bench process that wrote its model first would have)

    sys.path.insert(0, str(REPO / "bench"))
    import gpu_bench

    from config import ConfigError

    with pytest.raises(ConfigError, match="imported before Unsloth"):
        gpu_bench.run("unsloth", steps=1, completion=8, batch=8, four_bit=False, smoke=False, out=None)
