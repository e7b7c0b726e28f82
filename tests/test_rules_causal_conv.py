"""CausalConvWithState (opset 27): one-node models, every expected count worked out by hand.

input (B, C, L), weight (C, 1, k): macs = B·C·L·k; dots = B·C·L; bias_adds = B·C·L with bias;
activation silu/swish: arith = 4·B·C·L (sigmoid's neg, add, div and the mul), transcendental = B·C·L.
"""

from __future__ import annotations

import pytest

from helpers import one_node

F = "float32"


def run(x, w, bias=None, past=None, dtype=F, **attrs):
    ins = [("x", dtype, x), ("w", dtype, w)]
    if bias is not None or past is not None:
        ins.append(("b", dtype, bias) if bias is not None else None)
    if past is not None:
        ins.append(("past", dtype, past))
    return one_node("CausalConvWithState", ins, [("y", dtype, None), ("present", dtype, None)], opset=27, **attrs)


# (id, x, w, bias, past, attrs, macs, dots, bias_adds, arith, transcendental)
CASES = [
    # B 2, C 8, L 5, k 4: 2·8·5 = 80 outputs × 4 taps = 320 MACs; 80 dots.
    ("basic", [2, 8, 5], [8, 1, 4], None, None, {}, 320, 80, 0, 0, 0),
    # past_state given: the same taps (state instead of zeros): 320 MACs.
    ("past-state", [2, 8, 5], [8, 1, 4], None, [2, 8, 3], {}, 320, 80, 0, 0, 0),
    # bias: + 80 adds.
    ("bias", [2, 8, 5], [8, 1, 4], [8], None, {}, 320, 80, 80, 0, 0),
    # silu with bias and past: + 4·80 = 320 arith, 80 exps.
    ("silu-bias-past", [2, 8, 5], [8, 1, 4], [8], [2, 8, 3], {"activation": "silu"}, 320, 80, 80, 320, 80),
    # swish is silu's alias.
    ("swish", [2, 8, 5], [8, 1, 4], None, None, {"activation": "swish"}, 320, 80, 0, 320, 80),
    # explicit 'none': no activation.
    ("none", [2, 8, 5], [8, 1, 4], None, None, {"activation": "none"}, 320, 80, 0, 0, 0),
    # k 1 (no state): 1·3·6 = 18 outputs × 1 = 18 MACs, 18 dots.
    ("kernel-1", [1, 3, 6], [3, 1, 1], None, None, {}, 18, 18, 0, 0, 0),
    # decode step L 1, k 4, past (1, 4, 3): 1·4·1 = 4 outputs × 4 = 16 MACs; silu 16 arith, 4 exps.
    ("decode-step", [1, 4, 1], [4, 1, 4], None, [1, 4, 3], {"activation": "silu"}, 16, 4, 0, 16, 4),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_causal_conv(case):
    _id, x, w, bias, past, attrs, macs, dots, bias_adds, arith, trans = case
    rec = run(x, w, bias, past, **attrs)
    assert rec.status == "counted", rec.detail
    b, c, length = x
    assert rec.outputs == ((b, c, length), (b, c, w[2] - 1))
    cost = rec.cost
    assert (cost.macs, cost.dots, cost.bias_adds, cost.arith, cost.transcendental) == (macs, dots, bias_adds, arith, trans)
    assert cost.compare == cost.int_ops == 0


def test_causal_conv_flops_and_fp16():
    # silu + bias: 2·320 − 80 + 80 + 320 + 80 = 1,040 FLOPs; the dtype does not change the count.
    rec = run([2, 8, 5], [8, 1, 4], [8], None, dtype="float16", activation="silu")
    assert rec.status == "counted", rec.detail
    assert rec.flops == 1_040


INVALID = [
    # weight must be (C, 1, k): middle dim 2
    ("weight-not-depthwise", [2, 8, 5], [8, 2, 4], None, None, {}),
    # weight channels 4 ≠ C 8
    ("weight-channels", [2, 8, 5], [4, 1, 4], None, None, {}),
    # past_state must be (B, C, k − 1) = (2, 8, 3)
    ("past-length", [2, 8, 5], [8, 1, 4], None, [2, 8, 2], {}),
    # bias must be (C,) = (8,)
    ("bias", [2, 8, 5], [8, 1, 4], [4], None, {}),
    # activation not one of none, silu, swish
    ("activation", [2, 8, 5], [8, 1, 4], None, None, {"activation": "relu"}),
]


@pytest.mark.parametrize("case", INVALID, ids=[c[0] for c in INVALID])
def test_causal_conv_invalid(case):
    _id, x, w, bias, past, attrs = case
    rec = run(x, w, bias, past, **attrs)
    assert rec.status == "invalid", rec.detail


def test_causal_conv_shape_unknown():
    rec = run([2, 8, "L"], [8, 1, 4])
    assert rec.status == "shape_unknown"
    assert "L" in rec.missing
