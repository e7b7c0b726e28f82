"""Attention and RotaryEmbedding (opset 23), worked out by hand.

Attention, scores = B·Hq·Sq·T, rows = B·Hq·Sq: macs = scores·(D + Dv), dots = scores + rows·Dv,
arith = scores (scale) + rows·(3T − 1) (softmax) [+ 2·scores softcap] [+ scores float mask],
transcendental = scores (exp) [+ scores tanh], compare = rows·(T − 1) [+ scores bool mask]
[+ scores causal].
"""

from __future__ import annotations

import pytest

from helpers import one_node

F = "float32"


def _attn(q, k, v, mask=None, past=None, outputs=1, **attrs):
    ins = [("q", F, q), ("k", F, k), ("v", F, v)]
    if mask is not None or past is not None:
        ins.append(("mask", mask[0], mask[1]) if mask is not None else None)
    if past is not None:
        ins += [("pk", F, past[0]), ("pv", F, past[1])]
    outs = [("y", F, None), ("pk_out", F, None), ("pv_out", F, None)][:outputs]
    return one_node("Attention", ins, outs, opset=23, **attrs)


Q4, K4, V4 = [1, 2, 3, 4], [1, 2, 5, 4], [1, 2, 5, 6]
# MHA, B 1, H 2, Sq 3, T 5, D 4, Dv 6: scores 30, rows 6.
# macs 30·4 + 30·6 = 300; dots 30 + 6·6 = 66; arith 30 + 6·(15 − 1) = 114; exps 30; compare 6·4 = 24
ATTN = [
    ("mha", dict(), 300, 66, 114, 30, 24),
    # softcap: + 2·30 arith, + 30 tanh
    ("softcap", dict(softcap=30.0), 300, 66, 174, 60, 24),
    # float mask (3, 5): + 30 adds
    ("float_mask", dict(mask=(F, [3, 5])), 300, 66, 144, 30, 24),
    # bool mask: + 30 selects
    ("bool_mask", dict(mask=("bool", [3, 5])), 300, 66, 114, 30, 54),
    # causal: + 30 selects (the full matrix is counted)
    ("causal", dict(is_causal=1), 300, 66, 114, 30, 54),
    # explicit scale: no change
    ("scale", dict(scale=0.1), 300, 66, 114, 30, 24),
]


@pytest.mark.parametrize("case", ATTN, ids=[c[0] for c in ATTN])
def test_attention_4d(case):
    _, kw, macs, dots, arith, trans, compare = case
    rec = _attn(Q4, K4, V4, **kw)
    assert rec.status == "counted", rec.detail
    c = rec.cost
    assert (c.macs, c.dots, c.arith, c.transcendental, c.compare) == (macs, dots, arith, trans, compare)
    assert c.flops == 2 * macs - dots + arith + trans + compare


def test_attention_3d_gqa():
    # Q (2, 4, 16) with 4 heads → D 4; K, V (2, 6, 8) with 2 kv heads → D 4, Dv 4; T = 6.
    # scores 2·4·4·6 = 192, rows 32: macs 192·4 + 192·4 = 1536; dots 192 + 32·4 = 320;
    # arith 192 + 32·(18 − 1) = 736; exps 192; compare 32·5 = 160
    rec = _attn([2, 4, 16], [2, 6, 8], [2, 6, 8], q_num_heads=4, kv_num_heads=2)
    assert rec.status == "counted", rec.detail
    c = rec.cost
    assert (c.macs, c.dots, c.arith, c.transcendental, c.compare) == (1536, 320, 736, 192, 160)


def test_attention_past_key_value():
    # one new token, 4 cached: T = 5, D = Dv = 8, scores 5, rows 1:
    # macs 5·8 + 5·8 = 80; dots 5 + 8 = 13; arith 5 + (15 − 1) = 19; exps 5; compare 4
    rec = _attn(
        [1, 1, 1, 8], [1, 1, 1, 8], [1, 1, 1, 8], past=([1, 1, 4, 8], [1, 1, 4, 8]), outputs=3
    )
    assert rec.status == "counted", rec.detail
    c = rec.cost
    assert (c.macs, c.dots, c.arith, c.transcendental, c.compare) == (80, 13, 19, 5, 4)


@pytest.mark.parametrize(
    "q, k, v, attrs",
    [
        ([2, 4, 16], [2, 6, 8], [2, 6, 8], {}),  # 3-D without head counts
        ([1, 3, 2, 4], [1, 2, 2, 4], [1, 2, 2, 4], {}),  # 2 kv heads do not divide 3 query heads
    ],
    ids=["3d_no_heads", "heads_not_dividing"],
)
def test_attention_invalid(q, k, v, attrs):
    rec = _attn(q, k, v, **attrs)
    assert rec.status == "invalid"


def test_attention_symbolic_is_shape_unknown():
    rec = _attn([1, 2, "s", 4], [1, 2, "s", 4], [1, 2, "s", 4])
    assert rec.status == "shape_unknown" and "s" in rec.missing


def _rope(x, cache, position_ids=False, check_shape=True, **attrs):
    ins = [("x", F, x), ("cos", F, cache), ("sin", F, cache)]
    if position_ids:
        ins.append(("pos", "int64", [x[0], x[1] if len(x) == 3 else x[2]]))
    return one_node("RotaryEmbedding", ins, [("y", F, x if check_shape else None)], opset=23, **attrs)


@pytest.mark.parametrize(
    "x, cache, pos, attrs, arith",
    [
        # 4-D (1, 2, 3, 8): 3 · 1·2·3·8 = 144
        ([1, 2, 3, 8], [1, 3, 4], False, {}, 144),
        # interleaved: same 144
        ([1, 2, 3, 8], [1, 3, 4], False, dict(interleaved=1), 144),
        # partial rotation of 4 of 8: 3 · 1·2·3·4 = 72
        ([1, 2, 3, 8], [1, 3, 2], False, dict(rotary_embedding_dim=4), 72),
        # 3-D (1, 3, 16) with 2 heads → head 8, position ids and a (10, 4) cache: 3 · 1·3·2·8 = 144
        ([1, 3, 16], [10, 4], True, dict(num_heads=2), 144),
    ],
    ids=["4d", "interleaved", "partial", "3d_position_ids"],
)
def test_rotary_embedding(x, cache, pos, attrs, arith):
    rec = _rope(x, cache, pos, **attrs)
    assert rec.status == "counted", rec.detail
    assert (rec.cost.arith, rec.cost.macs, rec.cost.transcendental) == (arith, 0, 0)


@pytest.mark.parametrize(
    "x, cache, attrs",
    [
        ([1, 3, 16], [1, 3, 4], {}),  # 3-D without num_heads
        ([1, 2, 3, 8], [1, 3, 2], dict(rotary_embedding_dim=5)),  # odd
        ([1, 2, 3, 8], [1, 3, 8], dict(rotary_embedding_dim=16)),  # larger than the head
    ],
    ids=["3d_no_heads", "odd_dim", "dim_too_large"],
)
def test_rotary_embedding_invalid(x, cache, attrs):
    rec = _rope(x, cache, check_shape=False, **attrs)
    assert rec.status == "invalid"
