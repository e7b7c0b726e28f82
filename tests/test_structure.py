"""The one-pass structure check (structure.clean) never passes what the precise checks
refuse: a non-UTF-8 string in any field they read, an initializer named twice, a
graph too deep or too big. Each string field of a model that sets them all is
corrupted in turn, in the serialized bytes, as a bit flip would."""

from __future__ import annotations

import itertools
import re

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from onnx_cost import errors
from onnx_cost.analyzer import load
from onnx_cost.analyzer.structure import clean

_N = itertools.count()


def _mark() -> str:
    """A fresh 6-character marker: "Q0007Q"."""
    return f"Q{next(_N):04d}Q"


def _tensor(external: bool = False) -> TensorProto:
    t = numpy_helper.from_array(np.zeros(2, np.float32), _mark())
    t.doc_string = _mark()
    if external:
        t.ClearField("raw_data")
        t.data_location = TensorProto.EXTERNAL
        e = t.external_data.add()
        e.key, e.value = _mark(), _mark()
    return t


def _node(op: str, ins: list[str], outs: list[str], **attrs: object) -> onnx.NodeProto:
    n = helper.make_node(op, ins, outs, name=_mark(), doc_string=_mark(), **attrs)
    for a in n.attribute:
        a.doc_string = _mark()
    p = n.metadata_props.add()
    p.key, p.value = _mark(), _mark()
    return n


def _rich_model() -> onnx.ModelProto:
    """A model with a marker in every string field the structure checks read."""
    x, y, c, w = _mark(), _mark(), _mark(), _mark()
    branch = helper.make_graph([_node("Neg", [x], [_mark()])], _mark(), [], [helper.make_tensor_value_info(
        _mark(), TensorProto.FLOAT, [_mark()])], doc_string=_mark())
    branch.output[0].name = branch.node[0].output[0]
    mistyped = helper.make_attribute("alpha", 1.0)
    mistyped.t.CopyFrom(_tensor())  # a FLOAT attribute carrying a tensor too
    relu = _node("LeakyRelu", [x], [_mark()])
    relu.attribute.append(mistyped)
    nodes = [
        _node("Constant", [], [c], value=_tensor()),
        _node("Add", [x, w], [_mark()]),
        _node("If", [c], [y], then_branch=branch, else_branch=branch),
        relu,
    ]
    nodes[1].domain = ""
    sparse = helper.make_sparse_tensor(_tensor(), numpy_helper.from_array(np.array([0, 1], np.int64), _mark()), [4])
    g = helper.make_graph(
        nodes, _mark(), [helper.make_tensor_value_info(x, TensorProto.FLOAT, [_mark()])],
        [helper.make_tensor_value_info(y, TensorProto.FLOAT, None)], [_tensor(), _tensor(external=True)],
        doc_string=_mark(), value_info=[helper.make_tensor_value_info(_mark(), TensorProto.FLOAT, [_mark()])],
        sparse_initializer=[sparse],
    )
    g.initializer[0].name = w
    g.value_info[0].type.denotation = _mark()
    qa = g.quantization_annotation.add()
    qa.tensor_name = _mark()
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 18), helper.make_opsetid(_mark(), 1)],
                          producer_name=_mark(), producer_version=_mark(), doc_string=_mark(), domain=_mark())
    helper.set_model_props(m, {_mark(): _mark()})
    ti = m.training_info.add()
    ti.algorithm.CopyFrom(helper.make_graph([_node("Relu", [x], [_mark()])], _mark(), [], []))
    return m


def _precise_refuses(m: onnx.ModelProto) -> bool:
    try:
        load.check_text(m)
        load.check_initializers(m.graph)
    except (errors.NotOnnxError, errors.InvalidGraphError):
        return True
    return False


def test_clean_model_is_clean() -> None:
    m = _rich_model()
    assert not _precise_refuses(m)
    assert clean(m, load.MAX_NODES, load.MAX_GRAPH_DEPTH)


def test_every_corrupted_string_field_is_seen() -> None:
    data = _rich_model().SerializeToString()
    markers = sorted(set(re.findall(rb"Q\d{4}Q", data)))
    assert len(markers) > 60
    refused = 0
    for mk in markers:
        bad = onnx.ModelProto.FromString(data.replace(mk, b"Q\xcd" + mk[2:]))  # same length: still parses
        if _precise_refuses(bad):
            refused += 1
            assert not clean(bad, load.MAX_NODES, load.MAX_GRAPH_DEPTH), mk
    assert refused > 50  # the fields check_text reads: all but a few


@pytest.mark.parametrize("limit", ["nodes", "depth"])
def test_limits(limit: str) -> None:
    m = _rich_model()  # 4 + 2·1 (If branches) + 1 (training) nodes, nested 1 deep
    if limit == "nodes":
        assert clean(m, 7, 1) and not clean(m, 6, 1)
    else:
        assert not clean(m, 100, 0)


def test_duplicate_initializer_in_a_subgraph() -> None:
    m = _rich_model()
    sub = m.graph.node[2].attribute[0].g
    sub.initializer.extend([_tensor(), _tensor()])
    sub.initializer[1].name = sub.initializer[0].name
    assert _precise_refuses(m)
    assert not clean(m, load.MAX_NODES, load.MAX_GRAPH_DEPTH)


def test_an_all_ascii_node_with_a_subgraph_is_still_walked() -> None:
    """A node whose bytes are plain ASCII is skipped unless it has an attribute: an untyped
    (IR 1) graph attribute is ASCII throughout, and its subgraph must still be checked."""
    w = [numpy_helper.from_array(np.array([1], np.int8), "w") for _ in range(2)]  # named twice
    sub = helper.make_graph([helper.make_node("Neg", ["w"], ["b"])], "s", [], [], initializer=w)
    a = helper.make_attribute("then_branch", sub)
    a.ClearField("type")
    node = helper.make_node("If", ["c"], ["y"])
    node.attribute.append(a)
    assert node.SerializeToString().isascii()
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("c", TensorProto.BOOL, [])], [])
    m = helper.make_model(g)
    assert _precise_refuses(m)
    assert not clean(m, load.MAX_NODES, load.MAX_GRAPH_DEPTH)
