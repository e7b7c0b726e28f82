"""Convolutions: Conv and ConvTranspose over any number of spatial axes
(1-D, 2-D, 3-D...), grouped, depthwise, strided, dilated and padded.

Symbols: N batch, Cin/Cout input/output channels, g group, k a kernel size
(prod(kernel) = Kh·Kw in 2-D), s stride, d dilation, in/out a spatial size.
"""

from __future__ import annotations

from math import prod

from onnx_cost.rules._spatial import Window, check_output, conv_geometry, conv_group, conv_weight, spatial_input, window
from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import NodeView, RuleError
from onnx_cost.rules.registry import rule


def _check_bias(view: NodeView, cout: int) -> bool:
    """True when B is given; RuleError when its known shape is not (Cout,)."""
    if not view.has_input(2):
        return False
    b = view.inputs[2]
    if b is not None and b.known and tuple(b.shape) != (cout,):  # type: ignore[arg-type]  # known: shape is set
        raise RuleError(f"{view.op_type} '{view.name}': bias B {list(b.shape)} should be [{cout}] (Cout)")  # type: ignore[arg-type]  # known: shape is set
    return True


@rule("Conv")
def conv(view: NodeView) -> Cost:
    """N·Cout·prod(out)·(Cin/g)·prod(kernel) MACs (2-D: N·Cout·Hout·Wout·(Cin/g)·Kh·Kw);
    dots = N·Cout·prod(out), one dot product per output element; bias_adds = N·Cout·prod(out)
    when B is given: an output costs 2·(Cin/g)·prod(kernel) − 1 FLOPs without B, 2·(Cin/g)·prod(kernel)
    with it. out = floor((in + pad_begin + pad_end − d·(k − 1) − 1)/s) + 1 per spatial axis; ceil(in/s)
    for auto_pad SAME_UPPER/SAME_LOWER; VALID pads nothing.

    Every output is counted over the whole kernel, padded taps included (an im2col or direct
    kernel multiplies the zeros too). Depthwise is g = Cin. The output shape onnx inferred must
    agree with the formula (else the node is invalid). Weight layout (Cout, Cin/g, k...).
    Peers: fvcore counts the MACs only (its "flops" are MACs); ptflops and older thop releases
    add one op per output for the bias; the seeds' FLOPs are 2·macs − dots + bias_adds, as here.
    """
    n, cin, cout, g, kernel, out = conv_geometry(view)
    check_output(view, (n, cout, *out))
    outputs = n * cout * prod(out)
    bias = outputs if _check_bias(view, cout) else 0
    return Cost(macs=outputs * (cin // g) * prod(kernel), dots=outputs, bias_adds=bias)


def _transposed_axis(view: NodeView, win: Window, axis: int, size: int, clamp: bool = False) -> tuple[int, int]:
    """(output length, pad at the start) of one spatial axis of a ConvTranspose.

    ``clamp``: onnx's shape inference (to 1.23 at least) never pads negatively for
    SAME_*, so where in·s exceeds the full extent it infers the full extent instead."""
    k, s, d = win.kernel[axis], win.strides[axis], win.dilations[axis]
    opad = _out_padding(view, len(win.kernel))[axis]
    full = s * (size - 1) + opad + d * (k - 1) + 1  # the uncropped extent
    given = view.attr("output_shape")
    if given is not None or win.auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        if given is not None:
            if len(given) < len(win.kernel):
                raise RuleError(f"ConvTranspose '{view.name}': output_shape={list(given)} has fewer values than "
                                f"spatial axes")
            out = int(list(given)[-len(win.kernel) :][axis])
        else:
            out = size * s
        total = full - out
        if clamp and given is None and total < 0:
            out, total = full, 0
        begin = total // 2 if win.auto_pad == "SAME_UPPER" else total - total // 2
    else:
        begin, out = win.begin[axis], full - win.begin[axis] - win.end[axis]
    if out < 1:
        raise RuleError(
            f"ConvTranspose '{view.name}': output length {out} on spatial axis {axis} "
            f"(input {size}, kernel {k}, stride {s}, pads {win.begin[axis]}+{win.end[axis]})"
        )
    return out, begin


def _out_padding(view: NodeView, n: int) -> tuple[int, ...]:
    v = view.attr("output_padding")
    if v is None:
        return (0,) * n
    vals = tuple(int(x) for x in v)
    if len(vals) != n or any(x < 0 for x in vals):
        raise RuleError(f"ConvTranspose '{view.name}': output_padding={list(vals)} does not fit {n} spatial axes")
    return vals


def _covered(size: int, k: int, s: int, d: int, begin: int, out: int) -> int:
    """How many of the ``out`` output positions of one axis receive at least one
    contribution: those equal to i·s + j·d − begin for an input i and a tap j."""
    if d == 1 and s <= k:  # contributions tile one interval with no gaps
        first, last = max(0, -begin), min(out - 1, s * (size - 1) + k - 1 - begin)
        return max(0, last - first + 1)
    hit = {i * s + j * d - begin for i in range(size) for j in range(k)}
    return sum(1 for p in hit if 0 <= p < out)


@rule("ConvTranspose")
def conv_transpose(view: NodeView) -> Cost:
    """N·Cin·prod(in)·(Cout/g)·prod(kernel) MACs over the INPUT extent (2-D:
    N·Cin·Hin·Win·(Cout/g)·Kh·Kw): each input element times each weight of its group, added
    into the output; dots = the output elements that receive at least one contribution
    (N·Cout·prod(out) unless strides larger than the dilated taps, or output_padding, leave
    positions no tap reaches), since an output summing m contributions needs m − 1 adds;
    bias_adds = N·Cout·prod(out) when B is given. out = s·(in − 1) + output_padding + d·(k − 1)
    + 1 − pad_begin − pad_end per axis, or output_shape, or in·s for SAME_UPPER/SAME_LOWER.

    Contributions that land in the cropped padding are counted (the scatter or col2im form
    computes them, then crops). Weight layout (Cin, Cout/g, k...). Where SAME_* asks for in·s
    outputs but the taps reach fewer, onnx's inference gives the shorter extent; the spec's
    in·s outputs are counted (as the reference evaluator computes them). Counting over the OUTPUT
    extent, N·Cout·prod(out)·(Cin/g)·prod(kernel), is a known peer bug (ptflops' conv hook and
    older thop releases): it overstates a stride-s layer about s^rank times.
    """
    n, cin, spatial = spatial_input(view)
    w = conv_weight(view, len(spatial))
    if w[0] != cin:
        raise RuleError(f"ConvTranspose '{view.name}': weight {list(w)} should start with Cin={cin} (layout Cin, "
                        f"Cout/g, k...)")
    g = int(view.attr("group"))
    cout = w[1] * g
    conv_group(view, cin, cout)
    kernel = w[2:]
    win = window(view, kernel)
    axes = [_transposed_axis(view, win, i, size) for i, size in enumerate(spatial)]
    out = tuple(o for o, _ in axes)
    clamped = tuple(_transposed_axis(view, win, i, size, clamp=True)[0] for i, size in enumerate(spatial))
    check_output(view, (n, cout, *out), (n, cout, *clamped))
    covered = prod(
        _covered(size, kernel[i], win.strides[i], win.dilations[i], axes[i][1], axes[i][0])
        for i, size in enumerate(spatial)
    )
    outputs = n * cout * prod(out)
    bias = outputs if _check_bias(view, cout) else 0
    macs = n * cin * prod(spatial) * (cout // g) * prod(kernel)
    return Cost(macs=macs, dots=n * cout * covered, bias_adds=bias)
