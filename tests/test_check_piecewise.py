"""check over a box in which an If is decided by a dim of the box (review of issue 19,
finding 12): the counts are piecewise (one branch up to a threshold, the other past it), so
no polynomial holds over the box; a box of at most MAX_POINTS points is then decided point
by point instead of giving up."""

from __future__ import annotations

import json

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh
from typer.testing import CliRunner

from onnx_cost.cli import app

D = 64


def if_on_seq(path: str) -> str:
    """x[batch, seq, 64]; If seq > 16: MatMul by a 64x64 weight then Relu; else Relu only."""
    y = h.make_tensor_value_info("y", T.FLOAT, ["batch", "seq", D])
    then_g = h.make_graph([h.make_node("MatMul", ["x", "w"], ["t0"], name="then_mm"),
                           h.make_node("Relu", ["t0"], ["t"], name="then_relu")], "then", [],
                          [h.make_tensor_value_info("t", T.FLOAT, ["batch", "seq", D])])
    else_g = h.make_graph([h.make_node("Relu", ["x"], ["e"], name="else_relu")], "else", [],
                          [h.make_tensor_value_info("e", T.FLOAT, ["batch", "seq", D])])
    nodes = [h.make_node("Shape", ["x"], ["shp"], name="shape"),
             h.make_node("Gather", ["shp", "one"], ["sq"], name="gather_seq", axis=0),
             h.make_node("Greater", ["sq", "sixteen"], ["cond"], name="gt"),
             h.make_node("If", ["cond"], ["y"], name="if_long", then_branch=then_g, else_branch=else_g)]
    inits = [nh.from_array(np.ones((D, D), np.float32), "w"), nh.from_array(np.array(1, np.int64), "one"),
             nh.from_array(np.array(16, np.int64), "sixteen")]
    g = h.make_graph(nodes, "ifm", [h.make_tensor_value_info("x", T.FLOAT, ["batch", "seq", D])], [y], inits)
    onnx.save(h.make_model(g, opset_imports=[h.make_opsetid("", 17)]), path)
    return path


def test_a_piecewise_count_is_decided_point_by_point(tmp_path):
    model = if_on_seq(str(tmp_path / "ifm.onnx"))
    # at batch=1, seq=20 (the largest point, past the threshold): the MatMul's 20·64 outputs of
    # 64-term dots = 20·64·(2·64 - 1) = 162,560 FLOPs, + the Relu's 20·64 = 1,280: 163,840
    r = CliRunner().invoke(app, ["check", model, "--budget", "flops<=1M", "--dim", "seq=1:20", "--no-config"])
    assert r.exit_code == 0, r.output
    assert "pass    flops <= 1,000,000: 163,840 within 1,000,000; maximum over seq=1:20 at seq=20" in r.output
    r = CliRunner().invoke(app, ["check", model, "--budget", "flops<=163839", "--dim", "seq=1:20", "--no-config"])
    assert r.exit_code == 1 and "fail" in r.output and "163,840" in r.output


def test_an_if_on_a_shape_names_the_remedy_that_decides_it(tmp_path):
    # review finding 11: the If reads the shape of x; --value cannot decide it, binding seq can.
    # Both branches are uncountable with seq free (0 FLOPs each): neither is "the larger"
    model = if_on_seq(str(tmp_path / "ifm.onnx"))
    out = CliRunner().invoke(app, [model]).output
    assert "(the shape of 'x' via Greater)" in out and "(the larger)" not in out
    assert "decide it: --dim NAME=N or --input for the dims it reads, or --branch if_long=then|else" in out.replace(
        "\n  ", " ")


def test_a_branch_a_known_condition_overrides_is_said(tmp_path):
    # review finding 4: with seq=8 bound the If's condition (8 > 16) is known: else. A
    # --branch if_long=then cannot apply; the else branch is counted (Relu on 1·8·64 = 512
    # FLOPs) and a warning says the user's choice was not applied, instead of dropping it
    model = if_on_seq(str(tmp_path / "ifm.onnx"))
    out = CliRunner().invoke(app, [model, "--dim", "seq=8", "--dim", "batch=1", "--branch", "if_long=then", "--json"])
    assert out.exit_code == 0, out.output
    d = json.loads(out.stdout)
    # the Relu's 512 compares in flops; the Greater's one compare of int64 scalars in int_ops
    assert (d["total"]["flops"], d["total"]["int_ops"]) == (512, 1)
    assert any(w.startswith("--branch if_long=then not applied: the If's condition is known here") and
               w.endswith("it takes else") for w in d["warnings"])
