"""The benchmark scripts run (on tiny inputs): their numbers in the README come from this code."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import reports

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
        "shuffled": [done.format(a) for a in ("4", "6", "9", "11")],  # strict 2
    }
    for arm, completions in arms.items():
        name = "arithmetic_base.json" if arm == "base" else f"arithmetic_{arm}_seed0.json"
        result = {"completions": completions, "gold": golds}
        if arm != "base":
            result["training"] = {"seconds": 90.0 if arm == "priming" else 600.0, "peak_rss_gib": 1.5}
        (tmp_path / name).write_text(json.dumps(result))
    assert real_model.timings([0, 1]) == [
        "seed 0 training: priming 1.5 min, peak RSS 1.50 GiB; grpo 10.0 min, peak RSS 1.50 GiB; "
        "shuffled 10.0 min, peak RSS 1.50 GiB"
    ]  # seed 1 has no results: no line
    lines = real_model.summarize([0])
    assert any(
        line.startswith("arithmetic base") and "strict 0.0 %" in line and "lenient 25.0 %" in line for line in lines
    )
    assert any(line.startswith("arithmetic base") and "solution block 0.0%" in line for line in lines)  # plain text
    assert any(line.startswith("arithmetic priming") and "solution block 100.0%" in line for line in lines)
    assert lines[-1] == (  # printed last, as the line
        "real model: GRPO 75.0% vs priming-only 25.0% vs shuffled-reward 50.0% on arithmetic "
        "(strict, n=4, seeds=1), paired p=0.5 (vs priming), p=1 (vs shuffled)"
    )
    assert (  # problems 2 and 3 fixed against priming, problem 3 against shuffled golds
        "arithmetic per seed (strict): seed 0 GRPO vs priming fixed 2 broke 0 p=0.5, vs shuffled fixed 1 broke 0 p=1"
    ) in lines


def test_real_model_comparison_waits_for_every_arm_of_a_seed(tmp_path, monkeypatch):
    sys.path.insert(0, str(REPO / "bench"))
    import real_model

    monkeypatch.setattr(real_model, "RESULTS", tmp_path)
    for arm in ("base", "priming", "grpo"):  # the shuffled-reward arm of seed 0 has not run yet
        name = "arithmetic_base.json" if arm == "base" else f"arithmetic_{arm}_seed0.json"
        (tmp_path / name).write_text(json.dumps({"completions": ["1"], "gold": ["1"]}))
    assert not any(line.startswith("real model:") for line in real_model.summarize([0]))


def test_real_model_shuffled_golds_move_every_training_answer_and_keep_the_dev_split(tmp_path):
    sys.path.insert(0, str(REPO / "bench"))
    import real_model

    import data

    paths = real_model.write_tasks(tmp_path / "tasks")
    out = real_model.shuffled_golds(paths["train"], 7, tmp_path / "shuffled.jsonl")
    original = [json.loads(line) for line in paths["train"].read_text().splitlines()]
    shuffled = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["problem"] for r in shuffled] == [r["problem"] for r in original]  # same problems, same order
    assert sorted(r["answer"] for r in shuffled) == sorted(r["answer"] for r in original)  # the golds, moved
    problems, _ = data.to_problems(data.load_rows(str(out)))
    _, dev = data.heldout_split(problems, real_model.DEV_PROBLEMS, 7)  # what the recipe holds out with seed 7
    dev_problems = set(dev["problem"])
    gold = {r["problem"]: r["answer"] for r in original}
    assert all(gold[p] == a for p, a in zip(dev["problem"], dev["answer"], strict=True))  # dev keeps true golds
    moved = [r for r in shuffled if r["problem"] not in dev_problems]
    same_value = sum(r["answer"] == gold[r["problem"]] for r in moved)
    assert same_value < 0.02 * len(moved)  # only where two problems happen to share an answer value


def test_real_model_rate_choice_follows_the_written_rule(tmp_path, monkeypatch):
    sys.path.insert(0, str(REPO / "bench"))
    import real_model

    monkeypatch.setattr(real_model, "RESULTS", tmp_path)
    accuracy = {3e-5: [0.1, 0.1, 0.1], 1e-4: [0.3, 0.4, 0.5], 3e-4: [0.5, 0.4, 0.3]}  # 1e-4 ties 3e-4: smaller wins
    for rate, values in accuracy.items():
        assert real_model.choose_rate() is None  # a rate missing: no choice yet
        rows = [
            {"step": s, "eval/strict_accuracy": v} for s, v in zip(real_model.SWEEP_SCORED_STEPS, values, strict=True)
        ]
        name = real_model.run_name("sweep", real_model.SWEEP_SEED, rate)
        (tmp_path / f"{name}_metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert real_model.choose_rate() == 1e-4
    assert json.loads((tmp_path / "sweep.json").read_text())["chosen"] == 1e-4
    assert real_model.sweep_lines()[-1].startswith("chosen learning rate: 0.0001 (the rate with the highest mean dev")


def test_real_model_keeps_reward_and_accuracy_curves_and_draws_them(tmp_path, monkeypatch):
    sys.path.insert(0, str(REPO / "bench"))
    import real_model

    monkeypatch.setattr(real_model, "RESULTS", tmp_path / "results")
    rows = [{"step": 0, "eval/strict_accuracy": 0.25, "eval_loss": 0.0}]
    rows += [
        {"step": s, "loss": 0.1, "reward": float(s), "rewards/check_answer/mean": 1.0, "rewards/check_answer/std": 2.0}
        for s in (1, 2, 3)
    ]
    rows.append({"step": 3, "eval/strict_accuracy": 0.5, "eval/truncated": 0.0, "eval_runtime": 1.0})
    rows.append({"step": 3, "train_runtime": 9.0})  # the trainer's closing summary line: neither
    source = tmp_path / "metrics.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    for name in ("grpo_seed0", "shuffled_seed2"):
        real_model.keep_curve(name, source)
    kept = reports.read_metrics(tmp_path / "results" / "grpo_seed0_metrics.jsonl")
    assert kept == [
        {"step": 0, "eval/strict_accuracy": 0.25},
        *[{"step": s, "reward": float(s), "rewards/check_answer/mean": 1.0} for s in (1, 2, 3)],
        {"step": 3, "eval/strict_accuracy": 0.5, "eval/truncated": 0.0},
    ]
    assert real_model.plot_curves([0, 1, 2]) == tmp_path / "results" / "curves.png"  # seed 1 not run: skipped
    assert real_model.plot_curves([5]) is None


def test_gpu_bench_refuses_unsloth_figures_after_transformers_was_imported():
    import transformers  # noqa: F401  (as a bench process that wrote its model first would have)

    sys.path.insert(0, str(REPO / "bench"))
    import gpu_bench

    from config import ConfigError

    with pytest.raises(ConfigError, match="imported before Unsloth"):
        gpu_bench.run("unsloth", steps=1, completion=8, batch=8, four_bit=False, smoke=False, out=None)
