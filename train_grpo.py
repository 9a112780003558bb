"""GRPO with verifiable math rewards: turns Qwen3-4B-Base into a reasoner (LoRA, one GPU).

Run the recipe on one CUDA GPU (Unsloth, 4-bit, LoRA):
    pip install -r requirements.txt
    python train_grpo.py
    python train_grpo.py --MAX_STEPS=500 --LEARNING_RATE=1e-5 --OUTPUT_DIR=outputs/long
Check the whole pipeline on a CPU in under a minute (tiny random Qwen3, shipped sample data):
    python train_grpo.py --smoke
    python train_grpo.py --smoke --MAX_STEPS=6 --OUTPUT_DIR=runs/smoke
Several GPUs (transformers + PEFT under accelerate, see docs/scaling.md):
    accelerate launch --config_file configs/ddp.yaml train_grpo.py --BACKEND=hf

Every constant below can be overridden as --NAME=value (a Python literal). Rerunning with the same
OUTPUT_DIR resumes from its last checkpoint.
"""

import sys
from pathlib import Path

import judge
import rewards
from prompts import TEMPLATES, prompt_problem
from recipe import callbacks, checks, config, data, documents, models, runs

# --- Model
MODEL_NAME = "unsloth/Qwen3-4B-Base"  # Hub id, local folder, or a .gguf file (loaded dequantized)
BACKEND = "auto"  # auto | unsloth | hf. auto: Unsloth on one CUDA GPU if installed, else transformers+PEFT
MAX_SEQ_LENGTH = 2048  # tokens, prompt + completion; memory grows with it
LOAD_IN_4BIT = True  # QLoRA: 4-bit base weights (bitsandbytes); False = 16-bit, ~3x the memory
CPU = False  # True: the real recipe on CPU (hf backend, fp32, no 4-bit, adamw_torch); small models only

# --- LoRA
LORA_RANK = 32  # adapter rank: 8-64; larger learns more, costs more memory
LORA_ALPHA = 64  # scaling; rule of thumb 2 x LORA_RANK
LORA_DROPOUT = 0.0  # 0 is the Unsloth-optimised path
LORA_TARGET_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")

# --- Data
DATASET_NAME = "open-r1/DAPO-Math-17k-Processed"  # Hub id or local .jsonl/.parquet/.csv; schemas: docs/recipe.md
DATASET_CONFIG = "en"  # Hub config name (None for datasets without one, e.g. open-r1/OpenR1-Math-220k)
DATASET_SPLIT = "train"
EVAL_SIZE = 200  # problems held out for evaluate.py (deterministic split with SEED); 0 = none
MAX_TRAIN_PROBLEMS = 0  # 0 = all; else a random subset of this size (quick experiments)
PROMPT_LENGTH_QUANTILE = 0.9  # drop prompts longer than this quantile of token lengths (the recipe: longest 10%)
CHAT_TEMPLATE = "recipe"  # recipe (the notebook's plain template) | native (the model's own, role markers kept);
# both end the prompt in the working-out tag. docs/recipe.md "Which chat template" gives the evidence for the default

# --- Format priming (SFT before GRPO, so rewards are not ~0 for the first ~100 steps)
PRIME_DATASET = data.PRIMING_HUB  # the notebook's; data/priming.jsonl (shipped, offline) or any file of the schema
PRIME_SPLIT = "cot"  # Hub split of PRIME_DATASET (local files have one)
PRIME_EPOCHS = 2  # passes over the kept rows (numeric answer, <= MAX_SEQ_LENGTH / 2 tokens), as the notebook
PRIME_STEPS = None  # SFT steps instead of PRIME_EPOCHS; None = PRIME_EPOCHS passes; 0 disables priming
PRIME_LEARNING_RATE = 2e-4  # LoRA SFT rate; much higher than GRPO's
PRIME_BATCH_SIZE = 2  # samples per step
PRIME_GRADIENT_ACCUMULATION_STEPS = 1  # set explicitly: Unsloth's SFTConfig would make it 2
PRIME_WEIGHT_DECAY = 0.0  # set explicitly: Unsloth's SFTConfig would make it 0.001
PRIME_WARMUP_RATIO = 0.0  # fraction of the priming steps warming up; Unsloth's SFTConfig would make it 0.1

# --- GRPO
MAX_STEPS = 100  # optimizer steps; the recipe shows rewards rising within ~100-300; 0 = priming only
NUM_GENERATIONS = 4  # completions per prompt (the group); >= 2, more = better baseline, more compute
PER_DEVICE_BATCH_SIZE = (
    4  # completions (not prompts) per device per step; x processes x GRAD_ACCUM must divide by NUM_GENERATIONS
)
GRADIENT_ACCUMULATION_STEPS = 1  # steps accumulated per optimizer update
LEARNING_RATE = 5e-6  # LoRA GRPO rate, the Unsloth notebook's; kept until a GPU measures better (below)
# The rule and its sources: LoRA wants about 10x the full fine-tuning rate (TRL's "LoRA Without Regret" guide
# runs GRPO with LoRA at 1e-5 against 1e-6 for full fine-tuning), which puts 5e-6 at the low end. On CPU,
# bench/real_model/run.py's dev split chose 1e-4 among 1e-4 / 3e-4 / 1e-3 for SmolLM2-135M (a far smaller model:
# the rate does not carry over). Compare two rates on a lent GPU in one device command (weights copied there first):
#   python tools/device_check.py --rates 5e-6 1e-5 --model <local Qwen3-4B-Base folder>
WEIGHT_DECAY = 0.001
WARMUP_RATIO = 0.1  # fraction of MAX_STEPS spent warming up
LR_SCHEDULER = "linear"  # linear | cosine | constant
OPTIM = "adamw_8bit"  # adamw_8bit (bitsandbytes, GPU) | adamw_torch
MAX_COMPLETION_LENGTH = None  # tokens; None = MAX_SEQ_LENGTH - longest kept prompt (as the recipe)
LOSS_TYPE = "dapo"  # dapo | grpo | dr_grpo | bnpo; set explicitly: Unsloth patches TRL's default
BETA = 0.0  # KL penalty; 0 = no reference model (less memory), as TRL and DAPO default
EPSILON = 0.2  # PPO clip range
EPSILON_HIGH = None  # upper clip; None = EPSILON, written out before training (Unsloth would make it 0.28)
SCALE_REWARDS = "group"  # group | batch | none: how advantages are normalised
NUM_ITERATIONS = 1  # policy updates per generation batch
MASK_TRUNCATED_COMPLETIONS = False  # True: no loss on completions cut at MAX_COMPLETION_LENGTH
TEMPERATURE = 1.0  # sampling temperature of the rollouts
MIN_P = 0.1  # min-p sampling, as the recipe; None disables
TOP_P = 1.0
TOP_K = 0  # 0 disables; recorded as -1 on Unsloth + vLLM, as its config spells "no top-k" there (same sampling)
GRADIENT_CHECKPOINTING = True  # trade compute for memory
USE_VLLM = "auto"  # auto: vLLM rollouts when vLLM is installed (requirements-vllm.txt) on a GPU | True | False
VLLM_MODE = "colocate"  # colocate (same GPUs) | server (`trl vllm-serve`, hf backend, docs/scaling.md)
VLLM_SERVER_URL = None  # server mode: e.g. "http://10.0.0.2:8000"; None = localhost:8000
VLLM_GPU_MEMORY_UTILIZATION = 0.6  # share of GPU memory vLLM may take in colocate mode
VLLM_IMPORTANCE_SAMPLING_CORRECTION = "auto"  # auto: on only with vLLM and no MIN_P / TOP_P / TOP_K cut | True | False
SEED = 3407

# --- Held-out accuracy during training (TRL's evaluation loop, judged by the reward's own judge)
EVAL_STEPS = 50  # at step 0 and every N GRPO steps: accuracy, format, length, truncation -> metrics.jsonl; 0 = off
EVAL_PROBLEMS = 16  # the first N held-out problems, fixed for the run, one sample each; cut to whole eval batches
# (16 completions every 50 steps is ~5 % of the completions a default run generates)
HEALTH_CHECK_ROLLOUTS = True  # warn when rollouts look off-policy (recipe/callbacks.py); False on random weights

# --- Rewards (names from rewards.REWARD_FUNCS -> weight in the summed reward)
REWARDS = {
    "match_format_exactly": 1.0,
    "match_format_approximately": 1.0,
    "check_answer": 1.0,
    "check_numbers": 1.0,
}

# --- Output
OUTPUT_DIR = "outputs/qwen3-4b-grpo"  # checkpoints, final adapter, metrics, plot, model card
SAVE_STEPS = 50  # checkpoint every N steps (a rerun resumes from the newest complete one; so does SIGTERM / Ctrl-C)
RESTART = (
    False  # True: start over in an OUTPUT_DIR that holds another run (not resumed; its files are replaced as saved)
)
SAVE_TOTAL_LIMIT = 3  # checkpoints kept
LOGGING_STEPS = 1
SAVE_MERGED = False  # also save base+LoRA merged in 16-bit to OUTPUT_DIR/merged (~8 GB for 4B; Unsloth downloads 16-bit base weights)
SAVE_GGUF = False  # also export GGUF to OUTPUT_DIR/gguf (Unsloth backend only; downloads base weights, needs llama.cpp)
GGUF_QUANTIZATION = "q4_k_m"  # llama.cpp quantization for SAVE_GGUF
LOG_PROMPTS_PER_RANK = False  # write each process's training problems to OUTPUT_DIR/prompts_rank<r>.txt
LOG_COMPLETIONS_STEPS = (
    10  # every N steps: completions + scores to OUTPUT_DIR/completions.jsonl, best/worst printed; 0 = off
)
REPORT_TO = "none"  # none | tensorboard | wandb | trackio (what transformers accepts); none stays offline
RUN_NAME = None  # the run's name in the tracker; None = OUTPUT_DIR
PUSH_TO_HUB = False  # at the end push adapter, tokenizer, card (and merged weights) to HUB_MODEL_ID
HUB_MODEL_ID = None  # e.g. "you/qwen3-4b-grpo-math"; the token comes from `hf auth login` or HF_TOKEN

# --- Smoke (--smoke: the same pipeline on CPU with a tiny random Qwen3 and data/sample_math.jsonl)
SMOKE = {
    "MODEL_NAME": "tiny-random-qwen3",  # built offline by models.build_tiny_model, never downloaded
    "DATASET_NAME": data.SAMPLE_DATASET,
    "DATASET_CONFIG": None,
    "EVAL_SIZE": 20,
    "LOAD_IN_4BIT": False,
    "LORA_RANK": 8,
    "LORA_ALPHA": 16,
    "PRIME_DATASET": data.PRIMING_DATASET,  # shipped: no download
    "PRIME_STEPS": 8,
    "PRIME_LEARNING_RATE": 3e-3,
    "MAX_STEPS": 4,
    "EVAL_STEPS": 2,
    "EVAL_PROBLEMS": 4,
    "MAX_COMPLETION_LENGTH": 24,
    "LEARNING_RATE": 1e-3,
    "OPTIM": "adamw_torch",
    "GRADIENT_CHECKPOINTING": False,
    "SAVE_STEPS": 2,
    "OUTPUT_DIR": "runs/smoke",
}

CONFIG = {k: v for k, v in globals().items() if k.isupper() and k != "SMOKE"}


def main(argv: list[str] | None = None) -> None:
    # --- config
    cfg, flags = config.resolve_config(CONFIG, sys.argv[1:] if argv is None else argv, SMOKE)
    smoke = "smoke" in flags
    cfg, backend = check_settings(cfg, smoke)
    if backend == "unsloth":
        models.start_unsloth()  # before trl / transformers / peft, and before its precision is read
    out = Path(cfg["OUTPUT_DIR"])
    resolved = {"grpo": grpo_settings(cfg, out), "priming": priming_settings(cfg, out)}
    if not cfg["RESTART"]:  # before anything in OUTPUT_DIR is written
        runs.check_rerun(out / "recipe_config.json", cfg, "RESTART")
    record = {**cfg, "FORMAT": runs.format_fingerprint(), "backend": backend, "smoke": smoke, "resolved": resolved}
    if config.is_main_process():
        config.save_config(record, out / "recipe_config.json")
    config.print_main(f"backend: {backend}; output: {out}")

    # --- trainer settings before the model: under DeepSpeed ZeRO-3 they make from_pretrained load sharded
    from trl import GRPOConfig

    # max_completion_length is set after the data step; on Unsloth, as its patched config must be told
    args = GRPOConfig(**(models.unsloth_config_args(resolved["grpo"]) if backend == "unsloth" else resolved["grpo"]))

    # --- model + LoRA
    model, tokenizer = models.load_model(cfg, backend, smoke)
    record["loaded_model"] = getattr(model.config, "_name_or_path", None) or cfg["MODEL_NAME"]  # Unsloth may swap it
    if stops := vllm_stop_tokens(cfg, tokenizer):
        args.generation_kwargs = resolved["grpo"]["generation_kwargs"] = stops

    # --- data: map, hold out, length-filter (once, on the main process first)
    train, eval_set = prepare_data(cfg, tokenizer, args, resolved["grpo"])
    if config.is_main_process():
        config.save_config(record, out / "recipe_config.json")  # now with the resolved completion length

    # --- format priming, then GRPO (resuming from the last checkpoint in OUTPUT_DIR, if any)
    last_checkpoint, skipped = runs.resumable_checkpoint(out) if not cfg["RESTART"] else (None, [])
    if skipped:
        config.print_main(
            f"skipping incomplete checkpoints (killed while saving?): {', '.join(p.name for p in skipped)}"
        )
    primer = None  # the priming SFTTrainer: with MAX_STEPS=0 it saves the result
    if last_checkpoint is None and priming_on(cfg):
        primer = prime_format(cfg, model, tokenizer, out, resolved["priming"])
    trainer, stop = None, runs.GracefulStop()
    if cfg["MAX_STEPS"] > 0:
        args.eval_on_start = eval_set is not None and last_checkpoint is None  # a resumed curve has its step 0
        primed = primer is not None and not smoke  # the tiny random model's few priming steps teach no format
        trainer = build_trainer(cfg, model, tokenizer, args, reward_functions(cfg, out), train, eval_set, primed, stop)
        run_grpo(trainer, out, last_checkpoint, stop)
    else:
        config.print_main("MAX_STEPS=0: no GRPO steps; the primed adapter is the result (a control arm)")

    # --- save and report (main process only); an interrupted run writes its reports so far, not final/
    if stop.stopped:
        if config.is_main_process():
            write_reports(cfg, out, backend, resolved)
            print(
                f"stopped at step {trainer.state.global_step}: checkpoint-{trainer.state.global_step} saved in {out}; "
                "rerun the same command to resume"
            )
        raise SystemExit(stop.exit_code())
    final = out / "final"
    save_final(trainer if trainer is not None else primer, final)
    if not config.is_main_process():
        return
    tokenizer.save_pretrained(str(final))
    rows = write_reports(cfg, out, backend, resolved)
    finals = ", ".join(f"{k} {v:.2f}" for k, v in documents.final_rewards(rows).items())
    print(f"done: adapter in {final}; final rewards: {finals}")
    if documents.eval_summary(rows):
        print(documents.eval_summary(rows))

    # --- exports last: they may need the network or llama.cpp, and a failure must not lose the run
    run_exports(cfg, backend, model, tokenizer, out)


# --- The steps of main, in its order


def prepare_data(cfg: dict, tokenizer, args, grpo: dict):
    """The training set and the in-training evaluation set, with the settings they decide (evaluation
    batch, completion length) written into `args` and the recorded GRPO settings `grpo`."""
    from accelerate import PartialState

    with PartialState(cpu=not checks.use_gpu(cfg)).main_process_first():
        train, heldout, longest = build_train_dataset(cfg, tokenizer)
        eval_set, eval_batch = build_eval_dataset(cfg, heldout, tokenizer, longest)
    args.per_device_eval_batch_size = grpo["per_device_eval_batch_size"] = eval_batch
    if eval_set is None:  # off, or no held-out problem left to evaluate
        args.eval_strategy = grpo["eval_strategy"] = "no"
    max_completion = cfg["MAX_COMPLETION_LENGTH"] or cfg["MAX_SEQ_LENGTH"] - longest
    if max_completion <= 0:
        raise config.ConfigError(f"MAX_SEQ_LENGTH={cfg['MAX_SEQ_LENGTH']} leaves no room after {longest}-token prompts")
    config.print_main(f"max completion length: {max_completion} tokens")
    args.max_completion_length = grpo["max_completion_length"] = max_completion
    return train, eval_set


def scored_functions(cfg: dict) -> dict:
    """name -> (function, weight), in the order TRL gets them: the rewards REWARDS names (in the registry's
    order), then the zero-weight accuracy metrics (logged on training and held-out batches). The one
    place the weights are matched to their functions.

    >>> [(n, w) for n, (_, w) in scored_functions({"REWARDS": {"check_answer": 2, "match_format_exactly": 1}}).items()]
    [('match_format_exactly', 1.0), ('check_answer', 2.0), ('strict_accuracy', 0.0), ('lenient_accuracy', 0.0), ('exact_format', 0.0)]
    """
    chosen = {n: (fn, float(cfg["REWARDS"][n])) for n, fn in rewards.REWARD_FUNCS.items() if n in cfg["REWARDS"]}
    return {**chosen, **{n: (fn, 0.0) for n, fn in rewards.METRIC_FUNCS.items()}}


def reward_functions(cfg: dict, out: Path) -> list:
    """The scored functions as the trainer calls them: each logged to completions.jsonl, the first also
    recording each process's problems with LOG_PROMPTS_PER_RANK. math-verify is loaded now, not inside
    the first completion's time limit."""
    judge.warm_up()
    scored = scored_functions(cfg)
    weights = {name: weight for name, (_, weight) in scored.items()}
    log = callbacks.CompletionLog(
        out / "completions.jsonl", cfg["LOG_COMPLETIONS_STEPS"], weights, config.is_main_process()
    )
    funcs = [log.wrap(name, fn) for name, (fn, _) in scored.items()]
    if cfg["LOG_PROMPTS_PER_RANK"]:
        funcs[0] = record_prompts(funcs[0], out)
    return funcs


def build_trainer(cfg: dict, model, tokenizer, args, reward_funcs: list, train, eval_set, primed: bool, stop):
    """TRL's GRPOTrainer with the recipe's callbacks (metrics.jsonl, health warnings, the graceful stop),
    ready to train. `primed`: the rollouts must show the primed format."""
    from trl import GRPOTrainer

    out = Path(args.output_dir)
    trainer = GRPOTrainer(
        model=model,
        processing_class=tokenizer,
        reward_funcs=reward_funcs,
        args=args,
        train_dataset=train,
        eval_dataset=eval_set,
        callbacks=[
            callbacks.metrics_callback(out / "metrics.jsonl"),
            callbacks.health_callback(
                primed=primed,
                per_step=cfg["PER_DEVICE_BATCH_SIZE"] * cfg["GRADIENT_ACCUMULATION_STEPS"] * config.world_size(),
                rollouts=cfg["HEALTH_CHECK_ROLLOUTS"],
            ),
            stop.callback(),
        ],
    )
    ready_to_train(cfg, trainer)
    return trainer


def run_grpo(trainer, out: Path, last_checkpoint: Path | None, stop) -> None:
    """GRPO's steps: a resumed run re-logs the steps after its checkpoint, a new run all of them."""
    if config.is_main_process():
        resumed_at = runs.checkpoint_step(last_checkpoint) if last_checkpoint else -1
        for log_file in ("metrics.jsonl", "completions.jsonl"):
            callbacks.truncate_metrics(out / log_file, resumed_at)
    config.print_main(f"resuming from {last_checkpoint}" if last_checkpoint else "starting a new run")
    with stop:
        trainer.train(resume_from_checkpoint=str(last_checkpoint) if last_checkpoint else None)
    trainer.accelerator.wait_for_everyone()


def save_final(trainer, final: Path) -> None:
    """The run's adapter to `final`, saved by the last trainer (GRPO's; priming's with MAX_STEPS=0, which
    check_settings refuses on a checkpoint, so a trainer always trained it) on EVERY process: under
    DeepSpeed ZeRO-3 save_model gathers the sharded weights, a collective that hangs when only rank 0
    calls it (transformers trainer.py, DeepSpeed's `_zero3_consolidated_16bit_state_dict`: "must be called
    on all ranks"); without DeepSpeed only the main process writes."""
    trainer.save_model(str(final))


def ready_to_train(cfg: dict, trainer) -> None:
    """What a built trainer needs before train(): on the hf backend, a 4-bit model's LoRA weights back in
    float32 (TRL's constructors cast them to bf16; Unsloth's trainers do not, models.keep_trainable_fp32)."""
    cast = cfg["BACKEND"] == "hf" and models.keep_trainable_fp32(trainer.model)
    if cast and not getattr(trainer.model, "_fp32_said", False):  # once: priming's and GRPO's trainers both cast it
        trainer.model._fp32_said = True
        config.print_main("LoRA weights kept in float32 (TRL's trainers cast a 4-bit model's adapter to bf16)")


def check_settings(cfg: dict, smoke: bool) -> tuple[dict, str]:
    """Every mistake that can be caught before loading anything, as one line; returns the settings
    (CPU mode applied, EPSILON_HIGH written out) and the backend."""
    checks.require_gpu_or_smoke(smoke, cfg["CPU"], "train_grpo.py")
    cfg = checks.apply_cpu_mode(cfg)
    if cfg["CHAT_TEMPLATE"] not in TEMPLATES:
        raise config.ConfigError(
            f"CHAT_TEMPLATE={cfg['CHAT_TEMPLATE']!r}: use one of {', '.join(map(repr, TEMPLATES))}"
        )
    if cfg["CHAT_TEMPLATE"] == "native":  # the tokenizer alone, read before anything in OUTPUT_DIR is written
        models.check_native_template(cfg, smoke)
    if cfg["MAX_STEPS"] == 0 and not priming_on(cfg):
        raise config.ConfigError("MAX_STEPS=0 and no format priming train nothing: set one of them above 0")
    check_priming_only_rerun(cfg)
    unknown = set(cfg["REWARDS"]) - set(rewards.REWARD_FUNCS)
    if unknown or not cfg["REWARDS"]:
        raise config.ConfigError(f"REWARDS: unknown names {sorted(unknown)}; valid: {', '.join(rewards.REWARD_FUNCS)}")
    generation_batch = cfg["PER_DEVICE_BATCH_SIZE"] * config.world_size() * cfg["GRADIENT_ACCUMULATION_STEPS"]
    if cfg["NUM_GENERATIONS"] < 2 or generation_batch % cfg["NUM_GENERATIONS"]:
        raise config.ConfigError(
            f"PER_DEVICE_BATCH_SIZE x processes x GRADIENT_ACCUMULATION_STEPS = {generation_batch} completions per "
            f"generation batch must be a multiple of NUM_GENERATIONS={cfg['NUM_GENERATIONS']} (>= 2): each prompt's group must fit"
        )
    backend = checks.choose_backend(cfg["BACKEND"], smoke)
    cfg = {**cfg, "BACKEND": backend, "USE_VLLM": checks.resolve_vllm(cfg, backend)}  # resolved, as recorded
    cfg["VLLM_IMPORTANCE_SAMPLING_CORRECTION"] = checks.resolve_is_correction(cfg)
    checks.check_vllm(cfg, backend)
    checks.check_optimizer(cfg["OPTIM"])
    check_reporting(cfg)
    if cfg["SAVE_GGUF"] and backend != "unsloth":
        raise config.ConfigError("SAVE_GGUF=True needs the Unsloth backend (one CUDA GPU): pass --SAVE_GGUF=False")
    if cfg["EPSILON_HIGH"] is None:  # explicit, so both backends clip the same way
        cfg = {**cfg, "EPSILON_HIGH": cfg["EPSILON"]}
    if cfg["EVAL_STEPS"] > 0 and min(cfg["EVAL_SIZE"], cfg["EVAL_PROBLEMS"]) <= 0:
        config.print_main("EVAL_STEPS: no held-out problems (EVAL_SIZE or EVAL_PROBLEMS is 0), so no evaluation")
        cfg = {**cfg, "EVAL_STEPS": 0}
    return cfg, backend


def check_priming_only_rerun(cfg: dict) -> None:
    """MAX_STEPS=0 where OUTPUT_DIR holds a checkpoint: a resumed run skips priming (the checkpoint holds
    the primed adapter) and trains no GRPO step, so final/ would be a freshly initialised LoRA. Refused."""
    if cfg["MAX_STEPS"] != 0 or cfg["RESTART"]:
        return
    checkpoint, _ = runs.resumable_checkpoint(Path(cfg["OUTPUT_DIR"]))
    if checkpoint is not None:
        raise config.ConfigError(
            f"OUTPUT_DIR holds {checkpoint.name}: MAX_STEPS=0 would save no trained adapter; pass --RESTART=True "
            f"to start over, or evaluate {checkpoint.name} (python evaluate.py --ADAPTER={checkpoint})"
        )


def write_reports(cfg: dict, out: Path, backend: str, resolved: dict) -> list[dict]:
    """The reward plot and the model card from metrics.jsonl; returns its rows."""
    rows = callbacks.read_metrics(out / "metrics.jsonl")
    documents.plot_rewards(rows, out / "reward_curve.png", f"GRPO on {Path(str(cfg['DATASET_NAME'])).name}")
    documents.write_model_card(out / "README.md", config.public(cfg), rows, backend, resolved)
    return rows


def build_train_dataset(cfg: dict, tokenizer):
    """Load, map to prompt/answer, hold out EVAL_SIZE problems and drop the longest prompts.

    Returns (training dataset, held-out problems, longest kept prompt in tokens)."""
    rows = data.load_rows(cfg["DATASET_NAME"], cfg["DATASET_CONFIG"], cfg["DATASET_SPLIT"])
    problems, dropped_empty = data.to_problems(rows)
    if len(problems) == 0:
        raise config.ConfigError(
            f"{cfg['DATASET_NAME']}: none of its {len(rows)} rows has both a problem and an answer"
        )
    train, heldout = data.heldout_split(problems, cfg["EVAL_SIZE"], cfg["SEED"])
    if cfg["MAX_TRAIN_PROBLEMS"]:
        train = train.shuffle(seed=cfg["SEED"]).select(range(min(cfg["MAX_TRAIN_PROBLEMS"], len(train))))
    train, dropped_long, longest = data.to_prompts(train, tokenizer, cfg["PROMPT_LENGTH_QUANTILE"])
    config.print_main(
        f"data: {len(rows)} rows; dropped {dropped_empty} without problem/answer or repeated; held out {len(heldout)}; "
        f"dropped {dropped_long} prompts over {longest} tokens; training on {len(train)}"
    )
    return train, heldout, longest


def build_eval_dataset(cfg: dict, heldout, tokenizer, longest: int):
    """The first EVAL_PROBLEMS held-out problems as prompts (no longer than the training prompts), in
    whole eval batches, evaluated at step 0 and every EVAL_STEPS.

    Returns (prompts or None when evaluation is off, per-device eval batch)."""
    if cfg["EVAL_STEPS"] <= 0 or cfg["MAX_STEPS"] <= 0:
        return None, cfg["PER_DEVICE_BATCH_SIZE"]
    subset = heldout.select(range(min(cfg["EVAL_PROBLEMS"], len(heldout))))
    prompts, dropped, _ = data.to_prompts(subset, tokenizer, keep_quantile=1.0, max_tokens=longest)
    kept, batch = data.even_eval_batches(len(prompts), cfg["PER_DEVICE_BATCH_SIZE"], config.world_size())
    left_out = [f"{dropped} longer than the training prompts"] if dropped else []
    if kept < len(prompts):
        left_out.append(f"{len(prompts) - kept} past the last whole eval batch, so every problem weighs the same")
    head = f"{kept} problems every {cfg['EVAL_STEPS']} steps" if kept else "off"
    config.print_main(f"held-out evaluation: {head}" + (f" (left out: {'; '.join(left_out)})" if left_out else ""))
    if not kept:
        return None, cfg["PER_DEVICE_BATCH_SIZE"]
    # marked by a column, so the completion log can tell these batches from training ones on any backend
    return prompts.select(range(kept)).add_column(callbacks.HELD_OUT_COLUMN, [True] * kept), batch


def grpo_settings(cfg: dict, out: Path) -> dict:
    """GRPOConfig's arguments. Every setting Unsloth's patched config would fill or rewrite is given
    explicitly (loss_type, beta, epsilon_high, scale_rewards, mask_truncated_completions, top_k,
    vllm_importance_sampling_correction, accumulation, weight decay, warmup), so both backends train
    the same objective."""
    return {
        "output_dir": str(out),
        "max_steps": cfg["MAX_STEPS"],
        "num_generations": cfg["NUM_GENERATIONS"],
        "per_device_train_batch_size": cfg["PER_DEVICE_BATCH_SIZE"],
        "gradient_accumulation_steps": cfg["GRADIENT_ACCUMULATION_STEPS"],
        "learning_rate": cfg["LEARNING_RATE"],
        "weight_decay": cfg["WEIGHT_DECAY"],
        "warmup_steps": cfg["WARMUP_RATIO"],
        "lr_scheduler_type": cfg["LR_SCHEDULER"],
        "max_completion_length": cfg["MAX_COMPLETION_LENGTH"],
        "loss_type": cfg["LOSS_TYPE"],
        "beta": cfg["BETA"],
        "epsilon": cfg["EPSILON"],
        "epsilon_high": cfg["EPSILON_HIGH"],
        "scale_rewards": cfg["SCALE_REWARDS"],
        "num_iterations": cfg["NUM_ITERATIONS"],
        "mask_truncated_completions": cfg["MASK_TRUNCATED_COMPLETIONS"],
        "temperature": cfg["TEMPERATURE"],
        "min_p": cfg["MIN_P"],
        "top_p": cfg["TOP_P"],
        "top_k": running_top_k(cfg),
        "reward_weights": [weight for _, weight in scored_functions(cfg).values()],
        "eval_strategy": "steps" if cfg["EVAL_STEPS"] > 0 else "no",
        "eval_steps": cfg["EVAL_STEPS"] or None,
        "per_device_eval_batch_size": cfg["PER_DEVICE_BATCH_SIZE"],
        "num_generations_eval": 1,  # one sampled completion per held-out problem: an unbiased pass@1
        "use_vllm": cfg["USE_VLLM"],
        "vllm_mode": cfg["VLLM_MODE"],
        "vllm_server_base_url": cfg["VLLM_SERVER_URL"],
        "vllm_gpu_memory_utilization": cfg["VLLM_GPU_MEMORY_UTILIZATION"],
        "vllm_importance_sampling_correction": cfg["VLLM_IMPORTANCE_SAMPLING_CORRECTION"],
        "save_steps": cfg["SAVE_STEPS"],
        "save_total_limit": cfg["SAVE_TOTAL_LIMIT"],
        # TRL's own completion table, for trackers that show tables (our completions.jsonl is always written)
        "log_completions": cfg["LOG_COMPLETIONS_STEPS"] > 0 and cfg["REPORT_TO"] in ("wandb", "trackio"),
        **shared_training_args(cfg),
    }


def vllm_stop_tokens(cfg: dict, tokenizer) -> dict | None:
    """With CHAT_TEMPLATE='native' and vLLM rollouts, the template's end of turn as a stop token: vLLM
    reads the EOS from the model's files (Qwen3-Base's is <|endoftext|>), not from the tokenizer the
    recipe changed, so rollouts would run past <|im_end|> to the length limit (TRL passes
    generation_kwargs to SamplingParams, trl/generation/vllm_generation.py). None otherwise.

    >>> class Tok:
    ...     eos_token_id = 7
    >>> vllm_stop_tokens({"CHAT_TEMPLATE": "native", "USE_VLLM": True}, Tok()), vllm_stop_tokens({"CHAT_TEMPLATE": "recipe", "USE_VLLM": True}, Tok())
    ({'stop_token_ids': [7]}, None)
    """
    if cfg["CHAT_TEMPLATE"] != "native" or not cfg["USE_VLLM"]:
        return None
    return {"stop_token_ids": [tokenizer.eos_token_id]}


def running_top_k(cfg: dict) -> int:
    """TOP_K as the sampler runs it, so recipe_config.json records what ran: Unsloth's patched GRPOConfig
    turns 0 ("no top-k") into -1 under vLLM (unsloth/models/rl_replacements.py), which vLLM 0.32 reads as
    0 (no cut); both are FACTS patterns of tools/check_gpu_api.py. Passed as -1 there, it is kept as is.

    >>> running_top_k({"BACKEND": "unsloth", "USE_VLLM": True, "TOP_K": 0}), running_top_k({"BACKEND": "hf", "USE_VLLM": True, "TOP_K": 0})
    (-1, 0)
    """
    if cfg["BACKEND"] == "unsloth" and cfg["USE_VLLM"] is True and cfg["TOP_K"] in (0, None):
        return -1
    return cfg["TOP_K"]


def priming_settings(cfg: dict, out: Path) -> dict:
    """SFTConfig's arguments for format priming, with the settings Unsloth's SFTConfig defaults
    differently (accumulation 2, weight decay 0.001, warmup 0.1, padding-free detection) explicit."""
    return {
        "output_dir": str(out / "priming"),
        "max_steps": -1 if cfg["PRIME_STEPS"] is None else cfg["PRIME_STEPS"],  # -1: num_train_epochs decides
        "num_train_epochs": cfg["PRIME_EPOCHS"],
        "loss_type": "nll",  # set explicitly: Unsloth pins it, TRL's own default is chunked_nll
        "per_device_train_batch_size": cfg["PRIME_BATCH_SIZE"],
        "per_device_eval_batch_size": cfg["PRIME_BATCH_SIZE"],  # unused (no evaluation); set: Unsloth fills 4
        "gradient_accumulation_steps": cfg["PRIME_GRADIENT_ACCUMULATION_STEPS"],
        "learning_rate": cfg["PRIME_LEARNING_RATE"],
        "weight_decay": cfg["PRIME_WEIGHT_DECAY"],
        "warmup_steps": cfg["PRIME_WARMUP_RATIO"],
        "lr_scheduler_type": cfg["LR_SCHEDULER"],
        "max_length": cfg["MAX_SEQ_LENGTH"],
        "padding_free": False,
        "save_strategy": "no",
        **shared_training_args(cfg),
    }


EXPORT_NEEDS = {
    "SAVE_MERGED": "It needs the base model's 16-bit weights (network or a local copy).",
    "SAVE_GGUF": "It needs the base model's 16-bit weights and llama.cpp (network to fetch or build it).",
    "PUSH_TO_HUB": "It needs the network and a Hub token (`hf auth login` or HF_TOKEN) with write access.",
}
TRACKERS = {"none": None, "tensorboard": "tensorboard", "wandb": "wandb", "trackio": "trackio"}  # name -> package


def check_reporting(cfg: dict) -> None:
    """REPORT_TO and PUSH_TO_HUB settings that can work, or a one-line reason, before any training."""
    import importlib.util

    if cfg["REPORT_TO"] not in TRACKERS:
        raise config.ConfigError(f"REPORT_TO={cfg['REPORT_TO']!r}: use one of {', '.join(TRACKERS)}")
    package = TRACKERS[cfg["REPORT_TO"]]
    if package and importlib.util.find_spec(package) is None:
        raise config.ConfigError(f"REPORT_TO={package!r} needs `pip install {package}`, or pass --REPORT_TO=none")
    if cfg["PUSH_TO_HUB"] and not cfg["HUB_MODEL_ID"]:
        raise config.ConfigError("PUSH_TO_HUB=True needs HUB_MODEL_ID (e.g. --HUB_MODEL_ID=you/qwen3-4b-grpo-math)")


def run_exports(cfg: dict, backend: str, model, tokenizer, out: Path) -> None:
    """SAVE_MERGED / SAVE_GGUF after everything else is written. On Unsloth both download the 16-bit
    base weights from the Hub, and GGUF needs llama.cpp: a failure is one line, and the run succeeds."""
    exports = []
    if cfg["SAVE_MERGED"]:
        exports.append(("SAVE_MERGED", lambda: models.save_merged(cfg, model, tokenizer, backend, out / "merged")))
    if cfg["SAVE_GGUF"]:
        exports.append(
            (
                "SAVE_GGUF",
                lambda: model.save_pretrained_gguf(
                    str(out / "gguf"), tokenizer, quantization_method=cfg["GGUF_QUANTIZATION"]
                ),
            )
        )
    if cfg["PUSH_TO_HUB"]:
        exports.append(
            (
                "PUSH_TO_HUB",
                lambda: print(f"pushed to {documents.push_run(out, cfg['HUB_MODEL_ID'], cfg['SAVE_MERGED'])}"),
            )
        )
    for name, export in exports:
        try:
            export()
        except Exception as err:  # an export is optional: report it in one line, keep the finished run
            reason = (str(err).strip().splitlines() or [type(err).__name__])[0]
            print(
                f"{name} failed ({type(err).__name__}: {reason}); the adapter, metrics, plot and card are saved. "
                + EXPORT_NEEDS[name]
            )


def shared_training_args(cfg: dict) -> dict:
    """Trainer arguments the priming SFT and GRPO share."""
    return {
        "optim": cfg["OPTIM"],
        "gradient_checkpointing": cfg["GRADIENT_CHECKPOINTING"],
        "logging_steps": cfg["LOGGING_STEPS"],
        # explicit: Unsloth's config sets False, transformers defaults to True (a NaN loss then never
        # reaches metrics.jsonl); False on both, so the non-finite health warning fires on both
        "logging_nan_inf_filter": False,
        "seed": cfg["SEED"],
        "report_to": cfg["REPORT_TO"],
        "run_name": cfg["RUN_NAME"] or cfg["OUTPUT_DIR"],
        **checks.precision_settings(cfg),
    }


def prime_format(cfg: dict, model, tokenizer, out: Path, settings: dict):
    """A few SFT steps on formatted worked solutions, on the same LoRA, so GRPO starts from rewards > 0.
    Returns the SFTTrainer (it saves the result of a MAX_STEPS=0 run)."""
    from trl import SFTConfig, SFTTrainer

    samples = data.priming_samples(cfg["PRIME_DATASET"], cfg["PRIME_SPLIT"], tokenizer, cfg["MAX_SEQ_LENGTH"] // 2)
    amount = f"{cfg['PRIME_EPOCHS']} epochs" if cfg["PRIME_STEPS"] is None else f"{cfg['PRIME_STEPS']} steps"
    config.print_main(f"format priming: SFT for {amount} on {len(samples)} solutions")
    args = SFTConfig(**settings)
    log = callbacks.metrics_callback(out / "priming_metrics.jsonl")
    trainer = SFTTrainer(model=model, args=args, train_dataset=samples, processing_class=tokenizer, callbacks=[log])
    ready_to_train(cfg, trainer)
    trainer.train()
    return trainer


def priming_on(cfg: dict) -> bool:
    """Format priming runs: PRIME_STEPS > 0, or PRIME_STEPS None with PRIME_EPOCHS > 0."""
    return cfg["PRIME_EPOCHS"] > 0 if cfg["PRIME_STEPS"] is None else cfg["PRIME_STEPS"] > 0


def record_prompts(reward_func, out: Path):
    """Wrap a reward so each process appends the problems it was given to prompts_rank<r>.txt."""
    import functools
    import os

    path = out / f"prompts_rank{os.environ.get('RANK', '0')}.txt"

    @functools.wraps(reward_func)
    def wrapped(prompts, completions, **kwargs):
        with path.open("a") as fh:
            fh.writelines(prompt_problem(p) + "\n" for p in prompts)
        return reward_func(prompts, completions, **kwargs)

    return wrapped


if __name__ == "__main__":
    config.run_main(main)
