"""The roofline view: per node intensity, attainable throughput, bound and latency floor.

A pure function of the report's node records and a device, O(nodes). The model
(docs/hardware.md): a node moving B bytes and doing N operations on a chip with peak
P (at the node's precision) and bandwidth W takes at least max(N / P, B / W) seconds;
its attainable throughput is min(P, (N / B) · W).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .devices import Device

if TYPE_CHECKING:  # the analyzer (and onnx) load only when a report exists anyway
    from ..analyzer.report import NodeRecord, Report

_COUNTED_STATES = ("counted", "zero")  # analyzer.report.COUNTED, ZERO: nodes with a cost

# The record's precision, else derived from its dtype until the field exists.
_DTYPE_PRECISION = {
    "float64": "fp64", "double": "fp64", "float32": "fp32", "float": "fp32", "float16": "fp16",
    "bfloat16": "bf16", "int8": "int8", "uint8": "int8", "int4": "int4", "uint4": "int4",
}
# When a chip has no figure at a node's precision the node runs on the next wider
# units it has (an int8 model on a chip without int8 math is computed in fp16/fp32).
_FALLBACK: dict[str, tuple[str, ...]] = {
    "fp64": ("fp64",),
    "fp32": ("fp32",),
    "tf32": ("tf32", "fp32"),
    "fp16": ("fp16", "fp32"),
    "bf16": ("bf16", "fp32"),
    "fp8": ("fp8", "fp16", "fp32"),
    "int8": ("int8", "fp16", "fp32"),
    "int4": ("int4", "int8", "fp16", "fp32"),
}


def node_precision(rec: NodeRecord) -> str:
    """The precision the node computes at: ``rec.precision`` (core), else from dtype."""
    p = getattr(rec, "precision", None)
    if p:
        return "int8" if p == "uint8" else ("int4" if p == "uint4" else p)
    if rec.dtype.startswith("float8"):
        return "fp8"
    if rec.cost.int_macs and rec.dtype in ("int32", "int64"):
        return "int8"  # an integer contraction accumulating in int32 (MatMulInteger, ConvInteger)
    return _DTYPE_PRECISION.get(rec.dtype, "fp32")


def pick_peak(device: Device, precision: str, contraction: bool, tf32: bool) -> tuple[str, float | None]:
    """(which peak, op/s) for a node at ``precision``. fp32 contractions use the tf32
    peak only when asked (``tf32``): TF32 changes the numerics."""
    chain = _FALLBACK.get(precision, ("fp32",))
    if precision == "fp32" and contraction and tf32:
        chain = ("tf32", "fp32")
    for p in (*chain, "unspecified"):
        v = device.peak(p)
        if v:
            if p == precision or (p == "tf32" and precision == "fp32"):
                return p, v
            return f"{p} (no {precision} figure)", v
    return f"none (no {precision} figure)", None


@dataclass(frozen=True, slots=True)
class NodeRoof:
    """One node on the roofline; times are seconds, throughputs op/s."""

    name: str
    op_type: str
    scope: str
    precision: str
    peak_used: str  # which device peak: "fp32", "tf32", "int8", "fp32 (no int8 figure)"...
    ops: int  # flops + int_ops, times the record's weight
    bytes: int  # read + write bytes, times weight
    intensity: float | None  # ops per byte; None when the node moves no bytes but computes
    peak: float | None
    attainable: float | None
    bound: str  # "compute", "memory" or "unknown" (a figure the device lacks)
    floor_s: float


@dataclass(frozen=True)
class Roofline:
    """The roofline of a whole model on one device."""

    device: Device
    nodes: list[NodeRoof]
    floor_s: float  # sum of node floors: the model's latency floor
    ops: int
    bytes: int
    skipped: int  # nodes with no count (uncounted, shape-unknown, invalid): the floor is a lower bound
    tf32: bool = False
    by_op_type: dict[str, float] = field(default_factory=dict)  # floor seconds per op type
    by_scope: dict[str, float] = field(default_factory=dict)  # floor seconds per top-level scope

    @property
    def ridge(self) -> dict[str, float]:
        """Ridge point (op/byte) per precision the device has: peak / bandwidth."""
        bw = self.device.bandwidth_bytes_per_s
        return {p: f.value / bw for p, f in self.device.peaks.items()} if bw else {}

    def share(self, table: dict[str, float]) -> dict[str, float]:
        """Fractions of the model floor, largest first."""
        t = self.floor_s or 1.0
        return {k: v / t for k, v in sorted(table.items(), key=lambda kv: -kv[1])}


def roof_node(rec: NodeRecord, device: Device, tf32: bool = False) -> NodeRoof:
    """One record on ``device``'s roofline."""
    c, w = rec.cost, rec.weight
    ops = c.ops * w
    nbytes = ((c.read_bytes or 0) + (c.write_bytes or 0)) * w
    prec = node_precision(rec)
    used, peak = pick_peak(device, prec, c.macs > 0, tf32)
    bw = device.bandwidth_bytes_per_s
    intensity = ops / nbytes if nbytes else (None if ops else 0.0)
    t_compute = ops / peak if peak else None
    t_memory = nbytes / bw if bw else None
    if (ops and t_compute is None) or (nbytes and t_memory is None):
        bound = "unknown"
    else:
        bound = "compute" if (t_compute or 0.0) > (t_memory or 0.0) else "memory"
    floor = max(t_compute or 0.0, t_memory or 0.0)
    if peak is None:
        attainable = None
    elif intensity is None or bw is None:
        attainable = peak
    else:
        attainable = min(peak, intensity * bw)
    return NodeRoof(
        rec.name, rec.op_type, rec.scope, prec, used, ops, nbytes, intensity, peak, attainable, bound, floor
    )


def _scope_key(rec: NodeRecord, depth: int) -> str:
    path = getattr(rec, "scope_path", None)
    if path is None:
        path = tuple(p for p in rec.scope.split("/") if p)
    return "/".join(path[:depth]) or "(top level)"


def roofline(report: Report, device: Device, *, tf32: bool = False, scope_depth: int = 1) -> Roofline:
    """Every counted node of ``report`` on ``device``. Nodes not counted are skipped and
    counted in ``skipped``; nodes of weight 0 (an If branch not taken) cost nothing."""
    nodes: list[NodeRoof] = []
    by_op: dict[str, float] = {}
    by_scope: dict[str, float] = {}
    skipped = 0
    for rec in report.nodes:
        if rec.status not in _COUNTED_STATES:
            skipped += 1
            continue
        if not rec.weight:
            continue
        n = roof_node(rec, device, tf32)
        nodes.append(n)
        key = f"{rec.domain}::{rec.op_type}" if rec.domain else rec.op_type
        by_op[key] = by_op.get(key, 0.0) + n.floor_s
        sk = _scope_key(rec, scope_depth)
        by_scope[sk] = by_scope.get(sk, 0.0) + n.floor_s
    return Roofline(
        device=device,
        nodes=nodes,
        floor_s=sum(n.floor_s for n in nodes),
        ops=sum(n.ops for n in nodes),
        bytes=sum(n.bytes for n in nodes),
        skipped=skipped,
        tf32=tf32,
        by_op_type=by_op,
        by_scope=by_scope,
    )


def dominant_precision(nodes: Iterable[NodeRoof]) -> str:
    """The precision most of the model's operations run at ("fp32" for an empty model)."""
    ops: dict[str, int] = {}
    for n in nodes:
        ops[n.precision] = ops.get(n.precision, 0) + n.ops
    return max(ops, key=lambda p: (ops[p], p)) if ops and any(ops.values()) else "fp32"


def utilization(roof: Roofline, seconds: float) -> dict[str, Any]:
    """Achieved throughput (model ops / time) and utilization against the peak at the
    model's dominant precision, the seeds' formula: (FLOPs / time) / peak."""
    prec = dominant_precision(roof.nodes)
    used, peak = pick_peak(roof.device, prec, True, roof.tf32)
    achieved = roof.ops / seconds
    return {
        "seconds": seconds,
        "achieved_ops_per_s": achieved,
        "precision": prec,
        "peak_used": used,
        "peak_ops_per_s": peak,
        "utilization": achieved / peak if peak else None,
        "floor_fraction": roof.floor_s / seconds,  # how close the time is to the floor
    }
