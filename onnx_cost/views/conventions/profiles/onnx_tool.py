"""onnx-tool ``Model.graph.profile()``: "MACs" per ONNX node, with per-element weights
for expensive functions (onnx_tool/node.py: ADD, MUL, CMP 1, DIV 4, SQRT 24, EXP and POW 32,
LOG 43, SIN and COS 39, TANH = EXP + 2·ADD + DIV = 38; resize linear 4, cubic 8).

An ONNX-native tool: no PyTorch modules to recognize, every node counts on its own.
Conv and ConvTranspose ``∏out·∏W[1:]`` (+ ∏out with a bias): the transposed conv over its
OUTPUT extent; Gemm ``∏out·K`` (+ ∏out with C); MatMul ``∏out·K``; BatchNormalization
``31·∏out`` (ADD + SQRT + DIV + ADD + MUL); LayerNormalization ``7·N + 29·N/D``; pooling
``∏out·∏kernel``; GlobalAveragePool ``∏in + 4·∏out``; elementwise ops
``∏out·max(1, inputs − 1)·weight``, except Tanh ×2 and unary ops ×1.
"""

from __future__ import annotations

from math import prod

from onnx_cost.views.conventions.engine import F, Ignored, Profile
from onnx_cost.views.conventions.profiles._common import rest
from onnx_cost.views.conventions.site import Site

EXP, DIV, SQRT, LOG, SIN = 32, 4, 24, 43, 39
TANH = EXP + 2 + DIV

# op -> (weight per output element, whether the weight repeats per extra input: max(1, inputs − 1))
_POINTWISE: dict[str, tuple[int, bool]] = {
    "Add": (1, True), "Sub": (1, True), "Mul": (1, True), "Div": (DIV, True), "Min": (1, True),
    "Max": (1, True), "Mod": (1, True), "Neg": (1, True), "Abs": (1, True), "Ceil": (1, True),
    "Sum": (1, True), "Exp": (EXP, False), "Log": (LOG, False), "Sqrt": (SQRT, True),
    "Pow": (EXP, False), "Sin": (SIN, True), "Cos": (SIN, True), "Reciprocal": (DIV, True),
    "Sign": (1, True), "Floor": (1, False), "Equal": (1, False), "Less": (1, False),
    "LessOrEqual": (1, False), "Greater": (1, False), "GreaterOrEqual": (1, False),
    "Not": (1, False), "And": (1, False), "Or": (1, False), "Xor": (1, False), "Round": (1, False),
    "Erf": (0, False), "DequantizeLinear": (2, False), "QuantizeLinear": (2, False),
    "Relu": (1, True), "Clip": (2, False), "LeakyRelu": (2, True), "PRelu": (2, False),
    "Elu": (1 + EXP + 2, False), "Gelu": (EXP + 2, True), "Sigmoid": (EXP, False),
    "Tanh": (TANH * 2, False), "HardSigmoid": (4, True), "HardSwish": (5, True),
    "Softplus": (EXP + 1 + LOG, False), "Softmax": (EXP + DIV, False),
    "LogSoftmax": (EXP + DIV + 1 + LOG, False), "InstanceNormalization": (7, True),
}  # fmt: skip
_REDUCE = {"ReduceMean": 1, "ReduceSum": 1, "ReduceProd": 1, "ReduceMin": 1, "ReduceMax": 1, "ReduceL2": 1 + SQRT}


def _deconv(s: Site) -> int:
    return s.out * prod(s.shape(1)[1:]) + s.bias  # W is Cin × Cout/g × K: Cout/g where a conv has Cin/g


def _pointwise(s: Site) -> int:
    w = _POINTWISE.get(s.rec.op_type)
    if w is None:
        from onnx_cost.views.conventions.engine import NotHandled

        raise NotHandled(s.rec.op_type)
    weight, per_input = w
    ratio = max(1, len([n for n in s.rec.input_names if n]) - 1) if per_input else 1
    return s.out * ratio * weight


def _reduce(s: Site) -> int:
    if s.rec.op_type == "CumSum":
        return s.out
    if s.rec.op_type not in _REDUCE:
        from onnx_cost.views.conventions.engine import NotHandled

        raise NotHandled(s.rec.op_type)
    return s.inp * _REDUCE[s.rec.op_type]


def _ln(s: Site) -> int:
    x = s.shape(0)
    return 7 * s.inp + (1 + SQRT + DIV) * (s.inp // x[-1])  # axis -1: the default


def _resize(s: Site) -> int:
    return {"nearest": 0, "linear": 4, "cubic": 8}.get(s.resize_mode, 0) * s.out


_PW = F("∏out·max(1, inputs − 1)·w, w: ADD 1, DIV 4, SQRT 24, EXP 32, LOG 43, TANH 38 (×2)...", _pointwise)

PROFILE = Profile(
    name="onnx-tool",
    tool="onnx-tool 1.0.1 (ThanatosShinji/onnx-tool commit 00f5f0a: onnx_tool/node.py)",
    columns=("macs",),
    summary="onnx-tool MACs: per ONNX node, bias included, expensive functions weighted (exp 32, sqrt 24, div 4)",
    table=rest(
        {
            "conv": F("∏out·∏W[1:] + ∏out with a bias = MACs + bias", lambda s: s.macs + s.bias),
            "conv_transpose": F("∏out·∏W[1:] (+ bias): over the OUTPUT extent, W[1] = Cout/g", _deconv),
            "linear": F("∏out·K (+ ∏out with C) = MACs + bias", lambda s: s.macs + s.bias),
            "matmul": F("∏out·K = MACs", lambda s: s.macs),
            "einsum": F("MACs", lambda s: s.macs),
            "batchnorm": F("31·∏out: ADD + SQRT 24 + DIV 4 + ADD + MUL", lambda s: 31 * s.out),
            "layernorm": F("7·N + 29·N/D, D the last axis: 3 MUL, 4 ADD per element, 1 ADD, SQRT, DIV per row", _ln),
            "maxpool": F("∏out·∏kernel", lambda s: s.out * s.window),
            "avgpool": F("∏out·∏kernel", lambda s: s.out * s.window),
            "global_avgpool": F("∏in + 4·∏out", lambda s: s.inp + DIV * s.out),
            "upsample": F("nearest 0, linear 4, cubic 8 per output element", _resize),
            "reduce": F("∏in (ReduceL2 25·∏in); CumSum ∏out", _reduce),
            **dict.fromkeys(
                ("relu", "relu6", "leaky_relu", "prelu", "elu", "gelu", "activation", "softmax", "instancenorm"), _PW
            ),
            "elementwise": _PW,
            "movement": Ignored("0"),
        },
        Ignored("0"),
        skip=("attention", "groupnorm", "recurrent", "global_maxpool", "other", "silu"),
    ),
    params="stored",
    patterns=False,
)
