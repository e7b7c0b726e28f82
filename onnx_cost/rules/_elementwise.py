"""The factory of per-element ops: a fixed handful of named operations per output element.

The convention of ``elementwise.py`` and ``activation.py`` (see elementwise.py): N = numel of
output 0, the numpy broadcast of the inputs; integer inputs count the same operations in
``int_ops`` (``_routing``). Each op is one factory call naming the operations it counts, and
those names make its docs/counting.md row.
"""

from __future__ import annotations

from collections.abc import Iterable

from onnx_cost.rules._routing import on_integers, routed
from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import NodeView, ShapeUnknown, broadcast, numel
from onnx_cost.rules.registry import Rule, rule

Names = str | Iterable[str]
N_BROADCAST = "N = elements of the output (the numpy broadcast of the inputs)"
N_UNARY = "N = elements of X (= of the output)"


def output_elements(view: NodeView) -> int:
    """Elements of output 0; when its shape is unknown, of the broadcast of the present inputs."""
    try:
        return view.out_numel(0)
    except ShapeUnknown as out_err:
        # opset < 7 "broadcast": B broadcasts onto A, the output has A's shape
        used = [0] if "broadcast" in view.attrs else [i for i, t in enumerate(view.inputs) if t is not None]
        shapes, missing = [], list(out_err.missing)
        for i in used:
            try:
                shapes.append(view.in_shape(i))
            except ShapeUnknown as in_err:
                missing += in_err.missing
        if len(shapes) < len(used):
            raise ShapeUnknown(out_err.what, tuple(dict.fromkeys(missing))) from None
        return numel(broadcast(*shapes))


def per_element(view: NodeView, per: Cost) -> Cost:
    """``per`` (one output element's operations) times the output elements.

    Integer-only ops (``per.int_ops``) and ops with no float input count the
    same number of operations in ``int_ops``. Zero operations (a copy) is 0
    whatever the shapes.
    """
    k = per.flops + per.int_ops
    if k == 0:
        return Cost()
    cost = per.scaled(output_elements(view))
    return on_integers(cost) if per.int_ops else routed(view, cost)


def _names(x: Names) -> tuple[str, ...]:
    return (x,) if isinstance(x, str) else tuple(x)


def _part(kind: str, names: tuple[str, ...]) -> str:
    label = kind if kind != "int_ops" else "int op" if len(names) == 1 else "int ops"
    return f"{len(names)} {label} ({', '.join(names)})"


def row(formula: str, parts: dict[str, tuple[str, ...]], n_is: str, ints: bool = False) -> str:
    """The docs/counting.md row of an op costing the named operations per output element.

    ``parts`` maps a cost part to the names of its operations; ``ints``: the op
    also takes integer tensors (then counted in int_ops).
    """
    k = sum(len(v) for v in parts.values())
    times = "N" if k == 1 else f"{k}·N"
    listed = " + ".join(_part(kind, v) for kind, v in parts.items() if v)
    if parts.get("int_ops"):
        return f"y = {formula}: per output element {listed}; {times} int_ops, 0 FLOPs, {n_is}."
    text = f"y = {formula}: per output element {listed} = {k} FLOP{'s' if k > 1 else ''}; {times} FLOPs, {n_is}."
    if ints:
        text += f" Integer inputs: {times} int_ops, 0 FLOPs."
    return text


def elementwise(
    op: str,
    formula: str,
    *,
    arith: Names = (),
    transcendental: Names = (),
    compare: Names = (),
    int_ops: Names = (),
    ints: bool = False,
    note: str = "",
    n_is: str = N_BROADCAST,
    module: str,
) -> Rule:
    """Register ``op`` as costing the named operations per output element.

    Each keyword names the operations of one cost part (their count is the
    number of names); ``int_ops`` marks an integer-only op (bitwise, bool
    logic); ``ints`` says the op also takes integer tensors; ``note`` is
    appended to the doc row; ``module`` is the family the op is listed under.
    """
    parts = {
        "arith": _names(arith),
        "transcendental": _names(transcendental),
        "compare": _names(compare),
        "int_ops": _names(int_ops),
    }
    per = Cost(**{k: len(v) for k, v in parts.items()})
    doc = f"{row(formula, parts, n_is, ints)} {note}".strip()

    def count(view: NodeView) -> Cost:
        return per_element(view, per)

    count.__name__ = count.__qualname__ = f"count_{op}"
    count.__module__ = module
    count.__doc__ = doc
    return rule(op, doc=doc)(count)
