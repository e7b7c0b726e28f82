"""Counting rules: one module per op family, all registered in ``registry``.

Importing this package imports no family module: ``registry.lookup`` (and ``ensure``)
imports the one that registers an op when the op is first met; ``load_all`` imports them all.
"""

from __future__ import annotations

import importlib
import pkgutil

from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import NodeView, RuleError, ShapeUnknown, TensorInfo
from onnx_cost.rules.registry import REGISTRY, SHAPES, Entry, loaded_all, lookup, rule, shape_of, zero_compute

__all__ = [
    "Cost",
    "Entry",
    "NodeView",
    "REGISTRY",
    "SHAPES",
    "RuleError",
    "ShapeUnknown",
    "TensorInfo",
    "load_all",
    "lookup",
    "rule",
    "shape_of",
    "zero_compute",
]

_CORE = {"cost", "node", "registry"}
_loaded = False


def load_all() -> None:
    """Import every rule family module (idempotent)."""
    global _loaded
    if _loaded:
        return
    for info in pkgutil.iter_modules(__path__):
        if info.name not in _CORE and not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    loaded_all()
    _loaded = True
