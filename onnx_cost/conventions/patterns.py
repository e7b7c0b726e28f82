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

from dataclasses import dataclass, field

from ..analyzer.report import NodeRecord


@dataclass
class Group:
    """Nodes that together are one PyTorch module."""

    family: str
    nodes: list[int]  # indices into report.nodes; nodes[0] carries the count
    affine: bool = False  # layernorm: a weight multiply follows
    bias: int = 0  # linear: elements of the bias add (0: none)


@dataclass
class GraphIndex:
    """Producer and consumers of every tensor of the main graph, and its weights."""

    producer: dict[str, int] = field(default_factory=dict)
    consumers: dict[str, list[int]] = field(default_factory=dict)
    weights: set[str] = field(default_factory=set)

    @classmethod
    def build(cls, nodes: list[NodeRecord], graph_inputs: set[str]) -> GraphIndex:
        g = cls()
        for i, r in enumerate(nodes):
            if r.graph:
                continue
            for t in r.output_names:
                if t:
                    g.producer[t] = i
            for t in r.input_names:
                if t:
                    g.consumers.setdefault(t, []).append(i)
        for i, r in enumerate(nodes):
            if r.graph:
                continue
            for t in r.input_names:
                p = g.producer.get(t)
                if t and t not in graph_inputs and (p is None or nodes[p].op_type == "Constant"):
                    g.weights.add(t)
        return g

    def only_consumer(self, tensor: str) -> int | None:
        c = self.consumers.get(tensor, [])
        return c[0] if len(c) == 1 else None


def find_groups(nodes: list[NodeRecord], graph_inputs: set[str]) -> list[Group]:
    """Every pattern match, no node in two groups."""
    g = GraphIndex.build(nodes, graph_inputs)
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


def _op(nodes: list[NodeRecord], i: int | None, *ops: str) -> bool:
    return i is not None and nodes[i].op_type in ops and not nodes[i].domain


def _other(r: NodeRecord, t: str) -> str:
    """The input of a binary node that is not ``t`` ("" when both are ``t``)."""
    a = [n for n in r.input_names[:2] if n != t]
    return a[0] if a else ""


def _linear(nodes: list[NodeRecord], g: GraphIndex, i: int) -> Group | None:
    r = nodes[i]
    if not _op(nodes, i, "MatMul") or len(r.input_names) < 2 or r.input_names[1] not in g.weights:
        return None
    grp = Group("linear", [i])
    add = g.only_consumer(r.output_names[0])
    if _op(nodes, add, "Add") and _other(nodes[add], r.output_names[0]) in g.weights:  # type: ignore[index]
        out = nodes[add].outputs[0]  # type: ignore[index]
        grp.nodes.append(add)  # type: ignore[arg-type]
        grp.bias = _numel(out)
    return grp


def _layernorm(nodes: list[NodeRecord], g: GraphIndex, i: int) -> Group | None:
    if not _op(nodes, i, "ReduceMean"):
        return None
    x = nodes[i].input_names[0]
    sub = g.only_consumer(nodes[i].output_names[0])
    if not _op(nodes, sub, "Sub") or nodes[sub].input_names[:2] != (x, nodes[i].output_names[0]):  # type: ignore[index]
        return None
    d = nodes[sub].output_names[0]  # type: ignore[index]
    uses = g.consumers.get(d, [])
    sq = [u for u in uses if _op(nodes, u, "Pow") or (_op(nodes, u, "Mul") and nodes[u].input_names[:2] == (d, d))]
    div = [u for u in uses if _op(nodes, u, "Div") and nodes[u].input_names[0] == d]
    if len(uses) != 2 or len(sq) != 1 or len(div) != 1:
        return None
    chain = [sq[0]]
    for op in ("ReduceMean", "Add", "Sqrt"):
        nxt = g.only_consumer(nodes[chain[-1]].output_names[0])
        if not _op(nodes, nxt, op):
            return None
        chain.append(nxt)  # type: ignore[arg-type]
    if g.only_consumer(nodes[chain[-1]].output_names[0]) != div[0]:
        return None
    grp = Group("layernorm", [i, sub, *chain, div[0]])
    tail = nodes[div[0]].output_names[0]
    for op in ("Mul", "Add"):
        nxt = g.only_consumer(tail)
        if not _op(nodes, nxt, op) or _other(nodes[nxt], tail) not in g.weights:  # type: ignore[index]
            break
        grp.nodes.append(nxt)  # type: ignore[arg-type]
        grp.affine = True
        tail = nodes[nxt].output_names[0]  # type: ignore[index]
    return grp


def _gelu(nodes: list[NodeRecord], g: GraphIndex, i: int) -> Group | None:
    if not _op(nodes, i, "Erf"):
        return None
    pre = g.producer.get(nodes[i].input_names[0])
    if pre is None or not _op(nodes, pre, "Div", "Mul") or g.only_consumer(nodes[pre].output_names[0]) != i:
        return None
    x = nodes[pre].input_names[0]
    add = g.only_consumer(nodes[i].output_names[0])
    m1 = None if add is None or not _op(nodes, add, "Add") else g.only_consumer(nodes[add].output_names[0])
    if m1 is None or add is None or not _op(nodes, m1, "Mul"):
        return None
    group = [pre, i, add, m1]
    other = _other(nodes[m1], nodes[add].output_names[0])
    if other == x:  # torch's export: x·(1 + erf) then ·0.5
        m2 = g.only_consumer(nodes[m1].output_names[0])
        if m2 is None or not _op(nodes, m2, "Mul"):
            return None
        return Group("gelu", group + [m2])
    half = g.producer.get(other)  # 0.5·x computed first (BERT's x * 0.5 * (1 + erf))
    if half is not None and _op(nodes, half, "Mul") and x in nodes[half].input_names and g.only_consumer(other) == m1:
        return Group("gelu", [half, *group])
    return None


def _silu(nodes: list[NodeRecord], g: GraphIndex, i: int) -> Group | None:
    if not _op(nodes, i, "Sigmoid"):
        return None
    x = nodes[i].input_names[0]
    m = g.only_consumer(nodes[i].output_names[0])
    if not _op(nodes, m, "Mul") or set(nodes[m].input_names[:2]) != {x, nodes[i].output_names[0]}:  # type: ignore[index]
        return None
    return Group("silu", [i, m])  # type: ignore[list-item]


def _numel(shape: tuple | None) -> int:
    if shape is None or any(type(d) is not int for d in shape):
        return 0
    n = 1
    for d in shape:
        n *= d
    return n
