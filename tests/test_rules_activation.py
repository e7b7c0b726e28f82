"""Activation rules: the spec formula's operations per output element.

Unless said otherwise X is float32 [2,3,4]: N = 2·3·4 = 24 elements.
"""

from __future__ import annotations

import onnx.defs
import pytest

from onnx_cost.rules import REGISTRY, load_all
from onnx_cost.rules.cost import COUNT_FIELDS

from helpers import init, one_node


def counts(rec) -> dict[str, int]:
    return {f: getattr(rec.cost, f) for f in COUNT_FIELDS}


def want(**parts: int) -> dict[str, int]:
    return {f: parts.get(f, 0) for f in COUNT_FIELDS}


F, X = "float32", [2, 3, 4]

# (id, op, input dtype, shape, attrs, opset, expected parts, flops)
CASES = [
    ("relu", "Relu", F, X, {}, 21,
     want(compare=24), 24),  # 24 × max(0, x)
    ("relu_int8", "Relu", "int8", X, {}, 21,
     want(int_ops=24), 0),  # 24 × 1 compare of int8: int_ops
    ("leaky_relu", "LeakyRelu", F, X, {"alpha": 0.1}, 21,
     want(arith=24, compare=24), 48),  # 24 × (mul + select) = 48
    ("thresholded_relu", "ThresholdedRelu", F, [10], {"alpha": 2.0}, 21,
     want(compare=10), 10),  # 10 × 1 select
    ("sigmoid", "Sigmoid", F, X, {}, 21,
     want(arith=72, transcendental=24), 96),  # 24 × (neg, add, div = 3 arith; exp) = 72 + 24 = 96
    ("tanh", "Tanh", F, [5, 5], {}, 21,
     want(transcendental=25), 25),  # 5·5 = 25 × tanh
    ("hard_sigmoid", "HardSigmoid", F, X, {"alpha": 0.3, "beta": 0.4}, 21,
     want(arith=48, compare=48), 96),  # 24 × (mul, add; min, max) = 48 + 48
    ("hard_swish", "HardSwish", F, X, {}, 21,
     want(arith=72, compare=48), 120),  # 24 × (mul, add, mul x; min, max) = 72 + 48
    ("elu", "Elu", F, X, {"alpha": 0.5}, 21,
     want(arith=48, transcendental=24, compare=24), 96),  # 24 × (sub, mul; exp; select) = 48+24+24
    ("selu", "Selu", F, X, {}, 21,
     want(arith=72, transcendental=24, compare=24), 120),  # 24 × (3 mul/sub; exp; select) = 72+24+24
    ("celu", "Celu", F, X, {"alpha": 2.0}, 21,
     want(arith=96, transcendental=24, compare=48), 168),  # 24 × (div, sub, mul, add; exp; max, min)
    ("softplus", "Softplus", F, X, {}, 21,
     want(arith=24, transcendental=48), 72),  # 24 × (add; exp, log) = 24 + 48
    ("softsign", "Softsign", F, X, {}, 21,
     want(arith=72), 72),  # 24 × (abs, add, div) = 72
    ("mish", "Mish", F, X, {}, 21,
     want(arith=48, transcendental=72), 120),  # 24 × (add, mul; exp, log, tanh) = 48 + 72
    ("shrink", "Shrink", F, X, {"lambd": 1.0, "bias": 0.5}, 21,
     want(arith=48, compare=48), 96),  # 24 × (add, sub; 2 selects) = 48 + 48
    ("shrink_int", "Shrink", "int32", X, {}, 21,
     want(int_ops=96), 0),  # 24 × 4 ops of int32 = 96 int_ops
    ("swish", "Swish", F, X, {"alpha": 2.0}, 24,
     want(arith=120, transcendental=24), 144),  # 24 × (mul α, neg, add, div, mul x; exp) = 120 + 24
    ("swish_alpha1", "Swish", F, X, {}, 24,
     want(arith=120, transcendental=24), 144),  # alpha = 1 still counts its multiply: same 144
    ("gelu", "Gelu", F, X, {}, 20,
     want(arith=96, transcendental=24), 120),  # 24 × (div, add, mul, mul; erf) = 96 + 24
    ("gelu_tanh", "Gelu", F, X, {"approximate": "tanh"}, 21,
     want(arith=192, transcendental=24), 216),  # 24 × (8 arith; tanh) = 192 + 24
]  # fmt: skip


@pytest.mark.parametrize(
    "op, dtype, shape, attrs, opset, expected, flops",
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_counts(op, dtype, shape, attrs, opset, expected, flops):
    rec = one_node(op, [("x", dtype, shape)], [("y", dtype, shape)], opset=opset, **attrs)
    assert rec.status == "counted", rec.detail
    assert counts(rec) == expected
    assert rec.flops == flops


# -- PRelu: a slope initializer broadcast onto X -------------------------------------------
@pytest.mark.parametrize(
    "dtype, slope_shape, expected, flops, params",
    [
        # X [2,3,4,4] = 96 outputs × (mul + select) = 96 + 96 = 192; slope 3·1·1 = 3 params
        (F, [3, 1, 1], want(arith=96, compare=96), 192, 3),
        (F, [1], want(arith=96, compare=96), 192, 1),  # one shared slope: still 96 outputs
        (F, [4], want(arith=96, compare=96), 192, 4),  # slope along the last axis
        ("int32", [3, 1, 1], want(int_ops=192), 0, 3),  # int32: 96 × 2 = 192 int_ops
    ],
)
def test_prelu(dtype, slope_shape, expected, flops, params):
    slope = init("s", dtype, slope_shape)
    rec = one_node("PRelu", [("x", dtype, [2, 3, 4, 4]), ("s", dtype, slope_shape)],
                   [("y", dtype, [2, 3, 4, 4])], initializers=[slope])  # fmt: skip
    assert rec.status == "counted", rec.detail
    assert counts(rec) == expected
    assert rec.flops == flops
    assert rec.params == params


# -- Clip: one compare per bound given -------------------------------------------------------
CLIP_INPUTS = [
    (F, (False, False), want()),  # no bound: a copy, 0
    (F, (True, False), want(compare=24)),  # min only: 24 × max(x, min)
    (F, (False, True), want(compare=24)),  # max only (min absent, ""): 24 × min(x, max)
    (F, (True, True), want(compare=48)),  # both: 24 × 2 = 48
    ("int32", (True, True), want(int_ops=48)),  # int32, both: 48 int_ops (opset 12+)
]


@pytest.mark.parametrize(
    "dtype, bounds, expected, opset",
    [(*c, o) for c in CLIP_INPUTS for o in (11, 13, 21) if c[0] == F or o >= 12],
)
def test_clip_inputs(dtype, bounds, expected, opset):
    ins = [("x", dtype, X)]
    inits = []
    for name, given in zip(("lo", "hi"), bounds):
        ins.append((name, dtype, []) if given else None)
        if given:
            inits.append(init(name, dtype, [], 0 if name == "lo" else 6))
    while ins[-1] is None:
        ins.pop()
    rec = one_node("Clip", ins, [("y", dtype, X)], initializers=inits, opset=opset)
    assert rec.status == "counted", rec.detail
    assert counts(rec) == expected


@pytest.mark.parametrize(
    "attrs, compares",
    [
        ({}, 0),  # both at their ±FLT_MAX defaults: clip nothing
        ({"min": 0.0}, 24),  # 24 × max(x, 0)
        ({"max": 6.0}, 24),  # 24 × min(x, 6)
        ({"min": 0.0, "max": 6.0}, 48),  # 24 × 2
    ],
)
def test_clip_attributes_before_opset_11(attrs, compares):
    rec = one_node("Clip", [("x", F, X)], [("y", F, X)], opset=6, **attrs)
    assert rec.status == "counted", rec.detail
    assert counts(rec) == want(compare=compares)


def test_clip_bound_fed_by_graph_input():
    # max is a graph input (value unknown): still one compare per element, 24
    rec = one_node("Clip", [("x", F, X), None, ("hi", F, [])], [("y", F, X)])
    assert counts(rec) == want(compare=24)


# -- unknown shapes, invalid attributes ---------------------------------------------------
@pytest.mark.parametrize(
    "op, opset, attrs",
    [("Sigmoid", 21, {}), ("Gelu", 21, {"approximate": "tanh"}), ("Swish", 24, {}), ("HardSwish", 21, {})],
)
def test_symbolic_dim_is_shape_unknown(op, opset, attrs):
    rec = one_node(op, [("x", F, ["batch", 16])], [("y", F, None)], opset=opset, **attrs)
    assert rec.status == "shape_unknown"
    assert "batch" in rec.missing


def test_prelu_symbolic_dim():
    slope = init("s", F, [3, 1, 1])
    rec = one_node("PRelu", [("x", F, ["batch", 3, 8, 8]), ("s", F, [3, 1, 1])], [("y", F, None)],
                   initializers=[slope])  # fmt: skip
    assert rec.status == "shape_unknown"
    assert "batch" in rec.missing


def test_clip_without_bounds_needs_no_shape():
    # no bound: a copy costs 0 whatever "batch" is
    rec = one_node("Clip", [("x", F, ["batch", 16])], [("y", F, None)])
    assert rec.status == "counted" and rec.flops == 0


def test_gelu_unknown_approximate_is_invalid():
    rec = one_node("Gelu", [("x", F, X)], [("y", F, X)], approximate="fast")
    assert rec.status == "invalid"
    assert "approximate" in rec.detail


ACTIVATION_OPS = {
    "Relu", "LeakyRelu", "PRelu", "ThresholdedRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish",
    "Elu", "Selu", "Celu", "Softplus", "Softsign", "Mish", "Shrink", "Swish", "Clip", "Gelu",
}  # fmt: skip


def test_registry_family_and_docs():
    load_all()
    mine = {op for (dom, op), e in REGISTRY.items() if e.family == "activation"}
    assert mine == ACTIVATION_OPS
    for op in mine:
        entry = REGISTRY[("", op)]
        assert onnx.defs.has(op), op
        assert entry.doc.startswith("y = ") and "FLOPs" in entry.doc, op
