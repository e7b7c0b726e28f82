"""The --by, diff and batch tables are the default table's plain text (analyzer.text):
model strings escaped, fitted to COLUMNS; the batch progress bar is our own, on stderr;
onnx-cost imports no rich."""

from __future__ import annotations

import ast
import io
import re
from pathlib import Path

import onnx
from onnx import TensorProto, helper
from typer.testing import CliRunner

from onnx_cost.cli import app
from onnx_cost.render import batch as batch_render
from onnx_cost.runners.batch import ModelRow

ROOT = Path(__file__).resolve().parent.parent
# ANSI CSI, OSC ended by BEL, markup, DEL, C1 CSI; no '/', which would split a scope path
EVIL = "\x1b[2J\x1b]0;pwned\x07[b]\x7f\x9b"
SHOWN = "\\x1b[2J\\x1b]0;pwned\\x07[b]\\x7f\\x9b"
RAW = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # any control character but newline
runner = CliRunner()


def evil_model(tmp_path: Path) -> str:
    """One Relu named and scoped with control characters, its input's batch dim too."""
    relu = helper.make_node("Relu", ["x"], ["y"], name=f"/blk{EVIL}/relu{EVIL}")
    dim = "batch" + EVIL
    g = helper.make_graph([relu], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [dim, 3])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [dim, 3])])
    path = tmp_path / "evil.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), path)
    return str(path)


def test_by_diff_and_batch_tables_escape_model_strings(tmp_path):
    m = evil_model(tmp_path)
    for args in ([m, "--by", "node"], [m, "--by", "module"], [m, "--by", "op"], ["diff", m, m],
                 ["batch", m, "-j", "1"]):
        r = runner.invoke(app, args, env={"COLUMNS": "200"})
        assert r.exit_code == 0, r.output
        assert not RAW.search(r.stdout), args
        if args[1] != "--by" or args[2] != "op":
            assert SHOWN in r.stdout, args  # the name (or, in batch, the dim) shown escaped, whole
    assert f"batch{SHOWN}=1*" in runner.invoke(app, ["batch", m, "-j", "1"], env={"COLUMNS": "200"}).stdout


def test_batch_table_drops_columns_and_keeps_errors_whole():
    ok = ModelRow("models/a.onnx", "ok", totals=dict.fromkeys(("flops", "macs", "params"), 1), precision={"fp32": 1})
    bad = ModelRow("models/b.onnx", "error", "models/b.onnx: not an ONNX model: looks like text " + "x" * 80)
    wide = batch_render.to_table([ok, bad], width=200)
    assert "precision" in wide and "fp32=1" in wide
    assert "precision" not in batch_render.to_table([ok, bad], width=60)  # dropped first
    narrow = batch_render.to_table([ok, bad], width=50)
    assert max(len(line) for line in narrow.splitlines()) <= 50
    assert "params" not in narrow and "MACs" not in narrow and "FLOPs" in narrow  # then params, MACs
    errors = narrow[narrow.index("Errors"):]
    assert "x" * 50 in errors.replace("\n", "").replace(" ", "")  # the message whole, wrapped


def test_progress_bar_is_one_redrawn_line():
    out = io.StringIO()
    bar = batch_render.ProgressBar(True, delay=0, stream=out, every=0)
    bar(1, 4)
    bar(4, 4)
    bar.close()
    frames = out.getvalue().split("\r")[1:]
    # 30 cells, 30·1//4 = 7 of them done; the last frame blanks the 10 columns of ', eta 0:00'
    assert frames[0] == "[" + "#" * 7 + "-" * 23 + "] 1/4 models, 0:00, eta 0:00"
    assert frames[1] == "[" + "#" * 30 + "] 4/4 models, 0:00" + " " * 10 + "\n"
    quiet = io.StringIO()
    off = batch_render.ProgressBar(False, delay=0, stream=quiet)
    off(1, 2)
    off.close()
    assert quiet.getvalue() == ""


def test_rich_is_neither_imported_nor_a_dependency():
    for f in (ROOT / "onnx_cost").rglob("*.py"):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not any(n == "rich" or n.startswith("rich.") for n in names), f
    deps = (ROOT / "pyproject.toml").read_text(encoding="utf-8").split("dependencies = [", 1)[1].split("]", 1)[0]
    assert "rich" not in deps


def test_progress_bar_keeps_its_width_on_a_terminal_of_unknown_size(monkeypatch):
    import os

    class Tty(io.StringIO):
        def fileno(self) -> int:
            return 2

    monkeypatch.setattr(os, "get_terminal_size", lambda fd: os.terminal_size((0, 24)))  # a pty that says 0
    out = Tty()
    bar = batch_render.ProgressBar(True, delay=0, stream=out, every=0)
    bar(1, 7)
    bar(7, 7)
    # taken as 80 columns: the full 30 cells in both frames, 30·1//7 = 4 of them done first
    first, last = out.getvalue().split("\r")[1:]
    assert first.startswith("[" + "#" * 4 + "-" * 26 + "] 1/7") and last.startswith("[" + "#" * 30 + "] 7/7")


def test_diff_node_list_leaves_out_an_empty_what_changed_column():
    fix = ROOT / "fixtures"
    r = runner.invoke(app, ["diff", str(fix / "tiny_cnn.onnx"), str(fix / "tiny_resnet_dynamo.onnx")],
                      env={"COLUMNS": "200"})
    assert ", 0 changed, " in r.stdout and "what changed" not in r.stdout
    # Softmax over D = 10 classes: arith 3D − 1 = 29, exps D = 10, compares D − 1 = 9: 48 FLOPs, no MACs
    assert re.search(r"^  removed  /Softmax\s+Softmax\s+-48\s+0$", r.stdout, re.M)
