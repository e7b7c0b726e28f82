"""Losses: NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss, counted as the sums of their
function bodies (the same body from opset 12 to 22).

Symbols: input (N, C, d1, …, dk), M = N·d1·…·dk samples (the elements of the target), C classes.
The NLL body per sample: gather input[n, target, d…] (data movement), Neg; with a weight, gather
weight[target] and Mul; with ignore_index, the targets go through Sub (target − target, the typed
zero), Equal (== ignore_index) and Where (ignored → class 0), all on integers, and the gathered
loss and weight through Where (→ 0) each, float selects; without a weight the ignore mask becomes
the weight (Where(mask, 0, 1)), then the Mul. Reduction 'sum': a ReduceSum of M; 'mean': a
ReduceMean (M − 1 adds, 1 div) unweighted, else ReduceSum of the losses and of the weights and a Div.
"""

from __future__ import annotations

from dataclasses import replace
from math import prod

from onnx_cost.rules._softmax import log_softmax_rows
from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import NodeView, RuleError, ShapeUnknown, nbytes
from onnx_cost.rules.registry import rule

REDUCTIONS = ("none", "sum", "mean")


def _samples(view: NodeView) -> tuple[int, int]:
    """(M, C): the samples (elements of the target) and classes, checking the shapes agree."""
    x, t = view.in_shape(0), view.in_shape(1)
    if len(x) < 2:
        raise RuleError(f"{view.op_type} '{view.name}': input {list(x)} needs rank >= 2 (N, C, d1…)")
    if tuple(t) != (x[0], *x[2:]):
        raise RuleError(f"{view.op_type} '{view.name}': target {list(t)} should be {[x[0], *x[2:]]} (input {list(x)} "
                        f"less C)")
    if view.has_input(2) and tuple(view.in_shape(2)) != (x[1],):
        raise RuleError(f"{view.op_type} '{view.name}': weight {list(view.in_shape(2))} should be [{x[1]}] (C)")
    return prod(t), x[1]


def nll_cost(view: NodeView, m: int) -> Cost:
    """The NLL body's ops over ``m`` samples, for ``view``'s weight, ignore_index and reduction."""
    reduction = view.attr("reduction", "mean")
    if reduction not in REDUCTIONS:
        raise RuleError(f"{view.op_type} '{view.name}': reduction={reduction!r} is not one of none, sum, mean")
    if m == 0:
        return Cost()
    ignore = view.attr("ignore_index") is not None
    weighted = view.has_input(2) or ignore
    arith = m + (m if weighted else 0)  # Neg, the weight Mul
    compare = 2 * m if ignore else 0  # Where on the gathered loss and on the weight
    int_ops = 3 * m if ignore else 0  # Sub, Equal, Where on the targets
    if reduction == "sum":
        arith += m - 1
    elif reduction == "mean":
        arith += 2 * (m - 1) + 1 if weighted else m  # two ReduceSums and a Div; ReduceMean
    return Cost(arith=arith, compare=compare, int_ops=int_ops)


@rule("NegativeLogLikelihoodLoss")
def nll_loss(view: NodeView) -> Cost:
    """Per the function body, M = N·d1·…·dk samples: M negs; + M muls with a weight or an
    ignore_index; with ignore_index + 2·M compares (selects) and 3·M int_ops (Sub, Equal, Where on
    the targets); reduction 'sum' + M − 1 adds, 'mean' + M arith (M − 1 adds, 1 div) without weight
    and ignore_index, else + 2·(M − 1) + 1 (two sums, a div); 'none' + 0. Reads M gathered input
    elements, the target and the weight once.

    ignore_index does not change the count: the body masks with selects whatever the labels (a
    kernel skipping ignored samples does at most this). The class gathers are data movement.
    """
    m, c = _samples(view)
    cost = nll_cost(view, m)
    try:  # the input is read only where the targets point
        bits = [view.inputs[i].bits if view.has_input(i) else 0 for i in range(3)]  # type: ignore[union-attr]  # has_input: not None
        if not bits[0] or not bits[1] or (view.has_input(2) and not bits[2]):
            raise ShapeUnknown("element size of an input unknown")
        read = nbytes(m, bits[0]) + nbytes(m, bits[1]) + (nbytes(c, bits[2]) if view.has_input(2) else 0)
    except ShapeUnknown:
        return cost  # the analyzer's every-input-once bytes
    return replace(cost, read_bytes=read)


@rule("SoftmaxCrossEntropyLoss")
def softmax_cross_entropy_loss(view: NodeView) -> Cost:
    """Per the function body: LogSoftmax over the C classes of each of the M = N·d1·…·dk samples
    (arith M·(3C − 1), transcendental M·(C + 1), compare M·(C − 1): LogSoftmax's count), then
    NegativeLogLikelihoodLoss over the M samples with the same weights, ignore_index and reduction
    (M negs; + M muls with weights or ignore_index; + 2·M compares and 3·M int_ops with
    ignore_index; 'sum' + M − 1, 'mean' + M unweighted or 2·(M − 1) + 1 weighted).

    The body's Reshape/Transpose around the LogSoftmax are data movement; log_prob is the
    LogSoftmax output (an Identity), so asking for it costs nothing more.
    """
    m, c = _samples(view)
    # LogSoftmax's count per row of C (softmax.py): max, subtract, exp, sum, log, subtract.
    log_softmax = log_softmax_rows(m, c) if c else Cost()
    return log_softmax + nll_cost(view, m)
