"""Quantized ops of the default domain: QLinearConv, QLinearMatMul, ConvInteger, MatMulInteger,
QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear.

Conventions (shared with the com.microsoft quantized ops in ``contrib_quantized``):

- The integer contraction of a quantized conv/matmul counts in ``macs`` like any contraction
  and in ``int_macs`` (its integer part), and its operations go to ``int_ops`` (2 per int MAC,
  less one per dot), never to ``flops``.
- A zero point is subtracted once per element of the tensor it belongs to, as an integer op,
  when the zero-point input is present and not statically all zero (a known all-zero zero point,
  as in symmetric quantization, costs nothing: kernels skip it).
- Requantization of an int32 accumulator to the output's 8-bit type is float arithmetic, as the
  ONNX reference computes it: per output element 1 multiply by the combined scale
  (a_scale·b_scale/y_scale), 1 round, 1 add of the output zero point (when active) = ``arith``,
  and 2 ``compare`` for the saturation to the type's range. The combined scale itself costs
  1 multiply + 1 divide per element of the per-channel (or per-tensor) weight scale.

Also here: the conv and matmul geometry (with symbolic-dim variants for the contrib shape
functions) that the contrib modules reuse.
"""

from __future__ import annotations

from onnx_cost.rules._matmul import matmul_size
from onnx_cost.rules._quant import dequantize, is_int_dtype, quantize, requantize, zp_active
from onnx_cost.rules._routing import int_contraction
from onnx_cost.rules._spatial import conv_size
from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import NodeView, numel
from onnx_cost.rules.registry import MS_DOMAIN, rule

# -- rules ----------------------------------------------------------------------


def _scale_prep(view: NodeView, scale_idx: int) -> int:
    """Combined requantization scale a_scale·w_scale/y_scale: 1 mul + 1 div per scale element."""
    return 2 * view.in_numel(scale_idx)


@rule("QLinearConv")
def qlinear_conv(view: NodeView) -> Cost:
    """Integer conv: N·Cout·prod(Yspatial)·(Cin/g)·prod(K) int_macs, int_ops = 2·int_macs −
    N·Cout·prod(Yspatial); plus 1 int_op per element of x when x_zero_point is active and per
    element of w when w_zero_point is active; plus 1 int_op per output for the int32 bias B;
    requantization per output: 1 mul by the combined scale, 1 round, 1 add of y_zero_point (when
    active) as arith and 2 compare (saturate); combined scale x_scale·w_scale/y_scale: 1 mul + 1 div
    per element of w_scale.

    A zero point counts as active when the input is present and not statically all zero.
    ONNX Runtime folds the zero points into row/column sums (a few ops per output instead of
    one per input element); peers (onnx-tool) count only the MACs.
    """
    x, w = view.in_shape(0), view.in_shape(3)
    outs, per = conv_size(view, x, w)
    cost = int_contraction(outs * per, outs)
    zp_ops = numel(x) * zp_active(view, 2) + numel(w) * zp_active(view, 5)
    cost += Cost(int_ops=zp_ops + (outs if view.has_input(8) else 0))
    cost += requantize(outs, zp_active(view, 7)) + Cost(arith=_scale_prep(view, 4))
    return cost


@rule("ConvInteger")
def conv_integer(view: NodeView) -> Cost:
    """Integer conv with int32 output: N·Cout·prod(Yspatial)·(Cin/g)·prod(K) int_macs, int_ops =
    2·int_macs − N·Cout·prod(Yspatial), plus 1 int_op per element of x when x_zero_point is active
    and per element of w when w_zero_point is active.

    No float work: the output stays int32 (a following Cast/Mul dequantizes it).
    """
    x, w = view.in_shape(0), view.in_shape(1)
    outs, per = conv_size(view, x, w)
    zp_ops = numel(x) * zp_active(view, 2) + numel(w) * zp_active(view, 3)
    return int_contraction(outs * per, outs) + Cost(int_ops=zp_ops)


@rule("QLinearMatMul")
def qlinear_matmul(view: NodeView) -> Cost:
    """Batched integer matmul (numpy.matmul geometry): batch·M·N·K int_macs, int_ops = 2·int_macs −
    batch·M·N; plus 1 int_op per element of a (of b) when its zero point is active; requantization
    per output: 1 mul, 1 round, 1 add of y_zero_point (when active) as arith and 2 compare; combined
    scale: 1 mul + 1 div per element of the larger of a_scale, b_scale. With float8 inputs (opset
    21) the contraction and zero points count as float (macs, dots, arith) and there is no round.
    """
    a, b = view.in_shape(0), view.in_shape(3)
    outs, k = matmul_size(a, b)
    prep = 2 * max(view.in_numel(1), view.in_numel(4))
    zp_elems = numel(a) * zp_active(view, 2) + numel(b) * zp_active(view, 5)
    yzp = zp_active(view, 7)
    if view.inputs[0].is_float:  # type: ignore[union-attr]  # in_numel(0) above: input 0 is there
        return Cost(macs=outs * k, dots=outs, arith=zp_elems + outs * (1 + int(yzp)) + prep, compare=2 * outs)
    return int_contraction(outs * k, outs) + Cost(int_ops=zp_elems, arith=prep) + requantize(outs, yzp)


@rule("MatMulInteger")
def matmul_integer(view: NodeView) -> Cost:
    """Batched integer matmul with int32 output: batch·M·N·K int_macs, int_ops = 2·int_macs −
    batch·M·N, plus 1 int_op per element of A (of B) when a_zero_point (b_zero_point) is active.
    """
    a, b = view.in_shape(0), view.in_shape(1)
    outs, k = matmul_size(a, b)
    zp_ops = numel(a) * zp_active(view, 2) + numel(b) * zp_active(view, 3)
    return int_contraction(outs * k, outs) + Cost(int_ops=zp_ops)


@rule("QuantizeLinear")
@rule("QuantizeLinear", domain=MS_DOMAIN)  # com.microsoft's is the same op
def quantize_linear(view: NodeView) -> Cost:
    """Per element of x (per-tensor, per-axis or blocked alike): 1 divide by the scale, 1 round to
    nearest even (integer targets), 1 add of y_zero_point when active (arith), and 2 compare to
    saturate to the target range; float8/float4 targets: divide, zero point, and 2 compare only when
    saturate = 1.

    The reference computes it all in float, so all of it is float work even though the
    output is an integer tensor.
    """
    n = view.in_numel(0)
    dt = view.out_dtype(0) or (view.in_dtype(2) if view.has_input(2) else "uint8")
    return quantize(n, zp_active(view, 2), is_int_dtype(dt), bool(view.attr("saturate", 1)))


@rule("DequantizeLinear")
@rule("DequantizeLinear", domain=MS_DOMAIN)
def dequantize_linear(view: NodeView) -> Cost:
    """Per element of x: 1 subtract of x_zero_point when it is active and 1 multiply by the scale
    (arith): (x − zp)·scale.
    """
    return dequantize(view.in_numel(0), zp_active(view, 2))


@rule("DynamicQuantizeLinear")
def dynamic_quantize_linear(view: NodeView) -> Cost:
    """For n = numel(x): min and max of x and 0 (2n compare); scale = (max − min)/255 and zero point
    = round(saturate(0 − min/scale)) (5 arith + 2 compare); then quantize every element: divide,
    round, add zero point (3n arith) and saturate (2n compare). Total arith 3n + 5, compare 4n + 2.
    """
    n = view.in_numel(0)
    return Cost(arith=3 * n + 5, compare=4 * n + 2)
