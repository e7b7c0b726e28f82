"""Elementwise math of the default domain: a fixed handful of operations per output element.

The convention, shared with ``activation.py``: an elementwise op costs a fixed
number of operations per OUTPUT element, N = numel of output 0, which is the
numpy broadcast of the inputs (an input repeated by broadcasting is not
re-counted). Each op is one line of a factory that names the operations it
counts, so its row in docs/counting.md says exactly what is counted. An op
with no float input (``view.is_float()`` False: integer or bool tensors)
counts the same operations in ``int_ops`` and 0 FLOPs. Constants are not
specialised: a multiply by alpha counts even when alpha is 1.

Not counted: index arithmetic of broadcasting and the bytes it moves (the
analyzer reads every input once, as stored). Peers: the seeds count add,
sub, mul, div, max, exp, sqrt... as 1 FLOP each, as here; fvcore skips
elementwise ops; ptflops and thop count only module-level activations; none of
them keeps integer work apart from FLOPs.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from .cost import Cost
from .node import NodeView, ShapeUnknown, broadcast, numel
from .registry import Rule, rule

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
    n = output_elements(view)
    if per.int_ops or not view.is_float():
        return Cost(int_ops=k * n)
    return per.scaled(n)


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
    module: str = __name__,
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


binary = partial(elementwise, n_is=N_BROADCAST)
unary = partial(elementwise, n_is=N_UNARY)

# -- binary arithmetic (numpy broadcasting) -------------------------------------------------
binary("Add", "A + B", arith="add", ints=True)
binary("Sub", "A − B", arith="sub", ints=True)
binary("Mul", "A · B", arith="mul", ints=True)
binary("Div", "A / B", arith="div", ints=True)
binary("Pow", "X ^ Y", transcendental="pow", ints=True)
binary("Mod", "A mod B (C fmod when fmod=1, Python % when fmod=0)", arith="mod", ints=True)

# -- integer and bool logic: always int_ops ----------------------------------------------
binary("BitShift", "X << Y or X >> Y (direction)", int_ops="shift")
binary("BitwiseAnd", "A & B", int_ops="and")
binary("BitwiseOr", "A | B", int_ops="or")
binary("BitwiseXor", "A ^ B", int_ops="xor")
unary("BitwiseNot", "~X", int_ops="not")
binary("And", "A and B (bool)", int_ops="and")
binary("Or", "A or B (bool)", int_ops="or")
binary("Xor", "A xor B (bool)", int_ops="xor")
unary("Not", "not X (bool)", int_ops="not")

# -- comparisons and select ----------------------------------------------------------------
binary("Equal", "A == B", compare="eq", ints=True)
binary("Less", "A < B", compare="lt", ints=True)
binary("Greater", "A > B", compare="gt", ints=True)
binary("LessOrEqual", "A <= B", compare="le", ints=True)
binary("GreaterOrEqual", "A >= B", compare="ge", ints=True)
binary("Where", "condition ? X : Y", compare="select", ints=True)
unary("IsNaN", "isnan(X)", compare="isnan")
unary(
    "IsInf",
    "isinf(X)",
    compare="isinf",
    note="One classification test per element whatever detect_positive/detect_negative.",
)

# -- unary arithmetic ----------------------------------------------------------------------
unary("Abs", "|X|", arith="abs", ints=True)
unary("Neg", "−X", arith="neg", ints=True)
unary("Sign", "sign(X)", arith="sign", ints=True)
unary("Floor", "floor(X)", arith="floor")
unary("Ceil", "ceil(X)", arith="ceil")
unary("Round", "round(X), half to even", arith="round")

# -- unary transcendental ------------------------------------------------------------------
unary("Reciprocal", "1 / X", transcendental="reciprocal")
for _fn in (
    "sqrt", "exp", "log", "erf", "sin", "cos", "tan", "asin", "acos", "atan",
    "sinh", "cosh", "asinh", "acosh", "atanh",
):  # fmt: skip
    unary(_fn.capitalize(), f"{_fn}(X)", transcendental=_fn)


# -- n-ary (variadic, broadcasting) ------------------------------------------------------
def _n_inputs(view: NodeView) -> int:
    return sum(t is not None for t in view.inputs)


@rule("Sum")
def count_sum(view: NodeView) -> Cost:
    """y = data_0 + … + data_(n−1) over n inputs: per output element n−1 arith (adds);
    (n−1)·N FLOPs, N = elements of the output (the numpy broadcast of the inputs); one
    input is a copy (0).
    """
    return per_element(view, Cost(arith=_n_inputs(view) - 1))


@rule("Mean")
def count_mean(view: NodeView) -> Cost:
    """y = (data_0 + … + data_(n−1)) / n over n inputs: per output element n−1 arith (adds)
    + 1 arith (div) = n FLOPs; n·N FLOPs, N = elements of the output (the numpy broadcast
    of the inputs); one input is a copy (0).
    """
    n = _n_inputs(view)
    return per_element(view, Cost(arith=n if n > 1 else 0))


@rule("Max")
def count_max(view: NodeView) -> Cost:
    """y = max(data_0, …, data_(n−1)) over n inputs: per output element n−1 compare;
    (n−1)·N FLOPs, N = elements of the output (the numpy broadcast of the inputs); one
    input is a copy (0). Integer inputs: (n−1)·N int_ops, 0 FLOPs.
    """
    return per_element(view, Cost(compare=_n_inputs(view) - 1))


@rule("Min")
def count_min(view: NodeView) -> Cost:
    """y = min(data_0, …, data_(n−1)) over n inputs: per output element n−1 compare;
    (n−1)·N FLOPs, N = elements of the output (the numpy broadcast of the inputs); one
    input is a copy (0). Integer inputs: (n−1)·N int_ops, 0 FLOPs.
    """
    return per_element(view, Cost(compare=_n_inputs(view) - 1))
