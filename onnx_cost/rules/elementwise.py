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

from functools import partial

from onnx_cost.rules._elementwise import N_BROADCAST, N_UNARY, elementwise, per_element
from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import NodeView
from onnx_cost.rules.registry import rule

binary = partial(elementwise, n_is=N_BROADCAST, module=__name__)
unary = partial(elementwise, n_is=N_UNARY, module=__name__)

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
