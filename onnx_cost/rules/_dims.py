"""Dims that may be symbolic (shape functions) and a node's raw attributes: small shared helpers.

A Dim is a known int, a symbolic name or None (node.py). These combine them as far as they are
known: a product, a sum or an exact division is None unless every operand is a known int, and
``bcast_dims`` is the numpy broadcast that keeps a symbolic dim where it decides the result (the
concrete ``node.broadcast`` says the same for known shapes).
"""

from __future__ import annotations

from collections.abc import Sequence
from math import prod
from typing import Any

from .node import Dim, NodeView, RuleError, TensorInfo


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


def bcast_dims(*shapes: Sequence[Dim]) -> tuple[Dim, ...]:
    """Numpy broadcast of shapes that may hold symbolic dims (None where undecidable)."""
    rank = max((len(s) for s in shapes), default=0)
    out: list[Dim] = []
    for i in range(rank):
        dims = [s[len(s) - rank + i] for s in shapes if len(s) - rank + i >= 0]
        ints = {d for d in dims if type(d) is int and d != 1}
        syms = {d for d in dims if type(d) is not int}
        if len(ints) > 1:
            raise RuleError(f"shapes {[list(s) for s in shapes]} do not broadcast")
        if ints:
            out.append(ints.pop())
        elif len(syms) == 1:
            out.append(syms.pop())
        elif syms:
            out.append(None)
        else:
            out.append(1)
    return tuple(out)
