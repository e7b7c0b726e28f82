"""onnx-cost: exact static FLOPs, MACs, params and memory bytes of ONNX models."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
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


def analyze_many(
    paths: Iterable[str | os.PathLike[str]], executor: Executor | None = None, **kwargs: Any
) -> list[ModelRow]:
    """Analyze many models in worker processes (or on ``executor``, any
    ``concurrent.futures.Executor``): one summary row per model, failures included;
    see ``onnx_cost.runners.many.analyze_many``."""
    from onnx_cost.runners.many import analyze_many as _many

    return _many(paths, executor, **kwargs)


def llm(
    model: ModelSource,
    *,
    prompt: int | None = None,
    context: int = 2048,
    batch: int = 1,
    device: str | Device | None = None,
    seq_dim: str | None = None,
    past_dim: str | None = None,
    dims: Mapping[str, int] | None = None,
    measure: bool = False,
    rules: RuleFiles = None,
) -> LlmResult:
    """The LLM deployment view of a decoder exported with its KV cache (docs/llm.md).

    ``prompt``: prefill tokens (default ``context``); ``context``: tokens cached when one
    decode step runs; ``batch``: sequences at once; ``device``: a preset, a device file or
    a ``Device`` (latency, tokens/s, memory fit, batch scan); ``seq_dim``/``past_dim``:
    the new-token and past dims when the graph does not say; ``dims``: other free dims;
    ``measure``: time the decode step with onnxruntime. Returns a frozen ``LlmResult``
    (``.prefill``, ``.decode``, ``.kv``, ``.ideal``, ``.memory``, ``.batch_scan``,
    ``.to_dict()``); no KV cache: ``UnsupportedModelError``."""
    from onnx_cost.runners.llm import llm as _llm

    return _llm(model, prompt=prompt, context=context, batch=batch, device=device, seq_dim=seq_dim,
                past_dim=past_dim, dims=dims, measure=measure, rules=rules)


def _local_device() -> Device:
    """``--device local`` (views/hardware/devices.py names it, runners/calibrate.py measures it)."""
    from onnx_cost.runners.calibrate import load_local

    return load_local()


_LOCAL_DEVICE.append(_local_device)

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from onnx_cost.api import ModelSource, RuleFiles
    from onnx_cost.runners.batch import ModelRow
    from onnx_cost.views.hardware.devices import Device
    from onnx_cost.views.llm import LlmResult

__all__ = [
    "__version__",
    "analyze",
    "analyze_many",
    "sweep",
    "formula",
    "llm",
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
