"""thop (pytorch-OpCounter) ``profile``: forward hooks on nn.Module types, "MACs".

thop/profile.py ``register_hooks`` and thop/vision/basic_hooks.py, calc_func.py: Conv*d and
ConvTranspose*d ``∏out·(Cin/g)·∏K`` (no bias; the transposed conv over its OUTPUT extent,
like a plain conv), Linear ``in_features·∏out`` (no bias), BatchNorm/LayerNorm/InstanceNorm
``2·N`` doubled with affine, PReLU ``N``, Softmax ``rows·(3·D − 1)``, AvgPool ``∏out``,
AdaptiveAvgPool ``(∏in/∏out + 1)·∏out`` per channel, Upsample nearest 1, linear 5, bilinear
11, bicubic 259, trilinear 31 per output element; ReLU, ReLU6, LeakyReLU (count_relu returns 0),
MaxPool, AdaptiveMaxPool, Dropout 0. Functional calls (torch.matmul, x + y) are not modules:
0. Modules without a rule (GroupNorm, ELU, GELU, SiLU, Sigmoid, MultiheadAttention...) are 0
("Cannot find rule").
"""

from __future__ import annotations

from onnx_cost.views.conventions.engine import Entry, F, Ignored, NotHandled, Profile, Unsupported
from onnx_cost.views.conventions.profiles._common import MACS, OUT, rest, softmax_rows, transposed_conv_over_output
from onnx_cost.views.conventions.site import Site

_LINEAR = {3: 5, 4: 11, 5: 31}  # per output element, by input rank: linear, bilinear, trilinear


def _norm(s: Site) -> int:
    return 2 * s.inp * (2 if s.affine else 1)


def _softmax(s: Site) -> int:
    rows = softmax_rows(s)
    return 3 * s.inp - rows  # rows·(D + (D − 1) + D)


def _adaptive_avg(s: Site) -> int:
    return s.inp + s.out  # (∏in/∏out + 1)·∏out, exact when the output divides the input


def _upsample(s: Site) -> int:
    mode = s.resize_mode
    if mode == "cubic":
        return 259 * s.out  # 224 to solve A + 35 to evaluate p
    if mode == "linear":
        return _LINEAR.get(len(s.shape(0)), 0) * s.out
    return s.out


_FUNCTIONAL = Ignored("0: a functional call, not an nn.Module thop hooks")

_NN = "torch.nn.modules."
# family -> the module classes thop registers for it (``register_hooks``, matched by exact type)
HOOKED: dict[str, tuple[str, ...]] = {
    "conv": tuple(f"{_NN}conv.Conv{d}d" for d in (1, 2, 3)),
    "conv_transpose": tuple(f"{_NN}conv.ConvTranspose{d}d" for d in (1, 2, 3)),
    "linear": (f"{_NN}linear.Linear",),
    "batchnorm": (*(f"{_NN}batchnorm.BatchNorm{d}d" for d in (1, 2, 3)), f"{_NN}batchnorm.SyncBatchNorm"),
    "layernorm": (f"{_NN}normalization.LayerNorm",),
    "instancenorm": tuple(f"{_NN}instancenorm.InstanceNorm{d}d" for d in (1, 2, 3)),
    "prelu": (f"{_NN}activation.PReLU",),
    "softmax": (f"{_NN}activation.Softmax",),
    "avgpool": tuple(f"{_NN}pooling.AvgPool{d}d" for d in (1, 2, 3)),
    "global_avgpool": tuple(f"{_NN}pooling.AdaptiveAvgPool{d}d" for d in (1, 2, 3)),
    "upsample": tuple(f"{_NN}upsampling.{c}" for c in ("Upsample", "UpsamplingBilinear2d", "UpsamplingNearest2d")),
}


def _hooked(family: str, f: F) -> F:
    """``f``, applied only where thop would run it: when the exporter recorded the node's
    module, that module's class must be one thop registers (a subclass is not: thop looks
    its type up exactly); otherwise the node counts 0 and its module is named."""

    def fn(s: Site) -> int | tuple[int, ...]:
        if s.module and s.module not in HOOKED[family]:
            raise NotHandled(s.module, name=s.module.rsplit(".", 1)[-1])
        return f.fn(s)

    return F(f.doc, fn)

def _table(entries: dict[str, Entry]) -> dict[str, Entry]:
    return {f: _hooked(f, e) if f in HOOKED and isinstance(e, F) else e for f, e in entries.items()}


PROFILE = Profile(
    name="thop",
    tool=(
        "thop 0.1.1 (Lyken17/pytorch-OpCounter commit 43c064a: thop/profile.py,"
        " thop/vision/basic_hooks.py, calc_func.py)"
    ),
    columns=("macs",),
    summary=(
        "thop MACs: module hooks; conv and linear MACs without bias, norms 2·N (4·N affine), ReLU and"
        " pooling max 0"
    ),
    table=_table(rest(
        {
            "conv": MACS,
            "conv_transpose": F("∏out·(Cin/g)·∏K: over the OUTPUT extent, as a conv", transposed_conv_over_output),
            "linear": F("in_features·∏out (no bias)", lambda s: s.macs),
            "matmul": _FUNCTIONAL,
            "einsum": _FUNCTIONAL,
            "batchnorm": F("2·N, doubled with affine: 4·N", _norm),
            "layernorm": F("2·N, doubled with elementwise_affine: 4·N", _norm),
            "instancenorm": F("2·N, doubled with affine: 4·N", _norm),
            "relu": Ignored("0: zero_ops"),
            "relu6": Ignored("0: zero_ops"),
            "leaky_relu": Ignored("0: count_relu returns 0"),
            "prelu": F("N (input elements)", lambda s: s.inp),
            "softmax": F("rows·(3·D − 1): D exp, D − 1 add, D div per row", _softmax),
            "maxpool": Ignored("0: zero_ops"),
            "global_maxpool": Ignored("0: zero_ops"),
            "avgpool": OUT,
            "global_avgpool": F("(∏in/∏out + 1)·∏out = input + output elements", _adaptive_avg),
            "upsample": F("per output element: nearest 1, linear 5, bilinear 11, trilinear 31, bicubic 259", _upsample),
            "elementwise": _FUNCTIONAL,
            "reduce": _FUNCTIONAL,
            "movement": Ignored("0"),
            "other": _FUNCTIONAL,
        },
        Unsupported("0: no rule for the module (\"Cannot find rule\")"),
        skip=("recurrent",),
    )),
    notes=(
        "thop counts a module only when its type is exactly a registered one: subclasses of "
        "nn.Linear (MultiheadAttention's out_proj) count 0 in PyTorch; an ONNX export cannot show that.",
        "Params: thop adds the parameters of the modules it has a rule for.",
    ),
)
