"""torchvision's weight metadata: ``_ops`` (the GFLOPS column of its model tables).

Computed once per model by the script of pytorch/vision PR #6936 (2022-11): a
TorchDispatchMode counter over aten convolution, mm, addmm, bmm and matmul that counts
one per multiply-accumulate (bias, normalization, activations, pooling, elementwise: 0),
divided by 1e9 and rounded to 3 decimals. ``num_params`` sums ``model.parameters()``.
"""

from __future__ import annotations

from onnx_cost.views.conventions.engine import Ignored, Profile
from onnx_cost.views.conventions.profiles._common import MACS, rest

_ZERO = Ignored("0")  # only contractions count

PROFILE = Profile(
    name="torchvision",
    tool="torchvision weights metadata `_ops` (pytorch/vision PR #6936; models/*.py, 0.15+)",
    columns=("macs",),
    summary="torchvision GFLOPS: multiply-accumulates of conv, linear, matmul and attention only",
    table=rest(
        {
            "conv": MACS,
            "conv_transpose": MACS,
            "linear": MACS,
            "matmul": MACS,
            "einsum": MACS,
            "attention": MACS,
        },
        _ZERO,
        skip=("recurrent",),
    ),
    notes=(
        "Published values are these MACs / 1e9, rounded to 3 decimals: resnet18 1.814, resnet50 4.089, "
        "mobilenet_v2 0.301, vit_b_16 17.564.",
        "num_params excludes BatchNorm running mean and variance (buffers), which the ONNX file stores.",
    ),
)
