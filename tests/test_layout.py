"""The module layout: imports point one way, and the judge and rewards stay free of heavy libraries."""

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = {"train_grpo", "evaluate"}
PROJECT = {p.stem for p in REPO.glob("*.py")}
HEAVY = {"torch", "transformers", "trl", "peft", "unsloth", "accelerate", "datasets"}

# module -> the project modules it may import (anything else of the project is a layering error)
ALLOWED = {
    "prompts": set(),
    "answers": {"prompts"},
    "spelling": {"answers"},
    "symbolic": {"answers"},
    "equivalence": {"answers", "spelling", "symbolic"},
    "judge": {"prompts", "answers", "spelling", "symbolic", "equivalence"},
    "rewards": {"prompts", "judge"},
    "config": set(),
    "data": {"config", "prompts"},
    "models": {"config", "data", "prompts"},
    "reports": {"prompts", "judge", "rewards"},
    "metrics": set(),
    "runs": {"config", "prompts"},
}


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every module `path` imports, at any depth (inside functions too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_every_top_level_module_has_a_place_in_the_layering():
    assert set(ALLOWED) | SCRIPTS == PROJECT  # a new module must say where it sits


@pytest.mark.parametrize("module", sorted(ALLOWED))
def test_library_modules_import_only_what_sits_below_them(module):
    project_imports = imported_modules(REPO / f"{module}.py") & PROJECT
    assert project_imports <= ALLOWED[module], project_imports - ALLOWED[module]


@pytest.mark.parametrize("module", ["prompts", "answers", "spelling", "symbolic", "equivalence", "judge", "rewards"])
def test_the_format_judge_and_rewards_never_import_torch_or_trainers(module):
    assert not imported_modules(REPO / f"{module}.py") & HEAVY


@pytest.mark.parametrize("module", sorted(ALLOWED))
def test_each_module_opens_with_a_docstring(module):
    assert ast.get_docstring(ast.parse((REPO / f"{module}.py").read_text()))


def test_benches_and_tests_are_never_imported_by_the_project():
    for module in PROJECT:
        assert not imported_modules(REPO / f"{module}.py") & {"bench", "tests", "conftest"}, module
