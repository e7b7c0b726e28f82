"""Pooling: windowed (MaxPool, AveragePool, LpPool), global (GlobalAveragePool,
GlobalMaxPool, GlobalLpPool), MaxRoiPool, and MaxUnpool (a scatter).

Symbols: N batch, C channels, out the output's spatial sizes (Hout·Wout in 2-D),
k = prod(kernel_shape) the window's element count (Kh·Kw in 2-D), S = prod of the
input's spatial sizes (H·W in 2-D).

Windows are counted whole: a window overlapping the padding (or hanging past the
input with ceil_mode) is counted as k elements, though an implementation skips or
zero-fills the padded taps; the seeds' formulas count whole windows too.
"""

from __future__ import annotations

import math
from math import prod

from onnx_cost.rules._routing import routed
from onnx_cost.rules._spatial import check_output, out_len, spatial_input, window
from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import NodeView, RuleError
from onnx_cost.rules.registry import rule, zero_compute


def _compare(view: NodeView, n: int) -> Cost:
    """``n`` comparisons: float compares, or int_ops for integer inputs."""
    return routed(view, Cost(compare=n))


def _windows(view: NodeView) -> tuple[int, int]:
    """(number of output elements N·C·prod(out), elements per window k)."""
    n, c, spatial = spatial_input(view)
    ks = view.attr("kernel_shape")
    if ks is None:
        raise RuleError(f"{view.op_type} '{view.name}': the kernel_shape attribute is required")
    kernel = tuple(int(k) for k in ks)
    if len(kernel) != len(spatial):
        raise RuleError(
            f"{view.op_type} '{view.name}': kernel_shape={list(kernel)} does not match the "
            f"{len(spatial)} spatial axes of input {list(view.in_shape(0))}"
        )
    win = window(view, kernel)
    ceil = bool(view.attr("ceil_mode", 0))
    out = tuple(out_len(view, win, i, size, ceil) for i, size in enumerate(spatial))
    # onnx's shape inference (to 1.23 at least) keeps a last ceil_mode window that
    # starts in the right padding; the spec, its reference evaluator and onnxruntime
    # drop it. Both shapes are accepted; the spec's windows are counted.
    kept = tuple(out_len(view, win, i, size, ceil, drop=False) for i, size in enumerate(spatial))
    check_output(view, (n, c, *out), (n, c, *kept))
    return n * c * prod(out), prod(kernel)


@rule("MaxPool")
def max_pool(view: NodeView) -> Cost:
    """N·C·prod(out)·(k − 1) compares, k = prod(kernel_shape) (2-D: N·C·Hout·Wout·(Kh·Kw − 1)):
    the max of k values takes k − 1 comparisons (int_ops instead for int8/uint8 input). out per axis:
    floor((in + pad_begin + pad_end − d·(kernel − 1) − 1)/s) + 1, rounded up with ceil_mode
    (dropping a last window that starts in the right padding); ceil(in/s) for SAME_*;
    dilations, storage_order and the Indices output change no count.

    The seeds count 1 FLOP per output (Hout·Wout, "one max"); we count the exact
    comparisons, k − 1 per output. Tracking the argmax for Indices rides on the same
    comparisons; only its write is counted (write_bytes). Peers: thop counts max pooling
    as zero, ptflops as one op per input element.
    """
    outputs, k = _windows(view)
    return _compare(view, outputs * (k - 1))


@rule("AveragePool")
def average_pool(view: NodeView) -> Cost:
    """N·C·prod(out)·k arith, k = prod(kernel_shape) (2-D: N·C·Hout·Wout·Kh·Kw): per output,
    k − 1 adds and 1 division, the seeds' (Sh·Sw − 1 + 1)·Hout·Wout. out as MaxPool's (pads, strides,
    dilations from opset 19, ceil_mode, auto_pad); count_include_pad changes no count.

    With count_include_pad = 0 an edge window divides by its number of real elements, a
    different divisor per window, but still one division per output. Peers: thop counts
    2 per output (one add, one div), ptflops one per input element.
    """
    outputs, k = _windows(view)
    return Cost(arith=outputs * k)


@rule("LpPool")
def lp_pool(view: NodeView) -> Cost:
    """Per output, with k = prod(kernel_shape): k abs and k − 1 adds (arith 2·k − 1), k powers
    |x|^p and one root (transcendental k + 1); times N·C·prod(out) outputs, out as MaxPool's.

    Counted as the spec and onnxruntime compute it, pow(|x|, p) per element and
    pow(sum, 1/p) per output, whatever p is (p = 2 could be x·x and a sqrt, p = 1 needs no
    power at all: not special-cased).
    """
    outputs, k = _windows(view)
    return Cost(arith=outputs * (2 * k - 1), transcendental=outputs * (k + 1))


@rule("GlobalAveragePool")
def global_average_pool(view: NodeView) -> Cost:
    """N·C·S arith, S = prod(spatial dims): per (n, c), S − 1 adds and 1 division
    (2-D: N·C·(H·W − 1 + 1))."""
    n, c, spatial = spatial_input(view)
    return Cost(arith=n * c * prod(spatial))


@rule("GlobalMaxPool")
def global_max_pool(view: NodeView) -> Cost:
    """N·C·(S − 1) compares, S = prod(spatial dims): the max of S values per (n, c)
    (2-D: N·C·(H·W − 1))."""
    n, c, spatial = spatial_input(view)
    return _compare(view, n * c * (prod(spatial) - 1))


@rule("GlobalLpPool")
def global_lp_pool(view: NodeView) -> Cost:
    """Per (n, c), with S = prod(spatial dims): S abs and S − 1 adds (arith N·C·(2·S − 1)), S powers |x|^p and one root
    (transcendental N·C·(S + 1)); LpPool's count with the window the whole input."""
    n, c, spatial = spatial_input(view)
    s = prod(spatial)
    return Cost(arith=n * c * (2 * s - 1), transcendental=n * c * (s + 1))


def _round(x: float) -> int:
    """Round half away from zero (C's round, which Caffe and onnxruntime use)."""
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


def _bins(start: int, length: int, pooled: int, limit: int) -> list[int]:
    """Element count of each of ``pooled`` bins over one ROI axis, clipped to [0, limit)."""
    size = length / pooled
    out = []
    for i in range(pooled):
        lo = min(max(math.floor(i * size) + start, 0), limit)
        hi = min(max(math.ceil((i + 1) * size) + start, 0), limit)
        out.append(max(hi - lo, 0))
    return out


@rule("MaxRoiPool")
def max_roi_pool(view: NodeView) -> Cost:
    """C·Σ over ROIs and non-empty bins of (bin elements − 1) compares, the bins those of
    Caffe's ROI pooling (ROI corners scaled by spatial_scale and rounded, split into
    pooled_shape bins with floor/ceil edges, clipped to the input); needs the rois values,
    else the node is shape-unknown.

    The bin sizes depend on the ROI coordinates, so the count is exact only when rois is
    static (a constant); with rois computed at run time no count is guessed. The scaling
    and rounding of the corners (4 multiplies, 4 rounds per ROI) is not counted.
    """
    x = view.in_shape(0)
    if len(x) != 4:
        raise RuleError(f"MaxRoiPool '{view.name}': input {list(x)} must be 4-D (N, C, H, W)")
    pooled = view.attr("pooled_shape")
    if pooled is None or len(pooled) != 2 or min(pooled) < 1:
        raise RuleError(f"MaxRoiPool '{view.name}': pooled_shape={pooled} must be two positive ints")
    ph, pw = (int(p) for p in pooled)
    rois = view.in_value(1)
    if rois.ndim != 2 or rois.shape[1] != 5:
        raise RuleError(f"MaxRoiPool '{view.name}': rois {list(rois.shape)} must be (num_rois, 5)")
    check_output(view, (rois.shape[0], x[1], ph, pw))
    scale = float(view.attr("spatial_scale"))
    compares = 0
    for _b, x1, y1, x2, y2 in rois.tolist():
        top, left = _round(y1 * scale), _round(x1 * scale)
        hs = _bins(top, max(_round(y2 * scale) - top + 1, 1), ph, x[2])
        ws = _bins(left, max(_round(x2 * scale) - left + 1, 1), pw, x[3])
        compares += sum(h * w - 1 for h in hs for w in ws if h and w)
    return _compare(view, x[1] * compares)


zero_compute(
    "MaxUnpool",
    reason="scatters each X value to the position its index names and zero-fills the rest: "
    "no arithmetic; reads X and the indices, writes the whole output",
    module=__name__,
)
