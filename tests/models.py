"""Whole models built in memory with onnx.helper, layer for layer as torchvision and
Hugging Face build them, at 1×3×224×224 (BERT: 1×128).

Weights are external-data references (dims only, the file exists nowhere): the analyzer
reads their dims and never their bytes, so a 100 M-parameter model builds in milliseconds.
Small values the analyzer must read (Reshape shapes) are real initializers.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from helpers import init, make_model


def ext(name: str, dims: list[int]) -> TensorProto:
    """A float32 initializer whose bytes live in a file that does not exist."""
    t = TensorProto(name=name, data_type=TensorProto.FLOAT, dims=dims, data_location=TensorProto.EXTERNAL)
    n = 1
    for d in dims:
        n *= d
    for k, v in (("location", "weights.bin"), ("offset", "0"), ("length", str(4 * n))):
        e = t.external_data.add()
        e.key, e.value = k, v
    return t


class Builder:
    """Appends nodes and weights; every node gets a fresh output name."""

    def __init__(self, external: bool = True) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.external = external
        self.n = 0
        self.consts: dict[tuple, str] = {}

    def _name(self, kind: str) -> str:
        self.n += 1
        return f"{kind}{self.n}"

    def weight(self, *dims: int) -> str:
        w = self._name("w")
        self.inits.append(ext(w, list(dims)) if self.external else init(w, "float32", list(dims)))
        return w

    def const(self, value: float | list[int], dtype: str = "float32") -> str:
        """A small real initializer, shared by value (one tensor per distinct constant)."""
        key = (dtype, str(value))
        if key not in self.consts:
            name = self._name("c")
            arr = np.asarray(value, dtype=np.int64 if dtype == "int64" else np.float32)
            self.inits.append(numpy_helper.from_array(arr, name))
            self.consts[key] = name
        return self.consts[key]

    def node(self, op: str, inputs: list[str], n_out: int = 1, **attrs: object) -> str:
        outs = [self._name(op.lower()) for _ in range(n_out)]
        self.nodes.append(helper.make_node(op, inputs, outs, name=outs[0], **attrs))
        return outs[0] if n_out == 1 else ",".join(outs)

    def model(self, x: tuple[str, list[int]], opset: int = 17, dtype: str = "float32") -> onnx.ModelProto:
        return make_model(self.nodes, [(x[0], dtype, x[1])], [(self.nodes[-1].output[0], "float32", None)], self.inits, opset)

    # -- CNN pieces -------------------------------------------------------------------

    def conv_bn(self, x: str, cin: int, cout: int, k: int, stride: int, act: str | None, groups: int = 1) -> str:
        """Conv (no bias) -> BatchNormalization -> activation ("Relu", "Clip" for ReLU6, "SiLU", None)."""
        w = self.weight(cout, cin // groups, k, k)
        y = self.node("Conv", [x, w], kernel_shape=[k, k], strides=[stride, stride], pads=[k // 2] * 4, group=groups)
        y = self.node("BatchNormalization", [y, *(self.weight(cout) for _ in range(4))])
        if act == "Relu":
            return self.node("Relu", [y])
        if act == "Clip":
            return self.node("Clip", [y, self.const(0.0), self.const(6.0)])
        if act == "SiLU":  # exported as x · Sigmoid(x)
            return self.node("Mul", [y, self.node("Sigmoid", [y])])
        return y

    def fc(self, x: str, cin: int, cout: int) -> str:
        """nn.Linear on a 2-D input, as torch exports it: Gemm with transB."""
        return self.node("Gemm", [x, self.weight(cout, cin), self.weight(cout)], transB=1)

    # -- transformer pieces ------------------------------------------------------------

    def linear(self, x: str, cin: int, cout: int) -> str:
        """nn.Linear on a 3-D input: MatMul by the transposed weight, then Add of the bias."""
        return self.node("Add", [self.node("MatMul", [x, self.weight(cin, cout)]), self.weight(cout)])

    def layer_norm(self, x: str, d: int, decomposed: bool) -> str:
        if not decomposed:
            return self.node("LayerNormalization", [x, self.weight(d), self.weight(d)], axis=-1)
        mean = self.node("ReduceMean", [x], axes=[-1])
        diff = self.node("Sub", [x, mean])
        var = self.node("ReduceMean", [self.node("Pow", [diff, self.const(2.0)])], axes=[-1])
        std = self.node("Sqrt", [self.node("Add", [var, self.const(1e-12)])])
        y = self.node("Div", [diff, std])
        return self.node("Add", [self.node("Mul", [y, self.weight(d)]), self.weight(d)])

    def gelu(self, x: str, decomposed: bool) -> str:
        if not decomposed:
            return self.node("Gelu", [x])
        e = self.node("Erf", [self.node("Div", [x, self.const(1.4142135)])])
        return self.node("Mul", [self.node("Mul", [x, self.node("Add", [e, self.const(1.0)])]), self.const(0.5)])

    def heads(self, x: str, n: int, h: int, dh: int) -> str:
        """[1, n, h·dh] -> [1, h, n, dh]."""
        y = self.node("Reshape", [x, self.const([1, n, h, dh], "int64")])
        return self.node("Transpose", [y], perm=[0, 2, 1, 3])

    def attention(self, x: str, n: int, d: int, h: int, decomposed: bool) -> str:
        """Multi-head self-attention spelled in MatMuls (QKV, QKᵀ, softmax, PV, out)."""
        dh = d // h
        q, k, v = (self.heads(self.linear(x, d, d), n, h, dh) for _ in range(3))
        kt = self.node("Transpose", [k], perm=[0, 1, 3, 2])
        s = self.node("Div", [self.node("MatMul", [q, kt]), self.const(float(dh) ** 0.5)])
        p = self.node("Softmax", [s], axis=-1)
        o = self.node("Transpose", [self.node("MatMul", [p, v])], perm=[0, 2, 1, 3])
        o = self.node("Reshape", [o, self.const([1, n, d], "int64")])
        return self.linear(o, d, d)

    def encoder_layer(self, x: str, n: int, d: int, h: int, ff: int, pre_norm: bool, decomposed: bool) -> str:
        """ViT (pre-norm) or BERT (post-norm) encoder layer."""
        if pre_norm:
            a = self.node("Add", [x, self.attention(self.layer_norm(x, d, decomposed), n, d, h, decomposed)])
            m = self.linear(self.gelu(self.linear(self.layer_norm(a, d, decomposed), d, ff), decomposed), ff, d)
            return self.node("Add", [a, m])
        a = self.layer_norm(self.node("Add", [x, self.attention(x, n, d, h, decomposed)]), d, decomposed)
        m = self.linear(self.gelu(self.linear(a, d, ff), decomposed), ff, d)
        return self.layer_norm(self.node("Add", [a, m]), d, decomposed)


def resnet(blocks: tuple[int, int, int, int], bottleneck: bool) -> onnx.ModelProto:
    """torchvision resnet18 ((2, 2, 2, 2), basic) and resnet50 ((3, 4, 6, 3), bottleneck v1.5:
    the stride on the 3×3 conv), BatchNormalizations unfused."""
    b = Builder()
    y = b.conv_bn("x", 3, 64, 7, 2, "Relu")
    y = b.node("MaxPool", [y], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    cin = 64
    for stage, count in enumerate(blocks):
        width = 64 << stage
        cout = width * 4 if bottleneck else width
        for i in range(count):
            stride = 2 if stage and not i else 1
            if bottleneck:
                z = b.conv_bn(y, cin, width, 1, 1, "Relu")
                z = b.conv_bn(z, width, width, 3, stride, "Relu")
                z = b.conv_bn(z, width, cout, 1, 1, None)
            else:
                z = b.conv_bn(b.conv_bn(y, cin, cout, 3, stride, "Relu"), cout, cout, 3, 1, None)
            short = b.conv_bn(y, cin, cout, 1, stride, None) if stride != 1 or cin != cout else y
            y = b.node("Relu", [b.node("Add", [z, short])])
            cin = cout
    y = b.node("Flatten", [b.node("GlobalAveragePool", [y])])
    b.fc(y, cin, 1000)
    return b.model(("x", [1, 3, 224, 224]))


VGG16 = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")


def vgg16() -> onnx.ModelProto:
    """torchvision vgg16 (config "D"): 3×3 convs with bias and ReLU, 2×2 max pools, three Linears.
    Its AdaptiveAvgPool2d((7, 7)) is the identity at 224×224 and is left out."""
    b = Builder()
    y, cin = "x", 3
    for v in VGG16:
        if v == "M":
            y = b.node("MaxPool", [y], kernel_shape=[2, 2], strides=[2, 2])
            continue
        y = b.node("Conv", [y, b.weight(v, cin, 3, 3), b.weight(v)], kernel_shape=[3, 3], pads=[1] * 4)
        y, cin = b.node("Relu", [y]), v
    y = b.node("Flatten", [y])
    for i, (k, m) in enumerate(((512 * 49, 4096), (4096, 4096), (4096, 1000))):
        y = b.fc(y, k, m)
        if i < 2:
            y = b.node("Relu", [y])
    return b.model(("x", [1, 3, 224, 224]))


# (expand ratio t, channels c, repeats n, first stride s): torchvision mobilenetv2.py
MOBILENET_V2 = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))


def mobilenet_v2() -> onnx.ModelProto:
    """torchvision mobilenet_v2: Conv-BN-ReLU6 stem, inverted residuals, 1×1 to 1280, Linear."""
    b = Builder()
    y, cin = b.conv_bn("x", 3, 32, 3, 2, "Clip"), 32
    for t, c, n, s in MOBILENET_V2:
        for i in range(n):
            stride, hidden = (s if i == 0 else 1), cin * t
            z = b.conv_bn(y, cin, hidden, 1, 1, "Clip") if t != 1 else y
            z = b.conv_bn(z, hidden, hidden, 3, stride, "Clip", groups=hidden)
            z = b.conv_bn(z, hidden, c, 1, 1, None)
            y = b.node("Add", [y, z]) if stride == 1 and cin == c else z
            cin = c
    y = b.conv_bn(y, cin, 1280, 1, 1, "Clip")
    y = b.node("Flatten", [b.node("GlobalAveragePool", [y])])
    b.fc(y, 1280, 1000)
    return b.model(("x", [1, 3, 224, 224]))


# (expand ratio, kernel, first stride, cin, cout, layers): torchvision efficientnet.py, b0
EFFICIENTNET_B0 = ((1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2), (6, 3, 2, 40, 80, 3),
                   (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4), (6, 3, 1, 192, 320, 1))  # fmt: skip


def efficientnet_b0() -> onnx.ModelProto:
    """torchvision efficientnet_b0: SiLU everywhere, MBConv blocks with squeeze-excitation
    (GlobalAveragePool, 1×1 conv to max(1, cin // 4) with bias, SiLU, 1×1 conv back, Sigmoid,
    Mul), stochastic depth (the identity at inference), 1×1 to 1280, Linear."""
    b = Builder()
    y = b.conv_bn("x", 3, 32, 3, 2, "SiLU")
    for t, k, s, cin0, cout, n in EFFICIENTNET_B0:
        for i in range(n):
            cin, stride = (cin0, s) if i == 0 else (cout, 1)
            hidden, sq = cin * t, max(1, cin // 4)
            z = b.conv_bn(y, cin, hidden, 1, 1, "SiLU") if t != 1 else y
            z = b.conv_bn(z, hidden, hidden, k, stride, "SiLU", groups=hidden)
            p = b.node("GlobalAveragePool", [z])
            p = b.node("Conv", [p, b.weight(sq, hidden, 1, 1), b.weight(sq)], kernel_shape=[1, 1])
            p = b.node("Mul", [p, b.node("Sigmoid", [p])])
            p = b.node("Conv", [p, b.weight(hidden, sq, 1, 1), b.weight(hidden)], kernel_shape=[1, 1])
            z = b.node("Mul", [z, b.node("Sigmoid", [p])])
            z = b.conv_bn(z, hidden, cout, 1, 1, None)
            y = b.node("Add", [z, y]) if stride == 1 and cin == cout else z
    y = b.conv_bn(y, 320, 1280, 1, 1, "SiLU")
    y = b.node("Flatten", [b.node("GlobalAveragePool", [y])])
    b.fc(y, 1280, 1000)
    return b.model(("x", [1, 3, 224, 224]))


def convnext_tiny() -> onnx.ModelProto:
    """torchvision convnext_tiny: 4×4/4 stem conv + LayerNorm2d, stages of (96, 3), (192, 3), (384, 9),
    (768, 3) blocks: 7×7 depthwise conv, permute to channels-last, LayerNorm, Linear C→4C, GELU,
    Linear 4C→C, permute back, layer scale, residual; LayerNorm2d + 2×2/2 conv between stages."""
    b = Builder()

    def norm2d(x: str, c: int) -> str:  # LayerNorm2d: LayerNorm over channels, channels-last
        y = b.node("Transpose", [x], perm=[0, 2, 3, 1])
        return b.node("Transpose", [b.layer_norm(y, c, decomposed=False)], perm=[0, 3, 1, 2])

    y = b.node("Conv", ["x", b.weight(96, 3, 4, 4), b.weight(96)], kernel_shape=[4, 4], strides=[4, 4])
    y, cin = norm2d(y, 96), 96
    for c, depth in ((96, 3), (192, 3), (384, 9), (768, 3)):
        if c != cin:
            y = b.node("Conv", [norm2d(y, cin), b.weight(c, cin, 2, 2), b.weight(c)], kernel_shape=[2, 2], strides=[2, 2])
        for _ in range(depth):
            z = b.node("Conv", [y, b.weight(c, 1, 7, 7), b.weight(c)], kernel_shape=[7, 7], pads=[3] * 4, group=c)
            z = b.layer_norm(b.node("Transpose", [z], perm=[0, 2, 3, 1]), c, decomposed=False)
            z = b.linear(b.gelu(b.linear(z, c, 4 * c), decomposed=False), 4 * c, c)
            z = b.node("Mul", [b.node("Transpose", [z], perm=[0, 3, 1, 2]), b.weight(c, 1, 1)])
            y = b.node("Add", [y, z])
        cin = c
    y = b.node("Flatten", [norm2d(b.node("GlobalAveragePool", [y]), 768)])
    b.fc(y, 768, 1000)
    return b.model(("x", [1, 3, 224, 224]), opset=20)


def vit_b_16() -> onnx.ModelProto:
    """torchvision vit_b_16: 16×16 patch conv, class token, position embedding, 12 pre-norm
    layers (d 768, 12 heads, MLP 3072, LayerNormalization and Gelu ops), head on the class token."""
    b = Builder()
    n, d, h, ff = 197, 768, 12, 3072
    y = b.node("Conv", ["x", b.weight(d, 3, 16, 16), b.weight(d)], kernel_shape=[16, 16], strides=[16, 16])
    y = b.node("Transpose", [b.node("Reshape", [y, b.const([1, d, 196], "int64")])], perm=[0, 2, 1])
    y = b.node("Concat", [b.weight(1, 1, d), y], axis=1)
    y = b.node("Add", [y, b.weight(1, n, d)])
    for _ in range(12):
        y = b.encoder_layer(y, n, d, h, ff, pre_norm=True, decomposed=False)
    y = b.layer_norm(y, d, decomposed=False)
    y = b.node("Gather", [y, b.const(0, "int64")], axis=1)
    b.fc(y, d, 1000)
    return b.model(("x", [1, 3, 224, 224]), opset=20)


def bert_base(seq: int = 128) -> onnx.ModelProto:
    """BERT-base encoder without pooler: word, position and type embeddings (Gather), embedding
    LayerNorm, 12 post-norm layers (d 768, 12 heads, FFN 3072) with LayerNorm and GELU decomposed
    into primitives, as torch.onnx exports them below opset 17."""
    b = Builder()
    d = 768
    words = b.node("Gather", [b.weight(30522, d), "ids"])
    pos = b.node("Gather", [b.weight(512, d), b.const(list(range(seq)), "int64")])
    typ = b.node("Gather", [b.weight(2, d), b.const([0] * seq, "int64")])
    y = b.node("Add", [b.node("Add", [words, pos]), typ])
    y = b.layer_norm(y, d, decomposed=True)
    for _ in range(12):
        y = b.encoder_layer(y, seq, d, 12, 3072, pre_norm=False, decomposed=True)
    return b.model(("ids", [1, seq]), opset=13, dtype="int64")
