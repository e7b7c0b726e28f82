"""The hardware view of a report, as one value: the roofline, the prediction and the
footprint on a device, and the ``View`` that carries them (``Report.views["hardware"]``).
``onnx_cost.analyze(..., device=)`` and the command line's ``--device`` both build it here;
the command line adds what only it does (``--measure``, ``--plot``, the text)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from onnx_cost.model.report import View
from onnx_cost.text import time_text
from onnx_cost.views.hardware.footprint import Footprint, footprint
from onnx_cost.views.hardware.predict import Prediction, predict
from onnx_cost.views.hardware.roofline import Roofline, roofline
from onnx_cost.views.hardware.view import hardware_dict

if TYPE_CHECKING:
    from onnx_cost.model.report import Report
    from onnx_cost.views.hardware.devices import Device

VIEW = "hardware"  # the name of the view in Report.views (docs/json.md)


@dataclass(frozen=True)
class Parts:
    """What the view is computed from: the per-node roofline, the prediction, the footprint."""

    roof: Roofline
    pred: Prediction
    fp: Footprint


def parts(report: Report, device: Device, *, tf32: bool = False, depth: int = 1) -> Parts:
    """The roofline, prediction (per-module shares at ``depth``) and footprint of ``report``."""
    return Parts(roofline(report, device, tf32=tf32), predict(report, device, tf32=tf32, depth=depth),
                 footprint(report, device))


def view(report: Report, device: Device, p: Parts, *, tf32: bool = False, measured_s: float | None = None,
         run: dict[str, Any] | None = None) -> View:
    """The view: its one-line title (floor, prediction, verdict, fit) and its data (docs/json.md
    ``views.hardware``); ``run``: what ``--measure`` measured, as data."""
    pred, fp = p.pred, p.fp
    data = hardware_dict(report, device, tf32=tf32, measured_s=measured_s, roof=p.roof, fp=fp, pred=pred)
    if run is not None:
        data["run"] = run
    fits = "" if fp.fits is None else ("; fits its memory" if fp.fits else "; does NOT fit its memory")
    return View(
        f"the same counts on {device.name}: latency floor {time_text(pred.floor_s)}, predicted "
        f"{time_text(pred.predicted_s)}{'' if pred.calibrated else ' (uncalibrated)'}; "
        f"{pred.verdict[0]}-bound {pred.verdict[1]:.0%} of the time{fits}",
        report.total,
        data=data,
    )


def with_hardware(report: Report, device: Device, *, tf32: bool = False, depth: int = 1,
                  measured_s: float | None = None) -> Report:
    """``report`` with its hardware view on ``device`` (a new report: ``with_view``)."""
    p = parts(report, device, tf32=tf32, depth=depth)
    return report.with_view(VIEW, view(report, device, p, tf32=tf32, measured_s=measured_s))
