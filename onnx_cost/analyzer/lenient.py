"""Inputs the ONNX spec refuses but onnxruntime runs: counted as the runtime computes
them, each kind named in one warning that cites the spec."""

from __future__ import annotations

from collections.abc import Sequence

from onnx_cost.errors import printable
from onnx_cost.model.report import COUNTED, NOT_TAKEN, NodeRecord


def _stft_rank2(r: NodeRecord) -> bool:
    sig = r.inputs[0] if r.inputs else None
    return r.op_type == "STFT" and r.domain == "" and sig is not None and len(sig) == 2


# (the op it concerns, what to look for in its records, what the warning says of it)
_LENIENT = (
    ("STFT", _stft_rank2,
     "STFT with a rank-2 signal [batch, length]: the ONNX spec (STFT, opset 17) requires rank 3 "
     "[batch, length, 1 or 2]; counted as onnxruntime runs it, a real signal [batch, length, 1]"),
)


def lenient_warnings(records: Sequence[NodeRecord]) -> list[str]:
    """One warning per kind of spec-invalid, runtime-accepted input the counted nodes have."""
    out = []
    for op, match, what in _LENIENT:  # the op first: one comparison for every other node
        names = [r.name or r.op_type for r in records
                 if r.op_type == op and r.status == COUNTED and r.branch != NOT_TAKEN and match(r)]
        if names:
            more = f" and {len(names) - 3} more" if len(names) > 3 else ""
            shown = ", ".join(printable(n, 60) for n in names[:3]) + more
            out.append(f"{what} ({len(names)} node(s): {shown})")
    return out
