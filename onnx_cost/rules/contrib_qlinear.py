"""More ONNX Runtime quantized contrib ops (com.microsoft) that its quantizer writes:
QLinearAveragePool, QLinearWhere and QEmbedLayerNormalization, with their output shapes.

As the QLinear ops of ``contrib_quantized``: counted as their definition reads, dequantize
each input element ((x − zp)·scale: 1 sub when the zero point is active + 1 mul), the float
op, quantize each output element (1 div, 1 round, 1 add of an active zero point, 2 compares).
"""

from __future__ import annotations

from math import prod
from typing import Any

from onnx_cost.rules._dims import bcast_dims, shape
from onnx_cost.rules._norm import embed_layernorm, embed_tokens
from onnx_cost.rules._quant import dequantize, quantize, zp_active
from onnx_cost.rules._spatial import out_len, window
from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import NodeView, RuleError, broadcast, numel
from onnx_cost.rules.registry import MS_DOMAIN, rule, shape_of

MS = MS_DOMAIN


def _pool_dims(view: NodeView, x: tuple[Any, ...]) -> tuple[Any, ...]:
    """Output dims of QLinearAveragePool (NCHW, or NHWC with channels_last)."""
    last = bool(view.attr("channels_last"))
    spatial = x[1:-1] if last else x[2:]
    ks = view.attr("kernel_shape")
    if ks is None or len(ks) != len(spatial):
        raise RuleError(f"QLinearAveragePool '{view.name}': kernel_shape {ks} does not match X {list(x)}")
    win = window(view, tuple(int(k) for k in ks))
    ceil = bool(view.attr("ceil_mode"))
    out = tuple(out_len(view, win, i, d, ceil) if isinstance(d, int) else None for i, d in enumerate(spatial))
    return (x[0], *out, x[-1]) if last else (x[0], x[1], *out)


@rule("QLinearAveragePool", domain=MS)
def qlinear_average_pool(view: NodeView) -> Cost:
    """Dequantize every input element (1 mul, + 1 sub when x_zero_point is active); per output,
    k = prod(kernel_shape): k − 1 adds + 1 div (k arith), as AveragePool; quantize every output
    (1 div, 1 round, + 1 add when y_zero_point is active; 2 compare). X is NCHW, or NHWC with
    channels_last.
    """
    x = view.in_shape(0)
    outs = numel(_pool_dims(view, x))
    k = prod(int(v) for v in view.attr("kernel_shape"))
    return dequantize(numel(x), zp_active(view, 2)) + Cost(arith=outs * k) + quantize(outs, zp_active(view, 4))


@shape_of("QLinearAveragePool", domain=MS)
def _qavg_shape(view: NodeView) -> list[Any]:
    x = shape(view, 0)
    return [(None if x is None or len(x) < 3 else _pool_dims(view, x), view.in_dtype(0))]


@rule("QLinearWhere", domain=MS)
def qlinear_where(view: NodeView) -> Cost:
    """Z = quantize(condition ? dequantize(X) : dequantize(Y)): per element of X and of Y 1 mul
    (+ 1 sub when its zero point is active); per output (the broadcast shape) 1 select (compare),
    then 1 div, 1 round, 1 add of z_zero_point when active (arith) and 2 compare.

    ONNX Runtime requantizes X and Y into Z's scale through 256-entry lookup tables when their
    scales differ (and copies when they match); the definition's count is the portable one.
    """
    c, x, y = view.in_shape(0), view.in_shape(1), view.in_shape(4)
    n = numel(broadcast(c, x, y))
    deq = dequantize(numel(x), zp_active(view, 3)) + dequantize(numel(y), zp_active(view, 6))
    return deq + Cost(compare=n) + quantize(n, zp_active(view, 8))


@shape_of("QLinearWhere", domain=MS)
def _qwhere_shape(view: NodeView) -> list[Any]:
    c, x, y = shape(view, 0), shape(view, 1), shape(view, 4)
    out = None if c is None or x is None or y is None else bcast_dims(c, x, y)
    return [(out, view.in_dtype(1))]


@rule("QEmbedLayerNormalization", domain=MS)
def qembed_layer_normalization(view: NodeView) -> Cost:
    """As EmbedLayerNormalization on B·S tokens of hidden size H, with the tables, gamma and beta
    int8: dequantize the gathered word and position rows (and segment rows with segment_ids), 1
    mul + 1 sub per element when the zero point is active: B·S·H each; dequantize gamma and beta
    (H each); add the rows (B·S·H adds, 2·B·S·H with segments); LayerNorm per token (7·H + 3
    arith, 1 transcendental); with mask the mask index, B·(S − 1) int_ops.
    """
    b, s, h = embed_tokens(view)
    tokens = b * s
    seg = view.has_input(1) and view.has_input(4)
    rows = dequantize(tokens * h, zp_active(view, 13)) + dequantize(tokens * h, zp_active(view, 14))
    if seg:
        rows += dequantize(tokens * h, zp_active(view, 15))
    affine = dequantize(h, zp_active(view, 16)) + dequantize(h, zp_active(view, 17))
    return rows + affine + embed_layernorm(b, s, h, seg, view.has_input(7))


@shape_of("QEmbedLayerNormalization", domain=MS)
def _qembed_shape(view: NodeView) -> list[Any]:
    ids, emb = shape(view, 0), shape(view, 2)
    h = emb[-1] if emb else None
    out = (ids[0], ids[1], h) if ids is not None and len(ids) == 2 else None
    return [(out, "float32"), ((ids[0],) if ids is not None and out is not None else None, "int32")]
