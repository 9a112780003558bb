"""evaluate.py: metrics on known verdicts, the held-out split, the smoke comparison, adapter errors."""

import json
import sys
from pathlib import Path

import pytest
from helpers import run_script

import evaluate
import train_grpo
from prompts import REASONING_END, SOLUTION_END, SOLUTION_START, prompt_problem
from recipe import comparison, data, documents, generation, models
from recipe.config import ConfigError


def done(answer: str) -> str:
    return f"work{REASONING_END}{SOLUTION_START}{answer}{SOLUTION_END}"


JUDGED = [
    # (completion, gold, verdict, strict correct, lenient correct, exact format)
    (done("4"), "4", "equivalent", True, True, True),  # right, exact format
    (done(r"\frac{1}{2}"), "0.5", "equivalent", True, True, True),  # right, other notation
    (done("4") + " extra", "4", "equivalent", True, True, False),  # right, sloppy format
    (done("5"), "4", "wrong", False, False, True),  # wrong, exact format
    (done("3 or 4"), "4", "unparseable", False, False, True),  # hedged: lenient takes the block too
    ("The answer is 4", "4", "no_block", False, True, False),  # right, but no solution block: lenient only
    (r"so \boxed{4}", "4", "no_block", False, True, False),  # boxed, no block: lenient only
    ("2 + 2 = 5", "4", "no_block", False, False, False),  # last number wrong
]


@pytest.mark.parametrize("completion, gold, verdict, correct, lenient, exact", JUDGED)
def test_judge_uses_the_reward_verdicts(completion, gold, verdict, correct, lenient, exact):
    assert comparison.judge_completion(completion, gold) == {
        "verdict": verdict,
        "correct": correct,
        "lenient": lenient,
        "exact_format": exact,
        "rejudged": False,
    }


def test_judge_re_judges_a_timed_out_answer_once_with_a_larger_budget(monkeypatch):
    import judge
    from judge import symbolic

    real_parse = symbolic.mv_parse

    def parse_needing_a_larger_budget(norm, seconds):
        return real_parse(norm, seconds) if seconds > symbolic.PARSE_CPU_SECONDS else None  # None: out of budget

    monkeypatch.setattr(symbolic, "mv_parse", parse_needing_a_larger_budget)
    judge.prepare_gold.cache_clear()
    judged = comparison.judge_completion(done("x^2 - 1"), "(x-1)(x+1)")
    assert judged["verdict"] == "equivalent" and judged["rejudged"] is True
    report = comparison.build_report(
        {
            "PASS_AT_K": None,
            **{k: None for k in evaluate.CONFIG},
            "MAX_NEW_TOKENS": 8,
            "NUM_SAMPLES": 1,
            "ADAPTER": None,
        },
        {"problem": ["factor", "add"], "answer": ["(x-1)(x+1)", "4"]},
        {"base": [{"completions": [c], "tokens": [5], "truncated": [False]} for c in (done("x^2 - 1"), done("4"))]},
        {},
    )
    assert report["judge"] == {"rejudged": 1, "undecided": 0, "retry_budget_scale": judge.RETRY_BUDGET_SCALE}
    assert "1 completion(s) re-judged" in documents.judge_line(report["judge"])
    judge.prepare_gold.cache_clear()


def record(completions, tokens, truncated, gold="4"):
    return {
        "completions": completions,
        "tokens": tokens,
        "truncated": truncated,
        "judged": [comparison.judge_completion(c, gold) for c in completions],
    }


def test_model_metrics_on_known_records():
    records = [
        record([done("4")], [10], [False]),  # correct, exact
        record([done("4") + " x"], [20], [False]),  # correct, not exact
        record([done("5")], [30], [False]),  # wrong, exact
        record(["rambling, so 4"], [40], [True]),  # no block (strict wrong), lenient right, truncated
    ]
    m = comparison.model_metrics(records)
    values = {key: entry["value"] for key, entry in m.items()}
    assert values == {
        "strict_accuracy": 0.5,
        "lenient_accuracy": 0.75,
        "format_rate": 0.5,
        "truncation_rate": 0.25,
        "mean_tokens": 25.0,
    }
    # Wilson 95 % interval for 2 of 4, by hand: (p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)
    z = 1.959964
    centre, half = (0.5 + z**2 / 8) / (1 + z**2 / 4), z * (0.25 / 4 + z**2 / 64) ** 0.5 / (1 + z**2 / 4)
    assert m["strict_accuracy"]["low"] == pytest.approx(centre - half, abs=1e-5)
    assert m["strict_accuracy"]["high"] == pytest.approx(centre + half, abs=1e-5)


def test_pass_at_k_is_the_unbiased_estimator_over_samples():
    records = [
        record(
            [done("5"), done("5"), done("4"), done("5"), done("4")], [1] * 5, [False] * 5
        ),  # greedy wrong, 2/4 right
        record([done("4"), done("5"), done("5"), done("5"), done("5")], [1] * 5, [False] * 5),  # greedy right, 0/4
    ]
    m = comparison.model_metrics(records)
    assert m["strict_accuracy"]["value"] == 0.5  # greedy only
    assert m["strict_pass@1"]["value"] == pytest.approx((2 / 4 + 0) / 2)  # mean over samples
    # 1 - C(n-c, k) / C(n, k): C(2,2)/C(4,2) = 1/6 for the first problem, 1 for the second
    assert m["strict_pass@2"]["value"] == pytest.approx((1 - 1 / 6 + 0) / 2)
    assert m["strict_pass@4"]["value"] == pytest.approx((1 + 0) / 2)
    assert sorted(k for k in m if k.startswith("strict_pass@")) == ["strict_pass@1", "strict_pass@2", "strict_pass@4"]


PASS_KS = [
    # (samples, configured ks, reported ks)
    (8, None, [1, 2, 4, 8]),  # powers of two up to n
    (6, None, [1, 2, 4, 6]),  # n itself always
    (4, (1, 3, 16), [1, 3]),  # configured, capped at n
]


@pytest.mark.parametrize("samples, configured, expected", PASS_KS)
def test_pass_at_ks_reports_configured_k_up_to_the_samples(samples, configured, expected):
    assert comparison.pass_at_ks(samples, configured) == expected


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
    report = comparison.build_report(evaluate.CONFIG, problems, runs, {})
    assert (report["fixed"], report["broken"]) == ([1], [0])
    assert report["metrics"]["base"]["strict_accuracy"]["value"] == 0.5
    assert report["metrics"]["trained"]["strict_accuracy"]["value"] == 0.5
    assert report["paired"]["strict"]["p_value"] == 1.0  # one fixed, one broken: no evidence of change
    assert "not distinguishable from noise" in report["paired"]["strict"]["sentence"]


def test_heldout_problems_are_disjoint_from_training(tiny_tokenizer):
    cfg = {**train_grpo.CONFIG, **train_grpo.SMOKE}
    train, heldout_in_training, _ = train_grpo.build_train_dataset(cfg, tiny_tokenizer)
    heldout = evaluate.eval_problems({**evaluate.CONFIG, **evaluate.SMOKE, "ADAPTER": None})
    trained_on = {prompt_problem(p) for p in train["prompt"]}
    assert len(heldout) == evaluate.SMOKE["EVAL_SIZE"]
    assert not trained_on & {prompt_problem(p) for p in heldout["problem"]}
    assert list(heldout_in_training["problem"]) == list(heldout["problem"])  # EVAL_STEPS draws from the same split


@pytest.mark.slow
def test_smoke_comparison_writes_both_accuracies_with_intervals(smoke_run, tmp_path, capsys):
    evaluate.main(["--smoke", f"--RUN_DIR={smoke_run}", f"--EVAL_DIR={tmp_path}", "--NUM_PROBLEMS=6"])
    report = json.loads((tmp_path / "comparison.json").read_text())
    runs = {"base", "base-native", "base-fewshot", "trained"}  # the base at its best is scored by default
    assert set(report["metrics"]) == runs
    assert len(report["problems"]) == 6 and runs | {"gold"} <= set(report["problems"][0])
    assert report["setup"]["GRPO steps"] == train_grpo.SMOKE["MAX_STEPS"]
    assert report["setup"]["N"] == 6 and "transformers 5." in report["setup"]["versions"]
    assert all(f"{name} " in report["setup"]["generation time"] for name in runs)  # what each pass cost
    markdown = (tmp_path / "comparison.md").read_text()
    headline = markdown.index("Headline, trained vs the base model at its best prompt")
    table_first = markdown.index("| strict accuracy (solution block) |")
    assert headline < table_first < markdown.index("strict: fixed") < markdown.index("## What was compared")
    assert "| lenient accuracy (final answer anywhere) |" in markdown and "% [" in markdown
    assert (tmp_path / "comparison.png").read_bytes()[:4] == b"\x89PNG"
    printed = capsys.readouterr().out
    assert "| metric | base | base-native | base-fewshot | trained |" in printed and "Headline, trained vs" in printed
    assert "strict: fixed" in printed and "lenient: fixed" in printed


@pytest.mark.slow
def test_default_new_tokens_is_the_budget_when_no_run_says_one(tmp_path, capsys):
    args = ["--smoke", "--RUN_DIR=None", "--ADAPTER=None", "--MAX_NEW_TOKENS=None", "--DEFAULT_NEW_TOKENS=7"]
    evaluate.main([*args, "--BASE_PROMPTS=()", "--NUM_PROBLEMS=2", f"--EVAL_DIR={tmp_path}"])
    assert "so 7 new tokens" in capsys.readouterr().out  # the setting, not the module's constant
    report = json.loads((tmp_path / "comparison.json").read_text())
    assert max(t for p in report["problems"] for t in p["base"]["tokens"]) <= 7


@pytest.mark.slow
def test_base_model_alone_keeps_the_runs_held_out_split(smoke_run, tmp_path):
    evaluate.main(["--smoke", f"--RUN_DIR={smoke_run}", "--ADAPTER=None", f"--EVAL_DIR={tmp_path}", "--NUM_SAMPLES=2"])
    report = json.loads((tmp_path / "comparison.json").read_text())
    assert (
        set(report["metrics"]) == {"base", "base-native", "base-fewshot"}
        and "strict_pass@2" in report["metrics"]["base"]
    )
    assert report["setup"]["trained"].startswith("none")
    cfg = {**train_grpo.CONFIG, **train_grpo.SMOKE}
    _, heldout = data.heldout_split(
        data.to_problems(data.load_rows(cfg["DATASET_NAME"]))[0], cfg["EVAL_SIZE"], cfg["SEED"]
    )
    assert [p["problem"] for p in report["problems"]] == list(heldout["problem"])


@pytest.mark.slow
def test_a_checkpoint_and_a_merged_folder_are_evaluated_on_the_same_problems(smoke_run, tmp_path):
    evaluate.main(
        [
            "--smoke",
            f"--RUN_DIR={smoke_run}",
            "--ADAPTER=checkpoint-2",
            f"--EVAL_DIR={tmp_path / 'c'}",
            "--NUM_PROBLEMS=3",
        ]
    )
    evaluate.main(
        [
            "--smoke",
            f"--RUN_DIR={smoke_run}",
            f"--ADAPTER={smoke_run / 'merged'}",
            f"--EVAL_DIR={tmp_path / 'm'}",
            "--NUM_PROBLEMS=3",
        ]
    )
    checkpoint = json.loads((tmp_path / "c" / "comparison.json").read_text())
    merged = json.loads((tmp_path / "m" / "comparison.json").read_text())
    assert checkpoint["setup"]["GRPO steps"] == 2 and checkpoint["setup"]["trained"].startswith("LoRA adapter")
    assert merged["setup"]["trained"].startswith("merged model")
    assert [p["problem"] for p in checkpoint["problems"]] == [p["problem"] for p in merged["problems"]]


@pytest.mark.slow
def test_ask_prints_base_and_trained_answers_side_by_side(smoke_run, capsys):
    evaluate.main(["--smoke", f"--RUN_DIR={smoke_run}", "--ASK=What is 2 + 2?"])
    out = capsys.readouterr().out
    assert "Q: What is 2 + 2?" in out
    assert out.index("--- base: solution block") < out.index("--- trained: solution block")
    assert "--- base-native: solution block" in out and "--- base-fewshot: solution block" in out  # at its best too


def test_a_few_shot_base_prompt_is_cut_where_the_model_asks_its_own_question(tiny_tokenizer):
    text = "So 2 + 2 = 4. The answer is 4.\nQuestion: What is 9 + 9?\nAnswer: The answer is 18."
    cut, tokens, truncated = generation.base_completion(text, 40, True, tiny_tokenizer)
    assert cut == "So 2 + 2 = 4. The answer is 4." and not truncated  # answered before the budget ran out
    assert tokens == len(tiny_tokenizer(cut, add_special_tokens=False)["input_ids"])
    assert generation.base_completion("The answer is 4.", 6, False, tiny_tokenizer) == ("The answer is 4.", 6, False)


def test_the_fewshot_examples_are_in_no_split_a_run_evaluates_on():
    import prompts

    sys.path.insert(0, str(Path(evaluate.__file__).parent / "bench"))
    from real_model import tasks as real_model_tasks

    examples = prompts.fewshot_examples()
    assert len(examples) >= 3 and all(e["solution"].endswith(f"The answer is {e['answer']}.") for e in examples)
    shipped = {prompt_problem(p) for p in data.sample_texts()}
    shipped |= {
        prompt_problem(json.loads(line)["problem"]) for line in Path(data.PRIMING_DATASET).read_text().splitlines()
    }
    shipped |= {prompt_problem(r["problem"]) for rows in real_model_tasks.build_tasks().values() for r in rows}
    assert not shipped & {prompt_problem(e["problem"]) for e in examples}


def test_ask_reads_a_file_of_questions(tmp_path):
    path = tmp_path / "questions.txt"
    path.write_text("What is 1 + 1?\n\nWhat is the sqrt of 101?\n")
    assert list(evaluate.ask_questions(str(path))["problem"]) == ["What is 1 + 1?", "What is the sqrt of 101?"]


def test_missing_adapter_folder_is_a_clear_error(tmp_path):
    result = run_script("evaluate.py", "--smoke", f"--ADAPTER={tmp_path / 'nope'}")
    assert result.returncode == 2 and "error: no LoRA adapter or model in" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_adapter_for_another_base_model_is_a_clear_error(tmp_path, tiny_tokenizer):
    from peft import LoraConfig, get_peft_model

    other = models.build_tiny_model(tiny_tokenizer, hidden_size=32)  # not the smoke base's shapes
    get_peft_model(other, LoraConfig(r=4, target_modules=["q_proj"])).save_pretrained(str(tmp_path))
    with pytest.raises(ConfigError, match="does not match base model"):
        generation.load_models({**evaluate.CONFIG, **evaluate.SMOKE, "ADAPTER": str(tmp_path)}, "hf", smoke=True)


@pytest.mark.slow
def test_generation_is_deterministic_with_a_seed(tiny_tokenizer):
    cfg = {**evaluate.CONFIG, **evaluate.SMOKE, "NUM_SAMPLES": 2, "MAX_NEW_TOKENS": 8}
    model, tokenizer = models.load_model(cfg, "hf", smoke=True, with_lora=False)
    problems = evaluate.eval_problems({**cfg, "NUM_PROBLEMS": 3})
    generate = generation.make_generator(cfg, "hf", model, tokenizer)
    first, second = generate(problems, adapter=False), generate(problems, adapter=False)
    assert first == second
    assert all(len(r["completions"]) == 3 for r in first)  # greedy + 2 samples


def test_eval_dataset_in_gsm8k_schema_is_read_with_its_gold(tmp_path):
    from helpers import write_jsonl

    path = write_jsonl(tmp_path / "gsm8k.jsonl", [{"question": f"q{i}", "answer": f"work\n#### {i}"} for i in range(5)])
    problems = evaluate.eval_problems({**evaluate.CONFIG, "EVAL_DATASET": path, "NUM_PROBLEMS": 3})
    assert problems["answer"] == ["0", "1", "2"]


def test_evaluation_budget_defaults_to_the_runs_completion_length(tmp_path):
    saved = {"MODEL_NAME": "m", "SEED": 1, "resolved": {"grpo": {"max_completion_length": 1850}}}
    (tmp_path / "recipe_config.json").write_text(json.dumps(saved))
    cfg = {**evaluate.CONFIG, "RUN_DIR": str(tmp_path), "ADAPTER": None}
    assert evaluate.run_settings(cfg, {})["MAX_NEW_TOKENS"] == 1850  # the budget it trained with
    assert "MAX_NEW_TOKENS" not in evaluate.run_settings(cfg, {"MAX_NEW_TOKENS": 64})  # the command line wins
    decoding = evaluate.describe_setup({**cfg, "MAX_NEW_TOKENS": 1850}, 3)["decoding"]
    assert decoding == "greedy, at most 1850 new tokens (the completion length the run trained with)"
    assert "(set for this evaluation)" in evaluate.describe_setup({**cfg, "MAX_NEW_TOKENS": 64}, 3)["decoding"]


def test_hf_generation_keeps_prompt_and_completion_within_max_seq_length_as_vllm_does(tiny_tokenizer):
    cfg = {**evaluate.CONFIG, **evaluate.SMOKE, "NUM_SAMPLES": 2, "MAX_NEW_TOKENS": 16}
    model, tokenizer = models.load_model(cfg, "hf", smoke=True, with_lora=False)
    problems = evaluate.eval_problems({**cfg, "NUM_PROBLEMS": 4})
    lengths = data.count_tokens(tokenizer, generation._prompts(problems, tokenizer))
    cfg["MAX_SEQ_LENGTH"] = sorted(lengths)[1] + 5  # one prompt fills it, one leaves 5 tokens, the rest less room
    records = generation.make_generator(cfg, "hf", model, tokenizer)(problems, adapter=False)
    for record, length in zip(records, lengths, strict=True):
        budget = max(0, min(16, cfg["MAX_SEQ_LENGTH"] - length))
        assert record["budget"] == budget and all(n <= budget for n in record["tokens"])  # greedy and samples
        assert all(cut for cut, n in zip(record["truncated"], record["tokens"], strict=True) if n == budget)
    report = comparison.build_report({**cfg, "PASS_AT_K": None, "ADAPTER": None}, problems, {"base": records}, {})
    short = sum(0 < r["budget"] < 16 for r in records)
    none = sum(r["budget"] == 0 for r in records)
    assert report["setup"]["prompts past the budget"].startswith(f"{short} of 4 prompts leave fewer than 16")
    assert f"{none} leave none" in report["setup"]["prompts past the budget"] and short + none >= 2


def test_vllm_outputs_are_counted_as_the_hf_path_counts_them():
    assert generation.vllm_completion("4", [7, 2], "stop", {2}) == ("4", 1, False)  # the EOS is not a completion token
    assert generation.vllm_completion("x", [7, 8], "stop", {2}) == ("x", 2, False)  # stopped on a stop string
    assert generation.vllm_completion("44", [7, 7], "length", {2}) == ("44", 2, True)  # the budget ran out


def test_the_headline_is_the_trained_model_against_the_best_base_prompt():
    import datasets

    problems = datasets.Dataset.from_list([{"problem": f"p{i}", "answer": "4"} for i in range(4)])

    def run(answers):  # lenient answers as plain text: a base prompt has no tags
        return [{"completions": [f"The answer is {a}."], "tokens": [5], "truncated": [False]} for a in answers]

    runs = {
        "base": run(["1", "1", "1", "1"]),  # the recipe's template: 0 of 4
        "base-native": run(["4", "1", "1", "1"]),  # its own template: 1 of 4
        "base-fewshot": run(["4", "4", "1", "1"]),  # few-shot: 2 of 4, the best
        "trained": run(["4", "4", "4", "1"]),
    }
    report = comparison.build_report(evaluate.CONFIG, problems, runs, {})
    headline = report["headline"]
    assert headline["base_prompt"] == "base-fewshot" and headline["base_lenient"] == 0.5
    assert (headline["paired"]["fixed"], headline["paired"]["broken"]) == (1, 0)  # against few-shot, not the 0 % base
    assert headline["sentence"].startswith("Headline, trained vs the base model at its best prompt (base-fewshot)")
