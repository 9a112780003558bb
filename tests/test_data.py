"""Data step: schema detection, local files, dropped rows, length filter, held-out split."""

import datasets
import pytest
from helpers import write_jsonl

import train_grpo
from prompts import SYSTEM_PROMPT, format_solution
from recipe import data
from recipe.config import ConfigError

SCHEMA_ROWS = [
    # (rows, schema, expected problem, expected gold)
    ([{"prompt": "1+1?", "solution": "2"}], "dapo", "1+1?", "2"),  # DAPO-Math-17k-Processed
    (
        [{"problem": "1+1?", "solution": "long text", "answer": "2"}],
        "openr1",
        "1+1?",
        "2",
    ),  # OpenR1-Math-220k
    (
        [{"problem": "1+1?", "answer": "2", "subject": "x", "level": 1, "unique_id": "a"}],
        "openr1",
        "1+1?",
        "2",
    ),  # MATH-500
    (
        [{"question": "1+1?", "answer": "One and one.\n#### 2"}],
        "gsm8k",
        "1+1?",
        "2",
    ),  # GSM8K: gold after ####
    (
        [{"prompt": [{"role": "user", "content": "1+1?"}], "solution": "2"}],
        "dapo",
        "1+1?",
        "2",
    ),  # chat-style prompt
]


@pytest.mark.parametrize("rows, schema, problem, gold", SCHEMA_ROWS)
def test_to_problems_reads_each_known_schema(rows, schema, problem, gold):
    ds = datasets.Dataset.from_list(rows)
    assert data.detect_schema(ds.column_names) == schema
    out, dropped = data.to_problems(ds)
    assert (out[0]["problem"], out[0]["answer"], dropped) == (problem, gold, 0)


def test_to_problems_drops_and_counts_rows_without_problem_or_answer():
    rows = [
        {"problem": "ok", "answer": "1"},  # kept
        {"problem": "", "answer": "1"},  # empty problem
        {"problem": "no answer", "answer": "  "},  # blank answer
        {"problem": None, "answer": "3"},  # missing problem
        {"problem": "x", "answer": None},  # missing answer
    ]
    out, dropped = data.to_problems(datasets.Dataset.from_list(rows))
    assert (len(out), dropped) == (1, 4)


def test_to_problems_keeps_a_gold_of_zero_from_a_numeric_column():
    out, dropped = data.to_problems(datasets.Dataset.from_list([{"problem": "1-1?", "answer": 0}]))
    assert (out[0]["answer"], dropped) == ("0", 0)


def test_to_problems_drops_repeated_problems():
    rows = [
        {"problem": "same", "answer": "1"},
        {"problem": "same", "answer": "2"},
        {"problem": "other", "answer": "3"},
    ]
    out, dropped = data.to_problems(datasets.Dataset.from_list(rows))
    assert (out["answer"], dropped) == (["1", "3"], 1)


def test_gsm8k_row_without_marker_is_dropped():
    out, dropped = data.to_problems(datasets.Dataset.from_list([{"question": "q", "answer": "no marker"}]))
    assert (len(out), dropped) == (0, 1)


def test_unknown_schema_names_columns_found_and_expected():
    with pytest.raises(ConfigError, match=r"columns \['q', 'sol'\]; expected \(problem, answer\)"):
        data.detect_schema(["q", "sol"])


@pytest.mark.parametrize("suffix", ["jsonl", "parquet", "csv"])
def test_load_rows_reads_local_files(tmp_path, suffix):
    ds = datasets.Dataset.from_list([{"problem": f"p{i}", "answer": str(i)} for i in range(5)])
    path = tmp_path / f"data.{suffix}"
    {"jsonl": ds.to_json, "parquet": ds.to_parquet, "csv": ds.to_csv}[suffix](str(path))
    problems, dropped = data.to_problems(data.load_rows(str(path)))
    assert (len(problems), dropped) == (5, 0)


def test_load_rows_reports_a_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="dataset file not found"):
        data.load_rows(str(tmp_path / "nope.jsonl"))


def test_heldout_split_is_deterministic_and_disjoint():
    problems = datasets.Dataset.from_list([{"problem": f"p{i}", "answer": str(i)} for i in range(50)])
    train_a, held_a = data.heldout_split(problems, 10, seed=1)
    train_b, held_b = data.heldout_split(problems, 10, seed=1)
    assert held_a["problem"] == held_b["problem"] and len(held_a) == 10
    assert not set(train_a["problem"]) & set(held_a["problem"])
    assert set(train_a["problem"]) | set(held_a["problem"]) == set(problems["problem"])
    assert data.heldout_split(problems, 10, seed=2)[1]["problem"] != held_a["problem"]  # seed matters


def test_heldout_split_refuses_to_leave_no_training_data():
    problems = datasets.Dataset.from_list([{"problem": "p", "answer": "1"}] * 3)
    with pytest.raises(ConfigError, match="leaves no training data"):
        data.heldout_split(problems, 3, seed=0)


def test_to_prompts_builds_chat_prompts_and_drops_longest(tiny_tokenizer):
    rows = [{"problem": "short " * (i + 1), "answer": str(i)} for i in range(20)]
    out, dropped, longest = data.to_prompts(datasets.Dataset.from_list(rows), tiny_tokenizer, keep_quantile=0.9)
    assert dropped == 2 and len(out) == 18
    assert out[0]["prompt"][0] == {"role": "system", "content": SYSTEM_PROMPT}
    assert out[0]["answer"] == "0"
    assert sorted(out.column_names) == ["answer", "prompt"]
    text = tiny_tokenizer.apply_chat_template(out[-1]["prompt"], tokenize=False, add_generation_prompt=True)
    assert len(tiny_tokenizer(text, add_special_tokens=False)["input_ids"]) <= longest


def test_build_train_dataset_counts_what_it_drops(tmp_path, tiny_tokenizer, capsys):
    rows = [{"prompt": f"What is {i} + {i}?", "solution": str(2 * i)} for i in range(40)]
    rows += [{"prompt": "no answer", "solution": ""}] * 3
    cfg = {
        **train_grpo.CONFIG,
        "DATASET_NAME": write_jsonl(tmp_path / "d.jsonl", rows),
        "DATASET_CONFIG": None,
        "EVAL_SIZE": 5,
    }
    train, _, longest = train_grpo.build_train_dataset(cfg, tiny_tokenizer)
    line = capsys.readouterr().out
    assert "43 rows; dropped 3 without problem/answer or repeated; held out 5" in line
    assert f"training on {len(train)}" in line and longest > 0


def test_build_train_dataset_stops_when_every_row_is_empty(tmp_path, tiny_tokenizer):
    path = write_jsonl(tmp_path / "d.jsonl", [{"prompt": "p", "solution": ""}] * 4)
    cfg = {**train_grpo.CONFIG, "DATASET_NAME": path, "DATASET_CONFIG": None, "EVAL_SIZE": 0}
    with pytest.raises(ConfigError, match="none of its 4 rows has both a problem and an answer"):
        train_grpo.build_train_dataset(cfg, tiny_tokenizer)


def test_sample_dataset_ships_at_least_100_answered_problems():
    problems, dropped = data.to_problems(data.load_rows(data.SAMPLE_DATASET))
    assert len(problems) >= 100


def test_count_tokens_matches_the_tokenizer(tiny_tokenizer):
    texts = ["What is $\\frac{1}{2} + 3$?", "<SOLUTION>4</SOLUTION> and more", ""]
    expected = [len(tiny_tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts]
    assert data.count_tokens(tiny_tokenizer, texts) == expected


def test_priming_from_the_notebooks_hub_schema_keeps_numeric_short_rows(tmp_path, tiny_tokenizer, capsys):
    rows = [
        # (problem, generated_solution, expected_answer): what the filters do with it
        {"problem": "1+1?", "generated_solution": "<think>one and one</think> so 2", "expected_answer": "2"},  # kept
        {"problem": "Half of 7?", "generated_solution": "<think>7/2</think>", "expected_answer": "3.5"},  # kept
        {"problem": "Root?", "generated_solution": "<think>x</think>", "expected_answer": "\\sqrt{2}"},  # not a number
        {"problem": "Set?", "generated_solution": "<think>x</think>", "expected_answer": "1, 2"},  # not one number
        {
            "problem": "Long?",
            "generated_solution": "<think>" + "word " * 400 + "</think>",
            "expected_answer": "5",
        },  # too long
    ]
    path = write_jsonl(tmp_path / "omr.jsonl", rows)
    samples = data.priming_samples(path, "cot", tiny_tokenizer, max_tokens=300)
    out = capsys.readouterr().out
    assert "5 rows; kept 2 with a numeric answer and at most 300 tokens" in out  # the filters, in one line
    assert all(len(ids) <= 300 for ids in samples["input_ids"]) and len(samples) == 2
    pairs = data.priming_samples(path, "cot")  # without a tokenizer: the chat pairs, no length filter
    assert [s["prompt"][-1]["content"] for s in pairs] == ["1+1?", "Half of 7?", "Long?"]
    first = pairs[0]["completion"][0]["content"]
    assert first == format_solution("one and one", "2")  # the <think> text moved into the working-out tags
    assert "<think>" not in first and "so 2" not in first


def test_priming_from_the_shipped_file_keeps_every_row(tiny_tokenizer, capsys):
    samples = data.priming_samples(data.PRIMING_DATASET, "cot", tiny_tokenizer, max_tokens=1024)
    assert len(samples) == 30 and "priming.jsonl: 30 rows; kept 30 at most 1024 tokens" in capsys.readouterr().out


EVAL_BATCHES = [
    ((100, 8, 1), (96, 8)),  # a short last batch would weigh its 4 problems twice: left out
    ((16, 4, 1), (16, 4)),  # whole batches: all kept
    ((20, 4, 2), (16, 4)),  # two processes: whole global batches of 8
    ((3, 4, 1), (3, 3)),  # fewer than one batch: one batch of all of them
    ((10, 8, 4), (8, 2)),  # fewer than one global batch: the same count on every process
    ((1, 4, 2), (0, 0)),  # fewer problems than processes: nothing to evaluate evenly
]


@pytest.mark.parametrize("args, expected", EVAL_BATCHES)
def test_even_eval_batches_give_every_held_out_problem_the_same_weight(args, expected):
    assert data.even_eval_batches(*args) == expected
