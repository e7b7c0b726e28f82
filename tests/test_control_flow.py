"""Control flow (If, Loop, Scan, nesting, outer scope), local functions and unknown ops."""

from __future__ import annotations

from onnx import helper

import onnx_cost

from helpers import init, make_model, vi


def _if_model(cond_value=None):
    then_g = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["t"], name="mm")], "then", [], [vi("t", "float32", [2, 4])])
    else_g = helper.make_graph([helper.make_node("Relu", ["x"], ["e"], name="relu")], "else", [], [vi("e", "float32", [2, 4])])
    nodes = [helper.make_node("If", ["c"], ["y"], name="if", then_branch=then_g, else_branch=else_g)]
    inits = [init("w", "float32", [4, 4])]
    inputs = [("x", "float32", [2, 4])]
    if cond_value is None:
        inputs.append(("c", "bool", []))
    else:
        inits.append(init("c", "bool", [], cond_value))
    return make_model(nodes, inputs, [("y", "float32", [2, 4])], inits)


def test_if_counts_the_larger_branch_and_lists_both():
    r = onnx_cost.analyze(_if_model())
    # then: MatMul 2×4 by 4×4 = 32 MACs, 8 dots -> 56 FLOPs; else: Relu 8 compares
    assert r.total.flops == 56
    rec = {n.op_type: n for n in r.nodes}
    assert rec["Relu"].weight == 0 and rec["MatMul"].weight == 1
    assert "then 56 FLOPs, else 8 FLOPs" in rec["If"].detail


def test_if_with_a_static_condition_counts_the_taken_branch():
    r = onnx_cost.analyze(_if_model(cond_value=False))
    assert r.total.flops == 8  # only the else branch's Relu: 2·4 compares
    assert "static condition" in next(n for n in r.nodes if n.op_type == "If").detail


def _loop_model(trip_count):
    body = helper.make_graph(
        [
            helper.make_node("Add", ["h_in", "bias"], ["h_out"], name="add"),  # bias from the outer scope
            helper.make_node("Identity", ["cond_in"], ["cond_out"], name="id"),
        ],
        "body",
        [vi("i", "int64", []), vi("cond_in", "bool", []), vi("h_in", "float32", [3, 5])],
        [vi("cond_out", "bool", []), vi("h_out", "float32", [3, 5])],
    )
    inits = [init("bias", "float32", [5])]
    inputs = [("x", "float32", [3, 5])]
    if trip_count is None:
        inputs.append(("M", "int64", []))
    else:
        inits.append(init("M", "int64", [], trip_count))
    nodes = [helper.make_node("Loop", ["M", "", "x"], ["y"], name="loop", body=body)]
    return make_model(nodes, inputs, [("y", "float32", [3, 5])], inits)


def test_loop_multiplies_the_body_by_a_static_trip_count():
    r = onnx_cost.analyze(_loop_model(7))
    # body: Add of 3·5 elements = 15 FLOPs, 7 iterations
    assert r.total.flops == 7 * 15
    assert not r.partial


def test_loop_with_unknown_trip_count_counts_one_iteration_and_says_so():
    r = onnx_cost.analyze(_loop_model(None))
    assert r.total.flops == 15
    assert r.partial and r.coverage.per_iteration_loops == 1
    add = next(n for n in r.nodes if n.op_type == "Add")
    assert add.per_iteration


def test_scan_multiplies_the_body_by_the_sequence_length():
    body = helper.make_graph(
        [helper.make_node("Add", ["s_in", "x_t"], ["s_out"], name="acc"), helper.make_node("Identity", ["s_out"], ["y_t"], name="id")],
        "body",
        [vi("s_in", "float32", [4]), vi("x_t", "float32", [4])],
        [vi("s_out", "float32", [4]), vi("y_t", "float32", [4])],
    )
    node = helper.make_node("Scan", ["s0", "xs"], ["s", "ys"], name="scan", body=body, num_scan_inputs=1)
    m = make_model([node], [("s0", "float32", [4]), ("xs", "float32", [6, 4])], [("s", "float32", [4]), ("ys", "float32", [6, 4])])
    r = onnx_cost.analyze(m)
    # 6 steps × 4 adds
    assert r.total.flops == 24
    assert r.model.outputs[1][2] == (6, 4)


def test_nested_subgraphs_multiply_through():
    inner = _loop_model(3).graph.node[0]  # a Loop of 3 over an Add of 15
    outer_body = helper.make_graph(
        [inner, helper.make_node("Identity", ["cond_in"], ["cond_out"], name="id2")],
        "outer_body",
        [vi("j", "int64", []), vi("cond_in", "bool", []), vi("x", "float32", [3, 5])],
        [vi("cond_out", "bool", []), vi("y", "float32", [3, 5])],
    )
    inits = [init("bias", "float32", [5]), init("M", "int64", [], 3), init("N", "int64", [], 2)]
    nodes = [helper.make_node("Loop", ["N", "", "x0"], ["out"], name="outer", body=outer_body)]
    m = make_model(nodes, [("x0", "float32", [3, 5])], [("out", "float32", [3, 5])], inits)
    r = onnx_cost.analyze(m)
    assert r.total.flops == 2 * 3 * 15  # outer 2 × inner 3 × Add of 15


def test_local_functions_are_inlined_under_the_callers_scope():
    body = [helper.make_node("Relu", ["a"], ["t"], name="relu"), helper.make_node("Sigmoid", ["t"], ["b"], name="sig")]
    f = helper.make_function("my.fn", "Block", ["a"], ["b"], body, [helper.make_opsetid("", 17)])
    g = helper.make_graph(
        [helper.make_node("Block", ["x"], ["h"], name="/enc/block0", domain="my.fn"),
         helper.make_node("Block", ["h"], ["y"], name="/enc/block1", domain="my.fn")],
        "g", [vi("x", "float32", [2, 3])], [vi("y", "float32", [2, 3])],
    )
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("my.fn", 1)], functions=[f])
    r = onnx_cost.analyze(m)
    # per call: Relu 6 compares + Sigmoid 4·6 = 30; two calls
    assert r.total.flops == 60
    assert [n.scope for n in r.nodes] == ["/enc/block0", "/enc/block0", "/enc/block1", "/enc/block1"]


def test_unknown_domain_op_is_uncounted_by_name_and_shapes_continue():
    nodes = [
        helper.make_node("Mystery", ["x"], ["m"], name="custom", domain="acme"),
        helper.make_node("Relu", ["x"], ["y"], name="relu"),
    ]
    m = make_model(nodes, [("x", "float32", [2, 8])], [("m", "float32", [2, 8]), ("y", "float32", [2, 8])], extra_opsets={"acme": 1})
    r = onnx_cost.analyze(m)
    assert r.uncounted == {"acme::Mystery": {"count": 1, "nodes": ["custom"], "reason": "no rule for acme::Mystery"}}
    assert r.coverage.counted == 1 and r.coverage.uncounted == 1 and r.partial
    assert r.total.flops == 16  # the Relu is still counted


def test_undeclared_domain_is_an_invalid_model():
    import pytest

    from onnx_cost import InvalidGraphError

    m = make_model([helper.make_node("Mystery", ["x"], ["y"], domain="acme")], [("x", "float32", [2])], [("y", "float32", [2])])
    with pytest.raises(InvalidGraphError, match="acme"):
        onnx_cost.analyze(m)


def test_branch_states_are_data():
    r = onnx_cost.analyze(_if_model())  # the condition is an input: the larger branch counts
    rec = {n.op_type: n for n in r.nodes}
    assert (rec["MatMul"].branch, rec["MatMul"].weight) == ("larger", 1)
    assert (rec["Relu"].branch, rec["Relu"].weight) == ("smaller", 0)
    assert rec["If"].branch == "" and r.coverage.not_taken == 0
    r = onnx_cost.analyze(_if_model(cond_value=False))
    rec = {n.op_type: n for n in r.nodes}
    assert (rec["MatMul"].branch, rec["MatMul"].weight) == ("not_taken", 0)
    assert (rec["Relu"].branch, rec["Relu"].weight) == ("taken", 1)
    assert r.coverage.not_taken == 1


def _if_with_an_uncountable_branch(cond_value):
    then_g = helper.make_graph([helper.make_node("Mystery", ["x"], ["t"], name="mystery", domain="acme")], "then", [],
                               [vi("t", "float32", [2, 4])])
    else_g = helper.make_graph([helper.make_node("Relu", ["x"], ["e"], name="relu")], "else", [], [vi("e", "float32", [2, 4])])
    nodes = [helper.make_node("If", ["c"], ["y"], name="if", then_branch=then_g, else_branch=else_g)]
    inits = [] if cond_value is None else [init("c", "bool", [], cond_value)]
    inputs = [("x", "float32", [2, 4])] + ([("c", "bool", [])] if cond_value is None else [])
    return make_model(nodes, inputs, [("y", "float32", [2, 4])], inits, extra_opsets={"acme": 1})


def test_an_uncountable_branch_not_taken_does_not_make_the_report_partial():
    r = onnx_cost.analyze(_if_with_an_uncountable_branch(False))
    mystery = next(n for n in r.nodes if n.op_type == "Mystery")
    assert mystery.status == "uncounted" and mystery.branch == "not_taken"
    assert not r.partial and r.not_counted == [] and r.uncounted == {}
    c = r.coverage
    # 3 nodes: If and Relu counted, Mystery in the branch never taken
    assert (c.nodes, c.counted, c.uncounted, c.not_taken, c.fraction) == (3, 2, 0, 1, 1.0)
    assert r.total.flops == 8  # Relu 2·4 compares


def test_an_uncountable_branch_of_a_data_dependent_if_keeps_the_report_partial():
    r = onnx_cost.analyze(_if_with_an_uncountable_branch(None))
    assert r.partial and [n.op_type for n in r.not_counted] == ["Mystery"]
    assert r.coverage.not_taken == 0


def test_a_loop_with_unknown_trips_is_flagged_by_data():
    r = onnx_cost.analyze(_loop_model(None))
    loop = next(n for n in r.nodes if n.op_type == "Loop")
    assert loop.trips is None and r.coverage.per_iteration_loops == 1
    r = onnx_cost.analyze(_loop_model(3))
    assert next(n for n in r.nodes if n.op_type == "Loop").trips == 3


def test_nested_branch_states_take_the_strongest():
    # outer If on data: then = an inner If on a static True (Relu taken, Sigmoid never), else = MatMul
    inner = helper.make_node(
        "If", ["c2"], ["t"], name="inner",
        then_branch=helper.make_graph([helper.make_node("Relu", ["x"], ["r"], name="relu")], "t2", [],
                                      [vi("r", "float32", [2, 4])]),
        else_branch=helper.make_graph([helper.make_node("Sigmoid", ["x"], ["s"], name="sig")], "e2", [],
                                      [vi("s", "float32", [2, 4])]),
    )
    then_g = helper.make_graph([inner], "then", [], [vi("t", "float32", [2, 4])])
    else_g = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["e"], name="mm")], "else", [],
                               [vi("e", "float32", [2, 4])])
    nodes = [helper.make_node("If", ["c"], ["y"], name="outer", then_branch=then_g, else_branch=else_g)]
    inits = [init("w", "float32", [4, 4]), init("c2", "bool", [], True)]
    r = onnx_cost.analyze(make_model(nodes, [("x", "float32", [2, 4]), ("c", "bool", [])],
                                     [("y", "float32", [2, 4])], inits))
    rec = {n.name: n for n in r.nodes}
    # then: Relu 8 compares; else: MatMul 2×4 by 4×4, 32 MACs, 8 dots -> 56 FLOPs: else is larger
    assert "then 8 FLOPs, else 56 FLOPs: else (the larger) counted" in rec["outer"].detail
    assert [(rec[k].branch, rec[k].weight) for k in ("inner", "relu", "sig", "mm")] == [
        ("smaller", 0), ("smaller", 0), ("not_taken", 0), ("larger", 1)]
    assert r.total.flops == 56 and r.coverage.not_taken == 1
