"""Walk a graph (and its subgraphs) and dispatch every node to its rule."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from sys import intern
from typing import Any, NamedTuple, cast

import onnx

from ..errors import InternalError, printable
from ..rules import load_all, lookup
from ..rules._precision import precision
from ..rules.cost import ZERO as NO_COST
from ..rules.cost import Cost
from ..rules.node import NodeView, RuleError, Shape, ShapeUnknown, TensorInfo, nbytes, numel
from ..rules.registry import UNCOUNTABLE, norm_domain
from .attrs import decode
from .params import LEARNED_ATTRS, learned_sizes
from .report import (
    COUNTED,
    INVALID,
    LARGER,
    NOT_TAKEN,
    SHAPE_UNKNOWN,
    SMALLER,
    TAKEN,
    UNCOUNTED,
    ZERO,
    NodeRecord,
    nested_branch,
)
from .scope import ScopeParser
from .shapes import CONTROL_FLOW, GraphShapes


def node_attrs(node: onnx.NodeProto, version: int) -> Mapping[str, Any]:
    """The node's decoded attributes, schema defaults applied (attrs.decode; read-only)."""
    domain = norm_domain(node.domain)
    return decode(node, version, domain)[0]


_NO_METADATA: dict[str, str] = {}  # shared by the records of nodes without metadata: read-only


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
    """Turns a graph's shapes into node records, recursing into control flow.

    Each record is built once, with its final weight and branch state, and never
    changed; only the records of the smaller branch of an If whose condition is data
    are replaced (by copies at weight 0) once both branches are known."""

    def __init__(self, opsets: dict[str, int]) -> None:
        load_all()
        self.opsets = opsets
        self.records: list[NodeRecord] = []
        self._scopes = ScopeParser()
        self._memo: dict[tuple[Any, ...], tuple[_Facts, str, _Looks, Mapping[str, Any]]] = {}
        self._ours: dict[tuple[str, str], bool] = {}  # op -> its rule is built in

    def walk(
        self, gs: GraphShapes, graph_path: str = "", scale: int = 1, per_iter: bool = False, branch: str = ""
    ) -> Cost:
        """Append records for every node of ``gs`` (and of its subgraphs), each counting
        ``scale`` times unless ``branch`` says it never runs. Inside a subgraph, returns
        the graph's cost per execution (the main graph's sum is not needed: NO_COST)."""
        total = NO_COST
        sub = graph_path != ""
        for node in gs.order:
            c = self._node(node, gs, graph_path, scale, per_iter, branch)
            if sub:
                total = total + c
        return total

    def _view(
        self, node: onnx.NodeProto, gs: GraphShapes, in_names: tuple[str, ...], out_names: tuple[str, ...]
    ) -> tuple[NodeView, str]:
        """The rule's view of ``node`` (attributes as the shape pass decoded them) and ""
        or why its attributes make it invalid."""
        domain = norm_domain(node.domain)
        version = self.opsets.get(domain, 1)
        decoded = gs.attrs.get(id(node))
        attrs, bad = decoded if decoded is not None else decode(node, version, domain)
        get = gs.tensors.get
        ins = tuple([get(n) if n else None for n in in_names])
        outs = tuple([get(n) if n else None for n in out_names])
        return NodeView(node.name, intern(node.op_type), domain, version, attrs, ins, outs), bad

    def _node(
        self, node: onnx.NodeProto, gs: GraphShapes, graph_path: str, scale: int, per_iter: bool, branch: str
    ) -> Cost:
        """Record one node; its cost per execution of the graph (control flow: its bodies')."""
        in_names, out_names = tuple(node.input), tuple(node.output)
        view, bad_attrs = self._view(node, gs, in_names, out_names)
        # the records share the shape pass's name strings (protobuf hands out a new copy each read)
        in_names = tuple([t.name if t is not None and t.name == n else n for n, t in zip(in_names, view.inputs)])
        out_names = tuple([t.name if t is not None and t.name == n else n for n, t in zip(out_names, view.outputs)])
        flow = view.op_type in CONTROL_FLOW and view.domain == "" and not bad_attrs
        if flow:  # its record goes before its bodies' records: keep the slot
            slot = len(self.records)
            self.records.append(None)  # type: ignore[arg-type]  # filled below, before anyone reads it
            c, prec, looks = self._control(node, gs, graph_path, scale, per_iter, branch), "", _looks(view)
        elif bad_attrs:  # malformed attributes (attrs.decode): invalid, whatever the op
            c, prec, looks = _invalid(view, bad_attrs), "", _looks(view)
        else:
            c, prec, looks = self._counted(view, gs.node_errors.get(id(node)))
        params = pbytes = 0
        weights = gs.params
        for name, t in zip(in_names, view.inputs):
            if t is not None and t.static and name in weights and t.known:
                n = numel(t.shape)  # type: ignore[arg-type]  # known: every dim is an int
                params += n
                pbytes += nbytes(n, t.bits)
        # ai.onnx.ml parameters held in attributes
        learned = learned_sizes(node) if (view.domain, view.op_type) in LEARNED_ATTRS else (0, 0)
        metadata = {p.key: p.value for p in node.metadata_props} if len(node.metadata_props) else _NO_METADATA
        path, classes = self._scopes.parse(view.name, metadata)
        rec = NodeRecord(
            name=view.name,
            op_type=view.op_type,
            domain=view.domain,
            scope=self._scopes.text(path),
            graph=graph_path,
            input_names=in_names,
            output_names=out_names,
            inputs=looks[0],
            outputs=looks[1],
            dtype=looks[2],
            status=c.status,
            cost=c.cost,
            params=params + learned[0],
            param_bytes=pbytes + learned[1],
            learned_params=learned[0],
            learned_param_bytes=learned[1],
            weight=0 if branch in (SMALLER, NOT_TAKEN) else scale,
            detail=printable(c.detail, 500) if c.detail else "",
            missing=c.missing,
            bytes_partial=c.bytes_partial,
            per_iteration=per_iter,
            metadata=metadata,
            scope_path=path,
            scope_classes=classes,
            precision=prec,
            branch=branch,
            trips=c.trips,
        )
        if flow:
            self.records[slot] = rec
        else:
            self.records.append(rec)
        return c.unit if flow else c.cost

    def _counted(self, view: NodeView, err: str | None) -> tuple[_Facts, str, _Looks]:
        """``_count``, the precision and the record's shapes of a node, memoized: identical
        nodes (the layers of a transformer, a long chain) count identically, as rules are
        pure functions of the view. The key is the whole view but the node's name, which
        only error messages use: so only counted, zero and uncounted facts are kept."""
        key = _memo_key(view, err)
        if key is not None:
            hit = self._memo.get(key)
            if hit is not None:
                return hit[0], hit[1], hit[2]
        c = self._count(view, err)
        prec = precision(view, c.cost) if c.status == COUNTED else ""
        looks = _looks(view)
        if key is not None and c.status in (COUNTED, ZERO, UNCOUNTED) and self._builtin(view):
            # the attribute dict is kept alive with its entry: its id stays unique
            self._memo[key] = (c, prec, looks, view.attrs)
        return c, prec, looks

    def _builtin(self, view: NodeView) -> bool:
        """True when the op's rule is ours (a plugin's rule need not be pure in the view)."""
        key = (view.domain, view.op_type)
        ours = self._ours.get(key)
        if ours is None:
            entry = lookup(view.domain, view.op_type)
            fn = None if entry is None else entry.fn
            ours = self._ours[key] = fn is None or fn.__module__.startswith("onnx_cost.rules")
        return ours

    def _count(self, view: NodeView, err: str | None) -> _Facts:
        """Dispatch a node to its rule. Only RuleError (invalid) and ShapeUnknown are
        verdicts on the node; anything else a rule raises is our bug (InternalError)."""
        entry = lookup(view.domain, view.op_type)
        rb, rpart = _io_bytes(view.inputs)
        wb, wpart = _io_bytes(view.outputs)
        inference = f"; inference: {err}" if err else ""
        if entry is None:
            why = UNCOUNTABLE.get((view.domain, view.op_type)) or (  # known, but not countable statically
                f"no rule for {view.domain + '::' if view.domain else ''}{view.op_type}"
            )
            return _Facts(UNCOUNTED, Cost(read_bytes=rb, write_bytes=wb), why, bytes_partial=rpart or wpart)
        if entry.fn is None:
            bad = _count_changed(view) if entry.moves == "view" else ""
            if bad:
                return _Facts(INVALID, Cost(read_bytes=rb, write_bytes=wb), bad + inference, bytes_partial=True)
            if entry.moves == "view":
                return _Facts(ZERO, Cost(read_bytes=0, write_bytes=0), entry.doc)
            if entry.moves == "shape":
                return _Facts(ZERO, Cost(read_bytes=0, write_bytes=wb), entry.doc, bytes_partial=wpart)
            return _Facts(ZERO, Cost(read_bytes=rb, write_bytes=wb), entry.doc, bytes_partial=rpart or wpart)
        try:
            cost = entry.fn(view)
        except ShapeUnknown as e:
            return _Facts(SHAPE_UNKNOWN, Cost(read_bytes=rb, write_bytes=wb), e.what + inference, e.missing, True)
        except RuleError as e:
            return _Facts(INVALID, Cost(read_bytes=rb, write_bytes=wb), str(e) + inference, bytes_partial=True)
        except Exception as e:
            raise InternalError("the rule", view.name or "(unnamed)", _op(view), e) from e
        partial = False
        if cost.read_bytes is None or cost.write_bytes is None:
            partial = (cost.read_bytes is None and rpart) or (cost.write_bytes is None and wpart)
            cost = cost.with_bytes(
                rb if cost.read_bytes is None else cost.read_bytes,
                wb if cost.write_bytes is None else cost.write_bytes,
            )
        return _Facts(COUNTED, cost, bytes_partial=partial)

    def _control(
        self, node: onnx.NodeProto, gs: GraphShapes, graph_path: str, scale: int, per_iter: bool, branch: str
    ) -> _Facts:
        """If: count the taken branch (static condition) or the larger. Loop/Scan: the body times the trip count."""
        prefix = f"{graph_path}/" if graph_path else ""
        label = node.name or node.op_type
        none = Cost(read_bytes=0, write_bytes=0)
        if node.op_type == "If":
            subs = [(k, gs.subgraphs.get((id(node), k))) for k in ("then_branch", "else_branch")]
            if any(s is None for _, s in subs):
                return _Facts(SHAPE_UNKNOWN, none, "branch missing")
            cond = view_cond(node, gs)
            starts, costs = [], []
            for b, (key, sub) in enumerate(subs):
                state = LARGER if cond is None else TAKEN if b == (0 if cond else 1) else NOT_TAKEN
                starts.append(len(self.records))
                path = f"{prefix}{label}/{key}"
                costs.append(self.walk(cast(GraphShapes, sub), path, scale, per_iter, nested_branch(branch, state)))
            starts.append(len(self.records))
            if cond is not None:  # a static condition: only the taken branch runs
                pick = 0 if cond else 1
            else:
                pick = 0 if costs[0].flops + costs[0].int_ops >= costs[1].flops + costs[1].int_ops else 1
                self._demote(starts[1 - pick], starts[2 - pick])
            why = "the static condition" if cond is not None else "the larger"
            detail = (
                f"then {costs[0].flops} FLOPs, else {costs[1].flops} FLOPs: "
                f"{'then' if pick == 0 else 'else'} ({why}) counted"
            )
            return _Facts(COUNTED, none, detail, unit=costs[pick])
        sub = gs.subgraphs.get((id(node), "body"))
        if sub is None:
            return _Facts(SHAPE_UNKNOWN, none, "body missing")
        trips = gs.trip_counts.get(id(node))
        k = 1 if trips is None else trips
        body = self.walk(sub, f"{prefix}{label}/body", scale * k, per_iter or trips is None, branch)
        if node.op_type == "SequenceMap":
            detail, trips = "body counted once per sequence element: the sequence length is data", None
        elif trips is None:
            detail = "body counted once per iteration: trip count unknown"
        else:
            detail = f"body x {trips} iterations"
        return _Facts(COUNTED, none, detail, unit=body.scaled(k), trips=trips)

    def _demote(self, start: int, end: int) -> None:
        """The records of the smaller branch, replaced by copies that do not count."""
        for i in range(start, end):
            r = self.records[i]
            if r.branch != NOT_TAKEN and r.branch != SMALLER:
                self.records[i] = replace(r, weight=0, branch=SMALLER)


class _Facts(NamedTuple):
    """What counting one node found, before its record is built."""

    status: str
    cost: Cost
    detail: str = ""
    missing: tuple[str, ...] = ()
    bytes_partial: bool = False
    unit: Cost = NO_COST  # control flow: its bodies' cost per execution of the node
    trips: int | None = 1


_Looks = tuple[tuple[Shape | None, ...], tuple[Shape | None, ...], str]  # a record's shapes and dtype


def _looks(view: NodeView) -> _Looks:
    """The record's input and output shapes, and its dtype (of the first typed output, else input)."""
    first = next((t for t in view.outputs + view.inputs if t is not None and t.dtype), None)
    return (
        tuple([t.shape if t is not None else None for t in view.inputs]),
        tuple([t.shape if t is not None else None for t in view.outputs]),
        first.dtype if first is not None else "",
    )


MEMO_VALUE_ELEMENTS = 4096  # a node reading a larger known value is counted afresh (its key would cost more)


def _memo_key(view: NodeView, err: str | None) -> tuple[Any, ...] | None:
    """Everything a rule can read of ``view`` but its name, or None when a known value
    is too large (or not an array) to key on."""
    sig: list[tuple[Any, ...] | None] = []
    for t in view.inputs + view.outputs:
        if t is None:
            sig.append(None)
            continue
        v = t.value
        if v is None:
            sig.append((t.shape, t.dtype, t.bits, t.static))
        elif getattr(v, "size", MEMO_VALUE_ELEMENTS + 1) <= MEMO_VALUE_ELEMENTS:
            sig.append((t.shape, t.dtype, t.bits, t.static, v.dtype.str, v.shape, v.tobytes()))
        else:
            return None
    return (view.domain, view.op_type, view.opset, id(view.attrs), err, len(view.inputs), *sig)


def _invalid(view: NodeView, why: str) -> _Facts:
    rb, _ = _io_bytes(view.inputs)
    wb, _ = _io_bytes(view.outputs)
    return _Facts(INVALID, Cost(read_bytes=rb, write_bytes=wb), why, bytes_partial=True)


def _op(view: NodeView) -> str:
    return f"{view.domain}::{view.op_type}" if view.domain else view.op_type


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


