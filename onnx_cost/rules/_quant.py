"""Quantization arithmetic shared by the default-domain quantized ops (quantized.py) and the
com.microsoft ones (contrib_quantized.py): zero points, quantize, dequantize, requantize.
The conventions are stated in quantized.py's docstring.
"""

from __future__ import annotations

from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import NodeView, is_int_dtype

__all__ = ["dequantize", "is_int_dtype", "quantize", "requantize", "zp_active"]


def zp_active(view: NodeView, i: int) -> bool:
    """True when zero-point input ``i`` is present and not statically all zero."""
    if not view.has_input(i):
        return False
    v = view.inputs[i].value  # type: ignore[union-attr]  # has_input: not None
    if v is None:
        return True
    try:
        return bool(v.any())
    except Exception:  # an exotic dtype (float8 stored oddly): assume it is used
        return True


def requantize(n: int, zp: bool) -> Cost:
    """Requantize ``n`` int32 accumulators: multiply by the combined scale, round, add the
    output zero point (when active), saturate (2 compares)."""
    return Cost(arith=n * (2 + int(zp)), compare=2 * n)


def quantize(n: int, zp: bool, integer: bool = True, saturate: bool = True) -> Cost:
    """QuantizeLinear on ``n`` elements: divide by the scale, round (integer targets), add the
    zero point (when active), saturate (2 compares; float8 only when ``saturate``)."""
    compares = 2 * n if (integer or saturate) else 0
    return Cost(arith=n * (1 + int(integer) + int(zp)), compare=compares)


def dequantize(n: int, zp: bool) -> Cost:
    """DequantizeLinear on ``n`` elements: subtract the zero point (when active), multiply."""
    return Cost(arith=n * (1 + int(zp)))
