"""Default-domain compute ops that belong to no larger family: Multinomial.

(Det is counted in reduce.py, Col2Im and TfIdfVectorizer in movement.py.)
"""

from __future__ import annotations

from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import NodeView, RuleError
from onnx_cost.rules.registry import rule


@rule("Multinomial")
def multinomial(view: NodeView) -> Cost:
    """Per batch row of K classes: K exps (the inputs are log-probabilities), K − 1 adds (cumulative sum); per sample (s
    = sample_size): 1 mul (uniform draw × total) and ceil(log2 K) compares (binary search of the cumulative sum):
    transcendental = B·K, arith = B·(K − 1 + s), compare = B·s·ceil(log2 K).

    A bounded estimate of one common implementation; the random number generation itself is
    not counted.
    """
    x = view.in_shape(0)
    if len(x) != 2:
        raise RuleError(f"Multinomial input must be [batch_size, class_size], got shape {list(x)}")
    b, k = x
    s = int(view.attr("sample_size"))
    if k == 0:
        return Cost()
    search = (k - 1).bit_length()
    return Cost(transcendental=b * k, arith=b * (k - 1 + s), compare=b * s * search)
