"""Small-value propagation: evaluate the tiny integer tensors that shapes are made of.

ONNX's own inference leaves shapes unknown behind Shape -> Gather -> Concat ->
Reshape chains; evaluating those small tensors (a handful of int64s) lets the
per-node inference see the real target shapes. The arithmetic is done by
onnx's reference op implementations.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import numpy as np
import onnx
from onnx import numpy_helper

from onnx_cost.model.dtypes import DTYPES, NUMPY_TYPES
from onnx_cost.rules.node import RuleError, broadcast
from onnx_cost.rules.registry import is_onnx_domain

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


@cache
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
        raw = _RAW.get(t.data_type)
        if raw is not None and t.HasField("raw_data") and not t.HasField("segment"):
            # what to_array does for these types, minus its dispatch: most small tensors
            return np.frombuffer(t.raw_data, dtype=raw).reshape(tuple(t.dims))
        return numpy_helper.to_array(t)
    except Exception:  # malformed tensor data: the value stays unknown
        return None


# element types stored as plain little-endian numpy data in raw_data
_RAW = {
    code: np.dtype(t) for code, t in ((1, np.float32), (2, np.uint8), (3, np.int8), (4, np.uint16), (5, np.int16),
                                      (6, np.int32), (7, np.int64), (9, np.bool_), (10, np.float16),
                                      (11, np.float64), (12, np.uint32), (13, np.uint64))
} if sys.byteorder == "little" else {}


def shape_value(shape: Sequence[Any] | None, attrs: Mapping[str, Any]) -> np.ndarray | None:
    """Value of Shape(x) when x's dims are all known (start/end of opset 15 applied)."""
    if shape is None or any(type(d) is not int for d in shape):
        return None
    dims = list(shape)
    start = attrs.get("start", 0)
    end = attrs.get("end", len(dims))
    return np.array(dims[slice(start, end)], dtype=np.int64)


def evaluate(
    node: onnx.NodeProto, version: int, inputs: list[np.ndarray | None], attrs: Mapping[str, Any]
) -> list[np.ndarray | None] | None:
    """Run ``node`` on known small inputs; None when it cannot or the result is not small.
    ``attrs``: its decoded attributes (attrs.decode), which the fast paths read."""
    if node.op_type not in EVAL_OPS or not is_onnx_domain(node.domain):
        return None
    if any(v is not None and v.size > SMALL for v in inputs):
        return None
    if _result_size(node.op_type, inputs) > SMALL:
        return None
    if node.op_type == "Range":  # exporters pass 1-element tensors where the spec says scalars
        inputs = [v.reshape(()) if v is not None and v.size == 1 else v for v in inputs]
    if node.op_type in _FAST:
        try:
            fast = _FAST[node.op_type](attrs, version, inputs)
        except Exception:  # let the reference implementation decide
            fast = None
        if fast is not None:
            return [np.asarray(fast)] if np.asarray(fast).size <= SMALL else None
    try:
        op = _op_class(node.op_type, version)(node, {**_RUN_PARAMS, "opsets": {"": version}})
        out = op.run(*inputs)
    except Exception:  # the reference op rejects these inputs: the value stays unknown
        return None
    if not isinstance(out, (tuple, list)):
        out = (out,)
    res: list[np.ndarray | None] = []
    for v in out:
        if v is None:
            res.append(None)
            continue
        v = np.asarray(v)
        if v.size > SMALL or v.dtype == object:
            return None
        res.append(v)
    return res


# -- plain-numpy fast paths for the ops shape arithmetic is made of -----------
# (importing onnx.reference costs tens of milliseconds; most models need only these)


def _axes(attrs: Mapping[str, Any], version: int, inputs: list[np.ndarray | None], cut: int) -> list[int] | None:
    if version >= cut:
        return None if len(inputs) < 2 or inputs[1] is None else [int(a) for a in inputs[1].reshape(-1)]
    v = attrs.get("axes")
    return None if v is None else [int(a) for a in v]


def _unsqueeze(attrs: Mapping[str, Any], version: int, inputs: list[np.ndarray | None]) -> np.ndarray | None:
    x, axes = inputs[0], _axes(attrs, version, inputs, 13)
    if x is None or axes is None:
        return None
    rank = x.ndim + len(axes)
    out = x
    for a in sorted(a % rank for a in axes):
        out = np.expand_dims(out, a)
    return out


def _squeeze(attrs: Mapping[str, Any], version: int, inputs: list[np.ndarray | None]) -> np.ndarray | None:
    x, axes = inputs[0], _axes(attrs, version, inputs, 13)
    if x is None:
        return None
    return np.squeeze(x) if axes is None else np.squeeze(x, axis=tuple(a % x.ndim for a in axes))


def _slice(attrs: Mapping[str, Any], version: int, inputs: list[np.ndarray | None]) -> np.ndarray | None:
    if version < 10 or any(v is None for v in inputs[:3]):
        return None
    x, starts, ends = inputs[0], inputs[1].reshape(-1), inputs[2].reshape(-1)  # type: ignore[union-attr]  # no None: checked
    axes = inputs[3].reshape(-1) if len(inputs) > 3 and inputs[3] is not None else range(len(starts))
    steps = inputs[4].reshape(-1) if len(inputs) > 4 and inputs[4] is not None else [1] * len(starts)
    sl = [slice(None)] * x.ndim  # type: ignore[union-attr]  # no None: checked
    for st, en, ax, sp in zip(starts, ends, axes, steps):
        if int(sp) == 0:
            return None
        sl[int(ax) % x.ndim] = slice(int(st), int(en), int(sp))  # type: ignore[union-attr]  # no None: checked
    return x[tuple(sl)]  # type: ignore[index]  # no None: checked


def _cast(attrs: Mapping[str, Any], version: int, inputs: list[np.ndarray | None]) -> np.ndarray | None:
    to = attrs.get("to")
    if inputs[0] is None or to not in _NP_OF:
        return None
    return inputs[0].astype(_NP_OF[to])


def _range(attrs: Mapping[str, Any], version: int, inputs: list[np.ndarray | None]) -> np.ndarray | None:
    if any(v is None or v.size != 1 for v in inputs[:3]) or len(inputs) < 3:
        return None
    start, limit, delta = (v.reshape(()) for v in inputs[:3])  # type: ignore[union-attr]  # no None: checked
    if not all(np.issubdtype(v.dtype, np.integer) for v in (start, limit, delta)) or int(delta) == 0:
        return None  # float ranges follow the reference (its rounding of the count)
    n = max(-(-(int(limit) - int(start)) // int(delta)), 0)
    if n > SMALL:
        return None
    return np.arange(int(start), int(limit), int(delta), dtype=start.dtype)


def _reshape(attrs: Mapping[str, Any], version: int, inputs: list[np.ndarray | None]) -> np.ndarray | None:
    x, shape = inputs[0], inputs[1] if len(inputs) > 1 else None
    if x is None or shape is None:
        return None
    allowzero = int(attrs.get("allowzero", 0))
    dims = [int(d) for d in shape.reshape(-1)]
    if not allowzero:
        dims = [x.shape[i] if d == 0 and i < x.ndim else d for i, d in enumerate(dims)]
    return x.reshape(dims)


_NP_OF = {code: NUMPY_TYPES[name] for code, (name, _bits) in DTYPES.items() if name in NUMPY_TYPES}
_INT_TYPES = (np.integer, np.bool_)

def _constant_of_shape(attrs: Mapping[str, Any], version: int, inputs: list[np.ndarray | None]) -> np.ndarray | None:
    if not inputs or inputs[0] is None:
        return None
    if "value" in attrs and attrs["value"] is None:  # given but not decoded (a string tensor): the reference decides
        return None
    value = attrs.get("value")
    v = np.zeros(1, np.float32) if value is None else np.asarray(value).reshape(-1)
    return np.full(tuple(int(d) for d in inputs[0].reshape(-1)), v[0], dtype=v.dtype)


def _trilu(attrs: Mapping[str, Any], version: int, inputs: list[np.ndarray | None]) -> np.ndarray | None:
    x = inputs[0]
    if x is None or x.ndim < 2 or (len(inputs) > 1 and inputs[1] is None):
        return None
    k = int(inputs[1].reshape(-1)[0]) if len(inputs) > 1 and inputs[1] is not None else 0
    return np.triu(x, k) if attrs.get("upper", 1) else np.tril(x, k)


_FAST: dict[str, Any] = {
    "Identity": lambda n, v, i: i[0],
    "ConstantOfShape": _constant_of_shape,  # with Trilu, a causal mask (GPT-2 at short sequences)
    "Trilu": _trilu,
    "Gather": lambda n, v, i: np.take(i[0], i[1], axis=int(n.get("axis", 0))),
    "Concat": lambda n, v, i: np.concatenate(i, axis=int(n.get("axis"))),
    "Unsqueeze": _unsqueeze,
    "Squeeze": _squeeze,
    "Slice": _slice,
    "Cast": _cast,
    "Range": _range,
    "Reshape": _reshape,
    "Equal": lambda n, v, i: np.equal(i[0], i[1]),
    "Where": lambda n, v, i: np.where(i[0], i[1], i[2]),
    # as the reference computes them (op_div.py, op_mod.py...), without importing it
    "Div": lambda n, v, i: _div(i[0], i[1]),
    "Mod": lambda n, v, i: _mod(n, i[0], i[1]),
    "Floor": lambda n, v, i: np.floor(i[0]) if _float(i[0]) else None,
    "Sqrt": lambda n, v, i: np.sqrt(i[0]) if _float(i[0]) else None,
    "Neg": lambda n, v, i: np.negative(i[0]),
    "Greater": lambda n, v, i: np.greater(i[0], i[1]),
    "GreaterOrEqual": lambda n, v, i: np.greater_equal(i[0], i[1]),
    "Less": lambda n, v, i: np.less(i[0], i[1]),
    "LessOrEqual": lambda n, v, i: np.less_equal(i[0], i[1]),
    "Not": lambda n, v, i: np.logical_not(i[0]),
    "Transpose": lambda n, v, i: np.transpose(i[0], n.get("perm") or None),
    # op_expand.py's own arithmetic (the broadcast as a product with ones): Swin's masks
    "Expand": lambda n, v, i: i[0] * np.ones(i[1], dtype=i[0].dtype),
}
for _op, _fn in (("Add", np.add), ("Sub", np.subtract), ("Mul", np.multiply)):
    _FAST[_op] = (lambda fn: lambda n, v, i: fn(i[0], i[1]) if _same(i[0], i[1]) else None)(_fn)


def _float(x: np.ndarray) -> bool:
    return x.dtype.kind == "f"


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    """Both integers, or floats of one dtype: numpy computes what the reference does."""
    return (a.dtype.kind in "iu" and b.dtype.kind in "iu") or (a.dtype == b.dtype and a.dtype.kind == "f")


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    if a.dtype.kind in "iu" and b.dtype.kind in "iu":
        if not np.all(b):
            return None  # division by zero: the reference decides
        q, r = np.floor_divide(a, b), np.remainder(a, b)
        return (q + ((r != 0) & ((a < 0) ^ (b < 0))).astype(q.dtype)).astype(a.dtype)  # toward zero
    return np.divide(a, b) if a.dtype == b.dtype and _float(a) else None


def _mod(attrs: Mapping[str, Any], a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    if a.dtype.kind not in "iu" or b.dtype.kind not in "iu" or not np.all(b):
        return None
    return np.fmod(a, b) if attrs.get("fmod", 0) == 1 else np.mod(a, b)


_BROADCAST = frozenset(
    "Add And Div Equal Greater GreaterOrEqual Less LessOrEqual Max Min Mod Mul Or Pow Sub Sum Where Xor".split()
)


def _result_size(op: str, inputs: list[np.ndarray | None]) -> int:
    """Elements ``op`` would produce, from its inputs' values, in exact integers and
    without allocating; SMALL + 1 when that cannot be told; 0 for the ops whose
    result is no larger than their (small) inputs."""
    try:
        if op == "ConstantOfShape":
            return _prod(int(d) for d in inputs[0].reshape(-1))  # type: ignore[union-attr]  # None: AttributeError, caught below
        if op == "Range":
            start, limit, delta = (float(v.reshape(-1)[0]) for v in inputs[:3])  # type: ignore[union-attr]  # None: AttributeError, caught below
            if delta == 0 or not all(math.isfinite(x) for x in (start, limit, delta)):
                return SMALL + 1
            return max(math.ceil((limit - start) / delta), 0)
        if op == "Tile":
            x, reps = inputs[0], [int(r) for r in inputs[1].reshape(-1)]  # type: ignore[union-attr]  # None: AttributeError, caught below
            return _prod(d * r for d, r in zip(x.shape, reps))  # type: ignore[union-attr]  # None: AttributeError, caught below
        if op == "Expand":
            x, shape = inputs[0], [int(d) for d in inputs[1].reshape(-1)]  # type: ignore[union-attr]  # None: AttributeError, caught below
            return _prod(broadcast(x.shape, shape))  # type: ignore[union-attr]  # None: AttributeError, caught below
        if op in _BROADCAST:
            return _prod(broadcast(*(v.shape for v in inputs if v is not None)))
    except (TypeError, ValueError, IndexError, AttributeError, OverflowError, RuleError):  # RuleError: no broadcast
        return SMALL + 1
    return 0


def _prod(dims: Any) -> int:
    n = 1
    for d in dims:
        n *= d
    return n


def to_tensor(value: np.ndarray, name: str) -> onnx.TensorProto | None:
    """A TensorProto of a known value, to hand to onnx's per-node inference."""
    try:
        return numpy_helper.from_array(np.asarray(value), name)
    except Exception:
        return None
