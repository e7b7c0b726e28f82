"""Softmax, LogSoftmax and Hardmax: per row of D elements along the axis.

A row is what the op normalizes: from opset 13 the D = d(axis) elements along ``axis``
(rows = elements / D); before opset 13 the input is coerced to 2-D at ``axis``, so a row is
D = d(axis)·…·d(r−1) elements and rows = d0·…·d(axis−1). The per-row formula is the same.

Softmax and LogSoftmax are counted in the numerically stable form of their opset-13
function bodies (subtract the row max before exp). Peers: thop counts softmax as 3D − 1
per row (exp, adds, div) without the max; fvcore does not count softmax.
"""

from __future__ import annotations

from math import prod

from onnx_cost.rules._softmax import log_softmax_rows, softmax_rows
from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import NodeView, RuleError
from onnx_cost.rules.registry import rule


def rows(view: NodeView) -> tuple[int, int]:
    """(rows, D): the rows of D elements the op works on, per the opset's axis semantics."""
    x = view.in_shape(0)
    axis = view.attr("axis", -1 if view.opset >= 13 else 1)
    if not -len(x) <= axis < len(x):
        raise RuleError(f"{view.op_type}: axis={axis} is out of range for an input of shape {list(x)}")
    a = axis + len(x) if axis < 0 else axis
    d = x[a] if view.opset >= 13 else prod(x[a:])
    return (prod(x) // d if d else 0), d


@rule("Softmax")
def softmax(view: NodeView) -> Cost:
    """Per row of D elements (D = d(axis) from opset 13, d(axis)·…·d(r−1) before; rows = elements /
    D), per the function body: D−1 compares (max), D subs (x − max), D exps, D−1 adds (sum), D divs:
    arith = rows·(3D − 1), transcendental = rows·D, compare = rows·(D − 1).

    Before opset 13 a row is the 2-D coercion at axis (D = d(axis)·…·d(r−1)), from 13 the
    single axis. Without the max subtraction (the spec's plain formula) it would be 3D − 1
    per row, thop's count.
    """
    n, d = rows(view)
    if d == 0:
        return Cost()
    return softmax_rows(n, d)


@rule("LogSoftmax")
def log_softmax(view: NodeView) -> Cost:
    """Per row of D elements (D = d(axis) from opset 13, d(axis)·…·d(r−1) before; rows = elements /
    D), per the function body: D−1 compares (max), D subs (x − max), D exps, D−1 adds (sum), 1 log of
    the sum, D subs ((x − max) − log sum): arith = rows·(3D − 1), transcendental = rows·(D + 1),
    compare = rows·(D − 1).

    Not log(softmax(x)) taken literally (that would be D divs and D logs per row).
    """
    n, d = rows(view)
    if d == 0:
        return Cost()
    return log_softmax_rows(n, d)


@rule("Hardmax")
def hardmax(view: NodeView) -> Cost:
    """Per row of D elements (D = d(axis) from opset 13, d(axis)·…·d(r−1) before; rows = elements /
    D): D−1 compares to find the first maximum: compare = rows·(D − 1).

    Writing the one-hot row is memory traffic (the output written once), not arithmetic.
    """
    n, d = rows(view)
    if d == 0:
        return Cost()
    return Cost(compare=n * (d - 1))
