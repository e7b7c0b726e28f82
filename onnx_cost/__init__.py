"""onnx-cost: exact static FLOPs, MACs, params and memory bytes of ONNX models."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .api import analyze, formula, sweep
from .errors import (
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

__version__ = "0.1.0"


def analyze_many(
    paths: Iterable[str | os.PathLike[str]], executor: Executor | None = None, **kwargs: Any
) -> list[ModelRow]:
    """Analyze many models in worker processes (or on ``executor``, any
    ``concurrent.futures.Executor``): one summary row per model, failures included;
    see ``onnx_cost.reports.batch.analyze_many``."""
    from .reports.batch import analyze_many as _many

    return _many(paths, executor, **kwargs)


if TYPE_CHECKING:
    from concurrent.futures import Executor

    from .reports.batch import ModelRow

__all__ = [
    "__version__",
    "analyze",
    "analyze_many",
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
    "InternalError",
]
