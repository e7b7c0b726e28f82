"""docs/llm.md's worked example: the bold numbers, derived again here by hand, are what
``onnx_cost.llm`` gives on fixtures/tiny_decoder.onnx, and the doc prints them."""

from __future__ import annotations

from pathlib import Path

import pytest

import onnx_cost

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "llm.md").read_text(encoding="utf-8")
E, H, V, B = 8, 2, 16, 1
BW, CAP = 3.35e12, 80 * 2**30  # the h100-sxm preset


def test_worked_example() -> None:
    r = onnx_cost.llm(ROOT / "fixtures" / "tiny_decoder.onnx", prompt=512, context=2048, device="h100-sxm")
    t = 2049
    decode_macs = 4 * E * E + 2 * t * E + E * V
    prefill_macs = 4 * 512 * E * E + 2 * 512 * 512 * E + 512 * E * V
    dots = 5 * E + H * t + V
    flops = 2 * decode_macs - dots + H * (5 * t - 2) + E
    read = (32 + 8) + 4 * (32 + 256) + (4 * 32 + 32 * t) + 2 * 32 * t + (32 + 32 * t) + 8 * t + (8 * t + 32 * t) + 64 \
        + (32 + 512)
    write = 32 + 4 * 32 + (4 * 32 + 32 * t) + 2 * 32 * t + 8 * t + 8 * t + 32 + 32 + 64
    kv = 1 * 2 * H * (E // H) * 4
    weights = 16 * E * 4 + 4 * E * E * 4 + E * V * 4 + 7 * 8
    ideal = weights + kv * 2048 + kv
    act = 64 + 40 * t
    longest = (CAP - (weights + kv + 40)) // (kv + 40)
    assert (decode_macs, prefill_macs, flops, read, write) == (33_168, 4_390_912, 82_676, 362_584, 229_904)
    assert (kv, weights, ideal, act, longest) == (64, 2_104, 133_240, 82_024, 825_955_228)
    assert (r.decode.macs, r.prefill.macs, r.decode.flops) == (decode_macs, prefill_macs, flops)
    assert (r.decode.read_bytes, r.decode.write_bytes) == (read, write)
    assert (r.kv.bytes_per_token, r.kv.bytes_at_context, r.weight_bytes, r.ideal.ideal_bytes) == (
        kv, kv * 2048, weights, ideal)
    assert r.ideal.as_written_per_cached_token == 4 * 32 + 2 * 32 + 2 * 32 + 4 * H * 4 == 288
    assert r.memory.activation_bytes == act and r.memory.max_context == longest and r.memory.max_context_exact
    assert r.decode.latency_s == pytest.approx((read + write) / BW, rel=1e-12)
    assert r.prefill.latency_s == pytest.approx(8_951_296 / BW, rel=1e-12)
    assert r.prefill.read_bytes + r.prefill.write_bytes == 8_951_296
    assert r.batch_scan.crossover is None
    for n in ("33,168", "4,390,912", "82,676", "362,584", "229,904", "64 B per", "131,072 B", "2,104 B",
              "133,240 B", "177 ns per token", "2.67 µs to first token", "82,024 B", "825,955,228"):
        assert f"**{n}" in DOC, n
