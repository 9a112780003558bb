"""Static contract check of the GPU path against the pinned wheels: every keyword our code passes to
Unsloth and vLLM exists there, every setting Unsloth's patched configs rewrite is passed explicitly,
and Unsloth's own rules we rely on still read as we read them.

    python tools/check_gpu_api.py                 # downloads the pinned wheels (no install, no import)
    python tools/check_gpu_api.py --wheels DIR    # wheels already downloaded into DIR

Unsloth cannot be imported without a GPU, so its API is read from the pinned wheels' source with
`ast`: the signatures of FastLanguageModel.from_pretrained, FastLlamaModel.get_peft_model (which
FastLanguageModel.get_peft_model forwards to), the functions Unsloth binds as a text model's
save_pretrained_merged / save_pretrained_gguf, and unsloth_zoo.vllm_utils.load_lora. The keywords
our code passes are read from our own source the same way, so a new call site is checked too. A
keyword that only a `**kwargs` would swallow counts as missing: it would be ignored silently. The
same for vLLM's SamplingParams and LLM.generate (what Unsloth's fast_generate calls).

Then the configs: the GRPO and priming settings are built as train_grpo.py builds them; every key
must be a field of the installed (pinned) TRL config class (Unsloth drops unknown keys with a print),
every default Unsloth's patched configs fill (the `replacements` dicts of unsloth/models/rl.py) must
be passed explicitly or be listed in NOT_OBJECTIVE with a reason, and Unsloth's dr_grpo / dapo
rewrite code (rl.py's `check_dr_grpo`) is run on what we pass, for every loss type, and must leave
the objective unchanged. Last, FACTS: lines of Unsloth's and TRL's source whose meaning our code
depends on (bf16 only on Ampere or newer, the 4-bit twin's name, vLLM's processed log-probs, both
trainers keeping pre-tokenized priming samples as they are).
Exit 1 and one line per drift; a version bump that renames a parameter fails here, not on a GPU.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import dataclasses
import io
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
OUR_FILES = (
    "recipe/models.py",
    "recipe/generation.py",
    "train_grpo.py",
    "evaluate.py",
)  # where the GPU APIs are called


REQUIREMENTS = ("requirements.txt", "requirements-vllm.txt", "requirements-deepspeed.txt")


def pinned(name: str) -> str:
    """The version a requirements file of the GPU recipe (REQUIREMENTS) pins for a package."""
    for file in REQUIREMENTS:
        match = re.search(rf"^{re.escape(name)}==(\S+)", (REPO / file).read_text(), re.M)
        if match:
            return match.group(1)
    raise SystemExit(f"{name} is not pinned in {' or '.join(REQUIREMENTS)}")


# our call (attribute or function name) -> (wheel, file inside it, class or None, function)
TARGETS = {
    "from_pretrained": ("unsloth", "unsloth/models/loader.py", "FastLanguageModel", "from_pretrained"),
    "get_peft_model": ("unsloth", "unsloth/models/llama.py", "FastLlamaModel", "get_peft_model"),
    "save_pretrained_merged": ("unsloth", "unsloth/save.py", None, "unsloth_generic_save_pretrained_merged"),
    "save_pretrained_gguf": ("unsloth", "unsloth/save.py", None, "unsloth_save_pretrained_gguf"),
    "load_lora": ("unsloth_zoo", "unsloth_zoo/vllm_utils.py", None, "load_lora"),
    "for_inference": ("unsloth", "unsloth/models/loader.py", "FastLanguageModel", "for_inference"),
    "fast_generate": ("vllm", "vllm/entrypoints/llm.py", "LLM", "generate"),  # Unsloth binds vllm_engine.generate
}
# read from their pinned wheels (DeepSpeed ships only a source archive: read from that)
PACKAGES = ("unsloth", "unsloth_zoo", "vllm", "vllm-bnb-plugin", "deepspeed")
INSTALLED = ("trl", "transformers")  # pinned by requirements-cpu.txt too: read from this environment


def our_calls() -> dict[str, set[str]]:
    """Keywords our code passes at each Unsloth call: from_pretrained / get_peft_model on
    FastLanguageModel, and the save / load_lora calls, wherever they are."""
    calls: dict[str, set[str]] = {name: set() for name in TARGETS}
    for name in OUR_FILES:
        tree = ast.parse((REPO / name).read_text())
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if called in ("from_pretrained", "get_peft_model"):
                owner = func.value if isinstance(func, ast.Attribute) else None
                if not (isinstance(owner, ast.Name) and owner.id == "FastLanguageModel"):
                    continue  # transformers' and PEFT's own calls are not Unsloth's
            if called in calls:
                calls[called] |= {kw.arg for kw in node.keywords if kw.arg is not None}
                calls[called] |= unpacked_keys(node, tree)
    return calls


def unpacked_keys(call: ast.Call, tree: ast.Module) -> set[str]:
    """Keys of the dict literals assigned to a name the call unpacks (`**request`)."""
    names = {kw.value.id for kw in call.keywords if kw.arg is None and isinstance(kw.value, ast.Name)}
    keys = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id in names for t in node.targets):
            for found in ast.walk(node.value):
                if isinstance(found, ast.Dict):
                    keys |= {k.value for k in found.keys if isinstance(k, ast.Constant)}
    return keys


def sampling_params_calls() -> set[str]:
    """Keywords our code passes to vLLM's SamplingParams."""
    keywords = set()
    for name in OUR_FILES:
        for node in ast.walk(ast.parse((REPO / name).read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "SamplingParams":
                keywords |= {kw.arg for kw in node.keywords if kw.arg is not None}
    return keywords


def class_fields(source: str, cls: str) -> set[str]:
    """The annotated fields of a class (a dataclass or msgspec Struct such as SamplingParams)."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.ClassDef) and node.name == cls:
            return {n.target.id for n in node.body if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)}
    raise LookupError(f"class {cls} not found")


def signature(source: str, cls: str | None, function: str) -> set[str]:
    """Named parameters of a function (or a class's method) in a source file."""
    tree = ast.parse(source)
    scope = tree.body
    if cls is not None:
        found = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls]
        if not found:
            raise LookupError(f"class {cls} not found")
        scope = found[0].body
    for node in scope:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == function:
            args = node.args
            return {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    raise LookupError(f"{cls + '.' if cls else ''}{function} not found")


def archives(folder: Path, package: str, version: str) -> list[Path]:
    """A package's downloaded wheel (or source archive) in `folder`; the file name spells - as _."""
    stem = package.replace("-", "_")
    return sorted(folder.glob(f"{stem}-{version}-*.whl")) + sorted(folder.glob(f"{package}-{version}.tar.gz"))


def download(folder: Path) -> dict[str, Path]:
    wheels = {}
    for package in PACKAGES:
        version = pinned(package)
        found = archives(folder, package, version)
        if not found:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "-q",
                    "--no-deps",
                    "-d",
                    str(folder),
                    f"{package}=={version}",
                ],
                check=True,
                capture_output=True,
            )
            found = archives(folder, package, version)
        wheels[package] = found[0]
    return wheels


# Defaults Unsloth's patched configs fill that do not change what is optimised or how it is logged,
# so the recipe leaves them to Unsloth: key -> why. A key of rl.py's `replacements` in neither this nor
# our settings is drift (a new default a version bump brought in).
NOT_OBJECTIVE = {
    "eval_accumulation_steps": "how evaluation outputs are gathered, not what is computed",
    "torch_empty_cache_steps": "frees cached GPU memory",
    "max_seq_length": "not a GRPOConfig / SFTConfig field in TRL 1.x (the model's max_seq_length is passed)",
    "generation_kwargs": "extra sampler arguments; ours are passed one by one (temperature, min_p, top_p, top_k)",
    "include_tokens_per_second": "logging only",
    "include_num_input_tokens_seen": "logging only",
    "auto_find_batch_size": "off in both (TRL's default is off too)",
    "dataloader_pin_memory": "data loading speed",
    "router_aux_loss_coef": "mixture-of-experts models only (Qwen3-4B is dense)",
}
# rl.py's `replacements` dicts: (line of the `if trainer_file == ...` they sit under, or None for all)
CONFIG_OF = {None: ("grpo", "priming"), "grpo_trainer": ("grpo",), "sft_trainer": ("priming",)}


def unsloth_defaults(rl_source: str) -> dict[str | None, set[str]]:
    """The keys of each `replacements = {...}` in rl.py, by the trainer file it applies to (None: all),
    plus `replacements[key] = ...` additions."""
    found: dict[str | None, set[str]] = {}

    def visit(node, trainer):
        for child in ast.iter_child_nodes(node):
            scope = trainer
            if isinstance(child, ast.If):
                test = child.test
                if (
                    isinstance(test, ast.Compare)
                    and getattr(test.left, "id", None) == "trainer_file"
                    and isinstance(test.ops[0], ast.Eq)
                    and isinstance(test.comparators[0], ast.Constant)
                ):
                    scope = test.comparators[0].value
            if isinstance(child, ast.Assign):
                for target in child.targets:
                    if (
                        isinstance(target, ast.Name)
                        and target.id == "replacements"
                        and isinstance(child.value, ast.Dict)
                    ):
                        found.setdefault(scope, set()).update(k.value for k in child.value.keys)
                    if isinstance(target, ast.Subscript) and getattr(target.value, "id", None) == "replacements":
                        found.setdefault(scope, set()).add(target.slice.value)
            visit(child, scope)

    visit(ast.parse(rl_source), None)
    return {k: v for k, v in found.items() if k in CONFIG_OF}


def recipe_settings() -> dict[str, dict]:
    """The GRPO and priming settings as train_grpo.py builds them (smoke settings resolved on CPU;
    the keys are the same on a GPU)."""
    import train_grpo

    with contextlib.redirect_stdout(io.StringIO()):
        cfg, _ = train_grpo.check_settings({**train_grpo.CONFIG, **train_grpo.SMOKE}, smoke=True)
    out = Path(tempfile.gettempdir())
    return {"grpo": train_grpo.grpo_settings(cfg, out), "priming": train_grpo.priming_settings(cfg, out)}


def config_fields(cls) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


def check_configs(rl_source: str) -> list[str]:
    """Our config keys against TRL's fields, and Unsloth's defaults against what we pass."""
    from importlib import metadata

    from trl import GRPOConfig, SFTConfig

    problems = []
    if metadata.version("trl") != pinned("trl"):
        problems.append(f"installed trl {metadata.version('trl')} is not the pinned {pinned('trl')}")
    settings = recipe_settings()
    fields = {}
    for stage, cls in (("grpo", GRPOConfig), ("priming", SFTConfig)):
        fields[stage] = config_fields(cls)
        for key in sorted(set(settings[stage]) - fields[stage]):
            problems.append(f"{stage}: {key!r} is not a field of trl {cls.__name__} (Unsloth would drop it)")
    for trainer, keys in unsloth_defaults(rl_source).items():
        for stage in CONFIG_OF[trainer]:
            # Unsloth rewrites a default only where the config has the field (rl.py edits its signature)
            for key in sorted((keys & fields[stage]) - set(NOT_OBJECTIVE)):
                if key not in settings[stage] or settings[stage][key] is None:
                    problems.append(
                        f"{stage}: Unsloth's patched config fills {key!r} (rl.py `replacements`) and we do not pass it"
                    )
    return problems


def dr_grpo_rewrite(rl_source: str) -> str:
    """The code rl.py adds to GRPOConfig.__init__ for loss_type / scale_rewards / epsilon_high /
    mask_truncated_completions (the string assigned to `check_dr_grpo`)."""
    for node in ast.walk(ast.parse(rl_source)):
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "check_dr_grpo" for t in node.targets)
            and isinstance(node.value, ast.Constant)
        ):
            return node.value.value
    raise LookupError("check_dr_grpo not found in unsloth/models/rl.py")


REWRITTEN = ("loss_type", "scale_rewards", "epsilon_high", "mask_truncated_completions", "beta")


def check_rewrites(rl_source: str) -> list[str]:
    """Run Unsloth's rewrite code on what train_grpo.py passes, for every loss type: it must leave
    the objective as our settings say (TRL reads scale_rewards True as "group")."""
    from recipe import models

    code = dr_grpo_rewrite(rl_source)
    grpo = recipe_settings()["grpo"]
    problems = []
    for loss_type in ("dapo", "grpo", "dr_grpo", "bnpo"):
        for scale in ("group", "batch", "none"):
            ours = {**grpo, "loss_type": loss_type, "scale_rewards": scale}
            passed = models.unsloth_config_args(ours)
            scope = {k: passed[k] for k in REWRITTEN} | {"_unsloth_default_loss_type": False}
            with contextlib.redirect_stdout(io.StringIO()):
                exec(code, {}, scope)  # noqa: S102  (Unsloth's own code, read from the pinned wheel)
            scope["scale_rewards"] = {True: "group", False: "none"}.get(scope["scale_rewards"], scope["scale_rewards"])
            for key in REWRITTEN:
                if scope[key] != ours[key]:
                    problems.append(
                        f"Unsloth's config rewrites {key} {ours[key]!r} -> {scope[key]!r} "
                        f"(loss_type={loss_type!r}, scale_rewards={scale!r})"
                    )
    return problems


# (wheel, file, pattern, what our code relies on): a version bump that changes one fails here
FACTS = (
    ("unsloth", "unsloth/models/_utils.py", r"all\(major >= 8 for major, _ in _cuda_caps\)", "bf16 only on Ampere+"),
    (
        "unsloth",
        "unsloth/models/_utils.py",
        r"def is_bfloat16_supported\(\):\s*return SUPPORTS_BFLOAT16",
        "its bf16 query",
    ),
    ("unsloth", "unsloth/models/loader.py", r'for suffix in \("-unsloth-bnb-4bit", "-bnb-4bit"\)', "4-bit twin names"),
    (
        "unsloth",
        "unsloth/models/loader.py",
        r"use_gradient_checkpointing = \"unsloth\"",
        "loader's checkpointing default",
    ),
    ("trl", "trl/generation/vllm_generation.py", r'logprobs_mode="processed_logprobs"', "vLLM log-probs after the cut"),
    (  # checks.HF_4BIT_VLLM: revisit the hf + 4-bit + vLLM refusal when TRL dequantizes before the sync
        "trl",
        "trl/generation/vllm_generation.py",
        r'quantization = "bitsandbytes"[\s\S]*def _iter_named_params[\s\S]*model\.merge_adapter\(\)',
        "TRL hands a 4-bit model to vLLM as bitsandbytes and syncs its merged tensors",
    ),
    (
        "unsloth",
        "unsloth/models/rl_replacements.py",
        r'lora_name = "vllm_gen_lora"',
        "Unsloth + vLLM writes vllm_gen_lora*/ into the working directory (.gitignore)",
    ),
    (  # data.priming_tokens: priming hands both trainers input_ids + labels, tokenized as GRPO tokenizes
        "unsloth_zoo",
        "unsloth_zoo/dataset_utils.py",
        r'if "labels" in column_names:[\s\S]{0,300}DataCollatorForSeq2Seq\(tokenizer\)[\s\S]{0,200}do_tokenize = False',
        "Unsloth's SFT step keeps a dataset with labels as it is (DataCollatorForSeq2Seq, no tokenizing)",
    ),
    (
        "trl",
        "trl/trainer/sft_trainer.py",
        r'labels = \[example\.get\("labels", example\["input_ids"\]\) for example in examples\][\s\S]*'
        r'is_processed = "input_ids" in column_names',
        "TRL's SFT keeps a tokenized dataset and its labels as they are",
    ),
    # issue 34: the facts the fourth reading's fixes rely on
    (  # checks.VLLM_BNB_MODULE: what Unsloth probes for vLLM's bitsandbytes, and its refusal without it
        "unsloth_zoo",
        "unsloth_zoo/vllm_utils.py",
        r'"vllm_bnb_plugin\.bitsandbytes",[\s\S]*use_bitsandbytes and _vllm_bnb is None and importlib\.util\.find_spec\("vllm"\)',
        "Unsloth loads 4-bit into vLLM >= 0.28 only through vllm_bnb_plugin, and raises without it",
    ),
    (
        "vllm-bnb-plugin",
        "vllm_bnb_plugin/__init__.py",
        r'register_quantization_config\("bitsandbytes"\)\(BitsAndBytesConfig\)',
        "the plugin registers vLLM's bitsandbytes quantization",
    ),
    (  # models.keep_trainable_fp32: undone after each hf trainer is built
        "trl",
        "trl/trainer/sft_trainer.py",
        r"if _is_quantized_model:\s*for param in model\.parameters\(\):\s*if param\.requires_grad:\s*"
        r"param\.data = param\.data\.to\(torch\.bfloat16\)",
        "TRL's SFTTrainer casts trainable weights of a 4-bit model to bf16 in its constructor",
    ),
    (
        "trl",
        "trl/trainer/grpo_trainer.py",
        r"if _is_quantized_model:\s*for param in model\.parameters\(\):\s*if param\.requires_grad:\s*"
        r"param\.data = param\.data\.to\(torch\.bfloat16\)",
        "TRL's GRPOTrainer casts trainable weights of a 4-bit model to bf16 in its constructor",
    ),
    (  # train_grpo.save_final: every rank saves
        "transformers",
        "transformers/trainer.py",
        r"zero3_sharding[\s\S]{0,400}self\.deepspeed\._zero3_consolidated_16bit_state_dict\(",
        "Trainer.save_model gathers ZeRO-3 parameters (a collective) before rank 0 writes",
    ),
    (
        "deepspeed",
        "deepspeed/runtime/engine.py",
        r"def _zero3_consolidated_16bit_state_dict[\s\S]{0,200}must be called on all ranks",
        "DeepSpeed's ZeRO-3 consolidation must run on every rank",
    ),
    (  # train_grpo.vllm_stop_tokens: the native template's end of turn reaches vLLM's sampler
        "trl",
        "trl/generation/vllm_generation.py",
        r"generation_kwargs\.update\(self\.generation_kwargs\)[\s\S]{0,900}SamplingParams\(\*\*generation_kwargs\)",
        "GRPOConfig.generation_kwargs are passed to vLLM's SamplingParams (stop_token_ids)",
    ),
    (  # checks.check_vllm: server mode needs vLLM in the trainers' environment too
        "trl",
        "trl/generation/vllm_generation.py",
        r"def _init_vllm\(self\):[\s\S]{0,300}if not is_vllm_available\(\):[\s\S]{0,300}"
        r'if self\.mode == "server":',
        "TRL requires vLLM in the trainer process before it looks at the mode",
    ),
    (  # train_grpo.grpo_settings records the top_k that runs
        "unsloth",
        "unsloth/models/rl_replacements.py",
        r"if use_vllm and \(top_k is None or top_k == 0\): top_k = -1",
        "Unsloth's GRPOConfig spells top_k 0 as -1 under vLLM",
    ),
    (
        "vllm",
        "vllm/sampling_params.py",
        r"# quietly accept -1 as disabled, but prefer 0\s*if self\.top_k < -1:",
        "vLLM reads top_k 0 and -1 alike (no top-k cut)",
    ),
)


def read_source(wheels: dict[str, Path], package: str, path: str) -> str:
    """A file of a pinned package: from this environment (INSTALLED), a wheel, or a source archive."""
    if package in INSTALLED:
        import importlib

        return (Path(importlib.import_module(package).__file__).parent.parent / path).read_text()
    archive_path = wheels[package]
    if archive_path.name.endswith(".tar.gz"):
        import tarfile

        with tarfile.open(archive_path) as archive:
            top = archive_path.name.removesuffix(".tar.gz")
            return archive.extractfile(f"{top}/{path}").read().decode()
    with zipfile.ZipFile(archive_path) as archive:
        return archive.read(path).decode()


def check_facts(wheels: dict[str, Path]) -> list[str]:
    problems = []
    for package, path, pattern, what in FACTS:
        try:
            source = read_source(wheels, package, path)
        except KeyError:
            problems.append(f"{what}: {package}:{path} no longer exists")
            continue
        if not re.search(pattern, source):
            problems.append(f"{what}: {pattern!r} no longer in {package}:{path}")
    return problems


QUANTIZATION = "vllm/model_executor/layers/quantization/__init__.py"  # QuantizationMethods: vLLM's in-tree list


def vllm_quantizations(source: str) -> list[str]:
    """The names of vLLM's `QuantizationMethods = Literal[...]`."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "QuantizationMethods" for t in node.targets):
            return [e.value for e in ast.walk(node.value) if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    raise LookupError(f"QuantizationMethods not found in {QUANTIZATION}")


def check_vllm_bitsandbytes(wheels: dict[str, Path]) -> list[str]:
    """4-bit weights in vLLM: in the pinned wheel's own quantization list, or through `vllm-bnb-plugin`,
    which must then be pinned and whose every `from vllm... import name` must resolve in the vLLM wheel."""
    if "bitsandbytes" in vllm_quantizations(read_source(wheels, "vllm", QUANTIZATION)):
        return []
    try:
        pinned("vllm-bnb-plugin")
    except SystemExit:
        return ["vllm has no bitsandbytes in tree (QuantizationMethods): pin vllm-bnb-plugin in requirements-vllm.txt"]
    return [f"vllm-bnb-plugin: {line}" for line in unresolved_imports(wheels["vllm-bnb-plugin"], wheels["vllm"])]


def unresolved_imports(plugin: Path, vllm: Path) -> list[str]:
    """The plugin's `from vllm.x import name` that name no module or top-level name of the vLLM wheel
    (a module's `from .y import *` followed one level)."""
    with zipfile.ZipFile(vllm) as archive:
        files = {name: archive.read(name).decode() for name in archive.namelist() if name.endswith(".py")}

    def module(dotted: str) -> str | None:
        base = dotted.replace(".", "/")
        return next((f for f in (f"{base}.py", f"{base}/__init__.py") if f in files), None)

    def statements(body: list) -> list:
        """A module's statements, those under if / try / with included (TYPE_CHECKING, fallbacks)."""
        found = []
        for node in body:
            found.append(node)
            for field in ("body", "orelse", "finalbody", "handlers"):
                if isinstance(node, (ast.If, ast.Try, ast.With, ast.ExceptHandler)) and hasattr(node, field):
                    found += statements(getattr(node, field))
        return found

    def defined(path: str, follow: bool = True) -> set[str]:
        names = set()
        for node in statements(ast.parse(files[path]).body):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names |= {(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"}
                if follow and isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
                    package = path.rsplit("/", 1)[0].replace("/", ".")
                    target = module(f"{package}.{node.module}" if node.level else node.module)
                    names |= defined(target, follow=False) if target else set()
        return names

    problems = []
    with zipfile.ZipFile(plugin) as archive:
        sources = {n: archive.read(n).decode() for n in archive.namelist() if n.endswith(".py")}
    for name, source in sorted(sources.items()):
        for node in ast.walk(ast.parse(source)):
            if not (isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "vllm"):
                continue
            path = module(node.module)
            if path is None:
                problems.append(f"{name} imports {node.module}, not a module of {vllm.name}")
                continue
            for alias in node.names:
                if alias.name not in defined(path) and module(f"{node.module}.{alias.name}") is None:
                    problems.append(f"{name} imports {alias.name} from {node.module}, not defined in {vllm.name}")
    return problems


def check(wheels: dict[str, Path]) -> list[str]:
    """Every check of this file, one line per drift."""
    with zipfile.ZipFile(wheels["unsloth"]) as archive:
        rl_source = archive.read("unsloth/models/rl.py").decode()
    return (
        check_signatures(wheels)
        + check_configs(rl_source)
        + check_rewrites(rl_source)
        + check_facts(wheels)
        + check_vllm_bitsandbytes(wheels)
    )


def check_signatures(wheels: dict[str, Path]) -> list[str]:
    """Our keywords at each Unsloth / vLLM call, and at SamplingParams, against the wheels' source."""
    problems = []
    for call, keywords in our_calls().items():
        wheel, path, cls, function = TARGETS[call]
        with zipfile.ZipFile(wheels[wheel]) as archive:
            source = archive.read(path).decode()
        try:
            accepted = signature(source, cls, function)
        except LookupError as err:
            problems.append(f"{call}: {err} in {wheels[wheel].name}:{path}")
            continue
        for keyword in sorted(keywords - accepted):
            where = f"{cls + '.' if cls else ''}{function}"
            problems.append(
                f"{call}: our keyword {keyword!r} is not a parameter of {where} ({wheels[wheel].name}:{path})"
            )
    with zipfile.ZipFile(wheels["vllm"]) as archive:
        fields = class_fields(archive.read("vllm/sampling_params.py").decode(), "SamplingParams")
    for keyword in sorted(sampling_params_calls() - fields):
        problems.append(f"SamplingParams: our keyword {keyword!r} is not a field ({wheels['vllm'].name})")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheels", type=Path, help="folder with the pinned wheels (downloaded when missing)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.wheels or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        try:
            wheels = download(folder)
        except subprocess.CalledProcessError as err:
            print(f"cannot download the pinned wheels: {err.stderr.decode().strip().splitlines()[-1:]}")
            raise SystemExit(3) from None
        problems = check(wheels)
    calls = our_calls()
    for line in problems:
        print(line)
    checked = sum(len(k) for k in calls.values())
    print(
        f"gpu api: {checked} keywords at {len(calls)} Unsloth / vLLM calls, SamplingParams, both configs' keys, "
        f"Unsloth's defaults and rewrites, {len(FACTS)} facts, vLLM's bitsandbytes (in tree or the plugin's imports) "
        f"checked: {len(problems)} drift(s)"
    )
    raise SystemExit(1 if problems else 0)


if __name__ == "__main__":
    main()
