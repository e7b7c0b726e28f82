"""Conv and ConvTranspose: one-node models, every expected count worked out by hand.

Conv: outputs = N·Cout·prod(out); macs = outputs·(Cin/g)·prod(kernel); dots = outputs;
bias_adds = outputs when B is given.
ConvTranspose: macs = N·Cin·prod(in)·(Cout/g)·prod(kernel); dots = outputs reached by
at least one tap; bias_adds = N·Cout·prod(out) when B is given.
"""

from __future__ import annotations

import pytest

from helpers import init, one_node


def run(op, x, w, b=None, dtype="float32", opset=21, x_dtype=None, **attrs):
    """One ``op`` node; weight (and bias) are initializers."""
    inits = [init("w", dtype, w)] + ([init("b", dtype, b)] if b is not None else [])
    ins = [("x", x_dtype or dtype, x), ("w", dtype, w)] + ([("b", dtype, b)] if b is not None else [])
    return one_node(op, ins, [("y", dtype, None)], inits, opset=opset, **attrs)


# (id, x, w, b, attrs, output shape, macs, dots, bias_adds)
CONV = [
    # The seeds' example: 96×96×3 input, 16 filters of 5×5, no padding: out 96−5+1 = 92.
    # 1·16·92·92 = 135,424 outputs × 3·5·5 = 75 → 10,156,800 MACs; bias: 135,424 adds.
    ("seeds-5x5-bias", [1, 3, 96, 96], [16, 3, 5, 5], [16], {}, (1, 16, 92, 92), 10_156_800, 135_424, 135_424),
    # pads 1, 3×3: out (32+2−3)+1 = 32; 1·16·32·32 = 16,384 outputs × 3·3·3 = 27 = 442,368.
    ("pads-same-size", [1, 3, 32, 32], [16, 3, 3, 3], None, {"pads": [1, 1, 1, 1], "kernel_shape": [3, 3]},
     (1, 16, 32, 32), 442_368, 16_384, 0),
    # stride 2, pads 1: out floor((32+2−3)/2)+1 = 16; 8·16·16 = 2,048 outputs × 27 = 55,296.
    ("stride-2", [1, 3, 32, 32], [8, 3, 3, 3], None, {"strides": [2, 2], "pads": [1, 1, 1, 1]},
     (1, 8, 16, 16), 55_296, 2_048, 0),
    # asymmetric pads [h_begin 0, w_begin 1, h_end 2, w_end 0]: H 10+0+2−3+1 = 10, W 10+1+0−3+1 = 9;
    # 1·10·9 = 90 outputs × 1·3·3 = 810.
    ("asymmetric-pads", [1, 1, 10, 10], [1, 1, 3, 3], None, {"pads": [0, 1, 2, 0]}, (1, 1, 10, 9), 810, 90, 0),
    # dilation 2: extent 2·(3−1)+1 = 5, out 16−5+1 = 12; 4·12·12 = 576 outputs × 2·9 = 18 → 10,368.
    ("dilation-2", [1, 2, 16, 16], [4, 2, 3, 3], None, {"dilations": [2, 2]}, (1, 4, 12, 12), 10_368, 576, 0),
    # group 2: Cin/g = 4/2 = 2; out 8−3+1 = 6; 6·6·6 = 216 outputs × 2·9 = 18 → 3,888.
    ("group-2", [1, 4, 8, 8], [6, 2, 3, 3], None, {"group": 2}, (1, 6, 6, 6), 3_888, 216, 0),
    # depthwise g = Cin = 8, pads 1: out 8; 8·8·8 = 512 outputs × 1·9 → 4,608; bias 512.
    ("depthwise", [1, 8, 8, 8], [8, 1, 3, 3], [8], {"group": 8, "pads": [1, 1, 1, 1]},
     (1, 8, 8, 8), 4_608, 512, 512),
    # 1-D, N = 2, stride 2: out floor((20−3)/2)+1 = 9; 2·5·9 = 90 outputs × 4·3 = 12 → 1,080; bias 90.
    ("conv1d-batch2", [2, 4, 20], [5, 4, 3], [5], {"strides": [2]}, (2, 5, 9), 1_080, 90, 90),
    # 3-D: out (4−2+1, 6−3+1, 6−3+1) = (3, 4, 4); 3·3·4·4 = 144 outputs × 2·2·3·3 = 36 → 5,184.
    ("conv3d", [1, 2, 4, 6, 6], [3, 2, 2, 3, 3], None, {}, (1, 3, 3, 4, 4), 5_184, 144, 0),
    # SAME_UPPER, stride 2: out ceil(7/2) = 4; 2·4·4 = 32 outputs × 9 = 288.
    ("same-upper-stride2", [1, 1, 7, 7], [2, 1, 3, 3], None, {"auto_pad": "SAME_UPPER", "strides": [2, 2]},
     (1, 2, 4, 4), 288, 32, 0),
    # SAME_LOWER, even kernel 4: out = in = 6×5; 30 outputs × 16 = 480.
    ("same-lower-even-kernel", [1, 1, 6, 5], [1, 1, 4, 4], None, {"auto_pad": "SAME_LOWER"}, (1, 1, 6, 5), 480, 30, 0),
    # VALID, stride 2: out floor((7−3)/2)+1 = 3; 9 outputs × 9 = 81.
    ("valid-stride2", [1, 1, 7, 7], [1, 1, 3, 3], None, {"auto_pad": "VALID", "strides": [2, 2]}, (1, 1, 3, 3), 81, 9, 0),
    # SAME_UPPER with dilation 2 and stride 2 (1-D): out ceil(7/2) = 4; 4 outputs × 3 = 12.
    ("same-upper-dilated", [1, 1, 7], [1, 1, 3], None, {"auto_pad": "SAME_UPPER", "strides": [2], "dilations": [2]},
     (1, 1, 4), 12, 4, 0),
    # 1×1 conv (the seeds' memory example shape): 1·32·14·14 = 6,272 outputs × 64 → 401,408.
    ("pointwise", [1, 64, 14, 14], [32, 64, 1, 1], [32], {}, (1, 32, 14, 14), 401_408, 6_272, 6_272),
]


@pytest.mark.parametrize("case", CONV, ids=[c[0] for c in CONV])
def test_conv(case):
    _id, x, w, b, attrs, out, macs, dots, bias = case
    rec = run("Conv", x, w, b, **attrs)
    assert rec.status == "counted", rec.detail
    assert rec.outputs[0] == out
    assert (rec.cost.macs, rec.cost.dots, rec.cost.bias_adds) == (macs, dots, bias)
    assert rec.cost.arith == rec.cost.compare == rec.cost.transcendental == 0


def test_seeds_example_params_and_flops():
    # Params 5·5·3·16 + 16 = 1,200 + 16 = 1,216 (the seeds' worked example).
    rec = run("Conv", [1, 3, 96, 96], [16, 3, 5, 5], [16])
    assert rec.params == 1216
    # With bias: 2·Ci·K²·H·W·Co = 2·3·25·92·92·16 = 150·135,424 = 20,313,600 FLOPs.
    assert rec.flops == 20_313_600
    # Without bias: (2·Ci·K² − 1)·H·W·Co = 149·135,424 = 20,178,176 FLOPs; params 1,200.
    nob = run("Conv", [1, 3, 96, 96], [16, 3, 5, 5])
    assert nob.flops == 20_178_176
    assert nob.params == 1200


@pytest.mark.parametrize("opset", [1, 11, 22])
def test_conv_opsets(opset):
    # pads 1, 3×3, 4 → 8 channels on 6×6: 8·6·6 = 288 outputs × 4·9 = 36 → 10,368 MACs.
    rec = run("Conv", [1, 4, 6, 6], [8, 4, 3, 3], [8], opset=opset, pads=[1, 1, 1, 1])
    assert rec.status == "counted", rec.detail
    assert (rec.cost.macs, rec.cost.dots, rec.cost.bias_adds) == (10_368, 288, 288)


def test_conv_float16():
    # Same count whatever the float type: out 6−3+1 = 4; 1·2·4·4 = 32 outputs × 1·3·3 → 288.
    rec = run("Conv", [1, 1, 6, 6], [2, 1, 3, 3], dtype="float16")
    assert (rec.cost.macs, rec.cost.dots) == (288, 32)


# (id, x, w, b, attrs, reason fragment)
CONV_INVALID = [
    # Cin 4 is not divisible by group 3.
    ("group-not-dividing", [1, 4, 8, 8], [6, 1, 3, 3], None, {"group": 3}, "group=3"),
    # Cout 6 is not divisible by group 4 (Cin 8 is).
    ("group-not-dividing-cout", [1, 8, 8, 8], [6, 2, 3, 3], None, {"group": 4}, "group=4"),
    # weight has 3 channels per group, Cin/g = 4.
    ("weight-channels", [1, 4, 8, 8], [8, 3, 3, 3], None, {}, "channels per group"),
    # 5×5 kernel on a 4×4 unpadded input.
    ("kernel-too-large", [1, 1, 4, 4], [1, 1, 5, 5], None, {}, "larger than the padded input"),
    # 3×3 dilated by 2 spans 5 > 4.
    ("dilated-too-large", [1, 1, 4, 4], [1, 1, 3, 3], None, {"dilations": [2, 2]}, "dilated extent 5"),
    # VALID with a kernel larger than the input.
    ("valid-too-large", [1, 1, 2, 2], [1, 1, 3, 3], None, {"auto_pad": "VALID"}, "larger than the padded input"),
    # kernel_shape attribute disagrees with the weight.
    ("kernel-shape-attr", [1, 1, 8, 8], [1, 1, 5, 5], None, {"kernel_shape": [3, 3]}, "kernel_shape"),
    # strides with one value for two spatial axes.
    ("strides-length", [1, 1, 8, 8], [1, 1, 3, 3], None, {"strides": [2]}, "strides"),
    # weight rank 3 for a 2-D input.
    ("weight-rank", [1, 1, 8, 8], [1, 1, 3], None, {}, "rank"),
    # bias of 8 for Cout 16.
    ("bias-shape", [1, 3, 8, 8], [16, 3, 3, 3], [8], {}, "bias"),
    # input of rank 2 has no spatial axis.
    ("input-rank", [4, 8], [2, 4, 3], None, {}, "rank 3 or more"),
]


@pytest.mark.parametrize("case", CONV_INVALID, ids=[c[0] for c in CONV_INVALID])
def test_conv_invalid(case):
    _id, x, w, b, attrs, reason = case
    rec = run("Conv", x, w, b, **attrs)
    assert rec.status == "invalid"
    assert reason in rec.detail


def test_conv_auto_pad_bad_value():
    rec = run("Conv", [1, 1, 8, 8], [1, 1, 3, 3], auto_pad="SAME")
    assert rec.status == "invalid"
    assert "auto_pad" in rec.detail


def test_conv_shape_unknown():
    rec = run("Conv", ["N", 3, 32, 32], [16, 3, 3, 3])
    assert rec.status == "shape_unknown"
    assert "N" in rec.missing


def test_conv_weight_shape_unknown():
    # The weight is a graph input with a symbolic output-channel dim.
    rec = one_node("Conv", [("x", "float32", [1, 3, 8, 8]), ("w", "float32", ["K", 3, 3, 3])], [("y", "float32", None)])
    assert rec.status == "shape_unknown"
    assert "K" in rec.missing


# (id, x, w, b, attrs, output shape, macs, dots, bias_adds)
CONV_T = [
    # stride 2: out 2·(4−1)+0+(3−1)+1 = 9; macs over the input: 1·2·4·4 · 3 · 3·3 = 32·27 = 864.
    # Taps i·2+j cover 0..8 on each axis: every one of 3·9·9 = 243 outputs → dots 243.
    # (The output-extent peer formula would give 243·2·9 = 4,374.)
    ("stride-2", [1, 2, 4, 4], [2, 3, 3, 3], None, {"strides": [2, 2]}, (1, 3, 9, 9), 864, 243, 0),
    ("stride-2-bias", [1, 2, 4, 4], [2, 3, 3, 3], [3], {"strides": [2, 2]}, (1, 3, 9, 9), 864, 243, 243),
    # 1-D stride 3 > kernel 2: out 3·2+2 = 8; taps i·3+j ∈ {0,1,3,4,6,7}: 6 of 8 reached.
    # macs 1·1·3·1·2 = 6; dots 6; bias on all 8 outputs.
    ("stride-gt-kernel", [1, 1, 3], [1, 1, 2], [1], {"strides": [3]}, (1, 1, 8), 6, 6, 8),
    # pads 1: out 2·3+3−2 = 7; macs 1·1·16·2·9 = 288; taps −1..7 cover all 7 → dots 2·49 = 98.
    ("pads", [1, 1, 4, 4], [1, 2, 3, 3], None, {"strides": [2, 2], "pads": [1, 1, 1, 1]}, (1, 2, 7, 7), 288, 98, 0),
    # output_padding 1: out 2·2+1+3 = 8; taps 0..6 reach 7 of 8 per axis → 7·7 = 49;
    # macs 1·1·9·1·9 = 81.
    ("output-padding", [1, 1, 3, 3], [1, 1, 3, 3], None, {"strides": [2, 2], "output_padding": [1, 1]},
     (1, 1, 8, 8), 81, 49, 0),
    # output_shape 6×6: full extent 2·2+3 = 7, total padding 1, NOTSET puts 1 − 1//2 = 1 first;
    # taps −1..5 cover 0..5: 36 outputs; macs 81.
    ("output-shape", [1, 1, 3, 3], [1, 1, 3, 3], None, {"strides": [2, 2], "output_shape": [6, 6]},
     (1, 1, 6, 6), 81, 36, 0),
    # SAME_UPPER: out 3·2 = 6, pad 1 at the end; taps 0..6 cover 0..5: 36; macs 81.
    ("same-upper", [1, 1, 3, 3], [1, 1, 3, 3], None, {"strides": [2, 2], "auto_pad": "SAME_UPPER"},
     (1, 1, 6, 6), 81, 36, 0),
    # group 2 (1-D): Cout = 3·2 = 6; out 5+2−1 = 6; macs 1·4·5·3·2 = 120; dots 6·6 = 36.
    ("group-2", [1, 4, 5], [4, 3, 2], None, {"group": 2}, (1, 6, 6), 120, 36, 0),
    # dilation 3, stride 2 (1-D): out 2·1+3·1+1 = 6; taps {0,2}+{0,3} = {0,2,3,5}: 4 of 6;
    # macs 1·1·2·1·2 = 4; dots 4 (each reached output gets exactly one product).
    ("dilated-gaps", [1, 1, 2], [1, 1, 2], None, {"strides": [2], "dilations": [3]}, (1, 1, 6), 4, 4, 0),
    # dilation 3, stride 1 (1-D): out 3+3+1 = 7; taps {0..3} ∪ {3..6}: all 7; macs 4·2 = 8.
    ("dilated-full", [1, 1, 4], [1, 1, 2], None, {"dilations": [3]}, (1, 1, 7), 8, 7, 0),
    # 3-D stride 2 = kernel 2: out 2·1+2 = 4 per axis; macs 1·2·8·2·8 = 256; dots 2·64 = 128.
    ("conv3d", [1, 2, 2, 2, 2], [2, 2, 2, 2, 2], None, {"strides": [2, 2, 2]}, (1, 2, 4, 4, 4), 256, 128, 0),
    # N = 2: macs 2·2·4·4·3·9 = 1,728; dots 2·3·81 = 486.
    ("batch-2", [2, 2, 4, 4], [2, 3, 3, 3], None, {"strides": [2, 2]}, (2, 3, 9, 9), 1_728, 486, 0),
]


@pytest.mark.parametrize("case", CONV_T, ids=[c[0] for c in CONV_T])
def test_conv_transpose(case):
    _id, x, w, b, attrs, out, macs, dots, bias = case
    rec = run("ConvTranspose", x, w, b, **attrs)
    assert rec.status == "counted", rec.detail
    assert rec.outputs[0] == out
    assert (rec.cost.macs, rec.cost.dots, rec.cost.bias_adds) == (macs, dots, bias)


def test_conv_transpose_same_beyond_taps():
    # SAME_UPPER, 1-D, in 3, kernel 1, stride 3: the spec asks for 3·3 = 9 outputs, the taps reach
    # the full extent 3·2+1 = 7 (onnx's inference says 7; the spec's 9 are counted, as onnxruntime
    # and the reference evaluator compute them). Total padding 7 − 9 = −2, begin −2//2 = −1:
    # taps i·3+1 = {1, 4, 7}: dots 3; macs 1·1·3·1·1 = 3; bias on all 9 outputs.
    rec = run("ConvTranspose", [1, 1, 3], [1, 1, 1], [1], strides=[3], auto_pad="SAME_UPPER")
    assert rec.status == "counted", rec.detail
    assert (rec.cost.macs, rec.cost.dots, rec.cost.bias_adds) == (3, 3, 9)


def test_conv_transpose_flops():
    # stride-2 case: 2·864 − 243 = 1,485 FLOPs; with bias + 243 = 1,728.
    assert run("ConvTranspose", [1, 2, 4, 4], [2, 3, 3, 3], strides=[2, 2]).flops == 1_485
    assert run("ConvTranspose", [1, 2, 4, 4], [2, 3, 3, 3], [3], strides=[2, 2]).flops == 1_728


CONV_T_INVALID = [
    # weight's first dim must be Cin = 2.
    ("weight-cin", [1, 2, 4, 4], [3, 3, 3, 3], {}, "Cin=2"),
    # group 2 does not divide Cin 3.
    ("group", [1, 3, 4, 4], [3, 1, 3, 3], {"group": 2}, "group=2"),
    # pads 3+3 crop more than the full extent 3 (in 1, kernel 3): out 3 − 6 < 1.
    ("cropped-away", [1, 1, 1, 1], [1, 1, 3, 3], {"pads": [3, 3, 3, 3]}, "output length"),
]


@pytest.mark.parametrize("case", CONV_T_INVALID, ids=[c[0] for c in CONV_T_INVALID])
def test_conv_transpose_invalid(case):
    _id, x, w, attrs, reason = case
    rec = run("ConvTranspose", x, w, **attrs)
    assert rec.status == "invalid"
    assert reason in rec.detail


def test_conv_transpose_shape_unknown():
    rec = run("ConvTranspose", ["B", 2, 4, 4], [2, 3, 3, 3], strides=[2, 2])
    assert rec.status == "shape_unknown"
    assert "B" in rec.missing
