"""Build the tiny fixture models in fixtures/ with onnx.helper, and their golden CSVs.

Run with `make fixtures`. Every model is a few KB; anything larger is built in
memory by the tests that need it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto as TP
from onnx import helper, numpy_helper

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "fixtures"
GOLDEN = FIX / "golden"
RNG = np.random.default_rng(0)


def w(name: str, *shape: int) -> onnx.TensorProto:
    return numpy_helper.from_array((RNG.standard_normal(shape) * 0.1).astype(np.float32), name)


def i64(name: str, values: list[int]) -> onnx.TensorProto:
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def model(graph: onnx.GraphProto, opset: int = 17, **extra: int) -> onnx.ModelProto:
    ops = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, v) for d, v in extra.items()]
    m = helper.make_model(graph, opset_imports=ops, ir_version=8, producer_name="onnx-cost fixtures")
    onnx.checker.check_model(m, full_check=True)
    return m


def tiny_cnn() -> onnx.ModelProto:
    """Conv+BN+ReLU, a depthwise conv, pooling and a classifier, with PyTorch-style names."""
    n = helper.make_node
    nodes = [
        n("Conv", ["x", "c1.w", "c1.b"], ["c1"], "/features/conv1/Conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        n("BatchNormalization", ["c1", "bn.s", "bn.b", "bn.m", "bn.v"], ["b1"], "/features/bn1/BatchNormalization"),
        n("Relu", ["b1"], ["r1"], "/features/relu1/Relu"),
        n("MaxPool", ["r1"], ["p1"], "/features/pool/MaxPool", kernel_shape=[2, 2], strides=[2, 2]),
        n("Conv", ["p1", "dw.w"], ["d1"], "/features/dw/Conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=8),
        n("Sigmoid", ["d1"], ["s1"], "/features/act/Sigmoid"),
        n("Add", ["s1", "p1"], ["a1"], "/features/Add"),
        n("GlobalAveragePool", ["a1"], ["g1"], "/pool/GlobalAveragePool"),
        n("Flatten", ["g1"], ["f1"], "/Flatten"),
        n("Gemm", ["f1", "fc.w", "fc.b"], ["logits"], "/classifier/fc/Gemm", transB=1),
        n("Softmax", ["logits"], ["probs"], "/Softmax", axis=1),
    ]
    inits = [
        w("c1.w", 8, 3, 3, 3), w("c1.b", 8),
        w("bn.s", 8), w("bn.b", 8), w("bn.m", 8), numpy_helper.from_array(np.ones(8, np.float32), "bn.v"),
        w("dw.w", 8, 1, 3, 3),
        w("fc.w", 10, 8), w("fc.b", 10),
    ]
    g = helper.make_graph(
        nodes, "tiny_cnn",
        [helper.make_tensor_value_info("x", TP.FLOAT, [1, 3, 32, 32])],
        [helper.make_tensor_value_info("probs", TP.FLOAT, [1, 10])],
        inits,
    )
    return model(g)


def tiny_mlp() -> onnx.ModelProto:
    """Two linear layers over a symbolic batch, with a tied (shared) weight used twice."""
    n = helper.make_node
    nodes = [
        n("MatMul", ["x", "w1"], ["h0"], "/fc1/MatMul"),
        n("Add", ["h0", "b1"], ["h1"], "/fc1/Add"),
        n("Relu", ["h1"], ["h2"], "/act/Relu"),
        n("MatMul", ["h2", "w1"], ["h3"], "/fc2/MatMul"),  # the same 16x16 weight again
        n("Add", ["h3", "b1"], ["y"], "/fc2/Add"),
    ]
    g = helper.make_graph(
        nodes, "tiny_mlp",
        [helper.make_tensor_value_info("x", TP.FLOAT, ["batch", 16])],
        [helper.make_tensor_value_info("y", TP.FLOAT, ["batch", 16])],
        [w("w1", 16, 16), w("b1", 16)],
    )
    return model(g)


def tiny_lstm() -> onnx.ModelProto:
    """One bidirectional LSTM layer, seq 5, batch 1, input 4, hidden 3."""
    n = helper.make_node
    nodes = [n("LSTM", ["x", "W", "R", "B"], ["y", "yh", "yc"], "/rnn/LSTM", hidden_size=3, direction="bidirectional")]
    g = helper.make_graph(
        nodes, "tiny_lstm",
        [helper.make_tensor_value_info("x", TP.FLOAT, [5, 1, 4])],
        [helper.make_tensor_value_info("y", TP.FLOAT, [5, 2, 1, 3])],
        [w("W", 2, 12, 4), w("R", 2, 12, 3), w("B", 2, 24)],
    )
    return model(g)


def tiny_attention() -> onnx.ModelProto:
    """Single-head self-attention over a symbolic sequence length, reshapes via Shape."""
    n = helper.make_node
    nodes = [
        n("MatMul", ["x", "wq"], ["q"], "/attn/q/MatMul"),
        n("MatMul", ["x", "wk"], ["k"], "/attn/k/MatMul"),
        n("MatMul", ["x", "wv"], ["v"], "/attn/v/MatMul"),
        n("Transpose", ["k"], ["kt"], "/attn/Transpose", perm=[0, 2, 1]),
        n("MatMul", ["q", "kt"], ["s"], "/attn/scores/MatMul"),
        n("Div", ["s", "scale"], ["s2"], "/attn/Div"),
        n("Softmax", ["s2"], ["p"], "/attn/Softmax", axis=-1),
        n("MatMul", ["p", "v"], ["o"], "/attn/out/MatMul"),
        n("Shape", ["x"], ["shp"], "/Shape"),
        n("Reshape", ["o", "shp"], ["y"], "/Reshape"),
    ]
    g = helper.make_graph(
        nodes, "tiny_attention",
        [helper.make_tensor_value_info("x", TP.FLOAT, [1, "seq", 8])],
        [helper.make_tensor_value_info("y", TP.FLOAT, [1, "seq", 8])],
        [w("wq", 8, 8), w("wk", 8, 8), w("wv", 8, 8), numpy_helper.from_array(np.array(2.8284271, np.float32), "scale")],
    )
    return model(g)


def tiny_control_flow() -> onnx.ModelProto:
    """A Loop of 3 iterations whose body holds an If (two branches of different cost)."""
    n = helper.make_node
    then_g = helper.make_graph(
        [n("MatMul", ["h", "wl"], ["t_out"], "/then/MatMul")], "then",
        [], [helper.make_tensor_value_info("t_out", TP.FLOAT, [1, 4])],
    )
    else_g = helper.make_graph(
        [n("Relu", ["h"], ["e_out"], "/else/Relu")], "else",
        [], [helper.make_tensor_value_info("e_out", TP.FLOAT, [1, 4])],
    )
    body = helper.make_graph(
        [
            n("Tanh", ["h_in"], ["h"], "/body/Tanh"),
            n("If", ["flag"], ["h_out"], "/body/If", then_branch=then_g, else_branch=else_g),
            n("Identity", ["cond_in"], ["cond_out"], "/body/Identity"),
        ],
        "body",
        [
            helper.make_tensor_value_info("iter", TP.INT64, []),
            helper.make_tensor_value_info("cond_in", TP.BOOL, []),
            helper.make_tensor_value_info("h_in", TP.FLOAT, [1, 4]),
        ],
        [
            helper.make_tensor_value_info("cond_out", TP.BOOL, []),
            helper.make_tensor_value_info("h_out", TP.FLOAT, [1, 4]),
        ],
    )
    g = helper.make_graph(
        [n("Loop", ["M", "", "x"], ["y"], "/Loop", body=body)],
        "tiny_control_flow",
        [helper.make_tensor_value_info("x", TP.FLOAT, [1, 4]), helper.make_tensor_value_info("flag", TP.BOOL, [])],
        [helper.make_tensor_value_info("y", TP.FLOAT, [1, 4])],
        [i64("M", [3]), w("wl", 4, 4)],
    )
    return model(g)


FIXTURES = {
    "tiny_cnn": tiny_cnn,
    "tiny_mlp": tiny_mlp,
    "tiny_lstm": tiny_lstm,
    "tiny_attention": tiny_attention,
    "tiny_control_flow": tiny_control_flow,
}


def main() -> None:
    FIX.mkdir(exist_ok=True)
    GOLDEN.mkdir(exist_ok=True)
    sys.path.insert(0, str(ROOT))
    import onnx_cost
    from onnx_cost.analyzer import render

    for name, build in FIXTURES.items():
        path = FIX / f"{name}.onnx"
        onnx.save(build(), path)
        report = onnx_cost.analyze(path)
        # Golden CSVs name the model by its fixture-relative path.
        (GOLDEN / f"{name}.csv").write_text(render.to_csv(report), encoding="utf-8", newline="")
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size} bytes, {report.total.flops} FLOPs")


if __name__ == "__main__":
    main()
