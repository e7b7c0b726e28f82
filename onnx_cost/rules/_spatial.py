"""Shared sliding-window math of Conv, ConvTranspose and the pools: attribute
defaults, output sizes and the check of an inferred output shape.

Not a rule module (the leading underscore keeps ``load_all`` from importing it
as one); it registers nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import prod

from onnx_cost.rules._dims import text
from onnx_cost.rules.node import Dim, NodeView, RuleError, ShapeUnknown, numel

AUTO_PADS = ("NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID")


@dataclass(frozen=True, slots=True)
class Window:
    """A sliding window over ``len(kernel)`` spatial axes, attributes resolved."""

    kernel: tuple[int, ...]
    strides: tuple[int, ...]
    dilations: tuple[int, ...]
    begin: tuple[int, ...]  # pads at the start of each axis (explicit pads only)
    end: tuple[int, ...]  # pads at the end of each axis
    auto_pad: str


def _ints(view: NodeView, name: str, n: int, default: int, minimum: int) -> tuple[int, ...]:
    v = view.attr(name)
    if v is None:
        return (default,) * n
    vals = tuple(int(x) for x in v)
    if len(vals) != n:
        raise RuleError(f"{view.op_type} '{view.name}': {name}={list(vals)} has {len(vals)} values, the input has {n} "
                        f"spatial axes")
    if any(x < minimum for x in vals):
        raise RuleError(f"{view.op_type} '{view.name}': {name}={list(vals)} has a value below {minimum}")
    return vals


def window(view: NodeView, kernel: Sequence[int]) -> Window:
    """The window of ``view`` for a kernel of these spatial sizes (the spec's
    defaults: strides and dilations 1, pads 0, auto_pad NOTSET)."""
    n = len(kernel)
    given = view.attr("kernel_shape")
    if given is not None and tuple(int(k) for k in given) != tuple(kernel):
        raise RuleError(f"{view.op_type} '{view.name}': kernel_shape={list(given)} but the weight's kernel is "
                        f"{list(kernel)}")
    if any(k < 1 for k in kernel):
        raise RuleError(f"{view.op_type} '{view.name}': kernel {list(kernel)} has an empty axis")
    auto_pad = view.attr("auto_pad", "NOTSET") or "NOTSET"
    if auto_pad not in AUTO_PADS:
        raise RuleError(f"{view.op_type} '{view.name}': auto_pad='{auto_pad}' is not one of {', '.join(AUTO_PADS)}")
    pads = _ints(view, "pads", 2 * n, 0, 0)
    if auto_pad != "NOTSET":  # the spec forbids pads with auto_pad; onnx's inference ignores them
        pads = (0,) * (2 * n)
    return Window(
        tuple(kernel),
        _ints(view, "strides", n, 1, 1),
        _ints(view, "dilations", n, 1, 1),
        pads[:n],
        pads[n:],
        auto_pad,
    )


def axis_out(
    size: int, k: int, s: int, d: int, begin: int, end: int, auto_pad: str, ceil_mode: bool = False, drop: bool = True
) -> int | None:
    """Output length of one spatial axis of an input ``size`` long: the spec's formula for Conv and
    the pools, floor((size + begin + end − dilated kernel) / s) + 1 (SAME: ceil(size / s); VALID: no
    pads). ceil_mode rounds up, then (``drop``) discards a last window that would start in the
    right padding, as the spec and its reference evaluator say. None when the dilated kernel is
    larger than the padded input."""
    ek = d * (k - 1) + 1  # the dilated kernel's extent
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        return -(-size // s)
    b, e = (0, 0) if auto_pad == "VALID" else (begin, end)
    span = size + b + e - ek
    if span < 0:
        return None
    if not ceil_mode:
        return span // s + 1
    n = -(-span // s) + 1
    if drop and (n - 1) * s >= size + b:
        n -= 1
    return n


def out_len(view: NodeView, w: Window, axis: int, size: int, ceil_mode: bool = False, drop: bool = True) -> int:
    """Output length of spatial ``axis`` of an input ``size`` long (Conv and the pools): ``axis_out``."""
    k, s, d = w.kernel[axis], w.strides[axis], w.dilations[axis]
    n = axis_out(size, k, s, d, w.begin[axis], w.end[axis], w.auto_pad, ceil_mode, drop)
    if n is None:
        b, e = (0, 0) if w.auto_pad == "VALID" else (w.begin[axis], w.end[axis])
        raise RuleError(
            f"{view.op_type} '{view.name}': kernel {k} (dilated extent {d * (k - 1) + 1}) is larger than the "
            f"padded input {size}+{b}+{e} on spatial axis {axis}"
        )
    return n


def check_output(view: NodeView, expected: Sequence[int], *alternatives: Sequence[int]) -> None:
    """Raise RuleError when the inferred output 0 is known and disagrees with
    ``expected`` (or every one of ``alternatives``); pass when it is not known."""
    try:
        got = view.out_shape(0)
    except ShapeUnknown:
        return
    if tuple(got) == tuple(expected) or any(tuple(got) == tuple(a) for a in alternatives):
        return
    raise RuleError(
        f"{view.op_type} '{view.name}': inferred output shape {list(got)} disagrees with "
        f"{list(expected)} computed from the input {list(view.in_shape(0))} and the attributes"
    )


def spatial_input(view: NodeView) -> tuple[int, int, tuple[int, ...]]:
    """(N, C, spatial dims) of input 0, which must have rank 3 or more."""
    x = view.in_shape(0)
    if len(x) < 3:
        raise RuleError(f"{view.op_type} '{view.name}': input {list(x)} needs rank 3 or more (N, C, spatial...)")
    return x[0], x[1], tuple(x[2:])


# -- convolutions ----------------------------------------------------------------


def conv_weight(view: NodeView, rank: int) -> tuple[int, ...]:
    w = view.in_shape(1)
    if len(w) != rank + 2:
        raise RuleError(
            f"{view.op_type} '{view.name}': weight {list(w)} has rank {len(w)}, the input {list(view.in_shape(0))} "
            f"needs {rank + 2}"
        )
    return w


def conv_group(view: NodeView, cin: int, cout: int) -> int:
    g = int(view.attr("group", 1))
    if g < 1 or cin % g or cout % g:
        raise RuleError(f"{view.op_type} '{view.name}': group={g} does not divide Cin={cin} and Cout={cout}")
    return g


def conv_geometry(view: NodeView) -> tuple[int, int, int, int, tuple[int, ...], tuple[int, ...]]:
    """(N, Cin, Cout, group, kernel, output spatial) of a Conv-like node (X [N, Cin, ...],
    W [Cout, Cin/g, k...]); RuleError when the weight does not fit the input and group."""
    n, cin, spatial = spatial_input(view)
    w = conv_weight(view, len(spatial))
    cout, per_group, kernel = w[0], w[1], tuple(w[2:])
    g = conv_group(view, cin, cout)
    if per_group != cin // g:
        raise RuleError(
            f"{view.op_type} '{view.name}': weight {list(w)} has {per_group} input channels per group, "
            f"Cin/group = {cin}/{g} = {cin // g}"
        )
    win = window(view, kernel)
    out = tuple(out_len(view, win, i, size) for i, size in enumerate(spatial))
    return n, cin, cout, g, kernel, out


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
        if auto_pad not in (*AUTO_PADS, ""):
            raise RuleError(f"auto_pad '{auto_pad}' is not NOTSET, SAME_UPPER, SAME_LOWER or VALID")
        o = axis_out(d, k, strides[i], dil[i], pads[i], pads[i + nsp], auto_pad or "NOTSET")
        if o is None or o <= 0:
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
