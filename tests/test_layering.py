"""Meta-tests: the layering the design card sets for onnx_cost/rules/.

rules/ are pure functions of shapes and attributes: they import neither onnx nor the analyzer
(ruff's banned-api rule TID251 says the same at lint time). A family module (rules/conv.py, ...)
imports from rules/ only the core (cost, node, registry) and shared-maths `_*` modules, never
another family, so that every count has one owner.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

RULES = Path(__file__).resolve().parent.parent / "onnx_cost" / "rules"
CORE = {"cost", "node", "registry"}
MODULES = sorted(p for p in RULES.glob("*.py"))


def _imports(path: Path) -> list[str]:
    """Absolute dotted names of every module ``path`` imports (relative ones resolved)."""
    pkg = ["onnx_cost", "rules"]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = pkg[: len(pkg) - node.level + 1] if node.level else []
            mod = ".".join([*base, node.module] if node.module else base)
            # `from . import conv` imports the module onnx_cost.rules.conv
            out += [f"{mod}.{a.name}" for a in node.names] if not node.module else [mod]
    return out


def test_the_resolver_sees_relative_imports() -> None:
    assert "onnx_cost.rules.node" in _imports(RULES / "conv.py")
    assert "onnx_cost.rules._spatial" in _imports(RULES / "conv.py")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_rules_import_neither_onnx_nor_the_analyzer(path: Path) -> None:
    bad = [m for m in _imports(path) if m.split(".")[0] == "onnx" or m.startswith("onnx_cost.analyzer")]
    assert not bad, f"{path.name} imports {bad}"


FAMILIES = [p for p in MODULES if not p.stem.startswith("_") and p.stem not in CORE]


@pytest.mark.parametrize("path", FAMILIES, ids=lambda p: p.name)
def test_a_family_imports_only_the_core_and_shared_maths(path: Path) -> None:
    inside = [m.split(".")[2] for m in _imports(path) if m.startswith("onnx_cost.rules.")]
    bad = [m for m in inside if m not in CORE and not m.startswith("_")]
    assert not bad, f"{path.name} imports the families {bad}: move the shared maths into a rules/_*.py module"


SHARED = [p for p in MODULES if p.stem.startswith("_") and p.stem != "__init__"]


@pytest.mark.parametrize("path", SHARED, ids=lambda p: p.name)
def test_shared_maths_imports_no_family(path: Path) -> None:
    inside = [m.split(".")[2] for m in _imports(path) if m.startswith("onnx_cost.rules.")]
    bad = [m for m in inside if m not in CORE and not m.startswith("_")]
    assert not bad, f"{path.name} is shared maths but imports the families {bad}"
