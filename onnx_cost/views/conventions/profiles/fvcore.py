"""fvcore's ``FlopCountAnalysis`` (and mmengine's ``get_model_complexity_info``, which
copies its handles): one "flop" per multiply-accumulate.

Handles (fvcore/nn/flop_count.py ``_DEFAULT_SUPPORTED_OPS``, jit_handles.py): addmm, linear,
matmul, mm, bmm, einsum, _convolution count MACs without bias; batch_norm 2·N at inference
(1·N without affine; training 5·N), group_norm, layer_norm, instance_norm 5·N with affine
(4·N without: "5 is just a rough estimate"); upsample_nearest2d 1 and upsample_bilinear2d 4
per output element; adaptive_avg_pool2d 1 per input element. ``_IGNORED_OPS`` (relu, shape
and copy ops) are 0 silently; every other op is 0 and named as an unsupported operator.
"""

from __future__ import annotations

from onnx_cost.views.conventions.engine import F, Ignored, NotHandled, Profile, Unsupported
from onnx_cost.views.conventions.profiles._common import IN, MACS, rest, training_bn
from onnx_cost.views.conventions.site import Site


def _bn(s: Site) -> int:
    if training_bn(s):
        return 5 * s.inp
    return 2 * s.inp if s.affine else s.inp


def _norm(s: Site) -> int:
    return (5 if s.affine else 4) * s.inp


def _einsum(s: Site) -> int:
    # numpy's einsum_path "optimized flop" halved: a contraction is its MACs; a product
    # that sums no index counts 1 flop per element, so half an element each.
    return s.macs if s.macs else s.rec.cost.arith // 2


def _upsample(s: Site) -> int:
    mode, rank = s.resize_mode, len(s.shape(0))
    if rank == 4 and mode == "nearest":  # aten::upsample_nearest2d
        return s.out
    if rank == 4 and mode == "linear":  # aten::upsample_bilinear2d
        return 4 * s.out
    raise NotHandled(mode)  # nearest1d/3d, linear1d, trilinear, bicubic: no handle


def _other(s: Site) -> int:
    if s.rec.op_type == "GridSample":  # aten::grid_sampler, "assume bilinear"
        return 4 * s.out
    raise NotHandled(s.rec.op_type)


PROFILE = Profile(
    name="fvcore",
    tool=(
        "fvcore 0.1.6 (facebookresearch/fvcore commit 3378afe: fvcore/nn/flop_count.py, jit_handles.py,"
        " jit_analysis.py)"
    ),
    columns=("flops",),
    summary=(
        "fvcore flops: 1 per multiply-accumulate; its norm, upsample and adaptive-pool handles; the rest"
        " unsupported"
    ),
    table=rest(
        {
            "conv": MACS,
            "conv_transpose": F("MACs over the input extent (no bias)", lambda s: s.macs),
            "linear": MACS,
            "matmul": MACS,
            "einsum": F("MACs (a product summing no index: elements / 2)", _einsum),
            "attention": F("MACs of QKᵀ and PV, as the bmm/matmul of an unfused export", lambda s: s.macs),
            "batchnorm": F("2·N (1·N without affine; training 5·N), N = input elements", _bn),
            "layernorm": F("5·N with affine, 4·N without", _norm),
            "groupnorm": F("5·N with affine, 4·N without", _norm),
            "instancenorm": F("5·N with affine, 4·N without", _norm),
            "global_avgpool": IN,
            "upsample": F("nearest 1, bilinear 4 per output element; other modes unsupported", _upsample),
            "relu": Ignored("0: aten::relu is in _IGNORED_OPS"),
            "other": F("GridSample 4 per output element; every other op unsupported", _other),
            "movement": Ignored("0: in _IGNORED_OPS or no arithmetic"),
        },
        Unsupported(),
    ),
    notes=(
        "mmengine.analysis follows these handles (its jit_handles.py is modified from fvcore's).",
        "fvcore has no handle for aten::scaled_dot_product_attention: a PyTorch model that calls it "
        "counts 0 there, while an ONNX export spells it as MatMul nodes, which fvcore's matmul handle counts.",
    ),
)
