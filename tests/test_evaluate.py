"""evaluate.py: metrics on known verdicts, the held-out split, the smoke comparison, adapter errors."""

import json

import pytest
from test_train import run_script, smoke_run  # noqa: F401  (the shared training-run fixture)

import data
import evaluate
import models
import train_grpo
from config import ConfigError
from prompts import REASONING_END, SOLUTION_END, SOLUTION_START


def done(answer: str) -> str:
    return f"work{REASONING_END}{SOLUTION_START}{answer}{SOLUTION_END}"


JUDGED = [
    # (completion, gold, verdict, correct, exact format)
    (done("4"), "4", "equivalent", True, True),  # right, exact format
    (done(r"\frac{1}{2}"), "0.5", "equivalent", True, True),  # right, other notation
    (done("4") + " extra", "4", "equivalent", True, False),  # right, sloppy format
    (done("5"), "4", "wrong", False, True),  # wrong, exact format
    (done("3 or 4"), "4", "unparseable", False, True),  # hedged
    ("The answer is 4", "4", "no_block", False, False),  # no solution block
]


@pytest.mark.parametrize("completion, gold, verdict, correct, exact", JUDGED)
def test_judge_uses_the_reward_verdicts(completion, gold, verdict, correct, exact):
    assert evaluate.judge_completion(completion, gold) == {
        "verdict": verdict,
        "correct": correct,
        "exact_format": exact,
    }


def record(completions, tokens, truncated, gold="4"):
    return {
        "completions": completions,
        "tokens": tokens,
        "truncated": truncated,
        "judged": [evaluate.judge_completion(c, gold) for c in completions],
    }


def test_model_metrics_on_known_records():
    records = [
        record([done("4")], [10], [False]),  # correct, exact
        record([done("4") + " x"], [20], [False]),  # correct, not exact
        record([done("5")], [30], [False]),  # wrong, exact
        record(["rambling"], [40], [True]),  # no block, truncated
    ]
    assert evaluate.model_metrics(records) == {
        "accuracy": 0.5,
        "format_rate": 0.5,
        "mean_tokens": 25.0,
        "truncation_rate": 0.25,
    }


def test_pass_at_k_counts_any_correct_sample():
    records = [
        record([done("5"), done("5"), done("4")], [1, 1, 1], [False] * 3),  # greedy wrong, one sample right
        record([done("4"), done("5"), done("5")], [1, 1, 1], [False] * 3),  # greedy right, samples wrong
    ]
    metrics = evaluate.model_metrics(records)
    assert metrics["accuracy"] == 0.5 and metrics["pass@2"] == 0.5


def test_report_lists_fixed_and_broken_problems():
    import datasets

    problems = datasets.Dataset.from_list([{"problem": "a", "answer": "4"}, {"problem": "b", "answer": "4"}])
    runs = {
        "base": [
            {"completions": [done("4")], "tokens": [1], "truncated": [False]},
            {"completions": [done("1")], "tokens": [1], "truncated": [False]},
        ],
        "trained": [
            {"completions": [done("1")], "tokens": [1], "truncated": [False]},
            {"completions": [done("4")], "tokens": [1], "truncated": [False]},
        ],
    }
    report = evaluate.build_report(evaluate.CONFIG, problems, runs)
    assert (report["fixed"], report["broken"]) == ([1], [0])
    assert report["metrics"]["base"]["accuracy"] == report["metrics"]["trained"]["accuracy"] == 0.5


def test_heldout_problems_are_disjoint_from_training(tiny_tokenizer):
    cfg = {**train_grpo.CONFIG, **train_grpo.SMOKE}
    train, _ = train_grpo.build_train_dataset(cfg, tiny_tokenizer)
    heldout = evaluate.eval_problems({**evaluate.CONFIG, **evaluate.SMOKE})
    trained_on = {data.prompt_problem(p) for p in train["prompt"]}
    assert len(heldout) == evaluate.SMOKE["EVAL_SIZE"]
    assert not trained_on & {data.prompt_problem(p) for p in heldout["problem"]}


@pytest.mark.slow
def test_smoke_comparison_writes_all_three_files(smoke_run, tmp_path, capsys):  # noqa: F811
    evaluate.main(
        [
            "--smoke",
            f"--ADAPTER_DIR={smoke_run / 'final'}",
            f"--EVAL_DIR={tmp_path}",
            "--NUM_PROBLEMS=6",
        ]
    )
    report = json.loads((tmp_path / "comparison.json").read_text())
    assert set(report["metrics"]) == {"base", "trained"}
    assert len(report["problems"]) == 6 and {"base", "trained", "gold"} <= set(report["problems"][0])
    assert "| accuracy |" in (tmp_path / "comparison.md").read_text()
    assert (tmp_path / "comparison.png").read_bytes()[:4] == b"\x89PNG"
    assert "| metric | base | trained |" in capsys.readouterr().out


@pytest.mark.slow
def test_base_model_alone_is_evaluated_without_an_adapter(tmp_path):
    evaluate.main(
        [
            "--smoke",
            "--ADAPTER_DIR=None",
            f"--EVAL_DIR={tmp_path}",
            "--NUM_PROBLEMS=3",
            "--NUM_SAMPLES=2",
        ]
    )
    metrics = json.loads((tmp_path / "comparison.json").read_text())["metrics"]
    assert set(metrics) == {"base"} and "pass@2" in metrics["base"]


def test_missing_adapter_folder_is_a_clear_error(tmp_path):
    result = run_script("evaluate.py", "--smoke", f"--ADAPTER_DIR={tmp_path / 'nope'}")
    assert result.returncode == 2 and "error: no LoRA adapter in" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_adapter_for_another_base_model_is_a_clear_error(tmp_path, tiny_tokenizer):
    from peft import LoraConfig, get_peft_model

    other = models.build_tiny_model(tiny_tokenizer, hidden_size=32)  # not the smoke base's shapes
    get_peft_model(other, LoraConfig(r=4, target_modules=["q_proj"])).save_pretrained(str(tmp_path))
    with pytest.raises(ConfigError, match="does not match base model"):
        evaluate.load_models({**evaluate.CONFIG, **evaluate.SMOKE, "ADAPTER_DIR": str(tmp_path)}, "hf", smoke=True)


@pytest.mark.slow
def test_generation_is_deterministic_with_a_seed(tiny_tokenizer):
    cfg = {**evaluate.CONFIG, **evaluate.SMOKE, "NUM_SAMPLES": 2, "MAX_NEW_TOKENS": 8}
    model, tokenizer = models.load_model(cfg, "hf", smoke=True, with_lora=False)
    problems = evaluate.eval_problems({**cfg, "NUM_PROBLEMS": 3})
    generate = evaluate.make_generator(cfg, "hf", model, tokenizer)
    first, second = generate(problems, adapter=False), generate(problems, adapter=False)
    assert first == second
    assert all(len(r["completions"]) == 3 for r in first)  # greedy + 2 samples


def test_eval_dataset_in_gsm8k_schema_is_read_with_its_gold(tmp_path):
    from conftest import write_jsonl

    path = write_jsonl(tmp_path / "gsm8k.jsonl", [{"question": f"q{i}", "answer": f"work\n#### {i}"} for i in range(5)])
    problems = evaluate.eval_problems({**evaluate.CONFIG, "EVAL_DATASET": path, "NUM_PROBLEMS": 3})
    assert problems["answer"] == ["0", "1", "2"]
