"""ONNX Runtime quantized contrib ops (com.microsoft): MatMulNBits, MatMulIntegerToFloat,
DynamicQuantizeMatMul, QAttention, QGemm, QLinearConv and the QLinear elementwise ops, plus the
contrib QuantizeLinear/DequantizeLinear, with their output shapes.

Integer contractions, zero points and requantization follow ``quantized`` (the default-domain
family). The QLinear elementwise ops (Add, Mul, Sigmoid, LeakyRelu, Softmax,
GlobalAveragePool, Concat) are counted as their definition reads: dequantize each input
element ((x − zp)·scale: 1 sub when the zero point is active + 1 mul), the float op, and
quantize each output element (1 div, 1 round, 1 add of the zero point when active, 2 compares).
ONNX Runtime's CPU kernels replace the unary ones by a 256-entry lookup table built once per
scale, which costs far less per element; the definition's count is the portable one.
"""

from __future__ import annotations

from math import prod

from onnx_cost.rules._activation import SIGMOID
from onnx_cost.rules._attention import attention_core, attention_shape, head_size, heads
from onnx_cost.rules._dims import dadd, dmul, shape
from onnx_cost.rules._matmul import gemm_dims, matmul_out_dims, matmul_size
from onnx_cost.rules._quant import dequantize, quantize, requantize, zp_active
from onnx_cost.rules._routing import int_contraction
from onnx_cost.rules._softmax import softmax_rows
from onnx_cost.rules._spatial import conv_out_dims, conv_size
from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import NodeView, RuleError, bcast_dims, broadcast, nbytes, numel
from onnx_cost.rules.registry import MS_DOMAIN, rule, shape_of

MS = MS_DOMAIN

@shape_of("QuantizeLinear", domain=MS)
def _quantize_shape(view: NodeView) -> list:
    return [(shape(view, 0), view.in_dtype(2) if view.has_input(2) else "uint8")]


@shape_of("DequantizeLinear", domain=MS)
def _dequantize_shape(view: NodeView) -> list:
    return [(shape(view, 0), view.in_dtype(1))]


# -- weight-quantized and integer matmuls ------------------------------------------------


@rule("MatMulNBits", domain=MS)
def matmul_nbits(view: NodeView) -> Cost:
    """A (..., K) times B quantized to `bits` in blocks of block_size along K (B packed as (N,
    ceil(K/block_size), blob)), M = numel(A)/K, kb = ceil(K/block_size): dequantize the weights (q −
    zp)·scale: 2 arith per weight, 2·N·K; then M·N·K float MACs, dots M·N; bias_adds M·N with bias.
    accuracy_level 4 (A quantized to int8 per block, integer dots): A quantization 3·M·K + 2·M·kb
    arith and M·(K − kb) compare, N·K int_ops for the weight zero points, M·N·K int_macs with
    int_ops 2·M·N·K − M·N·kb, and M·N·(3·kb − 1) arith to scale and sum the block results.

    Float MACs because ONNX Runtime dequantizes the weights to A's float type and runs a float
    GEMM unless accuracy_level = 4 asks for int8 compute (its CPU int8 path is what level 4
    counts). Unpacking the bit fields (shifts and masks) is layout work and is not counted.
    """
    a = view.in_shape(0)
    k, n, bs = int(view.attr("K", 0)), int(view.attr("N", 0)), int(view.attr("block_size", 0))
    if k <= 0 or n <= 0 or bs <= 0:
        raise RuleError(f"attributes K ({k}), N ({n}) and block_size ({bs}) must be positive")
    if a[-1] != k:
        raise RuleError(f"A {list(a)} does not end in K = {k}")
    kb = -(-k // bs)
    w = view.in_shape(1)
    if tuple(w[:2]) != (n, kb):
        raise RuleError(f"B {list(w)} must be (N={n}, ceil(K/block_size)={kb}, blob)")
    m = numel(a) // k
    bias = Cost(bias_adds=m * n if view.has_input(5) else 0)
    if int(view.attr("accuracy_level")) == 4:
        quant_a = Cost(arith=3 * m * k + 2 * m * kb, compare=m * (k - kb))
        ints = int_contraction(m * n * k, m * n * kb) + Cost(int_ops=n * k)
        return quant_a + ints + Cost(arith=m * n * (3 * kb - 1)) + bias
    return Cost(arith=2 * n * k, macs=m * n * k, dots=m * n) + bias


@shape_of("MatMulNBits", domain=MS)
def _matmul_nbits_shape(view: NodeView) -> list:
    a = shape(view, 0)
    return [(None if a is None else (*a[:-1], int(view.attr("N", 0)) or None), view.in_dtype(0))]


def _gbq_out(view: NodeView, data: tuple, idx: tuple) -> tuple:
    """Output dims of GatherBlockQuantized (uint8 data packs 8/bits values along its last axis)."""
    bits = int(view.attr("bits", 4))
    logical = list(data)
    if view.in_dtype(0) == "uint8" and bits < 8 and logical:
        logical[-1] = dmul(logical[-1], 8 // bits)
    axis = int(view.attr("gather_axis", 0))
    if not -len(logical) <= axis < len(logical):
        raise RuleError(f"gather_axis {axis} is out of range for data {list(data)}")
    axis %= len(logical)
    return (*logical[:axis], *idx, *logical[axis + 1 :])


@rule("GatherBlockQuantized", domain=MS)
def gather_block_quantized(view: NodeView) -> Cost:
    """Per output element (indices.shape with the gathered axis of the unpacked data): dequantize
    (q − zero_point)·scale: 1 mul, + 1 sub unless the zero point is zero (no zero_points input:
    0 for int4/uint4 and float8/float4 data, 2^(bits−1) for uint8). read_bytes reads only the
    gathered rows of data, scales and zero_points (numel(t)/t.shape[gather_axis] per index).
    """
    data, idx = view.in_shape(0), view.in_shape(1)
    out = _gbq_out(view, data, idx)
    n = numel(out)
    sub = zp_active(view, 3) if view.has_input(3) else view.in_dtype(0) == "uint8"
    axis = int(view.attr("gather_axis")) % len(data)
    ibits = view.inputs[1].bits  # type: ignore[union-attr]  # in_shape(1) above: input 1 is there
    total, known = nbytes(numel(idx), ibits), bool(ibits)
    for i in (0, 2, 3):
        t = view.inputs[i] if i < len(view.inputs) else None
        if t is None:
            continue
        shp = view.in_shape(i)
        rows = shp[axis] if axis < len(shp) else 1
        elems = numel(shp) if rows <= 1 else numel(shp) // rows * numel(idx)
        known = known and bool(t.bits)
        total += nbytes(elems, t.bits)
    return Cost(arith=n * (1 + int(sub)), read_bytes=total if known else None)


@shape_of("GatherBlockQuantized", domain=MS)
def _gbq_shape(view: NodeView) -> list:
    data, idx = shape(view, 0), shape(view, 1)
    return [(None if data is None or idx is None else _gbq_out(view, data, idx), view.in_dtype(2))]


def _scale_mul(view: NodeView, outs: int, *scales: int) -> Cost:
    """acc·(a_scale·b_scale): 1 mul per output, 1 mul per element of the larger scale."""
    return Cost(arith=outs + max(view.in_numel(i) for i in scales))


@rule("MatMulIntegerToFloat", domain=MS)
def matmul_integer_to_float(view: NodeView) -> Cost:
    """Batched integer matmul: batch·M·N·K int_macs, int_ops 2·int_macs − batch·M·N, + 1 int_op per
    element of A (of B) when its zero point is active; to float: 1 mul per output by a_scale·b_scale
    (+ 1 mul per element of the larger scale); bias_adds 1 per output with bias.
    """
    a, b = view.in_shape(0), view.in_shape(1)
    outs, k = matmul_size(a, b)
    zp = numel(a) * zp_active(view, 4) + numel(b) * zp_active(view, 5)
    cost = int_contraction(outs * k, outs) + Cost(int_ops=zp) + _scale_mul(view, outs, 2, 3)
    return cost + Cost(bias_adds=outs if view.has_input(6) else 0)


@rule("DynamicQuantizeMatMul", domain=MS)
def dynamic_quantize_matmul(view: NodeView) -> Cost:
    """Float A quantized on the fly (DynamicQuantizeLinear: 3·numel(A) + 5 arith, 4·numel(A) + 2
    compare), then as MatMulIntegerToFloat: batch·M·N·K int_macs, int_ops 2·int_macs − batch·M·N +
    numel(A) (A's computed zero point) + numel(B) when b_zero_point is active; 1 mul per output (+
    numel(b_scale)) to float; bias_adds 1 per output with bias.
    """
    a, b = view.in_shape(0), view.in_shape(1)
    outs, k = matmul_size(a, b)
    na = numel(a)
    cost = Cost(arith=3 * na + 5, compare=4 * na + 2) + int_contraction(outs * k, outs)
    cost += Cost(int_ops=na + numel(b) * zp_active(view, 3), arith=outs + view.in_numel(2))
    return cost + Cost(bias_adds=outs if view.has_input(4) else 0)


@shape_of("MatMulIntegerToFloat", domain=MS)
def _mmitf_shape(view: NodeView) -> list:
    a, b = shape(view, 0), shape(view, 1)
    return [(None if a is None or b is None else matmul_out_dims(a, b), view.in_dtype(2))]


@shape_of("DynamicQuantizeMatMul", domain=MS)
def _dqmm_shape(view: NodeView) -> list:
    a, b = shape(view, 0), shape(view, 1)
    return [(None if a is None or b is None else matmul_out_dims(a, b), view.in_dtype(0))]


@rule("QGemm", domain=MS)
def qgemm(view: NodeView) -> Cost:
    """Integer Gemm op(A) (M, K)·op(B) (K, N): M·N·K int_macs, int_ops 2·int_macs − M·N, + 1 int_op
    per element of A (of B) when its zero point is active, + M·N int_ops for the int32 C; output:
    float (1 mul per output by alpha·a_scale·b_scale) or, with y_scale, requantized (1 mul, 1 round,
    1 add of y_zero_point when active, 2 compare per output); the combined scale costs 1 + (alpha ≠
    1) + (y_scale given) ops per element of b_scale.
    """
    m, k, n = gemm_dims(view, 0, 3)
    outs = m * n
    cost = int_contraction(outs * k, outs)
    cost += Cost(int_ops=m * k * zp_active(view, 2) + k * n * zp_active(view, 5))
    cost += Cost(int_ops=outs if view.has_input(6) else 0)
    quantized_out = view.has_input(7)
    per_scale = 1 + int(float(view.attr("alpha")) != 1.0) + int(quantized_out)
    cost += Cost(arith=per_scale * view.in_numel(4))
    return cost + (requantize(outs, zp_active(view, 8)) if quantized_out else Cost(arith=outs))


@shape_of("QGemm", domain=MS)
def _qgemm_shape(view: NodeView) -> list:
    a, b = shape(view, 0), shape(view, 3)
    dt = (view.in_dtype(8) or "uint8") if view.has_input(7) else "float32"
    if a is None or b is None or len(a) != 2 or len(b) != 2:
        return [(None, dt)]
    m = a[1] if view.attr("transA") else a[0]
    n = b[0] if view.attr("transB") else b[1]
    return [((m, n), dt)]


@rule("QLinearConv", domain=MS)
def qlinear_conv_ms(view: NodeView) -> Cost:
    """As ONNX QLinearConv (channels_last = 1: x and y are NHWC):
    N·Cout·prod(Yspatial)·(Cin/g)·prod(K) int_macs, int_ops 2·int_macs − N·Cout·prod(Yspatial) + 1
    per element of x (of w) when its zero point is active + 1 per output for B; requantization 1
    mul, 1 round, 1 add of y_zero_point when active (arith) and 2 compare per output; 2 arith per
    element of w_scale.
    """
    x, w = view.in_shape(0), view.in_shape(3)
    outs, per = conv_size(view, x, w, bool(view.attr("channels_last")))
    cost = int_contraction(outs * per, outs)
    cost += Cost(int_ops=numel(x) * zp_active(view, 2) + numel(w) * zp_active(view, 5))
    cost += Cost(int_ops=outs if view.has_input(8) else 0, arith=2 * view.in_numel(4))
    return cost + requantize(outs, zp_active(view, 7))


@shape_of("QLinearConv", domain=MS)
def _qlinear_conv_shape(view: NodeView) -> list:
    x, w = shape(view, 0), shape(view, 3)
    out = None if x is None or w is None else conv_out_dims(view, x, w, bool(view.attr("channels_last")))
    return [(out, view.in_dtype(7))]


# -- QAttention -------------------------------------------------------------------------------


@rule("QAttention", domain=MS)
def qattention(view: NodeView) -> Cost:
    """Quantized Attention, input int8 (B, S, Din), weight int8 (Din, 3·H): integer QKV
    projection B·S·Din·3H int_macs, int_ops 2·int_macs − B·S·3H + numel(input) (numel(weight))
    when input_zero_point (weight_zero_point) is active; to float: 1 mul per projected element
    + numel(weight_scale) muls for input_scale·weight_scale; bias_adds B·S·3H; then the float
    attention core as Attention (N = num_heads, D = H/N, T = past length + S, 1 add per score
    for the mask: mask_index and/or unidirectional = 1).

    unidirectional is counted in full (≈ half needed).
    """
    x, w = view.in_shape(0), view.in_shape(1)
    if len(x) != 3 or len(w) != 2 or w[0] != x[2] or w[1] % 3:
        raise RuleError(f"input {list(x)} must be (B, S, in) and weight {list(w)} (in, 3·hidden)")
    b, s, din = x
    h = w[1] // 3
    n = heads(view)
    d = head_size(h, n, "Q")
    past = 0
    if view.has_input(8):
        p = view.in_shape(8)
        if len(p) != 5:
            raise RuleError(f"past must be 5-D (2, batch, heads, past_length, head_size), got {list(p)}")
        past = p[3]
    rows, cols = b * s, 3 * h
    cost = int_contraction(rows * din * cols, rows * cols)
    cost += Cost(int_ops=numel(x) * zp_active(view, 6) + numel(w) * zp_active(view, 7))
    cost += Cost(arith=rows * cols + view.in_numel(4), bias_adds=rows * cols)
    masks = int(view.has_input(5) or bool(view.attr("unidirectional")))
    return cost + attention_core(b, n, s, past + s, d, d, masks)


@shape_of("QAttention", domain=MS)
def _qattention_shape(view: NodeView) -> list:
    return attention_shape(view, 8, view.in_dtype(2) or "float32")


# -- QLinear elementwise ops ----------------------------------------------------------------------


def _binary(view: NodeView) -> Cost:
    a, b = view.in_shape(0), view.in_shape(3)
    n = numel(broadcast(a, b))
    deq = dequantize(numel(a), zp_active(view, 2)) + dequantize(numel(b), zp_active(view, 5))
    return deq + Cost(arith=n) + quantize(n, zp_active(view, 7))


@rule("QLinearAdd", domain=MS)
def qlinear_add(view: NodeView) -> Cost:
    """C = quantize(dequantize(A) + dequantize(B)): per element of A and of B 1 mul (+ 1 sub when
    its zero point is active); per output (broadcast shape) 1 add, then 1 div, 1 round, 1 add of
    C_zero_point when active (arith) and 2 compare.
    """
    return _binary(view)


@rule("QLinearMul", domain=MS)
def qlinear_mul(view: NodeView) -> Cost:
    """C = quantize(dequantize(A)·dequantize(B)): per element of A and of B 1 mul (+ 1 sub when its
    zero point is active); per output 1 mul, then 1 div, 1 round, 1 add of C_zero_point when active
    (arith) and 2 compare.
    """
    return _binary(view)


def _unary(view: NodeView, op: Cost) -> Cost:
    n = view.in_numel(0)
    return dequantize(n, zp_active(view, 2)) + op.scaled(n) + quantize(n, zp_active(view, 4))


@rule("QLinearSigmoid", domain=MS)
def qlinear_sigmoid(view: NodeView) -> Cost:
    """Per element: dequantize (1 mul, + 1 sub when X_zero_point is active), sigmoid (3 arith + 1
    transcendental), quantize (1 div, 1 round, + 1 add when Y_zero_point is active; 2 compare).
    """
    return _unary(view, SIGMOID)


@rule("QLinearLeakyRelu", domain=MS)
def qlinear_leaky_relu(view: NodeView) -> Cost:
    """Per element: dequantize (1 mul, + 1 sub when X_zero_point is active), LeakyRelu (1 compare +
    1 mul), quantize (1 div, 1 round, + 1 add when Y_zero_point is active; 2 compare).
    """
    return _unary(view, Cost(compare=1, arith=1))


@rule("QLinearSoftmax", domain=MS)
def qlinear_softmax(view: NodeView) -> Cost:
    """Dequantize every element (1 mul, + 1 sub when x_zero_point is active), softmax per row of L
    (L − 1 compare, 3L − 1 arith, L transcendental), quantize every element (1 div, 1 round, + 1 add
    when y_zero_point is active; 2 compare). L = X.shape[axis] (axis default −1); with the attribute
    opset < 13, L = prod(X.shape[axis:]) (the 2-D coercion of Softmax-1/11).
    """
    x = view.in_shape(0)
    axis = int(view.attr("axis"))
    if not -len(x) <= axis < len(x):
        raise RuleError(f"axis {axis} is out of range for X {list(x)}")
    axis %= len(x)
    length = prod(x[axis:]) if int(view.attr("opset", 13)) < 13 else x[axis]
    n = numel(x)
    rows = n // length if length else 0
    return dequantize(n, zp_active(view, 2)) + softmax_rows(rows, length) + quantize(n, zp_active(view, 4))


@rule("QLinearGlobalAveragePool", domain=MS)
def qlinear_global_average_pool(view: NodeView) -> Cost:
    """X (N, C, spatial...) or channels-last (N, spatial..., C), P = prod(spatial): dequantize every
    input element (1 mul, + 1 sub when x_zero_point is active); per (n, c): P − 1 adds + 1 div;
    quantize the N·C outputs (1 div, 1 round, + 1 add when y_zero_point is active; 2 compare).
    """
    x = view.in_shape(0)
    if len(x) < 3:
        raise RuleError(f"X must have rank >= 3, got {list(x)}")
    p = prod(x[1:-1]) if view.attr("channels_last") else prod(x[2:])
    outs = numel(x) // p if p else 0
    deq = dequantize(numel(x), zp_active(view, 2))
    return deq + Cost(arith=outs * p) + quantize(outs, zp_active(view, 4))


def _same_tensor(view: NodeView, a: int, b: int) -> bool:
    """Inputs a and b hold statically known, equal values."""
    ta, tb = view.inputs[a], view.inputs[b]
    if ta is None or tb is None or ta.value is None or tb.value is None:
        return False
    return ta.value.shape == tb.value.shape and bool((ta.value == tb.value).all())


@rule("QLinearConcat", domain=MS)
def qlinear_concat(view: NodeView) -> Cost:
    """Inputs (Y_scale, Y_zero_point, then (X, scale, zero_point) per tensor): each X whose scale
    and zero point are not statically equal to Y's is requantized, per element: dequantize (1 mul, +
    1 sub when its zero point is active) and quantize (1 div, 1 round, + 1 add when Y_zero_point is
    active; 2 compare); an X already in Y's quantization is copied (no arithmetic).
    """
    if len(view.inputs) < 5 or (len(view.inputs) - 2) % 3:
        raise RuleError(
            f"expected Y_scale, Y_zero_point and (X, scale, zero_point) triples, got {len(view.inputs)} inputs"
        )
    cost = Cost()
    for i in range(2, len(view.inputs), 3):
        same_zp = _same_tensor(view, i + 2, 1) or (not zp_active(view, i + 2) and not zp_active(view, 1))
        if _same_tensor(view, i + 1, 0) and same_zp:
            continue
        n = view.in_numel(i)
        cost += dequantize(n, zp_active(view, i + 2)) + quantize(n, zp_active(view, 1))
    return cost


@shape_of("QLinearAdd", "QLinearMul", domain=MS)
def _qbinary_shape(view: NodeView) -> list:
    a, b = shape(view, 0), shape(view, 3)
    return [(None if a is None or b is None else bcast_dims(a, b), view.in_dtype(0))]


@shape_of("QLinearSigmoid", "QLinearLeakyRelu", "QLinearSoftmax", domain=MS)
def _qunary_shape(view: NodeView) -> list:
    return [(shape(view, 0), view.in_dtype(0))]


@shape_of("QLinearGlobalAveragePool", domain=MS)
def _qgap_shape(view: NodeView) -> list:
    x = shape(view, 0)
    if x is None or len(x) < 3:
        return [(None, view.in_dtype(0))]
    if view.attr("channels_last"):
        return [((x[0], *([1] * (len(x) - 2)), x[-1]), view.in_dtype(0))]
    return [((x[0], x[1], *([1] * (len(x) - 2))), view.in_dtype(0))]


@shape_of("QLinearConcat", domain=MS)
def _qconcat_shape(view: NodeView) -> list:
    dt = view.in_dtype(1)
    xs = [shape(view, i) for i in range(2, len(view.inputs), 3)]
    if not xs or any(x is None for x in xs):
        return [(None, dt)]
    rank = len(xs[0])  # type: ignore[arg-type]  # no None in xs (checked above)
    axis = int(view.attr("axis", 0)) % rank
    out = list(xs[0])  # type: ignore[arg-type]  # no None in xs
    out[axis] = dadd(*(x[axis] for x in xs))  # type: ignore[index]  # no None in xs
    return [(tuple(out), dt)]
