"""Values the user binds: the value of a small input (``--value sr=16000``) and the
branch an If takes (``--branch NODE=then``), checked against the model.

A bound value enters value propagation (values.py) like a constant's, so an If on
it is decided and a shape computed from it is known; it is not static (not a
weight, not a constant): it is an input the user fixed for this analysis.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import onnx

from onnx_cost.analyzer.values import SMALL
from onnx_cost.errors import BindingError, printable
from onnx_cost.model.dtypes import NUMPY_TYPES
from onnx_cost.rules.node import TensorInfo

MAX_VALUE = 64  # elements a bound value may have: a scalar or a small integer tensor (a length, a step count)
THEN, ELSE = "then", "else"


def _listed(names: Iterable[str]) -> str:
    names = sorted(names)
    return ", ".join(names[:20]) + (", ..." if len(names) > 20 else "") if names else "none"


def parse_value(text: str) -> Any:
    """A value as the user writes it: ``16000``, ``0.5``, ``true``, ``1,2,3`` or ``[1,2,3]``."""
    body = text.strip()
    listed = body.startswith("[") and body.endswith("]")
    if listed:
        body = body[1:-1]
    parts = [p.strip() for p in body.split(",")] if body else []
    if not parts or any(not p for p in parts):
        raise BindingError(f"--value {text!r}: give a number or a comma-separated list of numbers")
    out: list[Any] = []
    for p in parts:
        low = p.lower()
        if low in ("true", "false"):
            out.append(low == "true")
            continue
        try:
            out.append(int(p))
        except ValueError:
            try:
                out.append(float(p))
            except ValueError:
                raise BindingError(f"--value {text!r}: {p!r} is not a number") from None
    return out if listed or len(out) > 1 else out[0]


def bind_values(
    graph: onnx.GraphProto, bound: dict[str, TensorInfo], values: Mapping[str, Any]
) -> dict[str, TensorInfo]:
    """``bound`` (the graph inputs, shapes bound) with the user's values attached.

    A value is a scalar or a list (at most MAX_VALUE elements), for an input whose
    declared shape it fits; it is cast to the input's element type."""
    if not values:
        return bound
    out = dict(bound)
    for name, raw in values.items():
        t = bound.get(name)
        if t is None:
            raise BindingError(f"--value {name}: the model has no such input (inputs: {_listed(bound)})")
        out[name] = _with_value(t, raw, bound)
    return out


def value_dims(graph: onnx.GraphProto, values: Mapping[str, Any] | None) -> dict[str, int]:
    """The symbolic dims of valued inputs that their values' shapes decide (``--value ids=1,2,3``
    on an input ``[n]`` binds n = 3), so that the dim is not left free elsewhere."""
    out: dict[str, int] = {}
    if not values:
        return out
    for i in graph.input:
        if i.name not in values or not i.type.HasField("tensor_type"):
            continue
        try:
            shape = np.shape(values[i.name])
        except Exception:  # bind_values says what is wrong with it
            continue
        dims = i.type.tensor_type.shape.dim
        if len(dims) == len(shape):
            for d, n in zip(dims, shape):
                if d.HasField("dim_param") and d.dim_param:
                    out.setdefault(d.dim_param, int(n))
    return out


def _with_value(t: TensorInfo, raw: Any, bound: Mapping[str, TensorInfo]) -> TensorInfo:
    where = f"--value {t.name}"
    np_type = NUMPY_TYPES.get(t.dtype)
    if np_type is None or t.dtype in ("string",):
        raise BindingError(f"{where}: the input's element type ({t.dtype or 'unknown'}) cannot take a bound value")
    try:
        arr = np.asarray(raw)
        if arr.dtype == object or arr.dtype.kind not in "biuf":
            raise ValueError
        if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
            raise ValueError
        target = np.dtype(np_type)
        if target.kind in "iu" and arr.size:
            info = np.iinfo(target.type)  # type: ignore[type-var]  # an integer type: kind checked
            if arr.min() < info.min or arr.max() > info.max:
                raise ValueError
        value: np.ndarray = arr.astype(np_type)
    except (TypeError, ValueError, OverflowError):
        raise BindingError(f"{where}: {str(raw)[:80]!r} is not a finite number (or list of numbers) "
                           f"that {t.dtype} holds") from None
    if value.size > MAX_VALUE:
        raise BindingError(f"{where}: {value.size} elements given; a bound value is a scalar or at most "
                           f"{MAX_VALUE} numbers (a length, a rate, a step count)")
    shape = t.shape
    if shape is not None:
        known = [d for d in shape if type(d) is int]
        n = 1
        for d in known:
            n *= d
        if len(known) == len(shape) and n > SMALL:
            small = [k for k, v in bound.items() if _small(v)]
            raise BindingError(f"{where}: the input is a {n}-element tensor, not a small value; "
                               f"inputs that can take a value: {_listed(small)}")
        if value.ndim == 0 and len(shape) > 0 and all(d == 1 or type(d) is not int for d in shape):
            value = value.reshape((1,) * len(shape))  # a scalar for a [1] (or [N]) input: one element
        if value.ndim != len(shape) or any(type(d) is int and d != v for d, v in zip(shape, value.shape)):
            raise BindingError(f"{where}: a value of shape {list(value.shape)} does not fit the input's shape "
                               f"{['?' if d is None else d for d in shape]}")
    return TensorInfo(t.name, tuple(value.shape), t.dtype, t.bits, value, False)


def _small(t: TensorInfo) -> bool:
    if t.shape is None:
        return True
    n = 1
    for d in t.shape:
        if type(d) is int:
            n *= d
    return n <= MAX_VALUE


def check_branches(model: onnx.ModelProto, branches: Mapping[str, str]) -> dict[str, bool]:
    """``{If node name: "then"|"else"}`` as the condition each If is to take; BindingError
    for a name that is no If of the model (listing those there are) or another choice."""
    if not branches:
        return {}
    ifs = [n.name for n in if_nodes(model.graph) if n.name]
    out: dict[str, bool] = {}
    for name, which in branches.items():
        w = str(which).strip().lower()
        if w not in (THEN, ELSE):
            raise BindingError(f"--branch {name}={which}: give then or else")
        if name not in ifs:
            raise BindingError(f"--branch {name}: the model has no If node of that name (its If nodes: "
                               f"{_listed(ifs)})")
        out[name] = w == THEN
    return out


def if_nodes(graph: onnx.GraphProto) -> list[onnx.NodeProto]:
    """Every If node of the graph and its subgraphs."""
    from onnx_cost.analyzer.subgraphs import all_graphs

    return [n for g in all_graphs(graph) for n in g.node if n.op_type == "If" and n.domain in ("", "ai.onnx")]


def condition_source(name: str, orders: Sequence[Sequence[onnx.NodeProto]], tensors: Mapping[str, TensorInfo]) -> str:
    """Where an If's condition comes from, in words: the graph inputs it is computed from
    (``input 'sr' via Equal``; ``the shape of 'x'`` where it reads only a shape), else the op
    that computes it. ``orders``: the nodes of the If's graph and of every enclosing graph."""
    producer = {o: n for order in orders for n in order for o in n.output if o}
    seen: set[str] = set()
    leaves: list[str] = []
    stack = [name]
    while stack and len(seen) < 10_000:
        x = stack.pop()
        if x in seen or not x:
            continue
        seen.add(x)
        n = producer.get(x)
        if n is None:
            t = tensors.get(x)
            if t is None or not t.static:
                leaves.append(f"input '{x}'")
            continue
        if n.op_type in ("Shape", "Size") and n.input:  # only the shape is read: bind it with --input/--dim
            leaves.append(f"the shape of '{n.input[0]}'")
            continue
        stack.extend(n.input)
    via = producer.get(name)
    how = f" via {via.op_type}" if via is not None else ""
    if leaves:
        shown = ", ".join(sorted(set(leaves))[:4]) + (", ..." if len(set(leaves)) > 4 else "")
        return printable(f"{shown}{how}", 300)
    return printable(f"'{name}'{how}", 300)
