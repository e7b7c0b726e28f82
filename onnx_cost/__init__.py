"""onnx-cost: exact static FLOPs, MACs, params and memory bytes of ONNX models."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from onnx_cost._hooks import LOCAL_DEVICE as _LOCAL_DEVICE
from onnx_cost._version import __version__
from onnx_cost.api import analyze, formula, sweep
from onnx_cost.errors import (
    BindingError,
    ExternalDataError,
    InternalError,
    InvalidGraphError,
    ModelFileError,
    NotOnnxError,
    OnnxCostError,
    OutputError,
    ResourceLimitError,
    UnsupportedModelError,
)

# analyze_many and llm load their layers (the worker pool, onnxruntime's runner) on first use,
# so that ``import onnx_cost`` stays light; one signature each, where they are defined. The
# result types (for type hints, and a View for Report.with_view) load on first use too.
_LAZY = {"analyze_many": "onnx_cost.runners.many", "llm": "onnx_cost.runners.llm",
         "Report": "onnx_cost.model.report", "View": "onnx_cost.model.report", "Totals": "onnx_cost.model.totals"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'onnx_cost' has no attribute {name!r}")


def _local_device() -> Device:
    """``--device local`` (views/hardware/devices.py names it, runners/calibrate.py measures it)."""
    from onnx_cost.runners.calibrate import load_local

    return load_local()


_LOCAL_DEVICE.append(_local_device)

if TYPE_CHECKING:
    from onnx_cost.model.report import Report, View
    from onnx_cost.model.totals import Totals
    from onnx_cost.runners.llm import llm
    from onnx_cost.runners.many import analyze_many
    from onnx_cost.views.hardware.devices import Device

__all__ = [
    "__version__",
    "analyze",
    "analyze_many",
    "sweep",
    "formula",
    "llm",
    "Report",
    "View",
    "Totals",
    "BindingError",
    "OnnxCostError",
    "ModelFileError",
    "NotOnnxError",
    "InvalidGraphError",
    "UnsupportedModelError",
    "ExternalDataError",
    "OutputError",
    "ResourceLimitError",
    "InternalError",
]
