"""Hostile input, round three (issue 25): each class built in memory, asserting the exit
code, the one stderr line and what is left on disk."""

from __future__ import annotations

import os
from pathlib import Path

import onnx
import pytest
from onnx import helper
from typer.testing import CliRunner

from onnx_cost.cli import app

from helpers import init, make_model

runner = CliRunner()


def cli(*args: str) -> tuple[int, str, str]:
    """(exit code, stderr, stdout) of one CLI run in this process."""
    r = runner.invoke(app, list(args))
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        raise r.exception
    return r.exit_code, r.stderr, r.stdout


def one_error(code: int, err: str, expected_code: int, *parts: str) -> None:
    """The run exited with ``expected_code`` and printed one error line holding ``parts``."""
    assert code == expected_code, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("onnx-cost: error: "), err
    for p in parts:
        assert p in lines[0], (p, lines[0])


def _matmul() -> onnx.ModelProto:
    return make_model([helper.make_node("MatMul", ["x", "W"], ["y"], name="mm")],
                      [("x", "float32", [2, 4])], [("y", "float32", [2, 4])], [init("W", "float32", [4, 4])])


# -- 1. --plot never overwrites the model ------------------------------------------------


def test_plot_named_as_the_model_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "m.svg"
    onnx.save(_matmul(), str(p))
    before = p.read_bytes()
    code, err, out = cli(str(p), "--device", "h100", "--plot", str(p))
    one_error(code, err, 2, f"--plot {p}: that is the model file itself; refused (nothing written)")
    assert p.read_bytes() == before and out == ""
    # through '..', a symlink and a hard link
    (tmp_path / "sub").mkdir()
    os.symlink(p, tmp_path / "link.svg")
    os.link(p, tmp_path / "hard.svg")
    for alias in (tmp_path / "sub" / ".." / "m.svg", tmp_path / "link.svg", tmp_path / "hard.svg"):
        code, err, _ = cli(str(p), "--device", "h100", "--plot", str(alias))
        one_error(code, err, 2, "that is the model file itself; refused")
        assert p.read_bytes() == before
    assert sorted(f.name for f in tmp_path.iterdir()) == ["hard.svg", "link.svg", "m.svg", "sub"]


def test_plot_named_as_the_external_data_is_refused(tmp_path: Path) -> None:
    m = _matmul()
    onnx.save(m, str(tmp_path / "m.onnx"), save_as_external_data=True, location="w.svg", size_threshold=0)
    data = (tmp_path / "w.svg").read_bytes()
    code, err, _ = cli(str(tmp_path / "m.onnx"), "--device", "h100", "--plot", str(tmp_path / "w.svg"))
    one_error(code, err, 2, "that is the model's external data file w.svg; refused (nothing written)")
    assert (tmp_path / "w.svg").read_bytes() == data
    assert sorted(f.name for f in tmp_path.iterdir()) == ["m.onnx", "w.svg"]


def test_plot_named_as_the_report_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "m.onnx"
    onnx.save(_matmul(), str(p))
    code, err, _ = cli(str(p), "--device", "h100", "--json", "-o", str(tmp_path / "r.svg"),
                       "--plot", str(tmp_path / "r.svg"))
    one_error(code, err, 2, "that is the -o file too")
    assert sorted(f.name for f in tmp_path.iterdir()) == ["m.onnx"]


# -- 2. a file that shrinks while the failure scan reads it -------------------------------

_SHRINK = """
import sys
import onnx_cost.analyzer.load as L
real = L._varint
def shrinking(data, i):
    open(sys.argv[1], "r+b").truncate(0)  # someone rewrites the file while we read it
    return real(data, i)
L._varint = shrinking
sys.argv = ["onnx-cost", sys.argv[1]]
from onnx_cost.cli import main
main()
"""


def test_file_shrinking_during_the_scan_is_one_line_not_sigbus(tmp_path: Path) -> None:
    import subprocess
    import sys

    p = tmp_path / "m.onnx"
    # a 1 MB field of zeros (field tag 0 inside: the parser refuses it), then a cut field
    p.write_bytes(b"\x3a\x80\x89\x7a" + bytes(2_000_000) + b"\x3a\x05ab")
    r = subprocess.run([sys.executable, "-c", _SHRINK, str(p)], capture_output=True, text=True, timeout=120)
    one_error(r.returncode, r.stderr, 2, f"{p}: the file changed while it was read (is it still being written?)")
    assert p.stat().st_size == 0 and r.stdout == ""


# -- 3. counts past float's range: every renderer shows any int ---------------------------


def nested_loops(depth: int, trips: int = 2**62) -> onnx.ModelProto:
    """``depth`` Loops in one another, each ``trips`` times, around one Add of 4 floats:
    4 * trips**depth FLOPs (a 3 KB file)."""
    from onnx import TensorProto as T

    def vi(n: str, t: int, s: list[int]) -> onnx.ValueInfoProto:
        return helper.make_tensor_value_info(n, t, s)

    body = helper.make_graph([helper.make_node("Identity", ["c"], ["co"], name="id"),
                              helper.make_node("Add", ["x", "x"], ["y"], name="add")], "b0",
                             [vi("i", T.INT64, []), vi("c", T.BOOL, []), vi("x", T.FLOAT, [4])],
                             [vi("co", T.BOOL, []), vi("y", T.FLOAT, [4])])
    for d in range(depth):
        nodes = [helper.make_node("Constant", [], [f"M{d}"], value=helper.make_tensor("v", T.INT64, [], [trips])),
                 helper.make_node("Loop", [f"M{d}", "", "x"], ["y"], name=f"loop{d}", body=body)]
        if d == depth - 1:
            g = helper.make_graph(nodes, "g", [vi("x", T.FLOAT, [4])], [vi("y", T.FLOAT, [4])])
            return helper.make_model(g, opset_imports=[helper.make_opsetid("", 21)], ir_version=10)
        body = helper.make_graph([*nodes, helper.make_node("Identity", ["c"], ["co"], name="id")], f"b{d + 1}",
                                 [vi("i", T.INT64, []), vi("c", T.BOOL, []), vi("x", T.FLOAT, [4])],
                                 [vi("co", T.BOOL, []), vi("y", T.FLOAT, [4])])
    raise AssertionError("depth >= 1")


def test_counts_past_float_range_render_in_every_format(tmp_path: Path) -> None:
    import json

    p = tmp_path / "loops.onnx"
    onnx.save(nested_loops(17), str(p))
    flops = 4 * (2**62) ** 17  # one Add of 4 elements, run (2^62)^17 times: 2^1056 > float's 2^1024
    assert p.stat().st_size < 4000
    code, err, out = cli(str(p), "--json")
    assert code == 0 and err == "", err
    assert json.loads(out)["total"]["flops"] == flops
    code, err, out = cli(str(p), "--csv")
    assert code == 0 and err == "", err
    assert f",{(2**62) ** 17},0,4," in out  # the Add: its weight (the trips of all 17 Loops), 0 MACs, 4 FLOPs
    sci = "7.72e+317"  # 2^1056 = 10^(1056 log10 2) = 10^317.887...: the table's short form
    assert 772 * 10**315 < flops < 773 * 10**315
    for args in ([], ["--by", "module"], ["--by", "op"], ["--nodes"], ["--format", "markdown"],
                 ["--format", "html"], ["--device", "h100"], ["--device", "h100", "--json"]):
        code, err, out = cli(str(p), *args)
        assert code == 0 and err == "", (args, err)
        if args in ([], ["--format", "markdown"]):
            assert sci in out, args
        if args == ["--format", "markdown"]:
            assert f"{flops:,}" in out
    code, err, out = cli("diff", str(p), str(p))
    assert code == 0 and err == "" and "0.0%" in out, err
    code, err, out = cli("batch", str(p))
    assert code == 0 and err == "" and sci in out, err
    assert sorted(f.name for f in tmp_path.iterdir()) == ["loops.onnx"]
