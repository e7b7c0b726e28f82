"""Shapes through control flow: If branches, Loop, Scan and SequenceMap bodies, with outer scope.

Each body is inferred by the same engine with the enclosing tensors visible;
the trip count (Loop's M when static, Scan's sequence length) is kept for
the walker, which multiplies the body's cost by it.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import TYPE_CHECKING, Any

import numpy as np
import onnx

from onnx_cost.analyzer.infos import info_from_type
from onnx_cost.errors import printable
from onnx_cost.rules.node import TensorInfo

if TYPE_CHECKING:
    from onnx_cost.analyzer.shapes import GraphShapes, ShapeEngine


def _graphs(node: onnx.NodeProto) -> dict[str, onnx.GraphProto]:
    return {a.name: a.g for a in node.attribute if a.type == onnx.AttributeProto.GRAPH}


def _rename(t: TensorInfo | None, name: str) -> TensorInfo | None:
    if t is None:
        return None
    return TensorInfo(name, t.shape, t.dtype, t.bits)


def _join(a: TensorInfo | None, b: TensorInfo | None) -> TensorInfo | None:
    """The shape two branches agree on: equal dims kept, others unknown."""
    if a is None or b is None:
        return a or b
    if a.shape is None or b.shape is None or len(a.shape) != len(b.shape):
        return TensorInfo(a.name, None, a.dtype or b.dtype, a.bits or b.bits)
    dims = tuple(x if x == y else None for x, y in zip(a.shape, b.shape))
    return TensorInfo(a.name, dims, a.dtype or b.dtype, a.bits or b.bits)


def _body_input(b: onnx.ValueInfoProto, fallback: TensorInfo | None) -> TensorInfo:
    """The body input as declared, its dims that are not numbers (a name, or none) taken
    from the tensor the node passes in (``fallback``) where that one knows them: a body
    declaring ``[N, 8]`` sees the outer ``[2, 8]`` once the outer dim is bound."""
    declared = info_from_type(b.name, b.type)
    if fallback is None or fallback.shape is None:
        return declared
    if declared.shape is None:
        return TensorInfo(b.name, fallback.shape, declared.dtype or fallback.dtype, declared.bits or fallback.bits)
    if len(declared.shape) != len(fallback.shape):
        return declared
    dims = tuple(d if type(d) is int or f is None else f for d, f in zip(declared.shape, fallback.shape))
    return TensorInfo(b.name, dims, declared.dtype or fallback.dtype, declared.bits or fallback.bits)


def _run_carried(
    engine: ShapeEngine, body: onnx.GraphProto, tensors: MutableMapping[str, TensorInfo],
    bound: dict[str, TensorInfo], carried: list[tuple[str, str]],
) -> GraphShapes:
    """The body run with ``bound``; a carried value (body input, body output) whose declared
    dims were filled in from the outer tensor (``_body_input``) must come out with the shape
    it went in with: else its shape changes per iteration, the first one's is not every
    one's, and the body is run again with those inputs as declared (their dims unknown)."""
    sub = engine.run(body, outer=tensors, bound_inputs=bound)
    declared = {b.name: info_from_type(b.name, b.type) for b in body.input}
    varying = []
    for name, out in carried:
        d, t = declared.get(name), sub.tensors.get(out)
        if d is None or d.shape is None or name not in bound or bound[name].shape == d.shape:
            continue  # not filled in from outside
        if t is None or t.shape != bound[name].shape:
            varying.append(name)
    if not varying:
        return sub
    again = {**bound, **{n: declared[n] for n in varying}}
    return engine.run(body, outer=tensors, bound_inputs=again)


def _scalar(value: Any) -> int | None:
    try:
        v = int(value.reshape(-1)[0]) if value is not None and value.size == 1 else None
    except (TypeError, ValueError, AttributeError):
        return None
    return v


def infer_control_flow(
    engine: ShapeEngine,
    node: onnx.NodeProto,
    gs: GraphShapes,
    tensors: MutableMapping[str, TensorInfo],
    ins: list[TensorInfo | None],
    attrs: Mapping[str, Any],
) -> list[TensorInfo | None]:
    """Output infos of an If, Loop, Scan or SequenceMap node; bodies are stored in ``gs.subgraphs``."""
    graphs = _graphs(node)
    outs = list(node.output)
    if node.op_type == "If":
        results = []
        for key in ("then_branch", "else_branch"):
            if key not in graphs:
                return []
            sub = engine.run(graphs[key], outer=tensors)
            gs.subgraphs[(id(node), key)] = sub
            results.append([sub.tensors.get(o.name) for o in graphs[key].output])
        cond = ins[0].value if ins and ins[0] is not None else None
        if cond is not None and getattr(cond, "size", 0) == 1 and node.name in engine.branches \
                and bool(cond.reshape(-1)[0]) != engine.branches[node.name]:
            # the condition is known (a bound dim or a value decides it): the user's branch
            # is not applied, and the output says so rather than ignore it silently
            static = "then" if bool(cond.reshape(-1)[0]) else "else"
            engine.branch_notes[node.name] = (
                f"--branch {printable(node.name, 80)}={'then' if engine.branches[node.name] else 'else'} not applied: "
                f"the If's condition is known here (the bound dims or values decide it), and it takes {static}")
        if (cond is None or getattr(cond, "size", 0) != 1) and node.name in engine.branches:
            cond = np.array(engine.branches[node.name])  # the user's --branch decides an If on data
            gs.chosen[id(node)] = engine.branches[node.name]
        if cond is not None and getattr(cond, "size", 0) == 1:  # static condition: the taken branch
            taken = results[0] if bool(cond.reshape(-1)[0]) else results[1]
            return [
                None if t is None else TensorInfo(n, t.shape, t.dtype, t.bits, t.value, t.static)
                for t, n in zip(taken, outs)
            ]
        joined = [_join(a, b) for a, b in zip(*results)]
        return [_rename(t, n) for t, n in zip(joined, outs)]

    if node.op_type == "Loop":
        body = graphs.get("body")
        if body is None:
            return []
        m = _scalar(ins[0].value) if ins and ins[0] is not None else None
        gs.trip_counts[id(node)] = m
        bi = list(body.input)
        bound: dict[str, TensorInfo] = {}
        if bi:
            bound[bi[0].name] = TensorInfo(bi[0].name, (), "int64", 64)
        if len(bi) > 1:
            bound[bi[1].name] = TensorInfo(bi[1].name, (), "bool", 8)
        for k, b in enumerate(bi[2:]):
            src = ins[2 + k] if 2 + k < len(ins) else None
            bound[b.name] = _body_input(b, src)
        n_carried = max(len(node.input) - 2, 0)
        pairs = [(b.name, o.name) for b, o in zip(bi[2 : 2 + n_carried], list(body.output)[1:])]
        sub = _run_carried(engine, body, tensors, bound, pairs)
        gs.subgraphs[(id(node), "body")] = sub
        bo = [sub.tensors.get(o.name) for o in body.output]
        res: list[TensorInfo | None] = []
        for k, name in enumerate(outs):
            t = bo[1 + k] if 1 + k < len(bo) else None
            if k >= n_carried and t is not None:  # a scan output: stacked over iterations
                t = TensorInfo(name, None if t.shape is None else (m, *t.shape), t.dtype, t.bits)
            res.append(_rename(t, name))
        return res

    if node.op_type == "Scan" and engine.opsets.get("", 9) < 9:
        return _scan8(engine, node, gs, tensors, ins, graphs, attrs)

    if node.op_type == "SequenceMap":
        body = graphs.get("body")
        if body is None:
            return []
        bound = {b.name: _body_input(b, None) for b in body.input}
        gs.trip_counts[id(node)] = None  # the sequence length is data: count one element, flagged
        sub = engine.run(body, outer=tensors, bound_inputs=bound)
        gs.subgraphs[(id(node), "body")] = sub
        return [TensorInfo(n, None) for n in outs]

    if node.op_type == "Scan":
        body = graphs.get("body")
        if body is None:
            return []
        k_scan = attrs["num_scan_inputs"]  # checked by attrs.decode: 1 to the node's inputs
        n_state = len(node.input) - k_scan
        in_axes = list(attrs.get("scan_input_axes", [])) or [0] * k_scan
        bi = list(body.input)
        bound = {}
        seq: int | str | None = None
        for j, b in enumerate(bi):
            src = ins[j] if j < len(ins) else None
            if j >= n_state and src is not None and src.shape is not None:
                ax = in_axes[j - n_state] % max(len(src.shape), 1)
                seq = src.shape[ax] if seq is None else seq
                src = TensorInfo(src.name, src.shape[:ax] + src.shape[ax + 1 :], src.dtype, src.bits)
            bound[b.name] = _body_input(b, src)
        gs.trip_counts[id(node)] = seq if type(seq) is int else None
        sub = _run_carried(engine, body, tensors, bound, [(b.name, o.name) for b, o in zip(bi[:n_state], body.output)])
        gs.subgraphs[(id(node), "body")] = sub
        out_axes = list(attrs.get("scan_output_axes", []))
        bo = [sub.tensors.get(o.name) for o in body.output]
        res = []
        for k, name in enumerate(outs):
            t = bo[k] if k < len(bo) else None
            if k >= n_state and t is not None and t.shape is not None:
                j = k - n_state
                ax = out_axes[j] if j < len(out_axes) else 0
                ax = ax % (len(t.shape) + 1)
                t = TensorInfo(name, t.shape[:ax] + (seq,) + t.shape[ax:], t.dtype, t.bits)
            res.append(_rename(t, name))
        return res
    return []


def _scan8(
    engine: ShapeEngine,
    node: onnx.NodeProto,
    gs: GraphShapes,
    tensors: MutableMapping[str, TensorInfo],
    ins: list[TensorInfo | None],
    graphs: dict[str, onnx.GraphProto],
    attrs: Mapping[str, Any],
) -> list[TensorInfo | None]:
    """Scan of opset 8: inputs (sequence_lens, states [B, ...], scans [B, S, ...]); the body runs B·S times."""
    body = graphs.get("body")
    if body is None:
        return []
    k_scan = attrs["num_scan_inputs"]  # checked by attrs.decode
    data = ins[1:]
    n_state = len(data) - k_scan
    batch: int | str | None = None
    seq: int | str | None = None
    bound: dict[str, TensorInfo] = {}
    for j, b in enumerate(body.input):
        src = data[j] if j < len(data) else None
        shp = src.shape if src is not None else None
        if src is not None and shp is not None and len(shp) >= 1:
            batch = shp[0] if batch is None else batch
            if j >= n_state and len(shp) >= 2:
                seq = shp[1] if seq is None else seq
                src = TensorInfo(src.name, shp[2:], src.dtype, src.bits)
            else:
                src = TensorInfo(src.name, shp[1:], src.dtype, src.bits)
        bound[b.name] = _body_input(b, src)
    trips = batch * seq if type(batch) is int and type(seq) is int else None
    gs.trip_counts[id(node)] = trips
    carried = [(b.name, o.name) for b, o in zip(body.input[:n_state], body.output)]
    sub = _run_carried(engine, body, tensors, bound, carried)
    gs.subgraphs[(id(node), "body")] = sub
    bo = [sub.tensors.get(o.name) for o in body.output]
    res: list[TensorInfo | None] = []
    for k, name in enumerate(node.output):
        t = bo[k] if k < len(bo) else None
        if t is not None and t.shape is not None:
            lead = (batch,) if k < n_state else (batch, seq)
            t = TensorInfo(name, lead + t.shape, t.dtype, t.bits)
        res.append(_rename(t, name))
    return res
