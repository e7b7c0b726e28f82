"""Issue 8: dynamic models answer with formulas; bindings are checked; the report never
destroys data; SIGPIPE and Ctrl-C; the Python API. Numbers derived by hand in comments."""

from __future__ import annotations

import csv
import inspect
import io
import json
import os
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

EXE = str(Path(sys.executable).parent / "onnx-cost")
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
runner = CliRunner()


def _matmul(tmp_path: Path, dims: list, name: str = "m.onnx") -> str:
    """x[dims..., 4] @ w[4, 4]: per output row 4 outputs, each a 4-term dot (4 MACs, 7 FLOPs)."""
    w = nh.from_array(np.ones((4, 4), np.float32), "w")
    g = h.make_graph([h.make_node("MatMul", ["x", "w"], ["y"], name="/enc/mm/MatMul")], "g",
                     [h.make_tensor_value_info("x", T.FLOAT, [*dims, 4])],
                     [h.make_tensor_value_info("y", T.FLOAT, [*dims, 4])], [w])
    path = tmp_path / name
    onnx.save(h.make_model(g, opset_imports=[h.make_opsetid("", 17)]), path)
    return str(path)


def cli(*args: str, columns: int = 80):
    return runner.invoke(app, list(args), env={"COLUMNS": str(columns)})


# -- dynamic models -------------------------------------------------------------------


def test_dynamic_batch_table_is_exact_at_batch_1(tmp_path, monkeypatch):
    _matmul(tmp_path, ["batch"])
    monkeypatch.chdir(tmp_path)
    r = cli("m.onnx", "--top", "1")
    assert r.exit_code == 0, r.stderr
    body = r.stdout  # no convention line above the default (exact) report
    # batch=1: 4 outputs × 7 = 28 FLOPs, 16 MACs; w 16 floats (64 B); reads x 16 B + w 64 B, writes y 16 B
    assert body.startswith(
        "m.onnx  opset 17  inputs: x 1x4 float32\n"
        "free dims: batch (shown at batch=1)\n"
        "  bind it: --dim batch=1\n"
        "\n"
        "Totals at batch=1\n"
        "  ops (FLOPs + integer ops)          28     28\n"
        "  FLOPs                              28     28\n"
        "  MACs (multiply-accumulates)        16     16\n"
        "  params                             16     16\n"
        "  param bytes                      64 B     64\n"
        "  constants (static, not params)      0      0\n"
        "  read bytes                       80 B     80\n"
        "  write bytes                      16 B     16\n"
        "  memory access (read + write)     96 B     96\n"
        "  coverage: 1/1 nodes counted or zero-compute (100.0%)\n"
        "\n"
        "Exact formulas in batch (--formula prints these; JSON: total_formula)\n"
        "  ops = 28·batch\n"
        "  flops = 28·batch\n"
        "  macs = 16·batch\n"
        "  params = 16\n"
        "  read_bytes = 16·batch + 64\n"
        "  write_bytes = 16·batch\n"
    )
    assert "PARTIAL" not in r.stdout and "shape_unknown" not in r.stdout


def test_free_sequence_is_a_polynomial_in_the_table(tmp_path):
    r = cli(_matmul(tmp_path, ["batch", "seq"]))
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "free dims: batch, seq (shown at batch=1, as exact polynomials in seq)" in lines
    assert "  bind them: --dim batch=1 --dim seq=N" in lines
    assert "  FLOPs                                  28·seq" in lines  # 4·seq outputs × 7
    assert "  flops = 28·batch·seq" in lines
    assert "  MatMul       1  28·seq  28·seq  16·seq      16  32·seq + 64 B" in lines
    assert all(len(line) <= 80 for line in lines[1:])


def test_total_formula_in_json(tmp_path):
    r = cli(_matmul(tmp_path, ["batch", "seq"]), "--json")
    d = json.loads(r.stdout)
    assert d["free_dims"] == ["batch", "seq"] and d["default_binding"] == {"batch": 1}
    assert d["bind_hint"] == "--dim batch=1 --dim seq=N"
    f = d["total_formula"]
    assert f["dims"] == ["batch", "seq"] and f["verified"] is True and f["degrees"] == [1, 1]
    assert f["fields"]["flops"] == {"text": "28*batch*seq", "terms": [{"exponents": [1, 1], "coefficient": 28}]}
    assert f["fields"]["read_bytes"]["terms"] == [{"exponents": [1, 1], "coefficient": 16},
                                                  {"exponents": [0, 0], "coefficient": 64}]


def test_unknown_dim_names_are_errors_that_list_the_real_ones(tmp_path):
    m = _matmul(tmp_path, ["batch", "seq"])
    msg = "--dim seqq: the model has no dim of that name (its symbolic dims: batch, seq)"
    r = cli(m, "--dim", "seqq=1")
    assert r.exit_code == 2 and r.stderr == f"onnx-cost: error: {msg}\n"
    with pytest.raises(onnx_cost.BindingError, match=r"seqq: the model has no dim"):
        onnx_cost.analyze(m, dims={"seqq": 1})
    r = cli(m, "--sweep", "seqq=1,2")
    assert r.exit_code == 2 and "--sweep seqq: the model has no dim of that name" in r.stderr


@pytest.mark.parametrize("shape", ["[2,3]", "2,3", "2x3", "[2, 3]"])
def test_input_shape_forms_are_the_same(tmp_path, shape):
    m = _matmul(tmp_path, ["batch", "seq"])
    assert cli(m, "--csv", "--input", f"x={shape},4").stdout == cli(m, "--csv", "--input", "x=2x3x4").stdout \
        if "[" not in shape else True
    r = cli(m, "--json", "--input", f"x={shape.replace(']', ',4]') if '[' in shape else shape + ',4'}")
    assert json.loads(r.stdout)["total"]["macs"] == 96  # 2·3 rows × 4 outputs × 4


def test_dim_binding_reaches_value_info_and_outputs(tmp_path):
    # an op no rule knows, whose output type only value_info declares: [batch, 4]; a Relu reads it
    g = h.make_graph([h.make_node("Custom", ["x"], ["t"], domain="my.ops"), h.make_node("Relu", ["t"], ["y"])], "g",
                     [h.make_tensor_value_info("x", T.FLOAT, ["batch", 4])],
                     [h.make_tensor_value_info("y", T.FLOAT, ["batch", 4])],
                     value_info=[h.make_tensor_value_info("t", T.FLOAT, ["batch", 4])])
    path = tmp_path / "vi.onnx"
    onnx.save(h.make_model(g, opset_imports=[h.make_opsetid("", 17), h.make_opsetid("my.ops", 1)]), path)
    r = onnx_cost.analyze(path, dims={"batch": 3})
    assert "batch" not in r.missing_dims
    relu = next(n for n in r.nodes if n.op_type == "Relu")
    assert relu.status == "counted" and relu.cost.flops == 12  # 3·4 compares


def test_unnamed_input_dims_point_to_input(tmp_path):
    r = cli(_matmul(tmp_path, [None]))  # skl2onnx's X: [?, 4]
    assert r.exit_code == 0
    assert "  bind it: --input x=N,4" in r.stdout.splitlines()


def test_shape_unknown_nodes_are_summarized_unless_nodes(tmp_path):
    r = cli(_matmul(tmp_path, [None]), columns=200)
    assert "  shape_unknown: 1 node(s); by op type: MatMul 1" in r.stdout
    assert "shape_unknown /enc/mm/MatMul (MatMul)" not in r.stdout
    assert "  shape_unknown /enc/mm/MatMul (MatMul):" in cli(_matmul(tmp_path, [None]), "--nodes", columns=200).stdout


def test_strided_shapes_fall_back_labelled(tmp_path):
    w = nh.from_array(np.zeros((1, 1, 1, 1), np.float32), "w")
    g = h.make_graph([h.make_node("Conv", ["x", "w"], ["y"], name="c", strides=[2, 2])], "g",
                     [h.make_tensor_value_info("x", T.FLOAT, [1, 1, "h", 8])],
                     [h.make_tensor_value_info("y", T.FLOAT, None)], [w])
    path = tmp_path / "conv.onnx"
    onnx.save(h.make_model(g, opset_imports=[h.make_opsetid("", 17)]), path)
    r = cli(str(path), columns=200)
    assert "free dims: h (not a polynomial in them (strides, ceil): totals at no binding, unbound dims uncounted)" \
        in r.stdout
    assert "PARTIAL" in r.stdout


def test_usage_errors(tmp_path):
    m = _matmul(tmp_path, ["batch"])
    r = cli(m, "--top", "-3")
    assert r.exit_code == 2 and "--top" in r.stderr


def test_strict_is_honored_under_sweep_and_formula(tmp_path):
    m = _matmul(tmp_path, [None, "seq"])  # an unnamed dim: never countable by --dim
    r = cli(m, "--formula", "--strict")
    assert r.exit_code == 1, r.stderr
    assert r.stderr.startswith("onnx-cost: --strict: some node(s) not counted at ")
    # a sweep's rows are numbers: the unnamed dim must be bound first (one line, exit 2)
    r = cli(m, "--sweep", "seq=2,3", "--strict")
    assert r.exit_code == 2 and "--input x=SHAPE" in r.stderr, r.stderr


# -- the report never destroys data ------------------------------------------------------


def test_o_through_a_symlink_to_the_model_is_refused(tmp_path):
    m = _matmul(tmp_path, ["batch"])
    before = Path(m).read_bytes()
    link = tmp_path / "out.csv"
    link.symlink_to(m)
    r = cli(m, "--csv", "-o", str(link))
    assert r.exit_code == 2
    assert r.stderr == f"onnx-cost: error: -o {link}: that is the model file itself; refused (nothing written)\n"
    assert Path(m).read_bytes() == before
    os.link(m, tmp_path / "hard.onnx")
    assert cli(m, "-o", str(tmp_path / "hard.onnx")).exit_code == 2


def test_o_on_external_data_is_refused(tmp_path):
    w = nh.from_array(np.ones((64, 64), np.float32), "w")
    g = h.make_graph([h.make_node("MatMul", ["x", "w"], ["y"])], "g", [h.make_tensor_value_info("x", T.FLOAT, [1, 64])],
                     [h.make_tensor_value_info("y", T.FLOAT, [1, 64])], [w])
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 17)])
    path = tmp_path / "ext.onnx"
    onnx.save(m, path, save_as_external_data=True, location="w.bin", size_threshold=0)
    data = (tmp_path / "w.bin").read_bytes()
    r = cli(str(path), "--csv", "-o", str(tmp_path / "w.bin"))
    assert r.exit_code == 2 and "that is the model's external data file w.bin; refused" in r.stderr
    assert (tmp_path / "w.bin").read_bytes() == data


def test_o_dash_is_stdout(tmp_path):
    m = _matmul(tmp_path, ["batch"])
    assert cli(m, "--csv", "-o", "-").stdout == cli(m, "--csv").stdout


def test_ctrl_c_exits_130_with_one_line_and_no_partial_file(tmp_path, monkeypatch):
    import onnx_cost.analyzer as analyzer

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(analyzer, "analyze", interrupted)  # where every output's analysis runs
    out = tmp_path / "cost.csv"
    r = cli(_matmul(tmp_path, [2]), "--csv", "-o", str(out))
    assert r.exit_code == 130 and r.stderr == "onnx-cost: interrupted\n"
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx"]


def test_closed_stdout_is_exit_141_without_traceback(tmp_path):
    # the reader goes away (as `| head -1` does) before the analysis of 300 nodes ends
    nodes = [h.make_node("Relu", [f"t{i}"], [f"t{i + 1}"], name=f"r{i}") for i in range(300)]
    g = h.make_graph(nodes, "g", [h.make_tensor_value_info("t0", T.FLOAT, [1, 4])],
                     [h.make_tensor_value_info("t300", T.FLOAT, [1, 4])])
    path = tmp_path / "chain.onnx"
    onnx.save(h.make_model(g, opset_imports=[h.make_opsetid("", 17)]), path)
    p = subprocess.Popen([EXE, str(path), "--csv"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.stdout is not None and p.stderr is not None
    p.stdout.close()
    err = p.stderr.read().decode()
    assert p.wait(timeout=120) == 141 and err == ""


# -- the Python API ------------------------------------------------------------------------


def test_analyze_accepts_paths_pathlike_protos_and_bytes(tmp_path):
    m = _matmul(tmp_path, [2])
    proto = onnx.load(m)
    results = [onnx_cost.analyze(x).total.macs for x in (m, Path(m), proto, proto.SerializeToString())]
    assert results == [32] * 4  # 2 rows × 4 outputs × 4
    with pytest.raises(onnx_cost.NotOnnxError):
        onnx_cost.analyze(b"PK\x03\x04" + b"\0" * 60)


def test_api_signature_repr_and_exports(tmp_path):
    params = inspect.signature(onnx_cost.analyze).parameters
    assert list(params)[:5] == ["model", "inputs", "dims", "rules", "bind"]
    assert "os.PathLike" in (onnx_cost.analyze.__doc__ or "")
    r = onnx_cost.analyze(_matmul(tmp_path, [2]))
    # 2 rows × 4 outputs × 7 = 56 FLOPs, 32 MACs, 16 params
    assert repr(r) == f"<Report {str(tmp_path / 'm.onnx')!r}: 56 FLOPs, 32 MACs, 16 params, 1/1 nodes counted or zero-compute>"
    assert json.loads(r.to_json()) == r.to_dict() and r.to_dict()["total"]["macs"] == 32
    assert (Path(onnx_cost.__file__).parent / "py.typed").exists()
    assert {"analyze", "sweep", "formula", "BindingError"} <= set(onnx_cost.__all__)


def test_to_dataframe_needs_pandas_only_when_called(tmp_path, monkeypatch):
    r = onnx_cost.analyze(_matmul(tmp_path, [2]))
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="needs pandas"):
        r.to_dataframe()


def test_to_dataframe_with_pandas(tmp_path):
    pd = pytest.importorskip("pandas")
    df = onnx_cost.analyze(_matmul(tmp_path, [2])).to_dataframe()
    assert isinstance(df, pd.DataFrame) and list(df["macs"]) == [32]


def test_a_folder_says_how_many_models_it_holds(tmp_path):
    _matmul(tmp_path, [2], "a.onnx")
    _matmul(tmp_path, [2], "b.onnx")
    r = cli(str(tmp_path))
    assert r.exit_code == 2
    assert "is a directory holding 2 ONNX model(s)" in r.stderr and "a.onnx" not in r.stderr


def test_csv_of_a_dynamic_model_counts_at_the_default_binding_and_says_so():
    """The everyday call on a model with a free batch dim counts what the table shows."""
    r = cli(str(FIXTURES / "tiny_mlp.onnx"), "--csv")
    assert r.exit_code == 0, r.stderr
    row = next(csv.DictReader(io.StringIO(r.stdout)))
    # /fc1/MatMul at batch=1: [1,16] x [16,16] -> 16 outputs of a 16-term dot product:
    # 16 x 16 = 256 MACs, 16 x (16 mul + 15 add) = 496 FLOPs
    assert (row["node"], row["inputs"], row["status"], row["macs"], row["flops"]) == (
        "/fc1/MatMul", "1x16;16x16", "counted", "256", "496")
    assert r.stderr == "onnx-cost: note: counted at batch=1 by the default binding (bind: --dim batch=1)\n"


def test_csv_names_the_dims_it_cannot_bind():
    r = cli(str(FIXTURES / "tiny_attention.onnx"), "--csv")
    assert r.exit_code == 0
    assert r.stderr == ("onnx-cost: note: seq free: rows that need it are shape_unknown "
                        "(bind: --dim seq=N)\n")
    statuses = {row["status"] for row in csv.DictReader(io.StringIO(r.stdout))}
    assert "shape_unknown" in statuses
