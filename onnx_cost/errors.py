"""Typed errors: one exception class per class of problem, each with an exit code.

The CLI prints ``str(error)`` as one line on stderr and exits with ``exit_code``.
"""

from __future__ import annotations


class OnnxCostError(Exception):
    """Base of every error onnx-cost raises on bad input."""

    exit_code = 2


class ModelFileError(OnnxCostError):
    """The path is missing, a directory, empty or unreadable."""


class NotOnnxError(OnnxCostError):
    """The file is not an ONNX model (text, image, a PyTorch zip, truncated protobuf...)."""


class InvalidGraphError(OnnxCostError):
    """The graph is structurally wrong: a cycle, a dangling input, duplicate outputs."""


class UnsupportedModelError(OnnxCostError):
    """The model needs something this onnx cannot give: an opset or IR version from the future."""


class ExternalDataError(OnnxCostError):
    """An external data reference is unsafe (absolute, escaping the model folder)."""


class OutputError(OnnxCostError):
    """The report cannot be written where asked."""
