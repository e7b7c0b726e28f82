"""Gemm, MatMul, Einsum: one-node cases with the counts worked out by hand.

flops = 2·macs − dots + bias_adds + arith (+ transcendental + compare).
"""

from __future__ import annotations

import time

import pytest

from onnx_cost.rules.cost import COUNT_FIELDS
from onnx_cost.rules.matmul import einsum_equation_error

from helpers import init, one_node

F = "float32"


def parts(rec, flops=None, **want):
    """Every count field of the record equals ``want`` (absent: 0); flops as given."""
    got = {f: getattr(rec.cost, f) for f in COUNT_FIELDS}
    assert rec.status == "counted", rec.detail
    assert got == {f: want.get(f, 0) for f in COUNT_FIELDS}
    if flops is not None:
        assert rec.cost.flops == flops


# -- Gemm ---------------------------------------------------------------------

# (A shape, B shape, C shape or None, attrs, expected parts, flops)
GEMM = [
    # M=4, K=8, N=16, no C: 4·16·8 = 512 MACs, 4·16 = 64 dots; seeds' (2I−1)·O per row: 15·16·4 = 960
    ((4, 8), (8, 16), None, {}, dict(macs=512, dots=64), 960),
    # C [16]: + 64 bias adds; seeds' 2I·O per row: 2·8·16·4 = 1024
    ((4, 8), (8, 16), (16,), {}, dict(macs=512, dots=64, bias_adds=64), 1024),
    # transA: A [8,4] read as 4×8: same 512 MACs, 64 dots
    ((8, 4), (8, 16), (16,), {"transA": 1}, dict(macs=512, dots=64, bias_adds=64), 1024),
    # transB: B [16,8] read as 8×16: same
    ((4, 8), (16, 8), (16,), {"transB": 1}, dict(macs=512, dots=64, bias_adds=64), 1024),
    # both transposed: A [8,4], B [16,8]
    ((8, 4), (16, 8), None, {"transA": 1, "transB": 1}, dict(macs=512, dots=64), 960),
    # alpha 0.5: + 4·16 = 64 multiplies; 960 + 64 = 1024
    ((4, 8), (8, 16), None, {"alpha": 0.5}, dict(macs=512, dots=64, arith=64), 1024),
    # beta 2 with C [16]: C scaled once, 16 multiplies; 1024 + 16 = 1040
    ((4, 8), (8, 16), (16,), {"beta": 2.0}, dict(macs=512, dots=64, bias_adds=64, arith=16), 1040),
    # beta 2 with C [4,16]: 64 multiplies
    ((4, 8), (8, 16), (4, 16), {"beta": 2.0}, dict(macs=512, dots=64, bias_adds=64, arith=64), 1088),
    # beta 2 with scalar C: 1 multiply, still 64 bias adds
    ((4, 8), (8, 16), (), {"beta": 2.0}, dict(macs=512, dots=64, bias_adds=64, arith=1), 1025),
    # C [4,1] broadcasts along N: 64 bias adds, beta 1: no multiply
    ((4, 8), (8, 16), (4, 1), {}, dict(macs=512, dots=64, bias_adds=64), 1024),
    # alpha 3 and beta 0.5 with C [1,16]: 64 + 16 = 80 multiplies; 1024 + 80 = 1104
    ((4, 8), (8, 16), (1, 16), {"alpha": 3.0, "beta": 0.5}, dict(macs=512, dots=64, bias_adds=64, arith=80), 1104),
    # beta 0: C ignored, no bias adds, no multiply
    ((4, 8), (8, 16), (16,), {"beta": 0.0}, dict(macs=512, dots=64), 960),
    # beta 2 without C: nothing to scale
    ((4, 8), (8, 16), None, {"beta": 2.0}, dict(macs=512, dots=64), 960),
    # a 1×1×1 product: 1 MAC, 1 dot, 1 bias add: 2·1 − 1 + 1 = 2 FLOPs
    ((1, 1), (1, 1), (1,), {}, dict(macs=1, dots=1, bias_adds=1), 2),
]


@pytest.mark.parametrize("a,b,c,attrs,want,flops", GEMM)
def test_gemm(a, b, c, attrs, want, flops):
    ins = [("A", F, a), ("B", F, b)] + ([("C", F, c)] if c is not None else [])
    rec = one_node("Gemm", ins, [("Y", F, None)], **attrs)
    parts(rec, flops, **want)


def test_gemm_integer_goes_to_int_parts():
    # int32 A [4,8], B [8,16], C [16]: int_macs 512; int_ops = 2·512 − 64 + 64 = 1024; no float FLOPs
    rec = one_node("Gemm", [("A", "int32", (4, 8)), ("B", "int32", (8, 16)), ("C", "int32", (16,))], [("Y", "int32", None)])
    parts(rec, 0, macs=512, int_macs=512, int_ops=1024)


def test_gemm_weights_as_initializers():
    # B [8,16] and C [16] from initializers: the same 512 MACs, 64 dots, 64 bias adds; params 8·16 + 16 = 144
    rec = one_node(
        "Gemm", [("A", F, (4, 8)), ("B", F, (8, 16)), ("C", F, (16,))], [("Y", F, (4, 16))],
        initializers=[init("B", F, (8, 16)), init("C", F, (16,))],
    )
    parts(rec, 1024, macs=512, dots=64, bias_adds=64)
    assert rec.params == 144


@pytest.mark.parametrize(
    "a,b,c,attrs",
    [
        ((4, 8), (7, 16), None, {}),  # K 8 vs 7
        ((4, 8), (8, 16), None, {"transB": 1}),  # B' is 16×8: K 8 vs 16
        ((4, 8, 2), (8, 16), None, {}),  # A is 3-D
        ((4, 8), (8, 16), (3,), {}),  # C [3] does not broadcast to [4,16]
        ((4, 8), (8, 16), (2, 4, 16), {}),  # C of rank 3
    ],
)
def test_gemm_invalid(a, b, c, attrs):
    # Our rule raises on these from the input shapes alone, so the status is "invalid"
    # whether or not onnx's inference also rejected the node.
    ins = [("A", F, a), ("B", F, b)] + ([("C", F, c)] if c is not None else [])
    rec = one_node("Gemm", ins, [("Y", F, None)], **attrs)
    assert rec.status == "invalid", rec.detail
    assert "Gemm" in rec.detail


def test_gemm_shape_unknown():
    rec = one_node("Gemm", [("A", F, ("batch", 8)), ("B", F, (8, 16))], [("Y", F, None)])
    assert rec.status == "shape_unknown"
    assert rec.missing == ("batch",)


# -- MatMul -------------------------------------------------------------------

MATMUL = [
    # 2-D: M=4, K=8, N=16: 512 MACs, 64 dots, 2·512 − 64 = 960
    ((4, 8), (8, 16), dict(macs=512, dots=64), 960),
    # 1-D × 2-D: A [8] is 1×8: 1·16·8 = 128 MACs, 16 dots
    ((8,), (8, 16), dict(macs=128, dots=16), 240),
    # 2-D × 1-D: B [8] is 8×1: 4·1·8 = 32 MACs, 4 dots
    ((4, 8), (8,), dict(macs=32, dots=4), 60),
    # 1-D × 1-D: a dot product of 8 terms: 8 MACs, 1 dot, 8 mul + 7 add = 15
    ((8,), (8,), dict(macs=8, dots=1), 15),
    # batched with broadcast: batch [2,1] with [3] -> [2,3] = 6; 6·4·5·8 = 960 MACs, 6·4·5 = 120 dots
    ((2, 1, 4, 8), (3, 8, 5), dict(macs=960, dots=120), 1800),
    # batched A, 2-D B: batch 3: 3·4·5·8 = 480 MACs, 60 dots
    ((3, 4, 8), (8, 5), dict(macs=480, dots=60), 900),
    # 1-D A with batched B [2,8,5]: batch 2, M=1: 2·1·5·8 = 80 MACs, 10 dots
    ((8,), (2, 8, 5), dict(macs=80, dots=10), 150),
    # batched A [2,3,4,8] × 1-D B [8]: batch 6, N=1: 6·4·8 = 192 MACs, 24 dots
    ((2, 3, 4, 8), (8,), dict(macs=192, dots=24), 360),
    # K = 0: every output is an empty sum: nothing computed
    ((4, 0), (0, 5), dict(), 0),
]


@pytest.mark.parametrize("a,b,want,flops", MATMUL)
def test_matmul(a, b, want, flops):
    rec = one_node("MatMul", [("A", F, a), ("B", F, b)], [("Y", F, None)])
    parts(rec, flops, **want)


def test_matmul_integer_goes_to_int_parts():
    # int64 [4,8] × [8,16]: int_macs 512, int_ops 2·512 − 64 = 960
    rec = one_node("MatMul", [("A", "int64", (4, 8)), ("B", "int64", (8, 16))], [("Y", "int64", None)])
    parts(rec, 0, macs=512, int_macs=512, int_ops=960)


@pytest.mark.parametrize(
    "a,b",
    [
        ((4, 8), (7, 16)),  # inner dims 8 vs 7
        ((8,), (7,)),  # 1-D dot of different lengths
        ((2, 4, 8), (3, 8, 5)),  # batch 2 vs 3
        ((), (8, 5)),  # a scalar operand
    ],
)
def test_matmul_invalid(a, b):
    # Onnx's inference may also reject the node; our rule raises from the input shapes, so
    # the status is "invalid" either way.
    rec = one_node("MatMul", [("A", F, a), ("B", F, b)], [("Y", F, None)])
    assert rec.status == "invalid", rec.detail
    assert "MatMul" in rec.detail


def test_matmul_shape_unknown():
    rec = one_node("MatMul", [("A", F, ("n", 4, 8)), ("B", F, (8, 5))], [("Y", F, None)])
    assert rec.status == "shape_unknown"
    assert rec.missing == ("n",)


# -- Einsum -------------------------------------------------------------------

EINSUM = [
    # matmul: i=2, j=3, k=4: 2·3·4 = 24 MACs, 2·4 = 8 dots
    ("ij,jk->ik", [(2, 3), (3, 4)], dict(macs=24, dots=8), 40),
    # implicit output: "ik" (letters seen once, sorted)
    ("ij,jk", [(2, 3), (3, 4)], dict(macs=24, dots=8), 40),
    # spaces are allowed
    ("ij , jk -> ik", [(2, 3), (3, 4)], dict(macs=24, dots=8), 40),
    # upper and lower case are distinct letters: A=2, b=3, C=4
    ("Ab,bC->AC", [(2, 3), (3, 4)], dict(macs=24, dots=8), 40),
    # batch dim b=5: 5·2·3·4 = 120 MACs, 5·2·4 = 40 dots
    ("bij,bjk->bik", [(5, 2, 3), (5, 3, 4)], dict(macs=120, dots=40), 200),
    # ellipsis as the batch: same
    ("...ij,...jk->...ik", [(5, 2, 3), (5, 3, 4)], dict(macs=120, dots=40), 200),
    # implicit output with ellipsis: "...ik"
    ("...ij,...jk", [(5, 2, 3), (5, 3, 4)], dict(macs=120, dots=40), 200),
    # ellipsis dim broadcast 5 with 1: the batch is 5: 120 MACs, 40 dots
    ("...ij,...jk->...ik", [(5, 2, 3), (1, 3, 4)], dict(macs=120, dots=40), 200),
    # a letter broadcast 1 with 3 (numpy semantics): j=3: 2·3·4 = 24 MACs, 8 dots
    ("ij,jk->ik", [(2, 1), (3, 4)], dict(macs=24, dots=8), 40),
    # attention scores b=2, h=4, q=8, k=8, d=16: 2·4·8·8·16 = 8192 MACs, 2·4·8·8 = 512 dots
    ("bhqd,bhkd->bhqk", [(2, 4, 8, 16), (2, 4, 8, 16)], dict(macs=8192, dots=512), 15872),
    # dot product of 7: 7 MACs, 1 dot (7 mul + 6 add = 13)
    ("i,i->", [(7,), (7,)], dict(macs=7, dots=1), 13),
    # implicit: i appears twice, so the output is a scalar
    ("i,i", [(7,), (7,)], dict(macs=7, dots=1), 13),
    # outer product 3×4: nothing summed: 12 multiplies
    ("i,j->ij", [(3,), (4,)], dict(arith=12), 12),
    ("i,j", [(3,), (4,)], dict(arith=12), 12),
    # Hadamard product 3×4: 12 multiplies
    ("ij,ij->ij", [(3, 4), (3, 4)], dict(arith=12), 12),
    # a diagonal in a two-operand equation: A [3,3,4] has labels i=3, j=4: 3·4·5 = 60 MACs, 3·5 = 15 dots
    ("iij,jk->ik", [(3, 3, 4), (4, 5)], dict(macs=60, dots=15), 105),
    # labels i, j only in A are summed in the pair: i·j·k = 3·4·5 = 60 MACs, k = 5 dots
    ("ij,k->k", [(3, 4), (5,)], dict(macs=60, dots=5), 115),
    # three operands, left to right: (ij,jk)->ik: 2·3·4 = 24 MACs, 2·4 = 8 dots;
    # (ik,kl)->il: 2·4·5 = 40 MACs, 2·5 = 10 dots; 64 MACs, 18 dots
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)], dict(macs=64, dots=18), 110),
    ("ij,jk,kl", [(2, 3), (3, 4), (4, 5)], dict(macs=64, dots=18), 110),
    # three vectors' outer product: 2·3 = 6, then 6·4 = 24 multiplies: 30
    ("i,j,k->ijk", [(2,), (3,), (4,)], dict(arith=30), 30),
    # three operands, j kept by the first pair because the third operand uses it:
    # (ij,jk) keeps i (output) and j (third operand), sums k: 2·3·4 = 24 MACs, 2·3 = 6 dots;
    # (ij,j)->i sums j: 2·3 = 6 MACs, 2 dots; 30 MACs, 8 dots, 2·30 − 8 = 52
    ("ij,jk,j->i", [(2, 3), (3, 4), (3,)], dict(macs=30, dots=8), 52),
    # one operand: sum of all 3·4 = 12 elements: 11 adds
    ("ij->", [(3, 4)], dict(arith=11), 11),
    # row sums: 3 rows of 4: 3·(4 − 1) = 9 adds
    ("ij->i", [(3, 4)], dict(arith=9), 9),
    # trace of 4×4: the diagonal's 4 elements: 3 adds
    ("ii->", [(4, 4)], dict(arith=3), 3),
    ("ii", [(4, 4)], dict(arith=3), 3),
    # the output drops the ellipsis: its dim (2) is summed: 3·(2 − 1) = 3 adds
    ("...i->i", [(2, 3)], dict(arith=3), 3),
    # zero-size K: nothing computed
    ("ij,jk->ik", [(2, 0), (0, 4)], dict(), 0),
]


@pytest.mark.parametrize("eq,shapes,want,flops", EINSUM)
def test_einsum(eq, shapes, want, flops):
    ins = [(f"x{i}", F, s) for i, s in enumerate(shapes)]
    rec = one_node("Einsum", ins, [("y", F, None)], equation=eq)
    parts(rec, flops, **want)


@pytest.mark.parametrize(
    "eq,shapes",
    [
        ("ii->i", [(4, 4)]),  # diagonal
        ("ij->ji", [(3, 4)]),  # transpose
        ("ba", [(3, 4)]),  # implicit output "ab": a transpose
        ("...ij->...ji", [(2, 3, 4)]),  # batched transpose
    ],
)
def test_einsum_free(eq, shapes):
    # a transpose or a diagonal moves data only: counted, with no operations
    rec = one_node("Einsum", [(f"x{i}", F, s) for i, s in enumerate(shapes)], [("y", F, None)], equation=eq)
    parts(rec, 0)


def test_einsum_integer_goes_to_int_parts():
    # int32 "ij,jk": 24 int MACs; int_ops 2·24 − 8 = 40
    rec = one_node("Einsum", [("a", "int32", (2, 3)), ("b", "int32", (3, 4))], [("y", "int32", None)], equation="ij,jk")
    parts(rec, 0, macs=24, int_macs=24, int_ops=40)


def test_einsum_fifty_letters_is_quick():
    # 50 distinct letters, each of size 2: A holds letters 0-29, B letters 20-49 (30 dims each,
    # 2^30 elements; the analyzer treats a tensor past 2^48 elements as unknown). Implicit
    # output: the 40 letters seen once; the 10 shared ones are summed.
    # MACs = product of all 50 sizes = 2^50; dots = output elements = 2^40;
    # flops = 2·2^50 − 2^40. Only products of ints: no blow-up in time.
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWX"
    assert len(letters) == 50
    t0 = time.perf_counter()
    rec = one_node(
        "Einsum", [("a", F, (2,) * 30), ("b", F, (2,) * 30)], [("y", F, None)],
        equation=f"{letters[:30]},{letters[20:]}",
    )
    assert time.perf_counter() - t0 < 5
    parts(rec, 2 * 2**50 - 2**40, macs=2**50, dots=2**40)


@pytest.mark.parametrize(
    "eq,shapes",
    [
        ("ij,jk->ik", [(2, 3)]),  # two terms, one input
        ("ij,jk->ik", [(2, 3), (4, 5)]),  # j is 3 and 4
        ("ij->ik", [(2, 3)]),  # output letter k absent from the inputs
        ("ij,jk->ii", [(2, 3), (3, 4)]),  # output repeats i
        ("ij,j1->i", [(2, 3), (3, 4)]),  # '1' is not a letter
        ("ijk,jk->i", [(2, 3), (3, 4)]),  # term of rank 3 for a 2-D input
        ("ii->i", [(2, 3)]),  # diagonal over dims of sizes 2 and 3
        ("...i,...i->...i", [(2, 1, 3), (5, 3)]),  # ellipsis of 2 dims and of 1 dim
        ("i->i->i", [(2,)]),  # two arrows
    ],
)
def test_einsum_invalid(eq, shapes):
    rec = one_node("Einsum", [(f"x{i}", F, s) for i, s in enumerate(shapes)], [("y", F, None)], equation=eq)
    assert rec.status == "invalid", rec.detail
    assert "Einsum" in rec.detail


@pytest.mark.parametrize(
    "eq,ranks",
    [
        ("ij,j.k->i", [2, 2]),  # a lone '.' before a letter
        ("i.j->i", [2]),
        ("i.->i", [1]),  # a lone '.' at the end
        ("......i->i", [3]),  # two ellipses in a term
        ("....i->i", [2]),  # an ellipsis and a stray '.'
    ],
)
def test_einsum_equation_error(eq, ranks):
    # onnx 1.23's Einsum shape inference never returns on these equations, so they cannot go
    # through one_node; the rule's own check (offered to the shape engine) rejects them.
    assert einsum_equation_error(eq, ranks) is not None
    assert einsum_equation_error(eq) is not None  # the syntax alone is wrong


def test_einsum_equation_ok():
    assert einsum_equation_error("...ij,...jk->...ik", [3, 3]) is None
    assert einsum_equation_error("...ij,...jk->...ik") is None
    assert einsum_equation_error("ij,jk", [2, 2]) is None
    assert einsum_equation_error("ij,jk", [2, 3]) is not None  # rank 3 for "jk"


def test_einsum_shape_unknown():
    rec = one_node(
        "Einsum", [("a", F, ("B", 2, 3)), ("b", F, ("B", 3, 4))], [("y", F, None)], equation="bij,bjk->bik"
    )
    assert rec.status == "shape_unknown"
    assert rec.missing == ("B",)
