"""End to end on the shipped fixtures: golden CSVs, and totals worked out by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

import onnx_cost
from onnx_cost.render import report as render

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "fixtures"
NAMES = sorted(p.stem for p in FIX.glob("*.onnx"))


@pytest.mark.parametrize("name", NAMES)
def test_csv_matches_golden(name: str):
    """Regenerate with `make fixtures` after a deliberate change of a count."""
    got = render.to_csv(onnx_cost.analyze(FIX / f"{name}.onnx"))
    with open(FIX / "golden" / f"{name}.csv", encoding="utf-8", newline="") as f:
        want = f.read()  # CRLF line ends, as RFC 4180 says
    assert got == want


@pytest.mark.parametrize("name", NAMES)
def test_every_fixture_node_is_counted_or_zero(name: str):
    r = onnx_cost.analyze(FIX / f"{name}.onnx")
    bad = [(n.name, n.op_type, n.status, n.detail) for n in r.nodes if n.status not in ("counted", "zero")]
    # tiny_mlp's batch has a default (1): counted there. seq has none: at the default binding
    # the nodes behind it are shape-unknown and the dim is named (the totals are its polynomials)
    symbolic = {"tiny_attention": ["seq"],
                "tiny_decoder": ["past_sequence_length + sequence_length", "sequence_length"]}
    if name == "tiny_mlp":
        assert r.dynamic.defaults == {"batch": 1}
    if name in symbolic:
        assert bad and all(s == "shape_unknown" for _, _, s, _ in bad)
        assert r.missing_dims == symbolic[name]
    else:
        assert bad == []


def test_tiny_cnn_totals_by_hand():
    r = onnx_cost.analyze(FIX / "tiny_cnn.onnx")
    macs = sum(n.cost.macs for n in r.nodes)
    # conv1: 8·32·32 outputs × 3·3·3 = 221,184
    # depthwise: 8·16·16 outputs × 1·3·3 = 18,432
    # fc: 10 outputs × 8 = 80
    assert macs == 221_184 + 18_432 + 80 == 239_696
    # conv1 216 + 8 bias; BN 4·8 = 32; dw 8·1·3·3 = 72; fc 10·8 + 10 = 90
    assert r.total.params == 224 + 32 + 72 + 90 == 418
    assert r.total.param_bytes == 418 * 4


def test_tiny_mlp_counts_a_tied_weight_once():
    r = onnx_cost.analyze(FIX / "tiny_mlp.onnx", dims={"batch": 2})
    # w1 16·16 = 256 and b1 16, each used by two nodes, counted once
    assert r.total.params == 256 + 16
    # two MatMuls of 2×16 by 16×16: 2 · (2·16·16) = 1,024 MACs
    assert r.total.macs == 1024


def test_tiny_attention_binds_seq():
    r = onnx_cost.analyze(FIX / "tiny_attention.onnx", dims={"seq": 4})
    assert r.coverage.covered == r.coverage.nodes
    # q, k, v: 3 · (4·8·8) = 768; scores 4·4·8 = 128; out 4·8·4 = 128
    assert r.total.macs == 768 + 128 + 128


def test_tiny_control_flow_loop_times_larger_branch():
    r = onnx_cost.analyze(FIX / "tiny_control_flow.onnx")
    # Loop M=3; the If's then-branch MatMul (1×4 by 4×4: 16 MACs) is the larger branch
    assert r.total.macs == 3 * 16
    relu = next(n for n in r.nodes if n.op_type == "Relu")
    assert relu.weight == 0  # the untaken branch is listed but not counted
