"""The attention arithmetic shared by the attention ops of both domains: projections, the scaled
dot-product core, head bookkeeping, rotary embedding, and the Attention/QAttention output shapes.

The core, for B batches, N query heads, S queries, T keys (past + new), head sizes Dqk and Dv:
scores Q·Kᵀ B·N·S·T·Dqk MACs in B·N·S·T dots; 1 mul per score (scale) and 1 add per score per
additive mask; softmax per row of T (``_softmax``); probabilities·V B·N·S·Dv·T MACs in B·N·S·Dv
dots. Rotary embedding: per rotated element 2 muls + 1 add/sub (x1·cos − x2·sin) = 3 arith.
"""

from __future__ import annotations

from typing import Any

from onnx_cost.rules._dims import dadd, ddiv, shape
from onnx_cost.rules._softmax import softmax_rows
from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import NodeView, RuleError


def rotary(rotated: int) -> Cost:
    """Rotary embedding of ``rotated`` elements: 3 arith each (x1·cos − x2·sin, x1·sin + x2·cos)."""
    return Cost(arith=3 * rotated)


def projection(rows: int, k: int, n: int, bias: bool) -> Cost:
    """rows × (k → n) linear projection: MACs, dots and (optional) bias adds."""
    return Cost(macs=rows * k * n, dots=rows * n, bias_adds=rows * n if bias else 0)


def attention_core(b: int, heads: int, s: int, t: int, dqk: int, dv: int, masks: int = 0) -> Cost:
    """Scaled dot-product attention core (see the module docstring); ``masks`` additive terms per score."""
    scores, rows = b * heads * s * t, b * heads * s
    products = Cost(macs=scores * dqk + rows * dv * t, dots=scores + rows * dv)
    return products + Cost(arith=scores * (1 + masks)) + softmax_rows(rows, t)


def heads(view: NodeView, name: str = "num_heads") -> int:
    n = int(view.attr(name, 0))
    if n <= 0:
        raise RuleError(f"attribute {name} is required and must be positive (got {n})")
    return n


def head_size(hidden: int, n: int, what: str) -> int:
    if hidden % n:
        raise RuleError(f"{what} hidden size {hidden} is not divisible by num_heads {n}")
    return hidden // n


def qkv_sizes(view: NodeView, total: Any) -> tuple[Any, Any, Any]:
    """(hidden_q, hidden_k, hidden_v) from qkv_hidden_sizes, else total split in three."""
    sizes = view.attr("qkv_hidden_sizes")
    if sizes:
        if len(sizes) != 3:
            raise RuleError(f"qkv_hidden_sizes {list(sizes)} must have 3 elements")
        if type(total) is int and sum(sizes) != total:
            raise RuleError(f"qkv_hidden_sizes {list(sizes)} do not sum to the {total} weight columns")
        return tuple(int(v) for v in sizes)  # type: ignore[return-value]  # 3 elements, checked above
    third = ddiv(total, 3)
    if type(total) is int and third is None:
        raise RuleError(f"{total} weight columns do not split into Q, K, V of one size")
    return third, third, third


def attention_shape(view: NodeView, past_idx: int, out_dtype: str) -> list:
    """Outputs of Attention/QAttention: output (B, S, Hv), present (2, B, N, P + S, D)."""
    x, w, bias = shape(view, 0), shape(view, 1), shape(view, 2)
    total = w[1] if w is not None and len(w) == 2 else (bias[0] if bias else None)
    _, _, hv = qkv_sizes(view, total)
    out = (x[0], x[1], hv) if x is not None and len(x) == 3 else None
    present = None
    past = shape(view, past_idx)
    if past is not None and len(past) == 5:
        if view.attr("past_present_share_buffer", 0):
            present = past
        else:
            present = (*past[:3], dadd(past[3], x[1] if x is not None and out else None), past[4])
    elif out is not None and view.attr("num_heads", 0):
        n = int(view.attr("num_heads"))
        hq = qkv_sizes(view, total)[0]
        present = (2, x[0], n, x[1], ddiv(hq, n))  # type: ignore[index]  # out is set only when x is
    return [(out, out_dtype), (present, out_dtype)]
