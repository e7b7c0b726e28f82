"""Where each node of a report sits in the graph viewers' graphs: the graph id and node id
Model Explorer's ONNX adapter gives it, and the name Netron keys it by.

Both viewers read the model file itself, not our (function-inlined) copy, so the places are
worked out on the model as written. Model Explorer's ONNX adapter (model-explorer-onnx
0.4.2, ``model_explorer_onnx/main.py`` and ``_passes.py``; docs/reports.md cites the
commits) names things this way, and ``explorer`` does the same:

- the main graph's id is ``GraphProto.name`` (``""`` when the file leaves it empty);
- node ids are node names after onnx-ir's ``NameFixPass``: an unnamed node becomes
  ``node``, ``node_1``, ... and a second node of an existing name ``NAME_1``, unique per
  graph, one counter per base name across the whole graph tree;
- an ``If`` (default domain) is flattened into the graph that holds it: its branch nodes
  become ``<if id>/<then_branch|else_branch>/<node id>`` there (``EmbedIfPass``);
- each single-graph attribute (a ``Loop`` or ``Scan`` body) of a node of the main graph is a
  graph of its own, ``<node id>/<attribute>``; bodies nested deeper are not shown;
- a model-local function is a graph ``[function]<domain>::<name>[::<overload>]``; the call
  node in the main graph stays one node.

Netron keys a node by its name alone (``view.js``: ``node::<name>``), so an unnamed node or
a name used twice cannot be told apart there.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from typing import NamedTuple

import onnx

from onnx_cost.analyzer.functions import CALL_KEY, MAX_DEPTH
from onnx_cost.model.report import NodeRecord

_GRAPH = onnx.AttributeProto.GRAPH
_GRAPHS = onnx.AttributeProto.GRAPHS


class Target(NamedTuple):
    """One node as a viewer shows it, and the records whose costs it carries (one, or
    every node a function call was inlined into). A named tuple: one is made per node of
    the file, and a frozen dataclass costs several times more to make."""

    graph: str | None  # Model Explorer's graph id; None: the adapter does not show this node
    node: str  # Model Explorer's node id
    name: str  # the node's name in the file (Netron's key); "" when unnamed
    records: tuple[int, ...]  # indices into report.nodes


_target = tuple.__new__


def _unique(preferred: str, used: set[str], counter: Counter[str]) -> str:
    """onnx-ir's ``_find_and_record_next_unique_name``."""
    name = preferred
    while name in used:
        counter[preferred] += 1
        name = f"{preferred}_{counter[preferred]}"
    used.add(name)
    return name


def _subgraphs(node: onnx.NodeProto) -> Iterator[onnx.GraphProto]:
    for a in node.attribute:
        if a.type == _GRAPH:
            yield a.g
        elif a.type == _GRAPHS:
            yield from a.graphs


def fixed_name(n: onnx.NodeProto, used: set[str], counter: Counter[str]) -> str:
    """``NameFixPass``'s name for node ``n`` of a graph whose names so far are ``used``. The
    pass walks the graph tree depth first (a node, then its subgraphs), names unique per
    graph, ``counter`` shared by the whole tree: callers walk in that order."""
    if not n.name:
        return _unique("node", used, counter)
    if n.name in used:
        return _unique(n.name, used, counter)
    used.add(n.name)
    return n.name


def fixed_names(nodes: Sequence[onnx.NodeProto], counter: Counter[str]) -> list[str]:
    """``fixed_name`` of every node of one graph, its subgraphs walked for the counter."""
    used: set[str] = set()
    out = []
    for n in nodes:
        out.append(fixed_name(n, used, counter))
        for g in _subgraphs(n):
            fixed_names(g.node, counter)
    return out


def function_graph_id(f: onnx.FunctionProto) -> str:
    """The adapter's graph id of a local function (``get_function_graph_name``)."""
    gid = f"[function]{f.domain}::{f.name}"
    overload = getattr(f, "overload", "")
    return f"{gid}::{overload}" if overload else gid


class _Places:
    """The walk over the file's graphs that pairs each node with its records."""

    def __init__(self, proto: onnx.ModelProto, records: Sequence[NodeRecord]) -> None:
        self.funcs = {(f.domain, f.name, getattr(f, "overload", "")): f for f in proto.functions}
        # our inliner names and tags every inlined node; onnx's (bodies with subgraphs) does not
        self.inlined = not any(a.type in (_GRAPH, _GRAPHS) for f in proto.functions for n in f.node
                               for a in n.attribute)
        self.by_call: dict[str, list[int]] = defaultdict(list)  # call label -> its inlined records
        self.by_name: dict[tuple[str, str], int] = {}  # (call label, name) -> the inlined record
        by_node: dict[tuple[str, str, tuple[str, ...]], list[int]] = defaultdict(list)
        for i, r in enumerate(records):
            call = r.metadata.get(CALL_KEY) if r.metadata else None
            if call is not None and r.graph == "":
                self.by_call[call].append(i)
                self.by_name[(call, r.name)] = i
            else:
                by_node[(r.graph, r.name, r.output_names)].append(i)
        self.by_node = {k: tuple(v) for k, v in by_node.items()}
        self.counter = [0]  # our inliner's label counter for unnamed calls (functions._inline_call)
        self.calls: dict[tuple[str, str, str], list[str]] = defaultdict(list)  # function -> call labels
        self.counter_names: Counter[str] = Counter()  # NameFixPass's, for the main graph's tree
        self.targets: list[Target] = []

    def function_of(self, n: onnx.NodeProto) -> onnx.FunctionProto | None:
        return self.funcs.get((n.domain, n.op_type, getattr(n, "overload", "")))

    def call_records(self, label: str) -> tuple[int, ...]:
        """The records of a call and of the calls nested in it (labels ``label/...``)."""
        return tuple(i for k, v in self.by_call.items() if k == label or k.startswith(label + "/") for i in v)

    def note_calls(self, f: onnx.FunctionProto, label: str, depth: int) -> None:
        """Record ``label`` as a call of ``f`` and number the calls its body makes, as our
        inliner does (depth first)."""
        self.calls[(f.domain, f.name, getattr(f, "overload", ""))].append(label)
        if depth >= MAX_DEPTH:
            return
        for k, bn in enumerate(f.node):
            inner = self.function_of(bn)
            if inner is not None:
                self.counter[0] += 1
                self.note_calls(inner, f"{label}/{bn.name or f'{bn.op_type}_{k}'}", depth + 1)

    def layout(self, nodes: Sequence[onnx.NodeProto], path: str, gid: str | None, prefix: str, main: bool) -> None:
        """Place ``nodes`` (our graph path ``path``) in adapter graph ``gid`` with ids
        ``prefix + fixed name``; ``main``: ``gid`` is the main graph."""
        used: set[str] = set()
        calls = path == "" and self.inlined and bool(self.funcs)
        records, append = self.by_node.get, self.targets.append  # (read once: a lookup a node counts here)
        for n in nodes:
            name = n.name
            if name and name not in used:  # fixed_name's common case, inline
                used.add(name)
                nid = prefix + name
            else:
                nid = prefix + fixed_name(n, used, self.counter_names)
            f = self.function_of(n) if calls else None
            if f is not None:  # a main-graph call, inlined: its records carry its label
                self.counter[0] += 1
                label = name or f"{f.name}_{self.counter[0]}"
                self.note_calls(f, label, 1)
                recs = self.call_records(label)
            else:
                recs = records((path, name, tuple(n.output)), ())
            append(_target(Target, (gid, nid, name, recs)))  # Target(gid, nid, name, recs), without its __new__
            attributes = n.attribute
            if not attributes:
                continue
            label = name or n.op_type  # walk._control's name for the subgraph path
            for a in attributes:
                if a.type == _GRAPHS:  # not shown by the adapter, but named by its pass
                    for g in a.graphs:
                        fixed_names(g.node, self.counter_names)
                if a.type != _GRAPH:
                    continue
                child = f"{path}/{label}/{a.name}" if path else f"{label}/{a.name}"
                if n.op_type == "If" and n.domain == "":
                    self.layout(a.g.node, child, gid, f"{nid}/{a.name}/", main)
                elif main and gid is not None:
                    self.layout(a.g.node, child, f"{nid}/{a.name}", "", False)
                else:
                    self.layout(a.g.node, child, None, "", False)

    def functions(self) -> None:
        """The function graphs: each body node carries its records summed over every call."""
        if not self.inlined:
            return
        for key, f in self.funcs.items():
            fixed = fixed_names(f.node, Counter())
            gid = function_graph_id(f)
            labels = self.calls.get(key, [])
            for k, bn in enumerate(f.node):
                recs: list[int] = []
                for label in labels:
                    inlined = f"{label}/{bn.name or f'{bn.op_type}_{k}'}"
                    if self.function_of(bn) is not None:
                        recs.extend(self.call_records(inlined))
                    elif (label, inlined) in self.by_name:
                        recs.append(self.by_name[(label, inlined)])
                self.targets.append(Target(gid, fixed[k], bn.name, tuple(recs)))


def targets(proto: onnx.ModelProto, records: Sequence[NodeRecord]) -> list[Target]:
    """Every node of the model file (main graph, subgraphs, function bodies) as the viewers
    show it, with the indices of ``records`` (a report of that file) it carries."""
    p = _Places(proto, records)
    p.layout(proto.graph.node, "", proto.graph.name, "", True)
    p.functions()
    return p.targets
