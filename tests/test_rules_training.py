"""ai.onnx.preview.training optimizers and ai.onnx.preview FlexAttention, from the ONNX spec's
equations; expected numbers worked out by hand (docs/counting.md has the formulas)."""

from __future__ import annotations

from onnx import helper

import onnx_cost
from onnx_cost.rules.cost import COUNT_FIELDS

from helpers import make_model, one_node

TRAINING = "ai.onnx.preview.training"
F = "float32"


def parts(rec) -> dict[str, int]:
    assert rec.status == "counted", rec.detail
    return {f: getattr(rec.cost, f) for f in COUNT_FIELDS if getattr(rec.cost, f)}


def lists(*names: str, shapes=((3, 4),)):
    """R, T, then for each list name one tensor per shape."""
    ins = [("R", F, ()), ("T", "int64", ())]
    for n in names:
        ins += [(f"{n}{i}", F, s) for i, s in enumerate(shapes)]
    return ins


def test_adagrad():
    rec = one_node("Adagrad", lists("X", "G", "H"), [("Xn", F, None), ("Hn", F, None)], domain=TRAINING)
    # E = 12: per element 2 (regularize) + 2 (H update) + 1 (+ε) + 3 (update) = 8 arith, 1 sqrt;
    # r = R/(1 + T·decay): 3 arith once
    assert parts(rec) == dict(arith=8 * 12 + 3, transcendental=12)


def test_adagrad_two_tensors():
    ins = lists("X", "G", "H", shapes=((2,), (3,)))
    outs = [("X0n", F, None), ("X1n", F, None), ("H0n", F, None), ("H1n", F, None)]
    rec = one_node("Adagrad", ins, outs, domain=TRAINING)
    assert parts(rec) == dict(arith=8 * 5 + 3, transcendental=5)  # E = 2 + 3


def test_momentum_standard_and_nesterov():
    outs = [("Xn", F, None), ("Vn", F, None)]
    rec = one_node("Momentum", lists("X", "G", "V"), outs, domain=TRAINING, alpha=0.9, beta=1.0,
                   norm_coefficient=0.0, mode="standard")
    # E 12: 2 (regularize) + 3 (V update) + 2 (X update); beta' = T > 0 ? beta : 1 once
    assert parts(rec) == dict(arith=7 * 12, compare=1)
    rec = one_node("Momentum", lists("X", "G", "V"), outs, domain=TRAINING, alpha=0.9, beta=1.0,
                   norm_coefficient=0.0, mode="nesterov")
    assert parts(rec) == dict(arith=9 * 12, compare=1)


def test_adam():
    outs = [("Xn", F, None), ("Vn", F, None), ("Hn", F, None)]
    rec = one_node("Adam", lists("X", "G", "V", "H", shapes=((2, 3),)), outs, domain=TRAINING)
    # E 6: 2 + 3 + 4 + 1 + 3 + 1 = 14 arith and 1 sqrt per element; once: 3 (1 − coefficients)
    # + 4 arith, 3 transcendental (2 pow, 1 sqrt) and 1 compare for the adjusted learning rate
    assert parts(rec) == dict(arith=14 * 6 + 7, transcendental=6 + 3, compare=1)


def test_gradient_is_uncounted_with_the_reason():
    node = helper.make_node("Gradient", ["x", "w"], ["dy_dw"], domain=TRAINING, xs=["w"], y="y")
    model = make_model([node], [("x", F, (2,)), ("w", F, (2,))], [("dy_dw", F, None)], extra_opsets={TRAINING: 1})
    r = onnx_cost.analyze(model)
    rec = r.nodes[0]
    assert rec.status == "uncounted" and "autodiff" in rec.detail
    assert r.uncounted[f"{TRAINING}::Gradient"]["count"] == 1


def test_flex_attention_gqa():
    ins = [("q", F, (1, 4, 3, 8)), ("k", F, (1, 2, 5, 8)), ("v", F, (1, 2, 5, 6))]
    rec = one_node("FlexAttention", ins, [("y", F, (1, 4, 3, 6))], domain="ai.onnx.preview")
    # rows B·Hq·Sq = 12, T 5, scores 60: QK^T 60·8 = 480 MACs, P·V 60·6 = 360; dots 60 + 12·6 = 72;
    # scale 60 muls; softmax 12 rows of 5: 12·14 = 168 arith, 60 exps, 12·4 = 48 compares
    assert parts(rec) == dict(macs=840, dots=132, arith=60 + 168, transcendental=60, compare=48)
