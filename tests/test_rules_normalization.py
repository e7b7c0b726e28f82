"""Normalizations: one-node cases, expected numbers worked out by hand.

The standardize step per group of D elements is 5D + 3 arith and 1 sqrt
(mean D, squares D, mean of squares D, mean² 1, var sub 1, +eps 1, x − mean D, div D).
"""

from __future__ import annotations

import onnx.defs
import pytest

from helpers import init, one_node

F = "float32"


def bn(x_shape, c, opset=21, outputs=("y",), inits=True, **attrs):
    names = ["s", "b", "m", "v"]
    ins = [("x", F, x_shape)] + [(n, F, [c]) for n in names]
    ini = [init(n, F, [c]) for n in names] if inits else []
    return one_node("BatchNormalization", ins, [(o, F, None) for o in outputs], ini, opset=opset, **attrs)


# (case, kwargs, arith, transcendental)
BN_CASES = [
    # N = 1·64·8·8 = 4096, K = 64: 4·4096 + 64 = 16,448 arith; 64 sqrt
    ("inference C=64", dict(x_shape=[1, 64, 8, 8], c=64), 16448, 64),
    # epsilon and momentum change nothing
    ("epsilon 1e-3", dict(x_shape=[1, 64, 8, 8], c=64, epsilon=1e-3, momentum=0.5), 16448, 64),
    # N = 2·3·4·4 = 96, K = 3: 4·96 + 3 = 387
    ("inference small", dict(x_shape=[2, 3, 4, 4], c=3), 387, 3),
    ("opset 9 inference", dict(x_shape=[2, 3, 4, 4], c=3, opset=9), 387, 3),
    ("opset 14 inference", dict(x_shape=[2, 3, 4, 4], c=3, opset=14), 387, 3),
    # training, M = 96/3 = 32: 387 + 3·(3·32 + 2) = 387 + 294 = 681, plus 3·3 per running output
    ("training, Y only", dict(x_shape=[2, 3, 4, 4], c=3, opset=15, training_mode=1), 681, 3),
    # 681 + 2 outputs · 3 stats · 3 = 681 + 18 = 699 (= 7·96 + 3·3 + 3·3·2)
    (
        "training, running stats",
        dict(x_shape=[2, 3, 4, 4], c=3, opset=15, training_mode=1, outputs=("y", "rm", "rv")),
        699,
        3,
    ),
    # 681 + 1·3·3 = 690
    ("training, running_mean only", dict(x_shape=[2, 3, 4, 4], c=3, opset=15, training_mode=1, outputs=("y", "rm")), 690, 3),
    # opset 9: the five outputs mean training; mean and var are the running stats: 699
    ("opset 9 training", dict(x_shape=[2, 3, 4, 4], c=3, opset=9, outputs=("y", "m1", "v1", "sm", "sv")), 699, 3),
]


@pytest.mark.parametrize("case,kw,arith,trans", BN_CASES, ids=[c[0] for c in BN_CASES])
def test_batch_normalization(case, kw, arith, trans):
    rec = bn(**kw)
    assert rec.status == "counted", rec.detail
    assert (rec.cost.arith, rec.cost.transcendental) == (arith, trans)
    assert rec.macs == 0 and rec.cost.compare == 0
    assert rec.flops == arith + trans


def test_batch_normalization_params_are_what_the_file_stores():
    # scale, bias, mean, var: 4 initializers of C = 64 -> 4·64 = 256 params
    assert bn([1, 64, 8, 8], 64).params == 256
    # the same node fed by graph inputs stores no params
    assert bn([1, 64, 8, 8], 64, inits=False).params == 0


def test_batch_normalization_invalid_and_unknown():
    # training_mode=0 admits only Y
    assert bn([2, 3, 4, 4], 3, opset=15, outputs=("y", "rm", "rv")).status == "invalid"
    # four inputs: var missing
    ins = [("x", F, [2, 3, 4, 4])] + [(n, F, [3]) for n in "sbm"]
    assert one_node("BatchNormalization", ins, [("y", F, None)], opset=15).status == "invalid"
    rec = bn(["N", 3, 4, 4], 3)
    assert rec.status == "shape_unknown" and "N" in rec.missing


def ln(x_shape, s_shape, bias=False, outputs=("y",), opset=17, **attrs):
    ins = [("x", F, x_shape), ("s", F, s_shape)] + ([("b", F, s_shape)] if bias else [])
    return one_node("LayerNormalization", ins, [(o, F, None) for o in outputs], opset=opset, **attrs)


# (case, kwargs, arith, transcendental)
LN_CASES = [
    # X [2,5,8], axis −1: N = 10 groups, D = 8: 10·(5·8 + 3) = 430, scale 80 -> 510; 10 sqrt
    ("axis -1, no bias", dict(x_shape=[2, 5, 8], s_shape=[8]), 510, 10),
    # + bias 80 -> 590
    ("axis -1, bias", dict(x_shape=[2, 5, 8], s_shape=[8], bias=True), 590, 10),
    ("epsilon", dict(x_shape=[2, 5, 8], s_shape=[8], bias=True, epsilon=0.1), 590, 10),
    ("stash_type", dict(x_shape=[2, 5, 8], s_shape=[8], bias=True, stash_type=1, opset=21), 590, 10),
    # axis 1: N = 2, D = 40: 2·(200 + 3) = 406, scale 80, bias 80 -> 566; 2 sqrt
    ("axis 1, bias", dict(x_shape=[2, 5, 8], s_shape=[5, 8], bias=True, axis=1), 566, 2),
    # axis 0 (= −3): N = 1, D = 80: 403 + 80 = 483; 1 sqrt
    ("axis 0", dict(x_shape=[2, 5, 8], s_shape=[2, 5, 8], axis=-3), 483, 1),
    # Mean output: computed anyway, 590 / 10
    ("Mean output", dict(x_shape=[2, 5, 8], s_shape=[8], bias=True, outputs=("y", "mean")), 590, 10),
    # InvStdDev output: + 10 reciprocals -> 20
    ("InvStdDev output", dict(x_shape=[2, 5, 8], s_shape=[8], bias=True, outputs=("y", "mean", "inv")), 590, 20),
]


@pytest.mark.parametrize("case,kw,arith,trans", LN_CASES, ids=[c[0] for c in LN_CASES])
def test_layer_normalization(case, kw, arith, trans):
    rec = ln(**kw)
    assert rec.status == "counted", rec.detail
    assert (rec.cost.arith, rec.cost.transcendental, rec.flops) == (arith, trans, arith + trans)


def test_layer_normalization_invalid_and_unknown():
    assert ln([2, 5, 8], [8], axis=3).status == "invalid"
    rec = ln(["B", 5, 8], [8])
    assert rec.status == "shape_unknown" and "B" in rec.missing


@pytest.mark.skipif(not onnx.defs.has("RMSNormalization"), reason="RMSNormalization needs onnx opset 23")
@pytest.mark.parametrize(
    "x,s,axis,arith,trans",
    [
        # N = 10, D = 8: 10·(4·8 + 1) = 330; 10 sqrt
        ([2, 5, 8], [8], -1, 330, 10),
        # N = 2, D = 40: 2·(160 + 1) = 322; 2 sqrt
        ([2, 5, 8], [5, 8], 1, 322, 2),
    ],
)
def test_rms_normalization(x, s, axis, arith, trans):
    rec = one_node("RMSNormalization", [("x", F, x), ("s", F, s)], [("y", F, None)], opset=23, axis=axis)
    assert rec.status == "counted", rec.detail
    assert (rec.cost.arith, rec.cost.transcendental) == (arith, trans)


def chan(op, x, c, opset=21, **attrs):
    ins = [("x", F, x), ("s", F, [c]), ("b", F, [c])]
    return one_node(op, ins, [("y", F, None)], opset=opset, **attrs)


@pytest.mark.parametrize(
    "op,x,c,opset,attrs,arith,trans",
    [
        # IN, X [2,3,4,5]: 6 groups of D = 20: 6·(100 + 3) = 618, scale + bias 2·120 = 240 -> 858; 6 sqrt
        ("InstanceNormalization", [2, 3, 4, 5], 3, 21, {}, 858, 6),
        ("InstanceNormalization", [2, 3, 4, 5], 3, 6, {"epsilon": 0.5}, 858, 6),
        # IN rank 3, X [2,3,7]: 6 groups of 7: 6·38 = 228, + 2·42 = 84 -> 312; 6 sqrt
        ("InstanceNormalization", [2, 3, 7], 3, 21, {}, 312, 6),
        # GN with G = C is IN: 858 / 6
        ("GroupNormalization", [2, 3, 4, 5], 3, 21, {"num_groups": 3}, 858, 6),
        # GN, X [2,6,4,4], G = 3: 6 groups of D = 2·16 = 32: 6·(160 + 3) = 978, + 2·192 = 384 -> 1362; 6 sqrt
        ("GroupNormalization", [2, 6, 4, 4], 6, 21, {"num_groups": 3}, 1362, 6),
        # opset 18: scale and bias per group (3), same count
        ("GroupNormalization", [2, 6, 4, 4], 3, 18, {"num_groups": 3}, 1362, 6),
        # G = 1 (layer-norm like): 2 groups of 96: 2·483 = 966, + 384 -> 1350; 2 sqrt
        ("GroupNormalization", [2, 6, 4, 4], 6, 21, {"num_groups": 1}, 1350, 2),
    ],
)
def test_instance_and_group_normalization(op, x, c, opset, attrs, arith, trans):
    rec = chan(op, x, c, opset, **attrs)
    assert rec.status == "counted", rec.detail
    assert (rec.cost.arith, rec.cost.transcendental) == (arith, trans)


@pytest.mark.parametrize(
    "x,c,opset,attrs",
    [
        ([2, 6, 4, 4], 6, 21, {"num_groups": 4}),  # 4 does not divide 6
        ([2, 6, 4, 4], 3, 21, {"num_groups": 3}),  # opset 21 wants scale per channel (6)
        ([2, 6, 4, 4], 6, 18, {"num_groups": 3}),  # opset 18 wants scale per group (3)
    ],
)
def test_group_normalization_invalid(x, c, opset, attrs):
    assert chan("GroupNormalization", x, c, opset, **attrs).status == "invalid"


def test_group_normalization_unknown():
    rec = chan("GroupNormalization", ["N", 6, 4, 4], 6, num_groups=3)
    assert rec.status == "shape_unknown" and "N" in rec.missing


@pytest.mark.parametrize(
    "attrs,opset,arith,trans",
    [
        # X [2,3,4], axis −1, p 2: 6 lines of 4: 6·(3·4 − 1) = 66; 6 sqrt
        ({}, 22, 66, 6),
        ({}, 1, 66, 6),
        # p 1: 6·11 = 66 (abs, adds, divs), no sqrt
        ({"p": 1}, 22, 66, 0),
        # axis 1: 8 lines of 3: 8·8 = 64; 8 sqrt
        ({"axis": 1}, 22, 64, 8),
    ],
)
def test_lp_normalization(attrs, opset, arith, trans):
    rec = one_node("LpNormalization", [("x", F, [2, 3, 4])], [("y", F, None)], opset=opset, **attrs)
    assert rec.status == "counted", rec.detail
    assert (rec.cost.arith, rec.cost.transcendental) == (arith, trans)


def test_lp_normalization_invalid_p():
    assert one_node("LpNormalization", [("x", F, [2, 3, 4])], [("y", F, None)], p=3).status == "invalid"


@pytest.mark.parametrize(
    "attrs,opset,arith,trans",
    [
        # X [2,3,4,5], default axes [0,2,3]: R = 2·4·5 = 40, 3 groups: 3·(200 + 3) = 609; 3 sqrt
        ({}, 13, 609, 3),
        ({}, 9, 609, 3),
        # axes [2,3]: R = 20, 6 groups: 6·103 = 618; 6 sqrt
        ({"axes": [2, 3]}, 13, 618, 6),
        # axes [-1]: R = 5, 24 groups: 24·28 = 672; 24 sqrt
        ({"axes": [-1]}, 13, 672, 24),
    ],
)
def test_mean_variance_normalization(attrs, opset, arith, trans):
    rec = one_node("MeanVarianceNormalization", [("x", F, [2, 3, 4, 5])], [("y", F, None)], opset=opset, **attrs)
    assert rec.status == "counted", rec.detail
    assert (rec.cost.arith, rec.cost.transcendental) == (arith, trans)


def test_mean_variance_normalization_repeated_axes():
    rec = one_node("MeanVarianceNormalization", [("x", F, [2, 3, 4, 5])], [("y", F, None)], axes=[1, 1])
    assert rec.status == "invalid"


@pytest.mark.parametrize(
    "attrs,arith",
    [
        # X [1,5,2,2], size 3 (1 below, 1 above): windows 2,3,3,3,2 -> adds 1+2+2+2+1 = 8 per position,
        # 4 positions -> 32; 4·20 = 80 (square, ·alpha/size, +bias, div) -> 112
        ({"size": 3}, 112),
        ({"size": 3, "alpha": 0.5, "beta": 0.5, "bias": 2.0}, 112),
        # size 4 (1 below, 2 above): windows 3,4,4,3,2 -> adds 2+3+3+2+1 = 11, ·4 = 44 -> 124
        ({"size": 4}, 124),
        # size 1: no adds -> 80
        ({"size": 1}, 80),
        # size 9 covers all 5 channels everywhere: adds 4·5 = 20, ·4 = 80 -> 160
        ({"size": 9}, 160),
    ],
)
def test_lrn(attrs, arith):
    rec = one_node("LRN", [("x", F, [1, 5, 2, 2])], [("y", F, None)], **attrs)
    assert rec.status == "counted", rec.detail
    # one pow per element: 20
    assert (rec.cost.arith, rec.cost.transcendental) == (arith, 20)


def test_lrn_needs_size():
    assert one_node("LRN", [("x", F, [1, 5, 2, 2])], [("y", F, None)]).status == "invalid"
