"""Roofline per node and in total, under fake devices, with hand-derived numbers."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from onnx import helper

from onnx_cost.model.report import COUNTED, UNCOUNTED, NodeRecord, Report
from onnx_cost.rules.cost import Cost
from onnx_cost.views.hardware import Device, Figure, roofline, roofline_dict, utilization
from onnx_cost.views.hardware.roofline import pick_peak, roof_node

from helpers import analyze_model, init, make_model

# 1 TFLOP/s fp32, 4 TFLOP/s tf32, 8 TOP/s int8, 100 GB/s: ridge 10 op/B at fp32.
FAKE = Device(
    key="fake",
    name="Fake chip",
    peaks={"fp32": Figure(1e12), "tf32": Figure(4e12), "int8": Figure(8e12)},
    bandwidth=Figure(100e9),
    capacity=Figure(200_000),
)


def matmul_relu() -> Report:
    """x[64,128] @ W[128,256] -> y; Relu(y) -> z (fp32)."""
    nodes = [helper.make_node("MatMul", ["x", "W"], ["y"], name="mm"), helper.make_node("Relu", ["y"], ["z"], name="relu")]
    return analyze_model(make_model(nodes, [("x", "float32", [64, 128])], [("z", "float32", [64, 256])], [init("W", "float32", [128, 256])]))


def test_matmul_relu_by_hand() -> None:
    roof = roofline(matmul_relu(), FAKE)
    mm, relu = roof.nodes
    # MatMul: macs 64*128*256 = 2,097,152; dots 64*256 = 16,384;
    # ops = 2*2,097,152 - 16,384 = 4,177,920
    # bytes = x 64*128*4 (32,768) + W 128*256*4 (131,072) + y 64*256*4 (65,536) = 229,376
    assert (mm.ops, mm.bytes) == (4_177_920, 229_376)
    assert math.isclose(mm.intensity, 4_177_920 / 229_376)  # 18.21 op/B > ridge 10
    assert mm.bound == "compute" and mm.peak_used == "fp32"
    assert math.isclose(mm.attainable, 1e12)  # min(1e12, 18.21 * 1e11)
    assert math.isclose(mm.floor_s, 4.17792e-6)  # 4,177,920 / 1e12 (memory: 2.29376e-6)
    # Relu: 16,384 compares; bytes 65,536 read + 65,536 written = 131,072; 0.125 op/B
    assert (relu.ops, relu.bytes) == (16_384, 131_072)
    assert relu.bound == "memory"
    assert math.isclose(relu.attainable, 0.125 * 100e9)  # 12.5 Gop/s
    assert math.isclose(relu.floor_s, 1.31072e-6)  # 131,072 / 1e11
    # model floor = sum of node floors
    assert math.isclose(roof.floor_s, 4.17792e-6 + 1.31072e-6)
    assert roof.ops == 4_177_920 + 16_384 and roof.bytes == 229_376 + 131_072
    assert math.isclose(roof.ridge["fp32"], 10.0) and math.isclose(roof.ridge["int8"], 80.0)
    share = roof.share(roof.by_op_type)
    assert list(share) == ["MatMul", "Relu"]
    assert math.isclose(share["MatMul"], 4.17792 / 5.48864)


def test_tf32_is_asked_for_and_said() -> None:
    roof = roofline(matmul_relu(), FAKE, tf32=True)
    mm, relu = roof.nodes
    # tf32 4e12: compute 4,177,920 / 4e12 = 1.04448e-6 < memory 229,376 / 1e11 = 2.29376e-6
    assert mm.peak_used == "tf32" and mm.bound == "memory"
    assert math.isclose(mm.floor_s, 2.29376e-6)
    assert relu.peak_used == "fp32"  # not a contraction: CUDA-core rate


def rec(name: str, op: str, cost: Cost, dtype: str = "float32", scope: str = "", status: str = COUNTED, weight: int = 1) -> NodeRecord:
    path = tuple(p for p in scope.split("/") if p)
    return NodeRecord(name, op, "", scope, "", (), (), (), (), dtype, status, cost, weight=weight, scope_path=path)


def test_int8_node_uses_the_int8_peak() -> None:
    # a quantized contraction: 1,000 int MACs (2,000 int ops), 100 bytes; int8 peak 8e12
    n = roof_node(rec("q", "QLinearMatMul", Cost(macs=1000, int_macs=1000, int_ops=2000, read_bytes=60, write_bytes=40), "uint8"), FAKE)
    assert (n.precision, n.peak_used, n.ops) == ("int8", "int8", 2000)
    # compute 2,000 / 8e12 = 2.5e-10; memory 100 / 1e11 = 1e-9: memory-bound
    assert n.bound == "memory" and math.isclose(n.floor_s, 1e-9)
    assert math.isclose(n.attainable, 20 * 100e9)  # intensity 20 op/B * 1e11


def test_missing_precision_falls_back_and_says_so() -> None:
    assert pick_peak(FAKE, "fp16", False, False) == ("fp32 (no fp16 figure)", 1e12)
    assert pick_peak(FAKE, "int4", True, False) == ("int8 (no int4 figure)", 8e12)
    assert pick_peak(FAKE, "fp64", False, False) == ("none (no fp64 figure)", None)
    npu = Device("npu", "NPU", {"unspecified": Figure(2e12)})
    assert pick_peak(npu, "fp32", True, False) == ("unspecified (no fp32 figure)", 2e12)


def test_no_bandwidth_means_unknown_bound() -> None:
    npu = Device("npu", "NPU", {"unspecified": Figure(2e12)})
    n = roof_node(rec("a", "Add", Cost(arith=1000, read_bytes=8000, write_bytes=4000)), npu)
    # compute 1,000 / 2e12 = 5e-10; no bandwidth: the memory term is unknown
    assert n.bound == "unknown" and math.isclose(n.floor_s, 5e-10) and n.attainable == 2e12


def test_skips_uncounted_and_weight_zero() -> None:
    nodes = [
        rec("a", "Add", Cost(arith=100, read_bytes=800, write_bytes=400), scope="/enc/a"),
        rec("u", "Mystery", Cost(), status=UNCOUNTED),
        rec("b", "Add", Cost(arith=100, read_bytes=800, write_bytes=400), weight=0),
        rec("c", "Mul", Cost(arith=300, read_bytes=2400, write_bytes=1200), weight=2, scope="/dec/c"),
    ]
    r = replace(matmul_relu(), nodes=nodes)
    roof = roofline(r, FAKE)
    assert [n.name for n in roof.nodes] == ["a", "c"] and roof.skipped == 1
    # c counts twice: ops 600, bytes 7,200 -> floor 7,200 / 1e11 = 7.2e-8; a: 1,200 / 1e11 = 1.2e-8
    assert math.isclose(roof.floor_s, 8.4e-8)
    assert roof.by_scope.keys() == {"enc", "dec"}
    assert math.isclose(roof.share(roof.by_scope)["dec"], 7.2 / 8.4)


def test_utilization_seed_formula() -> None:
    roof = roofline(matmul_relu(), FAKE)
    u = utilization(roof, 12.5e-6)
    # (4,194,304 ops / 12.5e-6 s) / 1e12 = 0.33554432
    assert math.isclose(u["achieved_ops_per_s"], 4_194_304 / 12.5e-6)
    assert math.isclose(u["utilization"], 0.33554432) and u["peak_used"] == "fp32"
    assert math.isclose(u["floor_fraction"], 5.48864e-6 / 12.5e-6)


def test_roofline_dict_contract() -> None:
    d = roofline_dict(matmul_relu(), FAKE)
    assert {"name", "peak_ops_per_s", "bandwidth_bytes_per_s", "ridge_ops_per_byte"} <= d["device"].keys()
    assert d["device"]["ridge_ops_per_byte"] == pytest.approx(10.0)
    n = d["nodes"][0]
    assert {"name", "op_type", "ops", "bytes", "intensity", "attainable_ops_per_s", "bound", "floor_s"} <= n.keys()
    assert n["bound"] in ("compute", "memory") and n["name"] == "mm"


def test_empty_model() -> None:
    r = replace(matmul_relu(), nodes=[])
    roof = roofline(r, FAKE)
    assert roof.nodes == [] and roof.floor_s == 0 and roof.precision == "fp32"
    assert roofline_dict(r, FAKE)["nodes"] == []
