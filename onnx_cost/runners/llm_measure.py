"""``onnx-cost llm --measure``: one decode step run with onnxruntime on this CPU (optional
extra ``onnx-cost[runtime]``), its median latency beside the bytes it moves.

The feeds are the decode step's bound shapes (hardware.measure.random_inputs) with the
attention mask all ones and optimum's use_cache_branch true.
"""

from __future__ import annotations

import statistics
import time
from typing import TYPE_CHECKING, Any

from onnx_cost.runners.measure import MeasureError, _ort, check_weights, random_inputs
from onnx_cost.views.llm.result import Ideal, Measured

if TYPE_CHECKING:
    from onnx_cost.analyzer import Prepared
    from onnx_cost.model.report import Report
    from onnx_cost.views.hardware.devices import Device

WARMUP, REPEATS = 3, 20


def measure_decode(src: Prepared, m: Any, report: Report, ideal: Ideal, device: Device) -> Measured:
    """Median seconds of the decode step of ``src`` (``m``: core._Model) with onnxruntime."""
    import numpy as np

    ort = _ort()
    feeds = random_inputs(report)
    roles = m.roles
    if roles.merged_flag:
        flag = next(v for v in src.proto.graph.input if v.name == roles.merged_flag)
        dims = [d.dim_value or 1 for d in flag.type.tensor_type.shape.dim]
        feeds[roles.merged_flag] = np.ones(dims, dtype=bool)
    for name, arr in list(feeds.items()):
        if "mask" in name.lower():
            feeds[name] = np.ones_like(arr)
    if src.path != "<in-memory>":
        check_weights(src.path)
        what: Any = src.path
    else:
        what = src.proto.SerializeToString()
    try:
        sess = ort.InferenceSession(what, providers=["CPUExecutionProvider"])
        for _ in range(WARMUP):
            sess.run(None, feeds)
        times = []
        for _ in range(REPEATS):
            t0 = time.perf_counter()
            sess.run(None, feeds)
            times.append(time.perf_counter() - t0)
    except Exception as e:  # onnxruntime refused the model: its verdict, one line
        raise MeasureError(f"--measure: onnxruntime cannot run the model ({str(e).splitlines()[0][:300]})") from None
    t = statistics.median(times)
    bw = device.bandwidth_bytes_per_s
    achieved, ideal_rate = ideal.as_written_bytes / t, ideal.ideal_bytes / t
    return Measured(
        latency_s=t, runs=REPEATS, onnxruntime=ort.__version__, achieved_bytes_per_s=achieved,
        ideal_bytes_per_s=ideal_rate, bandwidth_bytes_per_s=bw, mbu=ideal_rate / bw if bw else None,
        mbu_as_written=achieved / bw if bw else None,
    )
