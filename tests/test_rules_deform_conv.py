"""DeformConv: one-node models, every expected count worked out by hand.

P = prod(out) output locations, K = prod(kernel) taps, r spatial axes, G = offset_group:
macs = N·Cout·P·(Cin/g)·K; dots = N·Cout·P; bias_adds = N·Cout·P with B;
arith = N·G·P·K·4r (coordinates) + N·Cin·P·K·(3·(2^r − 1) + [mask]) (interpolation, mask mul).
"""

from __future__ import annotations

import pytest

from helpers import one_node

F = "float32"


def run(x, w, offset, b=None, mask=None, **attrs):
    ins = [("x", F, x), ("w", F, w), ("offset", F, offset)]
    if b is not None or mask is not None:
        ins.append(("b", F, b) if b is not None else None)
    if mask is not None:
        ins.append(("mask", F, mask))
    return one_node("DeformConv", ins, [("y", F, None)], opset=22, **attrs)


# (id, x, w, offset, b, mask, attrs, output shape, macs, dots, bias_adds, arith)
CASES = [
    # group 2, 3×3 on 6×6: out 4×4, P 16, K 9. macs 1·8·16·(4/2)·9 = 2,304; dots 8·16 = 128;
    # coords 1·1·16·9 = 144 points × 4·2 = 1,152; samples 1·4·16·9 = 576 × 3·3 = 9 → 5,184; arith 6,336.
    ("group-2", [1, 4, 6, 6], [8, 2, 3, 3], [1, 18, 4, 4], None, None, {"group": 2}, (1, 8, 4, 4),
     2_304, 128, 0, 6_336),
    # offset_group 2, mask and bias: offset 2·9·2 = 36 channels, mask 2·9 = 18; points 1·2·16·9 = 288 × 8 = 2,304;
    # samples 576 × (9 + 1 mask mul) = 5,760; arith 8,064; bias 128.
    ("offset-groups-mask-bias", [1, 4, 6, 6], [8, 2, 3, 3], [1, 36, 4, 4], [8], [1, 18, 4, 4],
     {"group": 2, "offset_group": 2}, (1, 8, 4, 4), 2_304, 128, 128, 8_064),
    # mask without bias (B absent): same as group-2 plus 576 mask muls: 6,336 + 576 = 6,912.
    ("mask-no-bias", [1, 4, 6, 6], [8, 2, 3, 3], [1, 18, 4, 4], None, [1, 9, 4, 4], {"group": 2}, (1, 8, 4, 4),
     2_304, 128, 0, 6_912),
    # pads 1, stride 2: out floor((7 + 2 − 3)/2) + 1 = 4, P 16; macs 3·16·2·9 = 864; dots 48;
    # coords 16·9 = 144 × 8 = 1,152; samples 2·16·9 = 288 × 9 = 2,592; arith 3,744.
    ("pads-stride-2", [1, 2, 7, 7], [3, 2, 3, 3], [1, 18, 4, 4], None, None, {"pads": [1, 1, 1, 1], "strides": [2, 2]},
     (1, 3, 4, 4), 864, 48, 0, 3_744),
    # dilation 2: extent 5, out 7 − 5 + 1 = 3, P 9; macs 3·9·2·9 = 486; dots 27;
    # coords 9·9 = 81 × 8 = 648; samples 2·9·9 = 162 × 9 = 1,458; arith 2,106.
    ("dilation-2", [1, 2, 7, 7], [3, 2, 3, 3], [1, 18, 3, 3], None, None, {"dilations": [2, 2]}, (1, 3, 3, 3),
     486, 27, 0, 2_106),
    # the onnx node case: 1×1×3×3, 2×2 kernel, out 2×2, P 4, K 4; macs 4·4 = 16; dots 4; bias 4;
    # coords 4·4 = 16 × 8 = 128; samples 16 × (9 + 1) = 160; arith 288.
    ("onnx-case-mask-bias", [1, 1, 3, 3], [1, 1, 2, 2], [1, 8, 2, 2], [1], [1, 4, 2, 2], {}, (1, 1, 2, 2),
     16, 4, 4, 288),
    # batch 2, kernel_shape given: x 5×5, 2×2 kernel, out 4×4, P 16, K 4; macs 2·2·16·1·4 = 256; dots 64;
    # coords 2·1·16·4 = 128 × 8 = 1,024; samples 2·1·16·4 = 128 × 9 = 1,152; arith 2,176.
    ("batch-2", [2, 1, 5, 5], [2, 1, 2, 2], [2, 8, 4, 4], None, None, {"kernel_shape": [2, 2]}, (2, 2, 4, 4),
     256, 64, 0, 2_176),
    # 1-D (r = 1, linear: 3·(2 − 1) = 3 arith per sample): out 10 − 3 + 1 = 8, K 3, offset 1·3·1 = 3 channels;
    # macs 2·4·8·3·3 = 576; dots 64; coords 2·1·8·3 = 48 × 4 = 192; samples 2·3·8·3 = 144 × 3 = 432; arith 624.
    ("1d", [2, 3, 10], [4, 3, 3], [2, 3, 8], None, None, {}, (2, 4, 8), 576, 64, 0, 624),
    # 3-D (r = 3, trilinear: 3·(8 − 1) = 21 arith per sample): 2×2×2 on 4×4×4, out 3×3×3, P 27, K 8,
    # offset 8·3 = 24 channels; macs 27·8 = 216; dots 27; coords 27·8 = 216 × 4·3 = 2,592;
    # samples 216 × 21 = 4,536; arith 7,128.
    ("3d", [1, 1, 4, 4, 4], [1, 1, 2, 2, 2], [1, 24, 3, 3, 3], None, None, {}, (1, 1, 3, 3, 3), 216, 27, 0, 7_128),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_deform_conv(case):
    _id, x, w, offset, b, mask, attrs, out, macs, dots, bias, arith = case
    rec = run(x, w, offset, b, mask, **attrs)
    assert rec.status == "counted", rec.detail
    assert rec.outputs[0] == out
    c = rec.cost
    assert (c.macs, c.dots, c.bias_adds, c.arith) == (macs, dots, bias, arith)
    assert c.transcendental == c.compare == c.int_ops == 0
    assert c.flops == 2 * macs - dots + bias + arith


def test_deform_conv_flops_of_the_onnx_case():
    # 2·16 − 4 + 4 + 288 = 320 FLOPs.
    rec = run([1, 1, 3, 3], [1, 1, 2, 2], [1, 8, 2, 2], [1], [1, 4, 2, 2])
    assert rec.flops == 320


INVALID = [
    # offset needs G·K·r = 1·9·2 = 18 channels
    ("offset-channels", [1, 4, 6, 6], [8, 4, 3, 3], [1, 17, 4, 4], None, None, {}),
    # offset spatial dims must be the output's (4×4)
    ("offset-spatial", [1, 4, 6, 6], [8, 4, 3, 3], [1, 18, 5, 5], None, None, {}),
    # offset_group 3 does not divide Cin 4
    ("offset-group", [1, 4, 6, 6], [8, 4, 3, 3], [1, 54, 4, 4], None, None, {"offset_group": 3}),
    # mask needs G·K = 9 channels
    ("mask-channels", [1, 4, 6, 6], [8, 4, 3, 3], [1, 18, 4, 4], None, [1, 18, 4, 4], {}),
    # bias must be (Cout,) = (8,)
    ("bias", [1, 4, 6, 6], [8, 4, 3, 3], [1, 18, 4, 4], [4], None, {}),
    # weight has 4 input channels per group, Cin/group = 4/2 = 2
    ("weight-per-group", [1, 4, 6, 6], [8, 4, 3, 3], [1, 18, 4, 4], None, None, {"group": 2}),
    # group 3 divides neither Cin 4 nor Cout 8
    ("group", [1, 4, 6, 6], [8, 1, 3, 3], [1, 18, 4, 4], None, None, {"group": 3}),
    # kernel 7 larger than the 6×6 input
    ("kernel-too-large", [1, 1, 6, 6], [1, 1, 7, 7], [1, 98, 1, 1], None, None, {}),
]


@pytest.mark.parametrize("case", INVALID, ids=[c[0] for c in INVALID])
def test_deform_conv_invalid(case):
    _id, x, w, offset, b, mask, attrs = case
    rec = run(x, w, offset, b, mask, **attrs)
    assert rec.status == "invalid", rec.detail


def test_deform_conv_shape_unknown():
    rec = run(["N", 4, 6, 6], [8, 4, 3, 3], ["N", 18, 4, 4])
    assert rec.status == "shape_unknown"
    assert "N" in rec.missing
