"""PyTorch's own counter, ``torch.utils.flop_counter.FlopCounterMode``.

Formulas registered per aten op (torch/utils/flop_counter.py): mm, addmm, bmm, baddbmm
``2·m·n·k`` (the bias of addmm is not counted; "should be 2k − 1 technically" says the
source), convolution ``2·N·∏out·Cout·(Cin/g)·∏K`` (transposed: over the input extent),
scaled-dot-product attention ``2·(QKᵀ + PV)``. Every other op is 0, silently.
"""

from __future__ import annotations

from onnx_cost.views.conventions.engine import Ignored, Profile
from onnx_cost.views.conventions.profiles._common import TWO_MACS, rest

_ZERO = Ignored("0")  # no formula registered

PROFILE = Profile(
    name="torch",
    tool="torch.utils.flop_counter (pytorch/pytorch torch/utils/flop_counter.py, commit 0140b62)",
    columns=("flops",),
    summary="torch.utils.flop_counter FLOPs: 2 per multiply-accumulate of contractions and attention, nothing else",
    table=rest(
        {
            "conv": TWO_MACS,
            "conv_transpose": TWO_MACS,
            "linear": TWO_MACS,
            "matmul": TWO_MACS,
            "einsum": TWO_MACS,
            "attention": TWO_MACS,
        },
        _ZERO,
        skip=("recurrent",),
    ),
    notes=("An einsum that sums no index is an elementwise product (aten.mul): 0.",),
)
