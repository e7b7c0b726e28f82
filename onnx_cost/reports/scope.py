"""A record's module scope as a path, and each module's class when the exporter says.

The analyzer parses scopes (``NodeRecord.scope_path`` / ``scope_classes``); until a
record carries them, the path is the record's ``scope`` split on '/'.
"""

from __future__ import annotations

import ast
from typing import Any

from ..analyzer.report import NodeRecord

_CLASSES_KEY = "pkg.torch.onnx.class_hierarchy"


def _listed(text: str) -> list[str]:
    """A dynamo metadata list ("['', 'layer1', 'aten.op']") less its root and op ends."""
    try:
        items = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return []
    if not isinstance(items, list):
        return []
    return [str(x) for x in items[1:-1]]


def scope_path(rec: NodeRecord) -> tuple[str, ...]:
    """The module path of a record, outermost first; () for a node at the root."""
    path = getattr(rec, "scope_path", None)
    if path is not None:
        return tuple(path)
    if rec.scope.startswith("["):
        return tuple(_listed(rec.scope))
    return tuple(p for p in rec.scope.split("/") if p)


def scope_classes(rec: NodeRecord) -> tuple[str, ...]:
    """Class names aligned with ``scope_path`` ('' where unknown); () when none are known."""
    classes = getattr(rec, "scope_classes", None)
    if classes is not None:
        return tuple(classes)
    text = rec.metadata.get(_CLASSES_KEY, "")
    return tuple(_listed(text)) if text.startswith("[") else ()


def short_class(name: str) -> str:
    """'torchvision.models.resnet.BasicBlock' -> 'BasicBlock'."""
    return name.rsplit(".", 1)[-1]


def full_path(rec: NodeRecord) -> str:
    """The scope path joined with '/', as CSV and JSON carry it."""
    return "/".join(scope_path(rec))


def node_scope_fields(rec: NodeRecord) -> dict[str, Any]:
    """The per-node scope columns of CSV and JSON: the path and its classes."""
    return {"scope_path": list(scope_path(rec)), "scope_classes": list(scope_classes(rec))}
