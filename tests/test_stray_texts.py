"""Review 19, finding 20: no doubled parentheticals, no header over an empty table, no
'1 models', one legend per mark, 'it' for one dim."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh
from typer.testing import CliRunner

from onnx_cost.cli import app

runner = CliRunner()


def cli(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


def save(path: Path, nodes: list, x_dims: list, inits: list) -> str:
    g = h.make_graph(nodes, "g", [h.make_tensor_value_info("x", T.FLOAT, x_dims)],
                     [h.make_tensor_value_info("y", T.FLOAT, x_dims)], inits)
    onnx.save(h.make_model(g, opset_imports=[h.make_opsetid("", 17)]), path)
    return str(path)


def matmul(path: Path, dims: list) -> str:
    """x[dims..., 4] @ w[4, 4]: exact polynomials in a free dim without a default."""
    return save(path, [h.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [*dims, 4],
                [nh.from_array(np.ones((4, 4), np.float32), "w")])


def shape_if(path: Path) -> str:
    """An If on seq > 16: the counts are piecewise in seq, so seq has no exact polynomial (partial)."""
    out = [h.make_tensor_value_info(n, T.FLOAT, ["batch", "seq", 4]) for n in ("t", "e")]
    then_g = h.make_graph([h.make_node("MatMul", ["x", "w"], ["t"], name="then_mm")], "then", [], [out[0]])
    else_g = h.make_graph([h.make_node("Relu", ["x"], ["e"], name="else_relu")], "else", [], [out[1]])
    nodes = [h.make_node("Shape", ["x"], ["shp"], name="shape"),
             h.make_node("Gather", ["shp", "one"], ["sq"], name="gather", axis=0),
             h.make_node("Greater", ["sq", "sixteen"], ["cond"], name="gt"),
             h.make_node("If", ["cond"], ["y"], name="if_long", then_branch=then_g, else_branch=else_g)]
    inits = [nh.from_array(np.ones((4, 4), np.float32), "w"), nh.from_array(np.array(1, np.int64), "one"),
             nh.from_array(np.array(16, np.int64), "sixteen")]
    return save(path, nodes, ["batch", "seq", 4], inits)


def test_csv_note_has_one_parenthetical(tmp_path):
    r = cli(matmul(tmp_path / "m.onnx", ["batch"]), "--csv")
    assert r.exit_code == 0
    assert r.stderr == "onnx-cost: note: counted at batch=1 by the default binding (bind: --dim batch=1)\n"


def test_top_zero_prints_no_nodes_section(tmp_path):
    path = matmul(tmp_path / "m.onnx", [2])
    assert "Top 1 nodes by ops" in cli(path, "--top", "1").stdout
    out = cli(path, "--top", "0")
    assert out.exit_code == 0 and "Top 0" not in out.stdout and "nodes by" not in out.stdout
    assert "Totals" in out.stdout


def test_one_dim_is_it_two_are_them(tmp_path):
    one = cli(matmul(tmp_path / "a.onnx", ["batch"])).stdout.splitlines()
    two = cli(matmul(tmp_path / "b.onnx", ["batch", "seq"])).stdout.splitlines()
    assert "  bind it: --dim batch=1" in one
    assert "  bind them: --dim batch=1 --dim seq=N" in two


def test_batch_says_one_model(tmp_path):
    path = matmul(tmp_path / "m.onnx", [2])
    assert cli("batch", path, "-j", "1").stdout.startswith("1 model\n")
    assert cli("batch", path, "-j", "1", "--format", "markdown").stdout.startswith("# onnx-cost batch: 1 model\n")
    other = matmul(tmp_path / "n.onnx", [3])
    assert cli("batch", path, other, "-j", "1").stdout.startswith("2 models\n")


def test_batch_has_one_legend_for_the_free_dim_mark(tmp_path):
    exact, piecewise = matmul(tmp_path / "s.onnx", ["seq"]), shape_if(tmp_path / "if.onnx")
    r = cli("batch", exact, piecewise, "-j", "1")
    assert r.exit_code == 0, r.output
    legends = [line for line in r.stdout.splitlines() if line.startswith("=?")]
    assert len(legends) == 1 and "exact polynomials" in legends[0] and "partial row" in legends[0]
    # each kind alone keeps its own legend
    alone = [line for line in cli("batch", exact, "-j", "1").stdout.splitlines() if line.startswith("=?")]
    assert alone == ["=? a free dim without a value: the counts that depend on it are its exact polynomials"]
    alone = [line for line in cli("batch", piecewise, "-j", "1").stdout.splitlines() if line.startswith("=?")]
    assert len(alone) == 1 and "no exact polynomial" in alone[0] and "partial" in alone[0]
