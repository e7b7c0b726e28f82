"""The device model: the fusion table on built graphs, the prediction's arithmetic by hand,
the calibration fit on synthetic timings, the device file round trip. Nothing is timed."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from onnx import helper, numpy_helper

from onnx_cost.runners.calibrate import OVERHEAD, STREAM, Sample, device_toml, fit, save_band
from onnx_cost.views.hardware import Device, Figure, footprint
from onnx_cost.views.hardware.devices import load_device, load_device_file
from onnx_cost.views.hardware.efficiency import Curve, Efficiency, kernel_class
from onnx_cost.views.hardware.fusion import FUSIONS, kernels
from onnx_cost.views.hardware.predict import predict
from onnx_cost.views.hardware.view import against, hardware_dict

from helpers import analyze_model, init, make_model

# 1 TFLOP/s fp32, 100 GB/s, no cache figure; GEMMs at 1e11 op/s, elementwise at 1e10 B/s,
# 2 us per kernel, 10 us per run
EFF = Efficiency({"gemm": Curve(((1.0, 1e11),)), "elementwise": Curve(((1.0, 1e10),))}, 2e-6, 1e-5)
DEV = Device("test", "Test chip", {"fp32": Figure(1e12)}, bandwidth=Figure(1e11), efficiency=EFF)


def _fused(nodes, inputs, outputs, inits=(), opset=17):  # type: ignore[no-untyped-def]
    report = analyze_model(make_model(nodes, inputs, outputs, inits, opset=opset))
    return report, [k for k in kernels(report) if not k.folded]


def test_gemm_bias_relu_by_hand() -> None:
    """MatMul [16,256] x [256,256] + bias + Relu: one kernel (matmul_add, gemm_activation)."""
    report, ks = _fused(
        [helper.make_node("MatMul", ["x", "W"], ["h"], name="mm"), helper.make_node("Add", ["h", "b"], ["a"], name="add"),
         helper.make_node("Relu", ["a"], ["y"], name="relu")],
        [("x", "float32", [16, 256])], [("y", "float32", [16, 256])],
        [init("W", "float32", [256, 256]), init("b", "float32", [256])],
    )
    (k,) = ks
    assert k.fusion == "gemm_activation" and [m.name for m in k.members] == ["mm", "add", "relu"]
    # ops: MatMul 2*16*256*256 - 16*256 dots = 2,093,056; Add 4,096; Relu 4,096 -> 2,101,248
    assert k.ops == 2_101_248
    # bytes at the boundary: x 16,384 + W 262,144 + b 1,024 + y 16,384 = 295,936 (h and a stay inside)
    assert k.bytes == 295_936 and k.weight_bytes == 263_168
    p = predict(report, DEV)
    (kt,) = [t for t in p.kernels if t.bound != "folded"]
    assert kernel_class(k) == "gemm" and kt.cls == "gemm"
    # floor = max(2,101,248 / 1e12, 295,936 / 1e11) = 2.95936e-6 s
    assert math.isclose(p.floor_s, 2.95936e-6)
    # predicted = run 10 us + dispatch 2 us + 2,101,248 / 1e11 = 33.01248 us
    assert math.isclose(p.predicted_s, 33.01248e-6)
    # the kernel: 2 us dispatch < 21 us work; memory 2.96 us > compute 2.10 us: memory-bound
    assert kt.bound == "memory"
    # verdict: memory 23.01248 us of 33.01248 (the run's 10 us is overhead)
    assert p.verdict[0] == "memory" and math.isclose(p.verdict[1], 23.01248 / 33.01248)
    per = p.per_node()
    assert per["relu"] == (0.0, 0.0, "mm") and math.isclose(per["mm"][0], 23.01248e-6)


def test_json_names_floor_and_prediction_apart() -> None:
    report, _ = _fused([helper.make_node("Relu", ["x"], ["y"], name="r")], [("x", "float32", [1000])],
                       [("y", "float32", [1000])])
    d = hardware_dict(report, DEV, measured_s=1e-6)
    # bytes 8,000: floor 8,000 / 1e11 = 80 ns; predicted 10 + 2 + 8,000 / 1e10 s = 12.8 us
    assert math.isclose(d["floor_s"], 8e-8) and math.isclose(d["predicted_s"], 12.8e-6)
    assert math.isclose(d["nodes"][0]["predicted_s"], 2.8e-6) and d["nodes"][0]["fused_into"] is None
    assert d["calibrated"] is True and d["predicted_band"] is None
    assert math.isclose(d["measured"]["predicted_error"], 12.8 - 1)
    assert d["measured"]["contradiction"] is None
    a = against(predict(report, DEV), 1e-8)  # measured below the 80 ns floor
    assert a["contradiction"] and "below the floor" in a["contradiction"]


def test_uncalibrated_device_is_a_range() -> None:
    report, _ = _fused([helper.make_node("Relu", ["x"], ["y"])], [("x", "float32", [1000])], [("y", "float32", [1000])])
    p = predict(report, load_device("t4"))
    assert p.calibrated is False and p.band == 1.0
    assert math.isclose(p.low_s, max(p.predicted_s / 2, p.floor_s)) and math.isclose(p.high_s, p.predicted_s * 2)


def test_conv_bn_relu_and_residual() -> None:
    w = init("W", "float32", [8, 8, 3, 3])
    bn = [init(n, "float32", [8]) for n in ("s", "bb", "m", "v")]
    _, ks = _fused(
        [helper.make_node("Conv", ["x", "W"], ["c"], name="conv", pads=[1, 1, 1, 1]),
         helper.make_node("BatchNormalization", ["c", "s", "bb", "m", "v"], ["n"], name="bn"),
         helper.make_node("Relu", ["n"], ["r"], name="relu"),
         helper.make_node("Conv", ["r", "W"], ["c2"], name="conv2", pads=[1, 1, 1, 1]),
         helper.make_node("Add", ["c2", "x"], ["s2"], name="res"),
         helper.make_node("Relu", ["s2"], ["y"], name="relu2")],
        [("x", "float32", [1, 8, 4, 4])], [("y", "float32", [1, 8, 4, 4])], [w, *bn],
    )
    assert [(k.fusion, [m.name for m in k.members]) for k in ks] == [
        ("conv_activation", ["conv", "bn", "relu"]), ("conv_add_activation", ["conv2", "res", "relu2"])]
    # the first kernel reads x (512 B), W (2,304 B) and the BN's four vectors (128 B), writes r (512 B)
    assert ks[0].bytes == 512 + 2_304 + 128 + 512


def test_gelu_layernorm_and_skip() -> None:
    c = [numpy_helper.from_array(np.array(v, np.float32), n) for n, v in
         (("sq2", 1.4142135), ("one", 1.0), ("half", 0.5), ("two", 2.0), ("eps", 1e-5))]
    g = [init("g", "float32", [4]), init("b", "float32", [4])]
    nodes = [
        helper.make_node("Add", ["x", "x2"], ["s"], name="skip"),
        helper.make_node("ReduceMean", ["s"], ["mu"], name="rm1", axes=[-1]),
        helper.make_node("Sub", ["s", "mu"], ["d"], name="sub"),
        helper.make_node("Pow", ["d", "two"], ["d2"], name="pow"),
        helper.make_node("ReduceMean", ["d2"], ["var"], name="rm2", axes=[-1]),
        helper.make_node("Add", ["var", "eps"], ["ve"], name="addeps"),
        helper.make_node("Sqrt", ["ve"], ["sd"], name="sqrt"),
        helper.make_node("Div", ["d", "sd"], ["nrm"], name="div"),
        helper.make_node("Mul", ["nrm", "g"], ["ng"], name="mulg"),
        helper.make_node("Add", ["ng", "b"], ["ln"], name="addb"),
        helper.make_node("Div", ["ln", "sq2"], ["t"], name="gdiv"),
        helper.make_node("Erf", ["t"], ["e"], name="erf"),
        helper.make_node("Add", ["e", "one"], ["e1"], name="gadd"),
        helper.make_node("Mul", ["ln", "e1"], ["m"], name="gmul"),
        helper.make_node("Mul", ["m", "half"], ["y"], name="ghalf"),
    ]
    _, ks = _fused(nodes, [("x", "float32", [1, 2, 4]), ("x2", "float32", [1, 2, 4])], [("y", "float32", [1, 2, 4])],
                   [*c, *g], opset=17)
    assert [(k.fusion, len(k.members)) for k in ks] == [("skip_layer_norm", 10), ("gelu", 5)]
    assert kernel_class(ks[0]) == "skip_norm" and kernel_class(ks[1]) == "gelu"
    # the layer norm kernel reads x, x2 (32 B each), g, b (16 B each) and eps, two (4 B each); writes ln (32 B)
    assert ks[0].bytes == 32 + 32 + 16 + 16 + 4 + 4 + 32


def test_qdq_conv_is_an_int8_kernel_reading_int8_weights() -> None:
    sc = [numpy_helper.from_array(np.array(0.1, np.float32), "sc"), numpy_helper.from_array(np.array(0, np.int8), "z")]
    wq = numpy_helper.from_array(np.ones((8, 8, 3, 3), np.int8), "Wq")
    report, ks = _fused(
        [helper.make_node("QuantizeLinear", ["x", "sc", "z"], ["xq"], name="q0"),
         helper.make_node("DequantizeLinear", ["xq", "sc", "z"], ["xd"], name="dqx"),
         helper.make_node("DequantizeLinear", ["Wq", "sc", "z"], ["wd"], name="dqw"),
         helper.make_node("Conv", ["xd", "wd"], ["c"], name="conv", pads=[1, 1, 1, 1]),
         helper.make_node("QuantizeLinear", ["c", "sc", "z"], ["cq"], name="q1"),
         helper.make_node("DequantizeLinear", ["cq", "sc", "z"], ["y"], name="dqy")],
        [("x", "float32", [1, 8, 4, 4])], [("y", "float32", [1, 8, 4, 4])], [*sc, wq],
    )
    conv = next(k for k in ks if k.head.name == "conv")
    assert conv.fusion == "qdq" and conv.precision == "int8" and kernel_class(conv) == "int_conv"
    assert {m.name for m in conv.members} == {"conv", "dqx", "dqw", "q1"}
    # reads xq (128 B int8), Wq (576 B int8), the scale (4 B) and zero point (1 B); writes cq (128 B)
    assert conv.bytes == 128 + 576 + 4 + 1 + 128 and conv.weight_bytes == 576 + 4 + 1
    # the footprint stores the int8 weight once, never the DequantizeLinear's float output (2,304 B)
    assert footprint(report).weight_bytes == 576 + 4 + 1


def test_transpose_of_a_weight_is_folded_and_stored_once() -> None:
    report, ks = _fused(
        [helper.make_node("Transpose", ["W"], ["Wt"], name="t", perm=[1, 0]),
         helper.make_node("MatMul", ["x", "Wt"], ["y"], name="mm")],
        [("x", "float32", [2, 8])], [("y", "float32", [2, 4])], [init("W", "float32", [4, 8])],
    )
    assert [k.head.name for k in ks] == ["mm"]
    folded = [k for k in kernels(report) if k.folded]
    assert [(k.head.name, k.fusion) for k in folded] == [("t", "constant_folding")]
    assert footprint(report).weight_bytes == 4 * 8 * 4  # W once (128 B), not W and Wt


def test_identity_and_dropout_are_eliminated() -> None:
    _, ks = _fused([helper.make_node("Identity", ["x"], ["a"]), helper.make_node("Relu", ["a"], ["y"], name="r")],
                   [("x", "float32", [4])], [("y", "float32", [4])])
    assert [k.head.name for k in ks] == ["r"]


def test_every_fusion_names_its_onnxruntime_source() -> None:
    for name, (what, src) in FUSIONS.items():
        assert what and all(p.strip().startswith("onnxruntime/core/optimizer/") and p.strip().endswith(".cc")
                            for p in src.split(",")), name


def test_fit_on_synthetic_timings() -> None:
    """Timings made from dispatch 3 us, run 20 us, a GEMM curve and an elementwise rate: the
    fit gives them back."""
    d, run = 3e-6, 20e-6
    chains = [Sample(f"c{n}", OVERHEAD, 0, 0, n, run + n * d) for n in (1, 16, 64)]
    gemm = [Sample(f"g{o}", "gemm", o, 1e5, 1, run + d + o / r, run + d + o / (1.2 * r))
            for o, r in ((1e6, 2e10), (1e8, 8e10), (1e9, 1e11))]
    ew = [Sample(f"e{b}", "elementwise", 0, b, 1, run + d + b / 1e10, run + d + b / 2e10) for b in (1e5, 1e7)]
    stream = [Sample("s", STREAM, 0, 64e6, 16, run + 16 * d + 64e6 / 4e9, run + 16 * d + 64e6 / 5e9)]
    eff, figs = fit(chains + gemm + ew + stream)
    assert math.isclose(eff.dispatch_s, d, rel_tol=1e-9) and math.isclose(eff.run_s, run, rel_tol=1e-9)
    assert [(a, round(r)) for a, r in eff.curves["gemm"].points] == [(1e6, 2e10), (1e8, 8e10), (1e9, 1e11)]
    assert eff.rate("elementwise", 1e5) == pytest.approx(1e10)
    # floor figures: the best runs' rates times the headroom 1.5
    assert figs["fp32"] == pytest.approx(1.5 * 1.2e11) and figs["cache_bandwidth"] == pytest.approx(1.5 * 2e10)
    # the stream: its typical run like every class (timed in a process of its own), by footprint
    assert figs["stream_bandwidth"] == pytest.approx(4e9) and figs["stream_points"] == [[64e6, pytest.approx(4e9)]]
    # between points, the rate is linear in log(size): halfway from 1e6 to 1e8 is 1e7 -> 5e10
    assert eff.rate("gemm", 1e7) == pytest.approx(5e10)
    assert eff.rate("gemm", 1e3) == pytest.approx(2e10) and eff.rate("gemm", 1e12) == pytest.approx(1e11)  # ends held


def test_device_file_round_trip(tmp_path: Path) -> None:
    eff = Efficiency({"gemm": Curve(((1e6, 2e10), (1e9, 1e11))), "norm": Curve(((1e4, 5e9),))}, 3e-6, 2e-5)
    info = {"date": "2026-01-01 00:00 UTC", "cpu": 'odd "cpu"\n', "threads": 2, "onnxruntime": "1.0", "spread": 0.1}
    p = tmp_path / "local.toml"
    p.write_text(device_toml(eff, {"fp32": 1.5e11, "bandwidth": 2e10, "cache_bandwidth": 5e10}, info))
    d = load_device_file(str(p))
    assert d.efficiency.curves["gemm"].points == ((1e6, 2e10), (1e9, 1e11))
    assert d.efficiency.dispatch_s == pytest.approx(3e-6) and d.efficiency.run_s == pytest.approx(2e-5)
    assert d.peaks["fp32"].value == pytest.approx(1.5e11) and d.efficiency.info["cache_bandwidth"] == 5e10
    assert d.efficiency.band is None
    save_band(p, 0.12)
    assert load_device_file(str(p)).efficiency.band == pytest.approx(0.12)


def test_calibrate_without_onnxruntime_is_one_line_exit_2(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    import onnx_cost.runners.calibrate as calibrate
    from onnx_cost.cli import app

    def no_ort() -> None:
        raise calibrate.CalibrationError("calibration needs onnxruntime: pip install 'onnx-cost[runtime]'")

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(calibrate, "_ort", no_ort)
    r = CliRunner().invoke(app, ["devices", "calibrate"])
    assert r.exit_code == 2
    assert r.stderr.strip().splitlines()[-1] == (
        "onnx-cost: error: calibration needs onnxruntime: pip install 'onnx-cost[runtime]'")
    assert not (tmp_path / "onnx-cost").exists() or not any((tmp_path / "onnx-cost").iterdir())


def test_recalibrate_applies_to_local_only(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from onnx_cost.cli import app

    m = make_model([helper.make_node("Relu", ["x"], ["y"])], [("x", "float32", [4])], [("y", "float32", [4])])
    p = tmp_path / "m.onnx"
    import onnx

    onnx.save(m, str(p))
    r = CliRunner().invoke(app, [str(p), "--device", "t4", "--recalibrate"])
    assert r.exit_code == 2 and "--recalibrate applies to --device local" in r.stderr


def test_rank_correlation_by_hand() -> None:
    from onnx_cost.runners.measure import kernel_stats, rank_correlation

    assert rank_correlation([1, 2, 3, 4], [10, 20, 30, 40]) == 1.0
    assert rank_correlation([1, 2, 3, 4], [40, 30, 20, 10]) == -1.0
    # ranks 0,1,2,3 against 1,0,3,2: sum of (x-1.5)(y-1.5) = 2.25-0.75-0.75+2.25 = 3; var 5 -> 0.6
    assert rank_correlation([1, 2, 3, 4], [2, 1, 4, 3]) == pytest.approx(0.6)
    assert rank_correlation([1, 2], [1, 2]) is None and rank_correlation([1, 1, 1], [1, 2, 3]) is None
    rows = [{"predicted_s": p, "measured_s": m} for p, m in ((1.0, 2.0), (2.0, 3.0), (4.0, 4.0))]
    assert kernel_stats(rows) == {"rank_correlation": 1.0, "median_measured_over_predicted": 1.5}


def test_fit_places_a_chain_at_one_kernels_size() -> None:
    # four 1e8-op convolutions in 4 ms after 20 us of run cost (no dispatch fitted): 4e8 ops / 4e-3 s
    # = 1e11 op/s, at the size of one of them (1e8 ops), not of the four (4e8)
    eff, _ = fit([Sample("c", "conv", 4e8, 1e6, 4, 4e-3, 4e-3, units=4)])
    assert eff.curves["conv"].points == ((1e8, pytest.approx(1e11)),)


def test_graph_inputs_and_outputs_stream_when_the_run_outgrows_the_hot_cache() -> None:
    """A KV-cache Concat: past [1,8,256,64] fp32 (524,288 B) and new [1,8,1,64] (2,048 B),
    both graph inputs, into present [1,8,257,64] (526,336 B), a graph output: 1,052,672 B,
    all of them graph I/O. Elementwise (movement's fallback) at 1e10 B/s, 2 us dispatch, 10 us run."""
    report, (k,) = _fused([helper.make_node("Concat", ["past", "new"], ["present"], axis=2)],
                          [("past", "float32", [1, 8, 256, 64]), ("new", "float32", [1, 8, 1, 64])],
                          [("present", "float32", [1, 8, 257, 64])])
    assert k.bytes == 1_052_672 and k.io_bytes == 1_052_672 and k.weight_bytes == 0

    def pred(hot: float, stream: float) -> float:
        eff = Efficiency(EFF.curves, 2e-6, 1e-5, info={"hot_cache": hot, "stream_bandwidth": stream})
        return predict(report, Device("t", "T", {"fp32": Figure(1e12)}, bandwidth=Figure(1e11), efficiency=eff)).predicted_s

    # fits a 1e7 B hot cache: 10 + 2 + 1,052,672 / 1e10 (105.2672 us) = 117.2672 us
    assert math.isclose(pred(1e7, 5e9), 117.2672e-6)
    # outgrows a 1e5 B hot cache: streamed at 5e9 B/s, 1,052,672 / 5e9 = 210.5344 us -> 222.5344 us
    assert math.isclose(pred(1e5, 5e9), 222.5344e-6)
    # a stream faster than the kernel's own rate does not speed it up: max(21.05344, 105.2672) us
    assert math.isclose(pred(1e5, 5e10), 117.2672e-6)


def _shared_dq(float_reader: bool):  # type: ignore[no-untyped-def]
    """xq [16,64] uint8 -> one DequantizeLinear read by two QDQ MatMuls ([64,64] int8 weights),
    and (``float_reader``) by a float Relu too. One scale and zero point per role: xs/xz, ws/wz, ys/yz."""
    inits = [numpy_helper.from_array(np.array(0.1, np.float32), "xs"), numpy_helper.from_array(np.array(0, np.uint8), "xz"),
             numpy_helper.from_array(np.array(0.1, np.float32), "ws"), numpy_helper.from_array(np.array(0, np.int8), "wz"),
             numpy_helper.from_array(np.array(0.1, np.float32), "ys"), numpy_helper.from_array(np.array(0, np.uint8), "yz"),
             numpy_helper.from_array(np.ones((64, 64), np.int8), "W1"), numpy_helper.from_array(np.ones((64, 64), np.int8), "W2")]
    nodes = [helper.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"], name="dqx")]
    outs = [("y1", "uint8", [16, 64]), ("y2", "uint8", [16, 64])]
    for i in (1, 2):
        nodes += [helper.make_node("DequantizeLinear", [f"W{i}", "ws", "wz"], [f"w{i}d"], name=f"dqw{i}"),
                  helper.make_node("MatMul", ["xd", f"w{i}d"], [f"m{i}"], name=f"mm{i}"),
                  helper.make_node("QuantizeLinear", [f"m{i}", "ys", "yz"], [f"y{i}"], name=f"q{i}")]
    if float_reader:
        nodes.append(helper.make_node("Relu", ["xd"], ["r"], name="relu"))
        outs.append(("r", "float32", [16, 64]))
    report = analyze_model(make_model(nodes, [("xq", "uint8", [16, 64])], outs, inits, opset=17))
    return kernels(report)


def test_a_shared_dequantize_is_copied_into_each_qdq_unit() -> None:
    """onnxruntime gives each QDQ unit its own copy of a shared DequantizeLinear
    (ensure_unique_dq_for_node_unit.cc): both MatMuls are integer kernels reading the uint8
    input, and the original runs no more."""
    ks = _shared_dq(float_reader=False)
    mm1, mm2 = (next(k for k in ks if k.head.name == n) for n in ("mm1", "mm2"))
    for k in (mm1, mm2):
        assert k.fusion == "qdq" and "dqx" in {m.name for m in k.members}
        # reads xq 1,024 + xs 4 + xz 1 + W 4,096 + ws 4 + wz 1 + ys 4 + yz 1 = 5,135 B; writes y 1,024 B
        # (not the copy's float output, 4,096 B)
        assert k.bytes == 5_135 + 1_024 and k.write_bytes == 1_024 and k.weight_bytes == 5_135 - 1_024
    (dq,) = [k for k in ks if k.head.name == "dqx"]
    assert dq.folded and dq.fusion == "unique_dq"


def test_a_shared_dequantize_with_a_float_reader_still_runs_for_it() -> None:
    ks = _shared_dq(float_reader=True)
    (dq,) = [k for k in ks if k.head.name == "dqx"]
    assert not dq.folded and dq.members == [dq.head]
    # it reads xq 1,024 + xs 4 + xz 1 and writes the float xd 4,096 B (the Relu reads it)
    assert dq.bytes == 1_024 + 5 + 4_096
    mm1 = next(k for k in ks if k.head.name == "mm1")
    assert mm1.fusion == "qdq" and mm1.bytes == 5_135 + 1_024


def test_layout_transposes_are_priced_on_the_layout_curve() -> None:
    """A QDQ Conv on a uint8 graph input [1,8,8,8] (512 B) writing a uint8 graph output
    [1,8,8,8] (512 B): onnxruntime runs it in NHWC, a Transpose in and one out. Each copies
    512 B in and out (1,024 B) at the layout curve's 1e9 B/s plus 2 us dispatch:
    2 x (2 us + 1.024 us) = 6.048 us."""
    sc = [numpy_helper.from_array(np.array(0.1, np.float32), "s"), numpy_helper.from_array(np.array(0, np.uint8), "z"),
          numpy_helper.from_array(np.array(0, np.int8), "wz"), numpy_helper.from_array(np.ones((8, 8, 3, 3), np.int8), "W")]
    report = analyze_model(make_model(
        [helper.make_node("DequantizeLinear", ["x", "s", "z"], ["xd"]),
         helper.make_node("DequantizeLinear", ["W", "s", "wz"], ["wd"]),
         helper.make_node("Conv", ["xd", "wd"], ["c"], name="conv", pads=[1, 1, 1, 1]),
         helper.make_node("QuantizeLinear", ["c", "s", "z"], ["y"])],
        [("x", "uint8", [1, 8, 8, 8])], [("y", "uint8", [1, 8, 8, 8])], sc, opset=17))
    eff = Efficiency({"layout": Curve(((1.0, 1e9),)), "movement": Curve(((1.0, 1e10),))}, 2e-6, 1e-5)
    p = predict(report, Device("t", "T", {"fp32": Figure(1e12), "int8": Figure(4e12)}, bandwidth=Figure(1e11),
                               efficiency=eff))
    (conv,) = [t for t in p.kernels if t.kernel.head.name == "conv"]
    assert math.isclose(conv.layout_s, 6.048e-6)


def test_an_integer_add_with_an_nchw_input_does_not_carry_nhwc() -> None:
    """conv1 (QDQ) -> a QDQ Add whose other input is a uint8 graph input (NCHW) -> conv2
    (QDQ) -> a graph output; every tensor [1,8,8,8] uint8 (512 B). The Add does not run in
    NHWC (one of its inputs is NCHW), so conv2 needs a Transpose in and one out:
    2 x (2 us + 1,024 B / 1e9 B/s) = 6.048 us, as does conv1 (its input, and its output for the Add)."""
    sc = [numpy_helper.from_array(np.array(0.1, np.float32), "s"), numpy_helper.from_array(np.array(0, np.uint8), "z"),
          numpy_helper.from_array(np.array(0, np.int8), "wz"), numpy_helper.from_array(np.ones((8, 8, 3, 3), np.int8), "W")]
    dq, q = "DequantizeLinear", "QuantizeLinear"
    report = analyze_model(make_model(
        [helper.make_node(dq, ["x", "s", "z"], ["xd"]), helper.make_node(dq, ["W", "s", "wz"], ["wd1"]),
         helper.make_node("Conv", ["xd", "wd1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
         helper.make_node(q, ["c1", "s", "z"], ["c1q"]), helper.make_node(dq, ["c1q", "s", "z"], ["c1d"]),
         helper.make_node(dq, ["x2", "s", "z"], ["x2d"]), helper.make_node("Add", ["c1d", "x2d"], ["a"], name="add"),
         helper.make_node(q, ["a", "s", "z"], ["aq"]), helper.make_node(dq, ["aq", "s", "z"], ["ad"]),
         helper.make_node(dq, ["W", "s", "wz"], ["wd2"]),
         helper.make_node("Conv", ["ad", "wd2"], ["c2"], name="conv2", pads=[1, 1, 1, 1]),
         helper.make_node(q, ["c2", "s", "z"], ["y"])],
        [("x", "uint8", [1, 8, 8, 8]), ("x2", "uint8", [1, 8, 8, 8])], [("y", "uint8", [1, 8, 8, 8])], sc, opset=17))
    eff = Efficiency({"layout": Curve(((1.0, 1e9),))}, 2e-6, 1e-5)
    p = predict(report, Device("t", "T", {"fp32": Figure(1e12), "int8": Figure(4e12)}, bandwidth=Figure(1e11),
                               efficiency=eff))
    by = {t.kernel.head.name: t for t in p.kernels}
    assert by["add"].kernel.fusion == "qdq"
    assert math.isclose(by["conv1"].layout_s, 6.048e-6) and math.isclose(by["conv2"].layout_s, 6.048e-6)


@pytest.mark.parametrize(("rows", "scale", "cls"), [(1, True, "gemm_act_scaled"), (1, False, "gemm_act_skinny"),
                                                    (4, True, "gemm_act_skinny")])
def test_a_scaled_one_row_attention_score_is_its_own_class(rows: int, scale: bool, cls: str) -> None:
    """q [1,8,rows,64] · Transpose(k [1,8,256,64]) (· 0.125): with the scale fused in
    (FusedMatMul alpha) and one row per head, MLAS cannot use its one-row kernel (sgemm.cpp:
    M == 1 and alpha == 1 only)."""
    nodes = [helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 1, 3, 2]),
             helper.make_node("MatMul", ["q", "kt"], ["m" if scale else "y"], name="mm")]
    if scale:
        nodes.append(helper.make_node("Mul", ["m", "s"], ["y"]))
    _, ks = _fused(nodes, [("q", "float32", [1, 8, rows, 64]), ("k", "float32", [1, 8, 256, 64])],
                   [("y", "float32", [1, 8, rows, 256])], [init("s", "float32", [], [0.125])] if scale else [])
    (k,) = [k for k in ks if k.head.name == "mm"]
    assert k.computed_operands and kernel_class(k) == cls
