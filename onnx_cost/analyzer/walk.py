"""Walk a graph (and its subgraphs) and dispatch every node to its rule."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from sys import intern
from typing import Any, cast

import onnx

from onnx_cost.analyzer.attrs import decode
from onnx_cost.analyzer.bindings import condition_source
from onnx_cost.analyzer.count import Facts, Memo, invalid, looks, printable_detail
from onnx_cost.analyzer.params import LEARNED_ATTRS, learned_sizes
from onnx_cost.analyzer.scope import ScopeParser
from onnx_cost.analyzer.shapes import CONTROL_FLOW, GraphShapes, NodeRead
from onnx_cost.model.report import (
    COUNTED,
    LARGER,
    NOT_TAKEN,
    SHAPE_UNKNOWN,
    SMALLER,
    TAKEN,
    ZERO,
    DataIf,
    NodeRecord,
    nested_branch,
    record_of,
)
from onnx_cost.rules.cost import ZERO as NO_COST
from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import NodeView, nbytes, numel
from onnx_cost.rules.registry import norm_domain


def node_attrs(node: onnx.NodeProto, version: int) -> Mapping[str, Any]:
    """The node's decoded attributes, schema defaults applied (attrs.decode; read-only)."""
    domain = norm_domain(node.domain)
    return decode(node, version, domain)[0]


_LEARNED_OPS = frozenset(op for _, op in LEARNED_ATTRS)  # learned_sizes checks the domain too
_NO_METADATA: dict[str, str] = {}  # shared by the records of nodes without metadata: read-only


class Walker:
    """Turns a graph's shapes into node records, recursing into control flow.

    Each record is built once, with its final weight and branch state, and never
    changed; only the records of the smaller branch of an If whose condition is data
    are replaced (by copies at weight 0) once both branches are known."""

    def __init__(self, opsets: dict[str, int]) -> None:
        self.opsets = opsets
        self.records: list[NodeRecord] = []
        self._scopes = ScopeParser()
        self._count = Memo()
        self.data_ifs: list[DataIf] = []  # Ifs on runtime data, as met
        self._enclosing: list[GraphShapes] = []  # the graphs being walked, outermost first
        self.logical: Mapping[str, tuple[int, int]] = {}  # params whose weights are not their elements (packed)

    def walk(
        self, gs: GraphShapes, graph_path: str = "", scale: int = 1, per_iter: bool = False, branch: str = ""
    ) -> Cost:
        """Append records for every node of ``gs`` (and of its subgraphs), each counting
        ``scale`` times unless ``branch`` says it never runs. Inside a subgraph, returns
        the graph's cost per execution (the main graph's sum is not needed: NO_COST)."""
        total = NO_COST
        sub = graph_path != ""
        self._enclosing.append(gs)
        weights = self._weights(gs)
        for node in gs.order:
            c = self._node(node, gs, weights, graph_path, scale, per_iter, branch)
            if sub:
                total = total + c
        self._enclosing.pop()
        return total

    def _weights(self, gs: GraphShapes) -> dict[str, tuple[int, int]]:
        """(elements, bytes) of each param of the graph itself whose shape is known (a packed
        one: the weights it holds, ``logical``): what a node reading it counts in its params."""
        local = getattr(gs.tensors, "maps", [gs.tensors])[0]  # a graph's params are its own tensors
        out: dict[str, tuple[int, int]] = {}
        for name in gs.params:
            t = local.get(name)
            if t is not None and t.static and t.known:
                packed = self.logical.get(name)
                if packed is None:
                    n = numel(t.shape)  # known: every dim is an int
                    packed = (n, nbytes(n, t.bits))
                out[name] = packed
        return out

    def _node(
        self, node: onnx.NodeProto, gs: GraphShapes, weights: Mapping[str, tuple[int, int]], graph_path: str,
        scale: int, per_iter: bool, branch: str,
    ) -> Cost:
        """Record one node; its cost per execution of the graph (control flow: its bodies');
        ``weights``: ``_weights(gs)``."""
        name = node.name
        at = id(node)
        read = gs.reads.pop(at, None)  # what the shape pass read of the node: read once, freed as walked
        (attrs, bad_attrs), (domain, op_type), version, in_names, out_names = read or self._read(node)
        get = gs.tensors.get
        ins = tuple([get(n) if n else None for n in in_names])
        outs = tuple([get(n) if n else None for n in out_names])
        flow = op_type in CONTROL_FLOW and domain == "" and not bad_attrs
        if flow:  # its record goes before its bodies' records: keep the slot
            slot = len(self.records)
            self.records.append(None)  # type: ignore[arg-type]  # filled below, before anyone reads it
            c = printable_detail(self._control(node, gs, graph_path, scale, per_iter, branch))
            prec, shown = "", looks(NodeView(name, op_type, domain, version, attrs, ins, outs))
        elif bad_attrs:  # malformed attributes (attrs.decode): invalid, whatever the op
            view = NodeView(name, op_type, domain, version, attrs, ins, outs)
            c, prec, shown = printable_detail(invalid(view, bad_attrs)), "", looks(view)
        else:  # the rule sees a NodeView of these, built only when the memo does not know it
            c, prec, shown = self._count.of(name, op_type, domain, version, attrs, ins, outs, gs.node_errors.get(at))
        params = pbytes = 0
        for tensor in in_names:
            size = weights.get(tensor)
            if size is not None:
                params += size[0]
                pbytes += size[1]
        # ai.onnx.ml parameters held in attributes
        learned = learned_sizes(node) if op_type in _LEARNED_OPS else (0, 0)
        metadata = {p.key: p.value for p in node.metadata_props} if len(node.metadata_props) else _NO_METADATA
        path, classes, scope = self._scopes.scope(name, metadata)
        rec = record_of(  # NodeRecord's fields, in order
            name, op_type, domain, scope, graph_path,  # name ... graph
            in_names, out_names, shown[0], shown[1], shown[2],  # input_names ... dtype
            c.status, c.cost, params + learned[0], pbytes + learned[1], learned[0], learned[1],  # status ... learned
            0 if branch in (SMALLER, NOT_TAKEN) else scale,  # weight
            c.detail, c.missing, c.bytes_partial, per_iter,  # detail (printable already) ... per_iteration
            metadata, path, classes, prec, branch, c.trips,  # metadata ... trips
        )
        if flow:
            self.records[slot] = rec
        else:
            self.records.append(rec)
        return c.unit if flow else c.cost

    def _read(self, node: onnx.NodeProto) -> NodeRead:
        """The node read as the shape pass reads it (a node it did not see: never in practice)."""
        domain = norm_domain(node.domain)
        version = self.opsets.get(domain, 1)
        return (decode(node, version, domain), (domain, intern(node.op_type)), version, tuple(node.input),
                tuple(node.output))

    def _control(
        self, node: onnx.NodeProto, gs: GraphShapes, graph_path: str, scale: int, per_iter: bool, branch: str
    ) -> Facts:
        """If: count the taken branch (static condition) or the larger. Loop/Scan: the body times the trip count."""
        prefix = f"{graph_path}/" if graph_path else ""
        label = node.name or node.op_type
        none = Cost(read_bytes=0, write_bytes=0)
        if node.op_type == "If":
            subs = [(k, gs.subgraphs.get((id(node), k))) for k in ("then_branch", "else_branch")]
            if any(s is None for _, s in subs):
                return Facts(SHAPE_UNKNOWN, none, "branch missing")
            cond = view_cond(node, gs)
            starts, costs, ifs = [], [], []
            for b, (key, sub) in enumerate(subs):
                state = LARGER if cond is None else TAKEN if b == (0 if cond else 1) else NOT_TAKEN
                starts.append(len(self.records))
                ifs.append(len(self.data_ifs))
                path = f"{prefix}{label}/{key}"
                costs.append(self.walk(cast(GraphShapes, sub), path, scale, per_iter, nested_branch(branch, state)))
            starts.append(len(self.records))
            ifs.append(len(self.data_ifs))
            if cond is not None:  # a static condition: only the taken branch runs
                pick = 0 if cond else 1
            else:
                pick = 0 if costs[0].flops + costs[0].int_ops >= costs[1].flops + costs[1].int_ops else 1
                self._demote(starts[1 - pick], starts[2 - pick])
                for i in range(ifs[1 - pick], ifs[2 - pick]):  # the Ifs on data of the smaller branch: not counted
                    self.data_ifs[i] = replace(self.data_ifs[i], weight=0)
                # branches of equal cost, every node counted, leave the totals exact: no bound to state
                equal = costs[0] == costs[1] and all(
                    self.records[i].status in (COUNTED, ZERO) for i in range(starts[0], starts[2]))
                if branch != NOT_TAKEN and not equal:
                    orders = [g.order for g in self._enclosing]
                    source = condition_source(node.input[0] if node.input else "", orders, gs.tensors)
                    weight = 0 if branch == SMALLER else scale
                    self.data_ifs.append(DataIf(label, graph_path, source, costs[0], costs[1],
                                                "then" if pick == 0 else "else", weight))
            why = "the larger"
            if cond is not None:
                why = "--branch" if id(node) in gs.chosen else "the static condition"
            detail = (
                f"then {costs[0].flops} FLOPs, else {costs[1].flops} FLOPs: "
                f"{'then' if pick == 0 else 'else'} ({why}) counted"
                + ("" if cond is not None else ": an upper bound, the condition is runtime data")
            )
            return Facts(COUNTED, none, detail, unit=costs[pick])
        sub = gs.subgraphs.get((id(node), "body"))
        if sub is None:
            return Facts(SHAPE_UNKNOWN, none, "body missing")
        trips = gs.trip_counts.get(id(node))
        k = 1 if trips is None else trips
        body = self.walk(sub, f"{prefix}{label}/body", scale * k, per_iter or trips is None, branch)
        if node.op_type == "SequenceMap":
            detail, trips = "body counted once per sequence element: the sequence length is data", None
        elif trips is None:
            detail = "body counted once per iteration: trip count unknown"
        else:
            detail = f"body x {trips} iterations"
        return Facts(COUNTED, none, detail, unit=body.scaled(k), trips=trips)

    def _demote(self, start: int, end: int) -> None:
        """The records of the smaller branch, replaced by copies that do not count."""
        for i in range(start, end):
            r = self.records[i]
            if r.branch != NOT_TAKEN and r.branch != SMALLER:
                self.records[i] = replace(r, weight=0, branch=SMALLER)


def view_cond(node: onnx.NodeProto, gs: GraphShapes) -> bool | None:
    """The If condition when its value is static (or the user chose it: --branch), else None."""
    if id(node) in gs.chosen:
        return gs.chosen[id(node)]
    t = gs.tensors.get(node.input[0]) if node.input else None
    if t is None or t.value is None or getattr(t.value, "size", 0) != 1:
        return None
    return bool(t.value.reshape(-1)[0])


