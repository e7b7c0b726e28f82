"""A bug in our code is never a verdict on the model: only RuleError (invalid) and
ShapeUnknown (unknown dim) become node states; anything else is an InternalError, exit 3."""

from __future__ import annotations

from pathlib import Path

import onnx
import pytest
from onnx import helper
from typer.testing import CliRunner

import onnx_cost
from onnx_cost.cli import app
from onnx_cost.errors import InternalError
from onnx_cost.rules.registry import REGISTRY, SHAPES, rule

from helpers import make_model


def _buggy_model() -> onnx.ModelProto:
    n = helper.make_node("Buggy", ["x"], ["y"], name="bug", domain="acme")
    return make_model([n], [("x", "float32", [2])], [("y", "float32", [2])], extra_opsets={"acme": 1})


@pytest.fixture
def buggy_rule():
    """A rule with a bug (it divides by zero), registered for acme::Buggy for one test."""

    @rule("Buggy", domain="acme")
    def buggy(view):
        """A rule that fails."""
        return 1 // 0

    SHAPES[("acme", "Buggy")] = lambda view: [((2,), "float32")]
    yield
    del REGISTRY[("acme", "Buggy")]
    del SHAPES[("acme", "Buggy")]


def test_a_buggy_rule_is_an_internal_error_not_an_invalid_row(buggy_rule):
    with pytest.raises(InternalError) as e:
        onnx_cost.analyze(_buggy_model())
    assert isinstance(e.value.__cause__, ZeroDivisionError)
    assert e.value.exit_code == 3 and not isinstance(e.value, onnx_cost.OnnxCostError)


def test_a_buggy_rule_exits_3_with_one_line_naming_node_op_and_version(buggy_rule, tmp_path: Path):
    path = tmp_path / "bug.onnx"
    onnx.save(_buggy_model(), path)
    r = CliRunner().invoke(app, [str(path)])
    assert r.exit_code == 3
    assert r.stderr == (
        "onnx-cost: error: internal error in the rule of acme::Buggy at node 'bug': "
        f"ZeroDivisionError: integer division or modulo by zero (onnx-cost {onnx_cost.__version__}); "
        "rerun with --debug and report it\n"
    )
    d = CliRunner().invoke(app, [str(path), "--debug"])
    assert d.exit_code != 0 and isinstance(d.exception, InternalError)
    assert isinstance(d.exception.__cause__, ZeroDivisionError)  # the traceback shown is the rule's


def test_a_buggy_shape_function_is_an_internal_error():
    def broken(view):
        return {}["no such key"]

    SHAPES[("acme", "Buggy")] = broken
    try:
        with pytest.raises(InternalError, match=r"in the shape function of acme::Buggy at node 'bug': KeyError"):
            onnx_cost.analyze(_buggy_model())
    finally:
        del SHAPES[("acme", "Buggy")]


def test_a_missing_required_input_is_invalid_with_the_reason():
    n = helper.make_node("MatMul", ["x", ""], ["y"], name="mm")
    r = onnx_cost.analyze(make_model([n], [("x", "float32", [2, 4])], [("y", "float32", [2, 4])]))
    rec = r.nodes[0]
    assert rec.status == "invalid"
    assert rec.detail.startswith("MatMul 'mm': required input 1 is absent")


def test_an_attribute_of_the_wrong_type_is_invalid():
    n = helper.make_node("Softmax", ["x"], ["y"], name="sm")
    n.attribute.append(helper.make_attribute("axis", [1, 2]))  # INTS where the schema says INT
    r = onnx_cost.analyze(make_model([n], [("x", "float32", [2, 4])], [("y", "float32", [2, 4])]))
    rec = r.nodes[0]
    assert rec.status == "invalid"
    assert rec.detail == "attribute 'axis' is INTS, where Softmax (opset 21) declares INT"  # attrs.decode
