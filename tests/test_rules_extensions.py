"""onnxruntime-extensions ops (ai.onnx.contrib): tokenizers and string ops are zero-arithmetic
nodes whose outputs are shaped in a token-count dim the user can bind (issue 24)."""

from __future__ import annotations

import pytest
from onnx import TensorProto, helper

import onnx_cost

from helpers import init

EXT = "ai.onnx.contrib"


def _model(tok_op: str, outputs: list[str], extra_inputs: list[str], tail: list, inits: list, out_shape=None):
    nodes = [helper.make_node(tok_op, ["text", *extra_inputs], outputs, name="tok", domain=EXT), *tail]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("text", TensorProto.STRING, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)], initializer=inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21), helper.make_opsetid(EXT, 1)])


def _sentencepiece():
    """ids [tokens] -> Gather from an [100, 8] table -> [tokens, 8] @ W [8, 4]."""
    tail = [
        helper.make_node("Cast", ["ids"], ["ids64"], to=TensorProto.INT64),
        helper.make_node("Gather", ["emb", "ids64"], ["e"]),
        helper.make_node("MatMul", ["e", "w"], ["y"], name="proj"),
    ]
    inits = [init("nbest", "int64", [], 0), init("alpha", "float32", [], 0.0), init("bos", "bool", [], True),
             init("eos", "bool", [], True), init("rev", "bool", [], False), init("emb", "float32", [100, 8]),
             init("w", "float32", [8, 4])]
    return _model("SentencepieceTokenizer", ["ids", "starts"], ["nbest", "alpha", "bos", "eos", "rev"], tail, inits)


def test_a_tokenizer_is_zero_arithmetic_and_names_its_token_count():
    r = onnx_cost.analyze(_sentencepiece())
    rec = {n.name: n for n in r.nodes}
    tok = rec["tok"]
    assert tok.status == "zero" and tok.cost.flops == 0
    assert tok.outputs == (("tokens@tok",), (2,))  # the ids, and each text's start: batch 1 + 1
    assert rec["proj"].status == "shape_unknown" and rec["proj"].missing == ("tokens@tok",)
    assert r.derived_dims == {"tokens@tok": "the token count produced by SentencepieceTokenizer tok"}
    assert not r.uncounted


def test_binding_the_token_count_makes_the_model_exact():
    r = onnx_cost.analyze(_sentencepiece(), dims={"tokens@tok": 12})
    assert not r.partial
    assert r.total.macs == 12 * 8 * 4  # proj: [12, 8] @ [8, 4]


@pytest.mark.parametrize("op, outs, shapes", [
    ("GPT2Tokenizer", ["ids", "mask"], ((1, "tokens@tok"), (1, "tokens@tok"))),
    ("BertTokenizer", ["ids", "types", "mask"], (("tokens@tok",), ("tokens@tok",), ("tokens@tok",))),
])
def test_other_tokenizers_shape_their_outputs_in_tokens(op, outs, shapes):
    tail = [helper.make_node("Cast", [outs[0]], ["y"], to=TensorProto.FLOAT)]
    r = onnx_cost.analyze(_model(op, outs, [], tail, []))
    tok = next(n for n in r.nodes if n.name == "tok")
    assert tok.status == "zero" and tok.outputs == shapes


def test_string_ops_keep_the_shape():
    tail = [helper.make_node("StringLength", ["low"], ["n"], domain=EXT),
            helper.make_node("Cast", ["n"], ["y"], to=TensorProto.FLOAT)]
    m = _model("StringLower", ["low"], [], tail, [], out_shape=[1])
    r = onnx_cost.analyze(m)
    assert [(n.op_type, n.status, n.outputs) for n in r.nodes[:2]] == [
        ("StringLower", "zero", ((1,),)), ("StringLength", "zero", ((1,),))]
    assert not r.partial
