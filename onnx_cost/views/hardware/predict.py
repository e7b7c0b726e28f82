"""Floor and predicted latency of a model on a device, kernel by kernel.

``floor``: a lower bound. Per kernel (fused as onnxruntime fuses, ``fusion``),
``max(ops / peak, boundary bytes / bandwidth)`` with the fastest figures the device has
shown: the peak at the kernel's precision, and for a working set that fits the
last-level cache the cache's bandwidth (no memory term when that is unknown). No
dispatch cost. ``predicted``: the calibrated estimate, ``run + Σ (dispatch + amount /
rate(class, amount))`` with the efficiency table of the device (``efficiency``); a
device without a calibration gets generic fractions and a range, labelled uncalibrated.
docs/hardware.md gives every assumption and the validation behind the band.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from onnx_cost.views._gc import paused_gc
from onnx_cost.views.hardware.efficiency import (
    COMPUTE,
    Efficiency,
    amount,
    curve_size,
    default_efficiency,
    input_projection_ops,
    kernel_class,
)
from onnx_cost.views.hardware.fusion import Kernel, kernels
from onnx_cost.views.hardware.roofline import _COUNTED_STATES, node_precision, pick_peak

if TYPE_CHECKING:
    from onnx_cost.model.report import Report
    from onnx_cost.views.hardware.devices import Device


@dataclass(slots=True)
class KernelTime:
    kernel: Kernel
    cls: str
    precision: str
    floor_s: float
    predicted_s: float
    compute_s: float  # ops / peak
    memory_s: float  # bytes / bandwidth (the cache's when the working set fits it and the figure is known)
    bound: str  # "compute", "memory" or "overhead" (dispatch at least the work)
    layout_s: float = 0.0  # of predicted_s: the layout transposes the runtime adds around it


@dataclass
class Prediction:
    """The model's floor and prediction, per kernel and in total, and the answers built on them."""

    floor_s: float
    predicted_s: float
    low_s: float  # the band: predicted / (1 + band) ... predicted * (1 + band)
    high_s: float
    band: float | None  # None: calibrated but not validated
    calibrated: bool
    run_s: float
    kernels: list[KernelTime]
    skipped: int
    by_bound: dict[str, float] = field(default_factory=dict)
    by_op_type: dict[str, float] = field(default_factory=dict)
    by_scope: dict[str, float] = field(default_factory=dict)
    by_class: dict[str, float] = field(default_factory=dict)
    opportunities: list[dict[str, Any]] = field(default_factory=list)

    @property
    def verdict(self) -> tuple[str, float]:
        """The bound holding the largest share of the predicted time, and that share."""
        t = self.predicted_s or 1.0
        if not self.by_bound:
            return "unknown", 0.0
        b, v = max(self.by_bound.items(), key=lambda kv: kv[1])
        return b, v / t

    def per_node(self) -> dict[str, tuple[float, float, str]]:
        """Node name -> (predicted_s, floor_s, the head it is fused into or "")."""
        out: dict[str, tuple[float, float, str]] = {}
        for kt in self.kernels:
            head = kt.kernel.head.name
            for m in kt.kernel.members:
                if m is kt.kernel.head:
                    out[m.name] = (kt.predicted_s, kt.floor_s, "")
                else:
                    out[m.name] = (0.0, 0.0, head)
        return out


def efficiency_of(device: Device) -> Efficiency:
    eff = getattr(device, "efficiency", None)
    if eff is not None:
        return eff
    gpu = any(p in device.peaks for p in ("fp16", "bf16", "tf32")) and "cpu" not in device.name.lower()
    return default_efficiency(device.peak("fp32"), device.peak("int8"), device.bandwidth_bytes_per_s, gpu)


def _scope(r: Any, depth: int) -> str:
    return "/".join(r.scope_path[:depth]) or "(top level)"


@paused_gc
def predict(report: Report, device: Device, *, tf32: bool = False, depth: int = 1,
            records: Sequence[Any] | None = None) -> Prediction:
    """The floor and the prediction of ``report`` on ``device``."""
    recs = [r for r in (records if records is not None else report.nodes)
            if r.status in _COUNTED_STATES and r.weight]
    skipped = len(report.nodes) - len([r for r in report.nodes if r.status in _COUNTED_STATES])
    eff = efficiency_of(device)
    bw = device.bandwidth_bytes_per_s
    cache = device.cache.value if device.cache else None
    cache_bw: float | None = eff.info.get("cache_bandwidth") if eff.calibrated else None
    times: list[KernelTime] = []
    ks = kernels(report, recs)
    # weights, graph inputs and graph outputs (a KV cache read and written back) stay hot
    # between runs only if they all fit the cores' private caches: else each run streams
    # them from beyond those caches
    hot = eff.info.get("hot_cache") if eff.calibrated else None
    stream = eff.info.get("stream_bandwidth") if eff.calibrated else None
    total_streamed = sum(k.weight_bytes + k.io_bytes for k in ks if not k.folded)
    by_footprint = eff.info.get("stream_points") if eff.calibrated else None
    if by_footprint is not None:  # the rate the calibration saw at this run's footprint
        stream = by_footprint.rate(total_streamed)
    cold = bool(hot and stream and total_streamed > float(hot))
    peaks: dict[tuple[str, bool], float | None] = {}  # one lookup per (precision, compute class)
    for k in ks:
        cls = kernel_class(k)
        prec = k.precision or node_precision(k.head)
        if k.folded:
            times.append(KernelTime(k, cls, prec, 0.0, 0.0, 0.0, 0.0, "folded"))
            continue
        pk = (prec, cls in COMPUTE)
        peak = peaks[pk] if pk in peaks else peaks.setdefault(pk, pick_peak(device, prec, pk[1], tf32)[1])
        moved = 0.0 if cls == "view" else (k.bytes if cls in COMPUTE else amount(k, cls))
        compute_s = k.ops / peak if peak else 0.0
        # the bound's memory term: at the cache's bandwidth when the working set fits it and
        # the device has that figure (calibrated), else at DRAM's
        if cache is not None and moved <= cache and cache_bw:
            memory_s = moved / cache_bw
        else:
            memory_s = moved / bw if bw else 0.0
        # the floor's memory term: DRAM unless the working set fits the cache
        if cache is not None and moved <= cache:
            mem_floor = moved / cache_bw if cache_bw else 0.0
        else:
            mem_floor = moved / bw if bw else 0.0
        floor = max(compute_s, mem_floor)
        streamed = k.weight_bytes + k.io_bytes if cold else 0.0  # from (and to) beyond the caches
        w_cold = streamed / float(stream) if streamed and stream else 0.0
        if cls == "view":
            work = 0.0
        elif cls in COMPUTE and k.ops > 0:
            pre = input_projection_ops(k) if cls == "recurrent" else 0.0  # one GEMM before the steps
            pre_rate = eff.rate("gemm", pre) if pre else None
            rate = eff.rate(cls, curve_size(k, cls))
            if pre and pre_rate and rate:
                work = max(pre / pre_rate + (k.ops - pre) / rate, w_cold)
            else:
                work = max(k.ops / rate if rate else compute_s, w_cold)
        else:
            size = amount(k, cls)
            rate = eff.rate(cls, size) or eff.rate("elementwise", size)
            hot_part = size - (streamed if w_cold else 0.0)
            work = (hot_part / rate if rate and hot_part > 0 else 0.0) + w_cold
            if rate:  # cold data slows a kernel down, never speeds it past its own rate
                work = max(work, size / rate)
        pred = max(eff.dispatch_s * (1 + k.extra_kernels) + work, floor)  # never below the floor
        if eff.dispatch_s >= work:
            bound = "overhead"
        else:
            bound = "compute" if compute_s > memory_s else "memory"
        times.append(KernelTime(k, cls, prec, floor, pred, compute_s, memory_s, bound))
    _layout_transposes(report, times, eff)
    floor_s = sum(t.floor_s for t in times)
    predicted = eff.run_s + sum(t.predicted_s for t in times)
    band = eff.band
    lo, hi = (predicted / (1 + band), predicted * (1 + band)) if band else (predicted, predicted)
    p = Prediction(floor_s, predicted, max(lo, floor_s), hi, band, eff.calibrated, eff.run_s, times, skipped)
    by_bound: dict[str, float] = {"overhead": eff.run_s} if eff.run_s else {}
    scopes: dict[tuple[str, ...], str] = {}  # module path -> its key at ``depth``, made once per path
    for t in times:
        if t.bound == "folded":
            continue
        by_bound[t.bound] = by_bound.get(t.bound, 0.0) + t.predicted_s
        label = t.kernel.head.op_type if not t.kernel.fusion or t.kernel.fusion == "constant_folding" else (
            "+".join(dict.fromkeys(m.op_type for m in t.kernel.members)))
        p.by_op_type[label] = p.by_op_type.get(label, 0.0) + t.predicted_s
        path = t.kernel.head.scope_path
        s = scopes.get(path) or scopes.setdefault(path, _scope(t.kernel.head, depth))
        p.by_scope[s] = p.by_scope.get(s, 0.0) + t.predicted_s
        p.by_class[t.cls] = p.by_class.get(t.cls, 0.0) + t.predicted_s
    p.by_bound = by_bound
    p.opportunities = opportunities(times, eff)
    return p


def _layout_transposes(report: Report, times: list[KernelTime], eff: Efficiency) -> None:
    """onnxruntime runs an integer convolution in NHWC on x86 (nhwc_transformer.cc): a
    Transpose before it unless its input comes from another integer kernel of a QDQ group
    that carries NHWC on (QLinearConv; QLinearAdd, QLinearGlobalAveragePool... when all
    their inputs are NHWC), and one after it unless every reader is one. A standalone
    QuantizeLinear/DequantizeLinear does not count: the float op beside it (a
    BatchNormalization left unfolded) wants NCHW. Each costs a copy of the int8 tensor on
    the "layout" curve (one axis moved: transpose_helper.cc), once per tensor (two
    convolutions reading one input share its Transpose), charged to the convolution that
    needs it first."""
    from onnx_cost.views.hardware.fusion import _bytes_of

    convs = [kt for kt in times if kt.precision == "int8" and kt.kernel.head.op_type == "Conv" and kt.bound != "folded"]
    if not convs:  # the common case: no integer convolution, no map of the graph to build
        return
    producer = {t: kt for kt in times for t in kt.kernel.writes}
    readers: dict[str, list[KernelTime]] = {}
    for kt in times:
        for t in kt.kernel.reads:
            readers.setdefault(t, []).append(kt)
    const = set(report.initializers)

    # which kernels leave their output NHWC: an integer convolution; another QDQ kernel when
    # all of its data inputs come NHWC (the transpose optimizer moves a layout Transpose
    # through an op only when that removes Transposes: onnx_transpose_optimization.cc).
    # One pass in graph order: a producer is settled before its readers.
    out_nhwc: dict[int, bool] = {}
    for kt in times:
        if kt.precision != "int8" or kt.kernel.fusion != "qdq":
            continue
        if kt.kernel.head.op_type == "Conv":
            out_nhwc[id(kt)] = True
            continue
        ins = [producer.get(t) for t in kt.kernel.reads if t not in const and not report.tensors.get(t, _NOT).static]
        out_nhwc[id(kt)] = bool(ins) and all(p is not None and out_nhwc.get(id(p), False) for p in ins)

    def nhwc(kt: KernelTime | None) -> bool:
        return kt is not None and out_nhwc.get(id(kt), False)

    def copy(t: str) -> float:
        b = _bytes_of(report, t)
        if not b:
            return 0.0
        rate = eff.rate("layout", 2 * b) or eff.rate("elementwise", 2 * b)
        return eff.dispatch_s + (2 * b / rate if rate else 0.0)

    done: set[str] = set()
    for kt in convs:
        extra = 0.0
        data = [t for t in kt.kernel.reads if t not in const and not report.tensors.get(t, _NOT).static]
        for t in data[:1] if len(data) == 1 else [max(data, key=lambda t: _bytes_of(report, t) or 0)] if data else []:
            if not nhwc(producer.get(t)) and t not in done:
                done.add(t)
                extra += copy(t)
        for t in kt.kernel.writes:
            if (any(not nhwc(r) for r in readers.get(t, [])) or not readers.get(t)) and t not in done:
                done.add(t)
                extra += copy(t)
        kt.layout_s = extra
        kt.predicted_s += extra


class _NotFound:
    static = False


_NOT = _NotFound()


def share(table: dict[str, float], total: float) -> dict[str, float]:
    t = total or 1.0
    return {k: v / t for k, v in sorted(table.items(), key=lambda kv: -kv[1])}


def opportunities(times: list[KernelTime], eff: Efficiency, top: int = 3) -> list[dict[str, Any]]:
    """The biggest savings of three kinds, by predicted time: unfused elementwise chains (one
    kernel would read the chain's input and write its output once), layout transposes (a
    runtime that kept the layout would not run them), memory-bound matmuls (int8 weights
    would read a quarter of the bytes)."""
    found: dict[str, dict[str, Any]] = {}

    def add(kind: str, what: str, node: str, saved: float) -> None:
        if saved <= 0:
            return
        d = found.setdefault(kind, {"kind": kind, "what": what, "saved_s": 0.0, "count": 0, "largest": node,
                                    "largest_saved_s": 0.0})
        d["saved_s"] += saved
        d["count"] += 1
        if saved > d["largest_saved_s"]:
            d["largest"], d["largest_saved_s"] = node, saved

    readers: dict[str, list[KernelTime]] = defaultdict(list)
    for kt in times:
        if kt.cls == "elementwise" and kt.bound != "folded":
            for t in kt.kernel.reads:
                readers[t].append(kt)
    used: set[int] = set()
    for kt in times:
        if kt.cls != "elementwise" or kt.bound == "folded" or id(kt) in used:
            continue
        chain = [kt]
        seen = {id(kt)}
        cur = kt
        while True:  # follow the one elementwise kernel that reads the chain's output
            nxt = [o for t in cur.kernel.writes for o in readers.get(t, []) if id(o) not in used and o is not cur]
            if len(nxt) != 1 or len(cur.kernel.writes) != 1 or id(nxt[0]) in seen:
                break
            cur = nxt[0]
            chain.append(cur)
            seen.add(id(cur))
        if len(chain) < 2:
            continue
        used.update(id(c) for c in chain)
        total = sum(c.predicted_s for c in chain)
        one = eff.dispatch_s + max(c.predicted_s - eff.dispatch_s for c in chain)  # one pass over the largest
        add("unfused elementwise chain", "fuse the chain into one kernel", chain[0].kernel.head.name, total - one)
    for kt in times:
        if kt.kernel.head.op_type == "Transpose" and kt.bound != "folded" and len(kt.kernel.members) == 1:
            add("layout transpose", "keep one layout (remove the transpose)", kt.kernel.head.name, kt.predicted_s)
        if kt.cls in ("gemm", "gemm_skinny") and kt.bound == "memory":
            add("memory-bound matmul", "int8 weights (a quarter of the bytes) or a larger batch",
                kt.kernel.head.name, 0.75 * (kt.predicted_s - eff.dispatch_s))
    return sorted(found.values(), key=lambda d: -d["saved_s"])[:top]
