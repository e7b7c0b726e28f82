"""macs counts every multiply-accumulate whatever its precision; int_macs is its integer part,
flops float only, int_ops integer only, ops = flops + int_ops (docs/counting.md, the columns)."""

from __future__ import annotations

from onnx import helper

from helpers import analyze_model, make_model

U8, F, I32 = "uint8", "float32", "int32"


def _conv_pair() -> tuple:
    """The same 3×3 conv, x (1, 2, 5, 5) -> y (1, 3, 3, 3), as fp32 Conv and as ConvInteger."""
    conv = make_model(
        [helper.make_node("Conv", ["x", "w"], ["y"])],
        [("x", F, (1, 2, 5, 5)), ("w", F, (3, 2, 3, 3))],
        [("y", F, None)],
    )
    qconv = make_model(
        [helper.make_node("ConvInteger", ["x", "w"], ["y"])],
        [("x", U8, (1, 2, 5, 5)), ("w", U8, (3, 2, 3, 3))],
        [("y", I32, None)],
    )
    return analyze_model(conv), analyze_model(qconv)


def test_integer_conv_has_the_macs_of_the_float_conv():
    f, q = _conv_pair()
    # 27 outputs × (2 channels · 3 · 3) = 486 MACs either way
    assert f.total.macs == q.total.macs == 486
    assert f.total.int_macs == 0 and q.total.int_macs == 486
    # fp32: 2·486 − 27 dots = 945 FLOPs, no integer work
    assert (f.total.flops, f.total.int_ops, f.total.ops) == (945, 0, 945)
    # int: no FLOPs; the same 945 operations as int_ops; ops = 0 + 945
    assert (q.total.flops, q.total.int_ops, q.total.ops) == (0, 945, 945)
    assert q.nodes[0].cost.ops == 945


def test_mixed_model_sums_both_precisions():
    # ConvInteger (486 int MACs) -> Cast to float -> MatMul with a float (3, 4) weight on the last
    # axis: y (1, 3, 3, 4) = 36 outputs × K 3 = 108 float MACs, 36 dots
    model = make_model(
        [
            helper.make_node("ConvInteger", ["x", "w"], ["c"]),
            helper.make_node("Cast", ["c"], ["cf"], to=1),
            helper.make_node("MatMul", ["cf", "m"], ["y"]),
        ],
        [("x", U8, (1, 2, 5, 5)), ("w", U8, (3, 2, 3, 3)), ("m", F, (3, 4))],
        [("y", F, None)],
    )
    t = analyze_model(model).total
    assert t.macs == 486 + 108
    assert t.int_macs == 486
    # flops: only the MatMul, 2·108 − 36 = 180 (Cast does no arithmetic)
    assert t.flops == 180
    assert t.int_ops == 945
    assert t.ops == 180 + 945
