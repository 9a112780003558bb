"""Generation for the evaluation: the base model with its adapter switchable (or a merged folder), the
prompts (the run's template, or the base model's own zero- / few-shot), stop tokens and token budgets,
and the two generators (transformers' generate, Unsloth's vLLM fast_generate) that return the same records.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import prompts

from . import checks, config, data, models


def is_merged(adapter: str | None) -> bool:
    """A full model folder (merged export) rather than a LoRA adapter."""
    return adapter is not None and not (Path(adapter) / "adapter_config.json").is_file()


def load_models(cfg: dict, backend: str, smoke: bool):
    """The base model, wrapped with the LoRA adapter (switchable) when ADAPTER is one."""
    adapter = cfg["ADAPTER"]
    model, tokenizer = models.load_model(cfg, backend, smoke, with_lora=False)
    if adapter is not None and not is_merged(adapter) and not (backend == "unsloth" and cfg["USE_VLLM"]):
        model = attach_adapter(model, adapter, cfg["MODEL_NAME"])  # vLLM takes the adapter per request instead
    if backend == "unsloth" and not cfg["USE_VLLM"]:
        from unsloth import FastLanguageModel

        FastLanguageModel.for_inference(model)  # Unsloth's fast generation path
    return model, tokenizer


BASE_PROMPT_LABELS = {
    "native": "its own chat template, zero-shot",
    "fewshot": "its own chat template, worked examples of FEWSHOT_FILE first",
}


def base_run_name(style: str) -> str:
    """The name of the base model's run under a BASE_PROMPTS style, in the report and its tables."""
    return f"base-{style}"


def generate_runs(cfg: dict, backend: str, model, tokenizer, problems) -> dict:
    """{"base": records, "base-<prompt>": records per BASE_PROMPTS[, "trained": records]}: the same
    problems, decoding and seed; "base" and "trained" under the run's template, each base-<prompt>
    under the base model's own. Each run's generation time goes into its records' "seconds"."""
    generate = make_generator(cfg, backend, model, tokenizer)
    runs = {"base": timed(generate, problems, adapter=False)}
    for style in cfg["BASE_PROMPTS"]:
        runs[base_run_name(style)] = timed(generate, problems, adapter=False, style=style)
    if cfg["ADAPTER"] is None:
        return runs
    if is_merged(cfg["ADAPTER"]):  # a second full model, loaded like the base but in 16-bit
        merged, merged_tokenizer = models.load_model(merged_settings(cfg), backend, False, with_lora=False)
        runs["trained"] = timed(make_generator(cfg, backend, merged, merged_tokenizer), problems, adapter=False)
    else:
        runs["trained"] = timed(generate, problems, adapter=True)
    return runs


def merged_settings(cfg: dict) -> dict:
    """The settings a merged model folder loads with: its own weights in 16-bit, never LOAD_IN_4BIT. Its
    LoRA change is small against the weights; quantized again to NF4 it would survive only as rounding
    noise (and on Unsloth the base would be its pre-quantized twin, another scheme). Said in one line."""
    if cfg["LOAD_IN_4BIT"]:
        config.print_main(
            f"merged model {cfg['ADAPTER']}: loaded in 16-bit (4-bit would re-quantize the trained weights); "
            "the base model stays in 4-bit as LOAD_IN_4BIT says (--LOAD_IN_4BIT=False compares both in 16-bit)"
        )
    return {**cfg, "MODEL_NAME": cfg["ADAPTER"], "LOAD_IN_4BIT": False}


def timed(generate, problems, **kwargs) -> list[dict]:
    """generate(problems, **kwargs), each record holding the pass's wall time in "seconds"."""
    import time

    start = time.perf_counter()
    records = generate(problems, **kwargs)
    seconds = time.perf_counter() - start
    for record in records:
        record["seconds"] = seconds
    return records


def attach_adapter(model, adapter: str, model_name: str):
    """The base model wrapped with the LoRA in `adapter`; a clear error if it was made for another base."""
    warning = adapter_base_warning(adapter, model_name)
    if warning:
        config.print_main(warning)
    from peft import PeftModel

    try:
        return PeftModel.from_pretrained(model, adapter)
    except (RuntimeError, ValueError, KeyError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise config.ConfigError(f"adapter in {adapter!r} does not match base model {model_name!r}: {first}") from None


def adapter_base_warning(adapter: str, model_name: str) -> str | None:
    """A warning when the adapter was trained on another base model. Unsloth records its pre-quantized
    twin ("...-unsloth-bnb-4bit") when it trained in 4-bit: the same base (checks.same_base_model)."""
    saved_base = json.loads((Path(adapter) / "adapter_config.json").read_text()).get("base_model_name_or_path")
    if saved_base and not checks.same_base_model(saved_base, model_name):
        return f"warning: adapter was trained on {saved_base!r}, evaluating on {model_name!r}"
    return None


def make_generator(cfg: dict, backend: str, model, tokenizer):
    """generate(problems, adapter) -> per problem: {"completions": [...], "tokens": [...], "truncated": [...]}.

    Completion 0 is greedy; NUM_SAMPLES > 1 adds that many sampled completions for pass@k.
    """
    if backend == "unsloth" and cfg["USE_VLLM"]:
        return _vllm_generator(cfg, model, tokenizer)
    return _hf_generator(cfg, model, tokenizer)


def _prompts(problems, tokenizer, style: str = "recipe", fewshot_file: str = str(prompts.FEWSHOT_FILE)) -> list[str]:
    """The prompt texts: the run's template with the recipe's system prompt ("recipe"), or a base prompt
    (prompts.base_prompt_text: the model's own template, zero-shot or few-shot)."""
    if style == "recipe":
        return [
            tokenizer.apply_chat_template(prompts.build_prompt(p), tokenize=False, add_generation_prompt=True)
            for p in problems["problem"]
        ]
    examples = prompts.fewshot_examples(Path(fewshot_file)) if style == "fewshot" else []
    return [prompts.base_prompt_text(p, tokenizer, style, examples) for p in problems["problem"]]


def stop_token_ids(tokenizer, model, style: str = "recipe") -> set:
    """Every token a completion ends at: the tokenizer's EOS and the generation config's; for a base
    prompt (`style` native / fewshot) also the end of turn of the model's own template, which a run's
    template may not use (the recipe's), so the run's own completions stop exactly as in training."""
    stops = {tokenizer.eos_token_id, *models.generation_stops(model)}
    own = prompts.native_template(tokenizer) if style != "recipe" else None
    if own is not None:
        stops.add(prompts.turn_end_id(tokenizer, own))
    return stops - {None}


def base_completion(text: str, tokens: int, truncated: bool, tokenizer) -> tuple[str, int, bool]:
    """A base prompt's completion cut where the model starts a question of its own (plain-text few-shot):
    what follows is not its answer, and an answer given before the cut was not truncated."""
    cut = prompts.cut_next_question(text)
    if cut == text.rstrip():
        return text, tokens, truncated
    return cut, len(tokenizer(cut, add_special_tokens=False)["input_ids"]), False


def _hf_generator(cfg: dict, model, tokenizer):
    import torch
    from tqdm import tqdm

    tokenizer.padding_side = "left"  # decoder-only batching: pad on the left so generation continues the prompt
    model.eval()
    device = next(model.parameters()).device

    def run(texts: list[str], sample: bool, stop_ids: set) -> list[tuple[str, int, bool]]:
        """One batch; generate() stops at any of `stop_ids` (Qwen3: <|endoftext|> and <|im_end|>)."""
        batch = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(device)
        budgets = token_budgets(cfg, batch["attention_mask"].sum(dim=1).tolist())
        options = (
            {
                "do_sample": True,
                "temperature": cfg["TEMPERATURE"],
                "min_p": cfg["MIN_P"],
                "top_k": 0,
            }
            if sample
            else {"do_sample": False}
        )
        with torch.no_grad():
            out = model.generate(
                **batch,
                max_new_tokens=max(max(budgets), 1),
                pad_token_id=tokenizer.pad_token_id,
                eos_token_id=sorted(stop_ids),
                **options,
            )
        results = []
        for row, budget in zip(out[:, batch["input_ids"].shape[1] :].tolist(), budgets, strict=True):
            ids, truncated = cut_at_budget(row, stop_ids, budget)
            results.append((tokenizer.decode(ids, skip_special_tokens=True), len(ids), truncated))
        return results

    def generate(problems, adapter: bool, style: str = "recipe") -> list[dict]:
        torch.manual_seed(cfg["SEED"])
        texts = _prompts(problems, tokenizer, style, cfg["FEWSHOT_FILE"])
        budgets = token_budgets(cfg, data.count_tokens(tokenizer, texts))
        records = [{"completions": [], "tokens": [], "truncated": [], "budget": b} for b in budgets]
        stop_ids = stop_token_ids(tokenizer, model, style)
        if not hasattr(model, "disable_adapter"):
            switch = contextlib.nullcontext()
        elif not adapter:
            switch = model.disable_adapter()
        else:
            switch = _merged_adapter(model)
        passes = [False] + [True] * (cfg["NUM_SAMPLES"] if cfg["NUM_SAMPLES"] > 1 else 0)
        with (
            switch,
            tqdm(total=len(texts) * len(passes), desc="trained" if adapter else f"base ({style})") as bar,
        ):
            for sample in passes:
                for start in range(0, len(texts), cfg["BATCH_SIZE"]):
                    for record, (text, n, cut) in zip(
                        records[start:],
                        run(texts[start : start + cfg["BATCH_SIZE"]], sample, stop_ids),
                        strict=False,
                    ):
                        if style != "recipe":
                            text, n, cut = base_completion(text, n, cut, tokenizer)
                        record["completions"].append(text)
                        record["tokens"].append(n)
                        record["truncated"].append(cut)
                    bar.update(min(cfg["BATCH_SIZE"], len(texts) - start))
        return records

    return generate


def token_budgets(cfg: dict, prompt_lengths: list[int]) -> list[int]:
    """Each prompt's completion budget, one rule for both generators: MAX_NEW_TOKENS, but prompt +
    completion never past MAX_SEQ_LENGTH (vLLM's max_model_len, which Unsloth sets to it); 0 for a
    prompt that fills it (no completion: vLLM would raise on it).

    >>> token_budgets({"MAX_NEW_TOKENS": 100, "MAX_SEQ_LENGTH": 512}, [20, 450, 600])
    [100, 62, 0]
    """
    return [max(0, min(cfg["MAX_NEW_TOKENS"], cfg["MAX_SEQ_LENGTH"] - n)) for n in prompt_lengths]


def cut_at_budget(ids: list[int], stop_ids: set, budget: int) -> tuple[list[int], bool]:
    """A generated row up to its first stop token and within its budget: (completion ids without the
    stop token, truncated = no stop token within the budget).

    >>> cut_at_budget([5, 6, 2, 9], {2}, 10), cut_at_budget([5, 6, 7, 2], {2}, 3), cut_at_budget([5], {2}, 0)
    (([5, 6], False), ([5, 6, 7], True), ([], True))
    """
    end = next((i for i, token in enumerate(ids[:budget]) if token in stop_ids), None)
    return (ids[:budget], True) if end is None else (ids[:end], False)


def vllm_completion(text: str, token_ids, finish_reason: str | None, stop_ids: set) -> tuple[str, int, bool]:
    """(text, tokens, truncated) of one vLLM output, counted as the HF path counts: vLLM's token_ids
    end with the EOS when it stopped on one, which the HF count leaves out.

    >>> vllm_completion("4", [7, 2], "stop", {2}), vllm_completion("44", [7, 7], "length", {2})
    (('4', 1, False), ('44', 2, True))
    """
    ids = list(token_ids)
    if finish_reason == "stop" and ids and ids[-1] in stop_ids:
        ids = ids[:-1]
    return text, len(ids), finish_reason == "length"


@contextlib.contextmanager
def _merged_adapter(model):
    """Generate with the LoRA merged into float base weights (the same function, ~4x faster on CPU:
    no extra low-rank matmuls per layer per token), unmerged afterwards. 4-bit weights stay unmerged."""
    quantized = getattr(model, "is_quantized", False) or getattr(model.base_model.model, "is_loaded_in_4bit", False)
    if quantized:
        yield
        return
    model.merge_adapter()
    try:
        yield
    finally:
        model.unmerge_adapter()


def _vllm_generator(cfg: dict, model, tokenizer):
    # The model comes from from_pretrained alone (no get_peft_model), which has a vLLM engine but no
    # `load_lora` method: Unsloth attaches that only in patch_peft_fast_inference. unsloth_zoo's
    # function needs only the engine, and reads the saved adapter from disk.
    from unsloth_zoo.vllm_utils import load_lora
    from vllm import SamplingParams

    lora = load_lora(model, cfg["ADAPTER"]) if cfg["ADAPTER"] is not None else None

    def generate(problems, adapter: bool, style: str = "recipe") -> list[dict]:
        texts = _prompts(problems, tokenizer, style, cfg["FEWSHOT_FILE"])
        # the run's template: vLLM's own stops, as in training; a base prompt: also its template's end of turn
        stop_ids = {tokenizer.eos_token_id} - {None} if style == "recipe" else stop_token_ids(tokenizer, model, style)
        budgets = token_budgets(cfg, data.count_tokens(tokenizer, texts))
        room = [i for i, budget in enumerate(budgets) if budget > 0]  # vLLM raises on a prompt past max_model_len
        request = {"lora_request": lora} if adapter else {}
        outputs = {i: [] for i in range(len(texts))}
        passes = [(0.0, 1)] + ([(cfg["TEMPERATURE"], cfg["NUM_SAMPLES"])] if cfg["NUM_SAMPLES"] > 1 else [])
        for temperature, n in passes:
            params = [
                SamplingParams(
                    temperature=temperature,
                    min_p=checks.vllm_min_p(cfg["MIN_P"]) if temperature else 0.0,
                    n=n,
                    max_tokens=budgets[i],
                    seed=cfg["SEED"],
                    stop_token_ids=None if style == "recipe" else sorted(stop_ids),  # None: vLLM's default
                )
                for i in room
            ]
            done = model.fast_generate([texts[i] for i in room], sampling_params=params, **request) if room else []
            for i, result in zip(room, done, strict=True):
                finished = [vllm_completion(o.text, o.token_ids, o.finish_reason, stop_ids) for o in result.outputs]
                if style != "recipe":
                    finished = [base_completion(*f, tokenizer) for f in finished]
                outputs[i].extend(finished)
            for i in set(outputs) - set(room):  # no room left for a completion: empty and truncated
                outputs[i].extend([("", 0, True)] * n)
        return [
            {
                "completions": [text for text, _, _ in outs],
                "tokens": [tokens for _, tokens, _ in outs],
                "truncated": [cut for _, _, cut in outs],
                "budget": budgets[i],
            }
            for i, outs in outputs.items()
        ]

    return generate
