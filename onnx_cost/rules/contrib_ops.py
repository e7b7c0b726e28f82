"""ONNX Runtime contrib ops (com.microsoft) of the norm, GELU and fused-op families, with their
output-shape functions (onnx's own inference does not know them).

Shared counts (also used by ``contrib_attention`` and ``contrib_quantized``), per the project's
default-domain conventions:

- LayerNorm over a row of D elements, as ONNX Runtime's kernels compute it (and as the
  default-domain LayerNormalization counts its function body, variance as E[x²] − E[x]²):
  mean D − 1 adds + 1 div; squares D muls, their mean D − 1 adds + 1 div; mean² 1 mul;
  variance 1 sub; + epsilon 1 add; sqrt 1 transcendental; x − mean D subs; divide by the std
  D divs; scale D muls; bias D adds. So 6·D + 3 arith (7·D + 3 with bias) and 1 transcendental
  per row, + 1 transcendental (reciprocal) per row when the inv_std_var output is requested.
- RMS norm over a row of D: D muls (squares), D − 1 adds + 1 div (mean), 1 add (epsilon),
  1 sqrt (transcendental), D divs (normalize), D muls (scale): 4·D + 1 arith + 1 transcendental
  (+ 1 reciprocal per row when inv_std_var is requested).
- Softmax over a row of L: L − 1 compares (max), L subs, L exps, L − 1 adds, L divs.
- GELU (erf form) 0.5·x·(1 + erf(x/√2)): 4 arith + 1 transcendental per element;
  GELU (tanh form) 0.5·x·(1 + tanh(0.797885·x + 0.035677·x·x·x)): 8 arith + 1 transcendental.
- GroupNorm: standardize each group (5·D + 3 arith + 1 sqrt), then scale and bias (2 arith)
  per element; SiLU x·sigmoid(x): 4 arith + 1 transcendental per element.
- Sigmoid: 3 arith + 1 transcendental (neg, exp, add, div). Rotary embedding: per rotated
  element 2 muls + 1 add/sub (x1·cos − x2·sin).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from math import prod
from typing import Any

from onnx_cost.rules._activation import GELU_ERF, GELU_TANH, PER_ELEMENT, SIGMOID, SILU
from onnx_cost.rules._dims import ddiv, shape, text
from onnx_cost.rules._matmul import gemm_dims, matmul_out_dims
from onnx_cost.rules._norm import embed_layernorm, embed_tokens, layernorm, rmsnorm, standardize
from onnx_cost.rules._spatial import conv_out_dims, conv_size
from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import NodeView, RuleError, nbytes, numel
from onnx_cost.rules.registry import MS_DOMAIN, rule, shape_of

MS = MS_DOMAIN

# -- shared counts --------------------------------------------------------------


# Fused activations of FusedConv / FusedGemm (ORT's MLAS activation set), per element.
ACTIVATIONS: dict[str, Cost] = {
    "": Cost(),
    **{name: PER_ELEMENT[name] for name in ("Relu", "Tanh", "Sigmoid", "LeakyRelu")},
    "Clip": Cost(compare=2),  # min and max
    "HardSigmoid": PER_ELEMENT["HardSigmoid"],
}


def activation(view: NodeView, n: int) -> Cost:
    name = text(view.attr("activation", ""))
    if name not in ACTIVATIONS:
        raise RuleError(f"activation '{name}' is not one of {sorted(k for k in ACTIVATIONS if k)}")
    return ACTIVATIONS[name].scaled(n)


def read_bytes(view: NodeView, elems: dict[int, int]) -> int | None:
    """Bytes read when input i is read for ``elems[i]`` elements (others: whole); None when a
    present input's storage size is unknown."""
    total = 0
    for i, t in enumerate(view.inputs):
        if t is None:
            continue
        if not t.bits:
            return None
        total += nbytes(elems[i] if i in elems else view.in_numel(i), t.bits)
    return total


def _axis(view: NodeView, rank: int, default: int = -1) -> int:
    axis = view.attr("axis", default)
    if type(axis) is not int:  # no onnx schema checked its type (a contrib op, or an op before its opset)
        raise RuleError(f"attribute 'axis' is {type(axis).__name__} {axis!r:.40}, not an integer")
    if not -rank <= axis < rank:
        raise RuleError(f"axis {axis} is out of range for rank {rank}")
    return axis % rank


def _same_as_input(view: NodeView) -> list:
    return [(shape(view, 0), view.in_dtype(0))]


def _stat_shape(x: tuple | None, axis: int) -> tuple | None:
    return None if x is None else tuple(d if k < axis else 1 for k, d in enumerate(x))


# -- layer norms ----------------------------------------------------------------


@rule("LayerNormalization", domain=MS)
def layer_normalization(view: NodeView) -> Cost:
    """Per row of D = prod(X.shape[axis:]) elements (rows = prod(X.shape[:axis]), axis
    default −1): 6·D + 3 arith (7·D + 3 with bias B) and 1 transcendental (mean D; squares and
    their mean 2·D; mean², variance, +epsilon 3; sqrt 1; x − mean D; ÷ std D; scale D; bias D),
    + 1 transcendental (reciprocal) per row when the inv_std_var output is requested; the same
    count as the default-domain LayerNormalization.

    ONNX Runtime registers this schema (and SimplifiedLayerNormalization) in the default
    domain at version 1, before ONNX had LayerNormalization-17; the com.microsoft spelling is
    counted the same way. The mean output is an intermediate: no extra work.
    """
    x = view.in_shape(0)
    axis = _axis(view, len(x))
    d = prod(x[axis:])
    return layernorm(numel(x) // d if d else 0, d, view.has_input(2), view.has_output(2))


@rule("SimplifiedLayerNormalization", domain=MS)
@rule("SimplifiedLayerNormalization")
def simplified_layer_normalization(view: NodeView) -> Cost:
    """RMS norm per row of D = prod(X.shape[axis:]) (axis default −1): 4·D + 1 arith (D squares,
    D − 1 adds + 1 div for the mean, 1 add of epsilon, D divs to normalize, D muls by scale) and
    1 transcendental (sqrt), + 1 transcendental (reciprocal) per row when the inv_std_var output
    is requested.

    ONNX Runtime defines SimplifiedLayerNormalization in the default domain (version 1);
    exporters also write it in com.microsoft. ONNX's RMSNormalization-23 counts the same.
    """
    x = view.in_shape(0)
    axis = _axis(view, len(x))
    d = prod(x[axis:])
    return rmsnorm(numel(x) // d if d else 0, d, view.has_output(1))


def _skip_sum(view: NodeView) -> tuple[int, int, int]:
    """(elements, rows, D) of a Skip*Normalization, with its skip/bias shapes checked."""
    x = view.in_shape(0)
    if len(x) not in (2, 3):
        raise RuleError(f"input must be 2-D or 3-D, got {list(x)}")
    d = x[-1]
    if view.in_shape(2)[-1:] != (d,):
        raise RuleError(f"gamma {list(view.in_shape(2))} does not match hidden size {d}")
    n = numel(x)
    return n, n // d if d else 0, d


@rule("SkipLayerNormalization", domain=MS)
def skip_layer_normalization(view: NodeView) -> Cost:
    """s = input + skip (+ bias): 1 add per element of input (2 with bias); then LayerNorm of s
    over the hidden size D per row: 6·D + 3 arith (7·D + 3 with beta) and 1 transcendental,
    + 1 transcendental (reciprocal) per row when inv_std_var (output 2) is requested.

    The optional outputs mean and input_skip_bias_sum are intermediates of that computation:
    writing them is in write_bytes, no extra arithmetic.
    """
    n, rows, d = _skip_sum(view)
    norm = layernorm(rows, d, view.has_input(3), view.has_output(2))
    return Cost(arith=n * (1 + int(view.has_input(4)))) + norm


@rule("SkipSimplifiedLayerNormalization", domain=MS)
def skip_simplified_layer_normalization(view: NodeView) -> Cost:
    """s = input + skip (+ bias): 1 add per element of input (2 with bias); then RMS norm of s
    over the hidden size D per row: 4·D + 1 arith and 1 transcendental, + 1 transcendental
    (reciprocal) per row when inv_std_var (output 2) is requested.
    """
    n, rows, d = _skip_sum(view)
    return Cost(arith=n * (1 + int(view.has_input(3)))) + rmsnorm(rows, d, view.has_output(2))


@rule("EmbedLayerNormalization", domain=MS)
def embed_layer_normalization(view: NodeView) -> Cost:
    """For B·S tokens of hidden size H: word + position embedding rows (+ segment rows when
    segment_ids is given): B·S·H adds (2·B·S·H with segments); LayerNorm per token: 7·H + 3
    arith and 1 transcendental; with mask: the mask index (count of ones per sequence)
    B·(S − 1) int_ops. read_bytes reads only the gathered embedding rows (B·S·H per table),
    not whole tables.
    """
    b, s, h = embed_tokens(view)
    tokens = b * s
    cost = embed_layernorm(b, s, h, view.has_input(1) and view.has_input(4), view.has_input(7))
    return replace(cost, read_bytes=read_bytes(view, {2: tokens * h, 3: tokens * h, 4: tokens * h}))


def _group_norm(view: NodeView) -> tuple[Cost, int]:
    x = view.in_shape(0)
    if len(x) < 3:
        raise RuleError(f"X must have rank >= 3, got {list(x)}")
    c = x[-1] if view.attr("channels_last", 1) else x[1]
    g = int(view.attr("groups", 0))
    if g <= 0 or c % g:
        raise RuleError(f"groups {g} must be positive and divide the {c} channels of X {list(x)}")
    n = numel(x)
    cost = standardize(x[0] * g, n // (x[0] * g)) + Cost(arith=2 * n)
    if view.attr("activation", 0):
        cost += SILU.scaled(n)
    return cost, n


@rule("GroupNorm", domain=MS)
def group_norm(view: NodeView) -> Cost:
    """X (N, H, W, C) (channels_last = 1, the default) or (N, C, H, W), G = groups, D = (C/G)·H·W:
    standardize N·G groups of D (5·D + 3 arith + 1 sqrt each), then gamma and beta 2 arith per
    element; activation = 1 (SiLU): + 4 arith + 1 transcendental per element. The same count as
    the default-domain GroupNormalization.
    """
    return _group_norm(view)[0]


@rule("SkipGroupNorm", domain=MS)
def skip_group_norm(view: NodeView) -> Cost:
    """s = X + skip (+ bias): 1 add per element (2 with bias); then GroupNorm of s: N·G groups of
    D = (C/G)·H·W standardized (5·D + 3 arith + 1 sqrt each), gamma and beta 2 arith per element,
    SiLU (activation = 1) 4 arith + 1 transcendental per element.
    """
    cost, n = _group_norm(view)
    return cost + Cost(arith=n * (1 + int(view.has_input(4))))


@shape_of("LayerNormalization", domain=MS)
@shape_of("LayerNormalization", domain="")
def _layer_norm_shape(view: NodeView) -> list:
    x = shape(view, 0)
    stat = None if x is None else _stat_shape(x, _axis(view, len(x)))
    return [(x, view.in_dtype(0)), (stat, "float32"), (stat, "float32")]


@shape_of("SimplifiedLayerNormalization", domain=MS)
@shape_of("SimplifiedLayerNormalization", domain="")
def _simplified_norm_shape(view: NodeView) -> list:
    x = shape(view, 0)
    stat = None if x is None else _stat_shape(x, _axis(view, len(x)))
    return [(x, view.in_dtype(0)), (stat, "float32")]


@shape_of("SkipLayerNormalization", "SkipSimplifiedLayerNormalization", domain=MS)
def _skip_norm_shape(view: NodeView) -> list:
    x = shape(view, 0)
    stat = None if x is None else (*x[:-1], 1)
    dt = view.in_dtype(0)
    return [(x, dt), (stat, "float32"), (stat, "float32"), (x, dt)]


@shape_of("EmbedLayerNormalization", domain=MS)
def _embed_norm_shape(view: NodeView) -> list:
    ids, emb = shape(view, 0), shape(view, 2)
    h = emb[-1] if emb else None
    out = (ids[0], ids[1], h) if ids is not None and len(ids) == 2 else None
    dt = view.in_dtype(2)
    return [(out, dt), ((ids[0],) if ids is not None and out else None, "int32"), (out, dt)]


# -- GELUs and elementwise fusions ------------------------------------------------


@rule("Gelu", domain=MS)
def gelu(view: NodeView) -> Cost:
    """Per element of X: 0.5·x·(1 + erf(x/√2)) = 4 arith (x·(1/√2), + 1, · 0.5, · x) + 1
    transcendental (erf).
    """
    return GELU_ERF.scaled(view.in_numel(0))


@rule("BiasGelu", domain=MS)
def bias_gelu(view: NodeView) -> Cost:
    """Per element of A: 1 add of the bias B, then erf GELU: 5 arith + 1 transcendental.
    """
    return Cost(arith=view.in_numel(0)) + GELU_ERF.scaled(view.in_numel(0))


@rule("FastGelu", domain=MS)
def fast_gelu(view: NodeView) -> Cost:
    """Per element of X: 0.5·x·(1 + tanh(0.797885·x + 0.035677·x·x·x)) = 8 arith (3 muls for
    0.035677·x·x·x, 1 mul 0.797885·x, 1 add, 1 add of 1, 1 mul 0.5·x, 1 final mul) + 1
    transcendental (tanh); +1 arith per element with the optional bias.
    """
    n = view.in_numel(0)
    return GELU_TANH.scaled(n) + Cost(arith=n * int(view.has_input(1)))


@rule("QuickGelu", domain=MS)
def quick_gelu(view: NodeView) -> Cost:
    """Per element of X: x·sigmoid(alpha·x) = 1 mul (alpha·x) + sigmoid (3 arith + 1 transcendental)
    + 1 mul = 5 arith + 1 transcendental.

    The alpha multiply is counted for every alpha (default 1.702), 1.0 included.
    """
    return Cost(arith=2 * view.in_numel(0)) + SIGMOID.scaled(view.in_numel(0))


@rule("BiasAdd", domain=MS)
def bias_add(view: NodeView) -> Cost:
    """Per element of X (N, S, C): X + bias + skip = 2 arith.
    """
    return Cost(arith=2 * view.in_numel(0))


@rule("BiasSplitGelu", domain=MS)
def bias_split_gelu(view: NodeView) -> Cost:
    """X (N, S, D) + bias: N·S·D adds; then for each of the N·S·D/2 outputs, left·Gelu(right): erf
    GELU (4 arith + 1 transcendental) + 1 mul. Total arith N·S·D + 5·N·S·D/2, transcendental
    N·S·D/2.
    """
    x = view.in_shape(0)
    if x[-1] % 2:
        raise RuleError(f"the hidden size {x[-1]} of X {list(x)} is odd: it cannot be split in two")
    n = numel(x)
    return Cost(arith=n + n // 2) + GELU_ERF.scaled(n // 2)


@rule("RotaryEmbedding", domain=MS)
def rotary_embedding(view: NodeView) -> Cost:
    """Per rotated element 2 muls + 1 add/sub (x1·cos − x2·sin, x1·sin + x2·cos): 3 arith ×
    numel(input)·rot/head, where rot = rotary_embedding_dim (or 2·cos_cache.shape[1]) and head =
    input.shape[3] (4-D) or hidden/num_heads (3-D; rot when num_heads is 0); the rest of each head
    is copied. read_bytes reads only the B·S gathered rows of cos_cache and sin_cache.
    """
    x, cos = view.in_shape(0), view.in_shape(2)
    rot = int(view.attr("rotary_embedding_dim")) or 2 * cos[-1]
    if len(x) == 4:
        head, tokens = x[3], x[0] * x[2]
    elif len(x) == 3:
        heads = int(view.attr("num_heads"))
        if heads and x[2] % heads:
            raise RuleError(f"num_heads {heads} does not divide the hidden size of input {list(x)}")
        head, tokens = (x[2] // heads if heads else rot), x[0] * x[1]
        if head and x[2] % head:
            raise RuleError(f"rotary dim {rot} does not divide the hidden size of input {list(x)}")
    else:
        raise RuleError(f"input must be 3-D or 4-D, got {list(x)}")
    if rot > head or rot % 2 or head == 0:
        raise RuleError(f"rotary dim {rot} must be even and at most the head size {head}")
    n = numel(x)
    rb = read_bytes(view, {2: tokens * rot // 2, 3: tokens * rot // 2})
    return Cost(arith=3 * (n // head) * rot, read_bytes=rb)


@shape_of("Gelu", "BiasGelu", "FastGelu", "QuickGelu", "BiasAdd", "RotaryEmbedding", "GroupNorm", domain=MS)
def _elementwise_shape(view: NodeView) -> list:
    return _same_as_input(view)


@shape_of("SkipGroupNorm", domain=MS)
def _skip_group_norm_shape(view: NodeView) -> list:
    return [(shape(view, 0), view.in_dtype(0))] * 2


@shape_of("BiasSplitGelu", domain=MS)
def _bias_split_gelu_shape(view: NodeView) -> list:
    x = shape(view, 0)
    out = None if x is None else (*x[:-1], ddiv(x[-1], 2))
    return [(out, view.in_dtype(0))]


# -- fused contractions -------------------------------------------------------------


def _conv(view: NodeView, channels_last: bool) -> Cost:
    x, w = view.in_shape(0), view.in_shape(1)
    outs, per = conv_size(view, x, w, channels_last)
    return Cost(macs=outs * per, dots=outs, bias_adds=outs if view.has_input(2) else 0)


@rule("FusedConv", domain=MS)
def fused_conv(view: NodeView) -> Cost:
    """Conv: N·Cout·prod(Yspatial)·(Cin/g)·prod(K) MACs, dots = N·Cout·prod(Yspatial), bias_adds =
    the same when B is given; + 1 arith per output when Z (the fused Add) is given; + the activation
    per output (Relu 1 compare, Tanh 1 transcendental, Sigmoid 3 arith + 1 transcendental, LeakyRelu
    1 compare + 1 arith, Clip 2 compare, HardSigmoid 2 arith + 2 compare).
    """
    cost = _conv(view, False)
    outs = cost.dots
    return cost + Cost(arith=outs if view.has_input(3) else 0) + activation(view, outs)


@rule("NhwcConv", domain=MS)
def nhwc_conv(view: NodeView) -> Cost:
    """Conv on channels-last X (N, H, W, C) with W (M, C/g, kH, kW):
    N·M·prod(Yspatial)·(C/g)·prod(K) MACs, dots = N·M·prod(Yspatial), bias_adds = the same when B is
    given.
    """
    return _conv(view, True)


@rule("NhwcFusedConv", domain=MS)
def nhwc_fused_conv(view: NodeView) -> Cost:
    """NhwcConv (channels-last X and Y) with FusedConv's extras: N·M·prod(Yspatial)·(C/g)·prod(K)
    MACs, dots and (with B) bias_adds N·M·prod(Yspatial); + 1 arith per output with Z; + the
    activation per output (as FusedConv).
    """
    cost = _conv(view, True)
    outs = cost.dots
    return cost + Cost(arith=outs if view.has_input(3) else 0) + activation(view, outs)


def _fused_mm_operand(s: Sequence[Any], trans: bool, trans_batch: bool) -> tuple[Any, ...]:
    """FusedMatMul's view of an operand: batch dims, then (rows, cols), per ORT's definition."""
    r = len(s)
    if r == 1:
        return tuple(s)
    batch = s[1 : r - 1] if trans_batch else s[: r - 2]
    rows = s[0] if trans_batch else s[r - 2]
    return (*batch, s[r - 1], rows) if trans else (*batch, rows, s[r - 1])


def _fused_mm_shapes(view: NodeView, a: Sequence[Any], b: Sequence[Any]) -> tuple[tuple, tuple]:
    a2 = _fused_mm_operand(a, bool(view.attr("transA", 0)), bool(view.attr("transBatchA", 0)))
    b2 = _fused_mm_operand(b, bool(view.attr("transB", 0)), bool(view.attr("transBatchB", 0)))
    return a2, b2


@rule("FusedMatMul", "TransposeMatMul", domain=MS)
def fused_matmul(view: NodeView) -> Cost:
    """numpy.matmul of op(A)·op(B) (transA/transB swap the last two dims, transBatchA/B move the
    first dim behind the batch dims): batch·M·N·K MACs, dots = batch·M·N; + 1 arith per output when
    alpha ≠ 1.
    """
    a2, b2 = _fused_mm_shapes(view, view.in_shape(0), view.in_shape(1))
    out = matmul_out_dims(a2, b2)
    n = numel(out)  # type: ignore[arg-type]  # concrete inputs give concrete dims
    alpha = float(view.attr("alpha"))
    return Cost(macs=n * a2[-1], dots=n, arith=n if alpha != 1.0 else 0)


@rule("FusedGemm", domain=MS)
def fused_gemm(view: NodeView) -> Cost:
    """Gemm then activation: M·N·K MACs, dots = M·N; + M·N arith when alpha ≠ 1; with C: bias_adds =
    M·N and numel(C) arith when beta ≠ 1; + the activation per output (as FusedConv).
    """
    m, k, n = gemm_dims(view, 0, 1)
    outs = m * n
    cost = Cost(macs=outs * k, dots=outs, arith=outs if float(view.attr("alpha")) != 1.0 else 0)
    if view.has_input(2):
        beta = float(view.attr("beta"))
        cost += Cost(bias_adds=outs, arith=view.in_numel(2) if beta != 1.0 else 0)
    return cost + activation(view, outs)


@shape_of("FusedConv", domain=MS)
def _fused_conv_shape(view: NodeView) -> list:
    x, w = shape(view, 0), shape(view, 1)
    return [(None if x is None or w is None else conv_out_dims(view, x, w), view.in_dtype(0))]


@shape_of("NhwcConv", "NhwcFusedConv", domain=MS)
def _nhwc_conv_shape(view: NodeView) -> list:
    x, w = shape(view, 0), shape(view, 1)
    return [(None if x is None or w is None else conv_out_dims(view, x, w, True), view.in_dtype(0))]


@shape_of("FusedMatMul", "TransposeMatMul", domain=MS)
def _fused_matmul_shape(view: NodeView) -> list:
    a, b = shape(view, 0), shape(view, 1)
    if a is None or b is None:
        return [(None, view.in_dtype(0))]
    return [(matmul_out_dims(*_fused_mm_shapes(view, a, b)), view.in_dtype(0))]


@shape_of("FusedGemm", domain=MS)
def _fused_gemm_shape(view: NodeView) -> list:
    a, b = shape(view, 0), shape(view, 1)
    if a is None or b is None or len(a) != 2 or len(b) != 2:
        return [(None, view.in_dtype(0))]
    m = a[1] if view.attr("transA") else a[0]
    n = b[0] if view.attr("transB") else b[1]
    return [((m, n), view.in_dtype(0))]
