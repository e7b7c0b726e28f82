"""Fused attention ops of the default domain (opset 23+): Attention and RotaryEmbedding; and
ai.onnx.preview's FlexAttention."""

from __future__ import annotations

from onnx_cost.rules._attention import attention_core, rotary
from onnx_cost.rules._softmax import softmax_rows
from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import NodeView, RuleError
from onnx_cost.rules.registry import rule


def _heads(view: NodeView, i: int, attr: str) -> tuple[int, int, int, int]:
    """(batch, heads, seq, head_size) of input ``i``, 4-D or 3-D with the ``attr`` head count."""
    s = view.in_shape(i)
    if len(s) == 4:
        return s[0], s[1], s[2], s[3]
    if len(s) != 3:
        raise RuleError(f"{view.op_type} input {i} must be 3-D or 4-D, got shape {list(s)}")
    h = view.attr(attr)
    if not h or s[2] % h:
        raise RuleError(f"{view.op_type} input {i} is 3-D {list(s)}: {attr}={h} must be given and divide {s[2]}")
    return s[0], h, s[1], s[2] // h


@rule("Attention")
def attention(view: NodeView) -> Cost:
    """With B batch, Hq query heads, Sq query length, T = past + kv length, D head size, Dv value head size, scores =
    B·Hq·Sq·T: QK^T macs = scores·D, dots = scores; scale 1 mul per score; softcap (> 0) 2 arith + 1 tanh per score;
    attn_mask 1 add per score (float) or 1 select (compare) per score (bool); is_causal 1 select (compare) per score;
    softmax per row of T (B·Hq·Sq rows): 3T − 1 arith, T exps, T − 1 compares; attention·V macs = scores·Dv, dots =
    B·Hq·Sq·Dv.

    The full score matrix is counted even when is_causal masks about half of it (a causal
    kernel skipping the masked blocks does ≈ half of both matmuls and the softmax), and even
    when nonpad_kv_seqlen (opset 24) marks keys as padding. GQA/MQA (kv heads < query heads)
    share K and V across query heads: the count follows the query heads. The spec writes the
    scale as Q·√scale and K·√scale (B·Hq·Sq·D + B·Hkv·T·D muls); we count one mul per score, as
    kernels fold it into the QK^T product. Concatenating past and present key/value is data
    movement (its bytes are in read/write); softmax_precision casts are not counted.
    """
    b, hq, sq, d = _heads(view, 0, "q_num_heads")
    bk, hkv, skv, dk = _heads(view, 1, "kv_num_heads")
    bv, hv, sv, dv = _heads(view, 2, "kv_num_heads")
    if not (b == bk == bv and hkv == hv and skv == sv and d == dk) or hkv == 0 or hq % hkv:
        raise RuleError(
            f"Attention Q {list(view.in_shape(0))}, K {list(view.in_shape(1))}, V {list(view.in_shape(2))}: "
            "batch, kv heads, kv length and head size must agree and kv heads must divide q heads"
        )
    past = view.in_shape(4)[2] if view.has_input(4) else 0
    t = past + skv
    rows = b * hq * sq
    scores = rows * t
    arith, compare, trans = scores, 0, 0  # the scale
    if float(view.attr("softcap")) > 0:
        arith += 2 * scores
        trans += scores
    if view.has_input(3):
        if view.in_dtype(3) == "bool":
            compare += scores
        else:
            arith += scores
    if view.attr("is_causal"):
        compare += scores
    macs = scores * d + scores * dv
    dots = scores + rows * dv
    return Cost(macs=macs, dots=dots, arith=arith, transcendental=trans, compare=compare) + softmax_rows(rows, t)


@rule("RotaryEmbedding")
def rotary_embedding(view: NodeView) -> Cost:
    """Per rotated pair (x1, x2) → (c·x1 − s·x2, s·x1 + c·x2): 4 muls + 2 adds, i.e. 3 arith per rotated element: arith
    = 3·B·S·H·R, R = rotary_embedding_dim (0: the head size), the same interleaved or not.

    The gather of cos/sin rows by position_ids and the pass-through of the unrotated
    head_size − R elements are data movement.
    """
    b, h, s, d = _heads(view, 0, "num_heads")
    r = int(view.attr("rotary_embedding_dim")) or d
    if r % 2 or r > d:
        raise RuleError(f"RotaryEmbedding rotary_embedding_dim {r} must be even and ≤ head size {d}")
    return rotary(b * h * s * r)


@rule("FlexAttention", domain="ai.onnx.preview")
def flex_attention(view: NodeView) -> Cost:
    """Q (B, Hq, Sq, D), K (B, Hkv, Skv, D), V (B, Hkv, Skv, Dv), scores = B·Hq·Sq·Skv: QK^T macs =
    scores·D, dots = scores; scale 1 mul per score; softmax per row of Skv (B·Hq·Sq rows): 3·Skv − 1
    arith, Skv exps, Skv − 1 compares; P·V macs = scores·Dv, dots = B·Hq·Sq·Dv.

    GQA (Hkv < Hq) shares K and V across query heads: the count follows the query heads. The
    score_mod and prob_mod subgraphs (masks, biases, softcaps written as graphs) are not counted:
    the walker does not enter an op's modifier graphs; each would add its ops on B·Hq·Sq·Skv
    elements. softmax_precision casts are data movement.
    """
    q, k, v = view.in_shape(0), view.in_shape(1), view.in_shape(2)
    if not (len(q) == len(k) == len(v) == 4):
        raise RuleError(f"FlexAttention needs rank-4 Q, K, V, got {list(q)}, {list(k)}, {list(v)}")
    b, hq, sq, d = q
    if k[0] != b or v[0] != b or k[1] != v[1] or k[2] != v[2] or k[3] != d or k[1] == 0 or hq % k[1]:
        raise RuleError(
            f"FlexAttention Q {list(q)}, K {list(k)}, V {list(v)}: batch, kv heads, kv length and head size "
            "must agree and kv heads must divide q heads"
        )
    return attention_core(b, hq, sq, k[2], d, v[3])
