"""The hardware view as data (JSON) and as text: roofline, floor shares, footprint.

Node names and op types come from the model: the text form escapes them
(``errors.printable``) and wraps each line to the terminal's width (analyzer.text);
JSON carries them as JSON strings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from onnx_cost.errors import printable
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
    return {
        "device": device_dict(roof),
        "nodes": [
            {
                "name": name,
                "op_type": op,
                "precision": prec,
                "peak_used": used,
                "ops": ops,
                "bytes": nbytes,
                "intensity": intensity,
                "attainable_ops_per_s": attainable,
                "bound": bound,
                "floor_s": floor,
            }
            for name, op, prec, used, ops, nbytes, intensity, attainable, bound, floor in zip(
                *(roof.cols[k] for k in _JSON_COLS)
            )
        ],
    }


def hardware_dict(
    report: Report, device: Device, *, tf32: bool = False, measured_s: float | None = None,
    roof: Roofline | None = None, fp: Footprint | None = None, pred: Prediction | None = None,
) -> dict[str, Any]:
    """Everything the hardware view knows: ``views.hardware.data`` of ``--json`` (docs/json.md)."""
    roof = roof or roofline(report, device, tf32=tf32)
    fp = fp or footprint(report, device)
    out = roofline_dict(report, device, tf32=tf32, roof=roof)
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
    pred = pred or predict(report, device, tf32=tf32)
    out.update(prediction_dict(pred))
    per = pred.per_node()
    for n in out["nodes"]:
        p, _, into = per.get(n["name"], (None, None, ""))
        n["predicted_s"] = p
        n["fused_into"] = into or None
    if measured_s is not None:
        out["measured"] = utilization(roof, measured_s)
        out["measured"].update(against(pred, measured_s))
    return out


def prediction_dict(pred: Prediction) -> dict[str, Any]:
    """The floor, the prediction and the model-level answers (docs/json.md)."""
    verdict, part = pred.verdict
    modules: dict[str, float] = {}
    for kt in pred.kernels:  # every depth of the module path, so that any --depth can be read off
        path = kt.kernel.head.scope_path
        for d in range(1, len(path) + 1):
            key = "/".join(path[:d])
            modules[key] = modules.get(key, 0.0) + kt.predicted_s
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


def _si(x: float | None, unit: str) -> str:
    if x is None:
        return "-"
    for scale, p in ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(x) >= scale:
            return f"{x / scale:.3g} {p}{unit}"
    return f"{x:.3g} {unit}"


def _bin(x: float | None) -> str:
    """Bytes in the decimal units of every table (1 KB = 1,000 B, as ``si``): one unit
    family on every screen, so a footprint reads against the totals' bytes above it."""
    if x is None:
        return "-"
    from onnx_cost.text import si

    return si(int(x) if float(x).is_integer() else x, "B")


def _time(s: float) -> str:
    for scale, unit in ((1.0, "s"), (1e-3, "ms"), (1e-6, "us")):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s * 1e9:.3g} ns"


def footprint_lines(fp: Footprint) -> list[str]:
    """The footprint in a few human lines."""
    lines = [
        f"  weights {_bin(fp.weight_bytes)} + peak activations {_bin(fp.peak_activation_bytes)}"
        f" (at {printable(fp.peak_node, 60) or 'the graph inputs'}) = {_bin(fp.total_bytes)}"
    ]
    if fp.unknown_tensors:
        lines.append(f"  {fp.unknown_tensors} tensor(s) of unknown size left out: the peak is a lower bound")
    if fp.fits is not None:
        m = fp.margin_bytes or 0
        verdict = f"fits, {_bin(m)} to spare" if fp.fits else f"does NOT fit: short by {_bin(-m)}"
        cap = fp.capacity_bytes or 0
        vendor = f" (the vendor's {cap / 2**30:.3g} GB, binary)" if cap >= 2**30 and cap % 2**30 == 0 else ""
        lines.append(f"  device memory {_bin(cap)}{vendor}: {verdict}")
    return lines


def fit(lines: list[str], width: int | None = None) -> str:
    """``lines`` as text of at most ``width`` columns (default: the terminal's): each
    wrapped between words, continuation lines indented under it."""
    from onnx_cost.text import terminal_width, wrap

    width = width or terminal_width()
    out: list[str] = []
    for line in lines:
        indent = line[: len(line) - len(line.lstrip())]
        out += wrap(line.lstrip(), width, indent)
    return "\n".join(out) + "\n"


def hardware_text(
    report: Report, device: Device, *, tf32: bool = False, measured_s: float | None = None, top: int = 5,
    roof: Roofline | None = None, fp: Footprint | None = None, width: int | None = None,
    pred: Prediction | None = None,
) -> str:
    """The hardware view as a few lines for the table output, in at most ``width``
    columns (default: the terminal's)."""
    roof = roof or roofline(report, device, tf32=tf32)
    d = device_dict(roof)
    tag = " (measured on this machine)" if device.measured else ""
    lines = [
        f"Device: {printable(device.name, 80)}{tag}",
        f"  peak {_si(d['peak_ops_per_s'], 'op/s')} at {d['peak_used']},"
        f" bandwidth {_si(d['bandwidth_bytes_per_s'], 'B/s')}"
        + (f", ridge {d['ridge_ops_per_byte']:.3g} op/B" if d["ridge_ops_per_byte"] else ""),
    ]
    pred = pred or predict(report, device, tf32=tf32)
    lines += prediction_lines(pred, top)
    if roof.skipped:
        lines.append(f"  {roof.skipped} node(s) not counted: floor and prediction leave them out")
    b = roof.bound_counts
    lines.append("  nodes on the roofline: " + ", ".join(f"{v} {k}-bound" for k, v in sorted(b.items()))
                 + f"; roofline sum {_time(roof.floor_s)} (unfused, every byte from memory)")
    lines.append("Memory footprint:")
    lines.extend(footprint_lines(fp or footprint(report, device)))
    if measured_s is not None:
        u = utilization(roof, measured_s)
        util = f"{u['utilization'] * 100:.3g}%" if u["utilization"] is not None else "-"
        a = against(pred, measured_s)
        lines.append(
            f"Measured {_time(measured_s)}: {_si(u['achieved_ops_per_s'], 'op/s')} achieved, utilization {util}"
            f" of the {u['peak_used']} peak; predicted {a['predicted_error']:+.0%} off it; the floor is"
            f" {a['floor_fraction_kernels'] * 100:.3g}% of that time"
        )
        if a["contradiction"]:
            lines.append(f"  CONTRADICTION: {a['contradiction']}")
    return fit(lines, width)


def prediction_lines(pred: Prediction, top: int = 5) -> list[str]:
    """Floor, prediction, verdict, shares and opportunities, a few lines."""
    if pred.calibrated and pred.band:
        est = f"predicted {_time(pred.predicted_s)} (±{pred.band:.0%}, the band our validation measured on this device)"
    elif pred.calibrated:
        est = f"predicted {_time(pred.predicted_s)} (calibrated; no validation band recorded: make validate)"
    else:
        est = (f"predicted {_time(pred.low_s)} to {_time(pred.high_s)} (UNCALIBRATED: generic efficiencies,"
               " no measurement of this device behind them)")
    lines = [
        f"  floor {_time(pred.floor_s)} (a lower bound: the device's peaks, fused kernels, cache-resident data"
        " at cache speed, no dispatch cost)",
        f"  {est}",
    ]
    bound, part = pred.verdict
    others = ", ".join(f"{k} {v:.0%}" for k, v in share(pred.by_bound, pred.predicted_s).items() if k != bound)
    lines.append(f"  {bound}-bound: {part:.0%} of the predicted time" + (f" ({others})" if others else ""))
    for title, table in (("by op type", pred.by_op_type), ("by scope", pred.by_scope)):
        sh = list(share(table, pred.predicted_s).items())[:top]
        if sh:
            lines.append(f"  predicted time {title}: " + ", ".join(f"{printable(k, 40)} {v:.0%}" for k, v in sh))
    for i, o in enumerate(pred.opportunities, 1):
        lines.append(
            f"  opportunity {i}: {o['kind']} x{o['count']} ({o['what']}): saves about {_time(o['saved_s'])}"
            f" ({o['saved_s'] / (pred.predicted_s or 1):.0%}); largest at {printable(o['largest'], 60)}"
        )
    return lines
