"""The values of a node's outputs, where they are small and computable: the shape
arithmetic (Shape -> Gather -> Concat -> Reshape) that onnx's inference alone
cannot see through. Values themselves are computed by values.py."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import numpy as np
import onnx

from onnx_cost.analyzer.values import EVAL_OPS, SMALL, evaluate, shape_value, tensor_value
from onnx_cost.model.dtypes import NUMPY_TYPES
from onnx_cost.rules.node import TensorInfo, is_float_dtype

# Ops, besides values.EVAL_OPS, whose output values the pass computes.
SPECIAL = frozenset({"Constant", "Shape", "Size", "CastLike"})
VALUED = EVAL_OPS | SPECIAL
_GENERATORS = frozenset({"ConstantOfShape", "Expand", "Tile"})


def node_values(
    node: onnx.NodeProto,
    version: int,
    ins: list[TensorInfo | None],
    attrs: Mapping[str, Any],
    outs: list[TensorInfo | None],
    memo: dict[tuple[Any, ...], Any],
) -> list[np.ndarray | None] | None:
    """The values of an ONNX-domain node's outputs (None: none known). ``version``: the
    model's ONNX opset; ``outs``: the output infos inferred; ``memo``: evaluations by
    everything they read (exports recompute the same shape arithmetic in every block)."""
    op = node.op_type
    if op == "Constant":
        return [_constant_value(node, attrs)]
    if op == "Shape" and ins and ins[0] is not None:
        return [shape_value(ins[0].shape, attrs)]
    if op == "Size" and ins and ins[0] is not None and ins[0].known:
        n = 1
        for d in ins[0].shape or ():
            n *= cast(int, d)  # known: every dim is an int
        return [np.array(n, dtype=np.int64)] if n < 2**63 else None
    if op == "CastLike" and len(ins) == 2 and ins[0] is not None and ins[0].value is not None:
        target = ins[1].dtype if ins[1] is not None else ""
        if target and target in NUMPY_TYPES:
            return [np.asarray(ins[0].value).astype(NUMPY_TYPES[target])]  # needs the type, not the value
        return None
    if op not in EVAL_OPS or not ins:
        return None
    vals: list[np.ndarray | None] = []
    for t in ins:
        if t is None:
            vals.append(None)
        elif t.value is None:
            return None
        else:
            vals.append(t.value)
    if op in _GENERATORS and outs and all(t is not None and is_float_dtype(t.dtype) for t in outs):
        return None  # float tensors generated from a shape are weights, not shape arithmetic
    # id(attrs): decoded once per distinct attribute set (and node arity), alive as long as the engine
    key = (op, version, id(attrs), len(node.output), tuple(
        None if v is None else (v.dtype.str, v.shape, v.tobytes()) for v in vals
    ))
    hit = memo.get(key, memo)
    if hit is memo:
        hit = memo[key] = evaluate(node, version, vals, attrs)
    return hit


def _constant_value(node: onnx.NodeProto, attrs: Mapping[str, Any]) -> np.ndarray | None:
    if len(attrs) == 1 and len(node.attribute) == 1:  # the usual one attribute, decoded already
        ((name, v),) = attrs.items()
        return _from_attr(name, v)
    for a in node.attribute:
        if a.name == "value":
            return tensor_value(a.t)
        if a.name == "value_int":
            return np.array(a.i, dtype=np.int64)
        if a.name == "value_ints":
            return np.array(list(a.ints), dtype=np.int64) if len(a.ints) <= SMALL else None
        if a.name == "value_float":
            return np.array(a.f, dtype=np.float32)
        if a.name == "value_floats":
            return np.array(list(a.floats), dtype=np.float32) if len(a.floats) <= SMALL else None
    return None


def _from_attr(name: str, v: Any) -> np.ndarray | None:
    """A Constant's value from its decoded attribute (attrs.decode: tensor_value for "value")."""
    if name == "value":
        return cast("np.ndarray | None", v)
    if name == "value_int":
        return np.array(v, dtype=np.int64)
    if name == "value_ints":
        return np.array(v, dtype=np.int64) if len(v) <= SMALL else None
    if name == "value_float":
        return np.array(v, dtype=np.float32)
    if name == "value_floats":
        return np.array(v, dtype=np.float32) if len(v) <= SMALL else None
    return None
