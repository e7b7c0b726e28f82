"""``diff --device``: the hardware view's totals of both models side by side (latency,
memory footprint), from ``hardware.view.hardware_dict`` as ``--json --device`` has them.

The latency is the view's prediction (``predicted_s``) when it has one, else its
roofline floor (``floor_s``); ``source`` says which.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from onnx_cost.model.report import Report

# (key, label, unit) of each row: seconds or bytes
ROWS = (
    ("latency_s", "latency", "s"),
    ("floor_s", "latency floor", "s"),
    ("weight_bytes", "weights", "B"),
    ("peak_activation_bytes", "peak activations", "B"),
    ("peak_memory_bytes", "peak memory (weights + activations)", "B"),
)


@dataclass(frozen=True)
class DeviceDiff:
    """Both models' hardware figures on one device."""

    device: str  # the device's key
    name: str  # its name
    source: str  # "predicted_s" or "floor_s": what latency_s is
    before: dict[str, Any]
    after: dict[str, Any]


def figures(report: Report, device: Any) -> tuple[dict[str, Any], str]:
    """The rows' values for one report on ``device``, and the latency's source."""
    from onnx_cost.views.hardware.latency import latency_source
    from onnx_cost.views.hardware.view import hardware_dict

    data = hardware_dict(report, device)
    src = latency_source(data)
    fp = data["footprint"]
    return {
        "latency_s": data[src],
        "floor_s": data["floor_s"],
        "weight_bytes": fp["weight_bytes"],
        "peak_activation_bytes": fp["peak_activation_bytes"],
        "peak_memory_bytes": fp["total_bytes"],
        "fits": fp["fits"],
        "skipped_nodes": data["skipped_nodes"],
        # the single run's verdict, and whether the prediction is the middle of an uncalibrated range
        "verdict": data.get("verdict"),
        "calibrated": data.get("calibrated"),
        "predicted_range_s": data.get("predicted_range_s"),
    }, src


def device_diff(before: Report, after: Report, device: Any) -> DeviceDiff:
    a, src_a = figures(before, device)
    b, src_b = figures(after, device)
    source = src_a if src_a == src_b else "floor_s"
    if source == "floor_s":  # compare like with like when only one side has a prediction
        a["latency_s"], b["latency_s"] = a["floor_s"], b["floor_s"]
    return DeviceDiff(device.key, device.name, source, a, b)


def _fmt(v: Any, unit: str) -> str:
    if v is None:
        return "-"
    if unit == "s":
        from onnx_cost.text import time_text

        return time_text(float(v))
    from onnx_cost.text import bytes_text

    return bytes_text(v)


def _pct(a: Any, b: Any) -> str:
    if not a:
        return "-" if not b else "new"
    p = 100.0 * (b - a) / a
    return "0.0%" if p == 0 else f"{p:+.1f}%"


def rows(d: DeviceDiff) -> list[list[str]]:
    """[label, before, after, %] per figure, then whether each fits the device's memory."""
    source = d.source
    if source == "predicted_s" and not (d.before.get("calibrated") and d.after.get("calibrated")):
        source = "uncalibrated prediction, x0.5-x2"  # its middle; the range is in the JSON
    out = [[label + (f" ({source})" if key == "latency_s" else ""), _fmt(d.before[key], unit),
            _fmt(d.after[key], unit), _pct(d.before[key], d.after[key])] for key, label, unit in ROWS]

    def verdict(v: Any) -> str:
        return "-" if not v else f"{v['bound']}-bound {v['share']:.0%}"

    out.append(["verdict (share of predicted time)", verdict(d.before.get("verdict")), verdict(d.after.get("verdict")),
                ""])
    fits = {True: "fits", False: "does NOT fit", None: "-"}
    out.append(["fits the device memory", fits[d.before["fits"]], fits[d.after["fits"]], ""])
    return out


HEADERS = ["", "before", "after", "%"]


def as_dict(d: DeviceDiff) -> dict[str, Any]:
    return {"device": d.device, "name": d.name, "latency_source": d.source, "before": dict(d.before),
            "after": dict(d.after)}
