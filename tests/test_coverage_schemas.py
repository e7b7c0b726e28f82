"""Meta-tests: the registry against the operator schemas of the installed onnx.

Every op of the default domain that onnx defines (deprecated ones included:
old models still carry Upsample and Scatter) must be a counting rule, a
zero-compute op, or control flow the walker handles itself. Every registered
name must exist, so a misspelled op fails here rather than never matching.
"""

from __future__ import annotations

import onnx.defs

from onnx_cost.analyzer.shapes import CONTROL_FLOW  # the walker recurses into their bodies; no registry entry
from onnx_cost.rules import REGISTRY, SHAPES, load_all

load_all()

# Domains whose op names we accept without an onnx schema: contrib helpers keep their own lists.
OPEN_DOMAINS = {"com.microsoft", "ai.onnx.contrib"}  # ONNX Runtime's and onnxruntime-extensions' custom ops
# Default-domain names onnx does not define but real exporters emit, each with why it is accepted.
EXTRA_DEFAULT_OPS = {
    "SimplifiedLayerNormalization": "ONNX Runtime registers this RMSNorm schema in the default domain (version 1)",
}


def _schemas() -> dict[str, set[str]]:
    """Domain -> every op name the installed onnx defines in it, at any version."""
    out: dict[str, set[str]] = {}
    for s in onnx.defs.get_all_schemas_with_history():
        out.setdefault(s.domain, set()).add(s.name)
    return out


SCHEMAS = _schemas()


def missing_default_ops() -> list[str]:
    """Default-domain ops that are neither a rule, zero compute, nor control flow."""
    return sorted(op for op in SCHEMAS[""] if op not in CONTROL_FLOW and ("", op) not in REGISTRY)


def unknown_names(keys: set[tuple[str, str]]) -> list[str]:
    """(domain, op) keys that no onnx schema defines, outside the open contrib domains."""
    bad = []
    for domain, op in sorted(keys):
        if domain in OPEN_DOMAINS or (domain == "" and op in EXTRA_DEFAULT_OPS):
            continue
        if op not in SCHEMAS.get(domain, set()):
            bad.append(f"{domain or 'ai.onnx'}::{op}")
    return bad


def test_every_default_domain_op_is_handled() -> None:
    missing = missing_default_ops()
    assert not missing, f"{len(missing)} ops of the default domain have no rule: {', '.join(missing)}"


def test_every_registered_rule_names_a_real_op() -> None:
    bad = unknown_names(set(REGISTRY))
    assert not bad, f"registered ops that onnx does not define (misspelled?): {', '.join(bad)}"


def test_every_shape_function_names_a_real_op() -> None:
    bad = unknown_names(set(SHAPES))
    assert not bad, f"shape functions for ops that onnx does not define: {', '.join(bad)}"


def test_control_flow_is_left_to_the_walker() -> None:
    """A registry entry for If/Loop/Scan would never run: the walker handles them first."""
    assert not [op for op in CONTROL_FLOW if ("", op) in REGISTRY]


def test_the_name_check_catches_misspellings() -> None:
    assert unknown_names({("", "Conv2D"), ("", "Conv"), ("ai.onnx.ml", "TreeEnsembleX")}) == [
        "ai.onnx::Conv2D",
        "ai.onnx.ml::TreeEnsembleX",
    ]
    assert unknown_names({("com.microsoft", "AnyName"), ("ai.onnx.ml", "TreeEnsemble")}) == []
    assert unknown_names({("org.pytorch.aten", "ATen")}) == ["org.pytorch.aten::ATen"]  # undocumented domain


def test_the_schema_walk_sees_the_whole_default_domain() -> None:
    # The default domain of onnx >= 1.17 has well over 180 ops, deprecated ones included.
    assert {"Conv", "Upsample", "Scatter", "If"} <= SCHEMAS[""] and len(SCHEMAS[""]) > 180


def test_every_uncountable_op_names_a_real_op() -> None:
    from onnx_cost.rules.registry import UNCOUNTABLE

    assert not unknown_names(set(UNCOUNTABLE))
    assert not set(UNCOUNTABLE) & set(REGISTRY)
