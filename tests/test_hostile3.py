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
    assert sorted(f.name for f in tmp_path.iterdir()) == ["m.onnx"]  # no calibration saved either


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


# -- 4. nodes missing their inputs, or fed a scalar where a tensor belongs ----------------


def _lone(op: str, n_inputs: int, rank: int | None, domain: str = "", version: int = 1,
          outputs: int = 1, **attrs: object) -> onnx.ModelProto:
    """One ``op`` node reading ``n_inputs`` float graph inputs of rank ``rank`` (4 each dim;
    None: no inputs at all)."""
    from onnx import TensorProto as T

    names = [f"i{k}" for k in range(n_inputs)] if rank is not None else []
    ins = [helper.make_tensor_value_info(n, T.FLOAT, [4] * (rank or 0)) for n in names]
    outs = [f"o{k}" for k in range(outputs)]
    node = helper.make_node(op, names, outs, domain=domain, name="n", **attrs)
    g = helper.make_graph([node], "g", ins, [helper.make_tensor_value_info(o, T.FLOAT, None) for o in outs])
    opsets = [helper.make_opsetid("", 21)] + ([helper.make_opsetid(domain, version)] if domain else [])
    return helper.make_model(g, opset_imports=opsets, ir_version=10)


@pytest.mark.parametrize(("model", "detail"), [
    (_lone("Gather", 0, None), "Gather (opset 21) needs input 0 'data', which the node does not give (0 input(s))"),
    (_lone("Slice", 0, None), "Slice (opset 21) needs input 0 'data', which the node does not give (0 input(s))"),
    (_lone("Slice", 2, 1), "Slice (opset 21) needs input 2 'ends', which the node does not give (2 input(s))"),
    (_lone("CastLike", 0, None), "CastLike (opset 21) needs input 0 'input', which the node does not give (0 input(s))"),
    (_lone("Sum", 0, None), "Sum (opset 21) needs at least 1 input(s) from position 0, the node gives 0"),
    (_lone("Relu", 3, 1), "Relu (opset 21) takes at most 1 input(s), the node gives 3"),
    (_lone("LinearRegressor", 1, 0, "ai.onnx.ml", 5),
     "input 0 of ai.onnx.ml::LinearRegressor has rank 0 (shape []); it needs rank 1 or more"),
    (_lone("LinearClassifier", 1, 0, "ai.onnx.ml", 5, outputs=2, coefficients=[1.0, 2.0], classlabels_ints=[0, 1]),
     "input 0 of ai.onnx.ml::LinearClassifier has rank 0 (shape []); it needs rank 1 or more"),
    (_lone("TreeEnsembleRegressor", 1, 0, "ai.onnx.ml", 3),
     "input 0 of ai.onnx.ml::TreeEnsembleRegressor has rank 0 (shape []); it needs rank 1 or more"),
    (_lone("MultiHeadAttention", 3, 0, "com.microsoft"),
     "input 0 of com.microsoft::MultiHeadAttention has rank 0 (shape []); it needs rank 3 or more"),
    (_lone("MultiHeadAttention", 3, 1, "com.microsoft"),
     "input 0 of com.microsoft::MultiHeadAttention has rank 1 (shape [4]); it needs rank 3 or more"),
    (_lone("TransposeMatMul", 2, 0, "com.microsoft"),
     "input 0 of com.microsoft::TransposeMatMul has rank 0 (shape []); it needs rank 1 or more"),
    (_lone("MultiHeadAttention", 0, None, "com.microsoft"),
     "com.microsoft::MultiHeadAttention needs input 0 'query', which the node does not give (0 input(s))"),
], ids=lambda x: x if isinstance(x, str) and len(x) < 30 else None)
def test_signature_violations_are_invalid_nodes(tmp_path: Path, model: onnx.ModelProto, detail: str) -> None:
    import json

    p = tmp_path / "m.onnx"
    onnx.save(model, str(p))
    code, err, out = cli(str(p), "--json")
    assert code == 0 and err == "", err
    node = json.loads(out)["nodes"][0]
    assert (node["status"], node["detail"]) == ("invalid", detail)
    code, err, _ = cli(str(p), "--strict")
    assert code == 1 and err == f"onnx-cost: --strict: 1 node(s) not counted ({node['op_type']})\n"
    assert sorted(f.name for f in tmp_path.iterdir()) == ["m.onnx"]


@pytest.mark.parametrize("counts", [(1, 3, 1, 3), (3, 1, 3, 1)])
def test_an_op_judged_by_its_input_count_is_judged_per_node(counts: tuple[int, ...]) -> None:
    """The pass judges Relu's arity once per input count: each node still gets its own
    verdict, whichever count it meets first (1 input: counted, 4 compares; 3: invalid)."""
    from onnx import TensorProto as T

    import onnx_cost

    nodes = [helper.make_node("Relu", ["x"] * n, [f"y{k}"], name=f"r{k}") for k, n in enumerate(counts)]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", T.FLOAT, [4])],
                          [helper.make_tensor_value_info(f"y{k}", T.FLOAT, None) for k in range(len(counts))])
    r = onnx_cost.analyze(helper.make_model(g, opset_imports=[helper.make_opsetid("", 21)], ir_version=10))
    assert [(x.status, x.flops) for x in r.nodes] == [
        ("counted", 4) if n == 1 else ("invalid", 0) for n in counts]
    assert {x.detail for x in r.nodes if x.status == "invalid"} == {
        "Relu (opset 21) takes at most 1 input(s), the node gives 3"}


def test_tree_ensemble_without_n_targets_is_invalid() -> None:
    import onnx_cost

    m = _lone("TreeEnsembleRegressor", 1, 2, "ai.onnx.ml", 3)
    r = onnx_cost.analyze(m)
    assert [(x.status, x.detail) for x in r.nodes] == [
        ("invalid", "TreeEnsembleRegressor 'n': attribute 'n_targets' is missing")]


def test_every_registered_op_survives_missing_scalar_and_extra_inputs() -> None:
    """No registered op's shape function or rule raises on a node with no inputs, with
    scalar inputs, or with every input absent (""): each is counted, invalid or unknown."""
    from onnx import defs

    import onnx_cost
    from onnx_cost.errors import OnnxCostError
    from onnx_cost.rules import load_all
    from onnx_cost.rules._contrib_schema import SCHEMAS
    from onnx_cost.rules.registry import REGISTRY

    load_all()
    versions = {"ai.onnx.ml": 5, "ai.onnx.preview.training": 1, "ai.onnx.preview": 1}
    checked = 0
    for (domain, op), _ in sorted(REGISTRY.items()):
        if op in ("Loop", "If", "Scan") and domain == "":
            continue  # their bodies are required attributes: their own tests build them
        try:
            n_in = len(defs.get_schema(op, versions.get(domain, 21), domain).inputs)
        except Exception:  # a contrib op: its inputs from our table
            n_in = len(SCHEMAS[(domain, op)].inputs) if (domain, op) in SCHEMAS else 3
        for rank in (None, 0):
            m = _lone(op, max(n_in, 1), rank, domain, versions.get(domain, 1))
            try:
                r = onnx_cost.analyze(m)
            except OnnxCostError:
                continue
            assert r.nodes[0].status in ("counted", "zero", "invalid", "shape_unknown", "uncounted"), op
            checked += 1
    assert checked > 2 * 250


# -- 5. non-ASCII and huge numbers in --dim, --input and --sweep --------------------------

BIG = "9" * 5000
_CUT = "9" * 20 + "...(5000 characters)"


@pytest.mark.parametrize(("args", "line"), [
    (["--dim", "b=²"], "--dim b=²: the value must be a non-negative integer (ASCII digits)"),
    (["--dim", "b=١٢"], "--dim b=١٢: the value must be a non-negative integer (ASCII digits)"),
    (["--dim", f"b={BIG}"], f"--dim b={_CUT}: the value is past 2^63-1, the largest ONNX dim"),
    (["--dim", "b=9223372036854775808"], "--dim b=9223372036854775808: the value is past 2^63-1, the largest ONNX dim"),
    (["--input", "x=²x4"], "dim '²' in shape '²x4': the value must be a non-negative integer (ASCII digits)"),
    (["--input", f"x=1x{BIG}"], f"dim '{_CUT}' in shape '1x{'9' * 58}...(5002 characters)': the value is past"
                                " 2^63-1, the largest ONNX dim"),
    (["--sweep", "b=1,²"], "--sweep b=1,²: the value must be a non-negative integer (ASCII digits)"),
])
def test_dims_and_shapes_take_ascii_int64_only(tmp_path: Path, args: list[str], line: str) -> None:
    p = tmp_path / "m.onnx"
    onnx.save(_matmul(), str(p))
    code, err, out = cli(str(p), *args)
    assert (code, err, out) == (2, f"onnx-cost: error: {line}\n", "")
    if args[0] == "--dim":  # diff and batch read --dim the same way, before any model
        for cmd in (["diff", str(p), str(p)], ["batch", str(p)]):
            code, err, out = cli(*cmd, *args, "-o", str(tmp_path / "r.txt"))
            assert (code, err, out) == (2, f"onnx-cost: error: {line}\n", ""), cmd
    assert sorted(f.name for f in tmp_path.iterdir()) == ["m.onnx"]


def test_api_shapes_take_ascii_int64_only() -> None:
    from onnx_cost import api
    from onnx_cost.errors import BindingError

    with pytest.raises(BindingError, match=r"^dim '²' in shape '2x²': the value must be a non-negative integer"):
        api.parse_shape("2x²")
    assert api.parse_shape(f"1x{2**63 - 1}") == (1, 2**63 - 1)


# -- 6. external data offsets past 2^63, in another script's digits, 5,000 digits long ----


@pytest.mark.parametrize("offset", [str(2**63), "²", "9" * 5000])
def test_external_offset_past_int64_is_a_warning(tmp_path: Path, offset: str) -> None:
    import json

    import numpy as np
    from onnx import numpy_helper

    shape = numpy_helper.from_array(np.array([4], dtype=np.int64), "s")  # Reshape's target: read when small
    shape.data_location, _ = onnx.TensorProto.EXTERNAL, shape.ClearField("raw_data")
    for k, v in (("location", "w.bin"), ("offset", offset), ("length", "8")):
        e = shape.external_data.add()
        e.key, e.value = k, v
    m = make_model([helper.make_node("Reshape", ["x", "s"], ["y"], name="r")], [("x", "float32", [2, 2])],
                   [("y", "float32", None)], [shape])
    onnx.save(m, str(tmp_path / "m.onnx"))
    (tmp_path / "w.bin").write_bytes(np.array([4], dtype=np.int64).tobytes())
    code, err, out = cli(str(tmp_path / "m.onnx"), "--json")
    assert code == 0 and err == "", err
    assert json.loads(out)["warnings"] == [
        "'w.bin': offset/length not a non-negative integer below 2^63 (1 tensor: 's'); "
        "weights are not needed for the counts"]
    assert sorted(f.name for f in tmp_path.iterdir()) == ["m.onnx", "w.bin"]


# -- 7. -o and --plot names past the file system's 255 bytes ------------------------------


@pytest.mark.parametrize("flag", ["-o", "--plot", "diff -o", "batch -o"])
def test_output_names_past_255_bytes(tmp_path: Path, flag: str) -> None:
    p = tmp_path / "m.onnx"
    onnx.save(_matmul(), str(p))
    name = str(tmp_path / ("é" * 150 + ".svg"))  # 304 bytes in UTF-8, 154 characters
    args = {"-o": [str(p), "-o", name], "--plot": [str(p), "--device", "h100", "--plot", name],
            "diff -o": ["diff", str(p), str(p), "-o", name], "batch -o": ["batch", str(p), "-o", name]}[flag]
    code, err, out = cli(*args)
    shown = name[:60] + f"...({len(name)} characters)"
    assert (code, err, out) == (2, f"onnx-cost: error: {shown}: a file name of 304 bytes, past the 255 a file "
                                   "system allows\n", "")
    deep = str(tmp_path / "/".join(["d" * 200] * 21) / "r.svg")  # 4,200 bytes of path
    code, err, _ = cli(*[deep if a == name else a for a in args])
    one_error(code, err, 2, f"the path is {len(deep.encode())} bytes long, past the 4095 a path may have")
    assert sorted(f.name for f in tmp_path.iterdir()) == ["m.onnx"]


# -- 8, 9, 19. hostile --device files: huge, tiny, deep, dotted, FIFO, /dev/zero ----------

DEVICE = 'name = "X"\n[peaks]\nfp32 = {value}\n[memory]\nbandwidth = {bw}\ncapacity = 1\n'


@pytest.mark.parametrize(("text", "line"), [
    (DEVICE.format(value="1e308", bw=100), "peaks.fp32: 1e+308 is outside the sane range 1e-06 to 1e+09 T op/s"),
    (DEVICE.format(value=10, bw="1.7e308"),
     "memory.bandwidth: 1.7e+308 is outside the sane range 1e-06 to 1e+09 GB/s"),
    (DEVICE.format(value="9" * 400, bw=100),
     "peaks.fp32: an integer of 400 digits is outside the sane range 1e-06 to 1e+09 T op/s"),
    (DEVICE.format(value="5e-324", bw=100),  # 19: tiny figures
     "peaks.fp32: 4.94066e-324 is outside the sane range 1e-06 to 1e+09 T op/s"),
    (DEVICE.format(value=10, bw="5e-324"),
     "memory.bandwidth: 4.94066e-324 is outside the sane range 1e-06 to 1e+09 GB/s"),
    (DEVICE.format(value=10, bw=100) + "[memory2]\n" if False else DEVICE.format(value=10, bw=100).replace(
        "capacity = 1", "capacity = 1e-30"), "memory.capacity: 1e-30 is outside the sane range 1e-09 to 1e+09 GB"),
    ('name = "X"\nz = ' + "[" * 2000 + "]" * 2000 + "\n",
     "arrays or tables nest 2000 levels deep; a device file needs 3 (at most 16)"),
    ('name = "X"\nz = ' + "{a = " * 300 + "1" + "}" * 300 + "\n",
     "arrays or tables nest 300 levels deep; a device file needs 3 (at most 16)"),
    (".".join(["a"] * 100_000) + " = 1\n", "99999 dotted key parts; a device file needs a few (at most 256)"),
    ('name = "a.b.c"\n# x.y.z\n' + DEVICE.format(value=1.5, bw=100).split("\n", 1)[1] + "a" * (300 * 1024),
     f"{300 * 1024 + 68} bytes, past the 262144 a device file may have"),
])
def test_hostile_device_files(tmp_path: Path, text: str, line: str) -> None:
    import time

    p = tmp_path / "m.onnx"
    onnx.save(_matmul(), str(p))
    dev = tmp_path / "d.toml"
    dev.write_text(text)
    if "bytes, past" in line:
        line = f"{dev.stat().st_size} bytes, past the 262144 a device file may have"
    start = time.monotonic()
    for args in ([str(p), "--device", str(dev)], [str(p), "--device", str(dev), "--plot", str(tmp_path / "r.svg")],
                 ["devices", str(dev)]):
        code, err, out = cli(*args)
        assert (code, err, out) == (2, f"onnx-cost: error: {dev}: {line}\n", ""), args
    assert time.monotonic() - start < 10  # the 100,000-part key took 30 s and 3.4 GB before
    assert sorted(f.name for f in tmp_path.iterdir()) == ["d.toml", "m.onnx"]


def test_device_file_in_range_still_loads(tmp_path: Path) -> None:
    dev = tmp_path / "d.toml"
    dev.write_text(DEVICE.format(value="1e-6", bw="1e9"))  # the range's own ends
    from onnx_cost.views.hardware.devices import load_device

    d = load_device(str(dev))
    assert d.peak("fp32") == 1e-6 * 1e12 and d.bandwidth_bytes_per_s == 1e9 * 1e9


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "directory"])
def test_device_file_that_is_not_a_regular_file(tmp_path: Path, kind: str) -> None:
    p = tmp_path / "m.onnx"
    onnx.save(_matmul(), str(p))
    dev = tmp_path / "d.toml"
    if kind == "fifo":
        os.mkfifo(dev)  # opening it to read would wait for a writer for ever
    elif kind == "dev-zero":
        os.symlink("/dev/zero", dev)  # never ends: 3.7 GB, then MemoryError, before
    else:
        dev.mkdir()
    code, err, out = cli(str(p), "--device", str(dev))
    if kind == "directory":
        assert (code, err, out) == (2, f"onnx-cost: error: {dev}: is a directory; a device file is a .toml file\n", "")
    else:
        assert (code, err, out) == (2, f"onnx-cost: error: {dev}: not a regular file (a device, FIFO or socket); "
                                       "a device file is a .toml file\n", "")
    assert sorted(f.name for f in tmp_path.iterdir()) == ["d.toml", "m.onnx"]


# -- 10. --measure with a huge bound input ------------------------------------------------


def test_measure_refuses_inputs_past_memory_before_allocating(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("onnxruntime")
    # an empty calibration cache, as on a fresh machine: the refusal comes before --device
    # local is measured (it printed a calibration line and took tens of seconds first)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    if not hasattr(os, "sysconf"):
        pytest.skip("this system does not say its memory size")
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    m = make_model([helper.make_node("Relu", ["x"], ["y"], name="r")], [("x", "float32", ["n", "n"])],
                   [("y", "float32", ["n", "n"])])
    p = tmp_path / "m.onnx"
    onnx.save(m, str(p))
    n = 2**20  # x is n*n = 2^40 floats: drawn as float64 (8 B) then cast (4 B): 13.2 TB
    code, err, out = cli(str(p), "--measure", "--dim", f"n={n}")
    need = n * n * (4 + 8)
    assert (code, out) == (2, "")
    assert err == (f"onnx-cost: error: --measure: the random inputs need {need / 1e9:.3g} GB ('x' the most), "
                   f"more than half of this machine's {memory / 1e9:.3g} GB; bind smaller dims with --dim or --input\n")
    assert sorted(f.name for f in tmp_path.iterdir()) == ["m.onnx"]


# -- 11. batch '**' over symlink loops ----------------------------------------------------


def test_batch_glob_does_not_follow_symlink_loops(tmp_path: Path) -> None:
    import subprocess
    import sys

    zoo = tmp_path / "zoo"
    (zoo / "a" / "b").mkdir(parents=True)
    onnx.save(_matmul(), str(zoo / "a" / "b" / "m.onnx"))
    onnx.save(_matmul(), str(zoo / "top.onnx"))
    for link, target in (("a/b/up", ".."), ("a/b/up2", "../.."), ("self", "."), ("a/loop", "../a")):
        os.symlink(target, zoo / link)
    r = subprocess.run([sys.executable, "-m", "onnx_cost", "batch", f"{zoo}/**/*.onnx", "--csv", "-j", "1"],
                       capture_output=True, text=True, timeout=120)  # glob.glob's '**' never ended here
    assert (r.returncode, r.stderr) == (0, "")
    rows = [line.split(",")[:2] for line in r.stdout.splitlines()[1:]]
    assert rows == [[f"{zoo}/a/b/m.onnx", "ok"], [f"{zoo}/top.onnx", "ok"]]
    assert sorted(os.listdir(zoo)) == ["a", "self", "top.onnx"]


# -- 12. millions of empty metadata_props ------------------------------------------------


@pytest.mark.parametrize("where", ["ModelProto", "GraphProto", "NodeProto"])
def test_metadata_props_past_the_limit_are_refused(tmp_path: Path, where: str) -> None:
    import time

    m = _matmul()
    n = 10**7 if where == "ModelProto" else 200_001  # 10^7 empty entries: a valid 20 MB model
    # an empty entry is 2 or 3 bytes: its field tag and a zero length (built as bytes: 10^7 appends are slow)
    if where == "ModelProto":
        data = m.SerializeToString() + b"\x72\x00" * n  # ModelProto.metadata_props = 14
    elif where == "GraphProto":
        m.graph.CopyFrom(onnx.GraphProto.FromString(m.graph.SerializeToString() + b"\x82\x01\x00" * n))  # 16
        data = m.SerializeToString()
    else:
        node = onnx.NodeProto.FromString(m.graph.node[0].SerializeToString() + b"\x4a\x00" * n)  # field 9
        m.graph.node[0].CopyFrom(node)
        data = m.SerializeToString()
    p = tmp_path / "m.onnx"
    p.write_bytes(data)
    start = time.process_time()
    code, err, out = cli(str(p), "--csv")
    assert (code, out) == (2, "")
    assert err == (f"onnx-cost: error: a {where} holds {n:,} metadata_props entries, more than the 100,000 "
                   "onnx-cost reads; refused\n")
    assert time.process_time() - start < 15  # 26 s and 2.3 GB before, for 10^7
    assert sorted(f.name for f in tmp_path.iterdir()) == ["m.onnx"]


# -- 13. plugin rules that misbehave on a node ---------------------------------------------

_RULE = ('from onnx_cost.rules import Cost, rule\n\n\n@rule("Relu", domain="", override=True)\ndef r(view):\n'
         '    """A test rule."""\n    {body}\n')
_PLUGIN_CASES = [
    ('raise ValueError("boom\\x1b[31m")', "raised ValueError: boom\\x1b[31m at node 'relu'"),
    ("return None", "returned NoneType, not a Cost, at node 'relu'"),
    ("return 5", "returned int, not a Cost, at node 'relu'"),
    ('return {"macs": 1}', "returned dict, not a Cost, at node 'relu'"),
    ('return "x"', "returned str, not a Cost, at node 'relu'"),
    ('return Cost(arith=float("nan"))', "returned Cost(arith=nan) at node 'relu': counts are non-negative integers"),
    ('return Cost(arith=float("inf"))', "returned Cost(arith=inf) at node 'relu': counts are non-negative integers"),
    ("return Cost(arith=2.5)", "returned Cost(arith=2.5) at node 'relu': counts are non-negative integers"),
    ("return Cost(macs=-1)",
     "returned Cost(macs=a negative integer) at node 'relu': counts are non-negative integers"),
    ("raise SystemExit(7)", "raised SystemExit: 7 at node 'relu'"),
]


def _relu_model(tmp_path: Path) -> Path:
    m = make_model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [("x", "float32", [2, 4])],
                   [("y", "float32", [2, 4])])
    p = tmp_path / "m.onnx"
    onnx.save(m, str(p))
    return p


@pytest.mark.parametrize(("body", "line"), _PLUGIN_CASES)
def test_misbehaving_plugin_rule_is_the_plugins_fault(tmp_path: Path, body: str, line: str) -> None:
    import onnx_cost
    from onnx_cost.analyzer.plugins import PluginError
    from onnx_cost.rules import load_all
    from onnx_cost.rules.registry import REGISTRY

    load_all()
    p = _relu_model(tmp_path)
    rules = tmp_path / "rules.py"
    rules.write_text(_RULE.format(body=body))
    saved = REGISTRY[("", "Relu")]
    try:
        for fmt in ("--json", "--csv", "--format=table"):
            code, err, out = cli(str(p), "--rules", str(rules), fmt)
            assert (code, err, out) == (2, f"onnx-cost: error: --rules {rules}: the rule of Relu {line}\n", ""), fmt
        with pytest.raises(PluginError) as e:
            onnx_cost.analyze(str(p), rules=[str(rules)])
        assert str(e.value) == f"--rules {rules}: the rule of Relu {line}"
    finally:
        REGISTRY[("", "Relu")] = saved  # the override is process-wide
    assert sorted(f.name for f in tmp_path.iterdir() if f.suffix != ".pyc" and f.name != "__pycache__") == [
        "m.onnx", "rules.py"]


def test_plugin_rule_with_exact_huge_and_numpy_counts_is_valid(tmp_path: Path) -> None:
    import json

    from onnx_cost.rules import load_all
    from onnx_cost.rules.registry import REGISTRY

    load_all()
    p = _relu_model(tmp_path)
    rules = tmp_path / "rules.py"
    rules.write_text(_RULE.format(body="import numpy as np\n    return Cost(arith=np.int64(4), compare=10**400)"))
    saved = REGISTRY[("", "Relu")]
    try:
        code, err, out = cli(str(p), "--rules", str(rules), "--json")
        assert code == 0 and err == "", err
        assert json.loads(out)["total"]["flops"] == 4 + 10**400  # exact, and valid JSON
        code, err, out = cli(str(p), "--rules", str(rules))
        assert code == 0 and err == "" and "1e+400" in out, err
    finally:
        REGISTRY[("", "Relu")] = saved


# -- 14. SystemExit and other BaseExceptions in a rules file --------------------------------


@pytest.mark.parametrize(("body", "line"), [
    ("raise SystemExit(0)", "SystemExit: 0"),
    ("raise SystemExit(7)", "SystemExit: 7"),
    ('raise SystemExit("bye\\x1b]0;pwned\\x07")', "SystemExit: bye\\x1b]0;pwned\\x07"),
    ("class E(BaseException):\n    pass\nraise E('x')", "E: x"),
    ("raise GeneratorExit", "GeneratorExit"),
])
def test_base_exceptions_in_a_rules_file(tmp_path: Path, body: str, line: str) -> None:
    import onnx_cost
    from onnx_cost.analyzer.plugins import PluginError

    p = _relu_model(tmp_path)
    rules = tmp_path / "rules.py"
    rules.write_text(body + "\n")
    code, err, out = cli(str(p), "--rules", str(rules))
    assert (code, err, out) == (2, f"onnx-cost: error: --rules {rules}: {line} while loading the file\n", "")
    with pytest.raises(PluginError, match=r"while loading the file$"):
        onnx_cost.analyze(str(p), rules=[str(rules)])


# -- 15. a node name 1,000 levels deep ----------------------------------------------------


def test_a_node_name_1000_levels_deep(tmp_path: Path) -> None:
    import json

    m = make_model([helper.make_node("Relu", ["x"], ["y"], name="/a" * 1000 + "/Relu")], [("x", "float32", [2])],
                   [("y", "float32", [2])])
    p = tmp_path / "m.onnx"
    onnx.save(m, str(p))
    for args in (["--by", "module"], ["--by", "module", "--depth", "5000"], ["--format", "markdown"],
                 ["--format", "html"], ["diff", str(p)]):
        code, err, out = cli(*(["diff", str(p), str(p)] if args[0] == "diff" else [str(p), *args]))
        assert code == 0 and err == "", (args, err)
    code, err, out = cli(str(p), "--json")
    node = json.loads(out)["nodes"][0]
    # 63 levels as written, the other 937 kept as one: the scope text is the name's, whole
    assert node["scope_path"] == ["a"] * 63 + ["/".join(["a"] * 937)]
    assert node["scope"] == "/a" * 1000
    assert sorted(f.name for f in tmp_path.iterdir()) == ["m.onnx"]


# -- 16. the Python API with arguments of the wrong type ----------------------------------

_API_CASES = [
    ("analyze", {"inputs": 5}, "inputs must be a mapping of input name to shape, not int"),
    ("analyze", {"inputs": [("x", (2, 4))]}, "inputs must be a mapping of input name to shape, not list"),
    ("analyze", {"inputs": {"x": 5}}, "inputs['x'] must be a shape (a sequence of ints and dim names, "
                                      "or '1x3x224x224'), not int"),
    ("analyze", {"inputs": {"x": (2, None)}}, "inputs['x'] must be a shape (a sequence of ints and dim names, "
                                              "or '1x3x224x224'), not tuple"),
    ("analyze", {"inputs": {5: (2, 4)}}, "inputs: an input name must be a str, not int"),
    ("analyze", {"dims": 5}, "dims must be a mapping of dim name to int, not int"),
    ("analyze", {"dims": {"b": "x"}}, "dims['b'] must be an int, not str"),
    ("analyze", {"dims": {"b": 1.5}}, "dims['b'] must be an int, not float"),
    ("analyze", {"dims": {"b": True}}, "dims['b'] must be an int, not bool"),
    ("analyze", {"dims": {5: 1}}, "dims: a dim name must be a str, not int"),
    ("analyze", {"rules": 5}, "rules must be a path or a list of paths, not int"),
    ("analyze", {"rules": [None]}, "rules must hold paths (str or os.PathLike), not NoneType"),
    ("sweep", {"dim": 5, "values": [1]}, "dim must be a dim name (str), not int"),
    ("sweep", {"dim": "b", "values": 5}, "values must be a sequence of ints, not int"),
    ("sweep", {"dim": "b", "values": ["x"]}, "values must hold ints, not str"),
    ("formula", {"over": 5}, "over must be a dim name or a sequence of them, not int"),
    ("formula", {"over": [1]}, "over must hold dim names (str), not int"),
]


@pytest.mark.parametrize(("func", "kwargs", "message"), _API_CASES)
def test_api_wrong_types_are_type_errors_naming_the_argument(func: str, kwargs: dict, message: str) -> None:
    import re

    import onnx_cost

    m = make_model([helper.make_node("Relu", ["x"], ["y"], name="r")], [("x", "float32", ["b", 4])],
                   [("y", "float32", ["b", 4])])
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$") as e:
        getattr(onnx_cost, func)(m, **kwargs)
    # raised at the boundary: the last frame is the public module's, not the package's insides
    import traceback

    assert traceback.extract_tb(e.value.__traceback__)[-1].filename.endswith("onnx_cost/api.py")


def test_api_takes_numpy_ints_for_dims_and_shapes() -> None:
    import numpy as np

    import onnx_cost

    m = make_model([helper.make_node("Relu", ["x"], ["y"], name="r")], [("x", "float32", ["b", 4])],
                   [("y", "float32", ["b", 4])])
    r = onnx_cost.analyze(m, dims={"b": np.int64(3)})
    assert r.total.flops == 3 * 4  # one compare per element
    r = onnx_cost.analyze(m, inputs={"x": (np.int64(5), 4)})
    assert r.total.flops == 5 * 4


# -- 17. DEL and C1 controls in HTML --------------------------------------------------------


def test_html_carries_no_raw_del_or_c1_control(tmp_path: Path) -> None:
    import json
    import re

    name = "relu\x7f\x85\x9b[31m\u202e"  # DEL, NEL, CSI (the 8-bit ESC [), a bidi override
    m = make_model([helper.make_node("Relu", ["x"], ["y"], name=name)], [("x", "float32", [2])],
                   [("y", "float32", [2])])
    p = tmp_path / "m.onnx"
    onnx.save(m, str(p))
    out_file = tmp_path / "r.html"
    code, err, out = cli(str(p), "--format", "html", "-o", str(out_file))
    assert (code, err, out) == (0, "", "")
    page = out_file.read_text(encoding="utf-8")
    assert re.search(r"[\x7f-\x9f\u202e]", page) is None
    data = page.split('id="onnx-cost-data">', 1)[1].split("</script>", 1)[0]
    shown = "relu\\x7f\\x85\\x9b[31m\\u202e"  # as the terminal table shows it: escapes as text
    assert json.dumps(shown)[1:-1] in data and name not in json.dumps(json.loads(data), ensure_ascii=False)
    assert sorted(f.name for f in tmp_path.iterdir()) == ["m.onnx", "r.html"]


# -- 18. the --sweep header and a dim name holding ESC --------------------------------------


def test_sweep_header_escapes_the_dim_name(tmp_path: Path) -> None:
    dim = "b\x1b[31m"
    m = make_model([helper.make_node("Relu", ["x"], ["y"], name="r")], [("x", "float32", [dim, 4])],
                   [("y", "float32", [dim, 4])])
    p = tmp_path / "m.onnx"
    onnx.save(m, str(p))
    for fmt in ([], ["--csv"], ["--device", "h100"]):
        code, err, out = cli(str(p), "--sweep", f"{dim}=1,2", *fmt)
        assert code == 0 and err == "", (fmt, err)
        assert "\x1b" not in out and "b\\x1b[31m" in out, fmt
    code, _, out = cli(str(p), "--sweep", f"{dim}=1,2")
    assert out.splitlines()[0].split() == ["b\\x1b[31m", "FLOPs", "MACs", "memory", "params", "exponent"]
    assert out.splitlines()[-1] == "exponent: d log(FLOPs) / d log(b\\x1b[31m) between consecutive rows (2 = quadratic)"
    assert sorted(f.name for f in tmp_path.iterdir()) == ["m.onnx"]
