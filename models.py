"""Models: backend choice and its checks, the Unsloth and transformers + PEFT loaders, LoRA, precision,
merged export, and the tiny offline model + tokenizer for --smoke and the tests. No data or reports here.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from config import ConfigError, world_size
from data import sample_texts
from prompts import (
    REASONING_END,
    REASONING_START,
    SOLUTION_END,
    SOLUTION_START,
    SYSTEM_PROMPT,
    apply_chat_template,
)

# --- Tiny offline model (for --smoke, the tests and the CPU benchmarks)


def build_tiny_tokenizer(texts: list[str] | None = None, vocab_size: int = 400):
    """A small byte-level BPE tokenizer trained offline on the sample problems.

    The reasoning/solution tags are added as ordinary tokens (not special ones: TRL decodes
    completions with special tokens skipped, which would erase them).
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    if texts is None:
        texts = sample_texts()
    bpe = Tokenizer(models.BPE(unk_token=None))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator([SYSTEM_PROMPT, *texts], trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<|endoftext|>", pad_token="<|endoftext|>")
    tokenizer.add_tokens([REASONING_START, REASONING_END, SOLUTION_START, SOLUTION_END])
    return apply_chat_template(tokenizer)


def build_tiny_model(tokenizer, seed: int = 0, hidden_size: int = 64, layers: int = 2, init_std: float = 0.3):
    """A Qwen3-architecture causal LM with random weights, small enough to train on a CPU.

    `init_std` is far above the usual 0.02 on purpose: the output layer is the tied, frozen
    embedding, and at 0.02 its logits stay so small that LoRA can barely move any distribution
    away from uniform; at 0.3 a few dozen priming steps teach the format (bench/learning_signal.py).
    """
    import torch
    from transformers import Qwen3Config, Qwen3ForCausalLM

    config = Qwen3Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=2 * hidden_size,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=hidden_size // 4,
        max_position_embeddings=2048,
        tie_word_embeddings=True,
        initializer_range=init_std,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
    )
    torch.manual_seed(seed)
    model = Qwen3ForCausalLM(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model


# --- Backends


def has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


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


def check_vllm(cfg: dict, backend: str) -> None:
    """USE_VLLM / VLLM_MODE combinations that can work, or a one-line reason."""
    if not cfg["USE_VLLM"]:
        return
    if cfg["VLLM_MODE"] not in ("colocate", "server"):
        raise ConfigError(f"VLLM_MODE={cfg['VLLM_MODE']!r}: use 'colocate' or 'server'")
    if backend == "unsloth" and cfg["VLLM_MODE"] == "server":
        raise ConfigError("VLLM_MODE='server' runs on the hf backend (`trl vllm-serve`); Unsloth uses colocated vLLM")
    if importlib.util.find_spec("vllm") is None and cfg["VLLM_MODE"] == "colocate":
        raise ConfigError("USE_VLLM=True needs vLLM in this environment (`pip install vllm`), or pass --USE_VLLM=False")


def check_optimizer(optim: str) -> None:
    if "8bit" in optim and importlib.util.find_spec("bitsandbytes") is None:
        raise ConfigError(
            f"OPTIM={optim!r} needs bitsandbytes (`pip install bitsandbytes`), or pass --OPTIM=adamw_torch"
        )


def require_gpu_or_smoke(smoke: bool, script: str) -> None:
    if not smoke and not has_cuda():
        raise ConfigError(
            f"the full recipe needs a CUDA GPU (Qwen3-4B-Base with LoRA) and none was found; "
            f"`python {script} --smoke` runs the whole pipeline on CPU with a tiny model"
        )


def lora_settings(cfg: dict) -> dict:
    return dict(
        r=cfg["LORA_RANK"],
        lora_alpha=cfg["LORA_ALPHA"],
        lora_dropout=cfg["LORA_DROPOUT"],
        target_modules=list(cfg["LORA_TARGET_MODULES"]),
    )


def load_model(cfg: dict, backend: str, smoke: bool, with_lora: bool = True):
    """(model, tokenizer) for a backend, with the recipe's chat template and, optionally, LoRA."""
    if smoke:
        tokenizer = build_tiny_tokenizer()
        model = build_tiny_model(tokenizer, seed=cfg["SEED"])
        model.config.name_or_path = cfg["MODEL_NAME"]  # recorded in the adapter, checked by evaluate.py
    elif backend == "unsloth":
        return _load_unsloth(cfg, with_lora)
    else:
        model, tokenizer = _load_hf(cfg)
    if with_lora:
        from peft import LoraConfig, get_peft_model

        model = get_peft_model(model, LoraConfig(task_type="CAUSAL_LM", bias="none", **lora_settings(cfg)))
    return model, tokenizer


def _load_unsloth(cfg: dict, with_lora: bool):
    from unsloth import FastLanguageModel  # before transformers / trl / peft, as Unsloth requires

    model, tokenizer = FastLanguageModel.from_pretrained(
        model_name=cfg["MODEL_NAME"],
        max_seq_length=cfg["MAX_SEQ_LENGTH"],
        load_in_4bit=cfg["LOAD_IN_4BIT"],
        fast_inference=cfg["USE_VLLM"],  # vLLM rollouts inside the same process
        max_lora_rank=cfg["LORA_RANK"],
        gpu_memory_utilization=cfg["VLLM_GPU_MEMORY_UTILIZATION"],
        random_state=cfg["SEED"],
    )
    if with_lora:
        settings = lora_settings(cfg)
        model = FastLanguageModel.get_peft_model(
            model,
            r=settings["r"],
            lora_alpha=settings["lora_alpha"],
            lora_dropout=settings["lora_dropout"],
            target_modules=settings["target_modules"],
            use_gradient_checkpointing="unsloth",  # Unsloth's offloaded checkpointing: longer contexts
            random_state=cfg["SEED"],
        )
    return model, apply_chat_template(tokenizer)


def _load_hf(cfg: dict):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    kwargs: dict = {"dtype": torch.bfloat16 if has_cuda() else torch.float32}
    zero3 = os.environ.get("ACCELERATE_DEEPSPEED_ZERO_STAGE") == "3"
    if has_cuda() and not zero3:  # each process loads its own copy onto its own GPU (DDP / ZeRO-2)
        kwargs["device_map"] = {"": int(os.environ.get("LOCAL_RANK", "0"))}
    if cfg["LOAD_IN_4BIT"] and has_cuda() and zero3:
        raise ConfigError("DeepSpeed ZeRO-3 cannot shard bitsandbytes 4-bit weights: pass --LOAD_IN_4BIT=False")
    if cfg["LOAD_IN_4BIT"] and has_cuda():
        if importlib.util.find_spec("bitsandbytes") is None:
            raise ConfigError(
                "LOAD_IN_4BIT=True needs bitsandbytes (`pip install bitsandbytes`), or pass --LOAD_IN_4BIT=False"
            )
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_compute_dtype=torch.bfloat16,
            bnb_4bit_use_double_quant=True,
        )
    try:
        tokenizer = AutoTokenizer.from_pretrained(cfg["MODEL_NAME"])
        model = AutoModelForCausalLM.from_pretrained(cfg["MODEL_NAME"], **kwargs)
    except OSError as err:
        raise ConfigError(f"cannot load model {cfg['MODEL_NAME']!r}: {err}".splitlines()[0]) from None
    if "quantization_config" in kwargs:
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=True)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, apply_chat_template(tokenizer)


def precision_settings() -> dict:
    """Trainer precision flags: bf16 where the GPU has it, fp16 on older GPUs, fp32 on CPU."""
    import torch

    if not torch.cuda.is_available():
        return {"bf16": False, "fp16": False, "use_cpu": True}
    bf16 = torch.cuda.is_bf16_supported()
    return {"bf16": bf16, "fp16": not bf16}


def save_merged(cfg: dict, model, tokenizer, backend: str, path: Path) -> None:
    """Base + LoRA merged into 16-bit weights, loadable without PEFT."""
    if backend == "unsloth":
        model.save_pretrained_merged(str(path), tokenizer, save_method="merged_16bit")
        return
    if cfg["LOAD_IN_4BIT"] and has_cuda():  # merge into a 16-bit copy, not the quantized weights
        import torch
        from peft import PeftModel
        from transformers import AutoModelForCausalLM

        base = AutoModelForCausalLM.from_pretrained(cfg["MODEL_NAME"], dtype=torch.bfloat16)
        model = PeftModel.from_pretrained(base, str(path.parent / "final"))
    model.merge_and_unload().save_pretrained(str(path))
    tokenizer.save_pretrained(str(path))
