"""Shared maths of the ai.onnx.ml families (``ml`` and ``ml_trees``): batch geometry, the
score post-transforms, label selection and the output shapes of classifiers.

Not a rule module (the leading underscore keeps ``load_all`` from importing it as one).
"""

from __future__ import annotations

from typing import Any

from onnx_cost.rules._activation import SIGMOID
from onnx_cost.rules._dims import text
from onnx_cost.rules._softmax import softmax_rows
from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import Dim, NodeView, RuleError

ML = "ai.onnx.ml"
POST_TRANSFORMS = {"0": "NONE", "1": "SOFTMAX", "2": "LOGISTIC", "3": "SOFTMAX_ZERO", "4": "PROBIT"}


def seq(v: Any) -> list[Any]:
    """A list attribute (or an attribute tensor's values) as a list; [] when absent."""
    if v is None:
        return []
    if hasattr(v, "reshape"):  # a numpy array (a *_as_tensor attribute)
        return list(v.reshape(-1))
    return list(v)


def rows_features(view: NodeView) -> tuple[int, int]:
    """(N, C) of input X: [N, C], or [C] as one row."""
    x = view.in_shape(0)
    if len(x) == 1:
        return 1, x[0]
    if len(x) != 2:
        raise RuleError(f"{view.op_type} '{view.name}': X must be [N, C] or [C], got {list(x)}")
    return x[0], x[1]


def batch_dim(view: NodeView) -> Dim:
    """N of input X (symbolic kept), 1 for a 1-D X, None when unknown."""
    t = view.inputs[0] if view.inputs else None
    if t is None or t.shape is None:
        return None
    return 1 if len(t.shape) == 1 else t.shape[0]


def post_transform(view: NodeView, rows: int, scores: int) -> Cost:
    """The score transform of ``rows`` rows of ``scores`` each, by post_transform:
    NONE 0; LOGISTIC 1/(1 + exp(−s)) 3 arith + 1 transcendental per score; SOFTMAX per row
    scores − 1 compare (max), 3·scores − 1 arith (sub, add, div), scores transcendental (exp);
    SOFTMAX_ZERO as SOFTMAX + 1 compare per score (the zero test); PROBIT √2·erfinv(2s − 1)
    2 arith + 1 transcendental per score."""
    kind = text(view.attr("post_transform"))
    kind = POST_TRANSFORMS.get(kind, kind)  # TreeEnsemble (opset 5) stores the enumeration's number
    n = rows * scores
    if kind == "NONE":
        return Cost()
    if kind == "LOGISTIC":
        return SIGMOID.scaled(n)
    if kind in ("SOFTMAX", "SOFTMAX_ZERO"):
        zero = n if kind == "SOFTMAX_ZERO" else 0
        return softmax_rows(rows, scores) + Cost(compare=zero)
    if kind == "PROBIT":
        return Cost(arith=2 * n, transcendental=n)
    raise RuleError(f"{view.op_type} '{view.name}': unknown post_transform '{kind}'")


def labels(view: NodeView) -> list[Any]:
    """The class labels (int64 or string) of a classifier."""
    for name in ("classlabels_ints", "classlabels_int64s", "classlabels_strings"):
        v = seq(view.attr(name))
        if v:
            return v
    return []


def label_dtype(view: NodeView) -> str:
    return "string" if seq(view.attr("classlabels_strings")) else "int64"


def argmax(rows: int, scores: int) -> Cost:
    """Picking the label: scores − 1 compares per row (1 for a single score's threshold)."""
    return Cost(compare=rows * max(scores - 1, 1))


def classifier_shapes(view: NodeView, scores: Dim) -> list[tuple[tuple[Dim, ...] | None, str] | None]:
    """Y [N] (the labels) and Z [N, scores] (float32)."""
    n = batch_dim(view)
    return [((n,), label_dtype(view)), ((n, scores), "float32")]
