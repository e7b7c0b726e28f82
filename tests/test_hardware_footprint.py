"""Memory footprint and liveness over the node order, hand-derived."""

from __future__ import annotations

from onnx import helper

from onnx_cost.views.hardware import Device, Figure, footprint

from helpers import analyze_model, init, make_model


def test_chain_liveness_and_fit() -> None:
    nodes = [helper.make_node("MatMul", ["x", "W"], ["y"], name="mm"), helper.make_node("Relu", ["y"], ["z"], name="relu")]
    report = analyze_model(make_model(nodes, [("x", "float32", [64, 128])], [("z", "float32", [64, 256])], [init("W", "float32", [128, 256])]))
    dev = Device("d", "D", {"fp32": Figure(1e12)}, capacity=Figure(200_000))
    fp = footprint(report, dev)
    # weights: W 128*256*4 = 131,072
    assert fp.weight_bytes == 131_072
    # step 0: x (32,768); mm: x + y (65,536) = 98,304; relu: y + z (65,536) = 131,072 <- peak
    assert fp.peak_activation_bytes == 131_072 and fp.peak_node == "relu"
    assert fp.total_bytes == 262_144
    assert fp.fits is False and fp.margin_bytes == 200_000 - 262_144


def test_diamond_keeps_a_tensor_until_its_last_consumer() -> None:
    # a = Relu(x); b = Neg(a); c = Abs(b); d = Add(a, c): a lives until d
    nodes = [
        helper.make_node("Relu", ["x"], ["a"], name="n0"),
        helper.make_node("Neg", ["a"], ["b"], name="n1"),
        helper.make_node("Abs", ["b"], ["c"], name="n2"),
        helper.make_node("Add", ["a", "c"], ["d"], name="n3"),
    ]
    report = analyze_model(make_model(nodes, [("x", "float32", [1000])], [("d", "float32", [1000])]))
    fp = footprint(report)
    # every tensor is 4,000 bytes. Live sets: n0 {x, a}; n1 {a, b}; n2 {a, b, c}; n3 {a, c, d}
    assert fp.peak_activation_bytes == 12_000 and fp.peak_node == "n2"
    assert fp.weight_bytes == 0 and fp.fits is None


def test_graph_outputs_live_to_the_end() -> None:
    # y1 = Relu(x) is a graph output produced first; y2 = Neg(x) then Abs -> y3
    nodes = [
        helper.make_node("Relu", ["x"], ["y1"], name="n0"),
        helper.make_node("Neg", ["x"], ["t"], name="n1"),
        helper.make_node("Abs", ["t"], ["y3"], name="n2"),
    ]
    report = analyze_model(make_model(nodes, [("x", "float16", [500])], [("y1", "float16", [500]), ("y3", "float16", [500])]))
    fp = footprint(report)
    # 1,000 bytes each (fp16). n0 {x, y1}; n1 {x, y1, t}; n2 {y1, t, y3}: peak 3,000 (first at n1)
    assert fp.peak_activation_bytes == 3_000 and fp.peak_node == "n1"


def test_unknown_sizes_are_counted_and_left_out() -> None:
    nodes = [helper.make_node("Relu", ["x"], ["y"], name="n0")]
    report = analyze_model(make_model(nodes, [("x", "float32", ["batch", 10])], [("y", "float32", ["batch", 10])]))
    fp = footprint(report)
    assert fp.unknown_tensors == 2 and fp.peak_activation_bytes == 0


def test_constant_outputs_are_weights() -> None:
    import numpy as np
    from onnx import numpy_helper

    c = helper.make_node("Constant", [], ["c"], name="k", value=numpy_helper.from_array(np.ones(10, np.float32)))
    report = analyze_model(make_model([c, helper.make_node("Add", ["x", "c"], ["y"], name="a")],
                                      [("x", "float32", [10])], [("y", "float32", [10])]))
    fp = footprint(report)
    # c: 10 * 4 = 40 bytes of weights; activations at Add: x + y = 80
    assert fp.weight_bytes == 40 and fp.peak_activation_bytes == 80 and fp.peak_node == "a"


def test_peak_sweep_exact_beyond_int64() -> None:
    from onnx_cost.views.hardware.footprint import _peak

    # spans (producer, last consumer, bytes): a graph input (-1) used by node 0, t0 by node 1
    assert _peak(2, [(-1, 0, 10), (0, 1, 5), (1, 1, 7)]) == (15, 0)  # node 0: 10 + 5
    huge = 2**70  # past int64: the Python-integer path, same answer
    assert _peak(2, [(-1, 0, huge), (0, 1, 5), (1, 1, 7)]) == (huge + 5, 0)
    assert _peak(0, []) == (0, -1)
