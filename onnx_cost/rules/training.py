"""Optimizers of ai.onnx.preview.training (Adagrad, Adam, Momentum), counted per parameter
element from the equations of the ONNX spec, as written (terms whose coefficient is 0 are
still counted: a runtime may skip them). Gradient is uncountable statically.

Inputs: R (learning rate) and T (update count), then n tensors X, n gradients G and the
optimizer's n (Adagrad, Momentum) or 2·n (Adam) state tensors; E = Σ numel(X_i).
"""

from __future__ import annotations

from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import NodeView, RuleError
from onnx_cost.rules.registry import rule, uncountable

TRAINING = "ai.onnx.preview.training"


def _elements(view: NodeView, groups: int) -> int:
    """E = Σ numel(X_i) over the n optimized tensors (inputs: R, T, then ``groups`` lists of n)."""
    k = len(view.inputs) - 2
    if k <= 0 or k % groups:
        raise RuleError(f"{view.op_type} '{view.name}': {len(view.inputs)} inputs do not split into R, T and "
                        f"{groups} lists of tensors")
    n = k // groups
    return sum(view.in_numel(2 + i) for i in range(n))


@rule("Adagrad", domain=TRAINING)
def adagrad(view: NodeView) -> Cost:
    """r = R/(1 + T·decay_factor): 3 arith once; per element: G' = norm_coefficient·X + G (2 arith),
    H' = H + G'·G' (2), √H' + epsilon (1 transcendental, 1 arith), X' = X − r·G'/(√H' + ε) (3):
    8·E arith + E transcendental + 3.
    """
    e = _elements(view, 3)
    return Cost(arith=8 * e + 3, transcendental=e)


@rule("Momentum", domain=TRAINING)
def momentum(view: NodeView) -> Cost:
    """beta' = T > 0 ? beta : 1: 1 compare once; per element: G' = norm_coefficient·X + G (2
    arith), V' = alpha·V + beta'·G' (3), standard X' = X − R·V' (2): 7·E arith; nesterov X' = X −
    R·(G' + alpha·V') (4): 9·E arith.
    """
    e = _elements(view, 3)
    per = 9 if view.attr("mode") == "nesterov" else 7
    return Cost(arith=per * e, compare=1)


@rule("Adam", domain=TRAINING)
def adam(view: NodeView) -> Cost:
    """Once: 1 − alpha, 1 − beta, 1 − norm_coefficient_post (3 arith); R' = T > 0 ? R·√(1 − beta^T)
    /(1 − alpha^T) : R (1 compare, 2 pow + 1 sqrt transcendental, 2 sub + 1 mul + 1 div arith).
    Per element: G' = norm_coefficient·X + G (2 arith), V' = alpha·V + (1 − alpha)·G' (3), H' =
    beta·H + (1 − beta)·G'·G' (4), √H' + epsilon (1 transcendental + 1 arith), X' = X − R'·V'/(√H'
    + ε) (3), (1 − norm_coefficient_post)·X' (1): 14·E arith + E transcendental, + 7 arith,
    3 transcendental, 1 compare.
    """
    e = _elements(view, 4)
    return Cost(arith=14 * e + 7, transcendental=e + 3, compare=1)


uncountable(
    "Gradient",
    domain=TRAINING,
    reason="the gradient graph is built by the training runtime from the forward graph (autodiff); "
    "its cost is not in the model file",
)
