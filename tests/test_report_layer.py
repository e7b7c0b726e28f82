"""The report layer: Totals arithmetic, group-by, the graph index, views, scopes, precision."""

from __future__ import annotations

import dataclasses

import pytest
from onnx import helper

import onnx_cost
from onnx_cost.analyzer.scope import CLASS_HIERARCHY, NAME_SCOPES, ScopeParser
from onnx_cost.model.totals import TOTAL_FIELDS, Totals, by_op_type, by_precision, by_scope, group
from onnx_cost.rules._precision import precision
from onnx_cost.rules.cost import COUNT_FIELDS, Cost
from onnx_cost.rules.node import NodeView, TensorInfo

from helpers import init, make_model

# -- Totals ------------------------------------------------------------------------------


def test_totals_flops_is_the_cost_formula():
    kw = dict(macs=5, dots=2, bias_adds=1, arith=1, transcendental=1, compare=1)
    # 2·5 − 2 + 1 + 1 + 1 + 1 = 12
    assert Totals(**kw).flops == Cost(**kw).flops == 12


def test_totals_add_and_subtract_field_by_field():
    a = Totals(macs=3, dots=1, arith=2, params=10, param_bytes=40, read_bytes=7, nodes=2)
    b = Totals(macs=1, compare=4, params=6, param_bytes=24, write_bytes=5, nodes=1)
    s = a + b
    assert (s.macs, s.dots, s.arith, s.compare, s.params, s.param_bytes, s.nodes) == (4, 1, 2, 4, 16, 64, 3)
    assert s.flops == 2 * 4 - 1 + 2 + 4 == 13
    assert s.memory_bytes == 7 + 5
    d = s - b
    assert d == a
    assert (a - a) == Totals()


def test_totals_carry_every_cost_field_and_report_them_in_order():
    names = {f.name for f in dataclasses.fields(Totals)}
    assert set(COUNT_FIELDS) <= names
    assert TOTAL_FIELDS[:3] == ("flops", "ops", "macs")
    assert set(TOTAL_FIELDS) == names | {"flops", "ops"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        Totals().macs = 1  # type: ignore[misc]


# -- group-by over a model with a shared weight -------------------------------------------


def _shared_weight_model():
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["h"], name="/enc/a/MatMul"),
        helper.make_node("MatMul", ["h", "w"], ["h2"], name="/enc/b/MatMul"),
        helper.make_node("Relu", ["h2"], ["y"], name="/head/Relu"),
    ]
    return make_model(nodes, [("x", "float32", [2, 4])], [("y", "float32", [2, 4])], [init("w", "float32", [4, 4])])


def test_group_by_op_type_counts_a_shared_weight_once_per_group():
    r = onnx_cost.analyze(_shared_weight_model())
    g = r.group(by_op_type)
    # each MatMul 2×4 by 4×4: 32 MACs, 8 dots -> 2·32 − 8 = 56 FLOPs; Relu: 8 compares
    assert g["MatMul"].flops == 2 * 56 and g["MatMul"].nodes == 2
    assert g["MatMul"].params == 16 and g["MatMul"].param_bytes == 64  # w 4×4 fp32, once
    assert g["Relu"].flops == 8 and g["Relu"].params == 0
    assert r.by_op_type == {"MatMul": g["MatMul"], "Relu": g["Relu"]}
    assert r.total.params == 16


def test_group_and_total_is_group_and_sum_records_in_one_pass():
    """The analysis's by_op_type and total come from one pass: the same Totals as ``group`` and
    ``sum_records``. Two MatMuls of 56 FLOPs share w (16 params, once), Relu 8 compares:
    120 FLOPs in all; a record whose key is None is in the total, in no group."""
    from onnx_cost.model.totals import group_and_total, sum_records

    r = onnx_cost.analyze(_shared_weight_model())
    groups, total = group_and_total(r.nodes, by_op_type, r.param_sizes, r.constant_sizes)
    assert groups == group(r.nodes, by_op_type, r.param_sizes, r.constant_sizes)
    assert total == sum_records(r.nodes, r.param_sizes, r.constant_sizes) == r.total
    assert (total.flops, total.params, total.nodes) == (2 * 56 + 8, 16, 3)
    only_relu, all_three = group_and_total(r.nodes, lambda n: n.op_type if n.op_type == "Relu" else None)
    assert list(only_relu) == ["Relu"] and only_relu["Relu"].flops == 8 and all_three.flops == 120
    assert all_three.params == 2 * 16  # no param_sizes: each record's own params, w twice
    assert group_and_total([], by_op_type) == ({}, Totals())


def test_group_by_scope_at_any_depth():
    r = onnx_cost.analyze(_shared_weight_model())
    top = r.group(by_scope(1))
    assert list(top) == ["/enc", "/head"]
    assert top["/enc"].flops == 112 and top["/enc"].params == 16  # w once in /enc
    deep = r.group(by_scope(2))
    assert deep["/enc/a"].params == deep["/enc/b"].params == 16  # each group reads w
    assert (deep["/enc/a"] + deep["/enc/b"]).params == 32  # + adds groups as if disjoint
    assert r.group(by_scope()) == deep
    assert r.group(by_scope(0)) == {"": r.total}


def test_group_by_precision_and_by_any_callable():
    r = onnx_cost.analyze(_shared_weight_model())
    assert r.group(by_precision) == {"fp32": r.total}
    only_mm = group(r.nodes, lambda n: "mm" if n.op_type == "MatMul" else None, r.param_sizes)
    assert list(only_mm) == ["mm"] and only_mm["mm"].nodes == 2
    with pytest.raises(ValueError):
        by_scope(-1)


# -- graph index ------------------------------------------------------------------------


def test_graph_index_gives_producers_and_consumers():
    r = onnx_cost.analyze(_shared_weight_model())
    ix = r.graph_index()
    a, b, relu = r.nodes
    assert ix.producer("h") is a and ix.producer("x") is None and ix.producer("w") is None
    assert list(ix.consumers("w")) == [a, b]
    assert list(ix.consumers("y")) == []
    assert ix.producers_of(b) == [a, None]
    assert [list(c) for c in ix.consumers_of(b)] == [[relu]]
    assert r.graph_index() is ix


# -- records ----------------------------------------------------------------------------


def test_records_are_frozen():
    r = onnx_cost.analyze(_shared_weight_model())
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.nodes[0].weight = 2  # type: ignore[misc]


def test_report_keeps_the_main_graph_tensors_and_initializers():
    r = onnx_cost.analyze(_shared_weight_model())
    assert r.tensors["h"].shape == (2, 4) and r.tensors["w"].dtype == "float32"
    assert r.initializers == ("w",)
    assert r.param_sizes == {"w": (16, 64)}


# -- scopes -----------------------------------------------------------------------------

RESNET_SCOPES = "['', 'layer1', 'layer1.0', 'layer1.0.conv1', 'conv2d']"
RESNET_CLASSES = (
    "['torchvision.models.resnet.ResNet', 'torch.nn.modules.container.Sequential', "
    "'torchvision.models.resnet.BasicBlock', 'torch.nn.modules.conv.Conv2d', 'aten.conv2d.default']"
)


@pytest.mark.parametrize(
    "name, metadata, path",
    [
        ("/layer1/layer1.0/conv1/Conv", {}, ("layer1", "layer1.0", "conv1")),  # TorchScript
        ("model/conv2d/Conv2D", {}, ("model", "conv2d")),  # tf2onnx
        ("Conv_0", {}, ()),
        ("/Conv", {}, ()),
        ("node_conv2d", {NAME_SCOPES: RESNET_SCOPES}, ("layer1", "layer1.0", "conv1")),  # dynamo
        ("node_linear", {NAME_SCOPES: "['', 'encoder', 'encoder.layer.0', 'encoder.layer.0.attention', 'linear']"},
         ("encoder", "layer.0", "attention")),
        ("n", {NAME_SCOPES: "['', 'features', 'features.0', 'features.0.0', 'conv2d']"},
         ("features", "features.0", "features.0.0")),
        ("n", {NAME_SCOPES: "['conv2d']"}, ()),  # no module stack: the node's own name only
        ("/a/b/Relu", {"onnx_cost.function_call": "/enc/block0"}, ("enc", "block0")),  # inlined function
        ("/a/b/Relu", {NAME_SCOPES: "__import__('os').system('true')"}, ("a", "b")),  # not a literal: the name
        ("/a/b/Relu", {NAME_SCOPES: "['', 1, 2]"}, ("a", "b")),  # not a list of strings
        ("/a/b/Relu", {NAME_SCOPES: "[" * 100_000}, ("a", "b")),  # too long to parse
        ("/a/b/Relu", {NAME_SCOPES: "[" * 5000}, ("a", "b")),  # nested past the parser
    ],
)
def test_scope_path_from_every_exporter(name, metadata, path):
    got, _ = ScopeParser().parse(name, metadata)
    assert got == path
    parser = ScopeParser()  # the walk's call: the path and its scope column, the same twice (cached by prefix)
    column = "/" + "/".join(path) if path else ""
    assert parser.scope(name, metadata) == parser.scope(name, metadata) == (path, parser.parse(name, metadata)[1],
                                                                            column)


def test_dynamo_class_hierarchy_in_step_with_the_path():
    p = ScopeParser()
    path, classes = p.parse("node_conv2d", {NAME_SCOPES: RESNET_SCOPES, CLASS_HIERARCHY: RESNET_CLASSES})
    assert classes == ("torch.nn.modules.container.Sequential", "torchvision.models.resnet.BasicBlock",
                       "torch.nn.modules.conv.Conv2d")
    assert p.text(path) == "/layer1/layer1.0/conv1"
    # equal scopes share one tuple, whatever form they came in
    assert p.parse("/layer1/layer1.0/conv1/Conv", {})[0] is path


def test_dynamo_scope_reaches_the_record_and_the_scope_column():
    n = helper.make_node("Relu", ["x"], ["y"], name="node_relu")
    n.metadata_props.add(key=NAME_SCOPES, value="['', 'layer1', 'layer1.0', 'relu']")
    n.metadata_props.add(key=CLASS_HIERARCHY, value="['M', 'torch.nn.Sequential', 'B', 'aten.relu.default']")
    r = onnx_cost.analyze(make_model([n], [("x", "float32", [2])], [("y", "float32", [2])]))
    rec = r.nodes[0]
    assert rec.scope_path == ("layer1", "layer1.0") and rec.scope == "/layer1/layer1.0"
    assert rec.scope_classes == ("torch.nn.Sequential", "B")


# -- precision --------------------------------------------------------------------------


def _view(ins, outs=()):
    t = lambda d: TensorInfo("t", (2,), d)  # noqa: E731
    return NodeView("n", "Op", "", 21, {}, tuple(t(d) for d in ins), tuple(t(d) for d in outs))


@pytest.mark.parametrize(
    "ins, outs, cost, want",
    [
        (["float32", "float32"], [], Cost(arith=2), "fp32"),
        (["float16"], [], Cost(transcendental=1), "fp16"),
        (["bfloat16", "int64"], [], Cost(macs=4), "bf16"),  # indices do not make it mixed
        (["float8e4m3fn"], [], Cost(macs=1), "fp8"),
        (["float16", "float32"], [], Cost(arith=1), "mixed"),
        ([], ["float64"], Cost(arith=1), "fp64"),  # no input: the output's dtype
        (["uint8", "int8", "int32"], [], Cost(macs=4, int_macs=4, int_ops=8), "int8"),  # u8 × s8, int32 bias
        (["uint8", "float32", "uint8"], [], Cost(int_ops=3), "uint8"),  # scales do not count for integer work
        (["int4", "int8"], [], Cost(macs=1, int_macs=1, int_ops=2), "int4"),
        (["int64", "int64"], [], Cost(int_ops=1), "int64"),
        (["float32"], [], Cost(arith=1, int_ops=1), "mixed"),
        (["float32"], [], Cost(read_bytes=8, write_bytes=8), ""),  # no arithmetic
    ],
)
def test_precision_from_dtypes_and_cost(ins, outs, cost, want):
    assert precision(_view(ins, outs), cost) == want


@pytest.mark.parametrize(
    "op, ins, outs, want",
    [
        ("QuantizeLinear", ["float32", "float32", "int8"], ["int8"], "int8"),
        ("DequantizeLinear", ["uint8", "float32", "uint8"], ["float32"], "uint8"),
        ("DequantizeLinear", ["int4", "float16"], ["float16"], "int4"),
        ("DynamicQuantizeLinear", ["float32"], ["uint8", "float32", "uint8"], "uint8"),
    ],
)
def test_quantizers_are_named_by_their_integer_side(op, ins, outs, want):
    v = _view(ins, outs)
    v = NodeView("n", op, "", 21, {}, v.inputs, v.outputs)
    assert precision(v, Cost(arith=2)) == want


def test_records_carry_precision_and_zero_compute_has_none():
    nodes = [
        helper.make_node("Add", ["x", "x"], ["s"], name="add"),
        helper.make_node("Reshape", ["s", "shape"], ["y"], name="reshape"),
    ]
    m = make_model(nodes, [("x", "float16", [2, 3])], [("y", "float16", [6])], [init("shape", "int64", [1], [6])])
    r = onnx_cost.analyze(m)
    assert [n.precision for n in r.nodes] == ["fp16", ""]


def test_record_of_is_the_dataclass_constructor():
    """record_of fills NodeRecord's slots in field order: the same record as NodeRecord(*values),
    still frozen, and a missing or extra value refused as the constructor refuses it."""
    from onnx_cost.model.report import NodeRecord, record_of

    values = [f"value {i}" for i in range(len(dataclasses.fields(NodeRecord)))]  # each field its own
    r = record_of(*values)
    assert r == NodeRecord(*values)
    assert [getattr(r, f.name) for f in dataclasses.fields(NodeRecord)] == values
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.name = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        record_of(*values[:-1])
    with pytest.raises(TypeError):
        record_of(*values, "one too many")
    assert type(record_of(*values)) is NodeRecord and not hasattr(r, "__dict__")
