"""Elementwise math rules: per-output-element counts, broadcasting, integer inputs, unknown shapes.

Every expected number is worked out by hand: N = elements of the output, times
the operations one element costs.
"""

from __future__ import annotations

import onnx.defs
import pytest

from onnx_cost.rules import REGISTRY, load_all
from onnx_cost.rules._elementwise import output_elements
from onnx_cost.rules.cost import COUNT_FIELDS
from onnx_cost.rules.node import NodeView, RuleError, ShapeUnknown, TensorInfo

from helpers import one_node


def counts(rec) -> dict[str, int]:
    return {f: getattr(rec.cost, f) for f in COUNT_FIELDS}


def want(**parts: int) -> dict[str, int]:
    return {f: parts.get(f, 0) for f in COUNT_FIELDS}


F, I64, I32 = "float32", "int64", "int32"

# (id, op, inputs [(dtype, shape)], output dtype, output shape, attrs, opset, expected parts, flops)
CASES = [
    # -- binary arithmetic, numpy broadcasting ------------------------------------------------
    ("add_bcast", "Add", [(F, [2, 3, 4]), (F, [4])], F, [2, 3, 4], {}, 21,
     want(arith=24), 24),  # 2·3·4 = 24 outputs × 1 add
    ("sub_outer", "Sub", [(F, [5, 1]), (F, [1, 6])], F, [5, 6], {}, 21,
     want(arith=30), 30),  # [5,1] − [1,6] -> [5,6] = 30 outputs × 1 sub
    ("mul_scalar", "Mul", [(F, [8]), (F, [])], F, [8], {}, 21,
     want(arith=8), 8),  # 8 outputs × 1 mul
    ("div_same", "Div", [(F, [2, 3]), (F, [2, 3])], F, [2, 3], {}, 21,
     want(arith=6), 6),  # 2·3 = 6 outputs × 1 div
    ("pow", "Pow", [(F, [3, 4]), (F, [1])], F, [3, 4], {}, 21,
     want(transcendental=12), 12),  # 3·4 = 12 outputs × 1 pow
    ("pow_int", "Pow", [(I64, [3, 4]), (I64, [])], I64, [3, 4], {}, 21,
     want(int_ops=12), 0),  # 12 outputs × 1 pow, integer: int_ops, 0 FLOPs
    ("mod_float", "Mod", [(F, [4, 5]), (F, [5])], F, [4, 5], {"fmod": 1}, 21,
     want(arith=20), 20),  # 4·5 = 20 outputs × 1 mod
    ("mod_int", "Mod", [(I64, [4, 5]), (I64, [5])], I64, [4, 5], {}, 21,
     want(int_ops=20), 0),  # 20 outputs × 1 mod, integer
    ("add_int", "Add", [(I32, [2, 3, 4]), (I32, [4])], I32, [2, 3, 4], {}, 21,
     want(int_ops=24), 0),  # 24 outputs × 1 add, integer: int_ops only
    ("add_fp16", "Add", [("float16", [2, 8]), ("float16", [2, 8])], "float16", [2, 8], {}, 21,
     want(arith=16), 16),  # 2·8 = 16 outputs × 1 add
    ("add_legacy", "Add", [(F, [2, 3, 4]), (F, [3])], F, [2, 3, 4], {"broadcast": 1, "axis": 1}, 6,
     want(arith=24), 24),  # opset 6: B aligned at axis 1, output = A's 2·3·4 = 24
    # -- integer and bool logic -------------------------------------------------------------
    ("bitshift", "BitShift", [("uint8", [3, 4]), ("uint8", [4])], "uint8", [3, 4], {"direction": "LEFT"}, 21,
     want(int_ops=12), 0),  # 3·4 = 12 outputs × 1 shift
    ("bitwise_and", "BitwiseAnd", [(I32, [2, 5]), (I32, [5])], I32, [2, 5], {}, 21,
     want(int_ops=10), 0),  # 2·5 = 10 outputs × 1 and
    ("bitwise_or", "BitwiseOr", [(I32, [2, 5]), (I32, [2, 5])], I32, [2, 5], {}, 21,
     want(int_ops=10), 0),  # 10 × 1 or
    ("bitwise_xor", "BitwiseXor", [(I64, [6]), (I64, [])], I64, [6], {}, 21,
     want(int_ops=6), 0),  # 6 × 1 xor
    ("bitwise_not", "BitwiseNot", [(I64, [7])], I64, [7], {}, 21,
     want(int_ops=7), 0),  # 7 × 1 not
    ("and", "And", [("bool", [2, 3]), ("bool", [3])], "bool", [2, 3], {}, 21,
     want(int_ops=6), 0),  # 2·3 = 6 outputs × 1 and
    ("or", "Or", [("bool", [4]), ("bool", [4])], "bool", [4], {}, 21,
     want(int_ops=4), 0),  # 4 × 1 or
    ("xor", "Xor", [("bool", [1, 5]), ("bool", [3, 1])], "bool", [3, 5], {}, 21,
     want(int_ops=15), 0),  # [1,5] xor [3,1] -> 3·5 = 15 × 1 xor
    ("not", "Not", [("bool", [2, 2, 2])], "bool", [2, 2, 2], {}, 21,
     want(int_ops=8), 0),  # 2·2·2 = 8 × 1 not
    # -- comparisons and select -------------------------------------------------------------
    ("equal", "Equal", [(F, [2, 3]), (F, [3])], "bool", [2, 3], {}, 21,
     want(compare=6), 6),  # 6 outputs × 1 compare
    ("equal_int", "Equal", [(I64, [2, 3]), (I64, [2, 3])], "bool", [2, 3], {}, 21,
     want(int_ops=6), 0),  # 6 × 1 compare of integers
    ("less", "Less", [(F, [4, 1]), (F, [1, 4])], "bool", [4, 4], {}, 21,
     want(compare=16), 16),  # [4,1] < [1,4] -> 16 × 1
    ("greater", "Greater", [(F, [10]), (F, [])], "bool", [10], {}, 21,
     want(compare=10), 10),  # 10 × 1
    ("less_equal", "LessOrEqual", [(F, [3, 3]), (F, [3, 3])], "bool", [3, 3], {}, 21,
     want(compare=9), 9),  # 9 × 1
    ("greater_equal", "GreaterOrEqual", [(I32, [3, 3]), (I32, [3])], "bool", [3, 3], {}, 21,
     want(int_ops=9), 0),  # 9 × 1, integer
    ("where", "Where", [("bool", [2, 1]), (F, [3]), (F, [1])], F, [2, 3], {}, 21,
     want(compare=6), 6),  # cond [2,1], X [3], Y [1] -> 2·3 = 6 selects
    ("where_int", "Where", [("bool", [2, 1]), (I64, [3]), (I64, [1])], I64, [2, 3], {}, 21,
     want(int_ops=6), 0),  # same 6 selects of int64 values: int_ops
    ("isnan", "IsNaN", [(F, [4, 4])], "bool", [4, 4], {}, 21,
     want(compare=16), 16),  # 4·4 = 16 tests
    ("isinf", "IsInf", [(F, [4, 4])], "bool", [4, 4], {}, 21,
     want(compare=16), 16),  # 16 tests
    ("isinf_pos_only", "IsInf", [(F, [4, 4])], "bool", [4, 4], {"detect_negative": 0}, 21,
     want(compare=16), 16),  # still one test per element: 16
    # -- unary arithmetic -------------------------------------------------------------------
    *[(f"{op.lower()}", op, [(F, [2, 3, 5])], F, [2, 3, 5], {}, 21, want(arith=30), 30)  # 2·3·5 = 30 × 1
      for op in ("Abs", "Neg", "Floor", "Ceil", "Round", "Sign")],
    ("abs_int", "Abs", [(I32, [2, 3, 5])], I32, [2, 3, 5], {}, 21,
     want(int_ops=30), 0),  # 30 × 1 abs of int32
    ("neg_int", "Neg", [(I64, [9])], I64, [9], {}, 21,
     want(int_ops=9), 0),  # 9 × 1 neg of int64
    # -- unary transcendental: 3·7 = 21 outputs × 1 each ----------------------------------
    *[(f"{op.lower()}", op, [(F, [3, 7])], F, [3, 7], {}, 21, want(transcendental=21), 21)
      for op in ("Reciprocal", "Sqrt", "Exp", "Log", "Erf", "Sin", "Cos", "Tan", "Asin", "Acos",
                 "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh")],
    # -- n-ary ------------------------------------------------------------------------------
    ("sum3", "Sum", [(F, [2, 3]), (F, [3]), (F, [1])], F, [2, 3], {}, 21,
     want(arith=12), 12),  # 2·3 = 6 outputs × (3 − 1) adds = 12
    ("sum1", "Sum", [(F, [2, 3])], F, [2, 3], {}, 21,
     want(), 0),  # one input: a copy
    ("mean3", "Mean", [(F, [4]), (F, [4]), (F, [4])], F, [4], {}, 21,
     want(arith=12), 12),  # 4 outputs × (2 adds + 1 div) = 12
    ("mean2_bcast", "Mean", [(F, [2, 5]), (F, [5])], F, [2, 5], {}, 21,
     want(arith=20), 20),  # 2·5 = 10 outputs × (1 add + 1 div) = 20
    ("mean1", "Mean", [(F, [4])], F, [4], {}, 21,
     want(), 0),  # one input: a copy, no div
    ("max4", "Max", [(F, [2, 2])] * 4, F, [2, 2], {}, 21,
     want(compare=12), 12),  # 2·2 = 4 outputs × (4 − 1) compares = 12
    ("max_int", "Max", [(I32, [5]), (I32, [5])], I32, [5], {}, 21,
     want(int_ops=5), 0),  # 5 outputs × 1 compare of int32
    ("min2_outer", "Min", [(F, [3, 1]), (F, [1, 4])], F, [3, 4], {}, 21,
     want(compare=12), 12),  # 3·4 = 12 outputs × 1 compare
    ("min1", "Min", [(F, [3])], F, [3], {}, 21,
     want(), 0),  # one input: a copy
]  # fmt: skip


@pytest.mark.parametrize(
    "op, inputs, out_dtype, out_shape, attrs, opset, expected, flops",
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_counts(op, inputs, out_dtype, out_shape, attrs, opset, expected, flops):
    ins = [(f"in{i}", dt, shape) for i, (dt, shape) in enumerate(inputs)]
    rec = one_node(op, ins, [("y", out_dtype, out_shape)], opset=opset, **attrs)
    assert rec.status == "counted", rec.detail
    assert counts(rec) == expected
    assert rec.flops == flops


def test_default_bytes():
    # Add [2,3,4] + [4] float32: reads (24 + 4)·4 = 112 bytes, writes 24·4 = 96 bytes
    rec = one_node("Add", [("a", F, [2, 3, 4]), ("b", F, [4])], [("y", F, [2, 3, 4])])
    assert (rec.cost.read_bytes, rec.cost.write_bytes) == (112, 96)


@pytest.mark.parametrize(
    "op, inputs",
    [
        ("Add", [("a", F, ["batch", 3]), ("b", F, [3])]),
        ("Exp", [("x", F, ["batch", 16])]),
        ("Where", [("c", "bool", ["batch", 1]), ("a", I64, [3]), ("b", I64, [1])]),
        ("Max", [("a", F, ["batch", 2]), ("b", F, [2]), ("c", F, [1])]),
        ("And", [("a", "bool", ["batch"]), ("b", "bool", [1])]),
    ],
)
def test_symbolic_dim_is_shape_unknown(op, inputs):
    rec = one_node(op, inputs, [("y", "float32", None)])
    assert rec.status == "shape_unknown"
    assert "batch" in rec.missing


def test_single_input_copy_needs_no_shape():
    # Sum of one input is a copy: 0 whatever "n" is, so the node is counted, not unknown
    rec = one_node("Sum", [("a", F, ["n", 3])], [("y", F, None)])
    assert rec.status == "counted" and rec.flops == 0


def test_not_broadcastable_is_invalid():
    # [2,3] + [4]: 3 vs 4 do not broadcast, inference leaves the output unknown
    rec = one_node("Add", [("a", F, [2, 3]), ("b", F, [4])], [("y", F, None)])
    assert rec.status == "invalid"
    assert "do not broadcast" in rec.detail


def _view(ins, out, attrs=None):
    t = lambda n, s: TensorInfo(n, s, "float32", 32)  # noqa: E731
    return NodeView(
        "n0", "Add", "", 21, attrs or {},
        tuple(t(f"i{k}", s) for k, s in enumerate(ins)), (t("y", out),),
    )  # fmt: skip


def test_output_unknown_falls_back_to_input_broadcast():
    # output rank unknown, inputs [2,3,4] and [4] known: broadcast [2,3,4] = 24 elements
    assert output_elements(_view([(2, 3, 4), (4,)], None)) == 24
    # legacy (opset < 7) broadcast attribute: the output has input 0's shape, 5·6 = 30
    assert output_elements(_view([(5, 6), (6,)], None, {"broadcast": 1})) == 30


def test_output_and_inputs_unknown_name_every_symbol():
    with pytest.raises(ShapeUnknown) as e:
        output_elements(_view([("b", 4), ("s", 4)], ("b", 4)))
    assert set(e.value.missing) == {"b", "s"}


def test_fallback_checks_broadcast():
    with pytest.raises(RuleError):
        output_elements(_view([(2, 3), (4,)], None))


ELEMENTWISE_OPS = {
    "Add", "Sub", "Mul", "Div", "Pow", "Mod", "BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor",
    "BitwiseNot", "And", "Or", "Xor", "Not", "Equal", "Less", "Greater", "LessOrEqual",
    "GreaterOrEqual", "Where", "IsNaN", "IsInf", "Abs", "Neg", "Floor", "Ceil", "Round", "Sign",
    "Reciprocal", "Sqrt", "Exp", "Log", "Erf", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh",
    "Cosh", "Asinh", "Acosh", "Atanh", "Sum", "Mean", "Max", "Min",
}  # fmt: skip


def test_registry_family_and_docs():
    load_all()
    mine = {op for (dom, op), e in REGISTRY.items() if e.family == "elementwise"}
    assert mine == ELEMENTWISE_OPS
    for op in mine:
        entry = REGISTRY[("", op)]
        assert onnx.defs.has(op), op
        assert entry.doc.startswith("y = ") and "N" in entry.doc, op
