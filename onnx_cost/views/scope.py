"""A record's module scope as the reports use it: the analyzer's parsed path
(``NodeRecord.scope_path``, ``scope_classes``; analyzer/scope.py reads every
exporter's form) and the labels made from it."""

from __future__ import annotations

from onnx_cost.model.report import NodeRecord


def scope_path(rec: NodeRecord) -> tuple[str, ...]:
    """The module path of a record, outermost first; () for a node at the root."""
    return rec.scope_path


def scope_classes(rec: NodeRecord) -> tuple[str, ...]:
    """Class names aligned with ``scope_path`` ('' where unknown); () when none are known."""
    return rec.scope_classes


def short_class(name: str) -> str:
    """'torchvision.models.resnet.BasicBlock' -> 'BasicBlock'."""
    return name.rsplit(".", 1)[-1]


def full_path(rec: NodeRecord) -> str:
    """The scope path joined with '/', as the reports' node tables show it."""
    return "/".join(rec.scope_path)
