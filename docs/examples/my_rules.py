"""Example rules file for ``onnx-cost --rules`` (docs/plugins.md; tests/test_plugins.py runs it)."""

from onnx_cost.rules import Cost, rule


@rule("FastGelu", domain="com.example")
def fast_gelu(view):
    """FastGelu: x·sigmoid(1.702·x), 6 float ops per element (2 muls; sigmoid 4: neg, exp, add, div)."""
    n = view.out_numel(0)
    return Cost(arith=5 * n, transcendental=n)


@rule("Swish", domain="com.example")
def swish(view):
    """Swish: x·sigmoid(x), 5 float operations per element (sigmoid 4: neg, exp, add, div; 1 mul)."""
    n = view.out_numel(0)
    return Cost(arith=4 * n, transcendental=n)
