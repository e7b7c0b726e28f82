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


def _conv_integer_then_matmul():
    """ConvInteger x (1, 2, 5, 5) * w (3, 2, 3, 3) -> Cast to float -> MatMul by a float (3, 4) weight."""
    return make_model(
        [
            helper.make_node("ConvInteger", ["x", "w"], ["c"]),
            helper.make_node("Cast", ["c"], ["cf"], to=1),
            helper.make_node("MatMul", ["cf", "m"], ["y"]),
        ],
        [("x", U8, (1, 2, 5, 5)), ("w", U8, (3, 2, 3, 3)), ("m", F, (3, 4))],
        [("y", F, None)],
    )


def test_mixed_model_sums_both_precisions():
    # ConvInteger (486 int MACs) -> Cast to float -> MatMul with a float (3, 4) weight on the last
    # axis: y (1, 3, 3, 4) = 36 outputs × K 3 = 108 float MACs, 36 dots
    model = _conv_integer_then_matmul()
    t = analyze_model(model).total
    assert t.macs == 486 + 108
    assert t.int_macs == 486
    # flops: only the MatMul, 2·108 − 36 = 180 (Cast does no arithmetic)
    assert t.flops == 180
    assert t.int_ops == 945
    assert t.ops == 180 + 945


# -- per-node precision (rules/_precision.py) and totals per precision ------------------------


def _qlinear_conv(w_dtype: str):
    from helpers import init

    inits = [init("xs", F, (), 0.1), init("xz", U8, (), 0), init("ws", F, (), 0.1), init("wz", w_dtype, (), 0),
             init("ys", F, (), 0.2), init("yz", U8, (), 0), init("w", w_dtype, (3, 2, 1, 1))]
    node = helper.make_node("QLinearConv", ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz"], ["y"])
    return make_model([node], [("x", U8, (1, 2, 2, 2))], [("y", U8, None)], inits)


def test_an_integer_contraction_names_the_node_despite_float_requantization():
    # QLinearConv requantizes in float (arith), but its MACs are integer: named by them
    assert analyze_model(_qlinear_conv(U8)).nodes[0].precision == "uint8"
    # uint8 activations times int8 weights: the signed name
    assert analyze_model(_qlinear_conv("int8")).nodes[0].precision == "int8"
    _, q = _conv_pair()
    assert q.nodes[0].precision == "uint8"


def test_matmul_nbits_precision_is_its_accuracy_level():
    from helpers import init

    def model(level: int, a_dtype: str):
        # A (2, 16), K 16, N 4, 4-bit weights in blocks of 16: B (4, 1, 8), scales (4,)
        node = helper.make_node("MatMulNBits", ["a", "b", "s"], ["y"], domain="com.microsoft", K=16, N=4,
                                bits=4, block_size=16, accuracy_level=level)
        inits = [init("b", U8, (4, 1, 8)), init("s", a_dtype, (4,))]
        m = make_model([node], [("a", a_dtype, (2, 16))], [("y", a_dtype, None)], inits,
                       extra_opsets={"com.microsoft": 1})
        return analyze_model(m).nodes[0].precision

    assert model(0, "float16") == "fp16"  # unset: A's type, the weights dequantized to it
    assert model(1, "float16") == "fp32"
    assert model(4, F) == "int8"


def test_qdq_fused_group_takes_the_integer_type_of_its_inputs():
    from test_qdq import qdq_matmul

    r = analyze_model(qdq_matmul())
    mm = next(n for n in r.nodes if n.op_type == "MatMul")
    assert mm.precision == "fp32"  # the graph as written
    fused = next(n for n in r.views["qdq_fused"].nodes if n.op_type == "MatMul")
    assert fused.precision == "int8"  # x and w are int8


def test_totals_per_precision_in_json_and_tf32_eligibility():
    from onnx_cost.render.report import to_dict
    from onnx_cost.rules._precision import tf32_eligible

    model = _conv_integer_then_matmul()
    r = analyze_model(model)
    per = to_dict(r)["by_precision"]
    # ConvInteger: 486 MACs, 945 int ops; MatMul: 108 MACs, 2·108 − 36 = 180 FLOPs; Cast: none
    assert set(per) == {"uint8", "fp32"}
    assert (per["uint8"]["macs"], per["uint8"]["ops"]) == (486, 945)
    assert (per["fp32"]["macs"], per["fp32"]["ops"]) == (108, 180)
    conv, cast, mm = r.nodes
    assert cast.precision == ""
    assert tf32_eligible(mm.precision, mm.cost) and not tf32_eligible(conv.precision, conv.cost)
