"""Walk a graph (and its subgraphs) and dispatch every node to its rule."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import onnx

from ..errors import printable
from ..rules import load_all, lookup
from ..rules.cost import Cost
from ..rules.node import NodeView, RuleError, ShapeUnknown, TensorInfo, nbytes, numel
from ..rules.registry import UNCOUNTABLE
from .attrs import decode
from .params import learned_sizes
from .report import COUNTED, INVALID, SHAPE_UNKNOWN, UNCOUNTED, ZERO, NodeRecord
from .shapes import CONTROL_FLOW, GraphShapes


def node_attrs(node: onnx.NodeProto, version: int) -> Mapping[str, Any]:
    """The node's decoded attributes, schema defaults applied (attrs.decode; read-only)."""
    domain = "" if node.domain in ("", "ai.onnx") else node.domain
    return decode(node, version, domain)[0]


_NO_METADATA: dict[str, str] = {}  # shared by the records of nodes without metadata: read-only


def scope_of(node: onnx.NodeProto) -> str:
    """The module scope in an exporter's node name: '/layer1/layer1.0/conv1/Conv' -> '/layer1/layer1.0/conv1'."""
    if len(node.metadata_props):
        for p in node.metadata_props:
            if p.key in ("pkg.torch.onnx.name_scopes", "namespace", "scope"):
                return p.value
        for p in node.metadata_props:
            if p.key == "onnx_cost.function_call":  # inlined from a local function: the call is the scope
                return p.value
    name = node.name
    if "/" in name:
        return name.rsplit("/", 1)[0]
    return ""


def _io_bytes(ts: tuple[TensorInfo | None, ...]) -> tuple[int, bool]:
    total, partial = 0, False
    for t in ts:
        if t is None:
            continue
        if t.known and t.bits:
            total += nbytes(numel(t.shape), t.bits)  # type: ignore[arg-type]  # known: every dim is an int
        else:
            partial = True
    return total, partial


class Walker:
    """Turns a graph's shapes into node records, recursing into control flow."""

    def __init__(self, opsets: dict[str, int]) -> None:
        load_all()
        self.opsets = opsets
        self.records: list[NodeRecord] = []

    def walk(self, gs: GraphShapes, graph_path: str = "", weight: int = 1, per_iter: bool = False) -> None:
        """Append records for every node of ``gs`` (and of its subgraphs)."""
        for node in gs.order:
            rec = self._node(node, gs, graph_path, weight, per_iter)
            rec.detail = printable(rec.detail, 500)

    def _branch_cost(self, start: int) -> Cost:
        """The weighted cost of the records appended since ``start``."""
        total = Cost()
        for r in self.records[start:]:
            if r.weight:
                total = total + r.cost.scaled(r.weight)
        return total

    def _view(self, node: onnx.NodeProto, gs: GraphShapes) -> tuple[NodeView, str]:
        """The rule's view of ``node`` (attributes as the shape pass decoded them) and ""
        or why its attributes make it invalid."""
        domain = "" if node.domain in ("", "ai.onnx") else node.domain
        version = self.opsets.get(domain, 1)
        decoded = gs.attrs.get(id(node))
        attrs, bad = decoded if decoded is not None else decode(node, version, domain)
        get = gs.tensors.get
        ins = tuple([get(n) if n else None for n in node.input])
        outs = tuple([get(n) if n else None for n in node.output])
        return NodeView(node.name, node.op_type, domain, version, attrs, ins, outs), bad

    def _node(self, node: onnx.NodeProto, gs: GraphShapes, graph_path: str, weight: int, per_iter: bool) -> NodeRecord:
        view, bad_attrs = self._view(node, gs)
        params = pbytes = 0
        for name, t in zip(node.input, view.inputs):
            if t is not None and name in gs.params and t.known:
                n = numel(t.shape)  # type: ignore[arg-type]  # known: every dim is an int
                params += n
                pbytes += nbytes(n, t.bits)
        learned = learned_sizes(node)  # ai.onnx.ml parameters held in attributes
        first = next((t for t in view.outputs + view.inputs if t is not None and t.dtype), None)
        rec = NodeRecord(
            name=node.name,
            op_type=node.op_type,
            domain=view.domain,
            scope=scope_of(node),
            graph=graph_path,
            input_names=tuple(node.input),
            output_names=tuple(node.output),
            inputs=tuple(t.shape if t is not None else None for t in view.inputs),
            outputs=tuple(t.shape if t is not None else None for t in view.outputs),
            dtype=first.dtype if first is not None else "",
            status=COUNTED,
            params=params + learned[0],
            param_bytes=pbytes + learned[1],
            learned_params=learned[0],
            learned_param_bytes=learned[1],
            weight=weight,
            per_iteration=per_iter,
            metadata={p.key: p.value for p in node.metadata_props} if len(node.metadata_props) else _NO_METADATA,
        )
        self.records.append(rec)
        if bad_attrs:  # malformed attributes (attrs.decode): invalid, whatever the op
            rb, rpart = _io_bytes(view.inputs)
            wb, wpart = _io_bytes(view.outputs)
            rec.status, rec.detail = INVALID, bad_attrs
            rec.cost, rec.bytes_partial = Cost(read_bytes=rb, write_bytes=wb), True
            return rec
        if node.op_type in CONTROL_FLOW and view.domain == "":
            self._control(node, gs, rec, graph_path, weight, per_iter)
            return rec
        entry = lookup(view.domain, node.op_type)
        err = gs.node_errors.get(id(node))
        rb, rpart = _io_bytes(view.inputs)
        wb, wpart = _io_bytes(view.outputs)
        if entry is None:
            rec.status = UNCOUNTED
            why = UNCOUNTABLE.get((view.domain, node.op_type))  # known, but not countable statically
            rec.detail = why or f"no rule for {view.domain + '::' if view.domain else ''}{node.op_type}"
            rec.cost = Cost(read_bytes=rb, write_bytes=wb)
            rec.bytes_partial = rpart or wpart
            return rec
        if entry.fn is None:
            bad = _count_changed(view) if entry.moves == "view" else ""
            if bad:
                rec.status = INVALID
                rec.detail = bad + (f"; inference: {err}" if err else "")
                rec.cost = Cost(read_bytes=rb, write_bytes=wb)
                rec.bytes_partial = True
                return rec
            rec.status = ZERO
            rec.detail = entry.doc
            if entry.moves == "view":
                rec.cost = Cost(read_bytes=0, write_bytes=0)
            elif entry.moves == "shape":
                rec.cost = Cost(read_bytes=0, write_bytes=wb)
                rec.bytes_partial = wpart
            else:
                rec.cost = Cost(read_bytes=rb, write_bytes=wb)
                rec.bytes_partial = rpart or wpart
            return rec
        try:
            cost = entry.fn(view)
        except ShapeUnknown as e:
            rec.status = SHAPE_UNKNOWN
            rec.detail = e.what + (f"; inference: {err}" if err else "")
            rec.missing = e.missing
            rec.cost = Cost(read_bytes=rb, write_bytes=wb)
            rec.bytes_partial = True
            return rec
        except (RuleError, ValueError, OverflowError, ZeroDivisionError, IndexError, KeyError, TypeError) as e:
            rec.status = INVALID
            rec.detail = f"{type(e).__name__}: {e}" if not isinstance(e, RuleError) else str(e)
            if err:
                rec.detail += f"; inference: {err}"
            rec.cost = Cost(read_bytes=rb, write_bytes=wb)
            rec.bytes_partial = True
            return rec
        if cost.read_bytes is None or cost.write_bytes is None:
            if cost.read_bytes is None:
                rec.bytes_partial |= rpart
            if cost.write_bytes is None:
                rec.bytes_partial |= wpart
            cost = cost.with_bytes(
                rb if cost.read_bytes is None else cost.read_bytes,
                wb if cost.write_bytes is None else cost.write_bytes,
            )
        rec.cost = cost
        return rec

    def _control(
        self, node: onnx.NodeProto, gs: GraphShapes, rec: NodeRecord, graph_path: str, weight: int, per_iter: bool
    ) -> None:
        """If: count the larger branch. Loop/Scan: the body times the trip count."""
        prefix = f"{graph_path}/" if graph_path else ""
        label = node.name or node.op_type
        rec.cost = Cost(read_bytes=0, write_bytes=0)
        if node.op_type == "If":
            subs = [(k, gs.subgraphs.get((id(node), k))) for k in ("then_branch", "else_branch")]
            if any(s is None for _, s in subs):
                rec.status = SHAPE_UNKNOWN
                rec.detail = "branch missing"
                return
            # Walk each branch at weight 0 first to compare, then re-weight the larger.
            starts, costs = [], []
            for key, sub in subs:
                starts.append(len(self.records))
                self.walk(sub, f"{prefix}{label}/{key}", 1, per_iter)  # type: ignore[arg-type]  # subs hold graphs only
                costs.append(self._branch_cost(starts[-1]))
            starts.append(len(self.records))
            cond = view_cond(node, gs)
            if cond is not None:  # a static condition: only the taken branch runs
                pick = 0 if cond else 1
            else:
                pick = 0 if costs[0].flops + costs[0].int_ops >= costs[1].flops + costs[1].int_ops else 1
            for b in range(2):
                for r in self.records[starts[b] : starts[b + 1]]:
                    r.weight = r.weight * weight if b == pick else 0
            why = "the static condition" if cond is not None else "the larger"
            rec.detail = (
                f"then {costs[0].flops} FLOPs, else {costs[1].flops} FLOPs: "
                f"{'then' if pick == 0 else 'else'} ({why}) counted"
            )
            return
        sub = gs.subgraphs.get((id(node), "body"))
        if sub is None:
            rec.status = SHAPE_UNKNOWN
            rec.detail = "body missing"
            return
        trips = gs.trip_counts.get(id(node))
        unknown = trips is None
        self.walk(sub, f"{prefix}{label}/body", weight * (1 if trips is None else trips), per_iter or unknown)
        if node.op_type == "SequenceMap":
            rec.detail = "body counted once per sequence element: the sequence length is data"
        elif unknown:
            rec.detail = "body counted once per iteration: trip count unknown"
        else:
            rec.detail = f"body x {trips} iterations"


def _count_changed(view: NodeView) -> str:
    """Why a view op is inconsistent: its output holds another element count than its input."""
    if not (view.has_input(0) and view.has_output(0)):
        return ""
    i, o = view.inputs[0], view.outputs[0]
    if i is None or o is None or i.shape is None or o.shape is None or not (i.known and o.known):
        return ""
    n_in, n_out = numel(cast(tuple[int, ...], i.shape)), numel(cast(tuple[int, ...], o.shape))  # known: all ints
    if n_in == n_out:
        return ""
    return (
        f"{view.op_type} '{view.name}': output {list(o.shape)} holds {n_out} elements, "
        f"input {list(i.shape)} holds {n_in}"
    )


def view_cond(node: onnx.NodeProto, gs: GraphShapes) -> bool | None:
    """The If condition when its value is static, else None."""
    t = gs.tensors.get(node.input[0]) if node.input else None
    if t is None or t.value is None or getattr(t.value, "size", 0) != 1:
        return None
    return bool(t.value.reshape(-1)[0])


