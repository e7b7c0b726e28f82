"""Matrix-product geometry shared by MatMul, Gemm and their quantized and contrib variants:
output shapes (symbolic dims allowed, for shape functions) and (M, K, N) sizes.
"""

from __future__ import annotations

from collections.abc import Sequence

from onnx_cost.rules.node import Dim, NodeView, RuleError, bcast_dims, numel


def matmul_out_dims(a: Sequence[Dim], b: Sequence[Dim]) -> tuple[Dim, ...]:
    """numpy.matmul output shape (1-D operands promoted, batch dims broadcast)."""
    if not a or not b:
        raise RuleError("matmul operands must have rank >= 1")
    a2 = (1, *a) if len(a) == 1 else tuple(a)
    b2 = (*b, 1) if len(b) == 1 else tuple(b)
    if type(a2[-1]) is int and type(b2[-2]) is int and a2[-1] != b2[-2]:
        raise RuleError(f"matmul inner dims differ: A {list(a)} and B {list(b)}")
    out = list(bcast_dims(a2[:-2], b2[:-2]))
    if len(a) > 1:
        out.append(a2[-2])
    if len(b) > 1:
        out.append(b2[-1])
    return tuple(out)


def matmul_size(a: Sequence[int], b: Sequence[int]) -> tuple[int, int]:
    """(output elements, K) of numpy.matmul on concrete shapes: MACs = outputs·K, dots = outputs."""
    out = matmul_out_dims(a, b)
    k = a[-1]
    return numel(out), k  # type: ignore[arg-type]  # concrete inputs give concrete dims


def gemm_dims(view: NodeView, a_index: int = 0, b_index: int = 1) -> tuple[int, int, int]:
    """(M, K, N) of a Gemm-style product op(A)·op(B) with transA/transB; RuleError when they do not fit."""
    a, b = view.in_shape(a_index), view.in_shape(b_index)
    if len(a) != 2 or len(b) != 2:
        raise RuleError(f"{view.op_type} needs 2-D A and B, got A {list(a)} and B {list(b)}")
    m, k = (a[1], a[0]) if view.attr("transA", 0) else a
    k2, n = (b[1], b[0]) if view.attr("transB", 0) else b
    if k != k2:
        raise RuleError(
            f"{view.op_type} inner dims differ: A' is {m}x{k}, B' is {k2}x{n} "
            f"(A {list(a)}, B {list(b)}, transA={view.attr('transA', 0)}, transB={view.attr('transB', 0)})"
        )
    return m, k, n
