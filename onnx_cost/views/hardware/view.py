"""The hardware view as data (JSON) and as text: roofline, floor shares, footprint.

Node names and op types come from the model: the text form escapes them
(``errors.printable``) and wraps each line to the terminal's width (analyzer.text);
JSON carries them as JSON strings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from onnx_cost.views._gc import paused_gc
from onnx_cost.views.hardware.devices import Device
from onnx_cost.views.hardware.footprint import Footprint, footprint
from onnx_cost.views.hardware.predict import Prediction, predict, share
from onnx_cost.views.hardware.roofline import Roofline, pick_peak, roofline, utilization

if TYPE_CHECKING:
    from onnx_cost.model.report import Report


_JSON_COLS = (
    "name", "op_type", "precision", "peak_used", "ops", "bytes", "intensity", "attainable", "bound", "floor_s"
)


def _num(x: float | None) -> float | None:
    return None if x is None else float(x)


def device_dict(roof: Roofline) -> dict[str, Any]:
    """The device at the model's dominant precision (the ``device`` part of the view)."""
    device, prec = roof.device, roof.precision
    used, peak = pick_peak(device, prec, True, roof.tf32)
    bw = device.bandwidth_bytes_per_s
    return {
        "name": device.name,
        "key": device.key,
        "measured": device.measured,
        "precision": prec,
        "peak_used": used,
        "peak_ops_per_s": _num(peak),
        "bandwidth_bytes_per_s": _num(bw),
        "ridge_ops_per_byte": peak / bw if peak and bw else None,
        "peaks_ops_per_s": {p: f.value for p, f in device.peaks.items()},
    }


def roofline_dict(
    report: Report, device: Device, *, tf32: bool = False, roof: Roofline | None = None
) -> dict[str, Any]:
    """The roofline as the JSON-able dict agreed with the HTML report (common_split.md):
    ``device`` at the model's dominant precision, and one entry per counted node."""
    roof = roof or roofline(report, device, tf32=tf32)
    return {"device": device_dict(roof), "nodes": _nodes(roof)}


_NO_PREDICTION = (None, None, "")


def _nodes(roof: Roofline, per: dict[str, tuple[float, float, str]] | None = None) -> list[dict[str, Any]]:
    """One dict per counted node; with ``per`` (Prediction.per_node) its ``predicted_s`` and
    ``fused_into`` too (None: no prediction, or a node alone)."""
    cols = zip(*(roof.cols[k] for k in _JSON_COLS))
    if per is None:
        return [
            {"name": name, "op_type": op, "precision": prec, "peak_used": used, "ops": ops, "bytes": nbytes,
             "intensity": intensity, "attainable_ops_per_s": attainable, "bound": bound, "floor_s": floor}
            for name, op, prec, used, ops, nbytes, intensity, attainable, bound, floor in cols
        ]
    get = per.get
    return [
        {"name": name, "op_type": op, "precision": prec, "peak_used": used, "ops": ops, "bytes": nbytes,
         "intensity": intensity, "attainable_ops_per_s": attainable, "bound": bound, "floor_s": floor,
         "predicted_s": (p := get(name, _NO_PREDICTION))[0], "fused_into": p[2] or None}
        for name, op, prec, used, ops, nbytes, intensity, attainable, bound, floor in cols
    ]


@paused_gc
def hardware_dict(
    report: Report, device: Device, *, tf32: bool = False, measured_s: float | None = None,
    roof: Roofline | None = None, fp: Footprint | None = None, pred: Prediction | None = None,
) -> dict[str, Any]:
    """Everything the hardware view knows: ``views.hardware.data`` of ``--json`` (docs/json.md)."""
    roof = roof or roofline(report, device, tf32=tf32)
    fp = fp or footprint(report, device)
    pred = pred or predict(report, device, tf32=tf32)
    # the roofline's nodes, each with its prediction (made once, in one pass)
    out: dict[str, Any] = {"device": device_dict(roof), "nodes": _nodes(roof, pred.per_node())}
    out["device"]["sources"] = _sources(device)
    out["roofline_floor_s"] = roof.floor_s  # the per-node roofline summed: no fusion, no cache (the old floor)
    out["ops"] = roof.ops
    out["bytes"] = roof.bytes
    out["skipped_nodes"] = roof.skipped
    out["tf32"] = tf32
    out["ridge_ops_per_byte"] = roof.ridge
    out["floor_share_by_op_type"] = roof.share(roof.by_op_type)
    out["floor_share_by_scope"] = roof.share(roof.by_scope)
    out["bound_counts"] = dict(roof.bound_counts)
    out["footprint"] = fp.as_dict()
    out.update(prediction_dict(pred))
    if measured_s is not None:
        out["measured"] = utilization(roof, measured_s)
        out["measured"].update(against(pred, measured_s))
    return out


def prediction_dict(pred: Prediction) -> dict[str, Any]:
    """The floor, the prediction and the model-level answers (docs/json.md)."""
    verdict, part = pred.verdict
    modules: dict[str, float] = {}
    keys_of: dict[tuple[str, ...], list[str]] = {}  # a module path -> its keys, joined once per path
    for kt in pred.kernels:  # every depth of the module path, so that any --depth can be read off
        path = kt.kernel.head.scope_path
        keys = keys_of.get(path)
        if keys is None:
            keys = keys_of[path] = ["/".join(path[:d]) for d in range(1, len(path) + 1)]
        t = kt.predicted_s
        for key in keys:  # (added kernel by kernel, in order: the same float sums)
            modules[key] = modules.get(key, 0.0) + t
    fusions: dict[str, int] = {}
    for kt in pred.kernels:
        if kt.kernel.fusion:
            fusions[kt.kernel.fusion] = fusions.get(kt.kernel.fusion, 0) + 1
    return {
        "floor_s": pred.floor_s,
        "predicted_s": pred.predicted_s,
        "predicted_range_s": [pred.low_s, pred.high_s],
        "predicted_band": pred.band,
        "calibrated": pred.calibrated,
        "verdict": {"bound": verdict, "share": part},
        "predicted_share_by_bound": share(pred.by_bound, pred.predicted_s),
        "predicted_share_by_op_type": share(pred.by_op_type, pred.predicted_s),
        "predicted_share_by_scope": share(pred.by_scope, pred.predicted_s),
        "predicted_share_by_module": share(modules, pred.predicted_s),
        "predicted_share_by_class": share(pred.by_class, pred.predicted_s),
        "opportunities": pred.opportunities,
        "kernels": sum(1 for kt in pred.kernels if kt.bound != "folded"),
        "fusions": fusions,
    }


def against(pred: Prediction, measured_s: float) -> dict[str, Any]:
    """The prediction's error against a measured time, and whether the floor holds."""
    out: dict[str, Any] = {
        "predicted_error": pred.predicted_s / measured_s - 1.0,
        "floor_fraction_kernels": pred.floor_s / measured_s,
        "contradiction": None,
    }
    if pred.floor_s > measured_s:
        out["contradiction"] = (
            "measured below the floor: the device's figures are lower than what this run reached "
            "(calibrate again on a quiet machine: onnx-cost devices calibrate), or a count is too high"
        )
    return out


def _sources(device: Device) -> dict[str, str]:
    s = {f"peaks.{p}": f.source for p, f in device.peaks.items()}
    for k in ("bandwidth", "capacity", "cache"):
        f = getattr(device, k)
        if f is not None:
            s[f"memory.{k}"] = f.source
    return s
