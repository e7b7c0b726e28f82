"""Dims that may be symbolic (shape functions) and a node's raw attributes: small shared helpers.

A Dim is a known int, a symbolic name or None (node.py). These combine them as far as they are
known: a product, a sum or an exact division is None unless every operand is a known int, and
``node.bcast_dims`` is the numpy broadcast that keeps a symbolic dim where it decides the result.
"""

from __future__ import annotations

from math import prod
from typing import Any

from onnx_cost.rules.node import Dim, NodeView, TensorInfo, bcast_dims

__all__ = ["bcast_dims", "dadd", "ddiv", "dmul", "shape", "text"]  # bcast_dims lives in node.py


def text(v: Any) -> str:
    """A string attribute as str (shape functions see raw bytes)."""
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)


def shape(view: NodeView, i: int) -> tuple[Any, ...] | None:
    """Input i's shape as known (symbolic dims kept), or None (absent or rank unknown)."""
    t: TensorInfo | None = view.inputs[i] if i < len(view.inputs) else None
    return None if t is None else t.shape


def dmul(*dims: Dim) -> Dim:
    """Product of dims; None unless every one is a known int."""
    if all(type(d) is int for d in dims):
        return prod(dims)  # type: ignore[arg-type]  # every dim is an int
    return None


def dadd(*dims: Dim) -> Dim:
    if all(type(d) is int for d in dims):
        return sum(dims)  # type: ignore[arg-type]  # every dim is an int
    return None


def ddiv(d: Dim, k: Dim) -> Dim:
    """``d / k`` when both are known ints and ``k`` divides ``d``; else None."""
    if type(d) is int and type(k) is int and k > 0 and d % k == 0:
        return d // k
    return None
