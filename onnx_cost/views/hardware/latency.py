"""Which latency the hardware view's data holds: its prediction (``predicted_s``) when it
has one, else its roofline floor (``floor_s``). ``check`` budgets and ``diff --device``
read it here, so that both say the same."""

from __future__ import annotations

from typing import Any

PREDICTED, FLOOR = "predicted_s", "floor_s"


def latency_source(data: Any) -> str:
    """The key of ``views.hardware.data`` to read the model's latency from."""
    return PREDICTED if isinstance(data, dict) and data.get(PREDICTED) is not None else FLOOR
