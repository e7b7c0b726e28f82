"""The plain-numpy value paths for ConstantOfShape and Trilu (a causal mask) give the
values the ONNX spec defines, without onnx.reference."""

from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from onnx_cost.analyzer.attrs import decode
from onnx_cost.analyzer.values import evaluate


def _run(node, inputs):
    return evaluate(node, 18, inputs, decode(node, 18, "")[0])


def test_constant_of_shape_fills_the_shape_with_the_value():
    node = helper.make_node("ConstantOfShape", ["s"], ["y"],
                            value=numpy_helper.from_array(np.array([7], dtype=np.int64)))
    (y,) = _run(node, [np.array([2, 3], dtype=np.int64)])
    assert y.dtype == np.int64 and y.shape == (2, 3) and y.tolist() == [[7, 7, 7], [7, 7, 7]]


def test_constant_of_shape_default_is_float_zero():
    (y,) = _run(helper.make_node("ConstantOfShape", ["s"], ["y"]), [np.array([2], dtype=np.int64)])
    assert y.dtype == np.float32 and y.tolist() == [0.0, 0.0]


def test_constant_of_shape_with_a_value_we_do_not_decode_is_not_zeros():
    """A string fill value is left to the reference: never a float zero in its place."""
    node = helper.make_node("ConstantOfShape", ["s"], ["y"],
                            value=helper.make_tensor("v", TensorProto.STRING, [1], [b"a"]))
    out = _run(node, [np.array([2], dtype=np.int64)])
    assert out is None or out[0].dtype.kind in "OSU"


def test_trilu_upper_and_lower_with_k():
    x = np.ones((3, 3), dtype=np.float32)
    (upper,) = _run(helper.make_node("Trilu", ["x"], ["y"]), [x])
    # upper triangle with the diagonal: 3 + 2 + 1 = 6 ones
    assert upper.tolist() == [[1, 1, 1], [0, 1, 1], [0, 0, 1]]
    (lower,) = _run(helper.make_node("Trilu", ["x", "k"], ["y"], upper=0), [x, np.array(-1, dtype=np.int64)])
    # strictly below the diagonal: 1 + 2 = 3 ones
    assert lower.tolist() == [[0, 0, 0], [1, 0, 0], [1, 1, 0]]


def test_expand_broadcasts_both_ways_as_the_reference():
    """Expand's value is the input times ones of the shape: a [3, 1] column expanded to
    [2, 1, 4] broadcasts both ways to [2, 3, 4] (the spec's bidirectional broadcast)."""
    x = np.array([[1], [2], [3]], dtype=np.int64)
    (y,) = _run(helper.make_node("Expand", ["x", "s"], ["y"]), [x, np.array([2, 1, 4], dtype=np.int64)])
    assert y.dtype == np.int64 and y.shape == (2, 3, 4)
    assert y[1].tolist() == [[1, 1, 1, 1], [2, 2, 2, 2], [3, 3, 3, 3]]


def test_expand_of_a_bool_mask_stays_bool():
    (y,) = _run(helper.make_node("Expand", ["x", "s"], ["y"]),
                [np.array([True, False]), np.array([2, 2], dtype=np.int64)])
    assert y.dtype == np.bool_ and y.tolist() == [[True, False], [True, False]]
