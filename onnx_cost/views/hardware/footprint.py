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
from typing import TYPE_CHECKING, Any

from onnx_cost.rules.node import TensorInfo, nbytes, numel
from onnx_cost.views._gc import paused_gc
from onnx_cost.views.hardware.devices import Device

if TYPE_CHECKING:
    from onnx_cost.model.report import Report


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


def _shape_bytes(shape: Any, bits: int) -> int | None:
    if shape is None or not bits:
        return None
    n = 1
    for d in shape:
        if type(d) is not int:
            return None
        n *= d
    return nbytes(n, bits)


def _peak(n: int, spans: list[tuple[int, int, int]]) -> tuple[int, int]:
    """(peak live bytes, node index where first reached; -1: the graph inputs) over
    ``spans`` of (producer index, last consumer index, bytes); index -1 = graph input."""
    import numpy as np

    if not spans:
        return 0, -1
    # step 0 holds the graph inputs; node i runs at step i + 1; a tensor is live from the
    # step after its producer's index to the step of its last consumer
    starts_t, ends_t, sizes_t = zip(*spans)
    if max(sizes_t) * len(sizes_t) < 2**62:  # int64 cannot overflow: numpy does the sweep
        delta = np.zeros(n + 3, dtype=np.int64)
        starts, ends, sz = (np.array(c, dtype=np.int64) for c in (starts_t, ends_t, sizes_t))
        np.add.at(delta, starts + 1, sz)
        np.add.at(delta, ends + 2, -sz)
        live = np.cumsum(delta[: n + 1])
        step = int(np.argmax(live))
        return (int(live[step]), step - 1) if live[step] > 0 else (0, -1)
    deltas = [0] * (n + 3)  # beyond int64 (hostile dims): exact Python integers
    for start, end, size in spans:
        deltas[start + 1] += size
        deltas[end + 2] -= size
    best, best_step, acc = 0, -1, 0
    for step in range(n + 1):
        acc += deltas[step]
        if acc > best:
            best, best_step = acc, step - 1
    return best, best_step


@paused_gc
def footprint(
    report: Report, device: Device | None = None, tensors: Mapping[str, TensorInfo] | None = None
) -> Footprint:
    """Weights plus the peak of live activations, and the device's capacity if given.
    ``tensors``: the main graph's tensors (default ``report.tensors`` once core adds it;
    until then sizes come from the records' shapes and the producers' dtypes)."""
    table = tensors if tensors is not None else (report.tensors or None)
    from onnx_cost.model.dtypes import DTYPES

    bits = dict(DTYPES.values())
    main = [r for r in report.nodes if not r.graph]
    n = len(main)
    graph_outputs = {name for name, _, _ in report.model.outputs}
    # Comprehensions, not a loop with branches: the view must stay cheap (docs/performance.md).
    # A later index overrides an earlier one: last_use ends as the last consumer's.
    last_use = {name: i for i, r in enumerate(main) for name in r.input_names}
    produced = {name: -1 for name, _, _ in report.model.inputs}
    produced.update({name: i for i, r in enumerate(main) for name in r.output_names})
    last_use.pop("", None)  # an absent optional input or output
    produced.pop("", None)
    weights = set(last_use).difference(produced)  # read but never produced: initializers
    known: dict[tuple[Any, Any], int | None] = {}  # (shape, bits or dtype) -> bytes: shapes repeat
    if table is not None:
        names = (*produced, *weights)
        infos = dict(zip(names, map(table.get, names)))  # (the lookups in C)

        def miss_bits(key: tuple[Any, Any]) -> int | None:
            known[key] = v = _shape_bytes(key[0], key[1])
            return v

        sizes = {
            k: (known[kk] if (kk := (t.shape, t.bits)) in known else miss_bits(kk)) if t is not None else None
            for k, t in infos.items()
        }
        static = {k for k in produced if (t := infos[k]) is not None and t.static}
        # each stored weight once: a Constant's output is stored; a DequantizeLinear of a weight
        # is computed every run (an activation, live while used); any other node of constants
        # (a weight's Transpose) is folded at load into a tensor that replaces its input
        op_of = {name: r.op_type for r in main for name in r.output_names}
        static.difference_update(k for k in list(static) if op_of.get(k) == "DequantizeLinear")
        stored = {k for k in static if op_of.get(k) == "Constant"}
        weight_bytes = sum(sizes[w] or 0 for w in weights) + sum(sizes[k] or 0 for k in stored)
    else:  # the analyzer's params and constants (Constant outputs included), each tensor once

        def miss(key: tuple[Any, Any]) -> int | None:
            known[key] = v = _shape_bytes(key[0], bits.get(key[1], 0))
            return v

        sizes = {nm: _shape_bytes(sh, bits.get(d, 0)) for nm, d, sh in report.model.inputs}
        sizes.update({
            name: known[k] if (k := (sh, r.dtype)) in known else miss(k)
            for r in main for name, sh in zip(r.output_names, r.outputs)
        })
        static = {name for r in main if r.op_type == "Constant" for name in r.output_names}
        weight_bytes = report.total.param_bytes + getattr(report.total, "constant_bytes", 0)
    spans = [
        (start, n if name in graph_outputs else last_use.get(name, start), size)
        for name, start in produced.items()
        if name not in static and (size := sizes.get(name)) is not None
    ]
    unknown = len(produced) - len(static.intersection(produced)) - len(spans)
    peak, peak_step = _peak(n, spans)
    peak_node = main[peak_step].name if 0 <= peak_step < n else ""
    cap = int(device.capacity.value) if device is not None and device.capacity else None
    return Footprint(weight_bytes, peak, peak_step, peak_node, unknown, cap)
