"""What the counts mean on a chip: device presets, roofline, latency floor, memory
footprint, utilization; measurement (``--measure``) and pictures (``--plot``) are
optional extras. docs/hardware.md explains the model and its limits.

Importing this package is light (no onnx, no numpy). The CLI's hardware options are
declared in cli/options.py; measurement (runners/measure.py) and the plot (render/plot.py)
load their extras when used.
"""

from __future__ import annotations

from onnx_cost.views.hardware.devices import Device, DeviceError, Figure, load_device, load_device_file, presets
from onnx_cost.views.hardware.footprint import Footprint, footprint
from onnx_cost.views.hardware.roofline import NodeRoof, Roofline, roofline, utilization
from onnx_cost.views.hardware.view import hardware_dict, roofline_dict

__all__ = [
    "Device", "DeviceError", "Figure", "Footprint", "NodeRoof", "Roofline", "footprint", "hardware_dict",
    "load_device", "load_device_file", "presets", "roofline", "roofline_dict", "utilization",
]
