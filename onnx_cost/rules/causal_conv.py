"""CausalConvWithState (opset 27): the stateful causal depthwise 1-D convolution of Mamba and
Gated DeltaNet, counted as the sum of its function body's ops.

The body: Concat(past_state or zeros, input) along time, a depthwise Conv (group = C) with
kernel k over the L + k − 1 padded steps (L outputs), [Sigmoid and Mul for the SiLU activation],
and a Slice of the last k − 1 steps into present_state. Symbols: B batch, C channels, L length,
k kernel size.
"""

from __future__ import annotations

from onnx_cost.rules._activation import SILU
from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import NodeView, RuleError
from onnx_cost.rules.registry import rule

ACTIVATIONS = ("none", "silu", "swish")


def _check(view: NodeView, i: int, what: str, want: tuple[int, ...]) -> None:
    """RuleError when input ``i`` is present and its shape is not ``want``."""
    if view.has_input(i) and tuple(view.in_shape(i)) != want:
        raise RuleError(f"CausalConvWithState '{view.name}': {what} {list(view.in_shape(i))} should be {list(want)}")


@rule("CausalConvWithState")
def causal_conv_with_state(view: NodeView) -> Cost:
    """The body's depthwise Conv over the state-padded sequence: B·C·L·k MACs (input (B, C, L), weight
    (C, 1, k)), dots = B·C·L, bias_adds = B·C·L when bias is given; activation 'silu'/'swish' adds a
    Sigmoid and a Mul per output element: arith = 4·B·C·L, transcendental = B·C·L ('none': 0).

    The first k − 1 taps of the first outputs read past_state, or zeros when it is absent: counted
    all the same (Conv's convention: padded taps are multiplied). The Concat, the Slice into
    present_state and the body's scalar shape arithmetic (k − 1, the slice start: the 2 int_ops
    the expanded body counts more) move data or are folded: not counted. Bytes: every input read
    once, both outputs written once.
    """
    x, w = view.in_shape(0), view.in_shape(1)
    if len(x) != 3 or len(w) != 3:
        raise RuleError(f"CausalConvWithState '{view.name}': input {list(x)} and weight {list(w)} must be rank 3")
    b, c, length = x
    k = w[2]
    if w[0] != c or w[1] != 1 or k < 1:
        raise RuleError(f"CausalConvWithState '{view.name}': weight {list(w)} should be [{c}, 1, k] (depthwise)")
    _check(view, 2, "bias", (c,))
    _check(view, 3, "past_state", (b, c, k - 1))
    act = view.attr("activation")
    if act not in ACTIVATIONS:
        raise RuleError(f"CausalConvWithState '{view.name}': activation={act!r} is not one of {', '.join(ACTIVATIONS)}")
    outputs = b * c * length
    conv = Cost(macs=outputs * k, dots=outputs, bias_adds=outputs if view.has_input(2) else 0)
    return conv + (SILU.scaled(outputs) if act != "none" else Cost())
