"""A batch dim recognized by its role (dynamo's s0, s6), bound by default like ``batch`` (issue 24)."""

from __future__ import annotations

from onnx import helper

from onnx_cost.analyzer import prepare
from onnx_cost.analyzer.dims import batch_by_role
from onnx_cost.symbolic.dynamic import analyze_dynamic

from helpers import init, make_model


def _model(out_shape=("s6", 3), meta=None):
    nodes = [helper.make_node("MatMul", ["x", "w"], ["m"]), helper.make_node("Add", ["m", "t"], ["y"])]
    m = make_model(nodes, [("x", "float32", ["s6", "s2", 4]), ("t", "float32", ["s6", "s2", 3])],
                   [("y", "float32", [out_shape[0], "s2", out_shape[1]])], [init("w", "float32", [4, 3])])
    for k, v in (meta or {}).items():
        m.metadata_props.add(key=k, value=v)
    return m


def test_the_leading_dim_of_every_input_and_output_is_the_batch():
    m = _model()
    assert batch_by_role(m) == "s6"
    _report, dyn = analyze_dynamic(prepare(m), {}, {})
    assert dyn is not None and dyn.defaults == {"s6": 1}  # s2 (a length) stays free
    # MatMul [s6, s2, 4] by [4, 3]: s6·s2·4·3 = 12·s6·s2 MACs; at the default s6 = 1 and s2 = 5: 60
    macs = dyn.total("macs")
    assert macs.dims == ("s6", "s2") and dict(macs.terms) == {(1, 1): 12}
    assert dyn.at_defaults(macs).substitute({"s2": 5}).constant == 60
    assert dyn.hint == "--dim s6=1 --dim s2=N"


def test_no_batch_by_role_when_an_output_leads_with_another_dim():
    m = _model(out_shape=("s2", 3))
    assert batch_by_role(m) is None


def test_exporter_metadata_names_the_batch():
    m = _model(out_shape=("s2", 3), meta={"batch_dim": "s6"})
    assert batch_by_role(m) == "s6"
