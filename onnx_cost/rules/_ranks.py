"""The least rank some ops' inputs must have: the rules and shape functions of these ops
index into those dims (X's N of an ML model, a MatMul's last two), so a node whose input
has fewer is invalid, judged once before any of them runs (analyzer/signature.py).

Pure data. Source: the ops' schemas: onnx's ai.onnx.ml operators (X is [N, C] or [C]);
onnxruntime's docs/ContribOperators.md for the com.microsoft ops (MatMul semantics for
FusedMatMul and TransposeMatMul; query (B, S, D) or packed; input (token_count, hidden);
RotaryEmbedding's input (B, S, hidden) or (B, N, S, H) and cos_cache (max_pos, rot / 2)).
"""

from __future__ import annotations

from collections.abc import Mapping

ML = "ai.onnx.ml"
MS = "com.microsoft"
EVERY = -1  # the index that means every input (a variadic op)

_X = ((0, 1),)  # input X: [N, C] or [C]

# (domain, op_type) -> ((input index or EVERY, least rank), ...)
MIN_RANKS: Mapping[tuple[str, str], tuple[tuple[int, int], ...]] = {
    (ML, "LinearClassifier"): _X,
    (ML, "LinearRegressor"): _X,
    (ML, "SVMClassifier"): _X,
    (ML, "SVMRegressor"): _X,
    (ML, "Normalizer"): _X,
    (ML, "TreeEnsembleClassifier"): _X,
    (ML, "TreeEnsembleRegressor"): _X,
    (ML, "TreeEnsemble"): _X,
    (ML, "FeatureVectorizer"): ((EVERY, 1),),
    (MS, "FusedMatMul"): ((0, 1), (1, 1)),
    (MS, "TransposeMatMul"): ((0, 1), (1, 1)),
    (MS, "MultiHeadAttention"): ((0, 3),),
    (MS, "PackedAttention"): ((0, 2),),
    (MS, "PackedMultiHeadAttention"): ((0, 2),),
    (MS, "BiasSplitGelu"): ((0, 3), (1, 1)),
    (MS, "RotaryEmbedding"): ((0, 3), (2, 2)),
}
