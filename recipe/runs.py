"""A run's life in its output folder: which checkpoint a rerun resumes from (the newest complete one),
whether a rerun's settings still describe the saved run, and a clean stop on SIGTERM / SIGINT.
Nothing here deletes or writes a file; the stop only asks the Trainer for one more checkpoint.
"""

from __future__ import annotations

import hashlib
import json
import signal
import threading
from pathlib import Path

from prompts import CHAT_TEMPLATE, SYSTEM_PROMPT

from .config import ConfigError, print_main

# Settings that define what the checkpoints in OUTPUT_DIR are (weights' shapes, data, split, format):
# a rerun that changes one of them cannot resume that run. Everything else (MAX_STEPS, SAVE_STEPS,
# logging, exports, ...) may change between reruns and is recorded.
RUN_IDENTITY = (
    "MODEL_NAME",
    "LOAD_IN_4BIT",
    "MAX_SEQ_LENGTH",
    "LORA_RANK",
    "LORA_ALPHA",
    "LORA_DROPOUT",
    "LORA_TARGET_MODULES",
    "DATASET_NAME",
    "DATASET_CONFIG",
    "DATASET_SPLIT",
    "EVAL_SIZE",
    "SEED",
    "MAX_TRAIN_PROBLEMS",
    "PROMPT_LENGTH_QUANTILE",
    "CHAT_TEMPLATE",
    "FORMAT",
)
WEIGHTS = ("adapter_model.safetensors", "model.safetensors")  # what save_model writes first


def format_fingerprint() -> str:
    """A short hash of the system prompt and chat template: a run trained on another format differs."""
    return hashlib.sha256((SYSTEM_PROMPT + CHAT_TEMPLATE).encode()).hexdigest()[:12]


def is_complete(checkpoint: Path) -> bool:
    """True when the Trainer finished writing the checkpoint: its weights are there and
    trainer_state.json, written last (transformers 5.17 trainer.py:3269), parses."""
    state = checkpoint / "trainer_state.json"
    if not state.is_file() or not any((checkpoint / name).is_file() for name in WEIGHTS):
        return False
    try:
        json.loads(state.read_text())
    except (ValueError, OSError):
        return False
    return True


def checkpoint_step(path: Path) -> int:
    tail = path.name.rpartition("-")[2]
    return int(tail) if tail.isdigit() else -1


def resumable_checkpoint(out: Path) -> tuple[Path | None, list[Path]]:
    """(the newest complete checkpoint-N in `out`, the incomplete ones newer than it, skipped).

    >>> resumable_checkpoint(Path("no/such/folder"))
    (None, [])
    """
    if not out.is_dir():
        return None, []
    checkpoints = sorted(
        (p for p in out.glob("checkpoint-*") if p.is_dir() and checkpoint_step(p) >= 0), key=checkpoint_step
    )
    skipped = []
    for checkpoint in reversed(checkpoints):
        if is_complete(checkpoint):
            return checkpoint, skipped
        skipped.append(checkpoint)
    return None, skipped


def check_rerun(saved_path: Path, cfg: dict, restart_setting: str) -> None:
    """Refuse, before anything in OUTPUT_DIR is written, a rerun whose run-defining settings differ
    from those saved there: its checkpoints could not be resumed, and evaluate.py would read the wrong
    split from the overwritten record. A folder whose run never trained (no checkpoint, no final/, no
    metrics: it stopped on a mistake, say a misspelt dataset path) holds nothing to protect."""
    folder = saved_path.parent
    trained = any(folder.glob("checkpoint-*")) or (folder / "final").is_dir() or (folder / "metrics.jsonl").is_file()
    if not saved_path.is_file() or not trained:
        return
    saved = json.loads(saved_path.read_text())
    current = {**cfg, "FORMAT": format_fingerprint()}
    differ = [name for name in RUN_IDENTITY if name in saved and _same(saved[name]) != _same(current.get(name))]
    if differ:
        changes = ", ".join(f"{name} {saved[name]!r} -> {current.get(name)!r}" for name in differ)
        raise ConfigError(
            f"{saved_path.parent} holds a run with other settings ({changes}): pass another --OUTPUT_DIR, "
            f"or --{restart_setting}=True to start over there (the new run's checkpoints then replace these)"
        )


def _same(value):
    """Compare tuples and JSON lists alike (the saved config went through JSON)."""
    return list(value) if isinstance(value, (list, tuple)) else value


class GracefulStop:
    """SIGTERM (what clouds and schedulers send before pre-emption) and SIGINT (Ctrl-C): finish the
    current optimizer step, save a checkpoint, stop training. A second signal aborts at once.
    With several processes every rank stops at the same step (the flag is all-reduced each step)."""

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self) -> None:
        self.received: int | None = None  # the signal this process got
        self.stopped = False  # training stopped for a signal on any rank (the same on every rank)
        self._previous: dict = {}

    def __enter__(self) -> GracefulStop:
        if threading.current_thread() is threading.main_thread():  # signal handlers live in the main thread
            self._previous = {sig: signal.signal(sig, self._handle) for sig in self.SIGNALS}
        return self

    def __exit__(self, *exc) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def _handle(self, signum, frame) -> None:
        if self.received is not None:  # the second one: stop now, the way the signal normally would
            self.__exit__()
            raise KeyboardInterrupt
        self.received = signum
        print_main(f"{signal.Signals(signum).name}: finishing this step and saving a checkpoint (again to abort now)")

    def callback(self):
        """The TrainerCallback that turns a received signal into 'save and stop' at the end of a step."""
        from transformers import TrainerCallback

        stop = self

        class StopOnSignal(TrainerCallback):
            def on_step_end(self, args, state, control, **kwargs):
                if stop.any_rank_received(args.device):
                    stop.stopped = True
                    control.should_save = True
                    control.should_training_stop = True

        return StopOnSignal()

    def exit_code(self) -> int:
        """128 + the signal, as a shell reports a process ended by it (SIGTERM on a rank that got none)."""
        return 128 + (self.received or signal.SIGTERM)

    def any_rank_received(self, device) -> bool:
        import torch
        import torch.distributed as dist

        flag = self.received is not None
        if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            tensor = torch.tensor([int(flag)], device=device)
            dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
            flag = bool(tensor.item())
        return flag
