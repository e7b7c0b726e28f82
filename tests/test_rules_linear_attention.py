"""LinearAttention (opset 27) and SwiGLU (opset 28), worked out by hand.

LinearAttention, S = B·T batch-steps, state = Hkv·dk·dv:
macs = S·(state + Hq·dk·dv) [+ S·state delta]; dots = S·(state + Hq·dv) [+ S·Hkv·dv delta];
arith = S·(state + Hq·dv) [+ S·state gated] [+ 2·S·Hkv·dv delta]; transcendental = S·E gated
(E = decay's last dim: Hkv·dk or Hkv).
SwiGLU: 6 arith + 1 exp per element.
"""

from __future__ import annotations

import pytest

from helpers import one_node

F = "float32"

# B 2, T 3, Hq 4, Hkv 2, dk 5, dv 6: S = 6, state = 2·5·6 = 60, Hq·dk·dv = 120, Hq·dv = 24, Hkv·dv = 12.
Q, K, V, PAST = [2, 3, 20], [2, 3, 10], [2, 3, 12], [2, 2, 5, 6]
HEADS = {"q_num_heads": 4, "kv_num_heads": 2}


def run(q=Q, k=K, v=V, past=None, decay=None, beta=None, **attrs):
    ins = [("q", F, q), ("k", F, k), ("v", F, v)]
    opt = [("past", F, past), ("decay", F, decay), ("beta", F, beta)]
    last = max((i for i, (_, _, s) in enumerate(opt) if s is not None), default=-1)
    ins += [o if o[2] is not None else None for o in opt[: last + 1]]
    attrs = {**HEADS, **attrs}
    return one_node("LinearAttention", ins, [("o", F, None), ("state", F, None)], opset=27, **attrs)


# (id, kwargs, macs, dots, arith, transcendental)
CASES = [
    # linear: macs 6·(60 + 120) = 1,080; dots 6·(60 + 24) = 504; arith 6·(60 + 24) = 504 (state add, scale).
    ("linear", dict(update_rule="linear", past=PAST), 1_080, 504, 504, 0),
    # no past_state: zeros, the same count.
    ("linear-no-past", dict(update_rule="linear"), 1_080, 504, 504, 0),
    # gated, per-key decay (2, 3, 10): + 6·60 = 360 muls → 864; exps 6·10 = 60.
    ("gated-per-key", dict(update_rule="gated", decay=[2, 3, 10]), 1_080, 504, 864, 60),
    # gated, per-head decay (2, 3, 2): exps 6·2 = 12.
    ("gated-per-head", dict(update_rule="gated", past=PAST, decay=[2, 3, 2]), 1_080, 504, 864, 12),
    # delta: retrieval + 6·60 = 360 MACs → 1,440, + 6·12 = 72 dots → 576; sub and β mul + 2·6·12 = 144 → 648.
    ("delta", dict(update_rule="delta", beta=[2, 3, 2]), 1_440, 576, 648, 0),
    # gated_delta (the default), per-head decay, β (2, 3, 1): 1,440 MACs, 576 dots,
    # arith 504 + 360 + 144 = 1,008, exps 12.
    ("gated-delta-default", dict(past=PAST, decay=[2, 3, 2], beta=[2, 3, 1]), 1_440, 576, 1_008, 12),
    # an explicit scale changes nothing.
    ("explicit-scale", dict(decay=[2, 3, 2], beta=[2, 3, 2], scale=0.25), 1_440, 576, 1_008, 12),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_linear_attention(case):
    _id, kw, macs, dots, arith, trans = case
    rec = run(**kw)
    assert rec.status == "counted", rec.detail
    assert rec.outputs == ((2, 3, 24), (2, 2, 5, 6))  # Hq·dv = 24; state (B, Hkv, dk, dv)
    c = rec.cost
    assert (c.macs, c.dots, c.arith, c.transcendental) == (macs, dots, arith, trans)
    assert c.compare == c.bias_adds == c.int_ops == 0


def test_linear_attention_mha_flops():
    # Hq = Hkv = 2, q (2, 3, 10): state 60, Hq·dk·dv 60, Hq·dv 12. linear: macs 6·120 = 720;
    # dots 6·72 = 432; arith 432; flops 2·720 − 432 + 432 = 1,440.
    rec = run(q=[2, 3, 10], update_rule="linear", q_num_heads=2)
    assert rec.status == "counted", rec.detail
    assert (rec.cost.macs, rec.cost.dots, rec.cost.arith) == (720, 432, 432)
    assert rec.flops == 1_440


INVALID = [
    ("update-rule", dict(update_rule="softmax")),
    # gated needs decay
    ("gated-no-decay", dict(update_rule="gated")),
    # delta needs beta
    ("delta-no-beta", dict(update_rule="delta")),
    # decay's last dim must be Hkv·dk = 10 or Hkv = 2
    ("decay-dim", dict(update_rule="gated", decay=[2, 3, 4])),
    # key's last dim must be Hkv·dk = 10
    ("key-dim", dict(update_rule="linear", k=[2, 3, 12])),
    # q_num_heads 3 is not a multiple of kv_num_heads 2
    ("heads", dict(update_rule="linear", q=[2, 3, 15], q_num_heads=3)),
    # past_state must be (2, 2, 5, 6)
    ("past", dict(update_rule="linear", past=[2, 2, 6, 5])),
]


@pytest.mark.parametrize("case", INVALID, ids=[c[0] for c in INVALID])
def test_linear_attention_invalid(case):
    _id, kw = case
    rec = run(**kw)
    assert rec.status == "invalid", rec.detail


def test_linear_attention_shape_unknown():
    rec = run(q=[2, "T", 20], k=[2, "T", 10], v=[2, "T", 12], update_rule="linear")
    assert rec.status == "shape_unknown"
    assert "T" in rec.missing


# SwiGLU: (id, shape, dtype, attrs, elements)
SWIGLU = [
    # 2·3·4 = 24 elements: arith 6·24 = 144, exps 24, flops 168.
    ("float32", [2, 3, 4], F, {}, 24),
    # alpha is not specialised: the same.
    ("alpha", [2, 3, 4], F, {"alpha": 1.702}, 24),
    # 5·8 = 40 elements, float16: arith 240, exps 40.
    ("float16", [5, 8], "float16", {}, 40),
]


@pytest.mark.parametrize("case", SWIGLU, ids=[c[0] for c in SWIGLU])
def test_swiglu(case):
    _id, shape, dt, attrs, n = case
    rec = one_node("SwiGLU", [("a", dt, shape), ("b", dt, shape)], [("y", dt, shape)], opset=28, **attrs)
    assert rec.status == "counted", rec.detail
    assert (rec.cost.arith, rec.cost.transcendental, rec.cost.compare) == (6 * n, n, 0)
    assert rec.flops == 7 * n


def test_swiglu_flops_literal():
    # 24 elements × 7 = 168 FLOPs.
    rec = one_node("SwiGLU", [("a", F, [2, 3, 4]), ("b", F, [2, 3, 4])], [("y", F, None)], opset=28)
    assert rec.flops == 168


def test_swiglu_invalid_and_unknown():
    bad = one_node("SwiGLU", [("a", F, [2, 3]), ("b", F, [3])], [("y", F, None)], opset=28)
    assert bad.status == "invalid", bad.detail  # no broadcasting: A and B must match
    unk = one_node("SwiGLU", [("a", F, ["n", 3]), ("b", F, ["n", 3])], [("y", F, None)], opset=28)
    assert unk.status == "shape_unknown"
    assert "n" in unk.missing
