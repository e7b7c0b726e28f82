"""The validation models of `make validate` (scripts/validate.py), built in memory with
onnx.helper and random weights. None of them is a calibration benchmark: those are
single kernels or chains of one layer (onnx_cost/runners/calibrate.py), none with the
shapes of a node here (tests/test_validation_holdout.py); these are whole networks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class G:
    """A small graph builder: named nodes, random initializers."""

    def __init__(self, seed: int = 0) -> None:
        self.nodes: list[Any] = []
        self.inits: list[Any] = []
        self.rng = np.random.default_rng(seed)
        self.n = 0

    def name(self, p: str) -> str:
        self.n += 1
        return f"{p}_{self.n}"

    def w(self, *shape: int, scale: float | None = None) -> str:
        n = self.name("w")
        fan = int(np.prod(shape[1:])) if len(shape) > 1 else shape[0]
        s = scale if scale is not None else 1.0 / np.sqrt(max(fan, 1))
        self.inits.append(numpy_helper.from_array((self.rng.standard_normal(shape) * s).astype(np.float32), n))
        return n

    def const(self, arr: Any) -> str:
        n = self.name("c")
        self.inits.append(numpy_helper.from_array(np.asarray(arr), n))
        return n

    def op(self, op: str, ins: list[str], scope: str = "", n_out: int = 1, **attrs: Any) -> Any:
        nm = self.name(f"{scope}/{op}" if scope else op)
        outs = [f"{nm}_out{i}" for i in range(n_out)]
        self.nodes.append(helper.make_node(op, ins, outs, name=nm, **attrs))
        return outs[0] if n_out == 1 else outs

    def model(self, inputs: list[tuple[str, list[int]]], outputs: list[str], opset: int = 17) -> onnx.ModelProto:
        g = helper.make_graph(
            self.nodes, "m",
            [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs],
            [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs],
            self.inits,
        )
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
        m.ir_version = 8
        return onnx.shape_inference.infer_shapes(m)


def _conv_bn(g: G, x: str, cin: int, cout: int, k: int, stride: int, scope: str, relu: bool = True,
             group: int = 1) -> str:
    y = g.op("Conv", [x, g.w(cout, cin // group, k, k)], scope, kernel_shape=[k, k], pads=[k // 2] * 4,
             strides=[stride, stride], group=group)
    y = g.op("BatchNormalization", [y, g.const(np.ones(cout, np.float32)), g.const(np.zeros(cout, np.float32)),
                                    g.const(np.zeros(cout, np.float32)), g.const(np.ones(cout, np.float32))], scope)
    return g.op("Relu", [y], scope) if relu else y


def resnet(width: int, size: int, blocks: tuple[int, ...], seed: int = 1) -> onnx.ModelProto:
    g = G(seed)
    x = _conv_bn(g, "input", 3, width, 3, 2, "stem")
    c = width
    for s, nb in enumerate(blocks):
        for b in range(nb):
            scope = f"layer{s + 1}/block{b}"
            stride = 2 if b == 0 and s > 0 else 1
            cout = width * 2**s
            y = _conv_bn(g, x, c, cout, 3, stride, scope)
            y = _conv_bn(g, y, cout, cout, 3, 1, scope, relu=False)
            sc = _conv_bn(g, x, c, cout, 1, stride, scope, relu=False) if (stride != 1 or c != cout) else x
            x = g.op("Relu", [g.op("Add", [y, sc], scope)], scope)
            c = cout
    x = g.op("GlobalAveragePool", [x], "head")
    x = g.op("Flatten", [x], "head")
    x = g.op("Gemm", [x, g.w(100, c), g.w(100, scale=0.01)], "head", transB=1)
    return g.model([("input", [1, 3, size, size])], [x])


def mobilenet(width: int, size: int, seed: int = 2) -> onnx.ModelProto:
    g = G(seed)
    x = _conv_bn(g, "input", 3, width, 3, 2, "stem")
    c = width
    cfg = [(1, width, 1), (6, int(width * 1.5), 2), (6, width * 2, 2), (6, width * 4, 2), (6, width * 6, 1),
           (6, width * 10, 2)]
    for i, (t, cout, stride) in enumerate(cfg):
        scope = f"features{i}"
        hid = c * t
        y = _conv_bn(g, x, c, hid, 1, 1, scope) if t != 1 else x
        y = _conv_bn(g, y, hid, hid, 3, stride, scope, group=hid)
        y = _conv_bn(g, y, hid, cout, 1, 1, scope, relu=False)
        x = g.op("Add", [x, y], scope) if stride == 1 and c == cout else y
        c = cout
    x = _conv_bn(g, x, c, 640, 1, 1, "last")
    x = g.op("Flatten", [g.op("GlobalAveragePool", [x], "head")], "head")
    x = g.op("Gemm", [x, g.w(100, 640), g.w(100, scale=0.01)], "head", transB=1)
    return g.model([("input", [1, 3, size, size])], [x])


def _linear(g: G, x: str, din: int, dout: int, scope: str) -> str:
    return g.op("Add", [g.op("MatMul", [x, g.w(din, dout)], scope), g.w(dout, scale=0.01)], scope)


def _gelu(g: G, x: str, scope: str) -> str:
    e = g.op("Erf", [g.op("Div", [x, g.const(np.array(1.4142135, np.float32))], scope)], scope)
    y = g.op("Mul", [x, g.op("Add", [e, g.const(np.array(1.0, np.float32))], scope)], scope)
    return g.op("Mul", [y, g.const(np.array(0.5, np.float32))], scope)


def _ln(g: G, x: str, d: int, scope: str) -> str:
    return g.op("LayerNormalization", [x, g.const(np.ones(d, np.float32)), g.const(np.zeros(d, np.float32))],
                scope, axis=-1)


def _heads(g: G, x: str, seq: int, h: int, dh: int, scope: str, perm: list[int]) -> str:
    r = g.op("Reshape", [x, g.const(np.array([1, seq, h, dh], np.int64))], scope)
    return g.op("Transpose", [r], scope, perm=perm)


def encoder(d: int, seq: int, layers: int, heads: int, seed: int = 3) -> onnx.ModelProto:
    g = G(seed)
    dh = d // heads
    x = "input"
    for i in range(layers):
        sc = f"encoder/layer{i}"
        q = _heads(g, _linear(g, x, d, d, sc + "/attn"), seq, heads, dh, sc + "/attn", [0, 2, 1, 3])
        k = _heads(g, _linear(g, x, d, d, sc + "/attn"), seq, heads, dh, sc + "/attn", [0, 2, 3, 1])
        v = _heads(g, _linear(g, x, d, d, sc + "/attn"), seq, heads, dh, sc + "/attn", [0, 2, 1, 3])
        s = g.op("Mul", [g.op("MatMul", [q, k], sc + "/attn"), g.const(np.array(1 / np.sqrt(dh), np.float32))],
                 sc + "/attn")
        p = g.op("Softmax", [s], sc + "/attn", axis=-1)
        o = g.op("Transpose", [g.op("MatMul", [p, v], sc + "/attn")], sc + "/attn", perm=[0, 2, 1, 3])
        o = g.op("Reshape", [o, g.const(np.array([1, seq, d], np.int64))], sc + "/attn")
        x = _ln(g, g.op("Add", [x, _linear(g, o, d, d, sc + "/attn")], sc), d, sc)
        f = _linear(g, _gelu(g, _linear(g, x, d, 4 * d, sc + "/ffn"), sc + "/ffn"), 4 * d, d, sc + "/ffn")
        x = _ln(g, g.op("Add", [x, f], sc), d, sc)
    return g.model([("input", [1, seq, d])], [x])


def decoder_step(d: int, past: int, layers: int, heads: int, seed: int = 4) -> onnx.ModelProto:
    """One generated token: the new K/V concatenated to the cache, attention over past + 1."""
    g = G(seed)
    dh = d // heads
    x = "input"
    ins = [("input", [1, 1, d])]
    outs = []
    for i in range(layers):
        sc = f"decoder/layer{i}"
        pk, pv = f"past_k{i}", f"past_v{i}"
        ins += [(pk, [1, heads, past, dh]), (pv, [1, heads, past, dh])]
        h = _ln(g, x, d, sc)
        q = _heads(g, _linear(g, h, d, d, sc + "/attn"), 1, heads, dh, sc + "/attn", [0, 2, 1, 3])
        k = _heads(g, _linear(g, h, d, d, sc + "/attn"), 1, heads, dh, sc + "/attn", [0, 2, 1, 3])
        v = _heads(g, _linear(g, h, d, d, sc + "/attn"), 1, heads, dh, sc + "/attn", [0, 2, 1, 3])
        kk = g.op("Concat", [pk, k], sc + "/attn", axis=2)
        vv = g.op("Concat", [pv, v], sc + "/attn", axis=2)
        outs += [kk, vv]
        kt = g.op("Transpose", [kk], sc + "/attn", perm=[0, 1, 3, 2])
        s = g.op("Mul", [g.op("MatMul", [q, kt], sc + "/attn"), g.const(np.array(1 / np.sqrt(dh), np.float32))],
                 sc + "/attn")
        p = g.op("Softmax", [s], sc + "/attn", axis=-1)
        o = g.op("Transpose", [g.op("MatMul", [p, vv], sc + "/attn")], sc + "/attn", perm=[0, 2, 1, 3])
        o = g.op("Reshape", [o, g.const(np.array([1, 1, d], np.int64))], sc + "/attn")
        x = g.op("Add", [x, _linear(g, o, d, d, sc + "/attn")], sc)
        f = _linear(g, _gelu(g, _linear(g, _ln(g, x, d, sc), d, 4 * d, sc + "/mlp"), sc + "/mlp"), 4 * d, d,
                    sc + "/mlp")
        x = g.op("Add", [x, f], sc)
    return g.model(ins, [x, *outs])


def lstm(hidden: int, seq: int, layers: int, seed: int = 5) -> onnx.ModelProto:
    g = G(seed)
    x = "input"
    din = 64
    for i in range(layers):
        sc = f"lstm{i}"
        y = g.op("LSTM", [x, g.w(1, 4 * hidden, din, scale=0.1), g.w(1, 4 * hidden, hidden, scale=0.1),
                          g.w(1, 8 * hidden, scale=0.1)], sc, hidden_size=hidden)
        x = g.op("Squeeze", [y, g.const(np.array([1], np.int64))], sc)
        din = hidden
    last = g.op("Gemm", [g.op("Reshape", [x, g.const(np.array([seq, hidden], np.int64))], "head"),
                         g.w(32, hidden), g.w(32, scale=0.01)], "head", transB=1)
    return g.model([("input", [seq, 1, 64])], [last])


def quantized(m: onnx.ModelProto, mode: str, tmp: str) -> onnx.ModelProto:
    """A twin quantized by onnxruntime's tool: ``static`` (QDQ, int8) or ``dynamic``."""
    import os

    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_dynamic,
        quantize_static,
    )

    src, dst = os.path.join(tmp, "f.onnx"), os.path.join(tmp, "q.onnx")
    onnx.save(m, src)
    if mode == "dynamic":
        quantize_dynamic(src, dst, weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"])
    else:
        shapes = {i.name: [d.dim_value for d in i.type.tensor_type.shape.dim] for i in m.graph.input}

        class Reader(CalibrationDataReader):
            def __init__(self) -> None:
                rng = np.random.default_rng(0)
                self.data = iter([{k: rng.standard_normal(s).astype(np.float32) for k, s in shapes.items()}
                                  for _ in range(2)])

            def get_next(self) -> dict[str, Any] | None:
                return next(self.data, None)

        quantize_static(src, dst, Reader(), quant_format=QuantFormat.QDQ, activation_type=QuantType.QUInt8,
                        weight_type=QuantType.QInt8)
    return onnx.load(dst)


# name -> (builder, quantized twins); builders are cheap to call
MODELS: dict[str, tuple[Callable[[], onnx.ModelProto], tuple[str, ...]]] = {
    "resnet-small": (lambda: resnet(16, 64, (1, 1, 1)), ("static",)),
    "resnet-large": (lambda: resnet(32, 160, (2, 2, 2, 2)), ("static",)),
    "mobilenet-small": (lambda: mobilenet(16, 96), ()),
    "mobilenet-large": (lambda: mobilenet(32, 192), ("static",)),
    "encoder-small": (lambda: encoder(128, 64, 2, 4), ("dynamic",)),
    "encoder-large": (lambda: encoder(384, 128, 4, 6), ("static", "dynamic")),
    "decoder-step": (lambda: decoder_step(512, 256, 4, 8), ("dynamic",)),
    "lstm": (lambda: lstm(128, 32, 2), ()),
    "lstm-large": (lambda: lstm(256, 64, 2), ()),
}
