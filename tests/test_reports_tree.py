"""Cost by module scope: the tree, its depth cut, ranking, and the terminal tables."""

from __future__ import annotations

from pathlib import Path

import pytest
from onnx import helper

import onnx_cost
from onnx_cost.render import tables
from onnx_cost.views import tree as T

from helpers import init, make_model

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "fixtures"


def mlp_report():
    """enc/layer.0 (MatMul 1x4 @ 4x8, Relu), enc/layer.1 (MatMul 1x8 @ 8x2), a root Relu."""
    n = helper.make_node
    nodes = [
        n("MatMul", ["x", "w0"], ["h0"], "/enc/layer.0/fc/MatMul"),
        n("Relu", ["h0"], ["h1"], "/enc/layer.0/act/Relu"),
        n("MatMul", ["h1", "w1"], ["h2"], "/enc/layer.1/fc/MatMul"),
        n("Relu", ["h2"], ["y"], "Relu_top"),
    ]
    m = make_model(nodes, [("x", "float32", [1, 4])], [("y", "float32", [1, 2])],
                   [init("w0", "float32", [4, 8]), init("w1", "float32", [8, 2])])
    return onnx_cost.analyze(m)


def by_path(root: T.Module) -> dict[tuple[str, ...], T.Module]:
    return {m.path: m for m in root.walk()}


def test_module_totals_sum_the_nodes_at_or_below():
    mods = by_path(T.build_tree(mlp_report()))
    # layer.0: MatMul 1·8·4 = 32 MACs, 8 dots -> 2·32 − 8 = 56 FLOPs; Relu 8 compares -> 64
    assert mods[("enc", "layer.0")].totals.flops == 64
    assert mods[("enc", "layer.0")].totals.macs == 32
    assert mods[("enc", "layer.0")].totals.params == 32  # w0: 4·8
    # layer.1: 1·2·8 = 16 MACs, 2 dots -> 30 FLOPs; reads h1 (8·4 B) + w1 (16·4 B), writes 2·4 B
    assert mods[("enc", "layer.1")].totals.flops == 30
    assert mods[("enc", "layer.1")].totals.memory_bytes == 32 + 64 + 8
    # enc = 64 + 30; the root also holds the scopeless Relu (2 FLOPs): 96
    assert mods[("enc",)].totals.flops == 94
    assert mods[()].totals.flops == 96
    assert mods[()].totals.nodes == 4


def test_rows_fold_below_the_depth_and_count_what_is_folded():
    rows = T.rows(T.build_tree(mlp_report()), depth=1)
    assert [(r.depth, r.module.label, r.hidden) for r in rows] == [
        (0, "(model)", 0),
        (1, "enc", 5),  # layer.0, layer.0/fc, layer.0/act, layer.1, layer.1/fc
    ]
    deep = T.rows(T.build_tree(mlp_report()), depth=9)
    assert [r.module.name for r in deep] == ["", "enc", "layer.0", "fc", "act", "layer.1", "fc"]
    assert all(r.hidden == 0 for r in deep)


def test_sort_orders_siblings_and_top_ranks_the_depth_cut():
    root = T.build_tree(mlp_report())
    by_name = [r.module.name for r in T.rows(root, 3, "name")]
    assert by_name == ["", "enc", "layer.0", "act", "fc", "layer.1", "fc"]
    # depth-3 cut: layer.0/fc 56, layer.0/act 8, layer.1/fc 30 FLOPs
    top = T.top_modules(root, 3, 2, "flops")
    assert [m.path for m in top] == [("enc", "layer.0", "fc"), ("enc", "layer.1", "fc")]
    assert [m.path for m in T.top_modules(root, 3, 1, "bytes")] == [("enc", "layer.0", "fc")]
    with pytest.raises(ValueError, match="unknown metric"):
        T.top_modules(root, 3, 1, "speed")


def test_share_is_a_percentage_of_the_model_total():
    text = tables.module_table(mlp_report(), depth=1, sort="flops")
    assert "97.9" in text  # enc: 94 / 96 FLOPs
    assert "100.0" in text


@pytest.mark.parametrize("name", ["tiny_resnet", "tiny_resnet_dynamo"])
def test_exporter_scopes_give_the_resnet_tree(name):
    root = T.build_tree(onnx_cost.analyze(FIX / f"{name}.onnx"))
    mods = by_path(root)
    assert [m.name for m in root.children.values()] == ["conv1", "bn1", "relu", "layer1", "layer2", "avgpool", "fc"]
    block = mods[("layer1", "layer1.0")]
    # 2 convs 4->4 3x3 on 16x16, no bias: 2·1024·(2·4·9 − 1) = 145,408; 2 BN: 2·(4·1024 + 4 + 4) = 8,208;
    # 2 Relu: 2·1024; Add: 1024 -> 156,688
    assert block.totals.flops == 145_408 + 8_208 + 2_048 + 1_024
    assert block.totals.nodes == 7  # conv1, bn1, relu, conv2, bn2, add, relu


def test_dynamo_metadata_names_each_module_class():
    root = T.build_tree(onnx_cost.analyze(FIX / "tiny_resnet_dynamo.onnx"))
    labels = [r.module.label for r in T.rows(root, 2)]
    assert "layer1.0 (BasicBlock)" in labels
    assert "layer1 (Sequential)" in labels
    assert "fc (Linear)" in labels


def test_module_dict_nests_children_and_marks_the_fold():
    d = T.module_dict(T.build_tree(mlp_report()), depth=1)
    assert d["flops"] == 96 and d["path"] == []
    (enc,) = d["children"]
    assert enc["path"] == ["enc"] and enc["children"] == [] and enc["folded"] == 5
    assert enc["ops"] == 94


def test_tables_print_markup_in_names_as_text():
    n = helper.make_node
    m = make_model([n("Relu", ["x"], ["y"], "/[red]evil/Relu")], [("x", "float32", [2])], [("y", "float32", [2])])
    text = tables.by_table(onnx_cost.analyze(m), "module", 2, None, None)
    assert "[red]evil" in text
    assert "/[red]evil/Relu (Relu)" in tables.by_table(onnx_cost.analyze(m), "node", 2, None, None)


def test_op_and_node_tables_rank_by_sort():
    r = mlp_report()
    ops = tables.op_table(r, sort="flops")
    assert ops.index("MatMul") < ops.index("Relu")  # 86 FLOPs against 10
    nodes = tables.node_table(r, top=1, sort="flops")
    assert "/enc/layer.0/fc/MatMul (MatMul)" in nodes  # the name already spells its scope
    assert "Relu_top" not in nodes


def test_a_weight_shared_inside_a_module_counts_once():
    n = helper.make_node
    nodes = [n("MatMul", ["x", "w"], ["h"], "/enc/a/MatMul"), n("MatMul", ["h", "w"], ["y"], "/enc/b/MatMul")]
    m = make_model(nodes, [("x", "float32", [1, 4])], [("y", "float32", [1, 4])], [init("w", "float32", [4, 4])])
    mods = by_path(T.build_tree(onnx_cost.analyze(m)))
    assert mods[("enc",)].totals.params == 16  # w: 4·4, read by both nodes of enc, counted once
    assert mods[("enc", "a")].totals.params == mods[("enc", "b")].totals.params == 16
