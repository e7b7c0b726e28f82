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

from collections.abc import Sequence
from math import prod
from typing import Any

from .cost import Cost
from .node import Dim, NodeView, RuleError, numel
from .registry import rule

# -- small helpers ------------------------------------------------------------


def text(v: Any) -> str:
    """A string attribute as str (shape functions see raw bytes)."""
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)


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


def is_int_dtype(dtype: str) -> bool:
    return dtype.startswith(("int", "uint"))


def int_contraction(macs: int, dots: int) -> Cost:
    """An integer dot-product contraction: ``macs`` MACs, all of them integer (``int_macs``),
    in ``dots`` dots (which are integer adds, so they go to ``int_ops``, not ``Cost.dots``)."""
    return Cost(macs=macs, int_macs=macs, int_ops=2 * macs - dots)


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


# -- symbolic dims (for shape functions) -------------------------------------


def dmul(*dims: Dim) -> Dim:
    """Product of dims; None unless every one is a known int."""
    if all(type(d) is int for d in dims):
        return prod(dims)  # type: ignore[arg-type]  # every dim is an int
    return None


def dadd(*dims: Dim) -> Dim:
    if all(type(d) is int for d in dims):
        return sum(dims)  # type: ignore[arg-type]  # every dim is an int
    return None


def ddiv(d: Dim, k: Dim) -> Dim:
    """``d / k`` when both are known ints and ``k`` divides ``d``; else None."""
    if type(d) is int and type(k) is int and k > 0 and d % k == 0:
        return d // k
    return None


def bcast_dims(*shapes: Sequence[Dim]) -> tuple[Dim, ...]:
    """Numpy broadcast of shapes that may hold symbolic dims (None where undecidable)."""
    rank = max((len(s) for s in shapes), default=0)
    out: list[Dim] = []
    for i in range(rank):
        dims = [s[len(s) - rank + i] for s in shapes if len(s) - rank + i >= 0]
        ints = {d for d in dims if type(d) is int and d != 1}
        syms = {d for d in dims if type(d) is not int}
        if len(ints) > 1:
            raise RuleError(f"shapes {[list(s) for s in shapes]} do not broadcast")
        if ints:
            out.append(ints.pop())
        elif len(syms) == 1:
            out.append(syms.pop())
        elif syms:
            out.append(None)
        else:
            out.append(1)
    return tuple(out)


def matmul_out_dims(a: Sequence[Dim], b: Sequence[Dim]) -> tuple[Dim, ...]:
    """numpy.matmul output shape (1-D operands promoted, batch dims broadcast)."""
    if not a or not b:
        raise RuleError("matmul operands must have rank >= 1")
    a2 = (1, *a) if len(a) == 1 else tuple(a)
    b2 = (*b, 1) if len(b) == 1 else tuple(b)
    if type(a2[-1]) is int and type(b2[-2]) is int and a2[-1] != b2[-2]:
        raise RuleError(f"matmul inner dims differ: A {list(a)} and B {list(b)}")
    out = list(bcast_dims(a2[:-2], b2[:-2]))
    if len(a) > 1:
        out.append(a2[-2])
    if len(b) > 1:
        out.append(b2[-1])
    return tuple(out)


def matmul_size(a: Sequence[int], b: Sequence[int]) -> tuple[int, int]:
    """(output elements, K) of numpy.matmul on concrete shapes: MACs = outputs·K, dots = outputs."""
    out = matmul_out_dims(a, b)
    k = a[-1]
    return numel(out), k  # type: ignore[arg-type]  # concrete inputs give concrete dims


# -- conv geometry --------------------------------------------------------------


def conv_out_dims(
    view: NodeView, x: Sequence[Dim], w: Sequence[Dim], channels_last: bool = False
) -> tuple[Dim, ...]:
    """Output shape of a convolution with Conv's attributes (group, strides, pads, dilations,
    auto_pad, kernel_shape), x in NCHW (or NHWC when ``channels_last``), w in [M, C/g, k...].
    Symbolic input dims give None where they matter; inconsistencies raise RuleError."""
    if len(x) < 3 or len(w) != len(x):
        raise RuleError(f"conv needs X of rank >= 3 and W of the same rank; got X {list(x)}, W {list(w)}")
    nsp = len(x) - 2
    cin = x[-1] if channels_last else x[1]
    spatial = list(x[1:-1] if channels_last else x[2:])
    kernel = list(view.attr("kernel_shape") or w[2:])
    strides = list(view.attr("strides") or [1] * nsp)
    dil = list(view.attr("dilations") or [1] * nsp)
    pads = list(view.attr("pads") or [0] * (2 * nsp))
    group = int(view.attr("group", 1))
    auto_pad = text(view.attr("auto_pad", "NOTSET"))
    if len(kernel) != nsp or len(strides) != nsp or len(dil) != nsp or len(pads) != 2 * nsp:
        raise RuleError(
            f"kernel_shape {kernel}, strides {strides}, dilations {dil}, pads {pads} do not match "
            f"{nsp} spatial axes of X {list(x)}"
        )
    if group < 1 or min(strides) < 1 or min(dil) < 1:
        raise RuleError(f"group {group}, strides {strides} and dilations {dil} must be >= 1")
    cout = w[0]
    if type(cin) is int and type(w[1]) is int and w[1] * group != cin:
        raise RuleError(f"W {list(w)} with group {group} expects {w[1] * group} input channels, X has {cin}")
    if type(cout) is int and cout % group:
        raise RuleError(f"group {group} does not divide the {cout} output channels of W {list(w)}")
    out: list[Dim] = []
    for i in range(nsp):
        d, k = spatial[i], kernel[i]
        if type(d) is not int or type(k) is not int:
            out.append(None)
            continue
        ek = dil[i] * (k - 1) + 1
        if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            o = -(-d // strides[i])
        elif auto_pad == "VALID":
            o = (d - ek) // strides[i] + 1 if d >= ek else 0
        elif auto_pad in ("NOTSET", ""):
            padded = d + pads[i] + pads[i + nsp]
            o = (padded - ek) // strides[i] + 1 if padded >= ek else 0
        else:
            raise RuleError(f"auto_pad '{auto_pad}' is not NOTSET, SAME_UPPER, SAME_LOWER or VALID")
        if o <= 0:
            raise RuleError(
                f"kernel {kernel} (dilations {dil}) is larger than the padded input {spatial} (pads {pads})"
            )
        out.append(o)
    return (x[0], *out, cout) if channels_last else (x[0], cout, *out)


def conv_size(
    view: NodeView, x: Sequence[int], w: Sequence[int], channels_last: bool = False
) -> tuple[int, int]:
    """(output elements, MACs per output = (Cin/g)·prod(kernel)) of a conv on concrete shapes."""
    y = conv_out_dims(view, x, w, channels_last)
    kernel = list(view.attr("kernel_shape") or w[2:])
    return numel(y), w[1] * prod(kernel)  # type: ignore[arg-type]  # concrete inputs give concrete dims


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


__all__ = [
    "bcast_dims",
    "conv_out_dims",
    "conv_size",
    "dadd",
    "ddiv",
    "dequantize",
    "dmul",
    "int_contraction",
    "is_int_dtype",
    "matmul_out_dims",
    "matmul_size",
    "quantize",
    "requantize",
    "text",
    "zp_active",
]
