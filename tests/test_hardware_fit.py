"""The device model's recurrent split, its stream by footprint, its QDQ broadcast class and the fit's
unresolved points: arithmetic by hand on small graphs and on synthetic timings. Nothing is timed."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import pytest
from onnx import NodeProto, helper

from onnx_cost.runners.calibrate import OVERHEAD, Sample, device_toml, fit
from onnx_cost.views.hardware import Device, Figure
from onnx_cost.views.hardware.device_error import DeviceError
from onnx_cost.views.hardware.devices import load_device_file
from onnx_cost.views.hardware.efficiency import Curve, Efficiency, curve_size, input_projection_ops, kernel_class
from onnx_cost.views.hardware.fusion import kernels
from onnx_cost.views.hardware.predict import predict

from helpers import analyze_model, init, make_model


def _lstm():  # type: ignore[no-untyped-def]
    """LSTM, hidden 32, input 16, 8 steps, batch 1, one direction: W [1,128,16], R [1,128,32], B [1,256]."""
    report = analyze_model(make_model(
        [helper.make_node("LSTM", ["x", "W", "R", "B"], ["y"], name="lstm", hidden_size=32)],
        [("x", "float32", [8, 1, 16])], [("y", "float32", [8, 1, 1, 32])],
        [init("W", "float32", [1, 128, 16]), init("R", "float32", [1, 128, 32]), init("B", "float32", [1, 256])],
        opset=17))
    (k,) = [k for k in kernels(report) if k.head.op_type == "LSTM"]
    return report, k


def test_a_recurrent_cell_runs_its_input_projection_as_one_gemm() -> None:
    report, k = _lstm()
    # X·Wᵀ for all 8 steps at once: 2 · seq 8 · batch 1 · |W| (1·128·16 = 2,048) = 32,768 ops
    assert input_projection_ops(k) == 32_768
    # the recurrent curve is read at the rest per step
    assert curve_size(k, "recurrent") == (k.ops - 32_768) / 8
    eff = Efficiency({"gemm": Curve(((1.0, 1e11),)), "recurrent": Curve(((1.0, 1e9),))}, 2e-6, 1e-5)
    dev = Device("t", "T", {"fp32": Figure(1e12)}, bandwidth=Figure(1e11), efficiency=eff)
    p = predict(report, dev)
    # run 10 us + dispatch 2 us + 32,768 / 1e11 on the gemm curve + the rest / 1e9 on the recurrent one
    assert math.isclose(p.predicted_s, 10e-6 + 2e-6 + 32_768 / 1e11 + (k.ops - 32_768) / 1e9)


def test_projection_needs_known_dims_and_a_recurrent_op() -> None:
    def k(op: str, x: list[object], w: list[object]) -> SimpleNamespace:
        return SimpleNamespace(head=SimpleNamespace(op_type=op, inputs=[x, w]), ops=1e9)

    # a GRU, bidirectional: 2 · seq 5 · batch 3 · |W| (2·3·4·6 = 144) = 4,320
    assert input_projection_ops(k("GRU", [5, 3, 6], [2, 12, 6])) == 4_320
    assert input_projection_ops(k("LSTM", ["seq", 1, 2], [1, 16, 2])) == 0.0  # a free sequence
    assert input_projection_ops(k("MatMul", [5, 3, 6], [2, 12, 6])) == 0.0
    # never more than the kernel's own operations
    assert input_projection_ops(SimpleNamespace(head=SimpleNamespace(op_type="RNN", inputs=[[4, 1, 2], [1, 3, 2]]),
                                                ops=10.0)) == 10.0


def test_fit_takes_the_projection_off_on_the_gemm_curve() -> None:
    """Dispatch 1 us, run 10 us (chains), GEMMs at 1e11 op/s; an LSTM benchmark of 1e6 ops of
    which 4e5 are its projection, its recurrent part at 2e9 op/s: 10 + 1 + 4 + 300 us."""
    run, d = 10e-6, 1e-6
    chains = [Sample(f"c{n}", OVERHEAD, 0, 0, n, run + n * d) for n in (1, 16, 64)]
    gemm = [Sample("g", "gemm", 1e6, 1e5, 1, run + d + 1e6 / 1e11)]
    lstm = [Sample("l", "recurrent", 1e6, 1e5, 1, run + d + 4e5 / 1e11 + 6e5 / 2e9, size=6e4, pre_ops=4e5)]
    eff, _ = fit(lstm + chains + gemm)  # the LSTM listed first: the fit still prices its GEMM first
    assert eff.curves["recurrent"].points == ((6e4, pytest.approx(2e9)),)


def test_fit_takes_a_mixed_benchmarks_other_kernels_off_on_their_curves() -> None:
    """Dispatch 1 us, run 10 us; BatchNormalizations at 1e10 B/s (a chain of one class). A
    benchmark of 12 kernels: 8 quantizations of 1e6 B each at 5e9 B/s (1,600 us) and 4
    BatchNormalizations of 2e6 B each (800 us): 10 + 12 + 1,600 + 800 us. The quant curve
    gets 8e6 B in 1,600 us, at 1e6 B a kernel."""
    run, d = 10e-6, 1e-6
    chains = [Sample(f"c{n}", OVERHEAD, 0, 0, n, run + n * d) for n in (1, 16, 64)]
    bn = [Sample("bn", "batchnorm", 0, 8e6, 4, run + 4 * d + 8e6 / 1e10, units=4, size=2e6)]
    mixed = [Sample("qbn", "quant", 0, 8e6, 12, run + 12 * d + 8e6 / 5e9 + 4 * 2e6 / 1e10, units=8, size=1e6,
                    others=(("batchnorm", 2e6, 2e6),) * 4)]
    eff, _ = fit(mixed + chains + bn)  # the mixed one first: the fit still reads the others' curves first
    assert eff.curves["quant"].points == ((1e6, pytest.approx(5e9)),)
    assert eff.curves["batchnorm"].points == ((2e6, pytest.approx(1e10)),)
    # without a curve for its other kernels a mixed benchmark says nothing: the quant curve is
    # the lone QuantizeLinear's alone (1e5 B at 2e9 B/s: 50 us), not the whole chain's time
    lone = [Sample("q", "quant", 0, 1e5, 1, run + d + 1e5 / 2e9)]
    eff, _ = fit(mixed + chains + lone)
    assert eff.curves["quant"].points == ((1e5, pytest.approx(2e9)),)


def test_a_quantization_chain_benchmark_names_its_batchnormalizations() -> None:
    from onnx_cost.runners.calibrate import _amounts, benchmarks

    # quantbn24x112: [1, 24, 112, 112] uint8, four times DequantizeLinear, BatchNormalization,
    # QuantizeLinear: 12 kernels, 8 of them quantizations of 301,056 elements (1 B + 4 B each,
    # plus a 4 B scale and a 1 B zero point: 1,505,285 B), and 4 BatchNormalizations reading
    # and writing 301,056 floats (2,408,448 B) plus their four parameters of 24 floats (384 B)
    (m,) = [m for name, _cls, m, _f in benchmarks() if name == "quantbn24x112"]
    _ops, nbytes, kernels_, units, size, _pre, others = _amounts(m, "quant")
    assert (kernels_, units) == (12, 8)
    assert (nbytes, size) == (8 * 1505285.0, 1505285.0)
    assert others == (("batchnorm", 2408832.0, 2408832.0),) * 4


def _kv_concat():  # type: ignore[no-untyped-def]
    """The KV-cache Concat of test_hardware_predict: 1,052,672 bytes, all graph I/O."""
    report = analyze_model(make_model([helper.make_node("Concat", ["past", "new"], ["present"], axis=2)],
                                      [("past", "float32", [1, 8, 256, 64]), ("new", "float32", [1, 8, 1, 64])],
                                      [("present", "float32", [1, 8, 257, 64])], opset=17))
    return report


def test_the_stream_is_read_at_the_runs_footprint() -> None:
    report = _kv_concat()
    pts = Curve(((1e5, 1e9), (1e7, 3e9)))
    eff = Efficiency({"elementwise": Curve(((1.0, 1e10),))}, 2e-6, 1e-5,
                     info={"hot_cache": 1e5, "stream_bandwidth": 3e9, "stream_points": pts})
    p = predict(report, Device("t", "T", {"fp32": Figure(1e12)}, bandwidth=Figure(1e11), efficiency=eff))
    # 1,052,672 B streamed: linear in log(size) between 1e5 and 1e7 B
    f = math.log(1_052_672 / 1e5) / math.log(100)
    rate = 1e9 + f * 2e9
    assert math.isclose(p.predicted_s, 10e-6 + 2e-6 + 1_052_672 / rate)


def test_stream_points_round_trip_and_refuse_garbage(tmp_path: Path) -> None:
    eff = Efficiency({"gemm": Curve(((1e6, 2e10),))}, 3e-6, 2e-5)
    info = {"date": "2026-01-01 00:00 UTC", "cpu": "cpu", "threads": 2, "onnxruntime": "1.0", "spread": 0.1}
    p = tmp_path / "local.toml"
    p.write_text(device_toml(eff, {"fp32": 1.5e11, "stream_bandwidth": 2e10,
                                   "stream_points": [[1.2e7, 3e10], [1.6e8, 2e10]]}, info))
    got = load_device_file(str(p)).efficiency.info["stream_points"]
    assert got.points == ((1.2e7, 3e10), (1.6e8, 2e10))
    p.write_text(p.read_text().replace("stream_points = [[1.2e+07, 3e+10], [1.6e+08, 2e+10]]",
                                       'stream_points = [[1, "fast"]]'))
    with pytest.raises(DeviceError, match="stream_points"):
        load_device_file(str(p))


def test_fit_keeps_a_class_to_its_resolved_points() -> None:
    """Dispatch 1 us, run 10 us. An elementwise benchmark of 1e4 B whose time is 11.5 us leaves
    0.5 us of work (under a quarter of its time: not resolved); one of 1e6 B at 1e10 B/s leaves
    100 us. The curve keeps the resolved point only; a class with no resolved point keeps its own."""
    run, d = 10e-6, 1e-6
    chains = [Sample(f"c{n}", OVERHEAD, 0, 0, n, run + n * d) for n in (1, 16, 64)]
    ew = [Sample("small", "elementwise", 0, 1e4, 1, run + d + 0.5e-6), Sample("big", "elementwise", 0, 1e6, 1, run + d + 1e-4)]
    norm = [Sample("n", "norm", 0, 1e4, 1, run + d + 0.5e-6)]
    eff, _ = fit(chains + ew + norm)
    assert eff.curves["elementwise"].points == ((1e6, pytest.approx(1e10)),)
    # the unresolved norm point: 1e4 B over max(0.5 us, 5 % of 11.5 us = 0.575 us)
    assert eff.curves["norm"].points == ((1e4, pytest.approx(1e4 / 0.575e-6)),)


def _qdq_binary(op: str, b_shape: list[int]):  # type: ignore[no-untyped-def]
    """DequantizeLinear of a uint8 [1,8,16] input and of a uint8 constant, ``op``, QuantizeLinear."""
    def dq(src: str, dst: str) -> NodeProto:
        return helper.make_node("DequantizeLinear", [src, "s", "z"], [dst])

    report = analyze_model(make_model(
        [dq("a", "ad"), dq("b", "bd"), helper.make_node(op, ["ad", "bd"], ["yf"], name="op"),
         helper.make_node("QuantizeLinear", ["yf", "s", "z"], ["y"])],
        [("a", "uint8", [1, 8, 16])], [("y", "uint8", [1, 8, 16])],
        [init("b", "uint8", b_shape), init("s", "float32", [], 0.1), init("z", "uint8", [], 0)], opset=17))
    (k,) = [k for k in kernels(report) if k.head.name == "op"]
    return k


def test_a_qdq_binary_op_with_a_broadcast_input_is_its_own_class() -> None:
    assert kernel_class(_qdq_binary("Add", [16])) == "int_broadcast"  # a bias over the rows
    assert kernel_class(_qdq_binary("Mul", [])) == "int_broadcast"  # a scalar
    assert kernel_class(_qdq_binary("Add", [1, 8, 16])) == "int_elementwise"  # same shapes
    # a device file written before the class prices it as int_elementwise
    eff = Efficiency({"int_elementwise": Curve(((1.0, 7e9),))}, 0.0, 0.0)
    assert eff.rate("int_broadcast", 1e5) == 7e9


def test_a_qdq_mul_of_two_same_shape_tensors_is_its_own_class() -> None:
    assert kernel_class(_qdq_binary("Mul", [1, 8, 16])) == "int_mul"  # QLinearMul
    assert kernel_class(_qdq_binary("Mul", [16])) == "int_broadcast"  # broadcast decides first
    eff = Efficiency({"int_elementwise": Curve(((1.0, 7e9),))}, 0.0, 0.0)
    assert eff.rate("int_mul", 1e5) == 7e9  # a device file from before the class


def test_a_failed_stream_process_is_one_calibration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    from onnx_cost.runners import calibrate

    def fail(threads: int, budget_s: float) -> list[tuple[float, float, float, int]]:
        raise subprocess.CalledProcessError(1, ["python"])

    monkeypatch.setattr(calibrate, "probe", fail)
    streams = [("stream12M", "stream", None, {"threads": 1}, 0.0, 12.0 * 2**20, 3, 3, 0.0, 0.0, ())]
    with pytest.raises(calibrate.CalibrationError, match="stream benchmark's process failed"):
        calibrate.bench_round(streams, 0.01)


def test_an_8_bit_transpose_is_priced_as_a_layout_transpose() -> None:
    # DequantizeLinear -> Transpose (a head split, [0, 2, 1, 3]) -> QuantizeLinear: onnxruntime
    # moves the uint8 tensor itself, as it does the layout Transposes around an integer conv
    report = analyze_model(make_model(
        [helper.make_node("DequantizeLinear", ["a", "s", "z"], ["ad"]),
         helper.make_node("Transpose", ["ad"], ["t"], perm=[0, 2, 1, 3], name="split"),
         helper.make_node("QuantizeLinear", ["t", "s", "z"], ["y"])],
        [("a", "uint8", [1, 8, 2, 16])], [("y", "uint8", [1, 2, 8, 16])],
        [init("s", "float32", [], 0.1), init("z", "uint8", [], 0)], opset=17))
    (k,) = [k for k in kernels(report) if k.head.name == "split"]
    assert kernel_class(k) == "layout"
    # the keys' [0, 2, 3, 1] too; a decoder step's split of one row keeps the order of its dims
    # other than 1: onnxruntime copies it as a Reshape would, a data movement kernel
    for perm, shape, out, cls in (([0, 2, 3, 1], [1, 8, 2, 16], [1, 2, 16, 8], "layout"),
                                  ([0, 2, 1, 3], [1, 1, 2, 16], [1, 2, 1, 16], "movement")):
        report = analyze_model(make_model(
            [helper.make_node("DequantizeLinear", ["a", "s", "z"], ["ad"]),
             helper.make_node("Transpose", ["ad"], ["t"], perm=perm, name="split"),
             helper.make_node("QuantizeLinear", ["t", "s", "z"], ["y"])],
            [("a", "uint8", shape)], [("y", "uint8", out)],
            [init("s", "float32", [], 0.1), init("z", "uint8", [], 0)], opset=17))
        (k,) = [k for k in kernels(report) if k.head.name == "split"]
        assert kernel_class(k) == cls, perm
    # the same Transpose in float is a data movement kernel
    report = analyze_model(make_model(
        [helper.make_node("Transpose", ["a"], ["y"], perm=[0, 2, 1, 3], name="split")],
        [("a", "float32", [1, 8, 2, 16])], [("y", "float32", [1, 2, 8, 16])], [], opset=17))
    (k,) = [k for k in kernels(report) if k.head.name == "split"]
    assert kernel_class(k) == "movement"
