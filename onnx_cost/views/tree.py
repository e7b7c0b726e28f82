"""Cost by module scope: the records of a report folded into a tree of modules.

Each node belongs to every module on its scope path (``layer1`` and ``layer1/layer1.0``
both hold ``/layer1/layer1.0/conv1/Conv``); nodes without a scope sit at the root.
A module's totals are those of the nodes at or below it, each counted ``weight`` times.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from onnx_cost.model.report import NodeRecord, Report, Totals
from onnx_cost.text import percent
from onnx_cost.views.scope import scope_classes, scope_path, short_class

# What a module (or node, or op type) can be ranked by; "ops" counts integer work too.
METRICS: dict[str, Callable[[Totals], int]] = {
    "flops": lambda t: t.flops,
    "macs": lambda t: t.macs,
    "ops": lambda t: t.ops,
    "params": lambda t: t.params,
    "bytes": lambda t: t.memory_bytes,
    "nodes": lambda t: t.nodes,
}
SORT_KEYS: tuple[str, ...] = (*METRICS, "name", "order")
HEADINGS = {"flops": "FLOPs", "macs": "MACs", "ops": "ops", "params": "params", "bytes": "bytes", "nodes": "nodes"}
ROOT_LABEL = "(model)"


@dataclass
class Module:
    """One module scope: its own path, class and the totals of everything below it."""

    name: str  # the last segment of the path ("" for the root)
    path: tuple[str, ...]
    cls: str = ""  # class name when the exporter recorded it ("BasicBlock")
    order: int = 0  # position of its first node in the graph
    children: dict[str, Module] = field(default_factory=dict)
    totals: Totals = field(default_factory=Totals)

    @property
    def label(self) -> str:
        """'layer1.0 (BasicBlock)' as ptflops shows it; the root is '(model)'."""
        base = self.name or ROOT_LABEL
        return f"{base} ({self.cls})" if self.cls else base

    def walk(self) -> Iterator[Module]:
        """This module and every module below it, depth first, in graph order."""
        yield self
        for c in self.children.values():
            yield from c.walk()


def build_tree(report: Report) -> Module:
    """The module tree of ``report``; the root's totals are the report's own."""
    root = Module("", ())
    deepest = 0
    for i, rec in enumerate(report.nodes):
        node = root
        path = scope_path(rec)
        classes = scope_classes(rec)
        deepest = max(deepest, len(path))
        for depth, seg in enumerate(path):
            child = node.children.get(seg)
            if child is None:
                child = node.children[seg] = Module(seg, path[: depth + 1], order=i)
            if not child.cls and depth < len(classes) and classes[depth]:
                child.cls = short_class(classes[depth])
            node = child
    sums = module_totals(report, deepest)
    for m in root.walk():
        m.totals = sums.get(m.path, m.totals)
    root.totals = report.total
    return root


def module_totals(report: Report, deepest: int) -> dict[tuple[str, ...], Totals]:
    """Totals of every scope prefix (module path) of the report's nodes, by the report's
    group-by: each shared weight counts once per module."""
    out: dict[tuple[str, ...], Totals] = {}
    for d in range(1, deepest + 1):
        out.update(report.group(_prefix(d)))
    return out


def _prefix(depth: int) -> Callable[[NodeRecord], tuple[str, ...] | None]:
    """The group-by key of one tree level: a node's scope cut to ``depth`` (None: shallower)."""

    def key(r: NodeRecord) -> tuple[str, ...] | None:
        return r.scope_path[:depth] if len(r.scope_path) >= depth else None

    return key


def metric(name: str) -> Callable[[Totals], int]:
    """The ranking function of a metric name (ValueError naming the choices)."""
    if name not in METRICS:
        raise ValueError(f"unknown metric '{name}' (choose from {', '.join(METRICS)})")
    return METRICS[name]


def share(value: int, total: int) -> float:
    """``value`` as a percentage of ``total`` (0 when the total is 0)."""
    return percent(value, total)


def _sorted(children: list[Module], sort: str) -> list[Module]:
    if sort == "order":
        return sorted(children, key=lambda m: m.order)
    if sort == "name":
        return sorted(children, key=lambda m: m.name)
    f = metric(sort)
    return sorted(children, key=lambda m: (-f(m.totals), m.order))


@dataclass(frozen=True)
class Row:
    """A module as one line of a tree table: its depth and how much is folded under it."""

    depth: int
    module: Module
    hidden: int  # modules below it that the depth cut folds away


def rows(root: Module, depth: int = 2, sort: str = "order") -> list[Row]:
    """The tree down to ``depth`` (root at 0), siblings ordered by ``sort``."""
    out: list[Row] = []

    def visit(m: Module, d: int) -> None:
        if d >= depth:
            out.append(Row(d, m, sum(1 for _ in m.walk()) - 1))
            return
        out.append(Row(d, m, 0))
        for c in _sorted(list(m.children.values()), sort):
            visit(c, d + 1)

    visit(root, 0)
    return out


def _is_leaf_of_cut(m: Module, depth: int) -> bool:
    return len(m.path) == depth or (len(m.path) < depth and not m.children)


def cut(root: Module, depth: int) -> list[Module]:
    """The modules the depth cut shows as leaves: those at ``depth`` and shallower
    leaves, in graph order (the root itself when it has no children)."""
    out = [m for m in root.walk() if m is not root and _is_leaf_of_cut(m, depth)]
    return out or [root]


def path_label(m: Module) -> str:
    """A module by its full path: 'layer1/layer1.0 (BasicBlock)'; '(model)' for the root."""
    return ("/".join(m.path) or ROOT_LABEL) + (f" ({m.cls})" if m.cls else "")


def top_modules(root: Module, depth: int, n: int, sort: str = "flops") -> list[Module]:
    """The ``n`` costliest modules of the depth cut by ``sort``: '--by module --top N'."""
    return _sorted(cut(root, depth), "flops" if sort == "order" else sort)[:n]


def module_dict(m: Module, depth: int | None = None) -> dict[str, Any]:
    """A module and its children (down to ``depth`` below the root, all when None) as JSON."""
    d: dict[str, Any] = {
        "name": m.name,
        "path": list(m.path),
        "class": m.cls,
        **m.totals.as_dict(),
        "memory_bytes": m.totals.memory_bytes,
    }
    if depth is None or len(m.path) < depth:
        d["children"] = [module_dict(c, depth) for c in m.children.values()]
    else:
        d["children"] = []
        d["folded"] = sum(1 for _ in m.walk()) - 1
    return d
