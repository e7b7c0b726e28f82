"""calflops ``calculate_flops``: MACs and FLOPs from patched torch.nn.functional calls.

calflops/pytorch_ops.py: F.conv*d ``FLOPs = 2·MACs + Cout·∏out`` (bias), ``MACs`` as
ptflops; F.linear ``FLOPs = 2·MACs`` (the bias is not counted); torch.matmul ``2·MACs``;
torch.addmm ``2·MACs + ∏C``; torch.einsum numpy's optimized flop count as FLOPs, MACs 0;
F.batch_norm 2·N (N without affine, training 5·N), F.layer_norm, F.group_norm,
F.instance_norm 5·N (4·N without affine) FLOPs; F.relu, prelu, elu, leaky_relu, silu, gelu,
softmax 1 FLOP per input element; every pooling 1 FLOP per input element;
F.interpolate ``∏size`` when given a size (the spatial size only), the input elements when
given a scale (the product with the scale is computed and dropped); RNN hooks count
``2·W − gates`` per weight matrix plus gate arithmetic. MACs of everything but
conv/linear/matmul/addmm are 0. nn.ReLU6 calls F.hardtanh, which is not patched: 0.
"""

from __future__ import annotations

from collections.abc import Callable
from math import prod

from onnx_cost.views.conventions.engine import F, Ignored, Profile
from onnx_cost.views.conventions.profiles._common import rest, rnn_gates, training_bn
from onnx_cost.views.conventions.site import Site

_EXTRA = {1: 1, 3: 7, 4: 10}


def _flops_only(n: int) -> tuple[int, int]:
    return 0, n


def _bn(s: Site) -> tuple[int, int]:
    if training_bn(s):
        return _flops_only(5 * s.inp)
    return _flops_only((2 if s.affine else 1) * s.inp)


def _norm(s: Site) -> tuple[int, int]:
    return _flops_only((5 if s.affine else 4) * s.inp)


def _upsample(s: Site) -> tuple[int, int]:
    if s.resize_by_sizes:
        return _flops_only(prod(s.out_shape[2:]))
    return _flops_only(s.inp)


def _einsum(s: Site) -> tuple[int, int]:
    return _flops_only(2 * s.macs if s.macs else s.rec.cost.arith)


def _rnn(s: Site) -> tuple[int, int]:
    d, g, h, i, nt = rnn_gates(s)
    bias = 2 * g * h if len(s.rec.input_names) > 3 and s.rec.input_names[3] else 0
    per = (2 * g * h * i - g * h) + (2 * g * h * h - g * h) + _EXTRA[g] * h + bias
    return _flops_only(per * nt * d)


def _two(s: Site) -> tuple[int, int]:
    return s.macs, 2 * s.macs


def _pair(doc: str, fn: Callable[[Site], tuple[int, int]]) -> F:
    return F(doc, fn)


_IN = _pair("MACs 0, FLOPs = input elements", lambda s: _flops_only(s.inp))

PROFILE = Profile(
    name="calflops",
    tool="calflops (MrYxJ/calculate-flops.pytorch commit 29ca584: calflops/pytorch_ops.py)",
    columns=("macs", "flops"),
    summary=(
        "calflops MACs and FLOPs: conv FLOPs 2·MACs + bias, linear 2·MACs, norms 2·N or 5·N, activations"
        " and pooling 1 per element"
    ),
    table=rest(
        {
            "conv": _pair("MACs; FLOPs = 2·MACs + bias", lambda s: (s.macs, 2 * s.macs + s.bias)),
            "conv_transpose": _pair("MACs; FLOPs = 2·MACs + bias", lambda s: (s.macs, 2 * s.macs + s.bias)),
            "linear": _pair("MACs; FLOPs = 2·MACs (bias not counted)", lambda s: (s.macs, 2 * s.macs)),
            "matmul": _pair("MACs; FLOPs = 2·MACs", _two),
            "attention": _pair("MACs; FLOPs = 2·MACs (the torch.matmul calls of QKᵀ and PV)", _two),
            "einsum": _pair("MACs 0; FLOPs = numpy's optimized count, 2·MACs", _einsum),
            "batchnorm": _pair("MACs 0; FLOPs 2·N (N without affine, training 5·N)", _bn),
            "layernorm": _pair("MACs 0; FLOPs 5·N (4·N without affine)", _norm),
            "groupnorm": _pair("MACs 0; FLOPs 5·N (4·N without affine)", _norm),
            "instancenorm": _pair("MACs 0; FLOPs 5·N (4·N without affine)", _norm),
            **dict.fromkeys(("relu", "leaky_relu", "prelu", "elu", "gelu", "silu", "softmax"), _IN),
            **dict.fromkeys(("maxpool", "avgpool", "global_avgpool", "global_maxpool"), _IN),
            "relu6": Ignored("0: nn.ReLU6 calls F.hardtanh, which calflops does not patch"),
            "upsample": _pair("MACs 0; FLOPs ∏(output spatial) given sizes, input elements given scales", _upsample),
            "recurrent": _pair("MACs 0; FLOPs (2·W − gates per weight matrix + extra·H + bias)·N·T·D", _rnn),
        },
        Ignored("0: no patched function"),
    ),
    notes=("x + y calls Tensor.__add__, not the patched torch.add: an ONNX Add counts 0.",),
)
