"""Reductions, ArgMax/ArgMin, CumSum, TopK, Det: one-node cases, expected numbers by hand.

X = [2, 3, 4] (I = 24) unless said; O = output elements, R = I / O.
"""

from __future__ import annotations

import onnx.defs
import pytest
from onnx import helper

from onnx_cost.rules import REGISTRY, load_all

from helpers import analyze_model, init, make_model, one_node

F = "float32"
X = [2, 3, 4]


def reduce(op, axes=None, opset=18, dtype=F, x=X, **attrs):
    """Axes as an attribute before opset 18 (13 for ReduceSum), else as a constant input."""
    as_input = opset >= (13 if op == "ReduceSum" else 18)
    if axes is not None and not as_input:
        attrs["axes"] = axes
    if axes is not None and as_input:
        ins = [("x", dtype, x), ("a", "int64", [len(axes)])]
        inits = [init("a", "int64", [len(axes)], axes)]
    else:
        ins, inits = [("x", dtype, x)], []
    return one_node(op, ins, [("y", dtype, None)], inits, opset=opset, **attrs)


# (op, axes, opset, attrs, arith, transcendental, compare)
REDUCE_CASES = [
    # axes [1]: O = 8, R = 3: 8·2 = 16 adds
    ("ReduceSum", [1], 11, {}, 16, 0, 0),
    ("ReduceSum", [1], 18, {}, 16, 0, 0),
    ("ReduceSum", [1], 18, {"keepdims": 0}, 16, 0, 0),
    ("ReduceSum", [-2], 13, {}, 16, 0, 0),
    # no axes: all reduced, O = 1, R = 24: 23 adds
    ("ReduceSum", None, 18, {}, 23, 0, 0),
    ("ReduceSum", None, 11, {}, 23, 0, 0),
    # explicit empty axes input: reduce all too
    ("ReduceSum", [], 18, {}, 23, 0, 0),
    # no axes and noop_with_empty_axes: identity, nothing
    ("ReduceSum", None, 18, {"noop_with_empty_axes": 1}, 0, 0, 0),
    ("ReduceSum", [], 18, {"noop_with_empty_axes": 1}, 0, 0, 0),
    # noop_with_empty_axes does not matter when axes are given: 16
    ("ReduceSum", [1], 18, {"noop_with_empty_axes": 1}, 16, 0, 0),
    # Mean axes [1,2]: O = 2, R = 12: 2·11 adds + 2 divs = 24
    ("ReduceMean", [1, 2], 11, {}, 24, 0, 0),
    # Mean axes [-1]: O = 6, R = 4: 18 + 6 = 24
    ("ReduceMean", [-1], 18, {}, 24, 0, 0),
    # Mean no-op: no adds, no div
    ("ReduceMean", None, 18, {"noop_with_empty_axes": 1}, 0, 0, 0),
    # Mean all: 23 adds + 1 div
    ("ReduceMean", None, 13, {}, 24, 0, 0),
    # Max axes [0]: O = 12, R = 2: 12 compares
    ("ReduceMax", [0], 18, {}, 0, 0, 12),
    ("ReduceMax", [0], 20, {}, 0, 0, 12),
    # Min axes [2] keepdims 0: O = 6, R = 4: 18 compares
    ("ReduceMin", [2], 11, {"keepdims": 0}, 0, 0, 18),
    # Prod axes [1]: 16 muls
    ("ReduceProd", [1], 18, {}, 16, 0, 0),
    # L1 axes [2]: 24 abs + 6·3 = 18 adds = 42
    ("ReduceL1", [2], 18, {}, 42, 0, 0),
    ("ReduceL1", [2], 11, {}, 42, 0, 0),
    # L2 axes [2]: 24 squares + 18 adds = 42; 6 sqrt
    ("ReduceL2", [2], 18, {}, 42, 6, 0),
    # L2 no-op: 24 squares, 24 sqrt (|x|)
    ("ReduceL2", None, 18, {"noop_with_empty_axes": 1}, 24, 24, 0),
    # LogSum axes [1]: 16 adds; 8 logs
    ("ReduceLogSum", [1], 18, {}, 16, 8, 0),
    # LogSum no-op: 24 logs
    ("ReduceLogSum", None, 18, {"noop_with_empty_axes": 1}, 0, 24, 0),
    # LogSumExp axes [0,1]: O = 4, R = 6: 4·5 = 20 adds; 24 exps + 4 logs = 28
    ("ReduceLogSumExp", [0, 1], 13, {}, 20, 28, 0),
    ("ReduceLogSumExp", [0, 1], 18, {}, 20, 28, 0),
    # SumSquare all: 24 squares + 23 adds = 47
    ("ReduceSumSquare", None, 11, {}, 47, 0, 0),
    # SumSquare no-op: 24 squares
    ("ReduceSumSquare", None, 18, {"noop_with_empty_axes": 1}, 24, 0, 0),
]


@pytest.mark.parametrize("op,axes,opset,attrs,arith,trans,compare", REDUCE_CASES)
def test_reduce(op, axes, opset, attrs, arith, trans, compare):
    rec = reduce(op, axes, opset, **attrs)
    assert rec.status == "counted", rec.detail
    assert (rec.cost.arith, rec.cost.transcendental, rec.cost.compare) == (arith, trans, compare)
    assert rec.cost.int_ops == 0


@pytest.mark.parametrize(
    "op,axes,opset,dtype,int_ops",
    [
        # int32 Sum axes [1]: 16 adds, as integer ops
        ("ReduceSum", [1], 18, "int32", 16),
        # int64 Max axes [1] (attribute form): 16 compares
        ("ReduceMax", [1], 11, "int64", 16),
        # int32 Mean axes [2]: 18 adds + 6 divs = 24
        ("ReduceMean", [2], 18, "int32", 24),
        # int64 SumSquare all: 24 + 23 = 47
        ("ReduceSumSquare", None, 13, "int64", 47),
    ],
)
def test_reduce_integer(op, axes, opset, dtype, int_ops):
    rec = reduce(op, axes, opset, dtype)
    assert rec.status == "counted", rec.detail
    assert rec.cost.int_ops == int_ops and rec.flops == 0


def dynamic_axes(op, y_shape, **attrs):
    """Axes fed by a graph input (value unknown), output shape declared by the exporter."""
    node = helper.make_node(op, ["x", "a"], ["y"], name="n0", **attrs)
    m = make_model([node], [("x", F, X), ("a", "int64", [1])], [("y", F, y_shape)], opset=18)
    return analyze_model(m).nodes[0]


def test_reduce_dynamic_axes_use_the_output_shape():
    # output [2,1,4]: O = 8, R = 24/8 = 3 -> 16 adds, whatever the axes
    rec = dynamic_axes("ReduceSum", [2, 1, 4])
    assert rec.status == "counted", rec.detail
    assert rec.cost.arith == 16
    # L2 to [2,3,1]: O = 6, R = 4: 24 squares + 18 adds = 42; 6 sqrt
    rec = dynamic_axes("ReduceL2", [2, 3, 1])
    assert (rec.cost.arith, rec.cost.transcendental) == (42, 6)


def test_reduce_dynamic_axes_unknown():
    # neither the axes nor the output dims known
    one = one_node("ReduceSum", [("x", F, X), ("a", "int64", [1])], [("y", F, None)], opset=18)
    assert one.status == "shape_unknown"
    # Mean with noop and the output equal in size to the input: a no-op or a size-1 reduction
    rec = dynamic_axes("ReduceMean", X, noop_with_empty_axes=1)
    assert rec.status == "shape_unknown" and "no-op" in rec.detail
    # the same for ReduceSum counts 0 either way
    assert dynamic_axes("ReduceSum", X, noop_with_empty_axes=1).cost.arith == 0


def test_reduce_invalid_and_symbolic():
    assert reduce("ReduceSum", [1, 1], 18).status == "invalid"
    assert reduce("ReduceSum", [3], 18).status == "invalid"
    assert reduce("ReduceMax", [-4], 11).status == "invalid"
    rec = reduce("ReduceSum", [1], 18, x=["N", 3, 4])
    assert rec.status == "shape_unknown" and "N" in rec.missing


# (op, attrs, dtype, compare, int_ops)
ARG_CASES = [
    # axis 1: O = 8, R = 3: 16 compares
    ("ArgMax", {"axis": 1}, F, 16, 0),
    ("ArgMax", {"axis": 1, "keepdims": 0, "select_last_index": 1}, F, 16, 0),
    # default axis 0: O = 12, R = 2: 12 compares
    ("ArgMin", {}, F, 12, 0),
    # axis −1: O = 6, R = 4: 18
    ("ArgMin", {"axis": -1}, "int32", 0, 18),
]


@pytest.mark.parametrize("op,attrs,dtype,compare,int_ops", ARG_CASES)
def test_arg_reduce(op, attrs, dtype, compare, int_ops):
    rec = one_node(op, [("x", dtype, X)], [("y", "int64", None)], **attrs)
    assert rec.status == "counted", rec.detail
    assert (rec.cost.compare, rec.cost.int_ops) == (compare, int_ops)


def cumsum(axis, dtype=F, x=X, op="CumSum", opset=21, **attrs):
    ins = [("x", dtype, x), ("ax", "int64", [])]
    inits = [init("ax", "int64", [], axis)]
    return one_node(op, ins, [("y", dtype, None)], inits, opset=opset, **attrs)


@pytest.mark.parametrize(
    "axis,attrs,x,arith",
    [
        # axis 1: 8 lines of 3: 8·2 = 16 adds
        (1, {}, X, 16),
        (1, {"reverse": 1}, X, 16),
        # exclusive: 8 lines · 1 add = 8
        (1, {"exclusive": 1}, X, 8),
        # axis −1: 6 lines of 4: 18; exclusive reverse: 6·2 = 12
        (-1, {}, X, 18),
        (-1, {"exclusive": 1, "reverse": 1}, X, 12),
        # lines of 1: nothing, exclusive or not
        (1, {}, [2, 1, 4], 0),
        (1, {"exclusive": 1}, [2, 1, 4], 0),
    ],
)
def test_cumsum(axis, attrs, x, arith):
    rec = cumsum(axis, x=x, **attrs)
    assert rec.status == "counted", rec.detail
    assert rec.cost.arith == arith


@pytest.mark.skipif(not onnx.defs.has("CumProd"), reason="CumProd needs onnx opset 26")
@pytest.mark.parametrize(
    "axis,attrs,arith",
    [
        # axis 1: 8 lines of 3: 8·2 = 16 muls; exclusive: 8·1 = 8
        (1, {}, 16),
        (1, {"exclusive": 1}, 8),
        # axis 0, reverse: 12 lines of 2: 12·1 = 12
        (0, {"reverse": 1}, 12),
    ],
)
def test_cumprod(axis, attrs, arith):
    rec = cumsum(axis, op="CumProd", opset=26, **attrs)
    assert rec.status == "counted", rec.detail
    assert rec.cost.arith == arith


def test_cumsum_integer_and_unknown_axis():
    # int64, axis 2: 6 lines of 4: 18 integer adds
    rec = cumsum(2, dtype="int64")
    assert (rec.cost.int_ops, rec.flops) == (18, 0)
    rec = one_node("CumSum", [("x", F, X), ("ax", "int64", [])], [("y", F, None)])
    assert rec.status == "shape_unknown"
    assert cumsum(3).status == "invalid"


def topk(k, x=(2, 10), opset=21, dtype=F, **attrs):
    ins = [("x", dtype, list(x)), ("k", "int64", [1])]
    outs = [("v", dtype, None), ("i", "int64", None)]
    return one_node("TopK", ins, outs, [init("k", "int64", [1], [k])], opset=opset, **attrs)


@pytest.mark.parametrize(
    "k,x,opset,attrs,compare",
    [
        # k 1: exact max search, 2 rows · 9 = 18
        (1, (2, 10), 21, {}, 18),
        # k 3, n 10: merge sort worst case 10·4 − 16 + 1 = 25 per row, 2 rows = 50
        (3, (2, 10), 21, {}, 50),
        (10, (2, 10), 11, {"largest": 0, "sorted": 0}, 50),
        # n 8, k 2: 8·3 − 8 + 1 = 17 per row; X [3,8] -> 51
        (2, (3, 8), 21, {}, 51),
        # axis 0 of [4, 5]: 5 rows of n 4: 4·2 − 4 + 1 = 5 each -> 25
        (2, (4, 5), 21, {"axis": 0}, 25),
    ],
)
def test_topk(k, x, opset, attrs, compare):
    rec = topk(k, x, opset, **attrs)
    assert rec.status == "counted", rec.detail
    assert rec.cost.compare == compare and rec.cost.arith == 0


def test_topk_opset1_attribute_integer_and_invalid():
    # opset 1: k as attribute, k 3 on [2, 10]: 50
    rec = one_node("TopK", [("x", F, [2, 10])], [("v", F, None), ("i", "int64", None)], opset=1, k=3)
    assert rec.status == "counted" and rec.cost.compare == 50
    # int32 input: 50 integer compares
    rec = topk(3, dtype="int32")
    assert (rec.cost.int_ops, rec.flops) == (50, 0)
    assert topk(11).status == "invalid"
    rec = one_node("TopK", [("x", F, [2, 10]), ("k", "int64", [1])], [("v", F, None), ("i", "int64", None)])
    assert rec.status == "shape_unknown"


@pytest.mark.parametrize(
    "x,arith,compare",
    [
        # M 3: 3·2/2 = 3 divs, 2·3·5/3 = 10 mul+sub, 2 diagonal muls = 15; 3 pivot compares
        ([3, 3], 15, 3),
        # M 4, 2 matrices: 6 + 3·4·7/3 = 28 + 3 = 37 each -> 74; 6 compares each -> 12
        ([2, 4, 4], 74, 12),
        # M 2: 1 div + 1 mul + 1 sub + 1 diagonal mul = 4; 1 compare
        ([2, 2], 4, 1),
        # M 1: nothing to eliminate, the determinant is the entry
        ([1, 1], 0, 0),
    ],
)
def test_det(x, arith, compare):
    rec = one_node("Det", [("x", F, x)], [("y", F, None)])
    assert rec.status == "counted", rec.detail
    assert (rec.cost.arith, rec.cost.compare) == (arith, compare)


def test_det_invalid():
    assert one_node("Det", [("x", F, [2, 3])], [("y", F, None)]).status == "invalid"


def test_registered_ops_exist_and_have_rows():
    load_all()
    mine = {e.op_type for e in REGISTRY.values() if e.family in ("reduce", "softmax", "normalization")}
    assert {"ReduceSum", "ReduceLogSumExp", "ArgMax", "CumSum", "TopK", "Det", "Softmax", "LRN"} <= mine
    for op in mine:
        assert onnx.defs.has(op), op
        assert REGISTRY[("", op)].doc.strip(), op
