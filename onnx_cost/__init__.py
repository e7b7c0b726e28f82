"""onnx-cost: exact static FLOPs, MACs, params and memory bytes of ONNX models."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import (
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

if TYPE_CHECKING:
    from .analyzer import Report


def analyze(model: Any, **kwargs: Any) -> Report:
    """Analyze an ONNX model (path or ModelProto); see ``onnx_cost.analyzer.analyze``."""
    from .analyzer import analyze as _analyze

    return _analyze(model, **kwargs)


__all__ = [
    "__version__",
    "analyze",
    "OnnxCostError",
    "ModelFileError",
    "NotOnnxError",
    "InvalidGraphError",
    "UnsupportedModelError",
    "ExternalDataError",
    "OutputError",
    "ResourceLimitError",
]
