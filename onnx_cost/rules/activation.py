"""Activations of the default domain: the operations of the spec's formula, per output element.

Same convention as ``elementwise.py`` (N = output elements, integer inputs go
to ``int_ops``, constants not specialised), plus two rules for formulas:
- the spec's formula is counted as written: x³ is two multiplies, a sigmoid
  inside a formula is its 4 operations (neg, exp, add, div, the seeds' count);
- a piecewise formula counts every branch for every element plus one compare
  (a compare-select) per decision, as a vectorized kernel computes it: which
  branch an element takes is not known statically.

Peers: the seeds count ReLU/PReLU/ELU as 1 FLOP per element and Sigmoid as 4;
ptflops counts 1 per element for ReLU, PReLU, ELU, LeakyReLU; thop counts ReLU
as 0 and LeakyReLU/PReLU as 1 per element. fvcore counts no activation. We
count the multiply of LeakyReLU/PReLU and the exp of ELU as well.
"""

from __future__ import annotations

from functools import partial

from onnx_cost.rules._activation import GELU_ERF, GELU_TANH, OPS
from onnx_cost.rules._elementwise import N_UNARY, elementwise, per_element, row
from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import NodeView, RuleError
from onnx_cost.rules.registry import rule

act = partial(elementwise, n_is=N_UNARY, module=__name__)

act("Relu", "max(0, x)", **OPS["Relu"], ints=True)
act("LeakyRelu", "x < 0 ? alpha·x : x", **OPS["LeakyRelu"])
act(
    "PRelu",
    "x < 0 ? slope·x : x, slope broadcast onto X",
    arith="mul",
    compare="select",
    ints=True,
    n_is="N = elements of X (= of the output; slope broadcasts onto X, unidirectionally)",
)
act("ThresholdedRelu", "x > alpha ? x : 0", **OPS["ThresholdedRelu"])
act("Sigmoid", "1 / (1 + exp(−x))", **OPS["Sigmoid"])
act("Tanh", "tanh(x)", **OPS["Tanh"])
act("HardSigmoid", "max(0, min(1, alpha·x + beta))", **OPS["HardSigmoid"])
act(
    "HardSwish",
    "x · max(0, min(1, alpha·x + beta)), alpha = 1/6, beta = 0.5",
    arith=("mul", "add", "mul"),
    compare=("min", "max"),
)
act("Elu", "x < 0 ? alpha·(exp(x) − 1) : x", **OPS["Elu"])
act(
    "Selu",
    "gamma·(x ≤ 0 ? alpha·exp(x) − alpha : x)",
    arith=("mul alpha", "sub", "mul gamma"),
    transcendental="exp",
    compare="select",
)
act(
    "Celu",
    "max(0, x) + min(0, alpha·(exp(x/alpha) − 1))",
    arith=("div", "sub", "mul", "add"),
    transcendental="exp",
    compare=("max", "min"),
)
act("Softplus", "log(1 + exp(x))", **OPS["Softplus"])
act("Softsign", "x / (1 + |x|)", **OPS["Softsign"])
act("Mish", "x · tanh(log(1 + exp(x)))", arith=("add", "mul"), transcendental=("exp", "log", "tanh"))
act(
    "Shrink",
    "x < −lambd ? x + bias : (x > lambd ? x − bias : 0)",
    arith=("add", "sub"),
    compare=("select <", "select >"),
    ints=True,
)
act(
    "Swish",
    "x · sigmoid(alpha·x), sigmoid(z) = 1 / (1 + exp(−z))",
    arith=("mul alpha", "neg", "add", "div", "mul x"),
    transcendental="exp",
)

_FLT_MAX = 3.4028234663852886e38  # Clip-6's default bounds are ±FLT_MAX: they clip nothing


@rule("Clip")
def count_clip(view: NodeView) -> Cost:
    """y = min(max(x, min), max): per output element 1 compare per bound given (inputs min
    and max; before opset 11 the attributes min and max, counted when not ±FLT_MAX, their
    defaults); 2·N, N or 0 FLOPs, N = elements of X (= of the output); no bound: a copy (0).
    Integer inputs: the same counts in int_ops, 0 FLOPs.
    """
    if view.opset < 11:
        bounds = sum(abs(float(view.attr(k, _FLT_MAX))) < _FLT_MAX for k in ("min", "max"))
    else:
        bounds = sum(view.has_input(i) for i in (1, 2))
    return per_element(view, Cost(compare=bounds))


_GELU = {"none": GELU_ERF, "tanh": GELU_TANH}
_GELU_DOC = (
    row(
        '0.5·x·(1 + erf(x/√2)) (approximate="none")',
        {"arith": ("div", "add", "mul x", "mul 0.5"), "transcendental": ("erf",)},
        N_UNARY,
    )
    + ' With approximate="tanh", y = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))): per output element'
    " 8 arith (x·x, ·x, mul 0.044715, add x, mul √(2/π), add 1, mul x, mul 0.5) + 1 transcendental"
    " (tanh) = 9 FLOPs; 9·N FLOPs. Any other approximate value is invalid."
)


@rule("Gelu", doc=_GELU_DOC)
def count_gelu(view: NodeView) -> Cost:
    """Gelu: 5 FLOPs per output element exact (erf), 9 with approximate="tanh" (x³ as two multiplies)."""
    approx = view.attr("approximate")
    if approx not in _GELU:
        raise RuleError(f"Gelu approximate={approx!r}: expected 'none' or 'tanh'")
    return per_element(view, _GELU[approx])
