"""Deformable convolution (DeformConv, opset 19/22): a Conv whose kernel taps sample the input at
learned fractional offsets, by n-linear interpolation, optionally scaled by a learned mask.

Symbols: N batch, Cin/Cout input/output channels, g group, G offset_group, r spatial axes,
P = prod(out) output locations, K = prod(kernel) taps. Counted as the deformable im2col every
production kernel uses (torchvision, mmcv, ONNX Runtime): each input channel is sampled once per
(output location, tap), then one grouped GEMM contracts the sampled columns with the weight.
"""

from __future__ import annotations

from math import prod

from onnx_cost.rules._spatial import check_output, conv_geometry
from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import NodeView, RuleError
from onnx_cost.rules.registry import rule

# Per sample point and axis: add the offset to the integer tap position, floor, frac, 1 − frac
# (GridSample's linear convention plus the offset add).
COORD_ARITH = 4


def _offset_group(view: NodeView, cin: int) -> int:
    og = int(view.attr("offset_group", 1))
    if og < 1 or cin % og:
        raise RuleError(f"DeformConv '{view.name}': offset_group={og} does not divide Cin={cin}")
    return og


def _check_per_tap(view: NodeView, i: int, what: str, channels: int, n: int, out: tuple[int, ...]) -> None:
    """RuleError unless input ``i`` (offset or mask) has shape (N, channels, out...)."""
    s = view.in_shape(i)
    if tuple(s) != (n, channels, *out):
        raise RuleError(f"DeformConv '{view.name}': {what} {list(s)} should be {[n, channels, *out]}")


@rule("DeformConv")
def deform_conv(view: NodeView) -> Cost:
    """Conv's contraction over the sampled columns: N·Cout·P·(Cin/g)·K MACs, dots = N·Cout·P,
    bias_adds = N·Cout·P when B is given (P = prod(out), K = prod(kernel), out as Conv's formula);
    plus the sampling: per sample point (N·G·P·K of them, G = offset_group, shared by the Cin/G
    channels of the offset group) 4 arith per spatial axis (offset add, floor, frac, 1 − frac); per
    sampled value (N·Cin·P·K of them) 3·(2^r − 1) arith of n-linear interpolation (2-D: 3 lerps = 9)
    and 1 mask mul when mask is given: arith = N·G·P·K·4r + N·Cin·P·K·(3·(2^r − 1) + [mask]).

    Samples falling outside the input read zeros: no bounds test is counted (GridSample's
    padding_mode zeros). The reference evaluator recomputes every sample for each output channel
    (Cout/g times more interpolation); no production kernel does. The integer corner indices are
    not counted. A counter that treats DeformConv as a plain Conv reports the same MACs and misses
    the sampling arithmetic.
    """
    n, cin, cout, g, kernel, out = conv_geometry(view)
    r = len(out)
    og = _offset_group(view, cin)
    check_output(view, (n, cout, *out))
    k = prod(kernel)
    _check_per_tap(view, 2, "offset", og * k * r, n, out)
    masked = view.has_input(4)
    if masked:
        _check_per_tap(view, 4, "mask", og * k, n, out)
    locations = prod(out)
    outputs = n * cout * locations
    points = n * og * locations * k
    samples = n * cin * locations * k
    arith = points * COORD_ARITH * r + samples * (3 * (2**r - 1) + int(masked))
    bias = 0
    if view.has_input(3):
        if tuple(view.in_shape(3)) != (cout,):
            raise RuleError(f"DeformConv '{view.name}': bias B {list(view.in_shape(3))} should be [{cout}] (Cout)")
        bias = outputs
    return Cost(macs=outputs * (cin // g) * k, dots=outputs, bias_adds=bias, arith=arith)
