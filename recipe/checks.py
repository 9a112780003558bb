"""Checks: which backend, vLLM and precision a run gets, and the one-line refusals of settings that cannot
work together (CPU mode, vLLM with 4-bit, an 8-bit optimizer without a GPU). No model is loaded here.
"""

from __future__ import annotations

import importlib.util

from .config import ConfigError, print_main, world_size


def has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def use_gpu(cfg: dict) -> bool:
    """True when this run computes on a CUDA GPU: one is present and CPU mode is off."""
    return has_cuda() and not cfg["CPU"]


def apply_cpu_mode(cfg: dict) -> dict:
    """CPU=True: the real recipe on CPU. Settings that need a GPU are adjusted with a printed line
    (4-bit, 8-bit optimizer, auto backend) or refused in one line (Unsloth, vLLM)."""
    if not cfg["CPU"]:
        return cfg
    if cfg["BACKEND"] == "unsloth":
        raise ConfigError("CPU=True runs on the hf backend: Unsloth needs a CUDA GPU; pass --BACKEND=hf or auto")
    if cfg["USE_VLLM"] is True:
        raise ConfigError("CPU=True cannot use vLLM (a GPU engine): pass --USE_VLLM=False")
    changes = {"BACKEND": "hf", "LOAD_IN_4BIT": False, "USE_VLLM": False}
    if "8bit" in cfg.get("OPTIM", ""):  # evaluate.py has no optimizer
        changes["OPTIM"] = "adamw_torch"
    changes = {k: v for k, v in changes.items() if cfg[k] != v}
    if changes:
        print_main("CPU mode: " + ", ".join(f"{k} {cfg[k]!r} -> {v!r}" for k, v in changes.items()) + "; fp32")
    return {**cfg, **changes}


def choose_backend(requested: str, smoke: bool) -> str:
    """'unsloth' or 'hf'. auto: Unsloth on one CUDA GPU when it is installed, else transformers+PEFT.

    Multi-process runs (accelerate / torchrun) always use 'hf': Unsloth is a single-GPU engine.
    """
    if requested not in ("auto", "unsloth", "hf"):
        raise ConfigError(f"BACKEND={requested!r}: use 'auto', 'unsloth' or 'hf'")
    unsloth_ok = not smoke and world_size() == 1 and has_cuda() and importlib.util.find_spec("unsloth") is not None
    if requested == "unsloth" and not unsloth_ok:
        raise ConfigError(
            "BACKEND='unsloth' needs one CUDA GPU, a single process and `pip install unsloth` (not --smoke); "
            "use --BACKEND=hf or auto"
        )
    if requested == "auto":
        return "unsloth" if unsloth_ok else "hf"
    return requested


def resolve_vllm(cfg: dict, backend: str) -> bool:
    """USE_VLLM as a bool. "auto": on when vLLM is installed, a CUDA GPU computes and the backend runs
    it in-process (Unsloth's fast_inference, or TRL's colocate mode); said in one line either way.
    True / False force it (check_vllm then says what cannot work)."""
    value = cfg["USE_VLLM"]
    if value not in ("auto", True, False):
        raise ConfigError(f"USE_VLLM={value!r}: use 'auto', True or False")
    if value != "auto":
        return value
    if not use_gpu(cfg):
        reason, on = "no CUDA GPU in use", False
    elif importlib.util.find_spec("vllm") is None:
        reason, on = "vLLM is not installed; `pip install -r requirements-vllm.txt` for faster rollouts", False
    elif backend == "hf" and cfg["VLLM_MODE"] == "server":
        reason, on = "VLLM_MODE='server' needs a running `trl vllm-serve`: set USE_VLLM=True to use it", False
    elif backend == "hf" and cfg["LOAD_IN_4BIT"]:
        reason, on = f"{HF_4BIT_VLLM}; --LOAD_IN_4BIT=False to use it on the hf backend", False
    elif cfg["LOAD_IN_4BIT"] and not vllm_has_bitsandbytes():
        reason, on = f"{NO_VLLM_BNB}; `pip install -r requirements-vllm.txt` installs it", False
    else:
        reason, on = f"vLLM is installed ({'Unsloth fast_inference' if backend == 'unsloth' else 'TRL colocate'})", True
    print_main(f"USE_VLLM=auto: {'on' if on else 'off'} ({reason})")
    return on


TRUNCATING_SAMPLERS = {  # setting -> True when it cuts the sampling distribution
    "MIN_P": lambda v: v not in (None, 0, 0.0),
    "TOP_P": lambda v: v is not None and v < 1.0,
    "TOP_K": lambda v: v not in (None, 0, -1),
}


def resolve_is_correction(cfg: dict) -> bool:
    """VLLM_IMPORTANCE_SAMPLING_CORRECTION as a bool, never one that shrinks the loss by itself.

    vLLM returns log-probabilities of the distribution after its min-p / top-p / top-k cut, while
    the trainer scores the full one; TRL's per-sequence correction then scales each completion by
    the kept probability mass over its tokens, towards 0 on long completions. So "auto" is on only
    with vLLM rollouts from an untruncated sampler, and True with a truncating one is refused.

    >>> base = {"USE_VLLM": True, "MIN_P": None, "TOP_P": 1.0, "TOP_K": 0}
    >>> resolve_is_correction({**base, "VLLM_IMPORTANCE_SAMPLING_CORRECTION": "auto"})
    VLLM_IMPORTANCE_SAMPLING_CORRECTION=auto: on (untruncated sampling)
    True
    >>> resolve_is_correction({**base, "MIN_P": 0.1, "VLLM_IMPORTANCE_SAMPLING_CORRECTION": "auto"})
    VLLM_IMPORTANCE_SAMPLING_CORRECTION=auto: off (MIN_P truncates vLLM's sampling)
    False
    """
    value = cfg["VLLM_IMPORTANCE_SAMPLING_CORRECTION"]
    if value not in ("auto", True, False):
        raise ConfigError(f"VLLM_IMPORTANCE_SAMPLING_CORRECTION={value!r}: use 'auto', True or False")
    truncating = [name for name, cuts in TRUNCATING_SAMPLERS.items() if cuts(cfg[name])]
    if not cfg["USE_VLLM"]:
        return value is True  # no vLLM rollouts: the setting has nothing to correct
    if truncating and value is True:
        raise ConfigError(
            f"VLLM_IMPORTANCE_SAMPLING_CORRECTION=True with {', '.join(truncating)} compares vLLM's truncated "
            "sampling distribution with the full one and shrinks every completion's loss: pass 'auto' or False, "
            "or turn the truncation off (MIN_P=None, TOP_P=1.0, TOP_K=0)"
        )
    if value == "auto":
        value = not truncating
        why = f"{', '.join(truncating)} truncates vLLM's sampling" if truncating else "untruncated sampling"
        print_main(f"VLLM_IMPORTANCE_SAMPLING_CORRECTION=auto: {'on' if value else 'off'} ({why})")
    return value


def same_base_model(a: str, b: str) -> bool:
    """True when two model names are the same base as Unsloth loads it: it swaps a 16-bit repo for its
    pre-quantized "-unsloth-bnb-4bit" / "-bnb-4bit" twin (unsloth/models/loader.py strips the same suffixes).

    >>> same_base_model("unsloth/Qwen3-4B-Base-unsloth-bnb-4bit", "unsloth/Qwen3-4B-Base"), same_base_model("a/x", "a/y")
    (True, False)
    """

    def strip(name: str) -> str:
        for suffix in ("-unsloth-bnb-4bit", "-bnb-4bit"):
            if name.lower().endswith(suffix):
                name = name[: -len(suffix)]
        return name

    return strip(str(a)).lower() == strip(str(b)).lower()  # Hub names ignore case


# vLLM >= 0.28 moved bitsandbytes out of tree (PR #43529): the 0.32.0 wheel has no bitsandbytes module and
# no "bitsandbytes" in QuantizationMethods; the `vllm-bnb-plugin` package registers it back (through the
# vllm.general_plugins entry point), and unsloth_zoo's load_vllm raises for 4-bit + fast_inference without
# it. tools/check_gpu_api.py reads the pinned vLLM wheel's list and requires the plugin's pin.
VLLM_BNB_MODULE = "vllm_bnb_plugin"  # what unsloth_zoo/vllm_utils.py imports for vLLM >= 0.28


VLLM_BNB_SINCE = (0, 28)  # the first vLLM without bitsandbytes in tree


NO_VLLM_BNB = "vLLM >= 0.28 loads 4-bit (bitsandbytes) weights only with the `vllm-bnb-plugin` package"


def vllm_has_bitsandbytes() -> bool:
    """Whether the installed vLLM can load bitsandbytes 4-bit weights: the out-of-tree plugin is
    importable, or vLLM is older than 0.28 (in tree). Read without importing vLLM (seconds, GPU state)."""
    from importlib import metadata

    if importlib.util.find_spec(VLLM_BNB_MODULE) is not None:
        return True
    try:
        version = metadata.version("vllm")
    except metadata.PackageNotFoundError:
        return False
    numbers = tuple(int(part) for part in version.split(".")[:2] if part.isdigit())
    return numbers < VLLM_BNB_SINCE


# TRL 1.14.2 (trl/generation/vllm_generation.py) builds vLLM with quantization="bitsandbytes" for a
# bitsandbytes model and pushes the merged PEFT model's packed 4-bit tensors without their quant state;
# tools/check_gpu_api.py's FACTS fail when that code changes, so this refusal is revisited then.
HF_4BIT_VLLM = "TRL syncs 4-bit weights to vLLM without their quant state (vLLM's weight loader fails)"


VLLM_TEMPERATURE = (0.0, 2.0)  # vLLM 0.32's SamplingParams refuses a temperature outside this range


def check_vllm(cfg: dict, backend: str) -> None:
    """USE_VLLM / VLLM_MODE combinations that can work, or a one-line reason.

    >>> check_vllm({"USE_VLLM": True, "VLLM_MODE": "server", "LOAD_IN_4BIT": True, "TEMPERATURE": 1.0}, "hf")
    Traceback (most recent call last):
    ...
    recipe.config.ConfigError: USE_VLLM=True with BACKEND=hf and LOAD_IN_4BIT=True: TRL syncs 4-bit weights to vLLM without their quant state (vLLM's weight loader fails); pass --LOAD_IN_4BIT=False (16-bit weights) or --USE_VLLM=False
    """
    if not cfg["USE_VLLM"]:
        return
    check_vllm_temperature(cfg["TEMPERATURE"])
    if backend == "hf" and cfg["LOAD_IN_4BIT"]:
        raise ConfigError(
            f"USE_VLLM=True with BACKEND=hf and LOAD_IN_4BIT=True: {HF_4BIT_VLLM}; "
            "pass --LOAD_IN_4BIT=False (16-bit weights) or --USE_VLLM=False"
        )
    if cfg["VLLM_MODE"] not in ("colocate", "server"):
        raise ConfigError(f"VLLM_MODE={cfg['VLLM_MODE']!r}: use 'colocate' or 'server'")
    if backend == "unsloth" and cfg["VLLM_MODE"] == "server":
        raise ConfigError("VLLM_MODE='server' runs on the hf backend (`trl vllm-serve`); Unsloth uses colocated vLLM")
    if importlib.util.find_spec("vllm") is None:
        # server mode too: TRL's VLLMGeneration checks for vLLM in both modes (trl/generation/vllm_generation.py,
        # a FACTS pattern of tools/check_gpu_api.py), and its VLLMClient imports vLLM in the trainer processes
        where = (
            "the trainers' environment as well as the server's" if cfg["VLLM_MODE"] == "server" else "this environment"
        )
        raise ConfigError(
            f"USE_VLLM=True with VLLM_MODE={cfg['VLLM_MODE']!r} needs vLLM in {where} "
            "(`pip install -r requirements-vllm.txt`), or pass --USE_VLLM=False"
        )
    check_vllm_bitsandbytes(cfg, backend)


def check_vllm_bitsandbytes(cfg: dict, backend: str) -> None:
    """Unsloth + vLLM + 4-bit refused in one line when vLLM cannot load bitsandbytes weights: unsloth_zoo's
    load_vllm would raise only after the model download, inside from_pretrained."""
    if backend == "unsloth" and cfg["USE_VLLM"] and cfg["LOAD_IN_4BIT"] and not vllm_has_bitsandbytes():
        raise ConfigError(
            f"USE_VLLM=True with LOAD_IN_4BIT=True: {NO_VLLM_BNB} (`pip install -r requirements-vllm.txt`); "
            "or pass --USE_VLLM=False, or --LOAD_IN_4BIT=False"
        )


def check_vllm_temperature(temperature) -> None:
    """vLLM refuses a sampling temperature outside [0, 2] where the HF path accepts it: say so at start."""
    low, high = VLLM_TEMPERATURE
    if not isinstance(temperature, (int, float)) or not low <= temperature <= high:
        raise ConfigError(
            f"TEMPERATURE={temperature!r}: vLLM samples only at {low:g} to {high:g}; lower it or pass --USE_VLLM=False"
        )


def vllm_min_p(min_p) -> float:
    """MIN_P as vLLM's SamplingParams takes it: None (off) is 0.0 there, and None raises.

    >>> vllm_min_p(None), vllm_min_p(0.1)
    (0.0, 0.1)
    """
    return 0.0 if min_p is None else float(min_p)


def check_optimizer(optim: str) -> None:
    if "8bit" in optim and importlib.util.find_spec("bitsandbytes") is None:
        raise ConfigError(
            f"OPTIM={optim!r} needs bitsandbytes (`pip install bitsandbytes`), or pass --OPTIM=adamw_torch"
        )


def require_gpu_or_smoke(smoke: bool, cpu: bool, script: str) -> None:
    if not smoke and not cpu and not has_cuda():
        raise ConfigError(
            f"the full recipe needs a CUDA GPU (Qwen3-4B-Base with LoRA) and none was found; "
            f"`python {script} --smoke` runs the whole pipeline on CPU with a tiny model, and "
            f"`python {script} --CPU=True --MODEL_NAME=...` runs it on CPU with a small real model"
        )


def supports_bf16(backend: str) -> bool:
    """Whether this CUDA GPU computes in bfloat16, decided as the model loader decides: on Unsloth its
    own `is_bfloat16_supported` (Ampere or newer; it loads float16 otherwise, and its trainers refuse
    bf16 on a float16 model); elsewhere torch's check without emulation. `torch.cuda.is_bf16_supported()`
    alone says True on a T4 or V100: it only checks that a bf16 tensor can be made."""
    if backend == "unsloth":
        from unsloth import is_bfloat16_supported

        return bool(is_bfloat16_supported())
    import torch

    return torch.cuda.is_bf16_supported(including_emulation=False)


def compute_dtype(cfg: dict):
    """The dtype the model is loaded and trained in: bf16 or fp16 on a GPU (supports_bf16), fp32 on CPU."""
    import torch

    if not use_gpu(cfg):
        return torch.float32
    return torch.bfloat16 if supports_bf16(cfg["BACKEND"]) else torch.float16


def precision_settings(cfg: dict) -> dict:
    """Trainer precision flags from the same decision as the loader's dtype: bf16 on Ampere or newer,
    fp16 on older GPUs (T4, V100), fp32 on CPU. cfg["BACKEND"] is the resolved backend.

    >>> precision_settings({"CPU": True, "BACKEND": "hf"})
    {'bf16': False, 'fp16': False, 'use_cpu': True}
    """
    import torch

    dtype = compute_dtype(cfg)
    if dtype is torch.float32:
        return {"bf16": False, "fp16": False, "use_cpu": True}
    return {"bf16": dtype is torch.bfloat16, "fp16": dtype is torch.float16}
