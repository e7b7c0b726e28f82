"""The QDQ fused view: DequantizeLinear -> op -> QuantizeLinear counted as the integer op."""

from __future__ import annotations

from onnx import helper

import onnx_cost

from helpers import init, make_model


def qdq_matmul():
    nodes = [
        helper.make_node("DequantizeLinear", ["x", "sx"], ["xf"], name="dqx"),
        helper.make_node("DequantizeLinear", ["w", "sw"], ["wf"], name="dqw"),
        helper.make_node("MatMul", ["xf", "wf"], ["y"], name="mm"),
        helper.make_node("QuantizeLinear", ["y", "sy"], ["yq"], name="q"),
    ]
    inits = [init("w", "int8", [4, 3]), init("sx", "float32", [], 0.5), init("sw", "float32", [], 0.25),
             init("sy", "float32", [], 0.1)]
    return make_model(nodes, [("x", "int8", [2, 4])], [("yq", "uint8", [2, 3])], inits)


def test_float_view_counts_the_graph_as_written():
    r = onnx_cost.analyze(qdq_matmul())
    # DQ x: 2·4 = 8 muls (no zero point); DQ w: 4·3 = 12 muls
    # MatMul 2×4 by 4×3: 24 MACs, 6 dots -> 2·24 − 6 = 42 FLOPs
    # Q: 6 elements × (1 div + 1 round + 2 compares) = 24 FLOPs
    assert r.total.flops == 8 + 12 + 42 + 24 == 86
    assert r.total.int_macs == 0


def test_fused_view_counts_the_matmul_as_integer():
    r = onnx_cost.analyze(qdq_matmul())
    view = r.views["qdq_fused"]
    assert view.data == {"fused_ops": 1} and view.description.startswith("QDQ fused")
    f = view.total
    assert f.flops == 0
    assert f.int_macs == f.macs == 24  # every MAC of the fused MatMul is integer
    # the MatMul's 42 operations plus the requantization's 24, in fixed point
    assert f.int_ops == 42 + 24
    # reads the int8 tensors and their scales: x 8 B + sx 4 B + w 12 B + sw 4 B; writes yq 6 B
    assert f.read_bytes == 8 + 4 + 12 + 4
    assert f.write_bytes == 6
    assert f.params == r.total.params


def test_no_qdq_pattern_no_fused_view():
    from pathlib import Path

    r = onnx_cost.analyze(Path(__file__).resolve().parent.parent / "fixtures" / "tiny_cnn.onnx")
    assert "qdq_fused" not in r.views
