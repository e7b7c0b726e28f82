"""Small-value propagation: evaluate the tiny integer tensors that shapes are made of.

ONNX's own inference leaves shapes unknown behind Shape -> Gather -> Concat ->
Reshape chains; evaluating those small tensors (a handful of int64s) lets the
per-node inference see the real target shapes. The arithmetic is done by
onnx's reference op implementations.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Sequence

import numpy as np
import onnx
from onnx import numpy_helper

SMALL = 4096  # largest value (in elements) we read, evaluate or keep

# Ops whose value we compute when every input value is known and small.
EVAL_OPS = frozenset(
    """Abs Add And Cast CastLike Ceil Concat ConstantOfShape Div Equal Expand Flatten Floor
    Gather GatherElements GatherND Greater GreaterOrEqual Identity Less LessOrEqual Max Min Mod
    Mul Neg Not NonZero Or Pow Range ReduceMax ReduceMin ReduceProd ReduceSum Reshape Round
    ScatterND ScatterElements Shape Sign Size Slice Sqrt Squeeze Sub Sum Tile Transpose
    Unsqueeze Where Xor Clip Trilu Split""".split()
)

_RUN_PARAMS = {"log": lambda *a: None, "verbose": 0, "new_ops": None, "existing_functions": {}, "evaluator_cls": None}


@lru_cache(maxsize=None)
def _op_class(op_type: str, version: int) -> Any:
    from onnx.reference.ops import load_op

    return load_op("", op_type, version)


def tensor_value(t: onnx.TensorProto) -> np.ndarray | None:
    """The value of an embedded tensor with at most SMALL elements, else None."""
    if t.data_location == onnx.TensorProto.EXTERNAL:
        return None
    n = 1
    for d in t.dims:
        n *= d
    if n > SMALL or t.data_type == onnx.TensorProto.STRING:
        return None
    try:
        return numpy_helper.to_array(t)
    except Exception:  # malformed tensor data: the value stays unknown
        return None


def shape_value(shape: Sequence[Any] | None, attrs: dict[str, Any]) -> np.ndarray | None:
    """Value of Shape(x) when x's dims are all known (start/end of opset 15 applied)."""
    if shape is None or any(type(d) is not int for d in shape):
        return None
    dims = list(shape)
    start = attrs.get("start", 0)
    end = attrs.get("end", len(dims))
    return np.array(dims[slice(start, end)], dtype=np.int64)


def evaluate(node: onnx.NodeProto, version: int, inputs: list[np.ndarray | None]) -> list[np.ndarray] | None:
    """Run ``node`` on known small inputs; None when it cannot or the result is not small."""
    if node.op_type not in EVAL_OPS or node.domain not in ("", "ai.onnx"):
        return None
    if any(v is not None and v.size > SMALL for v in inputs):
        return None
    if node.op_type == "ConstantOfShape" and inputs and inputs[0] is not None:
        if int(np.prod(inputs[0])) > SMALL:
            return None
    if node.op_type == "Range":  # exporters pass 1-element tensors where the spec says scalars
        inputs = [v.reshape(()) if v is not None and v.size == 1 else v for v in inputs]
    try:
        op = _op_class(node.op_type, version)(node, {**_RUN_PARAMS, "opsets": {"": version}})
        out = op.run(*inputs)
    except Exception:  # the reference op rejects these inputs: the value stays unknown
        return None
    if not isinstance(out, (tuple, list)):
        out = (out,)
    res = []
    for v in out:
        if v is None:
            res.append(None)
            continue
        v = np.asarray(v)
        if v.size > SMALL or v.dtype == object:
            return None
        res.append(v)
    return res


def to_tensor(value: np.ndarray, name: str) -> onnx.TensorProto | None:
    """A TensorProto of a known value, to hand to onnx's per-node inference."""
    try:
        return numpy_helper.from_array(np.asarray(value), name)
    except Exception:
        return None
