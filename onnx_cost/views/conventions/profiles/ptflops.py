"""ptflops ``get_model_complexity_info``: "MACs", in two backends.

pytorch backend (ptflops/pytorch_ops.py ``MODULES_MAPPING``, ``FUNCTIONAL_MAPPING``,
``TENSOR_OPS_MAPPING``): Conv ``∏K·Cin·Cout/g`` per output position plus 1 per output element
for the bias (transposed: per input position); Linear ``(in·out + out)·rows`` (bias counted);
BatchNorm, InstanceNorm, GroupNorm, LayerNorm ``N``, doubled when the module has ``affine``
set (LayerNorm has ``elementwise_affine`` instead, so it stays ``N``); ReLU, PReLU, ELU,
LeakyReLU, ReLU6, GELU and F.silu, F.softmax 1 per element; every pooling 1 per INPUT element;
Upsample 1 per output element; torch.matmul/mm/bmm ``∏A·n``; RNN/GRU/LSTM weights plus gate
arithmetic per step. aten backend (ptflops/aten_ops.py, the default since 0.7.3): only
aten.mm, matmul, addmm (bias counted), bmm and convolution (bias counted).
"""

from __future__ import annotations

from onnx_cost.views.conventions.engine import F, Ignored, Profile
from onnx_cost.views.conventions.profiles._common import IN, MACS, MACS_BIAS, OUT, rest, rnn_gates
from onnx_cost.views.conventions.site import Site

_EXTRA = {1: 1, 3: 7, 4: 10}  # per hidden unit: RNN add; GRU r·, 3 adds, 3 blend; LSTM 4 adds, 3 + 3 cell/out


def _rnn(s: Site) -> int:
    d, g, h, i, nt = rnn_gates(s)
    bias = 2 * g * h if len(s.rec.input_names) > 3 and s.rec.input_names[3] else 0
    return (g * h * i + g * h * h + _EXTRA[g] * h + bias) * nt * d


def _norm(s: Site) -> int:
    return 2 * s.inp if s.affine else s.inp


_ZERO = Ignored("0: no hook")

PROFILE = Profile(
    name="ptflops",
    tool="ptflops 0.7.6.dev pytorch backend (sovrasov/flops-counter.pytorch commit d612c75: ptflops/pytorch_ops.py)",
    columns=("macs",),
    summary=(
        "ptflops MACs (pytorch backend): conv and linear MACs plus bias, norms N or 2·N, activations and"
        " pooling 1 per element"
    ),
    table=rest(
        {
            "conv": MACS_BIAS,
            "conv_transpose": MACS_BIAS,
            "linear": MACS_BIAS,
            "matmul": MACS,
            "attention": F("MACs of QKᵀ and PV (the torch.matmul calls of an unfused attention)", lambda s: s.macs),
            "batchnorm": F("2·N (N without affine)", _norm),
            "instancenorm": F("2·N (N without affine)", _norm),
            "groupnorm": F("2·N (N without affine)", _norm),
            "layernorm": F("N: LayerNorm has no `affine` attribute, so the doubling never applies", lambda s: s.inp),
            **dict.fromkeys(("relu", "relu6", "leaky_relu", "prelu", "elu", "gelu", "silu", "softmax"), OUT),
            **dict.fromkeys(("maxpool", "avgpool", "global_avgpool", "global_maxpool"), IN),
            "upsample": OUT,
            "recurrent": F("(G·H·I + G·H·H + extra·H + 2·G·H bias)·N·T·D; extra RNN 1, GRU 7, LSTM 10", _rnn),
        },
        _ZERO,
    ),
    notes=(
        "x + y and x * y call Tensor.__add__/__mul__, which ptflops does not patch (only torch.add, "
        "torch.mul): an ONNX Add or Mul counts 0.",
        "Sigmoid, Tanh, Hardswish, Einsum have no hook: 0.",
    ),
)

PROFILE_ATEN = Profile(
    name="ptflops-aten",
    tool="ptflops 0.7.6.dev aten backend (sovrasov/flops-counter.pytorch commit d612c75: ptflops/aten_ops.py)",
    columns=("macs",),
    summary="ptflops MACs (aten backend): mm, matmul, addmm, bmm and convolution only; conv and addmm bias counted",
    table=rest(
        {
            "conv": MACS_BIAS,
            "conv_transpose": MACS_BIAS,
            "linear": MACS_BIAS,
            "matmul": MACS,
            "einsum": F("MACs (torch.einsum dispatches to bmm)", lambda s: s.macs),
            "attention": F("MACs of QKᵀ and PV when the math path's bmm runs", lambda s: s.macs),
        },
        Ignored("0: not in ATEN_OPS_MAPPING"),
        skip=("recurrent",),
    ),
)
