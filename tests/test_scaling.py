"""--sweep and --formula: totals as functions of the symbolic dims.

Every polynomial below is derived by hand from the shapes (MatMul of [M,K]·[K,N]:
M·N outputs, each a dot of K terms: K MACs, 2K − 1 FLOPs), then compared with what
the command prints and with direct analyses at points off the fitting grid.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from typer.testing import CliRunner

import onnx_cost
from onnx_cost.cli import app
from onnx_cost.model.report import Totals
from onnx_cost.symbolic.scaling import Polynomial, formula, sweep, symbolic_dims

runner = CliRunner()
F = TensorProto.FLOAT


def _save(tmp_path: Path, name: str, nodes, inputs, inits=()) -> str:
    g = helper.make_graph(nodes, "g", inputs, [helper.make_tensor_value_info(nodes[-1].output[0], F, None)], list(inits))
    path = tmp_path / f"{name}.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)]), path)
    return str(path)


@pytest.fixture
def matmul(tmp_path) -> str:
    """x[batch,16] · W[16,16]."""
    w = numpy_helper.from_array(np.zeros((16, 16), np.float32), "w")
    return _save(tmp_path, "matmul", [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
                 [helper.make_tensor_value_info("x", F, ["batch", 16])], [w])


@pytest.fixture
def matmul3(tmp_path) -> str:
    """x[batch,seq,16] · W[16,16]."""
    w = numpy_helper.from_array(np.zeros((16, 16), np.float32), "w")
    return _save(tmp_path, "matmul3", [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
                 [helper.make_tensor_value_info("x", F, ["batch", "seq", 16])], [w])


def _attention(tmp_path: Path, softmax: bool) -> str:
    """q[batch,seq,64] · k[batch,64,seq] -> (Softmax) -> · v[batch,seq,64]."""
    nodes = [helper.make_node("MatMul", ["q", "k"], ["s"], name="qk")]
    if softmax:
        nodes.append(helper.make_node("Softmax", ["s"], ["p"], name="softmax", axis=-1))
    nodes.append(helper.make_node("MatMul", ["p" if softmax else "s", "v"], ["o"], name="pv"))
    inputs = [
        helper.make_tensor_value_info("q", F, ["batch", "seq", 64]),
        helper.make_tensor_value_info("k", F, ["batch", 64, "seq"]),
        helper.make_tensor_value_info("v", F, ["batch", "seq", 64]),
    ]
    return _save(tmp_path, "attention_sm" if softmax else "attention", nodes, inputs)


@pytest.fixture
def attention(tmp_path) -> str:
    return _attention(tmp_path, softmax=False)


def attention_flops(b: int, s: int) -> int:
    # q·k: b·s·s outputs × (2·64 − 1) = 127·b·s²; p·v: b·s·64 outputs × (2s − 1) = 128·b·s² − 64·b·s
    return 255 * b * s * s - 64 * b * s


def cli(*args: str):
    r = runner.invoke(app, list(args))
    return r


# -- --formula -------------------------------------------------------------------------


def test_formula_of_a_matmul_by_hand(matmul):
    r = cli(matmul, "--formula")
    assert r.exit_code == 0, r.output
    lines = dict(line.split(" = ", 1) for line in r.stdout.splitlines() if " = " in line)
    assert lines["flops"] == "496·batch"  # 16 outputs per row × (2·16 − 1) = 496 per row
    assert lines["macs"] == "256·batch"  # 16 outputs × 16 terms
    assert lines["params"] == "256"  # W: 16·16
    assert lines["read_bytes"] == "64·batch + 1024"  # x: 16·batch·4, W: 256·4
    assert lines["write_bytes"] == "64·batch"  # y: 16·batch·4
    assert lines["int_ops"] == "0"
    assert "checked against direct evaluation" in r.stdout


def test_formula_json_of_a_matmul(matmul):
    r = cli(matmul, "--formula", "--json")
    assert r.exit_code == 0, r.output
    f = json.loads(r.stdout)["formula"]
    assert f["dims"] == ["batch"] and f["verified"] is True and f["partial"] is False
    assert f["totals"]["flops"]["text"] == "496*batch"
    assert f["totals"]["flops"]["terms"] == [{"coefficient": 496, "powers": {"batch": 1}}]
    assert f["totals"]["read_bytes"]["terms"] == [
        {"coefficient": 1024, "powers": {}},
        {"coefficient": 64, "powers": {"batch": 1}},
    ]


def test_formula_in_two_dims_is_quadratic_in_seq(attention):
    r = cli(attention, "--formula")
    assert r.exit_code == 0, r.output
    lines = dict(line.split(" = ", 1) for line in r.stdout.splitlines() if " = " in line)
    assert lines["flops"] == "255·batch·seq^2 - 64·batch·seq"  # attention_flops
    assert lines["macs"] == "128·batch·seq^2"  # 64·b·s² per product
    # reads: q, k (64·b·s each), s (b·s²), v (64·b·s), 4 bytes: 4·b·s² + 768·b·s
    assert lines["read_bytes"] == "4·batch·seq^2 + 768·batch·seq"
    # writes: s (b·s²) and o (64·b·s): 4·b·s² + 256·b·s
    assert lines["write_bytes"] == "4·batch·seq^2 + 256·batch·seq"


def test_formula_agrees_with_direct_analysis_off_the_grid(attention):
    proto = onnx.load(attention)
    f = formula(lambda p: onnx_cost.analyze(proto, dims=p), ["batch", "seq"])
    assert f.verified and f.degree == 2
    for b, s in ((3, 100), (1, 1000), (7, 33), (0, 5)):
        direct = onnx_cost.analyze(attention, dims={"batch": b, "seq": s}).total
        assert direct.flops == attention_flops(b, s)
        assert f.polys["flops"]({"batch": b, "seq": s}) == direct.flops
        assert f.polys["macs"]({"batch": b, "seq": s}) == direct.macs == 128 * b * s * s



def _counted(model) -> tuple[list[dict[str, int]], object]:
    calls: list[dict[str, int]] = []

    def at(p):
        calls.append(dict(p))
        return onnx_cost.analyze(model, dims=p)

    return calls, at


def test_formula_takes_its_grid_from_the_tensor_shapes(attention):
    # s = q·k is [batch, seq, seq]: two of its dims move with seq, one with batch, so the
    # grid is batch in {2, 3} x seq in {2, 3, 4} (6 analyses) and one check at batch = 2 + 1 + 2,
    # seq = 2 + 2 + 2 + 1: 7 analyses, none along each dim beyond the grid
    calls, at = _counted(onnx.load(attention))
    f = formula(at, ["batch", "seq"])
    assert f.verified and f.degrees == (1, 2) and f.grids == [[2, 3], [2, 3, 4]]
    assert f.evaluations == len(calls) == 7 and {"batch": 5, "seq": 7} in calls
    assert f.polys["flops"].to_str() == "255·batch·seq^2 - 64·batch·seq"  # attention_flops


def test_a_degree_no_tensor_shows_is_found_by_finite_differences(tmp_path):
    # y = ConstantOfShape(Shape(x) * Shape(x)) is [seq^2]: one dim, of degree 2 in seq. Its
    # Relu's seq^2 FLOPs (one per element) miss the line the shapes suggest through seq = 2, 3
    # at the check seq = 2 + 1 + 2 = 5; then the degree comes from seq = 2, 3, 4, 5, the grid
    # is {2, 3, 4} and the check seq = 2 + 2 + 2 = 6: 5 analyses, the analyses at 2, 3, 5 reused
    nodes = [helper.make_node("Shape", ["x"], ["sh"], name="shape"),
             helper.make_node("Mul", ["sh", "sh"], ["sq"], name="square"),
             helper.make_node("ConstantOfShape", ["sq"], ["y"], name="fill"),
             helper.make_node("Relu", ["y"], ["z"], name="relu")]
    calls, at = _counted(onnx.load(_save(tmp_path, "square", nodes, [helper.make_tensor_value_info("x", F, ["seq"])])))
    f = formula(at, ["seq"])
    assert f.verified and f.degrees == (2,) and f.grids == [[2, 3, 4]]
    assert [c["seq"] for c in calls] == [2, 3, 5, 4, 6] and f.evaluations == 5
    assert f.polys["flops"].to_str() == "seq^2"

def test_formula_with_a_dim_bound_by_name(attention):
    r = cli(attention, "--formula", "--dim", "batch=2")
    assert r.exit_code == 0, r.output
    lines = dict(line.split(" = ", 1) for line in r.stdout.splitlines() if " = " in line)
    assert lines["flops"] == "510·seq^2 - 128·seq"  # attention_flops(2, s) = 2·255·s² − 2·64·s
    assert "exact in seq;" in r.stdout


def test_formula_with_an_input_bound_by_shape(matmul3):
    # --input x=2xseqx16: batch fixed to 2 through the input, seq left symbolic.
    r = cli(matmul3, "--formula", "--input", "x=2xseqx16", "--json")
    assert r.exit_code == 0, r.output
    f = json.loads(r.stdout)["formula"]
    # 2·seq rows × 16 outputs × (2·16 − 1) = 992·seq FLOPs
    assert f["totals"]["flops"]["text"] == "992*seq"
    assert f["totals"]["macs"]["text"] == "512*seq"  # 2·seq·16 outputs × 16


def test_formula_dims_leave_out_dims_bound_by_input(matmul3):
    r = cli(matmul3, "--formula", "--input", "x=2xseqx16", "--json")
    assert json.loads(r.stdout)["formula"]["dims"] == ["seq"]


def test_formula_with_every_dim_bound_is_a_usage_error(matmul):
    r = cli(matmul, "--formula", "--dim", "batch=1")
    assert r.exit_code == 2
    assert "nothing symbolic" in r.output


def test_strided_shapes_are_not_polynomial_and_say_so(tmp_path):
    # Conv 1x1, stride 2 over x[1,1,h,8]: Hout = ⌊(h − 1)/2⌋ + 1, a floor: no polynomial fits.
    w = numpy_helper.from_array(np.zeros((1, 1, 1, 1), np.float32), "w")
    path = _save(tmp_path, "conv", [helper.make_node("Conv", ["x", "w"], ["y"], name="c", strides=[2, 2])],
                 [helper.make_tensor_value_info("x", F, [1, 1, "h", 8])], [w])
    r = cli(path, "--formula", "--json")
    assert r.exit_code == 0, r.output
    f = json.loads(r.stdout)["formula"]
    assert f["verified"] is False and "not a polynomial" in f["note"]
    text = cli(path, "--formula").stdout
    assert "NOT verified" in text


# -- formula() and Polynomial on synthetic totals ---------------------------------------


def _fake(fn):
    """An analyze callback whose flops are fn(point) and whose other totals are 0."""
    return lambda p: SimpleNamespace(total=Totals(arith=fn(p)), partial=False)  # flops = arith here


def test_formula_recovers_a_cubic_exactly():
    f = formula(_fake(lambda p: 3 * p["n"] ** 3 - 2 * p["n"] + 7), ["n"])
    assert f.verified and f.degree == 3
    assert f.polys["flops"].to_str() == "3·n^3 - 2·n + 7"


def test_formula_keeps_rational_coefficients():
    # n(n + 1)/2 = (1/2)·n² + (1/2)·n: exact fractions, never floats
    f = formula(_fake(lambda p: p["n"] * (p["n"] + 1) // 2), ["n"])
    assert f.polys["flops"].terms == {(2,): Fraction(1, 2), (1,): Fraction(1, 2)}
    assert f.polys["flops"].to_str() == "(1/2)·n^2 + (1/2)·n"


def test_formula_mixed_terms_in_three_dims():
    f = formula(_fake(lambda p: 5 * p["a"] * p["b"] * p["c"] + p["a"] ** 2 + 11), ["a", "b", "c"])
    assert f.verified
    assert f.polys["flops"].to_str() == "5·a·b·c + a^2 + 11"


def test_formula_gives_up_past_the_maximum_degree():
    f = formula(_fake(lambda p: 2 ** p["n"]), ["n"], max_degree=4)
    assert not f.verified and "not a polynomial" in f.note


def test_formula_refuses_no_dims_and_too_many():
    with pytest.raises(ValueError):
        formula(_fake(lambda p: 0), [])
    with pytest.raises(ValueError):
        formula(_fake(lambda p: 0), ["a", "b", "c", "d"])


def test_polynomial_json_terms():
    p = Polynomial(("b", "s"), {(1, 2): Fraction(255), (1, 1): Fraction(-64)})
    assert p({"b": 2, "s": 10}) == 255 * 2 * 100 - 64 * 2 * 10
    assert p.to_str("*") == "255*b*s^2 - 64*b*s"
    assert p.as_json() == [
        {"coefficient": -64, "powers": {"b": 1, "s": 1}},
        {"coefficient": 255, "powers": {"b": 1, "s": 2}},
    ]


def test_symbolic_dims_in_order_of_appearance(attention):
    assert symbolic_dims(onnx.load(attention)) == ["batch", "seq"]


# -- --sweep ---------------------------------------------------------------------------


def test_sweep_rows_and_exponents_by_hand(attention):
    r = cli(attention, "--sweep", "seq=128,256,1024", "--dim", "batch=1", "--json")
    assert r.exit_code == 0, r.output
    sw = json.loads(r.stdout)["sweep"]
    assert sw["dim"] == "seq"
    rows = sw["rows"]
    assert [row["value"] for row in rows] == [128, 256, 1024]
    assert [row["flops"] for row in rows] == [attention_flops(1, s) for s in (128, 256, 1024)]
    assert rows[0]["flops_exponent"] is None
    # exponent = log(f(v)/f(u)) / log(v/u) between consecutive rows
    for prev, row in itertools.pairwise(rows):
        u, v = prev["value"], row["value"]
        want = math.log(attention_flops(1, v) / attention_flops(1, u)) / math.log(v / u)
        assert row["flops_exponent"] == pytest.approx(want, rel=1e-12)
    assert all(not row["partial"] for row in rows)


def test_sweep_attention_exponent_approaches_two(tmp_path):
    path = _attention(tmp_path, softmax=True)
    r = cli(path, "--sweep", "seq=512,1024,2048,4096", "--dim", "batch=1", "--json")
    assert r.exit_code == 0, r.output
    exps = [row["flops_exponent"] for row in json.loads(r.stdout)["sweep"]["rows"][1:]]
    assert all(e > 1.9 for e in exps)
    assert abs(exps[-1] - 2) < 0.01  # the linear terms fade as seq grows


def test_sweep_of_a_linear_dim_has_exponent_one(matmul):
    r = cli(matmul, "--sweep", "batch=1,8,64", "--json")
    rows = json.loads(r.stdout)["sweep"]["rows"]
    assert [row["flops"] for row in rows] == [496, 3968, 31744]  # 496·batch
    assert [row["flops_exponent"] for row in rows[1:]] == [pytest.approx(1.0), pytest.approx(1.0)]


def test_sweep_with_an_input_bound_by_shape(matmul3):
    # batch comes from --input (3), seq from the sweep: 3·seq·16 outputs × 31 = 1488·seq
    r = cli(matmul3, "--input", "x=3xseqx16", "--sweep", "seq=10,20", "--json")
    assert r.exit_code == 0, r.output
    assert [row["flops"] for row in json.loads(r.stdout)["sweep"]["rows"]] == [14880, 29760]


def test_sweep_binds_the_other_dims_by_default(attention):
    # batch is neither bound nor swept: it gets its default binding (1), as in the analysis
    r = cli(attention, "--sweep", "seq=64,128", "--json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)["sweep"]["rows"]
    assert [row["flops"] for row in rows] == [attention_flops(1, 64), attention_flops(1, 128)]
    assert not any(row["partial"] for row in rows)
    assert onnx_cost.sweep(attention, "seq", [64])[0].total.flops == attention_flops(1, 64)  # the library too
    # without the default binding (the engine alone) batch stays free and nothing is counted
    rep = onnx_cost.analyze(attention, dims={"seq": 64}, bind="none")
    assert rep.missing_dims == ["batch"]
    assert {n.status for n in rep.nodes} == {"shape_unknown"}
    assert all("batch" in n.missing for n in rep.nodes)


def test_sweep_csv_and_table(attention):
    r = cli(attention, "--sweep", "seq=8,16", "--dim", "batch=2", "--csv")
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [(row["dim"], row["value"]) for row in rows] == [("seq", "8"), ("seq", "16")]
    assert [int(row["flops"]) for row in rows] == [attention_flops(2, 8), attention_flops(2, 16)]  # 31,616 and 128,512
    assert rows[0]["flops_exponent"] == "" and rows[1]["partial"] == "0"
    table = cli(attention, "--sweep", "seq=8,16", "--dim", "batch=2").stdout
    assert "exponent" in table and "seq" in table


def test_sweep_library_function(attention):
    proto = onnx.load(attention)
    rows = sweep(lambda p: onnx_cost.analyze(proto, dims=p), "seq", [10, 20], {"batch": 3})
    assert [row.total.flops for row in rows] == [attention_flops(3, 10), attention_flops(3, 20)]
    assert rows[0].exponent is None and rows[1].exponent is not None


@pytest.mark.parametrize("arg", ["seq", "seq=", "seq=a,b", "seq=-1"])
def test_sweep_bad_values_are_usage_errors(attention, arg):
    r = cli(attention, "--sweep", arg)
    assert r.exit_code == 2, r.output
