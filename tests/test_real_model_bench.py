"""The real-model benchmark's parts that need no model: task generation and balance, disjointness
of training and tests, the format-only priming, the shortcut detector, the statistics and the plots
on stored results, the rate rule and the control arm's settings."""

import json
import sys
from collections import Counter
from pathlib import Path

import pytest

from recipe import callbacks

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from real_model import design, report, tasks  # noqa: E402
from real_model import run as real_model  # noqa: E402


@pytest.fixture(scope="module")
def built():
    return tasks.build_tasks()


def value_of(row: dict) -> int:
    value, *rest = row["operands"]
    for op, operand in zip(row["ops"].split("+"), rest, strict=True):
        value = tasks.apply(op, value, operand)
    return value


def test_every_gold_is_the_value_of_its_chain_and_every_step_stays_positive(built):
    for rows in built.values():
        for row in rows:
            assert str(value_of(row)) == row["answer"] and value_of(row) > 0


@pytest.mark.parametrize("family", tasks.FAMILIES)
def test_test_sets_hold_200_problems_spread_evenly_over_their_cells(built, family):
    counts = Counter((r["ops"], r["presentation"]) for r in built[family])
    assert len(built[family]) == tasks.TEST_PROBLEMS
    assert len(counts) == len(tasks.cells(family)) and max(counts.values()) - min(counts.values()) <= 1


def test_training_mixes_one_and_two_step_problems_balanced_over_operation_and_presentation(built):
    train = built["train"]
    families = Counter(r["family"] for r in train)
    assert families == {"one_step": 910, "two_step": 390}  # the fixed 30 % two-step share
    one = Counter((r["ops"], r["presentation"]) for r in train if r["family"] == "one_step")
    assert len(one) == 6 and max(one.values()) - min(one.values()) <= 1  # 3 operations x 2 presentations
    ops = Counter(op for r in train for op in r["ops"].split("+"))
    assert max(ops.values()) / min(ops.values()) < 1.05  # addition is no longer two thirds of the training file


def test_no_test_problem_shares_its_operations_and_operands_with_training(built):
    trained = {tasks.key(tuple(r["ops"].split("+")), tuple(r["operands"])) for r in built["train"]}
    for family in tasks.FAMILIES:
        keys = [tasks.key(tuple(r["ops"].split("+")), tuple(r["operands"])) for r in built[family]]
        assert not trained & set(keys) and len(set(keys)) == len(keys)
    assert not {r["problem"] for r in built["train"]} & {r["problem"] for f in tasks.FAMILIES for r in built[f]}
    assert all(r["family"] != "three_step" for r in built["train"])  # the transfer family is never trained on


def test_commutative_operands_share_a_key_and_word_problems_say_each_step():
    assert tasks.key(("add",), (12, 30)) == tasks.key(("add",), (30, 12))
    assert tasks.key(("sub",), (30, 12)) != tasks.key(("sub",), (12, 30))
    text = tasks.word_text(("add", "mul"), (10, 17, 2), __import__("random").Random(0))
    assert "gets 17 more" in text and "2 times as many" in text and text.endswith("now?")


def test_task_files_are_the_same_on_every_machine(tmp_path):
    first, second = tasks.write_tasks(tmp_path / "a"), tasks.write_tasks(tmp_path / "b")
    assert all(first[name].read_text() == second[name].read_text() for name in first)


def test_priming_teaches_the_format_on_questions_without_arithmetic():
    rows = tasks.format_priming()
    assert len(rows) == tasks.PRIMING_ROWS and all(r["answer"] for r in rows)
    templates = ("What is", "more", "gives away", "times", "bags", "How many apples")
    for row in rows:
        text = row["problem"] + " " + row["reasoning"]
        assert not tasks.working_ops(text), text  # no operation written between numbers
        assert not any(t in text for t in templates), text  # no task template
        assert not set(text) & set("+\u00d7*="), text
        assert row["answer"] in row["reasoning"]  # the worked answer states its result


DETECTOR = [
    ("80 - 25 = 55<end_working_out><SOLUTION>55</SOLUTION>", "sub", True),  # the problem's operation
    ("Add the two numbers: 80 + 25 = 105.", "sub", False),  # the "add" shortcut on a subtraction
    ("34 + 12 = 46, then 46 \u00d7 3 = 138", "add+mul", True),  # both steps, in order
    ("34 + 12 = 46", "add+mul", False),  # one step left out
    ("The answer is 7.", "add", False),  # no working out
    ("12 * 3 = 36 and 12 x 3 again", "mul", True),  # other multiplication signs
    ("92 + 89 = 181.", "add+add", False),  # a chain of two additions done as one: a step left out
    ("92 + 89 + 72 = 253", "add+add", True),  # both additions in one line
    ("(92 + 89) + 72 = 181 + 72 = 253", "add+add", True),  # the chain restated, then worked: more is fine
    ("4 + 5 - 3 = 6", "add+sub", True),  # one-digit operands: the 5 ends one step and opens the next
    ("79 + 21 - 69 equals 100", "add+sub", True),  # the operations written, whatever the arithmetic
    ("(75 + 15) \u00d7 5 = 450", "add+mul", True),  # a bracketed step, then the product of it
]


@pytest.mark.parametrize("completion, ops, right", DETECTOR)
def test_shortcut_detector_reads_the_operations_of_the_working_out(completion, ops, right):
    assert tasks.uses_right_operations(completion, ops) is right


def test_first_line_blanks_numbers_so_a_template_shows_as_one_opening():
    openings = {tasks.first_line(f"Add the two numbers: {a} + {b} = {a + b}.\nx") for a, b in ((1, 2), (30, 4))}
    assert openings == {"Add the two numbers: # + # = #."}


DONE = "{w}<end_working_out><SOLUTION>{a}</SOLUTION>"


def write_result(folder: Path, family: str, arm: str, seed, answers: list, golds: list, ops: list) -> None:
    name = design.result_name(family, arm, seed)
    completions = [
        DONE.format(w=f"{g} + 0 = {a}", a=a) if a is not None else "no idea"
        for a, g in zip(answers, golds, strict=True)
    ]
    result = {
        "completions": completions,
        "gold": golds,
        "ops": ops,
        "presentation": ["bare", "word"] * (len(golds) // 2),
        "truncated": [False] * len(golds),
    }
    if not arm.startswith("base"):
        result["training"] = {"seconds": 120.0, "peak_rss_gib": 2.0}
    (folder / name).write_text(json.dumps(result))


@pytest.fixture
def stored(tmp_path, monkeypatch):
    """Stored results of 2 seeds, 8 one-step problems: priming right on 2, GRPO on 6, no-answer on 3."""
    monkeypatch.setattr(design, "RESULTS", tmp_path)
    golds = [str(10 + i) for i in range(8)]
    ops = ["add", "add", "sub", "sub", "mul", "mul", "add", "sub"]
    right = {"base": 0, "priming": 2, "grpo": 6, "noanswer": 3}
    for arm, count in right.items():
        for seed in [None] if arm == "base" else [0, 1]:
            answers = [g if i < count else "1" for i, g in enumerate(golds)]
            if arm == "base":
                answers = [None] * 8
            write_result(tmp_path, "one_step", arm, seed, answers, golds, ops)
    return tmp_path


def test_summary_prints_the_issue_line_per_family_last(stored):
    lines = report.summarize([0, 1])
    assert lines[-1] == (
        "real model: GRPO 75.0% vs base best-prompt 0.0% (base) vs priming-only 25.0% vs no-answer-reward 37.5% "
        "on one_step (lenient, n=8, seeds=2), exact paired p=0.0312 (vs base best-prompt), p=0.125 (vs priming-only), "
        "seeds better 2/2"
    )  # exact sign-flip over the 8 problems' integer counts: 6 (4) problems moved, all up: 2 / 2^6 (2 / 2^4)


def test_the_headline_compares_with_the_base_models_best_prompt(stored):
    golds = [str(10 + i) for i in range(8)]
    ops = ["add", "add", "sub", "sub", "mul", "mul", "add", "sub"]
    write_result(stored, "one_step", "base-native", None, golds[:1] + ["1"] * 7, golds, ops)  # 1 of 8 right
    write_result(stored, "one_step", "base-fewshot", None, golds[:3] + ["1"] * 5, golds, ops)  # 3 of 8: the best
    lines = report.summarize([0, 1])
    assert lines[-1].startswith("real model: GRPO 75.0% vs base best-prompt 37.5% (base-fewshot) vs priming-only")
    assert "exact paired p=0.25 (vs base best-prompt)" in lines[-1]  # problems 4-6 moved up: 2 / 2^3
    against = next(line for line in lines if line.startswith("one_step GRPO - base best-prompt (base-fewshot)"))
    assert "+37.5 points" in against and "seed-level +37.5" in against


def test_summary_counts_each_problem_once_and_reports_each_seeds_exact_test(stored):
    lines = report.summarize([0, 1])
    assert "one_step seed 0 GRPO (exact McNemar): vs priming-only fixed 4 broke 0 p=0.12, " in " ".join(lines) + " "
    interval = next(line for line in lines if line.startswith("one_step GRPO - priming-only"))
    assert (
        interval.startswith("one_step GRPO - priming-only (lenient): +50.0 points [") and "seeds better 2/2" in interval
    )
    assert "exact sign-flip p=0.125" in interval and "seed-level +50.0 [+50.0, +50.0] (t over 2 seeds" in interval


def test_summary_gives_per_type_accuracy_and_the_shortcut_figures(stored):
    grpo = next(line for line in report.summarize([0, 1]) if line.startswith("one_step   GRPO"))
    assert (
        "strict 75.0 % [" in grpo and "(per seed 75.0 / 75.0 %)" in grpo and "add 67%" in grpo and "mul 100%" in grpo
    )  # problems 7 (add) and 8 (sub) wrong
    assert grpo.index("add 67%") < grpo.index("mul 100%") < grpo.index("sub ") < grpo.index("bare ")  # operations first
    cells = next(
        line for line in report.summarize([0, 1]) if line.startswith("one_step   GRPO") and "x presentation" in line
    )
    assert (
        "add bare 50.0 % [9.5, 90.5]" in cells and "add word 100.0 % [" in cells
    )  # problem 7 is add bare: Wilson over its 2 problems, not over 4 draws of 2 seeds
    assert "right operations" in grpo and "distinct answers 7" in grpo  # six right answers and the stock "1"
    base = next(line for line in report.summarize([0, 1]) if line.startswith("one_step   base"))
    assert "solution block 0%" in base and "most common opening 100% ('no idea')" in base


def test_comparison_waits_for_every_arm_of_a_seed(stored):
    (stored / "one_step_noanswer_seed1.json").unlink()
    last = report.summarize([0, 1])[-1]
    assert "seeds=1" in last and "seeds better 1/1" in last  # seed 1 lacks an arm: only seed 0 compared
    seed1 = next(line for line in report.summarize([0, 1]) if line.startswith("one_step seed 1 GRPO"))
    assert "vs priming-only fixed 4 broke 0" in seed1 and "no-answer" not in seed1  # its finished control only


def test_plots_draw_the_type_bars_and_the_seed_band(stored):
    assert report.plot_types([0, 1]) == stored / "types.png"
    assert report.plot_curves([0, 1]) is None  # no curves stored yet
    rows = [
        {"step": 0, "eval/strict_accuracy": 0.2},
        {"step": 1, "reward": 1.0},
        {"step": 2, "eval/strict_accuracy": 0.4},
    ]
    for name in ("grpo_seed0", "grpo_seed1", "noanswer_seed0"):
        (stored / f"{name}_metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    steps, mean, low, high = report.curve_band([0, 1], "grpo", "dev")
    assert steps == [0, 2] and mean == [0.2, 0.4] and low == mean == high
    assert report.plot_curves([0, 1]) == stored / "curves.png"


def test_rate_choice_follows_the_written_rule(tmp_path, monkeypatch):
    monkeypatch.setattr(design, "RESULTS", tmp_path)
    low, mid, high = design.SWEEP_RATES
    accuracy = {low: [0.1, 0.1, 0.1], mid: [0.3, 0.4, 0.5], high: [0.5, 0.4, 0.3]}  # mid ties high: smaller wins
    for rate, values in accuracy.items():
        assert design.choose_rate() is None  # a rate missing: no choice yet
        rows = [{"step": s, "eval/strict_accuracy": v} for s, v in zip(design.SWEEP_SCORED_STEPS, values, strict=True)]
        name = design.run_name("sweep", design.SWEEP_SEED, rate)
        (tmp_path / f"{name}_metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert design.choose_rate() == mid
    assert json.loads((tmp_path / "sweep.json").read_text())["chosen"] == mid
    assert (
        f"recipe template: chosen learning rate {mid:g} (the rate with the highest mean dev" in report.sweep_lines()[-3]
    )


def test_the_no_answer_arm_is_the_same_training_with_the_answer_rewards_weighted_zero(tmp_path):
    import train_grpo

    paths = tasks.write_tasks(tmp_path / "tasks")
    grpo, control = (
        real_model.arm_settings(a, 0, 100, 3e-4, tmp_path, paths, tmp_path / a) for a in ("grpo", "noanswer")
    )
    assert control["REWARDS"] == {**train_grpo.REWARDS, "check_answer": 0.0, "check_numbers": 0.0}
    assert {k: v for k, v in control.items() if k not in ("REWARDS", "OUTPUT_DIR")} == {
        k: v for k, v in grpo.items() if k not in ("REWARDS", "OUTPUT_DIR")
    }
    assert control["PRIME_DATASET"] == str(paths["priming"]) and control["MAX_COMPLETION_LENGTH"] >= 96
    cfg, _ = train_grpo.check_settings({**train_grpo.CONFIG, **control}, smoke=False)  # the recipe accepts it
    assert cfg["REWARDS"]["check_answer"] == 0.0


def test_kept_curves_hold_rewards_truncation_and_evaluations(tmp_path, monkeypatch):
    monkeypatch.setattr(design, "RESULTS", tmp_path / "results")
    rows = [{"step": 0, "eval/strict_accuracy": 0.25, "eval_loss": 0.0}]
    rows += [
        {"step": 1, "loss": 0.1, "reward": 1.0, "completions/clipped_ratio": 0.5, "rewards/check_answer/mean": 1.0}
    ]
    rows.append({"step": 1, "train_runtime": 9.0})  # the trainer's closing summary line: neither
    source = tmp_path / "metrics.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    real_model.keep_curve("grpo_seed0", source)
    assert callbacks.read_metrics(tmp_path / "results" / "grpo_seed0_metrics.jsonl") == [
        {"step": 0, "eval/strict_accuracy": 0.25},
        {"step": 1, "reward": 1.0, "completions/clipped_ratio": 0.5, "rewards/check_answer/mean": 1.0},
    ]


def test_a_grpo_arm_trained_at_one_rate_is_never_reused_at_another():
    grpo = {rate: design.work_dir("grpo", 0, rate) for rate in design.SWEEP_RATES}
    assert len(set(grpo.values())) == len(design.SWEEP_RATES)  # one folder per rate
    assert design.work_dir("noanswer", 0, 1e-4) != design.work_dir("grpo", 0, 1e-4)
    assert design.work_dir("priming", 0, 1e-4) == design.work_dir("priming", 0, 1e-3)  # no GRPO rate in it


def test_training_ahead_of_the_rate_choice_answers_no_test_problem_and_stores_no_curve(tmp_path, monkeypatch):
    trained, answered = [], []
    monkeypatch.setattr(design, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(design, "WORK", tmp_path / "work")
    monkeypatch.setattr(real_model, "prepare_model", lambda: tmp_path / "model")
    monkeypatch.setattr(
        real_model, "train_arm", lambda arm, seed, steps, rate, *a, **k: trained.append((arm, seed, rate, k))
    )
    monkeypatch.setattr(real_model, "answer_family", lambda *a, **k: answered.append(a))
    monkeypatch.setattr(sys, "argv", ["real_model.py", "--ahead-rate", "1e-4", "--seeds", "0", "1", "--arms", "grpo"])
    real_model.main()
    assert trained == [("grpo", 0, 1e-4, {"keep": False}), ("grpo", 1, 1e-4, {"keep": False})]
    assert answered == [] and not (tmp_path / "results").exists()


def test_signal_lines_give_each_arms_share_of_groups_without_a_gradient(tmp_path, monkeypatch):
    curves = {
        "grpo_seed0": [0.5, 0.5, 0.0, 0.0],  # answers still differ late in training
        "noanswer_seed0": [0.5, 1.0, 1.0, 1.0],  # the format saturates: no spread, no gradient
    }
    monkeypatch.setattr(design, "RESULTS", tmp_path)
    for name, zero_std in curves.items():
        rows = [{"step": i + 1, "reward": 1.0, "frac_reward_zero_std": v} for i, v in enumerate(zero_std)]
        rows.append({"step": 4, "eval/strict_accuracy": 0.5})  # an evaluation row: not a training step
        (tmp_path / f"{name}_metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert report.signal_lines([0, 1]) == [
        "GRPO groups with no reward spread (no gradient): seed 0 25% (second half 0%)",
        "no-answer-reward groups with no reward spread (no gradient): seed 0 88% (second half 100%)",
    ]
