"""Providers a lower layer calls and a higher one registers, so that no import goes upward
(docs/architecture.md). Root-level and import-free: registering costs nothing at import time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# ``--device local``: this machine, measured (runners/calibrate.py, which runs onnxruntime).
# views/hardware/devices.py calls it; the package registers it when it loads (onnx_cost/__init__.py).
LOCAL_DEVICE: list[Callable[[], Any]] = []
