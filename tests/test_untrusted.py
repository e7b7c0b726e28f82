"""Strings from a model file are untrusted: every human-facing output shows them literally,
control characters escaped, no markup interpreted; CSV escapes and defuses them; JSON keeps
them exactly."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import onnx
import pytest
from onnx import TensorProto, helper
from typer.testing import CliRunner

from onnx_cost.cli import app
from onnx_cost.text import csv_text, escape, shorten

# ANSI CSI (clear screen), OSC (set the terminal title, ended by BEL), rich markup, DEL, C1 CSI
EVIL = "\x1b[2J\x1b]0;pwned\x07[/b]\x7f\x9b"
SHOWN = "\\x1b[2J\\x1b]0;pwned\\x07[/b]\\x7f\\x9b"  # what a human sees
RAW = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # any control character but newline
runner = CliRunner()


@pytest.fixture(scope="module")
def evil(tmp_path_factory) -> str:
    relu = helper.make_node("Relu", ["in" + EVIL], ["mid"], name="relu" + EVIL)
    relu.metadata_props.add(key="k" + EVIL, value="v" + EVIL)
    bad = helper.make_node("Bad" + EVIL, ["mid"], ["y"], name="=cmd|" + EVIL, domain="evil.ops")
    g = helper.make_graph([relu, bad], "g", [helper.make_tensor_value_info("in" + EVIL, TensorProto.FLOAT, [2, 3])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("evil.ops", 1)])
    m.metadata_props.add(key="author" + EVIL, value="x" + EVIL)
    path = tmp_path_factory.mktemp("evil") / "evil.onnx"
    onnx.save(m, path)
    return str(path)


def test_escape_and_csv_text():
    assert escape("a" + EVIL) == "a" + SHOWN
    assert escape("tab\there\u202e") == "tab\\x09here\\u202e"  # a bidi override too
    assert escape("日本/layer") == "日本/layer"  # printable text is untouched
    assert csv_text("=1+2") == "'=1+2" and csv_text("-x") == "'-x" and csv_text("@a") == "'@a"
    assert csv_text("+a") == "'+a" and csv_text("a=b") == "a=b"
    assert csv_text("\tx") == "\\x09x" and csv_text("\rx") == "\\x0dx"  # escaped, no longer a formula start
    assert csv_text("a\\b") == "a\\\\b"  # backslash doubled: the escaped form decodes exactly


@pytest.mark.parametrize("args", [[], ["--nodes"], ["--top", "1"], ["--sort", "bytes"]])
def test_table_shows_names_escaped_and_markup_literally(evil, args):
    r = runner.invoke(app, [evil, *args], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.stderr
    assert not RAW.search(r.stdout)
    assert f"  uncounted evil.ops::Bad{SHOWN}: 1 node(s) (no rule for evil.ops::Bad{SHOWN})\n" in r.stdout
    assert f"relu{SHOWN}" in r.stdout and f"in{SHOWN} 2x3 float32" in r.stdout
    assert "[/b]" in r.stdout  # markup shown, not interpreted


def test_table_at_80_columns_still_has_no_raw_control(evil):
    r = runner.invoke(app, [evil], env={"COLUMNS": "80"})
    assert r.exit_code == 0 and not RAW.search(r.stdout)
    ours = [line for line in r.stdout.splitlines() if not line.startswith("convention:")]  # conventions' line
    assert max(len(line) for line in ours) <= 80


def test_csv_escapes_defuses_and_round_trips(evil):
    r = runner.invoke(app, [evil, "--csv"])
    assert r.exit_code == 0 and not RAW.search(r.stdout.replace("\r\n", "\n"))
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    csv_shown = SHOWN  # our escapes carry no backslash of the name: nothing doubled
    assert rows[0]["node"] == "relu" + csv_shown
    assert rows[1]["node"] == "'=cmd|" + csv_shown  # a formula start gets a leading '
    assert rows[1]["op_type"] == "Bad" + csv_shown
    assert rows[0]["inputs"] == "2x3"
    line = r.stdout.splitlines()[2]
    assert line.startswith(f"'=cmd|{SHOWN},Bad{SHOWN},evil.ops,")

    def decode(cell: str) -> str:
        cell = cell[1:] if cell.startswith("'") else cell
        return re.sub(r"\\(\\|x[0-9a-f]{2}|u[0-9a-f]{4})",
                      lambda m: "\\" if m.group(1) == "\\" else chr(int(m.group(1)[1:], 16)), cell)

    assert decode(rows[1]["node"]) == "=cmd|" + EVIL and decode(rows[0]["op_type"]) == "Relu"


def test_json_keeps_the_exact_strings(evil):
    r = runner.invoke(app, [evil, "--json"])
    assert r.exit_code == 0 and not RAW.search(r.stdout)  # JSON's own \\u escapes
    d = json.loads(r.stdout)
    assert d["nodes"][0]["name"] == "relu" + EVIL
    assert d["nodes"][1]["op_type"] == "Bad" + EVIL
    assert d["model"]["inputs"][0]["name"] == "in" + EVIL
    assert d["nodes"][0]["metadata"] == {"k" + EVIL: "v" + EVIL}
    assert "\\u001b[2J\\u001b]0;pwned\\u0007[/b]\\u007f\\u009b" in r.stdout


def test_errors_on_stderr_are_escaped(evil):
    r = runner.invoke(app, [evil, "--input", "nope=1x2"])
    assert r.exit_code == 2 and not RAW.search(r.stderr)
    assert r.stderr == f"onnx-cost: error: --input nope: the model has no such input (inputs: in{SHOWN})\n"


def test_a_path_with_brackets_prints_whole(tmp_path: Path, evil):
    p = tmp_path / "[draft]model.onnx"
    p.write_bytes(Path(evil).read_bytes())
    r = runner.invoke(app, [str(p)], env={"COLUMNS": "200"})
    assert r.stdout.startswith(f"{p}  opset 17  inputs:")


def test_shorten_keeps_the_distinctive_tail():
    name = "/encoder/layer.11/attention/self/query/MatMul"
    assert shorten(name, 36) == "/encoder/…/self/query/MatMul"  # whole components, the tail kept
    assert shorten(name, 100) == name
    a, b = shorten("/a/very/long/prefix/layer.1/MatMul", 20), shorten("/a/very/long/prefix/layer.2/MatMul", 20)
    assert a != b and a.endswith("layer.1/MatMul") and len(a) <= 20


def test_diff_csv_escapes_and_defuses_model_text(evil, tmp_path):
    # the key column (op type, module, node name) carries model text like the node CSV
    plain = helper.make_node("Relu", ["in" + EVIL], ["y"], name="=cmd|" + EVIL)
    g = helper.make_graph([plain], "g", [helper.make_tensor_value_info("in" + EVIL, TensorProto.FLOAT, [2, 3])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    other = tmp_path / "other.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), other)
    r = runner.invoke(app, ["diff", evil, str(other), "--csv"])
    assert r.exit_code == 0, r.stderr
    assert not RAW.search(r.stdout.replace("\r\n", "\n"))
    keys = {(row["section"], row["key"]) for row in csv.DictReader(io.StringIO(r.stdout))}
    assert ("op_type", "evil.ops::Bad" + SHOWN) in keys  # only in the before model: a row of its own
    assert not any(k.startswith(("=", "+", "-", "@")) for _, k in keys)
    assert any(k.startswith("'=cmd|") for s, k in keys if s == "node")  # defused, as in the node CSV


def test_batch_csv_escapes_and_defuses_path_producer_and_error():
    """A model path or producer starting with '=' gets a leading quote; a control byte in
    an error message is written as \\x1b (backslash escape), never raw."""
    from onnx_cost.render.batch import to_csv
    from onnx_cost.runners.batch import ModelRow

    ok = ModelRow(path="=cmd().onnx", status="ok", producer="@evil 1.0")
    bad = ModelRow(path="b.onnx", status="error", error="bad \x1b[2J name")
    rows = list(csv.DictReader(io.StringIO(to_csv([ok, bad]))))
    assert rows[0]["path"] == "'=cmd().onnx"
    assert rows[0]["producer"] == "'@evil 1.0"
    assert rows[1]["error"] == "bad \\x1b[2J name"
    assert "\x1b" not in to_csv([ok, bad])
