"""A graph's nodes in dependency order, and the names each node reads.

Exporters write nodes already sorted: one pass checks that, and only a graph
that is not (or that produces a name twice, or reads one nobody provides) takes
the full sort, which also says precisely what is wrong.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

import onnx

from onnx_cost.errors import InvalidGraphError

_GRAPH = onnx.AttributeProto.GRAPH
_GRAPHS = onnx.AttributeProto.GRAPHS


def sort(graph: onnx.GraphProto, known: Iterable[str]) -> tuple[list[onnx.NodeProto], bool]:
    """The nodes in dependency order (file order where it allows), and whether that is
    the file's order; a cycle, a dangling input or a tensor produced twice is an
    InvalidGraphError. ``known``: the names inputs, initializers and outer scopes provide."""
    nodes = list(graph.node)
    if _sorted(nodes, known):
        return nodes, True
    order = _sort(graph, nodes, known)
    return order, order is nodes


def _sorted(nodes: list[onnx.NodeProto], known: Iterable[str]) -> bool:
    """True when every node reads only names provided before it and no name is produced
    twice (nor produced where an input or initializer already provides it)."""
    seen = set(known)
    seen.add("")  # an empty input is an omitted optional one
    issuperset = seen.issuperset
    for n in nodes:
        if not issuperset(n.input):
            return False
        if n.attribute and not issuperset(graph_reads(n)):
            return False
        for o in n.output:
            if o:
                if o in seen:
                    return False
                seen.add(o)
    return True


def _sort(graph: onnx.GraphProto, nodes: list[onnx.NodeProto], known: Iterable[str]) -> list[onnx.NodeProto]:
    """The full topological sort (a heap on file positions), with the precise refusals."""
    producer: dict[str, int] = {}
    for i, n in enumerate(nodes):
        for o in n.output:
            if not o:
                continue
            if o in producer:
                raise InvalidGraphError(
                    f"graph '{graph.name}': tensor '{o}' is produced twice "
                    f"(nodes '{nodes[producer[o]].name}' and '{n.name}')"
                )
            producer[o] = i
    avail = set(known)
    waiting = [0] * len(nodes)
    users: dict[int, list[int]] = {}
    in_order = True
    for i, n in enumerate(nodes):
        deps: set[int] = set()
        for name in reads(n):
            p = producer.get(name)
            if p is not None:
                deps.add(p)
                in_order = in_order and p < i
            elif name not in avail:
                raise InvalidGraphError(
                    f"node '{n.name or n.op_type}' ({n.op_type}) reads '{name}', which no node, "
                    f"input or initializer of graph '{graph.name or 'main'}' provides"
                )
        waiting[i] = len(deps)
        for d in deps:
            users.setdefault(d, []).append(i)
    if in_order:
        return nodes
    heap = [i for i in range(len(nodes)) if waiting[i] == 0]
    heapq.heapify(heap)
    order: list[int] = []
    while heap:
        i = heapq.heappop(heap)
        order.append(i)
        for u in users.get(i, ()):
            waiting[u] -= 1
            if waiting[u] == 0:
                heapq.heappush(heap, u)
    if len(order) != len(nodes):
        stuck = next(nodes[i] for i in range(len(nodes)) if waiting[i] > 0)
        raise InvalidGraphError(
            f"graph '{graph.name or 'main'}' has a cycle through node '{stuck.name or stuck.op_type}' ({stuck.op_type})"
        )
    return [nodes[i] for i in order]


def reads(n: onnx.NodeProto) -> list[str]:
    """Names a node reads: its inputs and the outer-scope names its subgraphs read."""
    names = [x for x in n.input if x]
    if n.attribute:
        names.extend(graph_reads(n))
    return names


def graph_reads(n: onnx.NodeProto) -> list[str]:
    """The outer-scope names the node's subgraphs (graph attributes) read."""
    names: list[str] = []
    for a in n.attribute:
        if a.type == _GRAPH:
            names.extend(_outer_reads(a.g))
        elif a.type == _GRAPHS:
            for g in a.graphs:
                names.extend(_outer_reads(g))
    return names


def _outer_reads(g: onnx.GraphProto) -> list[str]:
    local = {i.name for i in g.input} | {t.name for t in g.initializer}
    for n in g.node:
        local.update(o for o in n.output if o)
    return [x for x in _all_reads(g) if x not in local]


def _all_reads(g: onnx.GraphProto) -> list[str]:
    out: list[str] = []
    for n in g.node:
        out.extend(reads(n))
    out.extend(o.name for o in g.output)
    return out
