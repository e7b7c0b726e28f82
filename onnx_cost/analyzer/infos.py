"""TypeProto <-> TensorInfo: what a declared or inferred type says about a tensor.

Declared dims are untrusted: a negative dim, and every dim of a tensor past
_MAX_NUMEL elements, are unknown (load warns about both). Conversions of the
same type bytes are cached: exporters declare the same few types thousands of
times (value_info, onnx's whole-graph hints).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import fields, make_dataclass
from math import prod
from typing import Any

import onnx
from onnx import helper

from onnx_cost.model.dtypes import dtype_of
from onnx_cost.rules.node import TensorInfo

_MAX_NUMEL = 2**48  # = load.MAX_NUMEL (load imports this module's package; kept literal)

_INT = frozenset({int})
Fields = tuple[Any, str, int]  # (shape or None, dtype, bits) of a TensorInfo


def _info_factory() -> Callable[..., TensorInfo]:
    """``TensorInfo(name, shape, dtype, bits, value, static)`` without the frozen dataclass's
    __init__ (six object.__setattr__ calls cost as much as the rest of a node's pass): a
    mutable twin with TensorInfo's very slots (same names, same order: the same layout) is
    filled by plain slot stores, then made a TensorInfo. The class itself where its fields
    are not these six slots."""
    names = ("name", "shape", "dtype", "bits", "value", "static")
    if (tuple(f.name for f in fields(TensorInfo)) != names or getattr(TensorInfo, "__slots__", ()) != names
            or hasattr(TensorInfo, "__post_init__")):
        return TensorInfo
    unfrozen = make_dataclass("_UnfrozenInfo", [(f.name, f.type) for f in fields(TensorInfo)], slots=True, eq=False,
                              repr=False, match_args=False)

    def make(name: str, shape: Any, dtype: str = "", bits: int = 0, value: Any = None,
             static: bool = False) -> TensorInfo:
        t: Any = unfrozen(name, shape, dtype, bits, value, static)
        t.__class__ = TensorInfo
        return t  # a TensorInfo now

    return make


new_info = _info_factory()


def info_from_type(name: str, tp: onnx.TypeProto | None) -> TensorInfo:
    """A TensorInfo from a TypeProto (non-tensor types keep only the name).

    Absurd dims are unknown, never trusted: a negative one, and all of them when the
    tensor would hold more than load.MAX_NUMEL elements (load warns about both)."""
    if tp is None:
        return TensorInfo(name, None)
    shape, dt, bits = type_fields(tp)
    return TensorInfo(name, shape, dt, bits)


def type_fields(tp: onnx.TypeProto) -> Fields:
    """(shape, dtype, bits) a TypeProto declares (shape None: not a tensor, or no shape)."""
    if not tp.HasField("tensor_type"):
        return None, "", 0
    tt = tp.tensor_type
    dt, bits = dtype_of(tt.elem_type)
    if not tt.HasField("shape"):
        return None, dt, bits
    dims: list[Any] = []
    for d in tt.shape.dim:
        if d.HasField("dim_value"):
            dims.append(d.dim_value)
        elif d.HasField("dim_param") and d.dim_param:
            dims.append(d.dim_param)
        else:
            dims.append(None)
    return sane_dims(dims), dt, bits


class TypeCache:
    """type_fields by the type's bytes: one decoding per distinct type."""

    def __init__(self) -> None:
        self._seen: dict[bytes, Fields] = {}

    def fields(self, tp: onnx.TypeProto) -> Fields:
        key = tp.SerializeToString()
        hit = self._seen.get(key)
        if hit is None:
            hit = self._seen[key] = type_fields(tp)
        return hit


def sane_dims(dims: Iterable[Any]) -> tuple[Any, ...]:
    """Declared dims with the absurd ones unknown (None): a negative dim, and every dim
    of a tensor past _MAX_NUMEL elements. Nothing is ever allocated by a dim."""
    out = tuple(dims)
    if _INT.issuperset(map(type, out)) and (not out or min(out) >= 0):  # the common case, in C
        return out if prod(out) <= _MAX_NUMEL else tuple(None for _ in out)
    out = tuple(None if type(d) is int and d < 0 else d for d in out)
    n = 1
    for d in out:
        if type(d) is int:
            n *= d
    return tuple(None for _ in out) if n > _MAX_NUMEL else out


def type_from_info(t: TensorInfo, elem_type: int) -> onnx.TypeProto:
    shape = None if t.shape is None else [d if d is not None else None for d in t.shape]
    return helper.make_tensor_type_proto(elem_type, shape)


def _pick(mine: Any, hint: Any) -> Any:
    """A known int beats a symbol, a symbol beats unknown; ours first at equal rank."""
    if type(mine) is int:
        return mine
    if type(hint) is int:
        return hint
    return mine if mine is not None else hint


def merge_shape(shape: Any, hint: Any) -> Any:
    """Our inferred shape with what it left unknown or symbolic filled from a hint's."""
    if shape is None:
        return hint
    if hint is not None and len(hint) == len(shape):
        return tuple(_pick(d, h) for d, h in zip(shape, hint))
    return shape
