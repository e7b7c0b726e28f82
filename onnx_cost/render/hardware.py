"""The hardware view as text: the device's peaks, the roofline floor, the prediction and its
model-level answers, the footprint and whether the model fits (the table, Markdown and HTML
show these lines; JSON carries ``views.hardware.data``). Names from the model are escaped
(``errors.printable``) and each line wraps to the terminal's width."""

from __future__ import annotations

from typing import TYPE_CHECKING

from onnx_cost.errors import printable
from onnx_cost.text import bytes_text, time_text, unit_text
from onnx_cost.views.hardware.devices import Device
from onnx_cost.views.hardware.footprint import Footprint, footprint
from onnx_cost.views.hardware.predict import Prediction, predict, share
from onnx_cost.views.hardware.roofline import Roofline, roofline, utilization
from onnx_cost.views.hardware.view import against, device_dict

if TYPE_CHECKING:
    from onnx_cost.model.report import Report


def footprint_lines(fp: Footprint) -> list[str]:
    """The footprint in a few human lines."""
    lines = [
        f"  weights {bytes_text(fp.weight_bytes)} + peak activations {bytes_text(fp.peak_activation_bytes)}"
        f" (at {printable(fp.peak_node, 60) or 'the graph inputs'}) = {bytes_text(fp.total_bytes)}"
    ]
    if fp.unknown_tensors:
        lines.append(f"  {fp.unknown_tensors} tensor(s) of unknown size left out: the peak is a lower bound")
    if fp.fits is not None:
        m = fp.margin_bytes or 0
        verdict = f"fits, {bytes_text(m)} to spare" if fp.fits else f"does NOT fit: short by {bytes_text(-m)}"
        cap = fp.capacity_bytes or 0
        vendor = f" (the vendor's {cap / 2**30:.3g} GB, binary)" if cap >= 2**30 and cap % 2**30 == 0 else ""
        lines.append(f"  device memory {bytes_text(cap)}{vendor}: {verdict}")
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
        f"  peak {unit_text(d['peak_ops_per_s'], 'op/s')} at {d['peak_used']},"
        f" bandwidth {unit_text(d['bandwidth_bytes_per_s'], 'B/s')}"
        + (f", ridge {d['ridge_ops_per_byte']:.3g} op/B" if d["ridge_ops_per_byte"] else ""),
    ]
    pred = pred or predict(report, device, tf32=tf32)
    lines += prediction_lines(pred, top)
    if roof.skipped:
        lines.append(f"  {roof.skipped} node(s) not counted: floor and prediction leave them out")
    b = roof.bound_counts
    lines.append("  nodes on the roofline: " + ", ".join(f"{v} {k}-bound" for k, v in sorted(b.items()))
                 + f"; roofline sum {time_text(roof.floor_s)} (unfused, every byte from memory)")
    lines.append("Memory footprint:")
    lines.extend(footprint_lines(fp or footprint(report, device)))
    if measured_s is not None:
        u = utilization(roof, measured_s)
        util = f"{u['utilization'] * 100:.3g}%" if u["utilization"] is not None else "-"
        a = against(pred, measured_s)
        lines.append(
            f"Measured {time_text(measured_s)}: {unit_text(u['achieved_ops_per_s'], 'op/s')} achieved, "
            f"utilization {util}"
            f" of the {u['peak_used']} peak; predicted {a['predicted_error']:+.0%} off it; the floor is"
            f" {a['floor_fraction_kernels'] * 100:.3g}% of that time"
        )
        if a["contradiction"]:
            lines.append(f"  CONTRADICTION: {a['contradiction']}")
    return fit(lines, width)


def prediction_lines(pred: Prediction, top: int = 5) -> list[str]:
    """Floor, prediction, verdict, shares and opportunities, a few lines."""
    if pred.calibrated and pred.band:
        est = (f"predicted {time_text(pred.predicted_s)} (±{pred.band:.0%}, the band our validation measured on "
               "this device)")
    elif pred.calibrated:
        est = f"predicted {time_text(pred.predicted_s)} (calibrated; no validation band recorded: make validate)"
    else:
        est = (f"predicted {time_text(pred.low_s)} to {time_text(pred.high_s)} (UNCALIBRATED: generic efficiencies,"
               " no measurement of this device behind them)")
    lines = [
        f"  floor {time_text(pred.floor_s)} (a lower bound: the device's peaks, fused kernels, cache-resident data"
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
            f"  opportunity {i}: {o['kind']} x{o['count']} ({o['what']}): saves about {time_text(o['saved_s'])}"
            f" ({o['saved_s'] / (pred.predicted_s or 1):.0%}); largest at {printable(o['largest'], 60)}"
        )
    return lines
