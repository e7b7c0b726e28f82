"""The worked example of docs/hardware.md, number for number (derived there by hand)."""

from __future__ import annotations

import math

from onnx import helper

from onnx_cost.views.hardware import Device, Figure, footprint, roofline, utilization

from helpers import analyze_model, init, make_model

# The T4 preset's figures, written out so that the example does not move with the preset.
T4 = Device("t4-example", "Tesla T4 figures", {"fp32": Figure(8.1e12)}, bandwidth=Figure(320e9), capacity=Figure(16 * 2**30))


def conv_relu():
    nodes = [
        helper.make_node("Conv", ["x", "W"], ["y"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["y"], ["z"], name="relu"),
    ]
    return analyze_model(
        make_model(nodes, [("x", "float32", [1, 64, 56, 56])], [("z", "float32", [1, 64, 56, 56])], [init("W", "float32", [64, 64, 3, 3])])
    )


def test_worked_example() -> None:
    report = conv_relu()
    roof = roofline(report, T4)
    conv, relu = roof.nodes
    # macs = 64*56*56 * 64*3*3 = 115,605,504; ops = 2*macs - 200,704 dots = 231,010,304
    assert conv.ops == 231_010_304
    # bytes = 802,816 in + 147,456 weights + 802,816 out
    assert conv.bytes == 1_753_088
    assert math.isclose(conv.intensity, 231_010_304 / 1_753_088)  # 131.8 op/B
    assert conv.bound == "compute"  # above the ridge 8.1e12 / 320e9 = 25.3125
    assert math.isclose(conv.floor_s, 231_010_304 / 8.1e12)  # 28.52 us
    assert relu.ops == 200_704 and relu.bytes == 1_605_632 and relu.bound == "memory"
    assert math.isclose(relu.floor_s, 1_605_632 / 320e9)  # 5.0176 us
    assert math.isclose(roof.floor_s, 231_010_304 / 8.1e12 + 1_605_632 / 320e9)  # 33.54 us
    assert round(roof.share(roof.by_op_type)["Conv"], 2) == 0.85
    fp = footprint(report, T4)
    assert (fp.weight_bytes, fp.peak_activation_bytes, fp.total_bytes) == (147_456, 1_605_632, 1_753_088)
    assert fp.fits is True
    u = utilization(roof, 1e-4)
    assert math.isclose(u["achieved_ops_per_s"], (231_010_304 + 200_704) / 1e-4)  # 2.31 Top/s
    assert round(u["utilization"], 3) == 0.285
    assert round(u["floor_fraction"], 3) == 0.335


def test_worked_example_floor_fuses_conv_relu() -> None:
    from onnx_cost.views.hardware.predict import predict

    p = predict(conv_relu(), T4)
    # one kernel: 231,010,304 + 200,704 = 231,211,008 ops; x + W + z = 1,753,088 bytes
    # floor = max(231,211,008 / 8.1e12, 1,753,088 / 320e9) = 28.545 us
    assert math.isclose(p.floor_s, 231_211_008 / 8.1e12)
    assert not p.calibrated  # no efficiency table: generic efficiencies, shown as a range
