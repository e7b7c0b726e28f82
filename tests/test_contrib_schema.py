"""Meta-tests: rules/_contrib_schema.py, the attribute defaults and input names of contrib ops.

onnx.defs has no schema for com.microsoft ops, so their defaults are written once in that table and
applied by the analyzer like onnx's own (analyzer/walk.py node_attrs); rules never restate them.
"""

from __future__ import annotations

import pytest
from onnx import helper

from onnx_cost.analyzer.walk import node_attrs
from onnx_cost.rules import REGISTRY, SHAPES, load_all
from onnx_cost.rules._contrib_schema import MS, SCHEMAS, defaults, input_index

load_all()


def test_every_table_entry_is_an_op_we_register() -> None:
    registered = set(REGISTRY) | set(SHAPES)
    stale = sorted(f"{d}::{op}" for d, op in SCHEMAS if (d, op) not in registered)
    assert not stale, f"rules/_contrib_schema.py lists ops no rule or shape function registers: {stale}"


def test_every_contrib_op_we_register_has_a_table_entry() -> None:
    ops = {k for k in set(REGISTRY) | set(SHAPES) if k[0] == MS}
    missing = sorted(op for d, op in ops if (d, op) not in SCHEMAS)
    assert not missing, f"add these com.microsoft ops to rules/_contrib_schema.py (inputs, defaults): {missing}"


def test_input_index_is_the_schema_position_and_a_typo_fails() -> None:
    # GroupQueryAttention: query key value past_key past_value seqlens_k total_sequence_length
    # cos_cache sin_cache position_ids attention_bias head_sink ... -> head_sink is input 11
    assert input_index(MS, "GroupQueryAttention", "head_sink") == 11
    assert input_index(MS, "QGemm", "y_zero_point") == 8
    with pytest.raises(KeyError, match="no input named 'head_sinc'"):
        input_index(MS, "GroupQueryAttention", "head_sinc")


def test_the_analyzer_applies_contrib_defaults_and_the_node_overrides_them() -> None:
    plain = helper.make_node("FusedGemm", ["a", "b"], ["y"], domain=MS)
    assert node_attrs(plain, 1) == {"alpha": 1.0, "beta": 1.0, "transA": 0, "transB": 0}
    given = helper.make_node("FusedGemm", ["a", "b"], ["y"], domain=MS, transB=1, alpha=0.5)
    assert node_attrs(given, 1) == {"alpha": 0.5, "beta": 1.0, "transA": 0, "transB": 1}


def test_onnx_ops_keep_their_onnx_defaults() -> None:
    # Gemm has an onnx.defs schema: the table is not consulted (and does not list it)
    assert defaults("", "Gemm") == {}
    assert node_attrs(helper.make_node("Gemm", ["a", "b"], ["y"]), 13)["alpha"] == 1.0
