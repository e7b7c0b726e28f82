"""The error of a device name or file, beside the device files and the efficiency tables
that both raise it (devices.py re-exports it)."""

from __future__ import annotations

from onnx_cost.errors import OnnxCostError


class DeviceError(OnnxCostError):
    """A device name is unknown or a device file is malformed (exit 2)."""
