"""``--sweep NAME=V1,V2,... --device D``: the floor, the prediction, the bounds and the
footprint at each value of a symbolic dim, and the value where the floor turns compute-bound.

Two bounds, named apart: the floor's (``bound``: the model's floor is compute-bound at a value
when the compute-bound nodes hold most of it, their floors summing to more than half) and
the prediction's verdict (``verdict``: the bound holding the largest share of the predicted
time, overhead included), the one the single run states.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from onnx_cost.views.hardware.devices import Device
from onnx_cost.views.hardware.footprint import footprint
from onnx_cost.views.hardware.predict import predict
from onnx_cost.views.hardware.roofline import roofline


@dataclass(frozen=True)
class HardwareRow:
    value: int
    floor_s: float
    predicted_s: float
    compute_share: float  # fraction of the floor held by compute-bound nodes
    bound: str  # "compute" or "memory": which kind of node holds most of the floor
    verdict: dict[str, Any]  # the prediction's: {"bound": compute|memory|overhead, "share": of the predicted time}
    predicted_range_s: tuple[float, float]  # the band (uncalibrated: x0.5..x2)
    calibrated: bool
    ops: int
    bytes: int
    weight_bytes: int
    peak_activation_bytes: int
    fits: bool | None
    partial: bool  # some node not counted, or a tensor size unknown


def hardware_sweep(
    src: Any, dim: str, values: Sequence[int], device: Device, *,
    inputs: Mapping[str, Any] | None = None, dims: Mapping[str, int] | None = None, tf32: bool = False,
) -> list[HardwareRow]:
    """One analysis per value of ``dim`` (``src`` as ``onnx_cost.api`` takes it), on ``device``."""
    from onnx_cost import api
    from onnx_cost.symbolic.scaling import check_dims

    proto = getattr(src, "proto", None)
    if proto is not None:
        check_dims(proto, [dim], "--sweep")
        api.check_sweep_binding(src, dim, api._shapes(inputs), dict(dims or {}))
    rows = []
    for v in values:
        report = api.analyze(src, inputs=inputs, dims={**(dims or {}), dim: v})
        roof = roofline(report, device, tf32=tf32)
        pred = predict(report, device, tf32=tf32)
        fp = footprint(report, device)
        compute = roof.by_bound.get("compute", 0.0)
        share = compute / roof.floor_s if roof.floor_s else 0.0
        rows.append(
            HardwareRow(
                v, pred.floor_s, pred.predicted_s, share, "compute" if share > 0.5 else "memory",
                {"bound": pred.verdict[0], "share": pred.verdict[1]}, (pred.low_s, pred.high_s), pred.calibrated,
                roof.ops, roof.bytes, fp.weight_bytes, fp.peak_activation_bytes, fp.fits,
                bool(roof.skipped or fp.unknown_tensors),
            )
        )
    return rows


def crossover(rows: Sequence[HardwareRow]) -> int | None:
    """The first value at which the model is compute-bound after being memory-bound."""
    for prev, row in pairwise(rows):
        if prev.bound == "memory" and row.bound == "compute":
            return row.value
    return None


def sweep_dict(dim: str, device: Device, rows: Sequence[HardwareRow],
               default_binding: Mapping[str, int] | None = None) -> dict[str, Any]:
    """The sweep as JSON (docs/json.md), with the version and the default binding the other
    dims were counted at, as the plain ``--sweep --json`` states them."""
    from onnx_cost._version import __version__

    return {
        "onnx_cost_version": __version__,
        "dim": dim,
        "device": device.name,
        "compute_bound_from": None if any(r.partial for r in rows) else crossover(rows),
        "rows": [r.__dict__ for r in rows],
        "default_binding": dict(default_binding or {}),
    }


def sweep_text(dim: str, device: Device, rows: Sequence[HardwareRow], fmt: str = "table",
               width: int | None = None, default_binding: Mapping[str, int] | None = None) -> str:
    """The sweep as a plain table in at most ``width`` columns (default: the terminal's;
    footprint, then compute share dropped first), or JSON."""
    if fmt == "json":
        return json.dumps(sweep_dict(dim, device, rows, default_binding), indent=2) + "\n"
    from onnx_cost.render.hardware import fit
    from onnx_cost.text import Column, bytes_text, escape, table, terminal_width, time_text, unit_text

    name = escape(dim)  # a dim name from the model
    cols = [Column(name, right=True), Column("floor", right=True), Column("predicted", right=True),
            Column("verdict"), Column("floor bound", drop=3), Column("compute of floor", right=True, drop=2),
            Column("ops", right=True, drop=4), Column("bytes", right=True, drop=4),
            Column("footprint", right=True, drop=1), Column("fits"), Column("")]

    def predicted(r: HardwareRow) -> str:  # uncalibrated: the range, never its middle alone
        low, high = r.predicted_range_s
        return time_text(r.predicted_s) if r.calibrated else f"{time_text(low)} to {time_text(high)}"

    cells = [[str(r.value), time_text(r.floor_s), predicted(r), f"{r.verdict['bound']} {r.verdict['share']:.0%}",
              r.bound, f"{r.compute_share:.0%}", unit_text(r.ops, "op"), unit_text(r.bytes, "B"),
              bytes_text(r.weight_bytes + r.peak_activation_bytes),
              "-" if r.fits is None else ("yes" if r.fits else "NO"),
              "(partial)" if r.partial else ""] for r in rows]
    lines = [f"Sweep of {name} on {escape(device.name)} (verdict: the bound holding most of the predicted time, "
             "as the single run states it; floor bound: that of the latency floor)"]
    x = crossover(rows)
    if any(r.partial for r in rows):  # a verdict on uncounted nodes would be a guess
        end = ["Some values are partial (nodes not counted or tensor sizes unknown): no bound verdict;"
               " bind the free dims with --dim."]
    elif x is not None:
        end = [f"The model's floor turns compute-bound at {name}={x}."]
    elif rows and all(r.bound == rows[0].bound for r in rows):
        end = [f"The model's floor is {rows[0].bound}-bound at every value."]
    else:
        end = []
    width = width or terminal_width()
    return fit(lines, width) + "\n".join(table(cols, cells, width, indent=0)) + "\n" + (fit(end, width) if end else "")
