"""Callbacks: what runs inside training beside TRL's loop: the metrics callback and metrics.jsonl, the
health warnings (a run not learning for a reason the user can fix), and the completion log. The documents
made from them afterwards (plot, model card) are in documents.py. Nothing here loads a model.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from judge import completion_text
from prompts import prompt_problem
from rewards import REWARD_BOUNDS

# --- The metrics file


# Held-out evaluation during training (EVAL_STEPS): TRL's key -> the name metrics.jsonl also gives it.
EVAL_METRICS = {
    "eval/strict_accuracy": "eval_rewards/strict_accuracy/mean",
    "eval/lenient_accuracy": "eval_rewards/lenient_accuracy/mean",
    "eval/exact_format": "eval_rewards/exact_format/mean",
    "eval/mean_length": "eval_completions/mean_length",
    "eval/truncated": "eval_completions/clipped_ratio",
}


def metrics_callback(path: Path):
    """A TrainerCallback appending one JSON line per logged step to `path` (main process only); an
    evaluation row also gets the short `eval/...` names of EVAL_METRICS."""
    from transformers import TrainerCallback

    class MetricsLogger(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if state.is_world_process_zero and logs:
                short = {name: logs[key] for name, key in EVAL_METRICS.items() if key in logs}
                with path.open("a") as fh:
                    fh.write(json.dumps({"step": state.global_step, **logs, **short}) + "\n")

    return MetricsLogger()


def read_metrics(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def truncate_metrics(path: Path, last_step: int) -> None:
    """Keep lines up to `last_step`: a resumed run re-logs the steps after its checkpoint."""
    if not path.is_file():
        return
    kept = [row for row in read_metrics(path) if row.get("step", 0) <= last_step]
    path.write_text("".join(json.dumps(row) + "\n" for row in kept))


SMOOTHING_WINDOW = 10  # logged steps in the plot's rolling mean (per-step means of a few prompts are noisy)


def rolling_mean(values: list[float], window: int = SMOOTHING_WINDOW) -> list[float]:
    """Mean of each value and up to `window - 1` values before it.

    >>> rolling_mean([0.0, 2.0, 4.0, 6.0], window=2)
    [0.0, 1.0, 3.0, 5.0]
    """
    out, total = [], 0.0
    for i, value in enumerate(values):
        total += value
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


# --- Run health: one line when a run is not learning for a reason the user can fix

HEALTH_WINDOW = 10  # logged GRPO steps each check averages over (a step's batch is a few prompts: noisy)
TRUNCATED_MAX = 0.5  # share of completions cut at the completion budget above which it warns
ZERO_SPREAD_MAX = 0.5  # share of groups whose completions all scored the same (no advantage, no gradient)
FORMAT_SATURATED = 0.9  # match_format_exactly at this share of its maximum or more ...
ANSWER_FLAT = 0.5  # ... while check_answer's mean moved less than this (its range is 9.5) since the start
REWARD_DROP = 1.5  # total reward's rolling mean this far below its best earlier: falling
HEALTH_KEYS = ("loss", "reward", "grad_norm")  # a non-finite value in any of these is a broken run
# Rollouts from the policy being trained (Unsloth PR #8701: with TRL >= 1.10 and vLLM every rollout came
# from the base model, adapter ignored, while the losses looked normal):
OFF_POLICY_STEPS = 10  # after format priming, some rollout of the first N GRPO steps must show the format ...
OFF_POLICY_MIN_FINISHED = 12  # ... judged once this many of their completions finished (a cut one has no format)
OFF_POLICY_CLIPPED_MAX = 0.5  # a step counts when most of its completions finished: TRL's clipped_ratio below this
LOGP_GAP_MAX = 1.0  # nats per token: the generator's log-probs this far from the trainer's (mean of a step)
# unsloth_zoo 2026.10.7 writes only adapter_config.json into vllm_gen_lora*/ (once per process) and hands
# vLLM the weights in memory, so that folder says nothing about the live adapter: compare generators instead
OFF_POLICY_CHECK = (
    "the rollouts may not come from the model being trained (the adapter left out of generation, as in "
    "Unsloth PR #8701, Aug 2026): check that the installed unsloth includes that fix, and rerun a few steps "
    "with --USE_VLLM=False to compare exact_format"
)


def _window_mean(rows: list[dict], key: str) -> float | None:
    values = [row[key] for row in rows if isinstance(row.get(key), (int, float))]
    return sum(values) / len(values) if values else None


def health_warnings(
    rows: list[dict], fp16: bool = False, primed: bool = False, per_step: int = 0, rollouts: bool = True
) -> dict[str, str]:
    """Why a run is not learning, from its training rows in metrics.jsonl: check name -> one line
    with the fix. Empty while every check passes (or too few steps are logged to say). Under fp16
    a non-finite gradient norm with a finite loss is the loss scaler skipping a step, not a fault.
    `primed`: format priming ran just before these GRPO steps (a new run), so its format must show;
    `per_step`: completions per GRPO step; `rollouts`: False switches the off-policy check off.

    >>> rows = [{"step": s, "reward": 1.0, "completions/clipped_ratio": 0.8} for s in range(1, 11)]
    >>> list(health_warnings(rows))
    ['truncated']
    """
    rows = [row for row in rows if "reward" in row or "loss" in row]  # GRPO steps, not evaluations
    warnings = {}
    for row in rows[-1:]:
        bad = [k for k in HEALTH_KEYS if isinstance(row.get(k), float) and not math.isfinite(row[k])]
        if fp16 and bad == ["grad_norm"]:
            bad = []  # the fp16 loss scaler's skipped step: it lowers the scale and goes on
        if bad:
            warnings["non_finite"] = (
                f"{', '.join(bad)} not finite at step {row['step']}: lower LEARNING_RATE, and prefer bf16 or fp32 to fp16"
            )
    off_policy = off_policy_warning(rows, primed, per_step) if rollouts else None
    if off_policy:
        warnings["off_policy"] = off_policy
    if len(rows) < HEALTH_WINDOW:
        return warnings
    recent, start = rows[-HEALTH_WINDOW:], rows[:HEALTH_WINDOW]
    truncated = _window_mean(recent, "completions/clipped_ratio")
    if truncated is not None and truncated > TRUNCATED_MAX:
        warnings["truncated"] = (
            f"{100 * truncated:.0f}% of completions hit the completion budget over the last {HEALTH_WINDOW} steps: "
            "raise MAX_COMPLETION_LENGTH (or MAX_SEQ_LENGTH), or set MASK_TRUNCATED_COMPLETIONS=True"
        )
    zero_spread = _window_mean(recent, "frac_reward_zero_std")
    if zero_spread is not None and zero_spread > ZERO_SPREAD_MAX:
        warnings["zero_spread"] = (
            f"{100 * zero_spread:.0f}% of groups scored all completions the same over the last {HEALTH_WINDOW} steps, "
            "so they teach nothing: the problems are too easy or too hard for this model, or raise NUM_GENERATIONS"
        )
    fmt = _window_mean(recent, "rewards/match_format_exactly/mean")
    answer_then, answer_now = (_window_mean(w, "rewards/check_answer/mean") for w in (start, recent))
    fmt_max = REWARD_BOUNDS["match_format_exactly"][1]
    if (
        len(rows) >= 2 * HEALTH_WINDOW
        and fmt is not None
        and fmt >= FORMAT_SATURATED * fmt_max
        and answer_now is not None
        and abs(answer_now - answer_then) < ANSWER_FLAT
    ):
        warnings["format_only"] = (
            f"the format rewards are at their maximum while check_answer stays flat ({answer_then:.2f} -> "
            f"{answer_now:.2f}): raise LEARNING_RATE or train longer, or use problems nearer the model's level"
        )
    totals = [row["reward"] for row in rows if isinstance(row.get("reward"), (int, float))]
    if len(totals) >= 2 * HEALTH_WINDOW:
        means = rolling_mean(totals, HEALTH_WINDOW)[HEALTH_WINDOW - 1 :]
        best, now = max(means), means[-1]
        if best - now > REWARD_DROP:
            warnings["falling"] = (
                f"total reward fell from a rolling mean of {best:.2f} to {now:.2f}: lower LEARNING_RATE (or raise BETA)"
            )
    return warnings


def off_policy_warning(rows: list[dict], primed: bool, per_step: int = 0) -> str | None:
    """One line when the rollouts do not look like the current policy's: after format priming, no finished
    completion of the first GRPO steps has the exact format the primed adapter writes; or the generator's
    log-probabilities far from the trainer's for the same tokens (TRL logs the gap with vLLM's
    importance-sampling correction on). `per_step`: completions per GRPO step (0: unknown, format not judged).

    >>> rows = [{"step": s, "reward": 0.0, "rewards/exact_format/mean": 0.0, "completions/clipped_ratio": 0.0}
    ...         for s in (1, 2, 3)]
    >>> off_policy_warning(rows, primed=True, per_step=4)[:63]
    'format priming ran, yet none of the 12 finished completions of '
    >>> off_policy_warning(rows, primed=False, per_step=4) is None
    True
    """
    judged = format_evidence(rows[:OFF_POLICY_STEPS], per_step) if primed else None
    if judged is not None and not judged[2]:
        steps, finished, _ = judged
        return (
            f"format priming ran, yet none of the {finished} finished completions of GRPO steps "
            f"{steps[0]}-{steps[-1]} has its format: {OFF_POLICY_CHECK}"
        )
    for row in rows:
        gap = row.get("sampling/sampling_logp_difference/mean")
        if isinstance(gap, (int, float)) and gap > LOGP_GAP_MAX:
            return (
                f"at step {row['step']} the generator's log-probabilities differ from the trainer's by {gap:.2f} "
                f"nats per token (over {LOGP_GAP_MAX}): {OFF_POLICY_CHECK}"
            )
    return None


def format_evidence(rows: list[dict], per_step: int) -> tuple[list[int], int, bool] | None:
    """The steps whose completions mostly finished (a completion cut at the budget cannot show the format),
    taken in order until OFF_POLICY_MIN_FINISHED finished completions: (their steps, finished completions,
    whether any shows the exact format). None until that many have finished (too few to judge).

    >>> rows = [{"step": 1, "rewards/exact_format/mean": 0.0, "completions/clipped_ratio": 1.0},
    ...         {"step": 2, "rewards/exact_format/mean": 0.0, "completions/clipped_ratio": 0.25}]
    >>> format_evidence(rows, per_step=16)
    ([2], 12, False)
    """
    steps, finished, shown = [], 0, False
    for row in rows:
        clipped, fmt = row.get("completions/clipped_ratio"), row.get("rewards/exact_format/mean")
        numbers = isinstance(clipped, (int, float)) and isinstance(fmt, (int, float))
        if not numbers or clipped >= OFF_POLICY_CLIPPED_MAX:
            continue
        steps.append(row["step"])
        finished += round(per_step * (1 - clipped))
        shown = shown or fmt > 0
        if finished >= OFF_POLICY_MIN_FINISHED:
            return steps, finished, shown
    return None


def health_callback(primed: bool = False, per_step: int = 0, rollouts: bool = True):
    """A TrainerCallback printing each run-health warning once, on the main process, as it appears.
    `primed`: format priming ran just before (a new run): the rollouts must show its format;
    `per_step`: completions per GRPO step; `rollouts`: False switches the off-policy check off."""
    from transformers import TrainerCallback

    class HealthMonitor(TrainerCallback):
        def __init__(self):
            self.rows, self.said = [], set()

        def on_log(self, args, state, control, logs=None, **kwargs):
            if not state.is_world_process_zero or not logs:
                return
            self.rows.append({"step": state.global_step, **logs})
            fp16 = bool(getattr(args, "fp16", False))
            found = health_warnings(self.rows, fp16=fp16, primed=primed, per_step=per_step, rollouts=rollouts)
            for name, line in found.items():
                if name not in self.said:
                    self.said.add(name)
                    print(f"warning (step {state.global_step}): {line}", flush=True)

    return HealthMonitor()


# --- What the model writes: sampled completions with their scores

DIGEST_CHARS = 400  # each completion in the printed digest is cut to this many characters
HELD_OUT_COLUMN = "held_out"  # a column of the in-training evaluation set only (True on every row)


class CompletionLog:
    """Wraps the reward functions so that every `every` GRPO steps the step's completions, with their
    problem, gold and each reward's score, are appended to a JSONL file, and a short digest (the best and
    the worst completion of the step) is printed. TRL calls every reward on the same batch in turn; the
    record is written when the last one has scored it. Only the main process writes.

    Held-out batches (EVAL_STEPS) are told apart by their data, a HELD_OUT_COLUMN that TRL hands to the
    reward functions, never by the model's mode: Unsloth switches the model to training mode inside
    its generate-and-score step, during evaluation too."""

    def __init__(self, path: Path, every: int, weights: dict[str, float], main_process: bool = True) -> None:
        self.path, self.every, self.weights, self.main_process = path, every, weights, main_process
        self._pending: dict[int, dict] = {}

    def wrap(self, name: str, reward_func):
        import functools

        @functools.wraps(reward_func)
        def recorded(prompts, completions, **kwargs):
            scores = reward_func(prompts, completions, **kwargs)
            self._record(name, prompts, completions, scores, kwargs)
            return scores

        return recorded

    def _record(self, name, prompts, completions, scores, kwargs) -> None:
        state = kwargs.get("trainer_state")
        step = state.global_step + 1 if state is not None else 0  # the step these completions train
        if not self.main_process or self.every <= 0 or (step - 1) % self.every:
            return
        if any(kwargs.get(HELD_OUT_COLUMN) or ()):  # a held-out batch: not a training step's completions
            return
        batch = self._pending.setdefault(id(completions), {"scores": {}})
        batch["scores"][name] = scores
        if set(batch["scores"]) != set(self.weights):
            return
        del self._pending[id(completions)]
        answers = kwargs.get("answer") or [None] * len(completions)
        rows = []
        for i, (prompt, completion) in enumerate(zip(prompts, completions, strict=True)):
            per_reward = {n: float(batch["scores"][n][i]) for n in self.weights}
            rows.append(
                {
                    "step": step,
                    "problem": prompt_problem(prompt),
                    "gold": answers[i],
                    "completion": completion_text(completion),
                    "rewards": per_reward,
                    "total": sum(self.weights[n] * v for n, v in per_reward.items()),
                }
            )
        with self.path.open("a") as fh:
            fh.writelines(json.dumps(row) + "\n" for row in rows)
        print(digest(rows), flush=True)


def digest(rows: list[dict]) -> str:
    """The best and the worst completion of a step, a few lines each."""
    best, worst = max(rows, key=lambda r: r["total"]), min(rows, key=lambda r: r["total"])
    lines = [
        f"--- step {rows[0]['step']}: {len(rows)} completions, total reward {worst['total']:.1f} .. {best['total']:.1f}"
    ]
    for label, row in (("best", best), ("worst", worst)):
        text = row["completion"].strip()
        cut = text if len(text) <= DIGEST_CHARS else text[:DIGEST_CHARS] + " [...]"
        lines += [f"[{label} {row['total']:.1f}] {row['problem'][:120]} (gold {row['gold']})", cut]
    return "\n".join(lines)


# --- Model card header and usage (the Hub reads the YAML header)
