"""The device model's integer and attention classes (issue 20): which kernels get which
curve, the arithmetic by hand on small built graphs, and the fit's merging of
benchmarks of nearly the same size. Nothing is timed."""

from __future__ import annotations

import math

import numpy as np
import pytest
from onnx import helper, numpy_helper

from onnx_cost.runners.calibrate import Sample, fit
from onnx_cost.views.hardware import Device, Figure
from onnx_cost.views.hardware.efficiency import Curve, Efficiency, kernel_class
from onnx_cost.views.hardware.fusion import kernels
from onnx_cost.views.hardware.predict import predict

from helpers import analyze_model, init, make_model


def _fused(nodes, inputs, outputs, inits=()):  # type: ignore[no-untyped-def]
    report = analyze_model(make_model(nodes, inputs, outputs, inits))
    return report, [k for k in kernels(report) if not k.folded]


def _scales() -> list:  # type: ignore[type-arg]
    return [numpy_helper.from_array(np.array(0.1, np.float32), "sc"), numpy_helper.from_array(np.array(0, np.uint8), "z"),
            numpy_helper.from_array(np.array(0, np.int8), "wz")]


def test_attention_matmul_is_its_own_class_by_hand() -> None:
    """q [1,2,16,8] · kᵀ, k [1,2,4,8] computed (a Transpose of an input): gemm_act; one query row
    per head (a decoder step): gemm_act_skinny; the same MatMul with a constant second operand
    stays gemm."""
    report, ks = _fused(
        [helper.make_node("Transpose", ["k"], ["kt"], name="t", perm=[0, 1, 3, 2]),
         helper.make_node("MatMul", ["q", "kt"], ["s"], name="scores"),
         helper.make_node("MatMul", ["s", "W"], ["y"], name="proj"),
         helper.make_node("Transpose", ["k"], ["kt2"], name="t2", perm=[0, 1, 3, 2]),
         helper.make_node("MatMul", ["q1", "kt2"], ["y2"], name="step")],
        [("q", "float32", [1, 2, 16, 8]), ("k", "float32", [1, 2, 4, 8]), ("q1", "float32", [1, 2, 1, 8])],
        [("y", "float32", [1, 2, 16, 4]), ("y2", "float32", [1, 2, 1, 4])],
        [init("W", "float32", [4, 4])],
    )
    by = {k.head.name: k for k in ks}
    assert by["scores"].fusion == "matmul_transpose" and by["scores"].computed_operands
    assert kernel_class(by["scores"]) == "gemm_act" and kernel_class(by["step"]) == "gemm_act_skinny"
    assert not by["proj"].computed_operands and kernel_class(by["proj"]) == "gemm"
    # scores [1,2,16,4]: per head 2·16·8·4 - 16·4 = 960 ops, two heads: 1,920 ops. On a device with
    # gemm_act at 1e9 op/s, gemm at 1e10 op/s, 1 us dispatch, no run cost: 1 us + 1,920 / 1e9 s
    eff = Efficiency({"gemm_act": Curve(((1.0, 1e9),)), "gemm": Curve(((1.0, 1e10),))}, 1e-6, 0.0)
    dev = Device("t", "T", {"fp32": Figure(1e12)}, bandwidth=Figure(1e11), efficiency=eff)
    p = predict(report, dev)
    kt = next(t for t in p.kernels if t.kernel.head.name == "scores")
    assert by["scores"].ops == 1920 and math.isclose(kt.predicted_s, 1e-6 + 1920 / 1e9)


def test_a_device_file_without_the_new_class_prices_it_as_before() -> None:
    """gemm_act falls back to gemm, gemm_act_skinny to gemm_skinny, int_conv_dw to conv_dw, quant to
    elementwise."""
    eff = Efficiency({"gemm": Curve(((1.0, 1e10),)), "conv_dw": Curve(((1.0, 2e9),)),
                      "elementwise": Curve(((1.0, 3e9),)), "gemm_skinny": Curve(((1.0, 4e9),))}, 0.0, 0.0)
    assert eff.rate("gemm_act", 1e6) == 1e10 and eff.rate("int_conv_dw", 1e6) == 2e9
    assert eff.rate("gemm_act_skinny", 1e6) == 4e9
    assert eff.rate("quant", 1e6) == 3e9 and eff.rate("dyn_gemm", 1e6) is None  # int_gemm absent too


def test_qdq_attention_matmul_and_depthwise_conv() -> None:
    """DQ(a) · DQ(b) -> Q: an integer MatMul of two computed operands; a QDQ depthwise
    convolution: the integer depthwise class, not the fp32 one."""
    wq = numpy_helper.from_array(np.ones((4, 1, 3, 3), np.int8), "Wq")
    _, ks = _fused(
        [helper.make_node("DequantizeLinear", ["a", "sc", "z"], ["ad"], name="dqa"),
         helper.make_node("DequantizeLinear", ["b", "sc", "z"], ["bd"], name="dqb"),
         helper.make_node("MatMul", ["ad", "bd"], ["m"], name="mm"),
         helper.make_node("QuantizeLinear", ["m", "sc", "z"], ["mq"], name="qm"),
         helper.make_node("DequantizeLinear", ["x", "sc", "z"], ["xd"], name="dqx"),
         helper.make_node("DequantizeLinear", ["Wq", "sc", "wz"], ["wd"], name="dqw"),
         helper.make_node("Conv", ["xd", "wd"], ["c"], name="dw", pads=[1, 1, 1, 1], group=4),
         helper.make_node("QuantizeLinear", ["c", "sc", "z"], ["cq"], name="qc")],
        [("a", "uint8", [1, 2, 4, 8]), ("b", "uint8", [1, 2, 8, 4]), ("x", "uint8", [1, 4, 5, 5])],
        [("mq", "uint8", [1, 2, 4, 4]), ("cq", "uint8", [1, 4, 5, 5])], [*_scales(), wq],
    )
    by = {k.head.name: k for k in ks}
    assert [k.head.name for k in ks] == ["mm", "dw"]  # every Q/DQ is inside one of the two
    assert by["mm"].precision == "int8" and by["mm"].computed_operands and kernel_class(by["mm"]) == "int_gemm_act"
    assert kernel_class(by["dw"]) == "int_conv_dw"


def test_standalone_quantization_and_batchnorm_by_hand() -> None:
    """A QuantizeLinear at a float input (no integer kernel to join) is the quant class; a
    BatchNormalization with nothing to fold into is the batchnorm class."""
    bn = [init(n, "float32", [4]) for n in ("s", "bb", "m", "v")]
    report, ks = _fused(
        [helper.make_node("BatchNormalization", ["x", "s", "bb", "m", "v"], ["n"], name="bn"),
         helper.make_node("QuantizeLinear", ["n", "sc", "z"], ["y"], name="q")],
        [("x", "float32", [1, 4, 5, 5])], [("y", "uint8", [1, 4, 5, 5])], [*_scales(), *bn],
    )
    assert [(k.head.name, kernel_class(k)) for k in ks] == [("bn", "batchnorm"), ("q", "quant")]
    # q reads n (100 floats: 400 B), the scale (4 B) and zero point (1 B), writes 100 B: 505 B;
    # at 1e9 B/s with 1 us dispatch: 1 us + 505 ns
    eff = Efficiency({"quant": Curve(((1.0, 1e9),)), "batchnorm": Curve(((1.0, 1e9),))}, 1e-6, 0.0)
    dev = Device("t", "T", {"fp32": Figure(1e12)}, bandwidth=Figure(1e11), efficiency=eff)
    kt = next(t for t in predict(report, dev).kernels if t.kernel.head.name == "q")
    assert ks[1].bytes == 505 and math.isclose(kt.predicted_s, 1e-6 + 505e-9)


@pytest.mark.parametrize(("rows", "cls"), [(4, "dyn_gemm_skinny"), (16, "dyn_gemm")])
def test_dynamic_quantize_matmul_is_one_kernel_of_its_own_class(rows: int, cls: str) -> None:
    # dynamic quantization of x, the integer MatMul, the cast and the two scale Muls: one
    # DynamicQuantizeMatMul kernel headed by the MatMul; a few rows make it skinny
    s = numpy_helper.from_array(np.array(0.1, np.float32), "ws")
    _, ks = _fused(
        [helper.make_node("DynamicQuantizeLinear", ["x"], ["xq", "xs", "xz"], name="dql"),
         helper.make_node("MatMulInteger", ["xq", "Wq", "xz"], ["acc"], name="mmi"),
         helper.make_node("Cast", ["acc"], ["accf"], name="cast", to=1),
         helper.make_node("Mul", ["xs", "ws"], ["scale"], name="smul"),
         helper.make_node("Mul", ["accf", "scale"], ["y"], name="mul")],
        [("x", "float32", [rows, 8])], [("y", "float32", [rows, 8])],
        [numpy_helper.from_array(np.ones((8, 8), np.int8), "Wq"), s],
    )
    (k,) = ks
    assert k.fusion == "dynamic_quantize_matmul" and kernel_class(k) == cls
    assert [m.name for m in k.members] == ["mmi", "dql", "cast", "smul", "mul"]


def test_fit_merges_benchmarks_of_nearly_the_same_size() -> None:
    """Two GEMMs of 1e8 and 1.2e8 ops (within the factor 1.5) at 1e11 and 5e10 op/s: one point,
    at sqrt(1e8 · 1.2e8) ops and 2.2e8 ops / (1 ms + 2.4 ms) = 6.470588e10 op/s; a third at
    1e9 ops stays its own point."""
    eff, _ = fit([Sample("a", "gemm", 1e8, 1e6, 1, 1e-3), Sample("b", "gemm", 1.2e8, 1e6, 1, 2.4e-3),
                  Sample("c", "gemm", 1e9, 1e6, 1, 1e-2)])
    (s0, r0), (s1, r1) = eff.curves["gemm"].points
    assert s0 == pytest.approx(math.sqrt(1.2e16)) and r0 == pytest.approx(2.2e8 / 3.4e-3)
    assert (s1, r1) == (pytest.approx(1e9), pytest.approx(1e11))


def test_int8_conv_layout_transposes_by_hand() -> None:
    """Two QDQ convolutions reading one quantized input, each followed by a DequantizeLinear to
    float: onnxruntime runs them NHWC with one Transpose of the shared input and one of each
    output. A standalone QuantizeLinear/DequantizeLinear is no NHWC kernel."""
    wq = numpy_helper.from_array(np.ones((16, 16, 1, 1), np.int8), "Wq")
    nodes = [helper.make_node("QuantizeLinear", ["x", "sc", "z"], ["xq"], name="q")]
    outs = []
    for i in (1, 2):  # one DequantizeLinear per reader, as the quantization tool writes them
        nodes += [helper.make_node("DequantizeLinear", ["xq", "sc", "z"], [f"xd{i}"], name=f"dqx{i}"),
                  helper.make_node("DequantizeLinear", ["Wq", "sc", "wz"], [f"wd{i}"], name=f"dqw{i}"),
                  helper.make_node("Conv", [f"xd{i}", f"wd{i}"], [f"c{i}"], name=f"conv{i}"),
                  helper.make_node("QuantizeLinear", [f"c{i}", "sc", "z"], [f"cq{i}"], name=f"qc{i}"),
                  helper.make_node("DequantizeLinear", [f"cq{i}", "sc", "z"], [f"y{i}"], name=f"dq{i}")]
        outs.append((f"y{i}", "float32", [1, 16, 5, 5]))
    report, ks = _fused(nodes, [("x", "float32", [1, 16, 5, 5])], outs, [*_scales(), wq])
    # every transpose copies a 400-byte uint8 tensor: 800 B at 1e9 B/s = 800 ns, plus 1 us dispatch
    eff = Efficiency({"movement": Curve(((1.0, 1e9),)), "int_conv": Curve(((1.0, 1e12),)),
                      "quant": Curve(((1.0, 1e9),))}, 1e-6, 0.0)
    dev = Device("t", "T", {"fp32": Figure(1e12), "int8": Figure(4e12)}, bandwidth=Figure(1e11), efficiency=eff)
    by = {t.kernel.head.name: t for t in predict(report, dev).kernels}
    assert [k.head.name for k in ks if kernel_class(k) == "int_conv"] == ["conv1", "conv2"]
    # conv1: the shared input xq and its output cq1; conv2: only its output cq2
    assert math.isclose(by["conv1"].layout_s, 2 * 1.8e-6) and math.isclose(by["conv2"].layout_s, 1.8e-6)


def test_a_convolution_reading_few_channels_is_a_stem() -> None:
    """3 input channels (an image): conv_stem; 16: conv (the line is at 8)."""
    _, ks = _fused(
        [helper.make_node("Conv", ["x", "W1"], ["a"], name="stem", pads=[1, 1, 1, 1]),
         helper.make_node("Conv", ["a", "W2"], ["y"], name="body", pads=[1, 1, 1, 1])],
        [("x", "float32", [1, 3, 8, 8])], [("y", "float32", [1, 16, 8, 8])],
        [init("W1", "float32", [16, 3, 3, 3]), init("W2", "float32", [16, 16, 3, 3])],
    )
    assert [(k.head.name, kernel_class(k)) for k in ks] == [("stem", "conv_stem"), ("body", "conv")]


def test_fused_nodes_named_after_their_op_type_map_in_order() -> None:
    """onnxruntime names fused nodes SkipLayerNormalization, SkipLayerNormalization_token_1, ...
    and Gelu, Gelu_token_0: the n-th in the counter's order is our n-th kernel of that fusion."""
    from types import SimpleNamespace as NS

    from onnx_cost.runners.measure import map_kernels

    def kt(head: str, fusion: str, p: float) -> NS:
        m = NS(name=head, output_names=(head + "_out",))
        return NS(kernel=NS(head=m, members=[m], fusion=fusion), bound="memory", predicted_s=p)

    pred = NS(kernels=[kt("ln0", "skip_layer_norm", 1.0), kt("g0", "gelu", 2.0), kt("ln1", "skip_layer_norm", 3.0),
                       kt("g1", "gelu", 4.0), kt("mm", "", 5.0)])
    measured = {"SkipLayerNormalization": 10.0, "SkipLayerNormalization_token_2": 30.0, "Gelu": 20.0,
                "Gelu_token_1": 40.0, "mm": 50.0, "reorder_1": 7.0}
    assert map_kernels(measured, pred) == {"ln0": (1.0, 10.0), "g0": (2.0, 20.0), "ln1": (3.0, 30.0),
                                           "g1": (4.0, 40.0), "mm": (5.0, 50.0), "(runtime-inserted)": (0.0, 7.0)}
