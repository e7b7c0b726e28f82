"""Float or integer: where a node's operations are counted. The one owner of that routing.

A node computing on floating-point tensors counts its operations in the float parts (``macs``
minus ``int_macs``, ``arith``, ``transcendental``, ``compare``...); the same node on integer or
bool tensors does the same operations on integers: its MACs are integer MACs (``int_macs``) and
every other operation is an ``int_ops``, 0 FLOPs. ``view.is_float()`` decides (node.py).
"""

from __future__ import annotations

from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import NodeView


def on_integers(cost: Cost) -> Cost:
    """``cost``'s operations done on integers: every MAC an integer MAC, every FLOP an int op."""
    return Cost(macs=cost.macs, int_macs=cost.macs, int_ops=cost.flops + cost.int_ops)


def routed(view: NodeView, cost: Cost) -> Cost:
    """``cost`` as is when the node computes on floats, else the same operations on integers."""
    return cost if view.is_float() else on_integers(cost)


def int_contraction(macs: int, dots: int) -> Cost:
    """An integer dot-product contraction: ``macs`` MACs, all of them integer (``int_macs``),
    in ``dots`` dots (which are integer adds, so they go to ``int_ops``, not ``Cost.dots``)."""
    return on_integers(Cost(macs=macs, dots=dots))
