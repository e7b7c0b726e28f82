"""The precision a node computes in, from the dtypes it reads and its cost.

- No arithmetic counted (zero-compute, or an all-zero cost): ``""``.
- Floating-point work only: the float dtype of its float inputs (``fp32``, ``fp16``,
  ``bf16``, ``fp64``, ``fp8``...; its outputs when no input is typed); ``mixed``
  when they differ (fp16 data with an fp32 scale).
- Integer work only: the narrowest integer dtype among its inputs (``int8``,
  ``uint8``, ``int4``, ``int32``, ``int64``...); where signed and unsigned of that
  width meet (uint8 activations times int8 weights), the signed name.
- Both: ``mixed``; except that a node whose contraction is all integer (QLinearConv,
  ConvInteger, MatMulInteger, QGemm, MatMulIntegerToFloat, DynamicQuantizeLSTM...: int_macs =
  macs > 0) is named by the integer type of that contraction, whatever float arithmetic its
  requantization adds: the MACs decide which peak a chip runs it at. A node with integer and
  float MACs (QAttention: integer projection, float attention core) is ``mixed``.
- QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear (any domain): the integer type
  they quantize to or from (``int8``, ``uint8``, ``int4``...), whatever they compute in.
- MatMulNBits: its accuracy_level, the type ONNX Runtime computes in (1 fp32, 2 fp16, 3 bf16,
  4 int8); 0 (unset): A's float type, the weights of ``bits`` bits being dequantized to it.
- A QDQ-fused group (the qdq_fused view): the integer type of its dequantized inputs
  (``fused_precision``).

fp32 contractions stay ``fp32``: whether a chip runs them on its tf32 units is the hardware
view's choice (``--tf32``), not a property of the model; ``tf32_eligible`` says which nodes could.
"""

from __future__ import annotations

from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import NodeView, TensorInfo

# numpy-style dtype names (analyzer.dtypes) -> precision names; fp8/fp6/fp4 families merged.
FLOAT_NAMES: dict[str, str] = {
    "float64": "fp64",
    "float32": "fp32",
    "float16": "fp16",
    "bfloat16": "bf16",
    "float8e4m3fn": "fp8",
    "float8e4m3fnuz": "fp8",
    "float8e5m2": "fp8",
    "float8e5m2fnuz": "fp8",
    "float8e8m0": "fp8",
    "float6e2m3": "fp6",
    "float6e3m2": "fp6",
    "float4e2m1": "fp4",
    "complex64": "complex64",
    "complex128": "complex128",
}
INT_BITS: dict[str, int] = {
    "int2": 2, "uint2": 2, "int4": 4, "uint4": 4, "int8": 8, "uint8": 8,
    "int16": 16, "uint16": 16, "int32": 32, "uint32": 32, "int64": 64, "uint64": 64,
}  # fmt: skip
MIXED = "mixed"
# Conversions between float and a quantized integer type: named by the integer side.
QUANTIZERS = frozenset({"QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear"})


# MatMulNBits accuracy_level -> the type ONNX Runtime computes in (0: A's type).
NBITS_ACCURACY = {1: "fp32", 2: "fp16", 3: "bf16", 4: "int8"}


def precision(view: NodeView, cost: Cost) -> str:
    """The compute precision of a counted node (rules in the module docstring)."""
    floating = cost.flops > 0 or cost.macs > cost.int_macs  # macs counts every precision
    integer = cost.int_ops > 0 or cost.int_macs > 0
    if view.op_type in QUANTIZERS and (floating or integer):
        return _integer(view.inputs + view.outputs) or MIXED
    if view.op_type == "MatMulNBits" and cost.macs:
        level = NBITS_ACCURACY.get(int(view.attr("accuracy_level") or 0))
        return level or _float(view.inputs[:1]) or MIXED
    if cost.int_macs and cost.int_macs == cost.macs:  # an all-integer contraction names the node
        return _integer(view.inputs) or _integer(view.outputs) or MIXED
    if floating and integer:
        return MIXED
    if floating:
        return _float(view.inputs) or _float(view.outputs)
    if integer:
        return _integer(view.inputs) or _integer(view.outputs)
    return ""


def _float(ts: tuple[TensorInfo | None, ...]) -> str:
    names = {FLOAT_NAMES[t.dtype] for t in ts if t is not None and t.dtype in FLOAT_NAMES}
    if not names:
        return ""
    return names.pop() if len(names) == 1 else MIXED


def _integer(ts: tuple[TensorInfo | None, ...]) -> str:
    names = [t.dtype for t in ts if t is not None and t.dtype in INT_BITS]
    return fused_precision(names) if names else ""


def fused_precision(dtypes: list[str]) -> str:
    """The precision of a QDQ-fused group from the integer dtypes its DequantizeLinear nodes read
    (or their precisions, which name them): the narrowest, signed where signed and unsigned meet."""
    names = [d for d in dtypes if d in INT_BITS]
    if not names:
        return MIXED
    width = min(INT_BITS[n] for n in names)
    at = {n for n in names if INT_BITS[n] == width}
    return at.pop() if len(at) == 1 else f"int{width}"


def tf32_eligible(precision: str, cost: Cost) -> bool:
    """True for an fp32 node with float MACs: a chip may run its contraction on tf32 units."""
    return precision == "fp32" and cost.macs > cost.int_macs
