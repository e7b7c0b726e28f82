"""Two reports side by side: totals, per op type and per module deltas, and which
nodes were added, removed or changed (for pruning, quantization, fusion, optimizer
passes).

Nodes are matched by name first (a name unique in both models), then, among the
rest, by (module path, op type) in graph order: the k-th unnamed Conv of
``layer1/conv1`` before is the k-th one after.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from onnx_cost.model.report import NodeRecord, Report, Totals
from onnx_cost.model.totals import sum_records
from onnx_cost.symbolic.binding import Binding
from onnx_cost.text import percent
from onnx_cost.views.scope import full_path, scope_path
from onnx_cost.views.tree import build_tree

# What the diff compares, by name: a Totals -> int.
DIFF_METRICS: dict[str, Callable[[Totals], int]] = {
    "flops": lambda t: t.flops,
    "macs": lambda t: t.macs,
    "int_macs": lambda t: t.int_macs,
    "ops": lambda t: t.ops,
    "params": lambda t: t.params,
    "param_bytes": lambda t: t.param_bytes,
    "memory_bytes": lambda t: t.memory_bytes,
    "nodes": lambda t: t.nodes,
}
NODE_FIELDS = ("op", "precision", "inputs", "outputs", "status")  # besides the metrics


def precision_of(rec: NodeRecord) -> str:
    """The node's compute precision ('' when it does no arithmetic)."""
    return rec.precision


@dataclass(frozen=True)
class Pair:
    """One quantity before and after: a model, an op type or a module."""

    before: Totals
    after: Totals

    def delta(self, metric: str) -> int:
        f = DIFF_METRICS[metric]
        return f(self.after) - f(self.before)

    def percent(self, metric: str) -> float | None:
        """The change as a percentage of before (None when before is 0)."""
        b = DIFF_METRICS[metric](self.before)
        return None if b == 0 else percent(self.delta(metric), b)

    @property
    def changed(self) -> bool:
        return any(self.delta(m) for m in DIFF_METRICS)


@dataclass(frozen=True)
class NodeChange:
    """A node present in one model only, or matched in both."""

    kind: str  # "added", "removed", "changed", "same"
    before: NodeRecord | None
    after: NodeRecord | None
    matched_by: str = ""  # "name", "position" or "" (added/removed)
    fields: tuple[str, ...] = ()  # what differs, for "changed"

    @property
    def label(self) -> str:
        r = self.after or self.before
        assert r is not None
        return r.name or f"{full_path(r)}:{r.op_type}"


@dataclass
class ModelDiff:
    before: Report
    after: Report
    total: Pair
    by_op_type: dict[str, Pair]
    by_module: dict[tuple[str, ...], Pair]  # module path (to the diff's depth) -> totals
    nodes: list[NodeChange]
    precision: tuple[Counter[str], Counter[str]] = field(default_factory=lambda: (Counter(), Counter()))
    depth: int = 2
    views: dict[str, Pair] = field(default_factory=dict)  # e.g. "qdq_fused" when either model has it
    bindings: tuple[Binding, Binding] | None = None  # the dims each model was analyzed at (symbolic.binding)
    interface: list[Any] = field(default_factory=list)  # interface.InterfaceChange: inputs/outputs that differ
    device: Any = None  # diff_device.DeviceDiff with --device

    def of(self, kind: str) -> list[NodeChange]:
        return [c for c in self.nodes if c.kind == kind]


def _pairs(a: dict[Any, Totals], b: dict[Any, Totals]) -> dict[Any, Pair]:
    keys = list(a) + [k for k in b if k not in a]
    return {k: Pair(a.get(k, Totals()), b.get(k, Totals())) for k in keys}


def _modules(report: Report, depth: int) -> dict[tuple[str, ...], Totals]:
    return {m.path: m.totals for m in build_tree(report).walk() if 0 < len(m.path) <= depth}


def _node_fields(a: NodeRecord, b: NodeRecord) -> tuple[str, ...]:
    ta, tb = sum_records([a]), sum_records([b])
    out = [m for m in DIFF_METRICS if m != "nodes" and DIFF_METRICS[m](ta) != DIFF_METRICS[m](tb)]
    facts = {
        "op": (a.op_type, b.op_type),
        "precision": (precision_of(a), precision_of(b)),
        "inputs": (a.inputs, b.inputs),
        "outputs": (a.outputs, b.outputs),
        "status": (a.status, b.status),
    }
    out += [k for k in NODE_FIELDS if facts[k][0] != facts[k][1]]
    return tuple(out)


def view_totals(report: Report) -> dict[str, Totals]:
    """The totals of each alternative counting (view) of a report, by name."""
    return {k: v.total for k, v in report.views.items()}


def match_nodes(before: list[NodeRecord], after: list[NodeRecord]) -> list[NodeChange]:
    """Pair the records of two models: by unique name, then by (module, op type, rank)."""
    names_a = Counter(r.name for r in before if r.name)
    names_b = Counter(r.name for r in after if r.name)
    unique = {n for n in names_a if names_a[n] == 1 and names_b.get(n) == 1}
    by_name = {r.name: r for r in after if r.name in unique}
    pairs: list[tuple[NodeRecord | None, NodeRecord | None, str]] = []
    rest_a = []
    for r in before:
        if r.name in unique:
            pairs.append((r, by_name[r.name], "name"))
        else:
            rest_a.append(r)
    slots: dict[tuple[tuple[str, ...], str, str], list[NodeRecord]] = {}
    for r in after:
        if r.name not in unique:
            slots.setdefault((scope_path(r), r.domain, r.op_type), []).append(r)
    for r in rest_a:
        queue = slots.get((scope_path(r), r.domain, r.op_type))
        pairs.append((r, queue.pop(0), "position") if queue else (r, None, ""))
    matched = {id(b) for _, b, _ in pairs if b is not None}
    pairs += [(None, r, "") for r in after if id(r) not in matched]
    out = []
    for a, b, how in pairs:
        if a is None:
            out.append(NodeChange("added", None, b))
        elif b is None:
            out.append(NodeChange("removed", a, None))
        else:
            f = _node_fields(a, b)
            out.append(NodeChange("changed" if f else "same", a, b, how, f))
    return out


def diff(before: Report, after: Report, depth: int = 2, bindings: tuple[Binding, Binding] | None = None) -> ModelDiff:
    """Compare two analyses; modules are compared down to ``depth`` levels; ``bindings``:
    the dims each was analyzed at, for the output to say."""
    va, vb = view_totals(before), view_totals(after)
    # A view one model lacks counts as that model's plain totals (an fp32 model's
    # "QDQ fused" view is the model itself).
    views = {k: Pair(va.get(k, before.total), vb.get(k, after.total)) for k in [*va, *(k for k in vb if k not in va)]}
    prec = (Counter(precision_of(r) for r in before.nodes if precision_of(r)),
            Counter(precision_of(r) for r in after.nodes if precision_of(r)))
    return ModelDiff(
        before=before,
        after=after,
        total=Pair(before.total, after.total),
        by_op_type=_pairs(before.by_op_type, after.by_op_type),
        by_module=_pairs(_modules(before, depth), _modules(after, depth)),
        nodes=match_nodes(before.nodes, after.nodes),
        precision=prec,
        depth=depth,
        views=views,
        bindings=bindings,
    )
