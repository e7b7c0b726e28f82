"""Quantized ops: the default domain (QLinearConv, QLinearMatMul, ConvInteger, MatMulInteger,
QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear) and ONNX Runtime's com.microsoft ones.

Every expected number is worked out by hand from the rule's formula and the shapes:
integer contraction: int_macs, int_ops = 2·int_macs − dots; + 1 int_op per element of a tensor
whose zero point is active (present and not statically all zero); requantization per output:
1 mul + 1 round (+ 1 add of an active output zero point) arith and 2 saturate compares.
"""

from __future__ import annotations

import pytest
from onnx import helper

from onnx_cost.rules.cost import COUNT_FIELDS

from helpers import analyze_model, init, make_model, one_node

MS = "com.microsoft"
F, U8, I8, I32 = "float32", "uint8", "int8", "int32"


def expect(rec, **parts: int) -> None:
    """The node is counted with exactly these parts (unnamed parts are 0)."""
    assert rec.status == "counted", rec.detail
    assert {f: getattr(rec.cost, f) for f in COUNT_FIELDS} == {f: parts.get(f, 0) for f in COUNT_FIELDS}


def scalar(name, dtype, value):
    return init(name, dtype, (), value)


# -- QLinearConv / ConvInteger ---------------------------------------------------------------------

QCONV_IN = [
    ("x", U8, (1, 2, 5, 5)), ("xs", F, ()), ("xz", U8, ()),
    ("w", U8, (3, 2, 3, 3)), ("ws", F, (3,)), ("wz", U8, (3,)),
    ("ys", F, ()), ("yz", U8, ()),
]


@pytest.mark.parametrize(
    "xz, wz, yz, bias, parts",
    [
        # Y (1,3,3,3) = 27 outputs × 2·9 = 18 -> 486 int MACs, int_ops 2·486 − 27 = 945;
        # x_zero_point 128: + 50 (x elements); B: + 27 int adds -> 1022;
        # requant 27 × (mul, round, add y_zp 5) = 81 + scale prep 2 × 3 w_scale = 6 -> 87; 54 compares
        (128, [0, 0, 0], 5, True, dict(macs=486, int_macs=486, int_ops=1022, arith=87, compare=54)),
        # all zero points zero (symmetric), no bias: 945 int_ops; requant 27 × 2 + 6 = 60
        (0, [0, 0, 0], 0, False, dict(macs=486, int_macs=486, int_ops=945, arith=60, compare=54)),
        # w_zero_point [1, 0, 0] is active: + 54 (3·2·3·3 weight elements) -> 999
        (0, [1, 0, 0], 0, False, dict(macs=486, int_macs=486, int_ops=999, arith=60, compare=54)),
    ],
)
def test_qlinear_conv(xz, wz, yz, bias, parts):
    inits = [scalar("xs", F, 0.1), scalar("xz", U8, xz), init("ws", F, (3,)), init("wz", U8, (3,), wz)]
    inits += [scalar("ys", F, 0.2), scalar("yz", U8, yz)]
    inputs = QCONV_IN + ([("b", I32, (3,))] if bias else [])
    rec = one_node("QLinearConv", inputs, [("y", U8, (1, 3, 3, 3))], inits)
    expect(rec, **parts)


@pytest.mark.parametrize(
    "inputs, inits, attrs, out, parts",
    [
        # 27 outputs × 18 = 486 int MACs, 945 int_ops; x_zero_point 3: + 50 -> 995
        ([("x", U8, (1, 2, 5, 5)), ("w", U8, (3, 2, 3, 3)), ("xz", U8, ())], [scalar("xz", U8, 3)], {},
         (1, 3, 3, 3), dict(macs=486, int_macs=486, int_ops=995)),
        # no zero points, SAME_UPPER: Y (1,3,5,5) = 75 × 18 = 1350 int MACs, 2700 − 75 = 2625
        ([("x", U8, (1, 2, 5, 5)), ("w", U8, (3, 2, 3, 3))], [], {"auto_pad": "SAME_UPPER"},
         (1, 3, 5, 5), dict(macs=1350, int_macs=1350, int_ops=2625)),
        # a zero-valued x_zero_point is skipped; dilation 2: effective kernel 5, Y (1,3,1,1):
        # 3 outputs × 18 = 54 int MACs, 108 − 3 = 105
        ([("x", U8, (1, 2, 5, 5)), ("w", U8, (3, 2, 3, 3)), ("xz", U8, ())], [scalar("xz", U8, 0)],
         {"dilations": [2, 2]}, (1, 3, 1, 1), dict(macs=54, int_macs=54, int_ops=105)),
    ],
)
def test_conv_integer(inputs, inits, attrs, out, parts):
    expect(one_node("ConvInteger", inputs, [("y", I32, out)], inits, **attrs), **parts)


@pytest.mark.parametrize(
    "x, w, attrs, why",
    [
        ((1, 2, 2, 2), (3, 2, 3, 3), {}, "larger"),  # 3x3 kernel on a 2x2 input, no padding
        ((1, 2, 5, 5), (3, 3, 3, 3), {}, "input channels"),  # W wants 3 channels, X has 2
        ((1, 4, 5, 5), (3, 2, 3, 3), {"group": 2}, "group"),  # 2 groups do not divide 3 outputs
    ],
)
def test_conv_integer_invalid(x, w, attrs, why):
    rec = one_node("ConvInteger", [("x", U8, x), ("w", U8, w)], [("y", I32, None)], **attrs)
    assert rec.status == "invalid" and why in rec.detail


def test_conv_integer_symbolic_batch():
    rec = one_node("ConvInteger", [("x", U8, ("N", 2, 5, 5)), ("w", U8, (3, 2, 3, 3))], [("y", I32, None)])
    assert rec.status == "shape_unknown" and rec.missing == ("N",)


# -- QLinearMatMul / MatMulInteger ----------------------------------------------------------------


def test_qlinear_matmul():
    inputs = [
        ("a", U8, (2, 3, 4)), ("as", F, ()), ("az", U8, ()),
        ("b", U8, (4, 5)), ("bs", F, (5,)), ("bz", U8, (5,)),
        ("ys", F, ()), ("yz", U8, ()),
    ]
    inits = [scalar("as", F, 0.1), scalar("az", U8, 10), init("bs", F, (5,)), init("bz", U8, (5,))]
    inits += [scalar("ys", F, 0.2), scalar("yz", U8, 0)]
    rec = one_node("QLinearMatMul", inputs, [("y", U8, (2, 3, 5))], inits)
    # 30 outputs × K 4 = 120 int MACs, 240 − 30 = 210; a_zero_point 10: + 24 (a elements) = 234;
    # b_zero_point all 0 and y_zero_point 0: skipped; requant 30 × 2 = 60 + scale prep 2 × 5 = 10
    expect(rec, macs=120, int_macs=120, int_ops=234, arith=70, compare=60)


@pytest.mark.parametrize(
    "a, b, out, parts",
    [
        # 15 outputs × 4 = 60 int MACs, 120 − 15 = 105; b_zero_point ones: + 20 -> 125
        ((3, 4), (4, 5), (3, 5), dict(macs=60, int_macs=60, int_ops=125)),
        # a 1-D A: 5 outputs × 4 = 20 int MACs, 40 − 5 = 35; + 20 -> 55
        ((4,), (4, 5), (5,), dict(macs=20, int_macs=20, int_ops=55)),
    ],
)
def test_matmul_integer(a, b, out, parts):
    inputs = [("a", I8, a), ("b", I8, b), None, ("bz", I8, (5,))]
    rec = one_node("MatMulInteger", inputs, [("y", I32, out)], [init("bz", I8, (5,), [1] * 5)])
    expect(rec, **parts)


def test_matmul_integer_mismatch_is_invalid():
    rec = one_node("MatMulInteger", [("a", I8, (3, 4)), ("b", I8, (5, 5))], [("y", I32, None)])
    assert rec.status == "invalid"


# -- QuantizeLinear / DequantizeLinear / DynamicQuantizeLinear --------------------------------------


@pytest.mark.parametrize(
    "x, scale, zp, attrs, opset, out, parts",
    [
        # 6 elements × (div, round, add zp 128) = 18 arith; 6 × 2 saturate compares
        ((2, 3), (), (U8, (), 128), {}, 21, U8, dict(arith=18, compare=12)),
        # no zero point: 6 × 2 = 12 arith
        ((2, 3), (), None, {}, 21, U8, dict(arith=12, compare=12)),
        # zero point 0: skipped, 12 arith
        ((2, 3), (), (U8, (), 0), {}, 21, U8, dict(arith=12, compare=12)),
        # per axis, zero points [1, 2, 3]: 18 arith
        ((2, 3), (3,), (U8, (3,), [1, 2, 3]), {"axis": 1}, 21, U8, dict(arith=18, compare=12)),
        # blocked (block 2 on axis 1), no zero point: 8 × 2 = 16 arith, 16 compares
        ((2, 4), (2, 2), None, {"axis": 1, "block_size": 2}, 21, U8, dict(arith=16, compare=16)),
        # float8 target: no rounding: 6 divs; saturate (default 1): 12 compares
        ((2, 3), (), None, {"output_dtype": 17}, 21, "float8e4m3fn", dict(arith=6, compare=12)),
        # float8 without saturation: 6 divs only
        ((2, 3), (), None, {"output_dtype": 17, "saturate": 0}, 21, "float8e4m3fn", dict(arith=6)),
    ],
)
def test_quantize_linear(x, scale, zp, attrs, opset, out, parts):
    inputs = [("x", F, x), ("s", F, scale)]
    inits = [init("s", F, scale)]
    if zp is not None:
        inputs.append(("z", zp[0], zp[1]))
        inits.append(init("z", zp[0], zp[1], zp[2]))
    rec = one_node("QuantizeLinear", inputs, [("y", out, x)], inits, opset=opset, **attrs)
    expect(rec, **parts)


@pytest.mark.parametrize(
    "dtype, zp, parts",
    [
        (U8, 7, dict(arith=12)),  # 6 × (sub zp 7, mul scale)
        (U8, None, dict(arith=6)),  # 6 × mul
        (I32, None, dict(arith=6)),  # int32 input: no zero point, 6 × mul
    ],
)
def test_dequantize_linear(dtype, zp, parts):
    inputs = [("x", dtype, (2, 3)), ("s", F, ())]
    inits = [scalar("s", F, 0.5)]
    if zp is not None:
        inputs.append(("z", dtype, ()))
        inits.append(scalar("z", dtype, zp))
    expect(one_node("DequantizeLinear", inputs, [("y", F, (2, 3))], inits), **parts)


def test_dynamic_quantize_linear():
    # n = 6: arith 3·6 + 5 = 23 (quantize 3 per element; scale sub + div; zp div + sub + round);
    # compare 4·6 + 2 = 26 (min and max with 0: 12; saturate elements 12; saturate zp 2)
    outputs = [("y", U8, (2, 3)), ("ys", F, ()), ("yz", U8, ())]
    expect(one_node("DynamicQuantizeLinear", [("x", F, (2, 3))], outputs), arith=23, compare=26)


# -- com.microsoft quantized ops --------------------------------------------------------------------


def ms(op, inputs, outputs, initializers=(), **attrs):
    return one_node(op, inputs, outputs, initializers, domain=MS, **attrs)


def test_ms_quantize_dequantize():
    # int8 zero point 1: 6 × (div, round, add) = 18 arith, 12 compares; output int8 from the zero point
    rec = ms("QuantizeLinear", [("x", F, (2, 3)), ("s", F, ()), ("z", I8, ())], [("y", I8, (2, 3))],
             [scalar("s", F, 0.5), scalar("z", I8, 1)])
    expect(rec, arith=18, compare=12)
    assert rec.dtype == I8
    # no zero point: 6 muls; output float from the scale
    rec = ms("DequantizeLinear", [("x", I8, (2, 3)), ("s", F, ())], [("y", F, (2, 3))], [scalar("s", F, 0.5)])
    expect(rec, arith=6)


NBITS_IN = [("a", F, (2, 3, 32)), ("b", U8, (4, 2, 8)), ("scales", F, (4, 2))]
NBITS_ATTRS = dict(K=32, N=4, bits=4, block_size=16)


@pytest.mark.parametrize(
    "extra, attrs, parts",
    [
        # M = 2·3 = 6, N 4, K 32: dequantize 4·32 weights × 2 = 256 arith;
        # 6·4·32 = 768 float MACs in 24 dots
        ([], {}, dict(arith=256, macs=768, dots=24)),
        # bias (4): 24 bias adds
        ([None, None, ("bias", F, (4,))], {}, dict(arith=256, macs=768, dots=24, bias_adds=24)),
        # accuracy_level 4, kb = 2 blocks: quantize A 3·6·32 + 2·6·2 = 600 arith, 6·(32 − 2) = 180
        # compares; weights' zero point 4·32 = 128 int_ops; 768 int MACs, 2·768 − 6·4·2 = 1488;
        # block results 6·4·(3·2 − 1) = 120 arith -> 720 arith, 1616 int_ops
        ([], {"accuracy_level": 4}, dict(arith=720, compare=180, macs=768, int_macs=768, int_ops=1616)),
    ],
)
def test_matmul_nbits(extra, attrs, parts):
    rec = ms("MatMulNBits", NBITS_IN + extra, [("y", F, (2, 3, 4))], **NBITS_ATTRS, **attrs)
    expect(rec, **parts)


@pytest.mark.parametrize(
    "a, b, why",
    [
        ((2, 3, 32), (4, 3, 8), "ceil"),  # 3 blocks for K = 32 in blocks of 16
        ((2, 3, 30), (4, 2, 8), "K = 32"),  # A does not end in K
    ],
)
def test_matmul_nbits_invalid(a, b, why):
    rec = ms("MatMulNBits", [("a", F, a), ("b", U8, b), ("scales", F, (4, 2))], [("y", F, None)], **NBITS_ATTRS)
    assert rec.status == "invalid" and why in rec.detail


def test_matmul_integer_to_float():
    inputs = [("a", U8, (2, 3)), ("b", I8, (3, 4)), ("as", F, ()), ("bs", F, (4,)), ("az", U8, ()), None]
    inputs.append(("bias", F, (4,)))
    inits = [scalar("as", F, 0.1), init("bs", F, (4,)), scalar("az", U8, 5)]
    rec = ms("MatMulIntegerToFloat", inputs, [("y", F, (2, 4))], inits)
    # 8 outputs × 3 = 24 int MACs, 48 − 8 = 40, + a_zero_point 6 -> 46;
    # to float 8 muls + 4 (a_scale·b_scale per column) = 12 arith; 8 bias adds
    expect(rec, macs=24, int_macs=24, int_ops=46, arith=12, bias_adds=8)


def test_dynamic_quantize_matmul():
    inputs = [("a", F, (2, 3)), ("b", I8, (3, 4)), ("bs", F, (4,)), ("bz", I8, (4,))]
    rec = ms("DynamicQuantizeMatMul", inputs, [("y", F, (2, 4))], [init("bs", F, (4,)), init("bz", I8, (4,))])
    # quantize A (6 elements): 3·6 + 5 = 23 arith, 4·6 + 2 = 26 compares; 24 int MACs,
    # 48 − 8 + 6 (A's zero point) = 46 int_ops (b zero points all 0); to float 8 + 4 = 12 arith
    expect(rec, arith=35, compare=26, macs=24, int_macs=24, int_ops=46)


@pytest.mark.parametrize(
    "quantized, parts",
    [
        # float out: 8 outputs × 3 = 24 int MACs, 48 − 8 = 40 + C 8 int adds = 48;
        # scale 1 per b_scale element + 8 output muls = 9 arith
        (False, dict(macs=24, int_macs=24, int_ops=48, arith=9)),
        # requantized out (y_zero_point 3): scale 2 per b_scale element + 8 × 3 = 26; 16 compares
        (True, dict(macs=24, int_macs=24, int_ops=48, arith=26, compare=16)),
    ],
)
def test_qgemm(quantized, parts):
    inputs = [("a", U8, (2, 3)), ("as", F, ()), ("az", U8, ()), ("b", I8, (4, 3)), ("bs", F, ()), ("bz", I8, ())]
    inputs.append(("c", I32, (4,)))
    inits = [scalar("as", F, 0.1), scalar("az", U8, 0), scalar("bs", F, 0.1), scalar("bz", I8, 0)]
    out = (U8 if quantized else F, (2, 4))
    if quantized:
        inputs += [("ys", F, ()), ("yz", U8, ())]
        inits += [scalar("ys", F, 0.2), scalar("yz", U8, 3)]
    expect(ms("QGemm", inputs, [("y", *out)], inits, transB=1), **parts)


def test_ms_qlinear_conv_channels_last():
    inputs = [
        ("x", U8, (1, 6, 6, 2)), ("xs", F, ()), ("xz", U8, ()),
        ("w", U8, (3, 2, 3, 3)), ("ws", F, ()), ("wz", U8, ()),
        ("ys", F, ()), ("yz", U8, ()),
    ]
    inits = [scalar("xs", F, 0.1), scalar("xz", U8, 0), scalar("ws", F, 0.1), scalar("wz", U8, 0)]
    inits += [scalar("ys", F, 0.1), scalar("yz", U8, 0)]
    rec = ms("QLinearConv", inputs, [("y", U8, (1, 4, 4, 3))], inits, channels_last=1)
    # Y (1,4,4,3) = 48 outputs × 18 = 864 int MACs, 1728 − 48 = 1680; requant 48 × 2 + 2 = 98
    expect(rec, macs=864, int_macs=864, int_ops=1680, arith=98, compare=96)


def test_qattention():
    inputs = [
        ("x", U8, (2, 4, 8)), ("w", I8, (8, 24)), ("bias", F, (24,)), ("xs", F, ()), ("ws", F, ()),
        None, ("xz", U8, ()),
    ]
    inits = [scalar("xs", F, 0.1), scalar("ws", F, 0.1), scalar("xz", U8, 128)]
    rec = ms("QAttention", inputs, [("y", F, (2, 4, 8))], inits, num_heads=2)
    # projection 8 rows × 8 × 24 = 1536 int MACs, 3072 − 192 + 64 (input zero point) = 2944;
    # to float 192 + 1 scale product = 193 arith, 192 bias adds;
    # core (B 2, N 2, S = T = 4, D 4): 512 MACs, 128 dots, 64 scale + 176 softmax arith, 48, 64
    # macs: 1536 integer + 512 float
    expect(rec, int_macs=1536, int_ops=2944, arith=193 + 240, bias_adds=192, macs=1536 + 512, dots=128,
           compare=48, transcendental=64)


# QLinear elementwise: A (2,3) with zero point 1, B (3) without, C zero point 2:
# dequantize A 6 × 2 = 12, B 3 × 1 = 3; op 6; quantize 6 × 3 = 18 -> 39 arith, 12 compares
@pytest.mark.parametrize("op", ["QLinearAdd", "QLinearMul"])
def test_qlinear_binary(op):
    inputs = [("a", U8, (2, 3)), ("as", F, ()), ("az", U8, ()), ("b", U8, (3,)), ("bs", F, ()), None]
    inputs += [("cs", F, ()), ("cz", U8, ())]
    inits = [scalar("as", F, 0.1), scalar("az", U8, 1), scalar("bs", F, 0.1), scalar("cs", F, 0.1)]
    inits.append(scalar("cz", U8, 2))
    expect(ms(op, inputs, [("c", U8, (2, 3))], inits), arith=39, compare=12)


UNARY_IN = [("x", U8, (2, 3)), ("xs", F, ()), ("xz", U8, ()), ("ys", F, ())]
UNARY_INIT = [scalar("xs", F, 0.1), scalar("xz", U8, 1), scalar("ys", F, 0.1)]


def test_qlinear_sigmoid():
    # 6 × (dequantize 2 + sigmoid 3 + quantize 2) = 42 arith, 6 exp, 12 compares
    expect(ms("QLinearSigmoid", UNARY_IN, [("y", U8, (2, 3))], UNARY_INIT), arith=42, transcendental=6, compare=12)


def test_qlinear_leaky_relu():
    # no zero points: 6 × (1 + 1 + 2) = 24 arith; 6 LeakyRelu + 12 saturate = 18 compares
    inputs = [("x", U8, (2, 3)), ("xs", F, ()), None, ("ys", F, ())]
    rec = ms("QLinearLeakyRelu", inputs, [("y", U8, (2, 3))], [scalar("xs", F, 0.1), scalar("ys", F, 0.1)], alpha=0.1)
    expect(rec, arith=24, compare=18)


@pytest.mark.parametrize(
    "attrs, parts",
    [
        # 24 elements, rows of 4: dequantize 24, softmax 6 × 11 = 66 arith, 6 × 3 = 18 compares,
        # 24 exp; quantize 24 × 2 = 48 arith, 48 compares
        ({"opset": 13}, dict(arith=138, compare=66, transcendental=24)),
        # opset 11, axis 1: rows of 3·4 = 12: softmax 2 × 35 = 70 arith, 2 × 11 = 22 compares
        ({"opset": 11, "axis": 1}, dict(arith=142, compare=70, transcendental=24)),
    ],
)
def test_qlinear_softmax(attrs, parts):
    # built by hand: one_node's own `opset` parameter would swallow the attribute of that name
    node = helper.make_node("QLinearSoftmax", ["x", "xs", "xz", "ys", "yz"], ["y"], domain=MS, **attrs)
    inits = [scalar("xs", F, 0.1), scalar("xz", U8, 0), scalar("ys", F, 0.1), scalar("yz", U8, 0)]
    model = make_model([node], [("x", U8, (2, 3, 4))], [("y", U8, None)], inits, extra_opsets={MS: 1})
    rec = analyze_model(model).nodes[0]
    assert rec.outputs == ((2, 3, 4),)
    expect(rec, **parts)


def test_qlinear_softmax_bad_axis():
    inputs = [("x", U8, (2, 3, 4)), ("xs", F, ()), None, ("ys", F, ()), ("yz", U8, ())]
    rec = ms("QLinearSoftmax", inputs, [("y", U8, None)], opset=13, axis=3)
    assert rec.status == "invalid"


@pytest.mark.parametrize("x, channels_last, out", [((1, 2, 3, 3), 0, (1, 2, 1, 1)), ((1, 3, 3, 2), 1, (1, 1, 1, 2))])
def test_qlinear_global_average_pool(x, channels_last, out):
    inputs = [("x", U8, x), ("xs", F, ()), ("xz", U8, ()), ("ys", F, ()), ("yz", U8, ())]
    inits = [scalar("xs", F, 0.1), scalar("xz", U8, 128), scalar("ys", F, 0.1), scalar("yz", U8, 128)]
    rec = ms("QLinearGlobalAveragePool", inputs, [("y", U8, out)], inits, channels_last=channels_last)
    # dequantize 18 × 2 = 36; 2 channels × (8 adds + 1 div) = 18; quantize 2 × 3 = 6 -> 60; 4 compares
    expect(rec, arith=60, compare=4)


def test_qlinear_concat():
    inputs = [
        ("ys", F, ()), ("yz", U8, ()),
        ("x1", U8, (1, 2)), ("s1", F, ()), ("z1", U8, ()),
        ("x2", U8, (1, 3)), ("s2", F, ()), ("z2", U8, ()),
    ]
    inits = [scalar("ys", F, 0.5), scalar("yz", U8, 3), scalar("s1", F, 0.5), scalar("z1", U8, 3)]
    inits += [scalar("s2", F, 0.25), scalar("z2", U8, 3)]
    rec = ms("QLinearConcat", inputs, [("y", U8, (1, 5))], inits, axis=1)
    # x1 is in Y's quantization: copied; x2 requantized: 3 × (sub, mul) + 3 × (div, round, add) = 15
    expect(rec, arith=15, compare=6)


def test_qlinear_matmul_float8():
    E = "float8e4m3fn"
    inputs = [("a", E, (3, 4)), ("as", F, ()), ("az", E, ()), ("b", E, (4, 5)), ("bs", F, ()), ("bz", E, ())]
    inputs += [("ys", F, ()), ("yz", E, ())]
    inits = [scalar("as", F, 0.1), scalar("az", E, 0), scalar("bs", F, 0.1), scalar("bz", E, 0)]
    inits += [scalar("ys", F, 0.1), scalar("yz", E, 0)]
    rec = one_node("QLinearMatMul", inputs, [("y", E, (3, 5))], inits)
    # float8 operands: 15 outputs × 4 = 60 float MACs in 15 dots; zero points 0;
    # 15 muls by the combined scale + scale prep 2 = 17 arith; 30 saturate compares, no rounding
    expect(rec, macs=60, dots=15, arith=17, compare=30)


def test_gather_block_quantized_uint8():
    # data uint8 (10, 8) packs 4-bit values: logical (10, 16); indices (2, 3): output (2, 3, 16)
    # = 96 elements × (sub the default zero point 8, mul scale) = 192 arith
    inputs = [("d", U8, (10, 8)), ("i", "int64", (2, 3)), ("s", F, (10, 1))]
    rec = ms("GatherBlockQuantized", inputs, [("y", F, (2, 3, 16))], quantize_axis=1, block_size=16, bits=4)
    expect(rec, arith=192)
    # reads: indices 6 × 8 B = 48; 6 gathered data rows × 8 B = 48; 6 scale rows × 4 B = 24 -> 120
    assert rec.cost.read_bytes == 120


def test_gather_block_quantized_int4_without_zero_point():
    # int4 data (10, 16): zero point 0 by default: 96 outputs × 1 mul
    inputs = [("d", "int4", (10, 16)), ("i", "int64", (2, 3)), ("s", F, (10, 1))]
    rec = ms("GatherBlockQuantized", inputs, [("y", F, (2, 3, 16))], quantize_axis=1, block_size=16)
    expect(rec, arith=96)


def test_qgemm_alpha_and_trans_a():
    # op(A) = Aᵀ (3,2)ᵀ = (2,3); alpha 2: the combined scale per b_scale element costs 2 (a·b·alpha);
    # 8 outputs × 3 = 24 int MACs, 40 int_ops (no C, zero points 0); 2 + 8 output muls = 10 arith
    inputs = [("a", U8, (3, 2)), ("as", F, ()), ("az", U8, ()), ("b", I8, (3, 4)), ("bs", F, ()), ("bz", I8, ())]
    inits = [scalar("as", F, 0.1), scalar("az", U8, 0), scalar("bs", F, 0.1), scalar("bz", I8, 0)]
    rec = ms("QGemm", inputs, [("y", F, (2, 4))], inits, transA=1, alpha=2.0)
    expect(rec, macs=24, int_macs=24, int_ops=40, arith=10)
