"""ONNX Runtime contrib attention ops (com.microsoft): Attention, MultiHeadAttention,
GroupQueryAttention, PackedAttention, PackedMultiHeadAttention, with their output shapes.

The attention core, shared by all of them (and by QAttention), for B batches, N query heads,
S queries, T keys (past + new), head sizes Dqk and Dv:

- scores Q·Kᵀ: B·N·S·T·Dqk MACs in B·N·S·T dots;
- scale: 1 mul per score; the additive mask (ONNX Runtime builds one from a padding mask
  and/or unidirectional = 1) 1 add per score; an attention_bias input 1 add per score;
- softmax per row of T (B·N·S rows): T − 1 compares, T subs, T exps, T − 1 adds, T divs;
- probabilities·V: B·N·S·Dv·T MACs in B·N·S·Dv dots.

Causal (unidirectional / GroupQueryAttention's default) attention is counted in full, as every
peer and the dense kernels do: only about half the scores are needed (S·(S+1)/2 of S² without
past), so a causal-aware count of the core is ≈ half. Sliding windows (local_window_size) are
counted in full as well. GroupQueryAttention masks by loop bounds (no mask add).
"""

from __future__ import annotations

from typing import Any

from onnx_cost.rules._attention import attention_core, attention_shape, head_size, heads, projection, qkv_sizes, rotary
from onnx_cost.rules._contrib_schema import input_index
from onnx_cost.rules._dims import dadd, ddiv, dmul, shape
from onnx_cost.rules._norm import rmsnorm
from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import NodeView, RuleError
from onnx_cost.rules.registry import MS_DOMAIN, rule, shape_of

MS = MS_DOMAIN

# Inputs by the schema's name (rules/_contrib_schema.py), not by a bare position.
_MHA_BIAS = input_index(MS, "MultiHeadAttention", "bias")
_MHA_PADDING_MASK = input_index(MS, "MultiHeadAttention", "key_padding_mask")
_MHA_BIAS_QK = input_index(MS, "MultiHeadAttention", "attention_bias")
_MHA_PAST_KEY = input_index(MS, "MultiHeadAttention", "past_key")
_MHA_PAST_LEN = input_index(MS, "MultiHeadAttention", "past_sequence_length")
_GQA_PAST_KEY = input_index(MS, "GroupQueryAttention", "past_key")
_GQA_COS = input_index(MS, "GroupQueryAttention", "cos_cache")
_GQA_BIAS_QK = input_index(MS, "GroupQueryAttention", "attention_bias")
_GQA_HEAD_SINK = input_index(MS, "GroupQueryAttention", "head_sink")
_GQA_Q_NORM = input_index(MS, "GroupQueryAttention", "q_norm_weight")
_GQA_K_NORM = input_index(MS, "GroupQueryAttention", "k_norm_weight")


def _value(view: NodeView, i: int) -> int | None:
    """The statically known scalar value of input i, else None."""
    t = view.inputs[i] if i < len(view.inputs) else None
    if t is None or t.value is None:
        return None
    return int(t.value.reshape(-1)[0])


# -- Attention ------------------------------------------------------------------------


def _attention_past(view: NodeView, past_idx: int, len_idx: int) -> int:
    """Past length P of Attention/QAttention: past (2, B, N, P, D), or the past_sequence_length
    input when past and present share one buffer."""
    if not view.has_input(past_idx):
        return 0
    past = view.in_shape(past_idx)
    if len(past) != 5:
        raise RuleError(f"past must be 5-D (2, batch, heads, past_length, head_size), got {list(past)}")
    if view.attr("past_present_share_buffer", 0):
        return int(view.in_value(len_idx).reshape(-1)[0])
    return past[3]


@rule("Attention", domain=MS)
def attention(view: NodeView) -> Cost:
    """input (B, S, Din), weights (Din, Hq + Hk + Hv), N = num_heads, Dqk = Hq/N, Dv = Hv/N,
    T = past length + S: QKV projection B·S·Din·(Hq + Hk + Hv) MACs, dots B·S·(Hq + Hk + Hv),
    bias_adds the same with bias; core: B·N·S·T·(Dqk + Dv) MACs, dots B·N·S·T + B·N·S·Dv,
    1 mul per score (scale), 1 add per score for the mask (mask_index and/or unidirectional = 1)
    and 1 for attention_bias, softmax per row of T (T − 1 compare, 3T − 1 arith,
    T transcendental; B·N·S rows); do_rotary: 3 arith per rotated element of Q and K.

    unidirectional (causal) is counted in full; a causal-aware count of the core is ≈ half.
    Building the additive mask from mask_index is not counted (O(B·T)).
    """
    x, w = view.in_shape(0), view.in_shape(1)
    if len(x) != 3 or len(w) != 2 or w[0] != x[2]:
        raise RuleError(f"input {list(x)} must be (batch, seq, in) and weights {list(w)} (in, 3·hidden)")
    b, s, din = x
    hq, hk, hv = qkv_sizes(view, w[1])
    if hq != hk:
        raise RuleError(f"Q and K hidden sizes differ ({hq} vs {hk})")
    n = heads(view)
    dq, dv = head_size(hq, n, "Q"), head_size(hv, n, "V")
    t = _attention_past(view, 4, 6) + s
    masks = int(view.has_input(3) or bool(view.attr("unidirectional"))) + int(view.has_input(5))
    cost = projection(b * s, din, hq + hk + hv, view.has_input(2)) + attention_core(b, n, s, t, dq, dv, masks)
    if view.attr("do_rotary"):
        rot = int(view.attr("rotary_embedding_dim", 0)) or dq
        cost += rotary(b * s * (hq + hk) // dq * rot)
    return cost


@shape_of("Attention", domain=MS)
def _attention_shape(view: NodeView) -> list:
    return attention_shape(view, 4, view.in_dtype(2) or view.in_dtype(0))


# -- MultiHeadAttention ------------------------------------------------------------------


@rule("MultiHeadAttention", domain=MS)
def multi_head_attention(view: NodeView) -> Cost:
    """No projections (Q, K, V arrive projected). query (B, S, Hq) with key/value (B, L, Hk/Hv),
    packed KV (B, L, N, 2, D) or cached (B, N, L, D); or packed QKV query (B, S, N, 3, D).
    bias: 1 bias_add per element of Q and of the new K and V; T = L + past length; core as
    Attention: B·N·S·T·(Dqk + Dv) MACs, 1 mul per score, 1 add per score for the mask
    (key_padding_mask and/or unidirectional = 1) and 1 for attention_bias, softmax per row of T.

    unidirectional is counted in full (≈ half needed).
    """
    n = heads(view)
    q = view.in_shape(0)
    cached = False
    if len(q) == 5:
        b, s, qn, three, dq = q
        if qn != n or three != 3:
            raise RuleError(f"packed QKV query {list(q)} must be (B, S, num_heads={n}, 3, D)")
        kv_len, dv, new_elems = s, dq, 3 * b * s * n * dq
    elif len(q) == 3:
        b, s, hq = q
        dq = head_size(hq, n, "Q")
        if not view.has_input(1):
            raise RuleError("key is required unless query is packed QKV (B, S, N, 3, D)")
        k = view.in_shape(1)
        if len(k) == 5:
            if k[2] != n or k[3] != 2 or k[4] != dq:
                raise RuleError(f"packed KV key {list(k)} must be (B, L, num_heads={n}, 2, {dq})")
            kv_len, dv, new_elems = k[1], dq, b * s * hq + 2 * b * k[1] * n * dq
        elif len(k) == 3:
            v = view.in_shape(2)
            if k[2] != hq or len(v) != 3:
                raise RuleError(f"key {list(k)} must be (B, L, {hq}) and value 3-D, got value {list(v)}")
            kv_len, dv, new_elems = k[1], head_size(v[2], n, "V"), b * s * hq + b * k[1] * (k[2] + v[2])
        elif len(k) == 4:
            v = view.in_shape(2)
            kv_len, dv, new_elems, cached = k[2], v[3], b * s * hq, True
        else:
            raise RuleError(f"key must be 3-D, 4-D or 5-D, got {list(k)}")
    else:
        raise RuleError(f"query must be 3-D or packed 5-D, got {list(q)}")
    past = 0
    if view.has_input(_MHA_PAST_KEY) and not cached:  # a shared buffer gives its used length
        past = (
            int(view.in_value(_MHA_PAST_LEN).reshape(-1)[0])
            if view.has_input(_MHA_PAST_LEN)
            else view.in_shape(_MHA_PAST_KEY)[2]
        )
    masks = int(view.has_input(_MHA_PADDING_MASK) or bool(view.attr("unidirectional"))) + int(
        view.has_input(_MHA_BIAS_QK)
    )
    core = attention_core(b, n, s, kv_len + past, dq, dv, masks)
    return core + Cost(bias_adds=new_elems if view.has_input(_MHA_BIAS) else 0)


@shape_of("MultiHeadAttention", domain=MS)
def _mha_shape(view: NodeView) -> list:
    q, k, v, pk = shape(view, 0), shape(view, 1), shape(view, 2), shape(view, 6)
    n = int(view.attr("num_heads", 0)) or None
    dt = view.in_dtype(0)
    if q is None:
        return [(None, dt)] * 4
    if len(q) == 5:
        b, s, kv_len, dq, dv = q[0], q[1], q[1], q[4], q[4]
    else:
        b, s = q[0], q[1]
        dq = ddiv(q[2], n)
        kv_len = dv = None
        if k is not None and len(k) == 5:
            kv_len, dv = k[1], k[4]
        elif k is not None and len(k) == 3:
            kv_len, dv = k[1], (ddiv(v[2], n) if v is not None and len(v) == 3 else None)
        elif k is not None and len(k) == 4:
            kv_len, dv = k[2], (v[3] if v is not None and len(v) == 4 else None)
    t = kv_len
    if pk is not None and len(pk) == 4 and not (k is not None and len(k) == 4):
        t = dadd(pk[2], kv_len)
    return [
        ((b, s, dmul(n, dv)), dt),
        ((b, n, t, dq), dt),
        ((b, n, t, dv), dt),
        ((b, n, s, t), dt),
    ]


# -- GroupQueryAttention -------------------------------------------------------------------


def _gqa_lengths(view: NodeView, s: Any) -> tuple[Any, Any]:
    """(T attended, present length) of GroupQueryAttention; None where unknown. A past buffer at
    least as long as the known total_sequence_length is a shared (max-length) buffer."""
    total = _value(view, 6)
    past = shape(view, 3)
    if past is not None and len(past) == 4:
        p = past[2]
        if total is not None and type(p) is int and p >= total:
            return total, p
        t = dadd(p, s)
        return (total if total is not None else t), t
    t = total if total is not None else s
    return t, t


@rule("GroupQueryAttention", domain=MS)
def group_query_attention(view: NodeView) -> Cost:
    """query (B, S, N·D) with key/value (B, S, Nkv·D), or packed QKV (B, S, (N + 2·Nkv)·D);
    T = total_sequence_length when statically known, else past length + S: core B·N·S·T·2D
    MACs (each query head against its group's KV head), 1 mul per score, 1 add per score for
    attention_bias, softmax per row of T; softcap > 0: 2 arith + 1 transcendental per score;
    smooth_softmax or head_sink: 1 compare + 2 arith + 1 transcendental per row; do_rotary:
    3 arith per rotated element of Q and K (rot = 2·cos_cache.shape[1]); q/k_norm_weight:
    RMS norm (4D + 1 arith, 1 transcendental) per head of Q and K.

    Causal (the default) and local_window_size are counted in full (≈ half needed for causal);
    the mask is loop bounds, not an add. With a max-length shared past buffer and an unknown
    total_sequence_length, past length + S overcounts T. KV-cache quantization (k_scale,
    v_scale) is not counted.
    """
    n, nkv = heads(view), heads(view, "kv_num_heads")
    if n % nkv:
        raise RuleError(f"kv_num_heads {nkv} does not divide num_heads {n}")
    q = view.in_shape(0)
    if len(q) != 3:
        raise RuleError(f"query must be 3-D (B, S, hidden), got {list(q)}")
    b, s, hidden = q
    if view.has_input(1):
        d = head_size(hidden, n, "query")
        k = view.in_shape(1)
        if k[-1] != nkv * d:
            raise RuleError(f"key {list(k)} must have kv_num_heads·head_size = {nkv * d} columns")
    else:
        d = head_size(hidden, n + 2 * nkv, "packed QKV")
    t = _value(view, 6)
    if t is None:
        t = view.in_shape(_GQA_PAST_KEY)[2] + s if view.has_input(_GQA_PAST_KEY) else s
    rows, scores = b * n * s, b * n * s * t
    cost = attention_core(b, n, s, t, d, d, int(view.has_input(_GQA_BIAS_QK)))
    if float(view.attr("softcap")) > 0:
        cost += Cost(arith=2 * scores, transcendental=scores)
    if view.attr("smooth_softmax") == 1 or view.has_input(_GQA_HEAD_SINK):  # the schema default -1 is "off"
        cost += Cost(compare=rows, arith=2 * rows, transcendental=rows)
    if view.attr("do_rotary"):
        rot = 2 * view.in_shape(_GQA_COS)[-1] if view.has_input(_GQA_COS) else d
        cost += rotary(b * s * (n + nkv) * rot)
    if view.has_input(_GQA_Q_NORM) and view.has_input(_GQA_K_NORM):
        cost += rmsnorm(b * s * n, d) + rmsnorm(b * s * nkv, d)
    return cost


@shape_of("GroupQueryAttention", domain=MS)
def _gqa_shape(view: NodeView) -> list:
    q = shape(view, 0)
    dt = view.in_dtype(0)
    cache_dt = view.in_dtype(3) if view.has_input(3) else dt
    n, nkv = int(view.attr("num_heads", 0)) or None, int(view.attr("kv_num_heads", 0)) or None
    if q is None or len(q) != 3:
        return [(None, dt), (None, cache_dt), (None, cache_dt), (None, dt)]
    b, s, hidden = q
    d = ddiv(hidden, n) if view.has_input(1) else ddiv(hidden, dadd(n, dmul(2, nkv)))
    t, present = _gqa_lengths(view, s)
    return [
        ((b, s, dmul(n, d)), dt),
        ((b, nkv, present, d), cache_dt),
        ((b, nkv, present, d), cache_dt),
        ((b, n, s, t), dt),
    ]


# -- packed (padding-free) attention -------------------------------------------------------


@rule("PackedAttention", domain=MS)
def packed_attention(view: NodeView) -> Cost:
    """input (tokens, Din) packed without padding, weights (Din, Hq + Hk + Hv), token_offset
    (B, S): projection tokens·Din·(Hq + Hk + Hv) MACs with bias_adds tokens·(Hq + Hk + Hv); core
    over the padded B·N·S·S scores (as Attention, + 1 add per score with attention_bias).

    The core is an upper bound: the real sequence lengths are runtime values (the kernels skip
    the padding); the projection is exact.
    """
    x, w = view.in_shape(0), view.in_shape(1)
    if len(x) != 2 or len(w) != 2 or w[0] != x[1]:
        raise RuleError(f"input {list(x)} must be (tokens, in) and weights {list(w)} (in, hidden)")
    tokens, din = x
    hq, hk, hv = qkv_sizes(view, w[1])
    n = heads(view)
    dq, dv = head_size(hq, n, "Q"), head_size(hv, n, "V")
    b, s = view.in_shape(3)
    return projection(tokens, din, hq + hk + hv, view.has_input(2)) + attention_core(
        b, n, s, s, dq, dv, int(view.has_input(5))
    )


@rule("PackedMultiHeadAttention", domain=MS)
def packed_multi_head_attention(view: NodeView) -> Cost:
    """query (tokens, Hq) with key/value (tokens, Hk/Hv), or packed QKV (tokens, N, 3, D);
    token_offset (B, S): 1 bias_add per element of Q, K, V with bias; core over the padded
    B·N·S·S scores (as MultiHeadAttention, + 1 add per score with attention_bias); an upper
    bound, the real lengths being runtime values.
    """
    n = heads(view)
    q = view.in_shape(0)
    if len(q) == 4:
        tokens, qn, three, dq = q
        if qn != n or three != 3:
            raise RuleError(f"packed QKV query {list(q)} must be (tokens, num_heads={n}, 3, D)")
        dv, elems = dq, 3 * tokens * n * dq
    elif len(q) == 2:
        tokens, hq = q
        dq = head_size(hq, n, "Q")
        k, v = view.in_shape(1), view.in_shape(2)
        dv, elems = head_size(v[-1], n, "V"), tokens * (hq + k[-1] + v[-1])
    else:
        raise RuleError(f"query must be (tokens, hidden) or (tokens, N, 3, D), got {list(q)}")
    b, s = view.in_shape(4)
    core = attention_core(b, n, s, s, dq, dv, int(view.has_input(6)))
    return core + Cost(bias_adds=elems if view.has_input(3) else 0)


@shape_of("PackedAttention", domain=MS)
def _packed_attention_shape(view: NodeView) -> list:
    x, w, bias = shape(view, 0), shape(view, 1), shape(view, 2)
    total = w[1] if w is not None and len(w) == 2 else (bias[0] if bias else None)
    hv = qkv_sizes(view, total)[2]
    return [((x[0], hv) if x is not None else None, view.in_dtype(0))]


@shape_of("PackedMultiHeadAttention", domain=MS)
def _packed_mha_shape(view: NodeView) -> list:
    q, v = shape(view, 0), shape(view, 2)
    if q is None:
        return [(None, view.in_dtype(0))]
    hv = dmul(q[1], q[3]) if len(q) == 4 else (v[-1] if v is not None else None)
    return [((q[0], hv), view.in_dtype(0))]
