"""onnx-cost diff: pairs of models built in memory with known differences."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
from onnx import helper

import onnx_cost
from onnx_cost.render import diff as diff_render
from onnx_cost.views.diff import diff

from helpers import init, make_model

n = helper.make_node
X = ("x", "float32", [1, 3, 8, 8])


def pruned(c: int):
    """Conv 3->c (3x3, pad 1) -> Relu -> Conv c->4 (1x1) on 8x8."""
    nodes = [
        n("Conv", ["x", "w1"], ["h"], "/c1/Conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        n("Relu", ["h"], ["r"], "/act/Relu"),
        n("Conv", ["r", "w2"], ["y"], "/c2/Conv", kernel_shape=[1, 1]),
    ]
    return onnx_cost.analyze(make_model(nodes, [X], [("y", "float32", None)],
                                        [init("w1", "float32", [c, 3, 3, 3]), init("w2", "float32", [4, c, 1, 1])]))


def test_pruned_channels():
    d = diff(pruned(8), pruned(6))
    # c1: 8·64·27 = 13,824 -> 6·64·27 = 10,368 MACs; c2: 4·64·8 = 2,048 -> 4·64·6 = 1,536
    assert (d.total.before.macs, d.total.after.macs) == (13_824 + 2_048, 10_368 + 1_536)
    assert d.total.delta("macs") == -3_968
    assert d.total.percent("macs") == -25.0  # 3,968 / 15,872
    # params: 216 + 32 = 248 -> 162 + 24 = 186
    assert d.total.delta("params") == 186 - 248
    assert d.by_op_type["Conv"].delta("macs") == -3_968
    assert d.by_op_type["Relu"].delta("flops") == 384 - 512  # 6·64 against 8·64 compares
    assert d.by_module[("c1",)].delta("macs") == -3_456
    assert [(c.kind, c.matched_by) for c in d.nodes] == [("changed", "name")] * 3
    c1 = d.nodes[0]
    assert "macs" in c1.fields and "outputs" in c1.fields and "params" in c1.fields
    assert d.of("added") == [] and d.of("removed") == []


def conv_bn(fused: bool):
    """Conv 3->4 (3x3, pad 1) on 8x8, followed by BatchNormalization, or folded into the conv's bias."""
    if fused:
        nodes = [n("Conv", ["x", "w", "b"], ["y"], "/conv/Conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1])]
        inits = [init("w", "float32", [4, 3, 3, 3]), init("b", "float32", [4])]
    else:
        nodes = [
            n("Conv", ["x", "w"], ["h"], "/conv/Conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
            n("BatchNormalization", ["h", "s", "bb", "m", "v"], ["y"], "/bn/BatchNormalization"),
        ]
        inits = [init("w", "float32", [4, 3, 3, 3])] + [init(k, "float32", [4], np.ones(4)) for k in ("s", "bb", "m", "v")]
    return onnx_cost.analyze(make_model(nodes, [X], [("y", "float32", None)], inits))


def test_fused_conv_bn():
    d = diff(conv_bn(False), conv_bn(True))
    # conv 256 outputs: 256·(2·27 − 1) = 13,568 FLOPs -> with bias 256·54 = 13,824;
    # BN: 4·256 + 4 arith + 4 sqrt = 1,032 FLOPs, removed
    assert d.total.before.flops == 13_568 + 1_032 and d.total.after.flops == 13_824
    assert d.total.delta("macs") == 0  # 256·27 = 6,912 both
    assert d.total.delta("params") == (108 + 4) - (108 + 16)
    removed = d.of("removed")
    assert [c.before.op_type for c in removed] == ["BatchNormalization"]
    (conv,) = d.of("changed")
    assert conv.matched_by == "name" and "flops" in conv.fields and "params" in conv.fields
    assert d.by_op_type["BatchNormalization"].after.nodes == 0
    assert d.by_module[("bn",)].delta("flops") == -1_032


def qdq(quantized: bool):
    """Conv 3->4 (3x3, pad 1) on 8x8 in fp32, or the same conv between QDQ pairs with an int8 weight."""
    if not quantized:
        nodes = [n("Conv", ["x", "w"], ["y"], "/conv/Conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1])]
        return onnx_cost.analyze(make_model(nodes, [X], [("y", "float32", None)], [init("w", "float32", [4, 3, 3, 3])]))
    nodes = [
        n("QuantizeLinear", ["x", "sc", "zp"], ["xq"], "/x_q"),
        n("DequantizeLinear", ["xq", "sc", "zp"], ["xd"], "/x_dq"),
        n("DequantizeLinear", ["wq", "sc", "zp"], ["wd"], "/w_dq"),
        n("Conv", ["xd", "wd"], ["h"], "/conv/Conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        n("QuantizeLinear", ["h", "sc", "zp"], ["hq"], "/y_q"),
        n("DequantizeLinear", ["hq", "sc", "zp"], ["y"], "/y_dq"),
    ]
    inits = [init("wq", "int8", [4, 3, 3, 3]), init("sc", "float32", [], 0.1), init("zp", "int8", [], 0)]
    return onnx_cost.analyze(make_model(nodes, [X], [("y", "float32", None)], inits))


def test_fp32_against_int8_qdq_macs_match_precision_changes():
    d = diff(qdq(False), qdq(True))
    assert d.total.before.macs == d.total.after.macs == 6_912  # 4·64·27
    assert sorted(c.after.name for c in d.of("added")) == ["/w_dq", "/x_dq", "/x_q", "/y_dq", "/y_q"]
    assert d.precision[0] != d.precision[1]  # five Q/DQ nodes join the one conv
    # the precision moves in the QDQ fused view: the same 6,912 MACs, all of them integer after
    fused = d.views["qdq_fused"]
    assert fused.before.int_macs == 0 and fused.after.int_macs == fused.after.macs == 6_912


def test_unnamed_nodes_match_by_scope_op_and_position():
    def two(c: int):
        nodes = [n("Relu", ["x"], ["h"]), n("Relu", ["h"], ["y"])]
        return onnx_cost.analyze(make_model(nodes, [("x", "float32", [c])], [("y", "float32", [c])]))

    d = diff(two(4), two(5))
    assert [(c.kind, c.matched_by) for c in d.nodes] == [("changed", "position")] * 2
    assert d.total.delta("flops") == 2  # 2·5 − 2·4 compares


def test_renderers_carry_the_same_numbers():
    d = diff(pruned(8), pruned(6))
    rows = list(csv.DictReader(io.StringIO(diff_render.to_csv(d))))
    total = rows[0]
    assert total["section"] == "total" and total["macs_before"] == "15872" and total["macs_delta"] == "-3968"
    assert {r["section"] for r in rows} == {"total", "op_type", "module", "node", "model"}
    assert [(r["key"], r["change"]) for r in rows[-2:]] == [("before", "ok"), ("after", "ok")]  # static: no dims
    assert sum(r["section"] == "node" for r in rows) == 3
    j = json.loads(diff_render.to_json(d))
    assert j["total"]["macs"] == {"before": 15_872, "after": 11_904, "delta": -3_968, "percent": -25.0}
    assert j["nodes"]["counts"] == {"added": 0, "removed": 0, "changed": 3, "same": 0}
    text = diff_render.to_table(d)
    assert "-25.0%" in text and "/c1/Conv" in text
    md = diff_render.to_markdown(d)
    assert "| MACs | 15,872 | 11,904 | -3,968 | -25.0% |" in md


def test_markdown_diff_escapes_names():
    def one(name: str, c: int):
        return onnx_cost.analyze(make_model([n("Relu", ["x"], ["y"], name)], [("x", "float32", [c])], [("y", "float32", [c])]))

    md = diff_render.to_markdown(diff(one("a|b<i>", 2), one("a|b<i>", 3)))
    assert "a\\|b&lt;i&gt;" in md and "<i>" not in md


def test_one_model_from_two_exporters_matches_node_for_node():
    fix = Path(__file__).resolve().parent.parent / "fixtures"
    d = diff(onnx_cost.analyze(fix / "tiny_resnet.onnx"), onnx_cost.analyze(fix / "tiny_resnet_dynamo.onnx"))
    # TorchScript names against dynamo's flat names and metadata: no name in common, the same
    # scopes, so every node pairs by (module path, op type, position) and nothing changed
    assert [(c.kind, c.matched_by) for c in d.nodes] == [("same", "position")] * 22
    assert not d.total.changed and not any(p.changed for p in d.by_module.values())
