"""ONNX's own whole-graph shape inference, run on a weightless copy, as hints.

onnx's data propagation carries symbolic dims through Shape -> Gather ->
Concat -> Reshape chains ("batch" stays "batch"), which our per-node pass
cannot do with concrete values alone. Inference serializes the model, so it
gets a copy whose large initializers (and large Constant nodes) are replaced by
typed graph inputs of the same shape: no weight bytes are copied, and models
past protobuf's 2 GB limit still work.
"""

from __future__ import annotations

import onnx
from onnx import helper, shape_inference

from .values import SMALL

_GRAPH_TYPES = (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS)


def _numel(dims: object) -> int:
    n = 1
    for d in dims:  # type: ignore[attr-defined]  # a protobuf repeated field
        n *= d
    return n


def weightless_copy(model: onnx.ModelProto) -> onnx.ModelProto:
    """The model's graph without weight bytes: big initializers become typed inputs."""
    g = model.graph
    copy = onnx.ModelProto()
    copy.ir_version = max(model.ir_version, 4)  # initializers need not be inputs
    copy.opset_import.extend(model.opset_import)
    cg = copy.graph
    cg.name = g.name
    declared = {i.name for i in g.input}
    cg.input.extend(g.input)
    for t in g.initializer:
        small = t.data_location != onnx.TensorProto.EXTERNAL and _numel(t.dims) <= SMALL
        if small:
            cg.initializer.append(t)
        elif t.name not in declared:
            cg.input.append(helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)))
    for n in g.node:
        if n.op_type == "Einsum" and n.domain in ("", "ai.onnx") and _bad_einsum(n):
            continue  # onnx's inference never returns on some malformed equations: leave it out
        if n.op_type == "Constant" and n.domain in ("", "ai.onnx"):
            big = next((a.t for a in n.attribute if a.name == "value" and _numel(a.t.dims) > SMALL), None)
            if big is not None:
                cg.input.append(helper.make_tensor_value_info(n.output[0], big.data_type, list(big.dims)))
                continue
        cg.node.append(n)
    cg.output.extend(g.output)
    cg.value_info.extend(g.value_info)
    return copy


def _bad_einsum(n: onnx.NodeProto) -> bool:
    from ..rules.matmul import einsum_equation_error

    eq = next((a.s.decode("utf-8", "replace") for a in n.attribute if a.name == "equation"), "")
    return einsum_equation_error(eq) is not None


def _collect(g: onnx.GraphProto, out: dict[str, onnx.TypeProto]) -> None:
    for v in list(g.value_info) + list(g.output):
        out.setdefault(v.name, v.type)
    for n in g.node:
        for a in n.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                _collect(a.g, out)
            elif a.type == onnx.AttributeProto.GRAPHS:
                for sg in a.graphs:
                    _collect(sg, out)


def onnx_hints(model: onnx.ModelProto) -> tuple[dict[str, onnx.TypeProto], str]:
    """Tensor types onnx infers (with data propagation); ({}, why) when it fails."""
    try:
        inferred = shape_inference.infer_shapes(
            weightless_copy(model), check_type=False, strict_mode=False, data_prop=True
        )
    except Exception as e:  # onnx rejects the graph: our own pass still runs
        lines = str(e).strip().splitlines()
        return {}, (lines[-1] if lines else type(e).__name__)[:200]
    hints: dict[str, onnx.TypeProto] = {}
    _collect(inferred.graph, hints)
    return hints, ""
