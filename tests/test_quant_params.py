"""Params have one definition for every quantization form: a float model and its QDQ,
QOperator, dynamic-quant and MatMulNBits twins report the same params; scales and zero
points are never params, they are ``quant_params`` (issue 24)."""

from __future__ import annotations

import pytest
from onnx import TensorProto, helper

import onnx_cost

from helpers import init, make_model

# Conv W1 [4, 3, 3, 3] = 108, its bias 4, MatMul W2 [144, 10] = 1440, its bias 10
PARAMS = 108 + 4 + 1440 + 10
X = ("x", "float32", [1, 3, 8, 8])
OUT = ("out", "float32", [1, 10])


def _float():
    nodes = [
        helper.make_node("Conv", ["x", "W1", "B1"], ["y1"]),
        helper.make_node("Flatten", ["y1"], ["f"]),
        helper.make_node("MatMul", ["f", "W2"], ["m"]),
        helper.make_node("Add", ["m", "B2"], ["out"]),
    ]
    inits = [init("W1", "float32", [4, 3, 3, 3]), init("B1", "float32", [4]), init("W2", "float32", [144, 10]),
             init("B2", "float32", [10])]
    return make_model(nodes, [X], [OUT], inits)


def _scalars(*names_dtypes):
    return [init(n, d, [], 1 if d != "float32" else 0.5) for n, d in names_dtypes]


def _qdq():
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "sx", "zx"], ["xq"]),
        helper.make_node("DequantizeLinear", ["xq", "sx", "zx"], ["xd"]),
        helper.make_node("DequantizeLinear", ["W1q", "sw1", "zw1"], ["w1d"], axis=0),
        helper.make_node("DequantizeLinear", ["B1q", "sb1"], ["b1d"], axis=0),
        helper.make_node("Conv", ["xd", "w1d", "b1d"], ["y1"]),
        helper.make_node("QuantizeLinear", ["y1", "sy", "zy"], ["y1q"]),
        helper.make_node("DequantizeLinear", ["y1q", "sy", "zy"], ["y1d"]),
        helper.make_node("Flatten", ["y1d"], ["f"]),
        helper.make_node("DequantizeLinear", ["W2q", "sw2", "zw2"], ["w2d"]),
        helper.make_node("MatMul", ["f", "w2d"], ["m"]),
        helper.make_node("Add", ["m", "B2"], ["out"]),
    ]
    inits = [
        init("W1q", "int8", [4, 3, 3, 3]), init("sw1", "float32", [4], [0.5] * 4), init("zw1", "int8", [4]),
        init("B1q", "int32", [4]), init("sb1", "float32", [4], [0.5] * 4),
        init("W2q", "int8", [144, 10]), init("B2", "float32", [10]),
        *_scalars(("sx", "float32"), ("zx", "int8"), ("sy", "float32"), ("zy", "int8"), ("sw2", "float32"),
                  ("zw2", "int8")),
    ]
    return make_model(nodes, [X], [OUT], inits)


QDQ_QUANT = 1 + 1 + 4 + 4 + 4 + 1 + 1 + 1 + 1  # sx zx, sw1 zw1 (per channel), sb1, sy zy, sw2 zw2


def _qoperator():
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "sx", "zx"], ["xq"]),
        helper.make_node("QLinearConv", ["xq", "sx", "zx", "W1q", "sw1", "zw1", "sy", "zy", "B1q"], ["yq"]),
        helper.make_node("DequantizeLinear", ["yq", "sy", "zy"], ["y1"]),
        helper.make_node("Flatten", ["y1"], ["f"]),
        helper.make_node("QuantizeLinear", ["f", "sf", "zf"], ["fq"]),
        helper.make_node("QLinearMatMul", ["fq", "sf", "zf", "W2q", "sw2", "zw2", "sm", "zm"], ["mq"]),
        helper.make_node("DequantizeLinear", ["mq", "sm", "zm"], ["m"]),
        helper.make_node("Add", ["m", "B2"], ["out"]),
    ]
    inits = [
        init("W1q", "uint8", [4, 3, 3, 3]), init("sw1", "float32", [4], [0.5] * 4), init("zw1", "uint8", [4]),
        init("B1q", "int32", [4]), init("W2q", "uint8", [144, 10]), init("B2", "float32", [10]),
        *_scalars(("sx", "float32"), ("zx", "uint8"), ("sy", "float32"), ("zy", "uint8"), ("sf", "float32"),
                  ("zf", "uint8"), ("sw2", "float32"), ("zw2", "uint8"), ("sm", "float32"), ("zm", "uint8")),
    ]
    return make_model(nodes, [X], [OUT], inits)


QOP_QUANT = 2 + 4 + 4 + 2 + 2 + 2 + 2  # sx zx, sw1 zw1, sy zy, sf zf, sw2 zw2, sm zm


def _dynamic():
    to_float = TensorProto.FLOAT
    nodes = [
        helper.make_node("DynamicQuantizeLinear", ["x"], ["xq", "xs", "xz"]),
        helper.make_node("ConvInteger", ["xq", "W1q", "xz", "zw1"], ["c"]),
        helper.make_node("Cast", ["c"], ["cf"], to=to_float),
        helper.make_node("Mul", ["xs", "sw1"], ["s1"]),
        helper.make_node("Mul", ["cf", "s1"], ["y1"]),
        helper.make_node("Add", ["y1", "B1"], ["y1b"]),
        helper.make_node("Flatten", ["y1b"], ["f"]),
        helper.make_node("DynamicQuantizeLinear", ["f"], ["fq", "fs", "fz"]),
        helper.make_node("MatMulInteger", ["fq", "W2q", "fz", "zw2"], ["mi"]),
        helper.make_node("Cast", ["mi"], ["mf"], to=to_float),
        helper.make_node("Mul", ["fs", "sw2"], ["s2"]),
        helper.make_node("Mul", ["mf", "s2"], ["m"]),
        helper.make_node("Add", ["m", "B2"], ["out"]),
    ]
    inits = [
        init("W1q", "uint8", [4, 3, 3, 3]), init("B1", "float32", [4, 1, 1]), init("W2q", "uint8", [144, 10]),
        init("B2", "float32", [10]),
        *_scalars(("zw1", "uint8"), ("sw1", "float32"), ("zw2", "uint8"), ("sw2", "float32")),
    ]
    return make_model(nodes, [X], [OUT], inits)


def _nbits():
    # W2 as 4-bit blocks of 16 along K = 144: 9 blocks per column, 8 bytes a block
    nodes = [
        helper.make_node("Conv", ["x", "W1", "B1"], ["y1"]),
        helper.make_node("Flatten", ["y1"], ["f"]),
        helper.make_node("MatMulNBits", ["f", "B", "scales", "zp"], ["m"], domain="com.microsoft",
                         K=144, N=10, bits=4, block_size=16),
        helper.make_node("Add", ["m", "B2"], ["out"]),
    ]
    inits = [init("W1", "float32", [4, 3, 3, 3]), init("B1", "float32", [4]), init("B", "uint8", [10, 9, 8]),
             init("scales", "float32", [90]), init("zp", "uint8", [50]), init("B2", "float32", [10])]
    return make_model(nodes, [X], [OUT], inits, extra_opsets={"com.microsoft": 1})


def _quant(r):
    return sum(v[0] for v in r.quant_params.values())


def test_the_float_model_and_its_quantized_twins_have_the_same_params():
    f = onnx_cost.analyze(_float())
    assert f.total.params == PARAMS and _quant(f) == 0
    for build, quant in ((_qdq, QDQ_QUANT), (_qoperator, QOP_QUANT), (_dynamic, 4), (_nbits, 90 + 50)):
        r = onnx_cost.analyze(build())
        assert r.total.params == PARAMS, build.__name__
        assert _quant(r) == quant, build.__name__
        assert r.to_dict()["quant_params"]["elements"] == quant
        assert not r.partial, build.__name__


def test_packed_nbits_weights_count_as_their_k_by_n_weights_and_stored_bytes():
    r = onnx_cost.analyze(_nbits())
    mm = next(n for n in r.nodes if n.op_type == "MatMulNBits")
    assert mm.params == 144 * 10  # K·N weights
    assert mm.param_bytes == 10 * 9 * 8  # the packed bytes stored
    assert r.total.param_bytes == 4 * (108 + 4 + 10) + 720


def test_dynamic_quant_zero_points_are_not_params():
    r = onnx_cost.analyze(_dynamic())
    assert set(r.quant_params) == {"zw1", "sw1", "zw2", "sw2"}
    conv = next(n for n in r.nodes if n.op_type == "ConvInteger")
    assert conv.params == 108  # W1q only, not its zero point


def test_onnxruntime_quantizers_twins_keep_the_float_params(tmp_path):
    """The twins onnxruntime's own quantizers write (dynamic, QDQ per channel, QOperator)."""
    q = pytest.importorskip("onnxruntime.quantization")
    import numpy as np
    import onnx
    from onnx import numpy_helper

    rng = np.random.default_rng(0)

    def w(name, *shape):
        return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)

    nodes = [
        helper.make_node("Conv", ["x", "W1", "B1"], ["c1"], pads=[1, 1, 1, 1]), helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", "W2", "B2"], ["c2"], pads=[1, 1, 1, 1]), helper.make_node("Relu", ["c2"], ["r2"]),
        helper.make_node("Flatten", ["r2"], ["f"]), helper.make_node("MatMul", ["f", "W3"], ["m"]),
        helper.make_node("Add", ["m", "B3"], ["y"]),
    ]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])],
                          [w("W1", 8, 3, 3, 3), w("B1", 8), w("W2", 16, 8, 3, 3), w("B2", 16), w("W3", 1024, 10),
                           w("B3", 10)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    f = tmp_path / "f.onnx"
    onnx.save(m, f)

    class Reader(q.CalibrationDataReader):
        def __init__(self):
            self.it = iter([{"x": rng.standard_normal((1, 3, 8, 8)).astype(np.float32)} for _ in range(2)])

        def get_next(self):
            return next(self.it, None)

    q.quantize_dynamic(str(f), str(tmp_path / "d.onnx"), weight_type=q.QuantType.QUInt8)
    q.quantize_static(str(f), str(tmp_path / "qdq.onnx"), Reader(), quant_format=q.QuantFormat.QDQ, per_channel=True)
    q.quantize_static(str(f), str(tmp_path / "qop.onnx"), Reader(), quant_format=q.QuantFormat.QOperator)
    # W1 8·3·3·3 = 216, B1 8, W2 16·8·3·3 = 1152, B2 16, W3 1024·10 = 10240, B3 10
    want = 216 + 8 + 1152 + 16 + 10240 + 10
    for name in ("f", "d", "qdq", "qop"):
        r = onnx_cost.analyze(tmp_path / f"{name}.onnx")
        assert r.total.params == want, name
        assert (_quant(r) > 0) == (name != "f"), name
