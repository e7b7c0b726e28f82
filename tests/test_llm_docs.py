"""docs/llm.md's worked example: the bold numbers, derived again here by hand, are what
``onnx_cost.llm`` gives on fixtures/tiny_decoder.onnx, and the doc prints them."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import onnx_cost

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "llm.md").read_text(encoding="utf-8")
E, H, V, B = 8, 2, 16, 1
BW, CAP, PEAK = 3.35e12, 80 * 2**30, 67e12  # the h100-sxm preset (fp32 peak)
# docs/hardware.md: a device without an efficiency table (the presets) gets generic efficiencies,
# uncalibrated; on a GPU 5 us per kernel and 20 us per run; memory classes at 10 % to 60 % of the
# bandwidth from 10 kB to 10 MB of boundary bytes, GEMMs at 10 % to 60 % of the peak from 1e6 to 1e9
# operations, linear in the log of the size between; the range is predicted / 2 ... predicted * 2
DISPATCH, RUN = 5e-6, 20e-6


def mem_rate(b: float) -> float:
    return BW * (0.1 + 0.5 * math.log(min(max(b, 1e4), 1e7) / 1e4) / math.log(1e3))


def gemm_rate(o: float) -> float:
    return PEAK * (0.1 + 0.5 * math.log(min(max(o, 1e6), 1e9) / 1e6) / math.log(1e3))


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
    # 20 kernels a step (Transpose K, of the last two axes, fused into the scores MatMul; q's head split
    # [0,2,1,3] stays a kernel, as onnxruntime keeps it; 4 Reshapes, dispatch only).
    # Decode, boundary bytes per kernel: Gather picks 2 · 32, projections 32 + 256 + 32 (x4), head
    # 32 + 512 + 64, Transposes q, k, v, context 32 + 32 (x4), Add 3 · 32: all under 10 kB;
    # Concats 2048 · 32 + 32 + 32 · t (x2); scores and context 32 + 32 · t + 8 · t (x2); Softmax 2 · 8 · t
    small = 2 * 32 + 4 * (32 + 256 + 32) + (32 + 512 + 64) + 4 * 64 + 3 * 32
    concat, attn, soft = 2048 * 32 + 32 + 32 * t, 32 + 32 * t + 8 * t, 2 * 8 * t
    assert (small, concat, attn, soft) == (2_304, 131_136, 81_992, 32_784)
    decode = RUN + 20 * DISPATCH + small / mem_rate(small) + 2 * concat / mem_rate(concat) \
        + 2 * attn / mem_rate(attn) + soft / mem_rate(soft)
    # Prefill (S = 512): projections 2 · 512 · 64 − 512 · 8 FLOPs (x4) and the head 2 · 512 · 128 − 512 · 16
    # on the GEMM curve (under 1e6: 10 % of the peak); scores 2 · (2 · 512² · 4) − 2 · 512² and context
    # 2 · (2 · 512² · 4) − 2 · 512 · 4; Softmax 2 · 2 · 512² · 4 bytes; Gather (2 · 512 · 32 picked),
    # four Transposes and two Concats of 2 · 512 · 32 bytes; Add 3 · 512 · 32
    proj, head = 2 * 512 * 64 - 512 * 8, 2 * 512 * 128 - 512 * 16
    scores, context = 2 * (2 * 512 * 512 * 4) - 2 * 512 * 512, 2 * (2 * 512 * 512 * 4) - 2 * 512 * 4
    assert (proj, head, scores, context) == (61_440, 122_880, 3_670_016, 4_190_208)
    psoft, copy, add = 2 * 2 * 512 * 512 * 4, 2 * 512 * 32, 3 * 512 * 32
    prefill = RUN + 20 * DISPATCH + (4 * proj + head) / gemm_rate(proj) + scores / gemm_rate(scores) \
        + context / gemm_rate(context) + psoft / mem_rate(psoft) + 7 * copy / mem_rate(copy) + add / mem_rate(add)
    assert r.decode.latency_basis == r.prefill.latency_basis == "predicted"
    assert r.decode.latency_s == pytest.approx(decode, rel=1e-12)
    assert r.prefill.latency_s == pytest.approx(prefill, rel=1e-12)
    assert r.decode.tokens_per_s == pytest.approx(1 / decode, rel=1e-12)
    # the floor: every kernel's working set fits the 50 MB L2, whose bandwidth the preset lacks: ops / peak
    assert r.decode.floor_s == pytest.approx(flops / PEAK, rel=1e-12)
    prefill_flops = 2 * prefill_macs - (5 * 512 * E + 2 * 512 * 512 + 512 * V) + H * 512 * (5 * 512 - 2) + 512 * E
    assert r.prefill.flops == prefill_flops
    assert r.prefill.floor_s == pytest.approx(prefill_flops / PEAK, rel=1e-12)
    assert any(f"(range {decode / 2 * 1e6:.3g} us to {decode * 2 * 1e6:.3g} us)" in n for n in r.notes)
    # the per-node roofline: every node memory-bound, bytes / bandwidth; the batch scan's tokens/s at 1
    assert r.prefill.read_bytes + r.prefill.write_bytes == 8_951_296
    assert r.decode.bound == r.prefill.bound == "memory"
    assert r.batch_scan.tokens_per_s[1] == pytest.approx(BW / (read + write), rel=1e-12)
    assert r.batch_scan.crossover is None
    shown = (f"{decode * 1e6:.1f} µs per token", f"{prefill * 1e6:.1f} µs to first token",
             f"{flops / PEAK * 1e9:.2f} ns", f"{prefill_flops / PEAK * 1e9:.0f} ns",
             f"{(read + write) / BW * 1e9:.0f} ns")
    assert shown == ("120.5 µs per token", "123.4 µs to first token", "1.23 ns", "162 ns", "177 ns")
    assert f"{1 / decode:,.0f} tokens/s" == "8,297 tokens/s" and "(8,297 tokens/s; range 60.3 to 241 µs)" in DOC
    for n in ("33,168", "4,390,912", "82,676", "362,584", "229,904", "64 B per", "131,072 B", "2,104 B",
              "133,240 B", *shown, "82,024 B", "825,955,228"):
        assert f"**{n}" in DOC, n
