"""onnx-cost: exact static FLOPs, MACs, params and memory bytes of ONNX models."""

from __future__ import annotations

from .api import analyze, formula, sweep
from .errors import (
    BindingError,
    ExternalDataError,
    InvalidGraphError,
    ModelFileError,
    NotOnnxError,
    OnnxCostError,
    OutputError,
    ResourceLimitError,
    UnsupportedModelError,
)

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "analyze",
    "sweep",
    "formula",
    "BindingError",
    "OnnxCostError",
    "ModelFileError",
    "NotOnnxError",
    "InvalidGraphError",
    "UnsupportedModelError",
    "ExternalDataError",
    "OutputError",
    "ResourceLimitError",
]
