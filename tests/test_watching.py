"""Watching a run: the completion log and its digest, TensorBoard, the model card's Hub header and
usage snippet, and a Hub push that happens only when asked and fails in one line."""

import json

import pytest

import rewards
import train_grpo
from recipe.config import public

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def watched_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("watched")
    train_grpo.main(
        ["--smoke", "--MAX_STEPS=4", "--LOG_COMPLETIONS_STEPS=2", "--REPORT_TO=tensorboard", f"--OUTPUT_DIR={out}"]
    )
    return out


def test_completion_log_writes_problem_gold_and_every_score(watched_run):
    rows = [json.loads(line) for line in (watched_run / "completions.jsonl").read_text().splitlines()]
    assert sorted({r["step"] for r in rows}) == [1, 3]  # every 2 steps, from the first; held-out batches not logged
    assert len(rows) == 2 * train_grpo.SMOKE.get("PER_DEVICE_BATCH_SIZE", train_grpo.PER_DEVICE_BATCH_SIZE)
    for row in rows:
        assert row["problem"] and row["gold"] and isinstance(row["completion"], str)
        assert set(row["rewards"]) == set(rewards.REWARD_FUNCS) | set(rewards.METRIC_FUNCS)  # metrics at weight 0
        assert row["total"] == pytest.approx(sum(train_grpo.REWARDS.get(n, 0) * v for n, v in row["rewards"].items()))


def test_completion_digest_shows_best_and_worst(capsys):
    from recipe import callbacks

    rows = [
        {"step": 5, "problem": "What is 2+2?", "gold": "4", "completion": "good", "rewards": {}, "total": 9.0},
        {"step": 5, "problem": "What is 3+3?", "gold": "6", "completion": "x" * 1000, "rewards": {}, "total": -3.0},
    ]
    text = callbacks.digest(rows)
    assert text.splitlines()[0] == "--- step 5: 2 completions, total reward -3.0 .. 9.0"
    assert "[best 9.0] What is 2+2? (gold 4)\ngood" in text and "[worst -3.0] What is 3+3? (gold 6)" in text
    assert text.endswith(" [...]")  # long completions are cut


def test_tensorboard_writes_an_event_file(watched_run):
    assert list((watched_run / "runs").rglob("events.out.tfevents.*"))


def test_model_card_header_parses_with_huggingface_hub(watched_run):
    from huggingface_hub import ModelCard

    card = ModelCard.load(watched_run / "README.md")
    assert card.data.base_model == train_grpo.SMOKE["MODEL_NAME"] and card.data.library_name == "peft"
    assert {"trl", "grpo"} <= set(card.data.tags) and card.data.license
    assert "## How to use" in card.text and "PeftModel.from_pretrained" in card.text


def test_the_usage_snippet_runs_on_the_saved_adapter(watched_run, tiny_tokenizer):
    """The card's snippet, with the tiny base model standing in for the Hub download."""
    from recipe import models

    card = (watched_run / "README.md").read_text()
    snippet = card.split("```python\n", 1)[1].split("```", 1)[0]
    snippet = snippet.replace("path/or/hub-id/of/this/adapter", str(watched_run / "final"))
    base = models.build_tiny_model(tiny_tokenizer)
    snippet = snippet.replace(
        f'AutoModelForCausalLM.from_pretrained("{train_grpo.SMOKE["MODEL_NAME"]}", dtype="auto", device_map="auto")',
        "base",
    )
    snippet = snippet.replace("max_new_tokens=512", "max_new_tokens=4")
    exec(compile(snippet, "card", "exec"), {"base": base})


def test_no_push_unless_asked_and_a_failed_push_is_one_line(tmp_path, monkeypatch, capsys):
    from huggingface_hub import HfApi

    calls = []

    def offline(self, *args, **kwargs):
        calls.append(args)
        raise OSError("cannot reach the Hub (offline)")

    monkeypatch.setattr(HfApi, "create_repo", offline)
    train_grpo.main(["--smoke", "--PRIME_STEPS=0", "--MAX_STEPS=1", f"--OUTPUT_DIR={tmp_path / 'a'}"])
    assert calls == []  # PUSH_TO_HUB is off by default: no Hub call at all
    train_grpo.main(
        [
            "--smoke",
            "--PRIME_STEPS=0",
            "--MAX_STEPS=1",
            "--PUSH_TO_HUB=True",
            "--HUB_MODEL_ID=someone/model",
            f"--OUTPUT_DIR={tmp_path / 'b'}",
        ]
    )
    out = capsys.readouterr().out
    assert len(calls) == 1 and "PUSH_TO_HUB failed (OSError: cannot reach the Hub (offline))" in out
    assert (tmp_path / "b" / "final" / "adapter_model.safetensors").is_file()


def test_secrets_are_never_saved():
    assert public({"HUB_TOKEN": "hf_x", "WANDB_API_KEY": "k", "LR": 1}) == {"LR": 1}


def test_held_out_batches_stay_out_of_the_completion_log_when_the_model_is_in_training_mode(tmp_path, monkeypatch):
    # Unsloth calls model.for_training() inside _generate_and_score_completions, during evaluation too
    # (unsloth/models/rl_replacements.py): switch modes the same way on TRL's own trainer.
    import trl

    score, generate_and_score = trl.GRPOTrainer._calculate_rewards, trl.GRPOTrainer._generate_and_score_completions

    def for_training_then_score(self, *args, **kwargs):
        self.model.train()  # after generation, before the rewards: held-out batches too
        return score(self, *args, **kwargs)

    def restore_after_the_call(self, inputs):
        was_training = self.model.training
        try:
            return generate_and_score(self, inputs)
        finally:
            self.model.train(was_training)  # restored only after the call (unsloth/models/rl.py)

    monkeypatch.setattr(trl.GRPOTrainer, "_calculate_rewards", for_training_then_score)
    monkeypatch.setattr(trl.GRPOTrainer, "_generate_and_score_completions", restore_after_the_call)
    out = tmp_path / "run"
    train_grpo.main(["--smoke", "--MAX_STEPS=2", "--EVAL_STEPS=1", "--LOG_COMPLETIONS_STEPS=1", f"--OUTPUT_DIR={out}"])
    rows = [json.loads(line) for line in (out / "completions.jsonl").read_text().splitlines()]
    per_step = train_grpo.SMOKE.get("PER_DEVICE_BATCH_SIZE", train_grpo.PER_DEVICE_BATCH_SIZE)
    assert sorted(r["step"] for r in rows) == [1] * per_step + [2] * per_step  # training completions only
    evaluations = [r for r in reports_rows(out) if "eval/strict_accuracy" in r]
    assert [r["step"] for r in evaluations] == [0, 1, 2]  # the held-out batches ran, and were not logged


def reports_rows(out):
    from recipe import callbacks

    return callbacks.read_metrics(out / "metrics.jsonl")
