"""Values the user binds (--value, values=) and Ifs decided by them or by --branch;
an If on runtime data reported as an upper bound (issue 24)."""

from __future__ import annotations

import json

import pytest
from onnx import helper

import onnx_cost
from onnx_cost.errors import BindingError

from helpers import init, make_model, vi


def _sr_model():
    """silero VAD's shape: y = x @ W16 [16, 8] when sr == 16000, else x @ W8 [16, 4]."""
    then_g = helper.make_graph([helper.make_node("MatMul", ["x", "w16"], ["t"], name="mm16")], "then", [],
                               [vi("t", "float32", [1, 8])])
    else_g = helper.make_graph([helper.make_node("MatMul", ["x", "w8"], ["e"], name="mm8")], "else", [],
                               [vi("e", "float32", [1, 4])])
    nodes = [
        helper.make_node("Equal", ["sr", "k16000"], ["is16k"], name="eq"),
        helper.make_node("If", ["is16k"], ["y"], name="/If_sr", then_branch=then_g, else_branch=else_g),
    ]
    inits = [init("w16", "float32", [16, 8]), init("w8", "float32", [16, 4]), init("k16000", "int64", [], 16000)]
    return make_model(nodes, [("x", "float32", [1, 16]), ("sr", "int64", [])], [("y", "float32", None)], inits)


# then: 1x16 by 16x8 = 128 MACs, 8 dots: 2*128 - 8 = 248 FLOPs
# else: 1x16 by 16x4 = 64 MACs, 4 dots: 2*64 - 4 = 124 FLOPs


def test_a_bound_value_decides_the_if():
    r = onnx_cost.analyze(_sr_model(), values={"sr": 16000})
    assert (r.total.macs, r.total.flops) == (128, 248)
    assert r.bound == "exact" and not r.partial and r.data_ifs == []
    r = onnx_cost.analyze(_sr_model(), values={"sr": 8000})
    assert (r.total.macs, r.total.flops) == (64, 124)
    assert r.coverage.not_taken == 1  # mm16, in the branch sr = 8000 never takes
    assert not r.partial


def test_an_if_on_data_is_an_upper_bound_naming_its_condition():
    r = onnx_cost.analyze(_sr_model())
    assert (r.total.macs, r.total.flops) == (128, 248)  # the larger branch
    assert r.bound == "upper" and not r.partial
    (d,) = r.data_ifs
    assert d.name == "/If_sr" and d.counted == "then"
    assert (d.then_cost.macs, d.else_cost.macs) == (128, 64)
    assert "input 'sr'" in d.condition and "Equal" in d.condition
    data = r.to_dict()
    assert data["bound"] == "upper"
    assert data["data_ifs"][0]["bound"] == "upper"
    assert (data["data_ifs"][0]["then"]["macs"], data["data_ifs"][0]["else"]["macs"]) == (128, 64)
    from onnx_cost.render.report import to_table

    text = to_table(r)
    assert "UPPER BOUND: If /If_sr's condition is not known statically (input 'sr' via Equal)" in text
    assert "upper bound" in text.split("coverage:")[1].splitlines()[0]
    assert "upper bound" in repr(r)


def test_branch_decides_an_if_on_data():
    r = onnx_cost.analyze(_sr_model(), branches={"/If_sr": "else"})
    assert (r.total.macs, r.total.flops) == (64, 124)
    assert r.bound == "exact" and r.data_ifs == []
    assert "--branch" in next(n for n in r.nodes if n.op_type == "If").detail


def test_binding_errors_name_what_there_is():
    with pytest.raises(BindingError, match=r"--value nope: the model has no such input \(inputs: sr, x\)"):
        onnx_cost.analyze(_sr_model(), values={"nope": 1})
    with pytest.raises(BindingError, match="does not fit"):
        onnx_cost.analyze(_sr_model(), values={"sr": [1, 2]})
    with pytest.raises(BindingError, match="--branch /If_x: the model has no If node of that name"):
        onnx_cost.analyze(_sr_model(), branches={"/If_x": "then"})
    with pytest.raises(BindingError, match="then or else"):
        onnx_cost.analyze(_sr_model(), branches={"/If_sr": "both"})
    big = make_model([helper.make_node("Relu", ["img"], ["o"])], [("img", "float32", [1, 3, 224, 224])],
                     [("o", "float32", [1, 3, 224, 224])])
    with pytest.raises(BindingError, match="150528-element tensor, not a small value"):
        onnx_cost.analyze(big, values={"img": 3})


def test_a_bound_length_makes_shapes_known():
    # y = ConstantOfShape([n]) -> Unsqueeze -> MatMul by w [1, 8]: n*1*8 MACs once n is known
    nodes = [
        helper.make_node("Reshape", ["n", "one"], ["n1"]),
        helper.make_node("ConstantOfShape", ["n1"], ["z"]),
        helper.make_node("Unsqueeze", ["z", "ax"], ["z2"]),
        helper.make_node("MatMul", ["z2", "w"], ["y"]),
    ]
    inits = [init("one", "int64", [1], [1]), init("ax", "int64", [1], [1]), init("w", "float32", [1, 8])]
    m = make_model(nodes, [("n", "int64", [])], [("y", "float32", None)], inits)
    assert onnx_cost.analyze(m).partial
    r = onnx_cost.analyze(m, values={"n": 10})
    assert not r.partial and r.total.macs == 10 * 1 * 8


def test_untaken_branches_of_a_static_if_never_make_a_report_partial():
    # the else branch has a shape-unknown MatMul (rank unknown) and an invalid Conv: it never runs
    else_g = helper.make_graph(
        [helper.make_node("MatMul", ["u", "w"], ["e0"], name="unknown"),
         helper.make_node("Conv", ["x", "w"], ["e"], name="bad", kernel_shape=[9, 9])],
        "else", [], [vi("e", "float32", None)])
    then_g = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["t"], name="mm")], "then", [],
                               [vi("t", "float32", [2, 4])])
    nodes = [helper.make_node("If", ["c"], ["y"], name="if", then_branch=then_g, else_branch=else_g)]
    inits = [init("w", "float32", [4, 4]), init("c", "bool", [], True)]
    m = make_model(nodes, [("x", "float32", [2, 4]), ("u", "float32", None)], [("y", "float32", [2, 4])], inits)
    r = onnx_cost.analyze(m)
    assert r.coverage.not_taken == 2 and not r.partial and r.bound == "exact"
    assert r.total.macs == 32  # 2x4 by 4x4


def test_cli_value_and_branch(tmp_path):
    import onnx
    from typer.testing import CliRunner

    from onnx_cost.cli import app

    def run_cli(*args):
        return CliRunner().invoke(app, list(args))

    p = tmp_path / "sr.onnx"
    onnx.save(_sr_model(), p)
    res = run_cli(str(p), "--value", "sr=8000", "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["total"]["macs"] == 64 and data["bound"] == "exact"
    res = run_cli(str(p), "--branch", "/If_sr=then", "--json")
    assert json.loads(res.stdout)["total"]["macs"] == 128
    res = run_cli(str(p), "--value", "rate=1")
    assert res.exit_code == 2 and "the model has no such input (inputs: sr, x)" in res.stderr
    res = run_cli(str(p), "--value", "sr=abc")
    assert res.exit_code == 2 and "is not a number" in res.stderr
    res = run_cli(str(p), "--value", "sr=1e400")
    assert res.exit_code == 2 and "is not a finite number" in res.stderr
    res = run_cli(str(p), "--value", "sr=99999999999999999999")
    assert res.exit_code == 2 and "that int64 holds" in res.stderr


def test_the_condition_of_a_nested_if_is_traced_through_the_enclosing_graph():
    # inner If (in the outer If's then branch) on n > 4, where n = the length of x, computed outside
    inner_then = helper.make_graph([helper.make_node("Relu", ["x"], ["a"])], "t", [], [vi("a", "float32", None)])
    inner_else = helper.make_graph([helper.make_node("Neg", ["x"], ["b"])], "e", [], [vi("b", "float32", None)])
    outer_then = helper.make_graph(
        [helper.make_node("If", ["big"], ["i"], name="inner", then_branch=inner_then, else_branch=inner_else)],
        "ot", [], [vi("i", "float32", None)])
    outer_else = helper.make_graph([helper.make_node("Identity", ["x"], ["o"])], "oe", [], [vi("o", "float32", None)])
    nodes = [
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("ReduceSum", ["s"], ["n"], keepdims=0),
        helper.make_node("Greater", ["n", "four"], ["big"]),
        helper.make_node("If", ["c"], ["y"], name="outer", then_branch=outer_then, else_branch=outer_else),
    ]
    m = make_model(nodes, [("x", "float32", ["n"]), ("c", "bool", [])], [("y", "float32", None)],
                   [init("four", "int64", [], 4)])
    r = onnx_cost.analyze(m, bind="none")  # n left unknown
    inner = next(d for d in r.data_ifs if d.name == "inner")
    assert inner.condition == "the shape of 'x' via Greater"
    r = onnx_cost.analyze(m, dims={"n": 8}, branches={"outer": "then"})
    assert r.bound == "exact" and r.total.compare == 8  # inner decided by the shape: Relu on 8


def test_a_list_value_decides_its_inputs_symbolic_dim():
    # ids [n] (a list of 3) gathers rows of a [10, 4] table -> [n, 4] @ w [4, 2]: 3·4·2 = 24 MACs
    nodes = [helper.make_node("Gather", ["table", "ids"], ["e"]), helper.make_node("MatMul", ["e", "w"], ["y"])]
    m = make_model(nodes, [("ids", "int64", ["n"])], [("y", "float32", ["n", 2])],
                   [init("table", "float32", [10, 4]), init("w", "float32", [4, 2])])
    r = onnx_cost.analyze(m, values={"ids": [1, 2, 3]})
    assert not r.partial and r.total.macs == 24
    from onnx_cost.analyzer import prepare
    from onnx_cost.symbolic.dynamic import analyze_dynamic

    report, dyn = analyze_dynamic(prepare(m), {}, {}, values={"ids": [1, 2, 3]})
    assert dyn is None and report.total.macs == 24  # n is the value's length: nothing left free


def test_ifs_on_data_in_the_smaller_branch_or_of_equal_branches_state_no_bound():
    # outer If on c: then = a MatMul (32 MACs) holding nothing; else = an inner If on d whose branches
    # are two Relus (8 compares each: equal costs, no bound) inside the smaller branch
    inner = helper.make_node(
        "If", ["d"], ["i"], name="inner",
        then_branch=helper.make_graph([helper.make_node("Relu", ["x"], ["a"])], "t", [], [vi("a", "float32", [2, 4])]),
        else_branch=helper.make_graph([helper.make_node("Relu", ["x"], ["b"])], "e", [], [vi("b", "float32", [2, 4])]))
    outer_then = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["t"])], "ot", [], [vi("t", "float32", [2, 4])])
    outer_else = helper.make_graph([inner], "oe", [], [vi("i", "float32", [2, 4])])
    nodes = [helper.make_node("If", ["c"], ["y"], name="outer", then_branch=outer_then, else_branch=outer_else)]
    m = make_model(nodes, [("x", "float32", [2, 4]), ("c", "bool", []), ("d", "bool", [])],
                   [("y", "float32", [2, 4])], [init("w", "float32", [4, 4])])
    r = onnx_cost.analyze(m)
    assert [d.name for d in r.data_ifs] == ["outer"]  # inner: equal branches
    assert r.total.macs == 32 and r.bound == "upper"
    r = onnx_cost.analyze(m, branches={"outer": "else"})
    assert r.data_ifs == [] and r.bound == "exact"
