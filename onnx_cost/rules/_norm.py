"""The normalizations' shared steps: the one owner of these counts.

*standardize* a group of D elements to zero mean and unit variance, the way the function bodies
of LayerNormalization, GroupNormalization and MeanVarianceNormalization write it (variance as
E[x²] − E[x]²): mean D (D−1 adds, 1 div), squares D, mean of squares D, square of the mean 1,
variance sub 1, add epsilon 1, deviation x − mean D, divide by the std D: arith 5D + 3 and 1 sqrt
per group. LayerNorm adds the scale (and bias) per element; the RMS norm squares, averages,
adds epsilon, takes the sqrt and divides: 4D + 1 arith and 1 sqrt per row. Nothing to normalize
(no group, or empty groups) costs nothing.
"""

from __future__ import annotations

from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import NodeView, RuleError


def standardize(groups: int, d: int) -> Cost:
    """Zero mean, unit variance over ``groups`` groups of ``d``: 5·d + 3 arith + 1 sqrt each."""
    if groups == 0 or d == 0:
        return Cost()
    return Cost(arith=groups * (5 * d + 3), transcendental=groups)


def layernorm(rows: int, d: int, bias: bool = True, inv_std: bool = False) -> Cost:
    """Standardize ``rows`` rows of ``d``, scale (and add the bias) per element; 1 reciprocal per
    row when the inverse standard deviation is an output."""
    affine = Cost(arith=rows * d * (2 if bias else 1), transcendental=rows * int(inv_std))
    return standardize(rows, d) + affine


def rmsnorm(rows: int, d: int, inv_std: bool = False) -> Cost:
    """RMS-normalize ``rows`` rows of ``d`` and scale: 4·d + 1 arith + 1 sqrt per row (+ 1
    reciprocal per row when the inverse RMS is an output)."""
    if rows == 0 or d == 0:
        return Cost()
    return Cost(arith=rows * (4 * d + 1), transcendental=rows * (1 + int(inv_std)))


def embed_tokens(view: NodeView) -> tuple[int, int, int]:
    """(B, S, H) of an EmbedLayerNormalization-like node: input_ids [B, S], word table [V, H]."""
    ids = view.in_shape(0)
    if len(ids) != 2:
        raise RuleError(f"input_ids must be 2-D (batch, sequence), got {list(ids)}")
    return ids[0], ids[1], view.in_shape(2)[-1]


def embed_layernorm(b: int, s: int, h: int, segments: bool, mask: bool) -> Cost:
    """Sum the gathered rows (B·S·H adds, 2·B·S·H with segment rows), LayerNorm per token,
    and with a mask the mask index (ones per sequence): B·(S − 1) int_ops."""
    tokens = b * s
    cost = Cost(arith=tokens * h * (1 + int(segments))) + layernorm(tokens, h, True)
    return cost + Cost(int_ops=b * (s - 1)) if mask else cost
