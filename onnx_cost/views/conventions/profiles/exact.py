"""onnx-cost's own counting (docs/counting.md), as a profile so that it sits in the
same tables as the peers: every node's exact FLOPs and MACs, every stored weight."""

from __future__ import annotations

from onnx_cost.views.conventions.engine import F, Profile
from onnx_cost.views.conventions.profiles._common import rest

_EXACT = F("exact FLOPs and MACs of docs/counting.md", lambda s: (s.rec.cost.flops, s.rec.cost.macs))

PROFILE = Profile(
    name="exact",
    tool="onnx-cost",
    columns=("flops", "macs"),
    summary="exact counts of docs/counting.md",
    table=rest({}, _EXACT),  # movement too: a training Dropout does arithmetic
    params="stored",
    patterns=False,
)
