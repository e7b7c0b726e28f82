"""The roofline formulas over all nodes at once, column by column with numpy.

One pass of list comprehensions pulls the numbers out of the records, numpy does the
arithmetic: the hardware view must stay within 5 % of the analysis of a 5,000-node
model (docs/performance.md), and a Python loop doing the same per node does not.
The formulas are docs/hardware.md's: floor = max(ops / peak, bytes / bandwidth),
attainable = min(peak, intensity · bandwidth), bound = whichever term is larger.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from onnx_cost.views.hardware.devices import Device

if TYPE_CHECKING:
    from onnx_cost.model.report import NodeRecord

BOUNDS = ("compute", "memory", "unknown")
_COST, _WEIGHT, _NAME, _OP_TYPE, _SCOPE = map(attrgetter, ("cost", "weight", "name", "op_type", "scope"))


def _none(values: list[float]) -> list[float | None]:
    return [None if v != v else v for v in values]  # NaN -> None (v != v only for NaN)


def _floats(values: Sequence[float]) -> Any:
    """``values`` as a float64 array, each as float(v) (numpy rounds ints the same way, in C);
    counts past 2^1024 as +-inf (text.to_float) where numpy refuses them."""
    import numpy as np

    try:
        return np.array(values, dtype=np.float64)
    except OverflowError:
        from onnx_cost.text import to_float  # here: importing the analyzer at start would load onnx

        return np.array([to_float(x) for x in values], dtype=np.float64)


def columns(
    recs: Sequence[NodeRecord], device: Device, peak_of: Callable[[NodeRecord, bool], tuple[str, str, float | None]]
) -> dict[str, Any]:
    """NodeRoof's fields as columns (lists) for ``recs``; ``peak_of(rec, contraction)``
    gives (precision, peak used, op/s) and is called once per distinct key."""
    import numpy as np

    costs = list(map(_COST, recs))  # (attrgetter: the attribute read in C, no loop of bytecode)
    ws = list(map(_WEIGHT, recs))
    ops = [(c.flops + c.int_ops) * w for c, w in zip(costs, ws)]
    nbytes = [((c.read_bytes or 0) + (c.write_bytes or 0)) * w for c, w in zip(costs, ws)]
    keys = [(r.precision, r.dtype, c.int_macs > 0, c.macs > 0) for r, c in zip(recs, costs)]
    # one record per distinct key (the key determines precision and peak)
    memo = {k: peak_of(r, k[3]) for k, r in dict(zip(keys, recs)).items()}
    info = list(map(memo.__getitem__, keys))
    precs, used, peaks = (list(c) for c in zip(*info)) if info else ([], [], [])
    o = _floats(ops)
    b = _floats(nbytes)
    p = np.array(peaks, dtype=np.float64)  # None -> NaN
    bw = device.bandwidth_bytes_per_s or np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        tc = o / p  # NaN where the device has no figure
        tm = b / bw  # NaN without a bandwidth
        intensity = np.where(b > 0, o / b, np.where(o > 0, np.nan, 0.0))
        attainable = np.where(b > 0, np.minimum(p, intensity * bw), p)
    attainable = np.where(np.isnan(attainable) & ~np.isnan(p), p, attainable)  # no bandwidth: the peak
    unknown = ((o > 0) & np.isnan(tc)) | ((b > 0) & np.isnan(tm))
    tc0, tm0 = np.nan_to_num(tc), np.nan_to_num(tm)
    bound = np.where(unknown, 2, np.where(tc0 > tm0, 0, 1))
    return {
        "name": list(map(_NAME, recs)),
        "op_type": list(map(_OP_TYPE, recs)),
        "scope": list(map(_SCOPE, recs)),
        "precision": precs,
        "peak_used": used,
        "ops": ops,
        "bytes": nbytes,
        "intensity": _none(intensity.tolist()),
        "peak": peaks,
        "attainable": _none(attainable.tolist()),
        "bound": [BOUNDS[k] for k in bound.tolist()],
        "floor_s": np.maximum(tc0, tm0).tolist(),
    }


def sum_by(keys: Sequence[Any], values: Sequence[float]) -> dict[Any, float]:
    """Sum of ``values`` per distinct key, keys in first-seen order."""
    import numpy as np

    if not keys:
        return {}
    index = {k: i for i, k in enumerate(dict.fromkeys(keys))}  # first-seen order
    codes = np.fromiter(map(index.__getitem__, keys), dtype=np.intp, count=len(keys))
    sums = np.bincount(codes, weights=_floats(values), minlength=len(index))
    return dict(zip(index, sums.tolist()))
