"""Multinomial, worked out by hand: per row of K classes K exps and K − 1 adds; per sample 1 mul
and ceil(log2 K) compares."""

from __future__ import annotations

import pytest

from helpers import one_node

F = "float32"


@pytest.mark.parametrize(
    "shape, attrs, arith, trans, compare",
    [
        # B 2, K 5, s 3: exps 2·5 = 10; arith 2·(4 + 3) = 14; compare 2·3·ceil(log2 5)=3 = 18
        ([2, 5], dict(sample_size=3), 14, 10, 18),
        # default sample_size 1: arith 2·(4 + 1) = 10; compare 2·1·3 = 6
        ([2, 5], dict(), 10, 10, 6),
        # K 8: ceil(log2 8) = 3; B 1, s 4: exps 8; arith 7 + 4 = 11; compare 4·3 = 12
        ([1, 8], dict(sample_size=4), 11, 8, 12),
    ],
)
def test_multinomial(shape, attrs, arith, trans, compare):
    rec = one_node("Multinomial", [("x", F, shape)], [("y", "int32", None)], opset=22, **attrs)
    assert rec.status == "counted", rec.detail
    c = rec.cost
    assert (c.arith, c.transcendental, c.compare, c.macs) == (arith, trans, compare, 0)


def test_multinomial_symbolic_and_invalid():
    rec = one_node("Multinomial", [("x", F, ["b", 5])], [("y", "int32", None)], opset=22)
    assert rec.status == "shape_unknown" and "b" in rec.missing
    rec = one_node("Multinomial", [("x", F, [2, 3, 5])], [("y", "int32", None)], opset=22)
    assert rec.status == "invalid"
