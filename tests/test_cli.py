"""The command line: help, version, the happy paths, file output and error exits."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from onnx_cost.cli import app

ROOT = Path(__file__).resolve().parent.parent
CNN = str(ROOT / "fixtures" / "tiny_cnn.onnx")
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def test_help_lists_every_option_and_the_exit_codes():
    r = run("--help")
    assert r.exit_code == 0
    for opt in ("--csv", "--json", "--output", "--nodes", "--top", "--input", "--dim", "--rules", "--strict", "--debug", "--version"):
        assert opt in r.output
    assert "Exit codes" in r.output


def test_version():
    r = run("--version")
    assert r.exit_code == 0 and r.output.startswith("onnx-cost ")


def test_table_shows_totals_op_types_and_top_nodes():
    r = run(CNN)
    assert r.exit_code == 0, r.output
    assert "Totals" in r.output and "By op type" in r.output and "Top" in r.output
    assert "Conv" in r.output


def test_csv_has_one_row_per_node_and_raw_integers():
    r = run(CNN, "--csv")
    assert r.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert len(rows) == 11  # the fixture has 11 nodes
    for col in ("node", "op_type", "domain", "inputs", "outputs", "dtype", "macs", "flops", "params",
                "param_bytes", "read_bytes", "write_bytes", "status"):
        assert col in rows[0]
    conv = rows[0]
    assert conv["op_type"] == "Conv" and conv["inputs"] == "1x3x32x32;8x3x3x3;8"
    # 8·32·32 outputs × 3·3·3 = 221,184 MACs, no separators
    assert conv["macs"] == "221184"


def test_json_schema_top_level_keys_and_integer_counts():
    r = run(CNN, "--json")
    assert r.exit_code == 0
    d = json.loads(r.stdout)
    for key in ("onnx_cost_version", "model", "total", "by_op_type", "nodes", "uncounted", "coverage"):
        assert key in d
    assert d["model"]["opset"] == 17
    assert d["model"]["inputs"] == [{"name": "x", "dtype": "float32", "shape": [1, 3, 32, 32]}]
    for k, v in d["total"].items():
        assert isinstance(v, int), k


def test_output_file_is_written(tmp_path: Path):
    out = tmp_path / "cost.csv"
    r = run(CNN, "--csv", "-o", str(out))
    assert r.exit_code == 0
    assert r.stdout == ""
    assert out.read_text().startswith("node,op_type,")
    assert [p.name for p in tmp_path.iterdir()] == ["cost.csv"]  # no temp file left behind


@pytest.mark.parametrize(
    "args, code, pattern",
    [
        (["/no/such/model.onnx"], 2, "no such file"),
        ([CNN, "--csv", "--json"], 2, "exclusive"),
        ([CNN, "--input", "nope=1x2"], 2, "no such input"),
        ([CNN, "--input", "x=1x3"], 2, "rank 2 given"),
        ([CNN, "--dim", "batch=two"], 2, "non-negative integer"),
        ([CNN, "--dim", "batch"], 2, "NAME=VALUE"),
        ([CNN, "-o", "/no/such/dir/out.csv"], 2, "does not exist"),
    ],
)
def test_error_exits(args, code, pattern):
    r = run(*args)
    assert r.exit_code == code
    assert pattern in r.stderr
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_not_onnx_names_what_it_looks_like(tmp_path: Path):
    f = tmp_path / "model.onnx"
    f.write_bytes(b"PK\x03\x04" + b"\0" * 64)
    r = run(str(f))
    assert r.exit_code == 2 and "zip" in r.stderr


def test_strict_exits_1_when_a_node_is_not_counted(tmp_path: Path):
    import onnx
    from onnx import TensorProto, helper

    g = helper.make_graph(
        [helper.make_node("Frobnicate", ["x"], ["y"], domain="my.ops")],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])],
    )
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("my.ops", 1)])
    p = tmp_path / "custom.onnx"
    onnx.save(m, p)
    assert run(str(p)).exit_code == 0  # uncounted is reported, not an error
    r = run(str(p), "--strict")
    assert r.exit_code == 1 and "Frobnicate" in r.stderr


def test_rules_plugin_file_counts_a_custom_op(tmp_path: Path):
    import onnx
    from onnx import TensorProto, helper

    g = helper.make_graph(
        [helper.make_node("Twice", ["x"], ["y"], domain="plugin.test")],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 4])],
    )
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("plugin.test", 1)])
    p = tmp_path / "plugin.onnx"
    onnx.save(m, p)
    rules = tmp_path / "my_rules.py"
    rules.write_text(
        "from onnx_cost.rules import rule, Cost\n"
        "@rule('Twice', domain='plugin.test')\n"
        "def twice(view):\n"
        "    '''1 mul per element of the input.'''\n"
        "    return Cost(arith=view.in_numel(0))\n"
    )
    from onnx_cost.rules import REGISTRY

    try:
        r = run(str(p), "--csv", "--rules", str(rules))
    finally:
        REGISTRY.pop(("plugin.test", "Twice"), None)  # leave the registry as other tests expect it
    assert r.exit_code == 0, r.stderr
    row = next(iter(csv.DictReader(io.StringIO(r.stdout))))
    assert row["status"] == "counted" and row["flops"] == "12"  # 3·4 elements × 1 mul


def test_real_subprocess_and_python_m():
    exe = Path(sys.executable).parent / "onnx-cost"
    r = subprocess.run([str(exe), CNN, "--csv"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.startswith("node,")
    r = subprocess.run([sys.executable, "-m", "onnx_cost", "--version"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "onnx-cost" in r.stdout
    r = subprocess.run([str(exe), "/no/such.onnx"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and r.stderr.startswith("onnx-cost: error:") and "Traceback" not in r.stderr
