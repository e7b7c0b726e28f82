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


# -- a tiny ResNet with exporter-style scopes ---------------------------------
# (op, inputs, output, attrs, module path, module classes, aten op) for every node;
# the same graph is written with TorchScript-exporter names and with the dynamo
# exporter's metadata, so both scope sources can be checked against one tree.
_RESNET = "torchvision.models.resnet"
_NN = "torch.nn.modules"
_CONV, _BN, _RELU, _SEQ = f"{_NN}.conv.Conv2d", f"{_NN}.batchnorm.BatchNorm2d", f"{_NN}.activation.ReLU", f"{_NN}.container.Sequential"
_K3 = {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]}


def _block(layer: str, i: int, cin: int, cout: int, stride: int, x: str) -> tuple[list[tuple], list[onnx.TensorProto]]:
    """One BasicBlock: conv-bn-relu-conv-bn (+ a 1x1 downsample) + add + relu."""
    b = f"{layer}.{i}"
    scope, cls = [layer, b], [_SEQ, f"{_RESNET}.BasicBlock"]
    st = {"strides": [stride, stride]}
    p = f"{b}."
    nodes = [
        ("Conv", [x, p + "conv1.weight"], p + "c1", {**_K3, **st}, scope + ["conv1"], cls + [_CONV], "conv2d"),
        ("BatchNormalization", [p + "c1", *[p + "bn1." + k for k in ("weight", "bias", "running_mean", "running_var")]], p + "b1", {}, scope + ["bn1"], cls + [_BN], "batch_norm"),
        ("Relu", [p + "b1"], p + "r1", {}, scope + ["relu"], cls + [_RELU], "relu"),
        ("Conv", [p + "r1", p + "conv2.weight"], p + "c2", _K3, scope + ["conv2"], cls + [_CONV], "conv2d"),
        ("BatchNormalization", [p + "c2", *[p + "bn2." + k for k in ("weight", "bias", "running_mean", "running_var")]], p + "b2", {}, scope + ["bn2"], cls + [_BN], "batch_norm"),
    ]
    inits = [w(p + "conv1.weight", cout, cin, 3, 3), w(p + "conv2.weight", cout, cout, 3, 3)]
    inits += _bn(p + "bn1.", cout) + _bn(p + "bn2.", cout)
    skip = x
    if stride != 1 or cin != cout:
        ds = scope + ["downsample"]
        dcls = cls + [_SEQ]
        nodes += [
            ("Conv", [x, p + "downsample.0.weight"], p + "d0", {"kernel_shape": [1, 1], **st}, ds + ["downsample.0"], dcls + [_CONV], "conv2d"),
            ("BatchNormalization", [p + "d0", *[p + "downsample.1." + k for k in ("weight", "bias", "running_mean", "running_var")]], p + "d1", {}, ds + ["downsample.1"], dcls + [_BN], "batch_norm"),
        ]
        inits += [w(p + "downsample.0.weight", cout, cin, 1, 1)] + _bn(p + "downsample.1.", cout)
        skip = p + "d1"
    nodes += [
        ("Add", [p + "b2", skip], p + "sum", {}, scope, cls, "add"),
        ("Relu", [p + "sum"], p + "out", {}, scope + ["relu"], cls + [_RELU], "relu"),
    ]
    return nodes, inits


def _bn(prefix: str, c: int) -> list[onnx.TensorProto]:
    return [w(prefix + "weight", c), w(prefix + "bias", c), w(prefix + "running_mean", c),
            numpy_helper.from_array(np.ones(c, np.float32), prefix + "running_var")]


def _resnet_spec() -> tuple[list[tuple], list[onnx.TensorProto]]:
    nodes: list[tuple] = [
        ("Conv", ["x", "conv1.weight"], "c0", _K3, ["conv1"], [_CONV], "conv2d"),
        ("BatchNormalization", ["c0", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var"], "b0", {}, ["bn1"], [_BN], "batch_norm"),
        ("Relu", ["b0"], "r0", {}, ["relu"], [_RELU], "relu"),
    ]
    inits = [w("conv1.weight", 4, 3, 3, 3)] + _bn("bn1.", 4)
    for layer, cin, cout, stride, x in (("layer1", 4, 4, 1, "r0"), ("layer2", 4, 8, 2, "layer1.0.out")):
        n, i = _block(layer, 0, cin, cout, stride, x)
        nodes += n
        inits += i
    nodes += [
        ("GlobalAveragePool", ["layer2.0.out"], "pooled", {}, ["avgpool"], [f"{_NN}.pooling.AdaptiveAvgPool2d"], "adaptive_avg_pool2d"),
        ("Flatten", ["pooled"], "flat", {}, [], [], "flatten"),
        ("Gemm", ["flat", "fc.weight", "fc.bias"], "logits", {"transB": 1}, ["fc"], [f"{_NN}.linear.Linear"], "linear"),
    ]
    inits += [w("fc.weight", 10, 8), w("fc.bias", 10)]
    return nodes, inits


def _resnet_graph(nodes: list[onnx.NodeProto], inits: list[onnx.TensorProto], name: str) -> onnx.ModelProto:
    g = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("x", TP.FLOAT, [1, 3, 16, 16])],
        [helper.make_tensor_value_info("logits", TP.FLOAT, [1, 10])],
        inits,
    )
    return model(g)


def tiny_resnet() -> onnx.ModelProto:
    """A two-block ResNet named as torch.onnx's TorchScript exporter names nodes:
    '/layer1/layer1.0/conv1/Conv' (module scopes, then the op type)."""
    spec, inits = _resnet_spec()
    seen: dict[str, int] = {}
    nodes = []
    for op, ins, out, attrs, path, _cls, _aten in spec:
        base = "/" + "/".join([*path, op])
        k = seen.get(base, 0)
        seen[base] = k + 1
        nodes.append(helper.make_node(op, ins, [out], base + (f"_{k}" if k else ""), **attrs))
    return _resnet_graph(nodes, inits, "tiny_resnet")


def tiny_resnet_dynamo() -> onnx.ModelProto:
    """The same ResNet as the dynamo exporter writes it: flat node names
    ('node_conv2d_3'), the module of each node in ``pkg.torch.onnx.name_scopes``
    (qualified names) and its classes in ``pkg.torch.onnx.class_hierarchy``."""
    spec, inits = _resnet_spec()
    nodes = []
    for k, (op, ins, out, attrs, path, cls, aten) in enumerate(spec):
        n = helper.make_node(op, ins, [out], f"node_{aten}_{k}", **attrs)
        qualified = _qualified(path)
        helper.set_metadata_props(n, {
            "pkg.torch.onnx.name_scopes": repr(["", *qualified, aten]),
            "pkg.torch.onnx.class_hierarchy": repr([f"{_RESNET}.ResNet", *cls, f"aten.{aten}.default"]),
        })
        nodes.append(n)
    return _resnet_graph(nodes, inits, "tiny_resnet_dynamo")


def _qualified(path: list[str]) -> list[str]:
    """The dynamo exporter's qualified module names of a TorchScript-style path:
    ['layer1', 'layer1.0', 'conv1'] -> ['layer1', 'layer1.0', 'layer1.0.conv1'] (a
    TorchScript segment such as 'layer1.0' already starts with its parent's name)."""
    out: list[str] = []
    for i, seg in enumerate(path):
        if i == 0:
            out.append(seg)
        elif seg.startswith(path[i - 1] + "."):
            out.append(out[-1][: len(out[-1]) - len(path[i - 1])] + seg)
        else:
            out.append(f"{out[-1]}.{seg}")
    return out


def tiny_decoder() -> onnx.ModelProto:
    """One decoder layer (hidden 8, 2 heads of 4) with its KV cache as inputs and outputs, named as
    optimum exports them: past_key_values.0.key/value in, present.0.key/value out (onnx-cost llm)."""
    n = helper.make_node
    dims = ["batch_size", 2, "past_sequence_length", 4]
    total = ["batch_size", 2, "past_sequence_length + sequence_length", 4]
    heads = ["/layers.0/attn/Reshape", "/layers.0/attn/Transpose"]
    nodes = [
        n("Gather", ["embed", "input_ids"], ["x"], "/embed/Gather"),
        *[n("MatMul", ["x", f"w{p}"], [p], f"/layers.0/attn/{p}/MatMul") for p in "qkv"],
        *[n("Reshape", [p, "heads"], [f"{p}4"], f"{heads[0]}_{p}") for p in "qkv"],
        *[n("Transpose", [f"{p}4"], [f"{p}h"], f"{heads[1]}_{p}", perm=[0, 2, 1, 3]) for p in "qkv"],
        n("Concat", ["past_key_values.0.key", "kh"], ["present.0.key"], "/layers.0/attn/Concat_k", axis=2),
        n("Concat", ["past_key_values.0.value", "vh"], ["present.0.value"], "/layers.0/attn/Concat_v", axis=2),
        n("Transpose", ["present.0.key"], ["kt"], "/layers.0/attn/Transpose_kt", perm=[0, 1, 3, 2]),
        n("MatMul", ["qh", "kt"], ["s"], "/layers.0/attn/scores/MatMul"),
        n("Softmax", ["s"], ["p"], "/layers.0/attn/Softmax", axis=-1),
        n("MatMul", ["p", "present.0.value"], ["c"], "/layers.0/attn/context/MatMul"),
        n("Transpose", ["c"], ["ct"], "/layers.0/attn/Transpose_c", perm=[0, 2, 1, 3]),
        n("Reshape", ["ct", "hidden"], ["c3"], "/layers.0/attn/Reshape_c"),
        n("MatMul", ["c3", "wo"], ["o"], "/layers.0/attn/o/MatMul"),
        n("Add", ["x", "o"], ["h"], "/layers.0/Add"),
        n("MatMul", ["h", "lm_head"], ["logits"], "/lm_head/MatMul"),
    ]
    g = helper.make_graph(
        nodes, "tiny_decoder",
        [helper.make_tensor_value_info("input_ids", TP.INT64, ["batch_size", "sequence_length"]),
         helper.make_tensor_value_info("past_key_values.0.key", TP.FLOAT, dims),
         helper.make_tensor_value_info("past_key_values.0.value", TP.FLOAT, dims)],
        [helper.make_tensor_value_info("logits", TP.FLOAT, ["batch_size", "sequence_length", 16]),
         helper.make_tensor_value_info("present.0.key", TP.FLOAT, total),
         helper.make_tensor_value_info("present.0.value", TP.FLOAT, total)],
        [w("embed", 16, 8), w("wq", 8, 8), w("wk", 8, 8), w("wv", 8, 8), w("wo", 8, 8), w("lm_head", 8, 16),
         i64("heads", [0, 0, 2, 4]), i64("hidden", [0, 0, 8])],
    )
    return model(g)


FIXTURES = {
    "tiny_cnn": tiny_cnn,
    "tiny_mlp": tiny_mlp,
    "tiny_lstm": tiny_lstm,
    "tiny_attention": tiny_attention,
    "tiny_control_flow": tiny_control_flow,
    "tiny_resnet": tiny_resnet,
    "tiny_resnet_dynamo": tiny_resnet_dynamo,
    "tiny_decoder": tiny_decoder,
}


def main() -> None:
    FIX.mkdir(exist_ok=True)
    GOLDEN.mkdir(exist_ok=True)
    sys.path.insert(0, str(ROOT))
    import onnx_cost
    from onnx_cost.render import report as render

    for name, build in FIXTURES.items():
        path = FIX / f"{name}.onnx"
        onnx.save(build(), path)
        report = onnx_cost.analyze(path)
        # Golden CSVs name the model by its fixture-relative path.
        (GOLDEN / f"{name}.csv").write_text(render.to_csv(report), encoding="utf-8", newline="")
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size} bytes, {report.total.flops} FLOPs")


if __name__ == "__main__":
    main()
