"""The few string attributes a profile needs that the node records do not keep
(Resize's and Upsample's ``mode``: peers count nearest and bilinear differently).

Read from the model's main graph, keyed by each node's first output (unique in a graph).
"""

from __future__ import annotations

import onnx

from onnx_cost.rules.registry import is_onnx_domain

# op type -> the string attributes read (ONNX defaults apply when absent)
WANTED: dict[str, tuple[str, ...]] = {"Resize": ("mode",), "Upsample": ("mode",)}


def string_attrs(model: onnx.ModelProto) -> dict[str, dict[str, str]]:
    """First output name -> {attribute: value} for the main-graph nodes in ``WANTED``."""
    out: dict[str, dict[str, str]] = {}
    for node in model.graph.node:
        names = WANTED.get(node.op_type)
        if not names or not node.output or not is_onnx_domain(node.domain):
            continue
        got = {
            a.name: a.s.decode("utf-8", "replace")
            for a in node.attribute
            if a.name in names and a.type == onnx.AttributeProto.STRING
        }
        if got:
            out[node.output[0]] = got
    return out
