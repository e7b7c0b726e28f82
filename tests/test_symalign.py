"""Issue 19's symbolic-dim leftovers: a Loop body sees its bound dims, ``unk__N`` is refused
by name, ``analyze_many`` runs from a script on stdin. Counts are derived by hand in comments."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh
from typer.testing import CliRunner

import onnx_cost
from onnx_cost.cli import app

runner = CliRunner()


def _save(tmp_path: Path, name: str, nodes: list, inputs: list, outputs: list, inits: list) -> str:
    g = h.make_graph(nodes, "g", inputs, outputs, inits)
    path = tmp_path / f"{name}.onnx"
    onnx.save(h.make_model(g, opset_imports=[h.make_opsetid("", 17)]), path)
    return str(path)


def loop_model(tmp_path: Path, declared: list | None, grow: bool = False) -> str:
    """Loop of M=3 trips carrying x[rows, 8]; the body declares its input as ``declared``
    and computes xout = xin @ W[8, 8] (with ``grow``: Concat(xin, xin) on axis 0 first, so
    the carried value doubles its rows every trip)."""
    w = nh.from_array(np.ones((8, 8), np.float32), "w")
    m = nh.from_array(np.array(3, np.int64), "m")
    body_nodes = [h.make_node("Identity", ["cond_in"], ["cond_out"], name="/body/Identity")]
    if grow:
        body_nodes.append(h.make_node("Concat", ["xin", "xin"], ["c"], name="/body/Concat", axis=0))
    body_nodes.append(h.make_node("MatMul", ["c" if grow else "xin", "w"], ["xout"], name="/body/MatMul"))
    body = h.make_graph(
        body_nodes, "body",
        [h.make_tensor_value_info("i", T.INT64, []), h.make_tensor_value_info("cond_in", T.BOOL, []),
         h.make_tensor_value_info("xin", T.FLOAT, declared)],
        [h.make_tensor_value_info("cond_out", T.BOOL, []), h.make_tensor_value_info("xout", T.FLOAT, declared)])
    nodes = [h.make_node("Loop", ["m", "", "x"], ["y"], name="/Loop", body=body)]
    return _save(tmp_path, "loop", nodes, [h.make_tensor_value_info("x", T.FLOAT, ["rows", 8])],
                 [h.make_tensor_value_info("y", T.FLOAT, None)], [w, m])


@pytest.mark.parametrize("declared", [["rows", 8], ["k", 8], [None, 8], None])
def test_a_loop_body_sees_the_bound_dims(tmp_path, declared):
    # rows=2: each trip 2 rows x 8 outputs of 8-term dots = 128 MACs; 3 trips = 384
    r = onnx_cost.analyze(loop_model(tmp_path, declared), dims={"rows": 2})
    assert not r.partial
    assert r.total.macs == 384


def test_a_loop_whose_carried_shape_changes_is_not_counted_at_the_first_trips_shape(tmp_path):
    # rows double every trip (2, 4, 8 going in): the body's MatMul has no one shape, so it is
    # shape_unknown (partial), never 3 x the first trip's 4·8·8 = 256 MACs
    r = onnx_cost.analyze(loop_model(tmp_path, ["k", 8], grow=True), dims={"rows": 2})
    mm = next(n for n in r.nodes if n.name == "/body/MatMul")
    assert mm.status == "shape_unknown" and r.partial
    assert r.total.macs == 0


def test_analyze_many_runs_from_a_script_on_stdin(tmp_path):
    # `python - <<EOF`: __main__ is '<stdin>', no file a worker could re-run; every worker
    # used to die on it (status crashed). Relu on [2, 3]: 6 elements, one compare each = 6 FLOPs
    path = _save(tmp_path, "relu", [h.make_node("Relu", ["x"], ["y"], name="r")],
                 [h.make_tensor_value_info("x", T.FLOAT, [2, 3])], [h.make_tensor_value_info("y", T.FLOAT, [2, 3])], [])
    script = ("import sys, onnx_cost\n"
              f"rows = onnx_cost.analyze_many([{path!r}, {path!r}], jobs=2)\n"
              "print([(r.status, r.totals.get('flops')) for r in rows], sys.modules['__main__'].__file__)\n")
    out = subprocess.run([sys.executable, "-"], input=script, capture_output=True, text=True, cwd=tmp_path,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[('ok', 6), ('ok', 6)] <stdin>"  # and __main__ is left as it was


def unnamed_input(tmp_path: Path) -> str:
    """x[?, 8] (a dim with no name: onnx's shape inference calls it unk__0) @ W[8, 8]."""
    w = nh.from_array(np.ones((8, 8), np.float32), "w")
    return _save(tmp_path, "unnamed", [h.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
                 [h.make_tensor_value_info("x", T.FLOAT, [None, 8])], [h.make_tensor_value_info("y", T.FLOAT, None)],
                 [w])


def test_an_unk_dim_is_refused_naming_the_input_to_bind(tmp_path):
    path = unnamed_input(tmp_path)
    r = runner.invoke(app, [path, "--dim", "unk__0=3"])
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "--dim unk__0:" in r.stderr and "--input x=N,8" in r.stderr
    with pytest.raises(onnx_cost.BindingError, match="--input x=N,8"):
        onnx_cost.analyze(path, dims={"unk__0": 3})
    # what the line says binds it: 3 rows x 8 outputs of 8-term dots = 192 MACs
    assert onnx_cost.analyze(path, inputs={"x": "3x8"}).total.macs == 192
    r = runner.invoke(app, [path, "--input", "x=3,8", "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["total"]["macs"] == 192


def test_analyze_many_runs_from_a_script_without_a_main_guard(tmp_path):
    # review of issue 19, finding 14: a script file calling analyze_many at top level (no
    # `if __name__ == "__main__":`) made every worker re-run it: each died with
    # multiprocessing's bootstrapping error. Relu on [2, 3]: 6 FLOPs
    path = _save(tmp_path, "relu", [h.make_node("Relu", ["x"], ["y"], name="r")],
                 [h.make_tensor_value_info("x", T.FLOAT, [2, 3])], [h.make_tensor_value_info("y", T.FLOAT, [2, 3])], [])
    script = tmp_path / "unguarded.py"
    script.write_text("import sys, onnx_cost\n"
                      f"rows = onnx_cost.analyze_many([{path!r}, {path!r}], jobs=2)\n"
                      "print([(r.status, r.totals.get('flops')) for r in rows], sys.modules['__main__'].__file__)\n")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"[('ok', 6), ('ok', 6)] {script}" and "Traceback" not in out.stderr
