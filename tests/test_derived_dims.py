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
    from onnx_cost.analyzer.render import to_table

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
