"""Tiny one-node (or few-node) models built with onnx.helper, analyzed in memory."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

import onnx_cost
from onnx_cost.model.report import NodeRecord, Report

DT = {
    "float32": TensorProto.FLOAT,
    "float16": TensorProto.FLOAT16,
    "bfloat16": TensorProto.BFLOAT16,
    "float64": TensorProto.DOUBLE,
    "int8": TensorProto.INT8,
    "uint8": TensorProto.UINT8,
    "int16": TensorProto.INT16,
    "int32": TensorProto.INT32,
    "int64": TensorProto.INT64,
    "bool": TensorProto.BOOL,
    "int4": TensorProto.INT4,
    "uint4": TensorProto.UINT4,
    "float8e4m3fn": TensorProto.FLOAT8E4M3FN,
}

Spec = tuple[str, str, Sequence[Any] | None]  # (name, dtype, shape)


def vi(name: str, dtype: str, shape: Sequence[Any] | None) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, DT[dtype], None if shape is None else list(shape))


def init(name: str, dtype: str, shape: Sequence[int], value: Any = None) -> onnx.TensorProto:
    """An initializer of the given shape (zeros unless ``value`` is given)."""
    np_dt = helper.tensor_dtype_to_np_dtype(DT[dtype])
    arr = np.zeros(shape, dtype=np_dt) if value is None else np.asarray(value, dtype=np_dt).reshape(shape)
    return numpy_helper.from_array(arr, name)


def make_model(
    nodes: Sequence[onnx.NodeProto],
    inputs: Sequence[Spec],
    outputs: Sequence[Spec],
    initializers: Sequence[onnx.TensorProto] = (),
    opset: int = 21,
    extra_opsets: dict[str, int] | None = None,
    value_info: Sequence[Spec] = (),
) -> onnx.ModelProto:
    graph = helper.make_graph(
        list(nodes),
        "g",
        [vi(*s) for s in inputs],
        [vi(*s) for s in outputs],
        initializer=list(initializers),
        value_info=[vi(*s) for s in value_info],
    )
    ops = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, v) for d, v in (extra_opsets or {}).items()]
    return helper.make_model(graph, opset_imports=ops, ir_version=10)


def one_node(
    op_type: str,
    inputs: Sequence[Spec | None],
    outputs: Sequence[Spec],
    initializers: Sequence[onnx.TensorProto] = (),
    opset: int = 21,
    domain: str = "",
    **attrs: Any,
) -> NodeRecord:
    """Analyze a model of one node and return that node's record.

    ``inputs``: (name, dtype, shape) graph inputs, or None for an absent optional
    input; an input whose name matches an initializer is fed by it instead.
    ``outputs``: (name, dtype, shape); shape None lets inference decide.
    """
    init_names = {t.name for t in initializers}
    node = helper.make_node(
        op_type,
        [s[0] if s is not None else "" for s in inputs],
        [s[0] for s in outputs],
        name="n0",
        domain=domain,
        **attrs,
    )
    graph_inputs = [s for s in inputs if s is not None and s[0] not in init_names]
    extra = {domain: 1} if domain else None
    model = make_model([node], graph_inputs, [(n, d, None) for n, d, _ in outputs], initializers, opset, extra)
    report = onnx_cost.analyze(model, bind="none")  # the engine: free dims stay free
    rec = report.nodes[0]
    # Where the caller gave output shapes, check that inference agrees.
    for (name, _d, shape), got in zip(outputs, rec.outputs):
        if shape is not None:
            assert got == tuple(shape), f"output {name}: inferred {got}, expected {tuple(shape)}"
    return rec


def analyze_model(model: onnx.ModelProto) -> Report:
    """The engine's analysis of exactly what the model declares (no default binding: a
    free dim leaves the nodes that need it shape_unknown, which rule tests assert)."""
    return onnx_cost.analyze(model, bind="none")
