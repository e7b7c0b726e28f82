"""Per-element costs of activation functions: the one owner of these counts.

The default-domain activations (activation.py) list the operations of each formula by name (their
docs/counting.md rows say them); the same names give the per-element cost wherever the function
appears inside another op: the recurrent layers' gate activations, the fused activation of
FusedConv/FusedGemm, the SiLU of GroupNorm and CausalConvWithState, QuickGelu's sigmoid. A
sigmoid inside a formula is its 4 operations (neg, exp, add, div), the seeds' count.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypedDict

from onnx_cost.rules.cost import Cost


class Parts(TypedDict, total=False):
    """The named operations of one element, by cost part (the keywords of the elementwise factory)."""

    arith: tuple[str, ...]
    transcendental: tuple[str, ...]
    compare: tuple[str, ...]

# The operations of each activation's formula, per element, by cost part.
OPS: Mapping[str, Parts] = {
    "Relu": {"compare": ("max",)},
    "LeakyRelu": {"arith": ("mul",), "compare": ("select",)},
    "ThresholdedRelu": {"compare": ("select",)},
    "Sigmoid": {"arith": ("neg", "add", "div"), "transcendental": ("exp",)},
    "Tanh": {"transcendental": ("tanh",)},
    "HardSigmoid": {"arith": ("mul", "add"), "compare": ("min", "max")},
    "Elu": {"arith": ("sub", "mul"), "transcendental": ("exp",), "compare": ("select",)},
    "Softsign": {"arith": ("abs", "add", "div")},
    "Softplus": {"arith": ("add",), "transcendental": ("exp", "log")},
    # the recurrent layers' two more: alpha·x + beta, alpha·tanh(beta·x)
    "Affine": {"arith": ("mul", "add")},
    "ScaledTanh": {"arith": ("mul", "mul"), "transcendental": ("tanh",)},
}


def cost_of(parts: Parts) -> Cost:
    """One element's cost: one operation per name."""
    return Cost(
        arith=len(parts.get("arith", ())),
        transcendental=len(parts.get("transcendental", ())),
        compare=len(parts.get("compare", ())),
    )


PER_ELEMENT: Mapping[str, Cost] = {name: cost_of(parts) for name, parts in OPS.items()}

SIGMOID = PER_ELEMENT["Sigmoid"]  # 1 / (1 + exp(−x)): 3 arith + 1 transcendental
SILU = SIGMOID + Cost(arith=1)  # x · sigmoid(x): 4 arith + 1 transcendental
GELU_ERF = Cost(arith=4, transcendental=1)  # 0.5·x·(1 + erf(x/√2)): div, add, mul x, mul 0.5; erf
# 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))): x·x, ·x, mul 0.044715, add x, mul √(2/π), add 1,
# mul x, mul 0.5; tanh
GELU_TANH = Cost(arith=8, transcendental=1)
