"""Softmax and LogSoftmax per row: the one owner of these counts.

Counted in the numerically stable form of the opset-13 function bodies: per row of D elements,
D − 1 compares (max), D subs (x − max), D exps, D − 1 adds (sum), then D divs (Softmax) or 1 log
and D subs (LogSoftmax). Softmax, LogSoftmax, SoftmaxCrossEntropyLoss, the attention cores and
QLinearSoftmax all count it this way.
"""

from __future__ import annotations

from onnx_cost.rules.cost import Cost


def softmax_rows(rows: int, d: int) -> Cost:
    """``rows`` softmaxes of ``d`` elements: arith rows·(3d − 1), transcendental rows·d, compare rows·(d − 1)."""
    return Cost(compare=rows * (d - 1), arith=rows * (3 * d - 1), transcendental=rows * d)


def log_softmax_rows(rows: int, d: int) -> Cost:
    """``rows`` log-softmaxes of ``d`` elements: as softmax, with 1 log and d subs instead of d divs."""
    return Cost(compare=rows * (d - 1), arith=rows * (3 * d - 1), transcendental=rows * (d + 1))
