"""Recognize PyTorch modules that an ONNX export spells in primitives.

A peer counts ``nn.Linear``, ``nn.LayerNorm`` or ``nn.GELU`` as one module with one
formula; the exported graph holds MatMul + Add, or ReduceMean, Sub, Pow, ReduceMean,
Add, Sqrt, Div, Mul, Add, or Div, Erf, Add, Mul, Mul. Each match becomes a Group: its
first node carries the module's count, its other nodes count nothing in the profile.

Matched here (main graph only; every intermediate tensor must have exactly the one
consumer the pattern expects, so a shared tensor never joins two groups):
- linear: MatMul whose B is a weight (an initializer or Constant), plus the Add of a
  weight bias that is the MatMul's only consumer;
- layernorm: x -> ReduceMean -> Sub(x, ·) -> Pow(·, 2) | Mul(d, d) -> ReduceMean -> Add(eps)
  -> Sqrt -> Div(d, ·) [-> Mul(weight) [-> Add(weight)]];
- gelu: Div(x, √2) | Mul(x, 1/√2) -> Erf -> Add(1) -> Mul(x, ·) and Mul(0.5) in either order;
- silu: Mul(x, Sigmoid(x)).
A BatchNorm folded into the preceding Conv cannot be recovered from the file: the Conv
simply has a bias.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from onnx_cost.model.report import NodeRecord, Report
from onnx_cost.views.conventions.site import numel


@dataclass
class Group:
    """Nodes that together are one PyTorch module."""

    family: str
    nodes: list[int]  # indices into report.nodes; nodes[0] carries the count
    affine: bool = False  # layernorm: a weight multiply follows
    bias: int = 0  # linear: elements of the bias add (0: none)


class Index:
    """The report's graph index (main graph) as node positions in ``report.nodes``,
    and the model's weights (``Report.param_sizes``)."""

    def __init__(self, report: Report) -> None:
        self.pos = {id(r): i for i, r in enumerate(report.nodes)}
        self.graph = report.graph_index("")
        self.weights: Collection[str] = report.param_sizes

    def producer_of(self, tensor: str) -> int:
        """The node writing ``tensor``; -1 for a graph input or a weight."""
        r = self.graph.producer(tensor)
        return -1 if r is None else self.pos[id(r)]

    def consumers(self, tensor: str) -> list[int]:
        return [self.pos[id(r)] for r in self.graph.consumers(tensor)]

    def only_consumer(self, tensor: str) -> int:
        """The one node reading ``tensor``; -1 when none or several do."""
        c = self.graph.consumers(tensor)
        return self.pos[id(c[0])] if len(c) == 1 else -1


def find_groups(report: Report) -> list[Group]:
    """Every pattern match, no node in two groups."""
    nodes, g = report.nodes, Index(report)
    taken: set[int] = set()
    groups: list[Group] = []
    for matcher in (_layernorm, _gelu, _silu, _linear):
        for i, r in enumerate(nodes):
            if r.graph or i in taken:
                continue
            grp = matcher(nodes, g, i)
            if grp is not None and not taken.intersection(grp.nodes):
                taken.update(grp.nodes)
                groups.append(grp)
    return groups


def _op(nodes: list[NodeRecord], i: int, *ops: str) -> bool:
    return i >= 0 and nodes[i].op_type in ops and not nodes[i].domain


def _other(r: NodeRecord, t: str) -> str:
    """The input of a binary node that is not ``t`` ("" when both are ``t``)."""
    a = [n for n in r.input_names[:2] if n != t]
    return a[0] if a else ""


def _out(nodes: list[NodeRecord], i: int) -> str:
    return nodes[i].output_names[0] if nodes[i].output_names else ""


def _linear(nodes: list[NodeRecord], g: Index, i: int) -> Group | None:
    r = nodes[i]
    if not _op(nodes, i, "MatMul") or len(r.input_names) < 2 or r.input_names[1] not in g.weights:
        return None
    grp = Group("linear", [i])
    add = g.only_consumer(_out(nodes, i))
    if _op(nodes, add, "Add") and _other(nodes[add], _out(nodes, i)) in g.weights:
        grp.nodes.append(add)
        grp.bias = numel(nodes[add].outputs[0] if nodes[add].outputs else None) or 0
    return grp


def _layernorm(nodes: list[NodeRecord], g: Index, i: int) -> Group | None:
    if not _op(nodes, i, "ReduceMean"):
        return None
    x, mean = nodes[i].input_names[0], _out(nodes, i)
    sub = g.only_consumer(mean)
    if not _op(nodes, sub, "Sub") or nodes[sub].input_names[:2] != (x, mean):
        return None
    d = _out(nodes, sub)
    uses = g.consumers(d)
    sq = [u for u in uses if _op(nodes, u, "Pow") or (_op(nodes, u, "Mul") and nodes[u].input_names[:2] == (d, d))]
    div = [u for u in uses if _op(nodes, u, "Div") and nodes[u].input_names[0] == d]
    if len(uses) != 2 or len(sq) != 1 or len(div) != 1:
        return None
    chain = [sq[0]]
    for op in ("ReduceMean", "Add", "Sqrt"):
        nxt = g.only_consumer(_out(nodes, chain[-1]))
        if not _op(nodes, nxt, op):
            return None
        chain.append(nxt)
    if g.only_consumer(_out(nodes, chain[-1])) != div[0]:
        return None
    grp = Group("layernorm", [i, sub, *chain, div[0]])
    tail = _out(nodes, div[0])
    for op in ("Mul", "Add"):
        nxt = g.only_consumer(tail)
        if not _op(nodes, nxt, op) or _other(nodes[nxt], tail) not in g.weights:
            break
        grp.nodes.append(nxt)
        grp.affine = True
        tail = _out(nodes, nxt)
    return grp


def _gelu(nodes: list[NodeRecord], g: Index, i: int) -> Group | None:
    if not _op(nodes, i, "Erf"):
        return None
    pre = g.producer_of(nodes[i].input_names[0])
    if not _op(nodes, pre, "Div", "Mul") or g.only_consumer(_out(nodes, pre)) != i:
        return None
    x = nodes[pre].input_names[0]
    add = g.only_consumer(_out(nodes, i))
    m1 = g.only_consumer(_out(nodes, add)) if _op(nodes, add, "Add") else -1
    if not _op(nodes, m1, "Mul"):
        return None
    group = [pre, i, add, m1]
    other = _other(nodes[m1], _out(nodes, add))
    if other == x:  # torch's export: x·(1 + erf), then ·0.5
        m2 = g.only_consumer(_out(nodes, m1))
        return Group("gelu", [*group, m2]) if _op(nodes, m2, "Mul") else None
    half = g.producer_of(other)  # 0.5·x first, as BERT's x * 0.5 * (1 + erf(x / √2))
    if _op(nodes, half, "Mul") and x in nodes[half].input_names and g.only_consumer(other) == m1:
        return Group("gelu", [half, *group])
    return None


def _silu(nodes: list[NodeRecord], g: Index, i: int) -> Group | None:
    if not _op(nodes, i, "Sigmoid"):
        return None
    x, y = nodes[i].input_names[0], _out(nodes, i)
    m = g.only_consumer(y)
    if not _op(nodes, m, "Mul") or set(nodes[m].input_names[:2]) != {x, y}:
        return None
    return Group("silu", [i, m])
