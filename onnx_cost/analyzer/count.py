"""Counting one node: dispatch its view to the rule, and the memo that counts identical
nodes once (the layers of a transformer, a long chain)."""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import fields, replace
from typing import Any, NamedTuple, cast

from onnx_cost.analyzer.plugins import PluginError, _failure, origin
from onnx_cost.errors import InternalError, printable
from onnx_cost.model.report import COUNTED, INVALID, SHAPE_UNKNOWN, UNCOUNTED, ZERO
from onnx_cost.rules import lookup
from onnx_cost.rules._precision import precision
from onnx_cost.rules.cost import ZERO as NO_COST
from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import NodeView, RuleError, Shape, ShapeUnknown, TensorInfo, nbytes, numel
from onnx_cost.rules.registry import UNCOUNTABLE


class Facts(NamedTuple):
    """What counting one node found, before its record is built."""

    status: str
    cost: Cost
    detail: str = ""
    missing: tuple[str, ...] = ()
    bytes_partial: bool = False
    unit: Cost = NO_COST  # control flow: its bodies' cost per execution of the node
    trips: int | None = 1


Looks = tuple[tuple[Shape | None, ...], tuple[Shape | None, ...], str]  # a record's shapes and dtype


def looks(view: NodeView) -> Looks:
    """The record's input and output shapes, and its dtype (of the first typed output, else input)."""
    first = next((t for t in view.outputs + view.inputs if t is not None and t.dtype), None)
    return (
        tuple([t.shape if t is not None else None for t in view.inputs]),
        tuple([t.shape if t is not None else None for t in view.outputs]),
        first.dtype if first is not None else "",
    )


MEMO_VALUE_ELEMENTS = 4096  # a node reading a larger known value is counted afresh (its key would cost more)


def _memo_key(
    domain: str, op_type: str, opset: int, attrs: Mapping[str, Any], err: str | None,
    inputs: tuple[TensorInfo | None, ...], outputs: tuple[TensorInfo | None, ...],
) -> tuple[Any, ...] | None:
    """Everything a rule can read of a node's view but its name, or None when a known value
    is too large (or not an array) to key on."""
    sig: list[tuple[Any, ...] | None] = []
    for t in inputs + outputs:
        if t is None:
            sig.append(None)
            continue
        v = t.value
        if v is None:
            sig.append((t.shape, t.dtype, t.bits, t.static))
        elif getattr(v, "size", MEMO_VALUE_ELEMENTS + 1) <= MEMO_VALUE_ELEMENTS:
            sig.append((t.shape, t.dtype, t.bits, t.static, v.dtype.str, v.shape, v.tobytes()))
        else:
            return None
    return (domain, op_type, opset, id(attrs), err, len(inputs), *sig)


def printable_detail(f: Facts) -> Facts:
    """The facts with their detail as a record shows it: escaped, at most 500 characters
    (it quotes model text: names, shapes)."""
    return f._replace(detail=printable(f.detail, 500)) if f.detail else f


def invalid(view: NodeView, why: str) -> Facts:
    rb, _ = _io_bytes(view.inputs)
    wb, _ = _io_bytes(view.outputs)
    return Facts(INVALID, Cost(read_bytes=rb, write_bytes=wb), why, bytes_partial=True)


def _op(view: NodeView) -> str:
    return f"{view.domain}::{view.op_type}" if view.domain else view.op_type


def _count_changed(view: NodeView) -> str:
    """Why a view op is inconsistent: its output holds another element count than its input."""
    if not (view.has_input(0) and view.has_output(0)):
        return ""
    i, o = view.inputs[0], view.outputs[0]
    if i is None or o is None or i.shape is None or o.shape is None or not (i.known and o.known):
        return ""
    n_in, n_out = numel(cast(tuple[int, ...], i.shape)), numel(cast(tuple[int, ...], o.shape))  # known: all ints
    if n_in == n_out:
        return ""
    return (
        f"{view.op_type} '{view.name}': output {list(o.shape)} holds {n_out} elements, "
        f"input {list(i.shape)} holds {n_in}"
    )


class Memo:
    """``count``, the precision and the record's shapes of nodes, memoized per analysis."""

    def __init__(self) -> None:
        self._memo: dict[tuple[Any, ...], tuple[Facts, str, Looks, Mapping[str, Any]]] = {}
        self._ours: dict[tuple[str, str], bool] = {}  # op -> its rule is built in

    def of(
        self, name: str, op_type: str, domain: str, opset: int, attrs: Mapping[str, Any],
        inputs: tuple[TensorInfo | None, ...], outputs: tuple[TensorInfo | None, ...], err: str | None,
    ) -> tuple[Facts, str, Looks]:
        """``count``, the precision and the record's shapes of the node whose view is
        ``NodeView(name, op_type, ...)``, memoized: identical nodes (the layers of a
        transformer, a long chain) count identically, as rules are pure functions of the
        view. The key is the whole view but the node's name, which only error messages use:
        so only counted, zero and uncounted facts are kept. The view is built on a miss only."""
        key = _memo_key(domain, op_type, opset, attrs, err, inputs, outputs)
        if key is not None:
            hit = self._memo.get(key)
            if hit is not None:
                return hit[0], hit[1], hit[2]
        view = NodeView(name, op_type, domain, opset, attrs, inputs, outputs)
        c = printable_detail(count(view, err))
        prec = precision(view, c.cost) if c.status == COUNTED else ""
        shown = looks(view)
        if key is not None and c.status in (COUNTED, ZERO, UNCOUNTED) and self._builtin(view):
            # the attribute dict is kept alive with its entry: its id stays unique
            self._memo[key] = (c, prec, shown, view.attrs)
        return c, prec, shown

    def _builtin(self, view: NodeView) -> bool:
        """True when the op's rule is ours (a plugin's rule need not be pure in the view)."""
        key = (view.domain, view.op_type)
        ours = self._ours.get(key)
        if ours is None:
            entry = lookup(view.domain, view.op_type)
            fn = None if entry is None else entry.fn
            ours = self._ours[key] = fn is None or fn.__module__.startswith("onnx_cost.rules")
        return ours


def count(view: NodeView, err: str | None) -> Facts:
    """Dispatch a node to its rule. Only RuleError (invalid) and ShapeUnknown are
    verdicts on the node; anything else a rule raises is our bug (InternalError)."""
    entry = lookup(view.domain, view.op_type)
    rb, rpart = _io_bytes(view.inputs)
    wb, wpart = _io_bytes(view.outputs)
    inference = f"; inference: {err}" if err else ""
    if entry is None:
        why = UNCOUNTABLE.get((view.domain, view.op_type)) or (  # known, but not countable statically
            f"no rule for {view.domain + '::' if view.domain else ''}{view.op_type}"
        )
        return Facts(UNCOUNTED, Cost(read_bytes=rb, write_bytes=wb), why, bytes_partial=rpart or wpart)
    if entry.fn is None:
        bad = _count_changed(view) if entry.moves == "view" else ""
        if bad:
            return Facts(INVALID, Cost(read_bytes=rb, write_bytes=wb), bad + inference, bytes_partial=True)
        if entry.moves == "view":
            return Facts(ZERO, Cost(read_bytes=0, write_bytes=0), entry.doc)
        if entry.moves == "shape":
            return Facts(ZERO, Cost(read_bytes=0, write_bytes=wb), entry.doc, bytes_partial=wpart)
        return Facts(ZERO, Cost(read_bytes=rb, write_bytes=wb), entry.doc, bytes_partial=rpart or wpart)
    try:
        cost = entry.fn(view)
    except ShapeUnknown as e:
        return Facts(SHAPE_UNKNOWN, Cost(read_bytes=rb, write_bytes=wb), e.what + inference, e.missing, True)
    except RuleError as e:
        return Facts(INVALID, Cost(read_bytes=rb, write_bytes=wb), str(e) + inference, bytes_partial=True)
    except (Exception, SystemExit) as e:
        where = origin(entry.fn)
        if where is not None:  # a plugin's rule: its fault, named with its file and the node
            raise PluginError(f"{where}: the rule of {_op(view)} raised {_failure(e)} at node "
                              f"'{view.name or '(unnamed)'}'") from e
        if isinstance(e, SystemExit):
            raise
        raise InternalError("the rule", view.name or "(unnamed)", _op(view), e) from e
    if not entry.fn.__module__.startswith("onnx_cost.rules") and origin(entry.fn) is not None:
        cost = _check_plugin_cost(cost, entry.fn, view)
    partial = False
    if cost.read_bytes is None or cost.write_bytes is None:
        partial = (cost.read_bytes is None and rpart) or (cost.write_bytes is None and wpart)
        cost = cost.with_bytes(
            rb if cost.read_bytes is None else cost.read_bytes,
            wb if cost.write_bytes is None else cost.write_bytes,
        )
    return Facts(COUNTED, cost, bytes_partial=partial)


_COST_FIELDS = tuple(f.name for f in fields(Cost))


def _check_plugin_cost(cost: Any, fn: Any, view: NodeView) -> Cost:
    """``cost`` when a plugin's rule returned a Cost of non-negative integers (bytes may be
    None; numpy integers become ints), else PluginError: a NaN, inf, float, string or None
    would poison every total and the JSON."""
    where, node = origin(fn) or "a plugin", view.name or "(unnamed)"
    if not isinstance(cost, Cost):
        raise PluginError(f"{where}: the rule of {_op(view)} returned {printable(type(cost).__name__, 40)}, "
                          f"not a Cost, at node '{node}'")
    ints = {}
    for f in _COST_FIELDS:
        v: Any = getattr(cost, f)
        if v is None and f in ("read_bytes", "write_bytes"):
            continue
        integral = isinstance(v, numbers.Integral) and not isinstance(v, bool)
        if not integral or v < 0:
            shown = "a negative integer" if integral else printable(repr(v), 40)
            raise PluginError(f"{where}: the rule of {_op(view)} returned Cost({f}={shown}) at node '{node}': "
                              "counts are non-negative integers")
        if not isinstance(v, int):
            ints[f] = int(v)
    return replace(cost, **ints) if ints else cost


def _io_bytes(ts: tuple[TensorInfo | None, ...]) -> tuple[int, bool]:
    total, partial = 0, False
    for t in ts:
        if t is None:
            continue
        if t.known and t.bits:
            total += nbytes(numel(t.shape), t.bits)  # type: ignore[arg-type]  # known: every dim is an int
        else:
            partial = True
    return total, partial
