"""Shared sliding-window math of Conv, ConvTranspose and the pools: attribute
defaults, output sizes and the check of an inferred output shape.

Not a rule module (the leading underscore keeps ``load_all`` from importing it
as one); it registers nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .node import NodeView, RuleError, ShapeUnknown

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


def out_len(view: NodeView, w: Window, axis: int, size: int, ceil_mode: bool = False, drop: bool = True) -> int:
    """Output length of spatial ``axis`` of an input ``size`` long (Conv and the pools).

    ceil_mode rounds up, then (``drop``) discards a last window that would start
    in the right padding, as the spec and its reference evaluator say.
    """
    k, s, d = w.kernel[axis], w.strides[axis], w.dilations[axis]
    ek = d * (k - 1) + 1  # the dilated kernel's extent
    if w.auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        return -(-size // s)
    b, e = (0, 0) if w.auto_pad == "VALID" else (w.begin[axis], w.end[axis])
    span = size + b + e - ek
    if span < 0:
        raise RuleError(
            f"{view.op_type} '{view.name}': kernel {k} (dilated extent {ek}) is larger than the "
            f"padded input {size}+{b}+{e} on spatial axis {axis}"
        )
    if not ceil_mode:
        return span // s + 1
    n = -(-span // s) + 1
    if drop and (n - 1) * s >= size + b:
        n -= 1
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
