"""Run-health warnings: each fires on a metrics stream that shows its problem, and not on a healthy one;
the reward plot gains a held-out accuracy panel when evaluations are logged."""

import sys
from pathlib import Path

import pytest

from recipe import callbacks, documents
from recipe.callbacks import HEALTH_WINDOW

REPO = Path(__file__).resolve().parents[1]


def stream(steps=2 * HEALTH_WINDOW, **series):
    """Training rows: each keyword a constant, or a function of the step."""
    rows = []
    for step in range(1, steps + 1):
        row = {"step": step, "loss": 0.1, "reward": 1.0, "completions/clipped_ratio": 0.1, "frac_reward_zero_std": 0.2}
        row |= {k: v(step) if callable(v) else v for k, v in series.items()}
        rows.append(row)
    return rows


HEALTHY = stream(
    reward=lambda s: s / 10,  # rising
    **{"rewards/match_format_exactly/mean": 3.0, "rewards/check_answer/mean": lambda s: -4 + s / 4},
)

STREAMS = [
    (HEALTHY, set()),  # rising reward, answers improving, few truncated: nothing to say
    (stream(**{"completions/clipped_ratio": 0.8}), {"truncated"}),  # most completions cut at the budget
    (stream(**{"completions/clipped_ratio": 0.5}), set()),  # at the threshold: not yet
    (stream(frac_reward_zero_std=0.9), {"zero_spread"}),  # groups without reward spread
    (
        stream(**{"rewards/match_format_exactly/mean": 3.0, "rewards/check_answer/mean": -2.5}),
        {"format_only"},
    ),  # format learnt, answers flat
    (
        stream(**{"rewards/match_format_exactly/mean": 1.0, "rewards/check_answer/mean": -2.5}),
        set(),
    ),  # format not yet learnt: too early to blame the answers
    (stream(reward=lambda s: 5.0 if s <= HEALTH_WINDOW else 1.0), {"falling"}),  # reward collapsed
    (stream(reward=lambda s: 5.0 - s / 20), set()),  # a slow drift of 1 point: within noise
    (stream(steps=3, loss=float("nan")), {"non_finite"}),  # NaN loss: at once, no window needed
    (stream(steps=3, grad_norm=float("inf")), {"non_finite"}),  # inf gradient norm
    (stream(steps=HEALTH_WINDOW - 1, **{"completions/clipped_ratio": 1.0}), set()),  # too few steps to say
]


@pytest.mark.parametrize("rows, expected", STREAMS, ids=range(len(STREAMS)))
def test_health_warnings_fire_exactly_on_streams_that_show_their_problem(rows, expected):
    assert set(callbacks.health_warnings(rows)) == expected


def test_health_warnings_ignore_evaluation_rows():
    rows = HEALTHY + [{"step": 20, "eval/strict_accuracy": 0.5, "eval_completions/clipped_ratio": 1.0}]
    assert callbacks.health_warnings(rows) == {}


def test_health_callback_says_each_warning_once_with_its_fix(capsys):
    from types import SimpleNamespace

    callback = callbacks.health_callback()
    for row in stream(steps=30, **{"completions/clipped_ratio": 0.9}):
        state = SimpleNamespace(is_world_process_zero=True, global_step=row["step"])
        callback.on_log(None, state, None, logs={k: v for k, v in row.items() if k != "step"})
    out = capsys.readouterr().out
    assert out.count("warning (step 10)") == 1 and "raise MAX_COMPLETION_LENGTH" in out
    assert out.count("warning") == 1


def test_reward_plot_gains_a_held_out_accuracy_panel(tmp_path):
    from PIL import Image

    evals = [{"step": s, "eval/strict_accuracy": s / 40, "eval/lenient_accuracy": s / 30} for s in (0, 10, 20)]
    documents.plot_rewards(HEALTHY, tmp_path / "plain.png", "t")
    documents.plot_rewards(HEALTHY + evals, tmp_path / "with_eval.png", "t")
    plain, with_eval = (Image.open(tmp_path / n).size for n in ("plain.png", "with_eval.png"))
    assert with_eval[0] > 1.5 * plain[0]  # a second panel beside the rewards
    assert documents.eval_series(evals)["strict_accuracy"] == [(0, 0.0), (10, 0.25), (20, 0.5)]


FP16_STREAMS = [
    (stream(steps=3, grad_norm=float("inf")), set()),  # fp16: the loss scaler skipped a step
    (stream(steps=3, loss=float("nan"), grad_norm=float("nan")), {"non_finite"}),  # a NaN loss is a fault
]


@pytest.mark.parametrize("rows, expected", FP16_STREAMS, ids=range(len(FP16_STREAMS)))
def test_health_warnings_under_fp16_leave_the_loss_scalers_skipped_steps_alone(rows, expected):
    assert set(callbacks.health_warnings(rows, fp16=True)) == expected


def test_both_backends_log_non_finite_losses_the_same_way():
    import train_grpo

    settings = train_grpo.shared_training_args({**train_grpo.CONFIG, "CPU": True, "BACKEND": "hf", "RUN_NAME": None})
    assert settings["logging_nan_inf_filter"] is False  # Unsloth's config sets False; transformers' default True


# Rollouts not from the current policy (issue 34 item 7; Unsloth PR #8701's symptom: the adapter ignored
# in generation, losses normal)
FORMAT = "rewards/exact_format/mean"
GAP = "sampling/sampling_logp_difference/mean"
CLIPPED = "completions/clipped_ratio"
OFF_POLICY = [
    # (rows, primed, completions per step, expected)
    (stream(steps=3, **{FORMAT: 0.0}), True, 4, {"off_policy"}),  # primed, yet 12 finished rollouts lack the format
    (stream(steps=3, **{FORMAT: 0.0}), False, 4, set()),  # no priming (or a resumed run): nothing to expect
    (stream(steps=3, **{FORMAT: lambda s: 0.25 if s == 3 else 0.0}), True, 4, set()),  # the format shows at step 3
    (stream(steps=2, **{FORMAT: 0.0}), True, 4, set()),  # 8 finished completions: too few to say
    (stream(steps=3, **{FORMAT: 0.0}), True, 2, set()),  # 6 finished completions (a small batch): too few to say
    (stream(steps=6, **{FORMAT: 0.0}), True, 2, {"off_policy"}),  # ... until 12 have finished
    (stream(steps=3, **{FORMAT: 0.0, CLIPPED: 1.0}), True, 4, set()),  # random weights: every completion cut
    (stream(steps=6, **{FORMAT: 0.0, CLIPPED: lambda s: 1.0 if s % 2 else 0.5}), True, 4, set()),  # half cut: none
    (stream(steps=3, **{FORMAT: 0.5, GAP: lambda s: 2.5 if s == 2 else 0.02}), True, 4, {"off_policy"}),  # apart
    (stream(steps=3, **{FORMAT: 0.5, GAP: 0.05}), True, 4, set()),  # vLLM's and the trainer's numerics: close
]


@pytest.mark.parametrize("rows, primed, per_step, expected", OFF_POLICY, ids=range(len(OFF_POLICY)))
def test_rollouts_that_do_not_come_from_the_current_policy_are_caught(rows, primed, per_step, expected):
    warnings = callbacks.health_warnings(rows, primed=primed, per_step=per_step)
    assert set(warnings) == expected
    if expected:  # what to check: Unsloth's fix and a run without vLLM (the vllm_gen_lora folder proves nothing)
        line = warnings["off_policy"]
        assert "Unsloth PR #8701" in line and "--USE_VLLM=False" in line and "vllm_gen_lora" not in line


@pytest.mark.parametrize("series", [{FORMAT: 0.0}, {FORMAT: 0.5, GAP: 2.5}], ids=["no format", "log-probs apart"])
def test_the_off_policy_check_is_switched_off_by_the_recipe_setting(series):
    rows = stream(steps=10, **series)
    assert "off_policy" in callbacks.health_warnings(rows, primed=True, per_step=4)
    assert callbacks.health_warnings(rows, primed=True, per_step=4, rollouts=False) == {}  # HEALTH_CHECK_ROLLOUTS=False


def test_the_device_checks_random_weight_runs_switch_the_off_policy_check_off():
    import train_grpo

    assert train_grpo.HEALTH_CHECK_ROLLOUTS is True  # on in the recipe
    sys.path.insert(0, str(REPO / "tools"))
    import device_check

    assert device_check.RECIPE["HEALTH_CHECK_ROLLOUTS"] is False  # random weights: the format cannot show


def test_the_off_policy_warning_is_one_line_from_the_callback(capsys):
    from types import SimpleNamespace

    callback = callbacks.health_callback(primed=True, per_step=4)
    for row in stream(steps=5, **{FORMAT: 0.0}):
        state = SimpleNamespace(is_world_process_zero=True, global_step=row["step"])
        callback.on_log(None, state, None, logs={k: v for k, v in row.items() if k != "step"})
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("warning (step 3): format priming ran, yet none of the 12 finished")
