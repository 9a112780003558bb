"""Settings and processes: the `--NAME=value` override parser, the resolved config file, the one-line
error convention (`ConfigError`, `run_main`) and rank / world-size helpers. Nothing here loads a model or data.
"""

from __future__ import annotations

import ast
import json
import os
import sys
from pathlib import Path


class ConfigError(Exception):
    """A user mistake: reported as one line and exit code 2, never a traceback."""


def run_main(main) -> None:
    """Run a script's main(); a ConfigError becomes `error: ...` on stderr and exit code 2."""
    try:
        main()
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None


# --- Config overrides


def parse_overrides(argv: list[str], config: dict, flags: tuple[str, ...] = ()) -> tuple[dict, set]:
    """Parse `--NAME=value` overrides for the constants in `config`, and bare `--flag`s.

    Values are Python literals (`--LORA_RANK=16`, `--REWARDS={'check_answer': 1.0}`); a value that
    is not a literal is taken as a string when the constant is a string (`--OUTPUT_DIR=runs/x`).
    An int is accepted where a float is expected. Returns (overrides, flags seen).

    >>> parse_overrides(["--LR=1", "--NAME=runs/a", "--smoke"], {"LR": 0.5, "NAME": "x"}, ("smoke",))
    ({'LR': 1.0, 'NAME': 'runs/a'}, {'smoke'})
    """
    overrides, seen = {}, set()
    for arg in argv:
        if not arg.startswith("--"):
            raise ConfigError(f"unexpected argument {arg!r}: use --NAME=value")
        name, has_value, text = arg[2:].partition("=")
        if not has_value:
            if name not in flags:
                raise ConfigError(f"unknown flag --{name}; flags: {', '.join('--' + f for f in flags) or 'none'}")
            seen.add(name)
            continue
        if name not in config:
            raise ConfigError(f"unknown setting {name!r}; valid names: {', '.join(sorted(config))}")
        overrides[name] = _coerce(name, text, config[name])
    return overrides, seen


def _coerce(name: str, text: str, default):
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        if isinstance(default, str) or default is None:
            return text
        raise ConfigError(f"{name}={text!r} is not a Python literal") from None
    if default is None or value is None:
        return value
    if default == "auto" and isinstance(value, bool):
        return value  # "auto" settings (USE_VLLM, ...) also take True / False
    if isinstance(default, str) and not isinstance(value, str):
        return text  # a path or name that happens to read as a number: --DATASET_SPLIT=2024
    if isinstance(default, bool) != isinstance(value, bool):
        raise ConfigError(f"{name} expects {type(default).__name__}, got {text!r}")
    if isinstance(default, float) and isinstance(value, int):
        return float(value)
    if isinstance(default, (int, float)) and isinstance(value, float) and not isinstance(default, float):
        raise ConfigError(f"{name} expects int, got {text!r}")
    if not isinstance(value, type(default)) and not (
        isinstance(default, (list, tuple)) and isinstance(value, (list, tuple))
    ):
        raise ConfigError(f"{name} expects {type(default).__name__}, got {text!r}")
    return value


def resolve_config(defaults: dict, argv: list[str], smoke_overrides: dict, inherit=None) -> tuple[dict, set]:
    """Defaults, then the smoke settings when --smoke is given, then `inherit(config, overrides)` (settings
    read from elsewhere, e.g. the training run evaluate.py compares), then the user's overrides (printed)."""
    overrides, seen = parse_overrides(argv, defaults, ("smoke",))
    config = dict(defaults)
    if "smoke" in seen:
        config.update(smoke_overrides)
    if inherit is not None:
        config.update(inherit({**config, **overrides}, overrides))
    for name, value in overrides.items():
        print_main(f"override: {name} = {value!r}")
    config.update(overrides)
    return config, seen


SECRET_NAMES = ("TOKEN", "SECRET", "PASSWORD", "API_KEY")  # settings never written to a file or a card


def public(config: dict) -> dict:
    """The settings without any whose name says it holds a secret.

    >>> public({"LR": 1, "HUB_TOKEN": "hf_x"})
    {'LR': 1}
    """
    return {k: v for k, v in config.items() if not any(word in k.upper() for word in SECRET_NAMES)}


def save_config(config: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(public(config), indent=2, default=str) + "\n")


# --- Processes


def is_main_process() -> bool:
    """True on rank 0 (and in a single process); read from the launcher's environment."""
    return int(os.environ.get("RANK", os.environ.get("LOCAL_RANK", "0"))) == 0


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def print_main(*args, **kwargs) -> None:
    if is_main_process():
        print(*args, **kwargs, flush=True)
