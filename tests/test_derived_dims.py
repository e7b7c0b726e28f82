"""Data-dependent dims get names users can bind (issue 24): a duration-driven frame count
(a TTS decoder's Range over the summed durations) named after its Range, bound by --dim."""

from __future__ import annotations

import json

import pytest
from onnx import TensorProto, helper

import onnx_cost
from onnx_cost.errors import BindingError

from helpers import init, make_model

NAME = "length@/decoder/Range"


def _tts():
    """durations = ceil(relu(x)) summed -> Range(0, total) frames -> [frames, 1] @ W2 [1, 16] @ W3 [16, 4]."""
    nodes = [
        helper.make_node("Relu", ["x"], ["d"]),
        helper.make_node("ReduceSum", ["d"], ["total"], keepdims=0),
        helper.make_node("Ceil", ["total"], ["totc"]),
        helper.make_node("Cast", ["totc"], ["n"], to=TensorProto.INT64),
        helper.make_node("Range", ["zero", "n", "one"], ["frames"], name="/decoder/Range"),
        helper.make_node("Cast", ["frames"], ["ff"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["ff", "ax"], ["f2"]),
        helper.make_node("MatMul", ["f2", "W2"], ["h"], name="mm1"),
        helper.make_node("MatMul", ["h", "W3"], ["y"], name="mm2"),
    ]
    inits = [init("zero", "int64", [], 0), init("one", "int64", [], 1), init("ax", "int64", [1], [1]),
             init("W2", "float32", [1, 16]), init("W3", "float32", [16, 4])]
    return make_model(nodes, [("x", "float32", [1, 8])], [("y", "float32", None)], inits)


def test_the_frame_count_is_named_after_its_range_and_hinted():
    r = onnx_cost.analyze(_tts())
    assert r.partial
    rec = {n.name: n for n in r.nodes}
    assert rec["/decoder/Range"].outputs == ((NAME,),)
    assert rec["mm1"].status == "shape_unknown" and NAME in rec["mm1"].missing
    assert r.derived_dims == {NAME: "the length computed by Range /decoder/Range"}
    data = r.to_dict()
    assert f"--dim {NAME}=N" in data["bind_hint"] and data["derived_dims"] == r.derived_dims
    from onnx_cost.render.report import to_table

    assert f"bind the data-dependent dim: --dim {NAME}=N (the length computed by Range /decoder/Range)" in to_table(r)


def test_binding_the_derived_dim_makes_the_decoder_exact():
    r = onnx_cost.analyze(_tts(), dims={NAME: 100})
    assert not r.partial
    # mm1: 100·1·16 = 1600 MACs; mm2: 100·16·4 = 6400 MACs
    assert r.total.macs == 1600 + 6400
    assert {n.name: n for n in r.nodes}["mm2"].outputs == ((100, 4),)


def test_a_derived_name_no_node_produces_is_refused():
    with pytest.raises(BindingError, match="--dim length@/nowhere"):
        onnx_cost.analyze(_tts(), dims={"length@/nowhere": 3})


def test_cli_binds_the_derived_dim(tmp_path):
    import onnx
    from typer.testing import CliRunner

    from onnx_cost.cli import app

    p = tmp_path / "tts.onnx"
    onnx.save(_tts(), p)
    res = CliRunner().invoke(app, [str(p), "--json", "--dim", f"{NAME}=10"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["total"]["macs"] == 10 * 16 + 10 * 16 * 4


def _nonzero_topk():
    """NonZero(x) [2, nnz] (x has rank 2) -> [nnz, 2] @ W [2, 5]; TopK(x, k = max(x)) [1, k] -> [k, 1] @ V [1, 3]."""
    nodes = [
        helper.make_node("NonZero", ["x"], ["nz"], name="nz"),
        helper.make_node("Cast", ["nz"], ["nzf"], to=TensorProto.FLOAT),
        helper.make_node("Transpose", ["nzf"], ["nzt"]),
        helper.make_node("MatMul", ["nzt", "W"], ["a"], name="mm_nz"),
        helper.make_node("ReduceMax", ["x"], ["mx"], keepdims=1),
        helper.make_node("Cast", ["mx"], ["k2"], to=TensorProto.INT64),
        helper.make_node("Reshape", ["k2", "shape1"], ["k"]),
        helper.make_node("TopK", ["x", "k"], ["vals", "idx"], name="topk"),
        helper.make_node("Transpose", ["vals"], ["vt"]),
        helper.make_node("MatMul", ["vt", "V"], ["b"], name="mm_k"),
    ]
    inits = [init("W", "float32", [2, 5]), init("V", "float32", [1, 3]), init("shape1", "int64", [1], [1])]
    return make_model(nodes, [("x", "float32", [1, 10])], [("a", "float32", None), ("b", "float32", None)], inits)


def test_nonzero_and_a_computed_topk_name_their_dims():
    r = onnx_cost.analyze(_nonzero_topk())
    rec = {n.name: n for n in r.nodes}
    assert rec["nz"].outputs == ((2, "nonzero@nz"),)
    assert rec["topk"].outputs == ((1, "k@topk"), (1, "k@topk"))  # values and indices share k
    assert set(r.derived_dims) == {"nonzero@nz", "k@topk"}
    r = onnx_cost.analyze(_nonzero_topk(), dims={"nonzero@nz": 4, "k@topk": 2})
    rec = {n.name: n for n in r.nodes}
    # mm_nz: [4, 2] @ [2, 5] = 40 MACs; mm_k: [2, 1] @ [1, 3] = 6 MACs
    assert (rec["mm_nz"].cost.macs, rec["mm_k"].cost.macs) == (40, 6)
    assert not r.partial
