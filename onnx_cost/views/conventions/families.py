"""Op families: the unit a peer tool's counting rule applies to.

Peers count PyTorch modules and aten ops; an ONNX file keeps ops. Each ONNX op maps
to the family of the PyTorch construct it usually comes from (Conv -> conv, Gemm ->
linear, Clip -> relu6...). Decomposed modules (a Linear exported as MatMul + Add, a
LayerNorm or GELU spelled in primitives) are recognized by ``patterns`` and override
this table for their nodes.
"""

from __future__ import annotations

from onnx_cost.rules.registry import lookup

# family -> one line saying what it holds (the `onnx-cost conventions` table rows, in order)
FAMILIES: dict[str, str] = {
    "conv": "Conv, ConvInteger, QLinearConv, FusedConv, NhwcConv, DeformConv",
    "conv_transpose": "ConvTranspose",
    "linear": "Gemm, QGemm, FusedGemm; MatMul with a weight operand (+ its bias Add)",
    "matmul": "MatMul of two activations, MatMulInteger, QLinearMatMul, FusedMatMul",
    "einsum": "Einsum",
    "attention": "Attention, MultiHeadAttention, GroupQueryAttention, PackedAttention, QAttention",
    "batchnorm": "BatchNormalization",
    "layernorm": "LayerNormalization, RMSNormalization, SkipLayerNormalization; decomposed LayerNorm",
    "groupnorm": "GroupNormalization, GroupNorm",
    "instancenorm": "InstanceNormalization",
    "relu": "Relu",
    "relu6": "Clip (ReLU6, the module it comes from)",
    "leaky_relu": "LeakyRelu",
    "prelu": "PRelu",
    "elu": "Elu, Selu, Celu",
    "gelu": "Gelu, FastGelu, BiasGelu, QuickGelu; decomposed GELU (Div, Erf, Add, Mul, Mul)",
    "silu": "x · Sigmoid(x) (SiLU, exported as Sigmoid + Mul)",
    "activation": "Sigmoid, Tanh, HardSigmoid, HardSwish, Softplus, Softsign, Mish, ThresholdedRelu",
    "softmax": "Softmax, LogSoftmax",
    "maxpool": "MaxPool",
    "avgpool": "AveragePool",
    "global_avgpool": "GlobalAveragePool (AdaptiveAvgPool to 1)",
    "global_maxpool": "GlobalMaxPool (AdaptiveMaxPool to 1)",
    "upsample": "Resize, Upsample",
    "recurrent": "LSTM, GRU, RNN",
    "elementwise": "Add, Sub, Mul, Div, Pow, Sqrt, Exp, Erf, Where... (not part of a pattern above)",
    "reduce": "ReduceMean, ReduceSum, ReduceMax..., ArgMax, CumSum",
    "movement": "zero-compute nodes: Reshape, Transpose, Gather, Concat, Cast, Shape...",
    "other": "every other op with arithmetic (TopK, NonMaxSuppression, DFT, losses...)",
}

_OPS: dict[str, tuple[str, ...]] = {
    "conv": ("Conv", "ConvInteger", "QLinearConv", "FusedConv", "NhwcConv", "NhwcFusedConv", "DeformConv"),
    "conv_transpose": ("ConvTranspose",),
    "linear": ("Gemm", "QGemm", "FusedGemm"),
    "matmul": (
        "MatMul",
        "MatMulInteger",
        "QLinearMatMul",
        "FusedMatMul",
        "TransposeMatMul",
        "MatMulNBits",
        "MatMulIntegerToFloat",
        "DynamicQuantizeMatMul",
    ),
    "einsum": ("Einsum",),
    "attention": (
        "Attention",
        "MultiHeadAttention",
        "GroupQueryAttention",
        "PackedAttention",
        "PackedMultiHeadAttention",
        "QAttention",
    ),
    "batchnorm": ("BatchNormalization",),
    "layernorm": (
        "LayerNormalization",
        "RMSNormalization",
        "SimplifiedLayerNormalization",
        "SkipLayerNormalization",
        "SkipSimplifiedLayerNormalization",
    ),
    "groupnorm": ("GroupNormalization", "GroupNorm"),
    "instancenorm": ("InstanceNormalization",),
    "relu": ("Relu",),
    "relu6": ("Clip",),
    "leaky_relu": ("LeakyRelu", "QLinearLeakyRelu"),
    "prelu": ("PRelu",),
    "elu": ("Elu", "Selu", "Celu"),
    "gelu": ("Gelu", "FastGelu", "BiasGelu", "QuickGelu"),
    "activation": (
        "Sigmoid",
        "Tanh",
        "HardSigmoid",
        "HardSwish",
        "Softplus",
        "Softsign",
        "Mish",
        "ThresholdedRelu",
        "QLinearSigmoid",
    ),
    "softmax": ("Softmax", "LogSoftmax", "QLinearSoftmax"),
    "maxpool": ("MaxPool",),
    "avgpool": ("AveragePool",),
    "global_avgpool": ("GlobalAveragePool", "QLinearGlobalAveragePool"),
    "global_maxpool": ("GlobalMaxPool",),
    "upsample": ("Resize", "Upsample"),
    "recurrent": ("LSTM", "GRU", "RNN"),
    "elementwise": (
        "Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Exp", "Log", "Erf", "Neg", "Abs", "Reciprocal",
        "Floor", "Ceil", "Round", "Sign", "Min", "Max", "Mean", "Sum", "Where", "Equal", "Less",
        "LessOrEqual", "Greater", "GreaterOrEqual", "Not", "And", "Or", "Xor", "Mod", "Sin", "Cos",
        "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "IsNaN", "IsInf",
        "BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor", "BitwiseNot", "QLinearAdd", "QLinearMul",
        "BiasAdd", "DequantizeLinear", "QuantizeLinear",
    ),
    "reduce": (
        "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
        "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare", "ArgMax", "ArgMin", "CumSum", "CumProd",
    ),
}

FAMILY_OF_OP: dict[str, str] = {op: fam for fam, ops in _OPS.items() for op in ops}


def family_of(op_type: str, domain: str, status: str) -> str:
    """The family of one node on its own (patterns may override it). Ops our rules file
    under data movement (Gather, Slice, Dropout...) are movement even when counted."""
    if status == "zero":
        return "movement"
    fam = FAMILY_OF_OP.get(op_type)
    if fam is not None:
        return fam
    entry = lookup(domain, op_type)
    return "movement" if entry is not None and entry.family == "movement" else "other"
