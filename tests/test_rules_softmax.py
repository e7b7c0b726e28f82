"""Softmax, LogSoftmax, Hardmax: one-node cases, expected numbers worked out by hand.

Per row of D: Softmax arith 3D − 1, exp D, compare D − 1; LogSoftmax arith 3D − 1,
transcendental D + 1, compare D − 1; Hardmax compare D − 1.
"""

from __future__ import annotations

import pytest

from helpers import one_node

F = "float32"
X = [2, 3, 4]

# (op, opset, attrs, arith, transcendental, compare)
CASES = [
    # opset 13, axis −1: 6 rows of 4: arith 6·11 = 66, exp 24, compare 6·3 = 18
    ("Softmax", 13, {}, 66, 24, 18),
    # axis 1: 8 rows of 3: arith 8·8 = 64, exp 24, compare 8·2 = 16
    ("Softmax", 13, {"axis": 1}, 64, 24, 16),
    ("Softmax", 21, {"axis": -2}, 64, 24, 16),
    # opset 11, default axis 1, coerced to [2, 12]: 2 rows of 12: arith 2·35 = 70, exp 24, compare 2·11 = 22
    ("Softmax", 11, {}, 70, 24, 22),
    # opset 11, axis 2: [6, 4] -> same as opset 13 axis −1
    ("Softmax", 11, {"axis": 2}, 66, 24, 18),
    # opset 1, axis 0: [1, 24]: arith 71, exp 24, compare 23
    ("Softmax", 1, {"axis": 0}, 71, 24, 23),
    # LogSoftmax opset 13, axis −1: arith 66, transcendental 6·(4 + 1) = 30, compare 18
    ("LogSoftmax", 13, {}, 66, 30, 18),
    # LogSoftmax opset 11, default axis 1: 2 rows of 12: arith 70, transcendental 2·13 = 26, compare 22
    ("LogSoftmax", 11, {}, 70, 26, 22),
    # Hardmax opset 13, axis −1: compare 18
    ("Hardmax", 13, {}, 0, 0, 18),
    # Hardmax opset 11, default axis 1: 2 rows of 12: compare 22
    ("Hardmax", 11, {}, 0, 0, 22),
    # Hardmax axis 0 at opset 13: 12 rows of 2: compare 12
    ("Hardmax", 13, {"axis": 0}, 0, 0, 12),
]


@pytest.mark.parametrize("op,opset,attrs,arith,trans,compare", CASES)
def test_softmax_family(op, opset, attrs, arith, trans, compare):
    rec = one_node(op, [("x", F, X)], [("y", F, X)], opset=opset, **attrs)
    assert rec.status == "counted", rec.detail
    assert (rec.cost.arith, rec.cost.transcendental, rec.cost.compare) == (arith, trans, compare)
    assert rec.flops == arith + trans + compare and rec.macs == 0


@pytest.mark.parametrize("op", ["Softmax", "LogSoftmax", "Hardmax"])
def test_softmax_family_invalid_and_unknown(op):
    assert one_node(op, [("x", F, X)], [("y", F, None)], axis=3).status == "invalid"
    rec = one_node(op, [("x", F, ["N", 3, 4])], [("y", F, None)])
    assert rec.status == "shape_unknown" and "N" in rec.missing


def test_softmax_length_one_rows():
    # axis of length 1: 8 rows of 1: arith 8·2 = 16 (sub, div), exp 8, no compare
    rec = one_node("Softmax", [("x", F, [2, 4, 1])], [("y", F, None)])
    assert (rec.cost.arith, rec.cost.transcendental, rec.cost.compare) == (16, 8, 0)
