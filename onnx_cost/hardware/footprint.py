"""Memory footprint: weight bytes, peak live activation bytes over the node order, and
whether the sum fits a device's memory.

Liveness (docs/hardware.md): over the main graph's node order, a tensor is live from
the step of its producer (a graph input: from the start) to the step of its last
consumer (a graph output: to the end). At each step the live set holds the node's
inputs and outputs together. No buffer is reused in place and no tensor is freed
early: this is what a plain allocator needs, not what an in-place planner reaches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..rules.node import TensorInfo, nbytes, numel
from .devices import Device

if TYPE_CHECKING:
    from ..analyzer.report import Report


@dataclass(frozen=True)
class Footprint:
    """Bytes a model needs resident at once, and how it compares with a device."""

    weight_bytes: int  # initializers and constants the main graph reads
    peak_activation_bytes: int  # largest live set of non-constant tensors over the node order
    peak_step: int  # index (in main-graph node order) where it is reached; -1 for an empty graph
    peak_node: str  # the node running at that step
    unknown_tensors: int  # tensors whose size is unknown (symbolic dims): left out, the peak is a lower bound
    capacity_bytes: int | None = None

    @property
    def total_bytes(self) -> int:
        return self.weight_bytes + self.peak_activation_bytes

    @property
    def fits(self) -> bool | None:
        """True when weights plus peak activations fit the device memory; None without one."""
        return None if self.capacity_bytes is None else self.total_bytes <= self.capacity_bytes

    @property
    def margin_bytes(self) -> int | None:
        """Capacity left over (negative: short by that much)."""
        return None if self.capacity_bytes is None else self.capacity_bytes - self.total_bytes

    def as_dict(self) -> dict[str, object]:
        return {
            "weight_bytes": self.weight_bytes,
            "peak_activation_bytes": self.peak_activation_bytes,
            "total_bytes": self.total_bytes,
            "peak_node": self.peak_node,
            "unknown_tensors": self.unknown_tensors,
            "capacity_bytes": self.capacity_bytes,
            "fits": self.fits,
            "margin_bytes": self.margin_bytes,
        }


def _size(t: TensorInfo | None) -> int | None:
    if t is None or not t.known or not t.bits:
        return None
    return nbytes(numel(t.shape), t.bits)  # type: ignore[arg-type]


def _tensor_table(report: Report) -> Mapping[str, TensorInfo]:
    """Main-graph tensors: ``report.tensors`` (core) or, until it exists, rebuilt from
    the records' shapes and the producers' dtypes."""
    table = getattr(report, "tensors", None)
    if table is not None:
        return table
    from ..analyzer.dtypes import DTYPES

    bits = dict(DTYPES.values())
    out: dict[str, TensorInfo] = {}
    for name, dtype, shape in report.model.inputs:
        out[name] = TensorInfo(name, shape, dtype, bits.get(dtype, 0))
    for r in report.nodes:
        if r.graph:
            continue
        for name, shape in zip(r.output_names, r.outputs):
            if name:
                out[name] = TensorInfo(name, shape, r.dtype, bits.get(r.dtype, 0), static=r.op_type == "Constant")
    return out


def footprint(
    report: Report, device: Device | None = None, tensors: Mapping[str, TensorInfo] | None = None
) -> Footprint:
    """Weights plus the peak of live activations, and the device's capacity if given."""
    table = tensors if tensors is not None else _tensor_table(report)
    main = [r for r in report.nodes if not r.graph]
    n = len(main)
    graph_outputs = {name for name, _, _ in report.model.outputs}
    produced: dict[str, int] = {name: -1 for name, _, _ in report.model.inputs}
    last_use: dict[str, int] = {}
    weights: set[str] = set()
    for i, r in enumerate(main):
        for name in r.input_names:
            if not name:
                continue
            if name not in produced:
                weights.add(name)  # read but never produced: an initializer
            last_use[name] = i
        for name in r.output_names:
            if name:
                produced[name] = i
    sizes = [_size(table.get(w)) for w in weights]
    if all(s is not None for s in sizes):
        weight_bytes = sum(s or 0 for s in sizes)
    else:  # no tensor table with the initializers: the analyzer's params, each tensor once
        weight_bytes = report.total.param_bytes
    # Sweep: +size at the producer's step, -size after the last use.
    delta = [0] * (n + 3)
    unknown = 0
    for name, start in produced.items():
        t = table.get(name)
        if t is not None and t.static:
            weight_bytes += _size(t) or 0
            continue
        size = _size(t)
        if size is None:
            unknown += 1
            continue
        end = n if name in graph_outputs else max(last_use.get(name, start), start)
        delta[start + 1] += size
        delta[end + 2] -= size
    live = peak = 0
    peak_step = -1
    for step in range(n + 1):  # step 0 holds the graph inputs; node i runs at step i + 1
        live += delta[step]
        if live > peak:
            peak, peak_step = live, step - 1
    peak_node = main[peak_step].name if 0 <= peak_step < n else ""
    cap = int(device.capacity.value) if device is not None and device.capacity else None
    return Footprint(weight_bytes, peak, peak_step, peak_node, unknown, cap)
