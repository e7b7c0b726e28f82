"""Reductions of the default domain: Reduce*, ArgMax/ArgMin, CumSum, TopK, Det.

Symbols: I = input elements, O = output elements, R = elements reduced into each output
(I = O·R). R comes from the axes (attribute before opset 18, 13 for ReduceSum; a constant
input after); when the axes input is not known statically, from R = I / O with the output
shape (exact whatever the axes), and the node is shape-unknown only when neither is known.
A reduction over an empty set of axes (``noop_with_empty_axes`` = 1) is an identity: the
reduce step costs nothing but composite ops still apply their element steps (ReduceL2
returns |x| through a square and a sqrt, ReduceLogSum returns log x).

An op whose inputs are all integer (or bool) counts the same operations in ``int_ops``.
Peers: fvcore ignores reductions; thop's ONNX counter counts I ops for a reduce.
"""

from __future__ import annotations

from math import prod
from typing import Any

from onnx_cost.rules._routing import routed
from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import NodeView, RuleError, ShapeUnknown
from onnx_cost.rules.registry import rule


def counted(view: NodeView, arith: int = 0, trans: int = 0, compare: int = 0) -> Cost:
    """The parts as float counts, or all in ``int_ops`` when the node computes on integers."""
    return routed(view, Cost(arith=arith, transcendental=trans, compare=compare))


def ints(value: Any) -> list[int]:
    """A known small tensor value (numpy array or scalar) as a flat list of ints."""
    flat = value.ravel().tolist() if hasattr(value, "ravel") else value
    return [int(a) for a in (flat if isinstance(flat, list) else [flat])]


def axis_of(view: NodeView, axis: int, rank: int) -> int:
    if not -rank <= axis < rank:
        raise RuleError(f"{view.op_type}: axis {axis} is out of range for an input of rank {rank}")
    return axis + rank if axis < 0 else axis


def _axes(view: NodeView) -> list[int] | None:
    """The reduce axes as written ([] for none given), None when the axes input is not known."""
    if view.opset < (13 if view.op_type == "ReduceSum" else 18):
        return list(view.attr("axes") or [])
    if not view.has_input(1):
        return []
    try:
        return ints(view.in_value(1))
    except ShapeUnknown:
        return None


def reduced(view: NodeView) -> tuple[int, int, bool]:
    """(O, R, noop) of a Reduce* node; noop: the empty-axes identity of noop_with_empty_axes."""
    x = view.in_shape(0)
    i = prod(x)
    noop = view.opset >= 13 and bool(view.attr("noop_with_empty_axes", 0))
    axes = _axes(view)
    if axes is None:  # dynamic axes: the output shape still tells R
        try:
            o = view.out_numel(0)
        except ShapeUnknown as e:
            why = f"{view.op_type}: axes input not known statically and {e.what}"
            raise ShapeUnknown(why, e.missing) from e
        if noop and o == i and view.op_type == "ReduceMean":
            raise ShapeUnknown(
                "ReduceMean: axes not known: a no-op cannot be told from a reduction over size-1 axes"
            )
        if o == 0:
            return 0, 0, False
        if i % o:
            raise RuleError(f"{view.op_type}: output of {o} elements does not divide input {list(x)}")
        return o, i // o, False
    if not axes:
        if noop:
            return i, 1, True
        axes = list(range(len(x)))
    norm = [axis_of(view, a, len(x)) for a in axes]
    if len(set(norm)) != len(norm):
        raise RuleError(f"{view.op_type}: repeated axes {axes}")
    return prod(d for k, d in enumerate(x) if k not in norm), prod(x[a] for a in norm), False


# op: (pre-op arith, pre-op transcendental per input element; the reduce step's part;
#      post-op arith, post-op transcendental per output element; doc row)
_REDUCE: dict[str, tuple[int, int, str, int, int, str]] = {
    "ReduceSum": (0, 0, "arith", 0, 0, "R−1 adds per output: arith = O·(R − 1)"),
    "ReduceMean": (
        0, 0, "arith", 1, 0,
        "R−1 adds and 1 div per output: arith = O·(R − 1) + O (no div for the empty-axes no-op)",
    ),
    "ReduceMax": (0, 0, "compare", 0, 0, "R−1 max per output: compare = O·(R − 1)"),
    "ReduceMin": (0, 0, "compare", 0, 0, "R−1 min per output: compare = O·(R − 1)"),
    "ReduceProd": (0, 0, "arith", 0, 0, "R−1 muls per output: arith = O·(R − 1)"),
    "ReduceL1": (
        1, 0, "arith", 0, 0,
        "1 abs per input element, R−1 adds per output: arith = I + O·(R − 1)",
    ),
    "ReduceL2": (
        1, 0, "arith", 0, 1,
        "1 square per input element, R−1 adds and 1 sqrt per output: "
        "arith = I + O·(R − 1), transcendental = O",
    ),
    "ReduceLogSum": (
        0, 0, "arith", 0, 1,
        "R−1 adds and 1 log per output: arith = O·(R − 1), transcendental = O",
    ),
    "ReduceLogSumExp": (
        0, 1, "arith", 0, 1,
        "1 exp per input element, R−1 adds and 1 log per output: arith = O·(R − 1), "
        "transcendental = I + O (the spec's log(Σ exp x), without a max subtraction)",
    ),
    "ReduceSumSquare": (
        1, 0, "arith", 0, 0,
        "1 square per input element, R−1 adds per output: arith = I + O·(R − 1)",
    ),
}


def _reduce_rule(op: str) -> None:
    pre_a, pre_t, part, post_a, post_t, text = _REDUCE[op]

    def reduce_op(view: NodeView) -> Cost:
        o, r, noop = reduced(view)
        if r == 0:  # an empty reduction: the output is filled with the identity
            return Cost()
        i = o * r
        steps = 0 if noop else o * (r - 1)
        post = post_a * o if not (noop and op == "ReduceMean") else 0
        arith = pre_a * i + post + (steps if part == "arith" else 0)
        return counted(view, arith, pre_t * i + post_t * o, steps if part == "compare" else 0)

    reduce_op.__name__ = reduce_op.__qualname__ = op.lower()
    doc = (
        f"{text}, where I = input elements, O = output elements, R = I/O reduced per output "
        "(from the axes, or from the output shape when the axes input is not known); "
        "integer inputs in int_ops."
    )
    rule(op, doc=doc)(reduce_op)


for _op in _REDUCE:
    _reduce_rule(_op)


@rule("ArgMax", "ArgMin")
def arg_reduce(view: NodeView) -> Cost:
    """R−1 compares per output along axis (R = d(axis), O = elements / R): compare = O·(R − 1); integer
    inputs in int_ops.

    keepdims and select_last_index change no count.
    """
    x = view.in_shape(0)
    r = x[axis_of(view, view.attr("axis"), len(x))]
    if r == 0:
        return Cost()
    return counted(view, compare=prod(x) // r * (r - 1))


@rule("CumSum", "CumProd")
def cumulative(view: NodeView) -> Cost:
    """Per line of L = d(axis) elements (lines = elements / L): L−1 adds (CumSum) or muls (CumProd),
    L−2 when exclusive (the first output is the identity, the second a copy): arith = lines·max(L −
    1 − exclusive, 0); reverse changes nothing; integer inputs in int_ops.

    The axis is an input: it must be known statically (a constant), else shape-unknown.
    """
    x = view.in_shape(0)
    (axis,) = ints(view.in_value(1))
    length = x[axis_of(view, axis, len(x))]
    if length == 0:
        return Cost()
    lines = prod(x) // length
    return counted(view, arith=lines * max(length - 1 - int(view.attr("exclusive") != 0), 0))


def sort_compares(n: int) -> int:
    """Worst-case comparisons of a merge sort of n items: n·⌈log2 n⌉ − 2^⌈log2 n⌉ + 1."""
    if n <= 1:
        return 0
    c = (n - 1).bit_length()
    return n * c - (1 << c) + 1


@rule("TopK")
def topk(view: NodeView) -> Cost:
    """Estimate. Per row of n = d(axis) elements (rows = elements / n): k = 1 is an exact max search, n
    − 1 compares; k ≥ 2 is estimated as a full merge sort of the row, n·⌈log2 n⌉ − 2^⌈log2 n⌉ + 1
    compares (its worst case); k = 0 costs nothing; integer inputs in int_ops.

    k comes from the output shape, else from the K input (opset 10+) or the k attribute.
    largest and sorted change nothing. A runtime may select with a heap (about n·log2 k
    compares) or a partial sort: this row is an estimate, not a count.
    """
    x = view.in_shape(0)
    a = axis_of(view, view.attr("axis"), len(x))
    n = x[a]
    try:
        k = view.out_shape(0)[a]
    except ShapeUnknown:
        k = ints(view.in_value(1))[0] if view.opset >= 10 else int(view.attr("k", 0))
    if k < 0 or k > n:
        raise RuleError(f"TopK: k={k} is outside [0, {n}] for input {list(x)} along axis {a}")
    if k == 0 or n == 0:
        return Cost()
    per_row = n - 1 if k == 1 else sort_compares(n)
    return counted(view, compare=prod(x) // n * per_row)


@rule("Det")
def det(view: NodeView) -> Cost:
    """Estimate by an exact algorithm count: per M×M matrix (B = product of the batch dims), LU by
    Gaussian elimination with partial pivoting, for m = M−1 … 1: m pivot compares, m divs, m² muls
    and m² subs, then M−1 muls of the diagonal: arith = B·(M(M−1)/2 + (M−1)M(2M−1)/3 + M − 1),
    compare = B·M(M−1)/2 (leading term 2M³/3).

    Row swaps and the sign are not counted. The updates are kept in arith (not macs): they
    are rank-1 updates, not dot products. A runtime's blocked LU (LAPACK getrf) has the same
    leading term.
    """
    x = view.in_shape(0)
    if len(x) < 2 or x[-1] != x[-2]:
        raise RuleError(f"Det: input {list(x)} is not a (batch of) square matrices")
    b, m = prod(x[:-2]), x[-1]
    if m <= 1:
        return Cost()
    arith = m * (m - 1) // 2 + (m - 1) * m * (2 * m - 1) // 3 + m - 1
    return Cost(arith=b * arith, compare=b * m * (m - 1) // 2)
