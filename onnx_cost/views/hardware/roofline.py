"""The roofline view: per node intensity, attainable throughput, bound and latency floor.

A pure function of the report's node records and a device, O(nodes). The model
(docs/hardware.md): a node moving B bytes and doing N operations on a chip with peak
P (at the node's precision) and bandwidth W takes at least max(N / P, B / W) seconds;
its attainable throughput is min(P, (N / B) · W).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from onnx_cost.views._gc import paused_gc
from onnx_cost.views.hardware._columns import columns, sum_by
from onnx_cost.views.hardware.devices import Device

if TYPE_CHECKING:  # the analyzer (and onnx) load only when a report exists anyway
    from onnx_cost.model.report import NodeRecord, Report

_COUNTED_STATES = ("counted", "zero")  # model.report.COUNTED, ZERO: nodes with a cost

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
    """The precision the node computes at: the record's ``precision`` (uint8 and uint4 run
    on the int8 and int4 units); "mixed" or none: from the output dtype."""
    p = rec.precision
    if p and p != "mixed":
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


class NodeRoof(NamedTuple):
    """One node on the roofline; times are seconds, throughputs op/s. (A NamedTuple:
    one is made per node, and a tuple is the cheapest record Python builds.)"""

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


@dataclass
class Roofline:
    """The roofline of a whole model on one device. ``cols`` holds NodeRoof's fields as
    columns; ``nodes`` (NodeRoof per node) and ``rows`` (plain tuples) are made on use."""

    device: Device
    cols: dict[str, list[Any]]
    floor_s: float  # sum of node floors: the model's latency floor
    ops: int
    bytes: int
    skipped: int  # nodes with no count (uncounted, shape-unknown, invalid): the floor is a lower bound
    tf32: bool = False
    by_op_type: dict[str, float] = field(default_factory=dict)  # floor seconds per op type
    by_scope: dict[str, float] = field(default_factory=dict)  # floor seconds per top-level scope
    by_bound: dict[str, float] = field(default_factory=dict)  # floor seconds per bound
    bound_counts: dict[str, int] = field(default_factory=dict)  # nodes per bound
    ops_by_precision: dict[str, float] = field(default_factory=dict)

    @property
    def rows(self) -> list[tuple[Any, ...]]:
        return list(zip(*(self.cols[f] for f in NodeRoof._fields)))

    @property
    def nodes(self) -> list[NodeRoof]:
        make = NodeRoof._make
        return [make(r) for r in self.rows]

    @property
    def precision(self) -> str:
        """The precision most of the model's operations run at ("fp32" for an empty model)."""
        ops = self.ops_by_precision
        return max(ops, key=lambda p: (ops[p], p)) if ops and any(ops.values()) else "fp32"

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
    cols = columns([rec], device, _peak_of(device, tf32))
    return NodeRoof._make(cols[f][0] for f in NodeRoof._fields)


def _peak_of(device: Device, tf32: bool) -> Callable[[NodeRecord, bool], tuple[str, str, float | None]]:
    def peak_of(rec: NodeRecord, contraction: bool) -> tuple[str, str, float | None]:
        prec = node_precision(rec)
        return (prec, *pick_peak(device, prec, contraction, tf32))

    return peak_of


def _scope_key(rec: NodeRecord, depth: int) -> str:
    """The first ``depth`` levels of the node's module path."""
    return "/".join(rec.scope_path[:depth]) or "(top level)"


@paused_gc
def roofline(report: Report, device: Device, *, tf32: bool = False, scope_depth: int = 1) -> Roofline:
    """Every counted node of ``report`` on ``device``. Nodes not counted are skipped and
    counted in ``skipped``; nodes of weight 0 (an If branch not taken) cost nothing.
    O(nodes), in numpy columns (``_columns``): the view stays within 5 % of the analysis."""
    counted = [r for r in report.nodes if r.status in _COUNTED_STATES]
    skipped = len(report.nodes) - len(counted)
    recs = [r for r in counted if r.weight]
    cols = columns(recs, device, _peak_of(device, tf32))
    floors = cols["floor_s"]
    scope_of = {s: _scope_key(r, scope_depth) for s, r in {r.scope: r for r in recs}.items()}
    counts = dict(Counter(cols["bound"]))
    return Roofline(
        device,
        cols,
        floor_s=float(sum(floors)),
        ops=sum(cols["ops"]),
        bytes=sum(cols["bytes"]),
        skipped=skipped,
        tf32=tf32,
        by_op_type=sum_by([f"{r.domain}::{r.op_type}" if r.domain else r.op_type for r in recs], floors),
        by_scope=sum_by(list(map(scope_of.__getitem__, cols["scope"])), floors),
        by_bound=sum_by(cols["bound"], floors),
        bound_counts=counts,
        ops_by_precision=sum_by(cols["precision"], cols["ops"]),
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
    prec = roof.precision
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
