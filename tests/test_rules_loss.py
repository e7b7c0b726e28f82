"""NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss, worked out by hand from their function bodies.

M samples (elements of the target), C classes. NLL: M negs; + M muls with a weight or ignore_index;
ignore_index: + 2·M compares and 3·M int_ops; 'sum' + M − 1; 'mean' + M (unweighted) or
2·(M − 1) + 1 (weighted or ignore_index). SCE: LogSoftmax per sample row of C (arith M·(3C − 1),
transcendental M·(C + 1), compare M·(C − 1)) + the NLL count.
"""

from __future__ import annotations

import pytest

from helpers import one_node

F = "float32"


def nll(x=(2, 3, 4), t=(2, 4), weight=None, t_dtype="int64", opset=22, **attrs):
    ins = [("x", F, list(x)), ("t", t_dtype, list(t))] + ([("w", F, list(weight))] if weight is not None else [])
    return one_node("NegativeLogLikelihoodLoss", ins, [("loss", F, None)], opset=opset, **attrs)


def sce(x=(2, 3, 4), t=(2, 4), weight=None, log_prob=False, opset=13, **attrs):
    ins = [("x", F, list(x)), ("t", "int64", list(t))] + ([("w", F, list(weight))] if weight is not None else [])
    outs = [("loss", F, None)] + ([("log_prob", F, None)] if log_prob else [])
    return one_node("SoftmaxCrossEntropyLoss", ins, outs, opset=opset, **attrs)


# input (2, 3, 4), target (2, 4): M = 8, C = 3.
# (id, kwargs, arith, compare, int_ops)
NLL = [
    ("none", dict(reduction="none"), 8, 0, 0),  # 8 negs
    ("sum", dict(reduction="sum"), 15, 0, 0),  # 8 + 7 adds
    ("mean-default", dict(), 16, 0, 0),  # 8 + ReduceMean 7 adds + 1 div
    ("weight-none", dict(weight=[3], reduction="none"), 16, 0, 0),  # 8 negs + 8 muls
    ("weight-sum", dict(weight=[3], reduction="sum"), 23, 0, 0),  # 16 + 7
    ("weight-mean", dict(weight=[3]), 31, 0, 0),  # 16 + 7 + 7 + 1 div
    # ignore_index, no weight: the mask is the weight: 8 negs + 8 muls; 2·8 selects; 3·8 int ops
    ("ii-none", dict(reduction="none", ignore_index=1), 16, 16, 24),
    ("ii-mean", dict(ignore_index=-1), 31, 16, 24),  # 16 + 7 + 7 + 1
    ("ii-weight-sum", dict(weight=[3], reduction="sum", ignore_index=0), 23, 16, 24),  # 16 + 7
    ("int32-target", dict(t_dtype="int32", reduction="sum"), 15, 0, 0),
    ("opset-12", dict(opset=12, weight=[3]), 31, 0, 0),
    # input (5, 10), target (5,): M = 5: 5 negs + 4 adds + 1 div = 10
    ("2d-mean", dict(x=(5, 10), t=(5,)), 10, 0, 0),
]


@pytest.mark.parametrize("case", NLL, ids=[c[0] for c in NLL])
def test_nll(case):
    _id, kw, arith, compare, int_ops = case
    rec = nll(**kw)
    assert rec.status == "counted", rec.detail
    c = rec.cost
    assert (c.arith, c.compare, c.int_ops, c.transcendental, c.macs) == (arith, compare, int_ops, 0, 0)


def test_nll_output_shapes():
    assert nll(reduction="none").outputs[0] == (2, 4)
    assert nll().outputs[0] == ()


def test_nll_reads_only_the_gathered_inputs():
    # 8 float32 gathered = 32 B + target 8 int64 = 64 B → 96; with weight (3 float32 = 12 B) → 108.
    assert nll().cost.read_bytes == 96
    assert nll(weight=[3]).cost.read_bytes == 108


# scores (2, 3, 4), labels (2, 4): M = 8, C = 3: LogSoftmax arith 8·8 = 64, exps+log 8·4 = 32, compare 8·2 = 16.
# (id, kwargs, arith, transcendental, compare, int_ops)
SCE = [
    ("mean-default", dict(), 80, 32, 16, 0),  # 64 + 8 + 8
    ("none-log-prob", dict(reduction="none", log_prob=True), 72, 32, 16, 0),  # 64 + 8
    ("sum", dict(reduction="sum"), 79, 32, 16, 0),  # 64 + 15
    ("weights-mean", dict(weight=[3]), 95, 32, 16, 0),  # 64 + 31
    ("ii-mean", dict(ignore_index=2), 95, 32, 32, 24),  # 64 + 31; 16 + 16 selects; 24 int ops
    # scores (3, 5), labels (3,): M 3, C 5: arith 3·14 = 42 + 3 + 3 = 48, exps 3·6 = 18, compare 3·4 = 12
    ("2d-mean", dict(x=(3, 5), t=(3,)), 48, 18, 12, 0),
    ("opset-12", dict(opset=12), 80, 32, 16, 0),
]


@pytest.mark.parametrize("case", SCE, ids=[c[0] for c in SCE])
def test_sce(case):
    _id, kw, arith, trans, compare, int_ops = case
    rec = sce(**kw)
    assert rec.status == "counted", rec.detail
    c = rec.cost
    assert (c.arith, c.transcendental, c.compare, c.int_ops) == (arith, trans, compare, int_ops)


def test_sce_flops_and_shapes():
    rec = sce(reduction="none", log_prob=True)
    assert rec.outputs == ((2, 4), (2, 3, 4))
    assert rec.flops == 72 + 32 + 16  # 120


@pytest.mark.parametrize("op", [nll, sce])
def test_loss_invalid(op):
    assert op(reduction="max").status == "invalid"
    assert op(t=(2, 5)).status == "invalid"  # target must be (N, d1) = (2, 4)
    assert op(weight=[4]).status == "invalid"  # weight must be (C,) = (3,)


@pytest.mark.parametrize("op", [nll, sce])
def test_loss_shape_unknown(op):
    rec = op(x=("N", 3, 4), t=("N", 4))
    assert rec.status == "shape_unknown"
    assert "N" in rec.missing
