"""The layout: what a user opens sits at the root, the judge and the plumbing are packages, imports
point one way (no cycles), and the judge and rewards stay free of heavy libraries."""

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ROOT_FILES = {"train_grpo", "evaluate", "rewards", "prompts"}  # the scripts and what a user edits
PACKAGES = ("judge", "recipe")
SCRIPTS = {"train_grpo", "evaluate"}
HEAVY = {"torch", "transformers", "trl", "peft", "unsloth", "accelerate", "datasets", "vllm"}


def module_files() -> dict[str, Path]:
    """Dotted module name -> file, for the root modules and the packages' modules."""
    found = {p.stem: p for p in REPO.glob("*.py")}
    for package in PACKAGES:
        for p in (REPO / package).glob("*.py"):
            found[package if p.stem == "__init__" else f"{package}.{p.stem}"] = p
    return found


MODULES = module_files()

# module -> the project modules it may import (anything else of the project is a layering error)
ALLOWED = {
    "prompts": set(),
    "judge.answers": {"prompts"},
    "judge.spelling": {"judge.answers"},
    "judge.symbolic": {"judge.answers"},
    "judge.equivalence": {"judge.answers", "judge.spelling", "judge.symbolic"},
    "judge.verdict": {"judge.answers", "judge.spelling", "judge.symbolic", "judge.equivalence"},
    "judge": {"judge.answers", "judge.equivalence", "judge.symbolic", "judge.verdict"},
    "rewards": {"prompts", "judge"},
    "recipe": set(),
    "recipe.config": set(),
    "recipe.statistics": set(),
    "recipe.data": {"prompts", "recipe.config"},
    "recipe.checks": {"recipe.config"},
    "recipe.models": {"prompts", "recipe.checks", "recipe.config", "recipe.data"},
    "recipe.runs": {"prompts", "recipe.config"},
    "recipe.callbacks": {"prompts", "judge", "rewards"},
    "recipe.documents": {"prompts", "judge", "rewards", "recipe.callbacks", "recipe.config", "recipe.statistics"},
    "recipe.generation": {"prompts", "recipe.checks", "recipe.config", "recipe.data", "recipe.models"},
    "recipe.comparison": {"judge", "rewards", "recipe.statistics"},
}


def imported_modules(name: str) -> set[str]:
    """The project modules `name` imports, at any depth (inside functions too), as dotted names."""
    package = name if MODULES[name].stem == "__init__" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(MODULES[name].read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package if node.level else node.module
            if node.level and node.module:
                base = f"{package}.{node.module}"
            if not (node.level and node.module is None):  # `from . import x` imports the sibling x only
                found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}  # `from recipe import models`
    return {m for m in found if m in MODULES}


def test_the_root_holds_only_what_a_user_opens():
    assert {p.stem for p in REPO.glob("*.py")} == ROOT_FILES
    for folder in ("judge", "recipe", "bench", "tools", "tests", "docs", "configs", "data"):
        assert (REPO / folder).is_dir(), folder


def test_every_module_has_a_place_in_the_layering():
    assert set(ALLOWED) | SCRIPTS == set(MODULES)  # a new module must say where it sits


@pytest.mark.parametrize("module", sorted(ALLOWED))
def test_library_modules_import_only_what_sits_below_them(module):
    assert imported_modules(module) <= ALLOWED[module], imported_modules(module) - ALLOWED[module]


def test_the_imports_have_no_cycle():
    graph = {name: imported_modules(name) - {name} for name in MODULES}
    done, active = set(), []

    def visit(name):
        assert name not in active, " -> ".join([*active[active.index(name) :], name])
        if name in done:
            return
        active.append(name)
        for other in graph[name]:
            visit(other)
        active.pop()
        done.add(name)

    for name in graph:
        visit(name)


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("judge") or m in ("rewards", "prompts")))
def test_the_format_judge_and_rewards_never_import_torch_or_trainers(module):
    tree = ast.parse(MODULES[module].read_text())
    names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {
        n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module and not n.level
    }
    assert not names & HEAVY


def test_the_judge_package_exports_exactly_what_the_project_uses():
    import judge

    outside = [p for p in REPO.rglob("*.py") if not {"judge", ".venv", "runs"} & set(p.relative_to(REPO).parts)]
    used = set()
    for path in outside:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "judge":
                used.add(node.attr)
            elif isinstance(node, ast.ImportFrom) and node.module == "judge" and not node.level:
                used |= {alias.name for alias in node.names}
    used -= {m.removeprefix("judge.") for m in MODULES if m.startswith("judge.")} | {"__all__"}  # submodules: tests
    assert used == set(judge.__all__), (used - set(judge.__all__), set(judge.__all__) - used)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_each_module_opens_with_a_docstring(module):
    assert ast.get_docstring(ast.parse(MODULES[module].read_text()))


def test_benches_tools_and_tests_are_never_imported_by_the_project():
    for name in MODULES:
        tree = ast.parse(MODULES[name].read_text())
        tops = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        tops |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert not tops & {"bench", "tools", "tests", "conftest", "real_model"}, name
