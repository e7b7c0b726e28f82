"""The walk counts identical nodes once (a memo keyed on the whole view but the name):
nodes that differ in anything a rule reads must still count apart."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

import onnx_cost
from onnx_cost.analyzer import plugins
from onnx_cost.rules import REGISTRY, load_all

from helpers import make_model


def _cumsum_model() -> onnx.ModelProto:
    axis0 = numpy_helper.from_array(np.array(0, dtype=np.int64), "axis0")
    axis1 = numpy_helper.from_array(np.array(1, dtype=np.int64), "axis1")
    nodes = [
        helper.make_node("CumSum", ["x", "axis0"], ["y0"], name="along0"),
        helper.make_node("CumSum", ["x", "axis1"], ["y1"], name="along1"),
        helper.make_node("CumSum", ["x", "axis1"], ["y2"], name="along1_again"),
    ]
    return make_model(nodes, [("x", "float32", [2, 3])], [("y0", "float32", None), ("y1", "float32", None),
                      ("y2", "float32", None)], [axis0, axis1])


def test_same_shapes_different_constant_values_count_apart() -> None:
    arith = {r.name: r.cost.arith for r in onnx_cost.analyze(_cumsum_model()).nodes}
    # CumSum: lines · (L − 1) adds. x = [2, 3]. axis 0: L = 2, lines = 3 -> 3. axis 1: L = 3, lines = 2 -> 4.
    assert arith == {"along0": 3, "along1": 4, "along1_again": 4}


def test_same_shapes_different_dtypes_count_apart() -> None:
    nodes = [helper.make_node("Add", ["a", "a"], ["fa"], name="float_add"),
             helper.make_node("Add", ["i", "i"], ["ia"], name="int_add")]
    m = make_model(nodes, [("a", "float32", [2, 5]), ("i", "int32", [2, 5])],
                   [("fa", "float32", None), ("ia", "int32", None)])
    got = {r.name: (r.flops, r.cost.int_ops, r.precision) for r in onnx_cost.analyze(m).nodes}
    # 10 elements, one add each: float adds are FLOPs, integer adds int_ops.
    assert got == {"float_add": (10, 0, "fp32"), "int_add": (0, 10, "int32")}


def test_a_plugin_rule_is_not_memoized(tmp_path) -> None:
    """A plugin's rule need not be pure in the view: each node is counted afresh."""
    load_all()
    saved, files = dict(REGISTRY), set(plugins._loaded_files)
    f = tmp_path / "by_name.py"
    f.write_text("from onnx_cost.rules import Cost, rule\n"
                 "@rule('NameLength', domain='com.example')\n"
                 "def by_name(view):\n    '''one add per character of the node's name.'''\n"
                 "    return Cost(arith=len(view.name))\n")
    nodes = [helper.make_node("NameLength", ["x"], ["y"], name="a", domain="com.example"),
             helper.make_node("NameLength", ["x"], ["z"], name="bbb", domain="com.example")]
    m = make_model(nodes, [("x", "float32", [4])], [("y", "float32", [4]), ("z", "float32", [4])],
                   extra_opsets={"com.example": 1})
    try:
        r = onnx_cost.analyze(m, rules=[f])
    finally:
        REGISTRY.clear()
        REGISTRY.update(saved)
        plugins._loaded_files.clear()
        plugins._loaded_files.update(files)
    assert {n.name: n.cost.arith for n in r.nodes} == {"a": 1, "bbb": 3}
