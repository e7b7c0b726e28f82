"""onnx_cost.llm on decoders built in memory (tests/llm_models.py): every number derived by hand.

The model: L layers of hidden E, H heads of D = E/H, vocabulary V, batch B, S new tokens,
P cached ones, T = P + S attended. fp32 is 4 bytes, int64 8. Per layer (MHA, written out):
q, k, v, o projections (MatMul by an E x E weight), Reshape to heads (a view: 0 bytes),
Transpose q/k/v and the context back, Concat of the past and the new K (and V) along the
sequence, Transpose of K, scores MatMul, Softmax, probabilities x V MatMul, residual Add,
Identity to the present outputs (a view). Then the head MatMul (E x V). docs/counting.md
gives each op's count; the derivations below write them out per op type.
"""

from __future__ import annotations

import math

import pytest
from llm_models import decoder

import onnx_cost
from onnx_cost.errors import BindingError, UnsupportedModelError
from onnx_cost.runners.llm import longest
from onnx_cost.views.hardware.devices import Device, Figure

L, E, H, V = 2, 16, 2, 32
D = E // H
F32, I64 = 4, 8


def mha(b: int, s: int, p: int, kv_heads: int = H, stacked: bool = False) -> dict[str, tuple[int, int, int, int]]:
    """(macs, flops, read bytes, write bytes) per op type of one pass of the written-out decoder."""
    t = p + s
    bse = b * s * E * F32  # one activation [B, S, E]
    bet = b * E * t * F32  # one K or V of all T tokens [B, H, T, D]
    sc = b * H * s * t  # scores
    rows = b * H * s
    ops = {
        # q, k, v, o: B·S·E² MACs in B·S·E dots each; scores B·H·S·T·D = B·S·T·E MACs in B·H·S·T dots;
        # probabilities x V: B·H·S·D·T MACs in B·H·S·D = B·S·E dots; head B·S·E·V MACs in B·S·V dots
        "MatMul": (
            L * (4 * b * s * E * E + 2 * b * s * t * E) + b * s * E * V,
            2 * (L * (4 * b * s * E * E + 2 * b * s * t * E) + b * s * E * V) - (L * (5 * b * s * E + sc) + b * s * V),
            L * (4 * (bse + E * E * F32) + (bse + bet) + (sc * F32 + bet)) + bse + E * V * F32,
            L * (4 * bse + sc * F32 + bse) + b * s * V * F32,
        ),
        # softmax over rows of T: arith rows·(3T − 1), transcendental rows·T, compare rows·(T − 1)
        "Softmax": (0, L * rows * (5 * t - 2), L * sc * F32, L * sc * F32),
        "Add": (0, L * b * s * E, L * 2 * bse, L * bse),
        # q, k, v and the context: [B, S, E] each; K of all T tokens
        "Transpose": (0, 0, L * (4 * bse + bet), L * (4 * bse + bet)),
        # past (B·E·P·4 bytes) and new (B·E·S·4) in, all T out, for K and for V
        "Concat": (0, 0, L * 2 * b * E * (p + s) * F32, L * 2 * bet),
        # the embedding rows gathered (B·S·E floats) and the ids (B·S int64)
        "Gather": (0, 0, bse + b * s * I64, bse),
        "Reshape": (0, 0, 0, 0),
        "Identity": (0, 0, 0, 0),
    }
    if stacked:  # per layer: Gather K and V out of past_l (the rows read, the index), stack the present
        past = b * E * p * F32
        g = ops["Gather"]
        ops["Gather"] = (0, 0, g[2] + L * 2 * (past + I64), g[3] + L * 2 * past)
        c = ops["Concat"]
        ops["Concat"] = (0, 0, c[2] + L * 2 * bet, c[3] + L * 2 * bet)
        ops["Unsqueeze"] = (0, 0, 0, 0)
    return ops


def total(ops: dict[str, tuple[int, int, int, int]]) -> tuple[int, int, int, int]:
    return tuple(sum(v[i] for v in ops.values()) for i in range(4))  # type: ignore[return-value]


WEIGHTS = V * E * F32 + L * 4 * E * E * F32 + E * V * F32  # embedding, projections, head (fp32)
SHAPES = 4 * I64 + 3 * I64  # the Reshape targets [0, 0, H, D] and [0, 0, E]: constants
KV_PER_TOKEN = L * 2 * H * D * F32  # layers x (K and V) x heads x head dim x 4 bytes


def step_numbers(st: onnx_cost.views.llm.Step) -> tuple[int, int, int, int]:
    return st.macs, st.flops, st.read_bytes, st.write_bytes


# -- roles, totals, KV cache: per-layer MHA, fp32 ------------------------------------------------


def test_per_layer_mha_prefill_and_decode_totals() -> None:
    r = onnx_cost.llm(decoder(), prompt=4, context=8, batch=2)
    ro = r.roles
    assert (ro.token_input, ro.batch_dim, ro.new_dim, ro.past_dim) == (
        "input_ids", "batch_size", "sequence_length", "past_sequence_length")
    assert ro.layout == "per-layer" and not ro.decode_only and ro.merged_flag == ""
    assert [c.name for c in ro.caches] == [f"past_key_values.{i}.{kv}" for i in range(L) for kv in ("key", "value")]
    assert [c.present for c in ro.caches] == [f"present.{i}.{kv}" for i in range(L) for kv in ("key", "value")]
    # prefill: S = 4 new tokens, nothing cached; decode: 1 new token, 8 cached
    assert step_numbers(r.prefill) == total(mha(2, 4, 0))
    assert step_numbers(r.decode) == total(mha(2, 1, 8))
    # the derivation written out once: decode MACs = L·(4·B·E² + 2·B·T·E) + B·E·V
    assert r.decode.macs == 2 * (4 * 2 * 256 + 2 * 2 * 9 * 16) + 2 * 16 * 32 == 6272
    assert r.decode.dims == {"batch_size": 2, "sequence_length": 1, "past_sequence_length": 8,
                             "past_sequence_length + sequence_length": 9}
    assert r.prefill.dims["past_sequence_length"] == 0 and r.prefill.dims["sequence_length"] == 4
    assert r.decode.ops == r.decode.flops  # no integer arithmetic
    assert r.decode.not_counted == 0 and r.prefill.not_counted == 0 and r.notes == ()


def test_kv_cache_weights_and_ideal_bytes() -> None:
    r = onnx_cost.llm(decoder(), prompt=4, context=8, batch=2)
    assert r.roles.bytes_per_token == KV_PER_TOKEN == 256
    assert all(c.elements_per_token == H * D and c.bytes_per_token == H * D * F32 for c in r.roles.caches)
    assert (r.kv.bytes_per_token, r.kv.bytes_at_context, r.kv.bytes_for_batch) == (256, 256 * 8, 256 * 8 * 2)
    assert r.weight_bytes == WEIGHTS + SHAPES == 12344
    ideal = r.ideal
    assert ideal.weight_bytes == WEIGHTS + SHAPES
    assert ideal.cache_read_bytes == 256 * 8 * 2  # every cached element read once
    assert ideal.cache_write_bytes == 256 * 2  # the new token's entries, once per sequence
    assert ideal.ideal_bytes == 12344 + 4096 + 512
    _, _, rd, wr = total(mha(2, 1, 8))
    assert ideal.as_written_bytes == rd + wr
    # each more cached token: Concat reads and writes it for K and V (4 x B·E·4), Transpose of K
    # reads and writes it (2x), the scores MatMul and the PV MatMul read it (2x), plus one score
    # written, read and written by Softmax and read by PV (4 x B·H·S·4)
    assert ideal.as_written_per_cached_token == L * (8 * 2 * E * F32 + 4 * 2 * H * F32) == 2176
    assert ideal.cache_bytes_per_token == 512


def test_stacked_cache_per_layer_kv_in_one_tensor() -> None:
    r = onnx_cost.llm(decoder(layout="stacked"), prompt=4, context=8, batch=2)
    assert r.roles.layout == "stacked"
    assert [c.name for c in r.roles.caches] == ["past_0", "past_1"]
    assert [c.present for c in r.roles.caches] == ["present_0", "present_1"]
    assert [c.elements_per_token for c in r.roles.caches] == [2 * H * D] * L  # [2, B, H, P, D]: K and V
    assert r.roles.bytes_per_token == KV_PER_TOKEN
    assert step_numbers(r.decode) == total(mha(2, 1, 8, stacked=True))
    assert step_numbers(r.prefill) == total(mha(2, 4, 0, stacked=True))
    # the Gather indices 0 and 1 and the Unsqueeze axes [0]: constants, 8 bytes each
    assert r.weight_bytes == WEIGHTS + SHAPES + 3 * I64


def gqa(b: int, s: int, p: int, kv: int = 1) -> tuple[int, int, int, int]:
    """GroupQueryAttention decoder: q and o E x E, k and v E x kv·D; the fused op: B·N·S·T·2D MACs
    in B·N·S·T + B·N·S·D dots, 1 mul per score, softmax per row of T."""
    t = p + s
    kvd = kv * D
    bse = b * s * E * F32
    scores, rows = b * H * s * t, b * H * s
    macs = L * (2 * b * s * E * E + 2 * b * s * E * kvd + b * H * s * t * 2 * D) + b * s * E * V
    dots = L * (2 * b * s * E + 2 * b * s * kvd + scores + rows * D) + b * s * V
    flops = 2 * macs - dots + L * (scores + rows * (5 * t - 2)) + L * b * s * E  # + the residual Adds
    read = (bse + b * s * I64  # Gather
            + L * (2 * (bse + E * E * F32) + 2 * (bse + E * kvd * F32)  # q, o and k, v projections
                   + bse + 2 * b * s * kvd * F32 + 2 * b * kvd * p * F32 + b * 4 + 4  # GQA: q, k, v, past, seqlens, total
                   + 2 * bse)  # Add
            + bse + E * V * F32)
    write = (bse + L * (2 * bse + 2 * b * s * kvd * F32 + bse + 2 * b * kvd * t * F32 + bse) + b * s * V * F32)
    return macs, flops, read, write


def test_gqa_fused_attention_cache() -> None:
    r = onnx_cost.llm(decoder(attention="gqa", kv_heads=1), prompt=4, context=8, batch=2)
    assert r.roles.layout == "fused (GroupQueryAttention)"
    assert r.roles.bytes_per_token == L * 2 * 1 * D * F32 == 128  # one KV head
    assert step_numbers(r.decode) == gqa(2, 1, 8)
    assert step_numbers(r.prefill) == gqa(2, 4, 0)
    assert r.weight_bytes == V * E * F32 + L * (2 * E * E + 2 * E * D) * F32 + E * V * F32


def test_onnxruntime_genai_layout_binds_the_mask_total() -> None:
    """attention_mask [B, total_sequence_length]: a total dim, bound to past + new. The graph computes
    GroupQueryAttention's seqlens_k = Cast(ReduceSum(mask) − 1) and total_sequence_length =
    Cast(Gather(Shape(mask), 1)), which GroupQueryAttention then knows as T."""
    r = onnx_cost.llm(decoder(attention="gqa", kv_heads=1, genai=True), prompt=4, context=8, batch=2)
    assert r.roles.total_dims == ("total_sequence_length",)
    assert r.decode.dims["total_sequence_length"] == 9 and r.prefill.dims["total_sequence_length"] == 4
    for st, (b, s, p) in ((r.decode, (2, 1, 8)), (r.prefill, (2, 4, 0))):
        t = p + s
        macs, flops, rd, wr = gqa(b, s, p)
        # ReduceSum: B·(T − 1) int adds, reads the mask and its axes, writes B int64; Sub: B int ops;
        # Cast to int32; Shape reads metadata only and writes 2 int64; Gather reads one and its index
        mask_int_ops = b * (t - 1) + b
        mask_read = (b * t * I64 + I64) + (b * I64 + I64) + b * I64 + 0 + (I64 + I64) + I64
        mask_write = b * I64 + b * I64 + b * 4 + 2 * I64 + I64 + 4
        assert (st.macs, st.flops, st.ops - st.flops) == (macs, flops, mask_int_ops)
        assert (st.read_bytes, st.write_bytes) == (rd + mask_read, wr + mask_write)
    # the mask's axes [1] and the index 1: constants
    assert r.weight_bytes == V * E * F32 + L * (2 * E * E + 2 * E * D) * F32 + E * V * F32 + 2 * I64


def test_decode_only_export_has_no_prefill() -> None:
    r = onnx_cost.llm(decoder(decode_only=True), context=8, batch=2)
    assert r.prefill is None and r.roles.decode_only and r.roles.new_dim == 1
    assert "decode-only" in r.prefill_note and "no prefill" in r.prefill_note
    assert step_numbers(r.decode) == total(mha(2, 1, 8))
    assert r.to_dict()["prefill"] is None


def test_merged_decoder_counts_the_branch_that_runs() -> None:
    """use_cache_branch true for decode (the layers with the cache), false for prefill (the
    else branch: the same layers, each past sliced to 0 positions first)."""
    r = onnx_cost.llm(decoder(merged=True), prompt=4, context=8, batch=2)
    assert r.roles.merged_flag == "use_cache_branch"
    assert step_numbers(r.decode) == total(mha(2, 1, 8))
    macs, flops, rd, wr = total(mha(2, 4, 0))
    # the else branch adds 2 Constants (int64 [1]: written once) and a Slice per past input
    # (reads 0 rows of the empty past + starts, ends, axes: 3 x 8 bytes)
    assert step_numbers(r.prefill) == (macs, flops, rd + 2 * L * 3 * I64, wr + 2 * I64)
    # the flag's stand-in is left out of the weights; the else branch's two constants are read
    assert r.weight_bytes == WEIGHTS + SHAPES + 2 * I64


def test_int8_qdq_weights() -> None:
    r = onnx_cost.llm(decoder(weights="qdq8"), prompt=4, context=8, batch=2)
    w_elems = L * 4 * E * E + E * V  # every projection and the head, int8
    dq = 4 * L + 1  # DequantizeLinear nodes
    macs, flops, rd, wr = total(mha(2, 1, 8))
    # DequantizeLinear: 1 mul per element (the zero point is 0: not active); reads the int8 weight,
    # the scale (4 bytes) and the zero point (1), writes the float weight
    assert step_numbers(r.decode) == (macs, flops + w_elems, rd + w_elems + dq * 5, wr + w_elems * F32)
    assert r.weight_bytes == V * E * F32 + w_elems + SHAPES + 4 + 1


def test_int4_matmulnbits_weights() -> None:
    r = onnx_cost.llm(decoder(weights="nbits4"), prompt=4, context=8, batch=2)
    w_elems = L * 4 * E * E + E * V
    macs, flops, rd, wr = total(mha(2, 1, 8))
    # MatMulNBits: 2 arith per weight to dequantize; reads the packed weight (half a byte each) and one
    # fp32 scale per block of 16 in place of the fp32 weight
    packed = w_elems // 2 + w_elems // 16 * F32
    assert step_numbers(r.decode) == (macs, flops + 2 * w_elems, rd - w_elems * F32 + packed, wr)
    assert r.weight_bytes == V * E * F32 + packed + SHAPES


# -- with a device -------------------------------------------------------------------------------


def device(peak: float, bandwidth: float, capacity: float | None = None) -> Device:
    return Device("test", "test chip", {"fp32": Figure(peak)}, Figure(bandwidth),
                  Figure(capacity) if capacity is not None else None)


def _view_with(monkeypatch: pytest.MonkeyPatch, floor: float, predicted: float | None,
               calibrated: bool = True) -> None:
    """The hardware view with the latencies set: floor_s = ``floor`` and predicted_s =
    ``predicted`` seconds per byte the step moves (None: no prediction), so that the
    arithmetic under test is the LLM view's (which latency, tokens/s), not the device model's."""
    from onnx_cost.views.hardware import view

    real = view.hardware_dict

    def set_latency(rep, *args, **kwargs):  # type: ignore[no-untyped-def]
        d = real(rep, *args, **kwargs)
        moved = rep.total.read_bytes + rep.total.write_bytes
        d["floor_s"] = floor * moved
        d["predicted_s"] = None if predicted is None else predicted * moved
        d["predicted_range_s"] = None if predicted is None else [predicted * moved / 2, predicted * moved * 2]
        d["calibrated"] = calibrated
        return d

    monkeypatch.setattr(view, "hardware_dict", set_latency)


def test_latency_tokens_and_shares_on_a_memory_bound_device(monkeypatch: pytest.MonkeyPatch) -> None:
    """A view without a prediction: the latency is its floor_s (set to 3 ps per byte moved);
    tokens/s = batch x new tokens / latency. A peak so high that every node is memory-bound:
    the bound and the op-type shares are the per-node roofline's, each node's floor its bytes /
    bandwidth, so a share is the op type's bytes over the step's."""
    _view_with(monkeypatch, 3e-12, None)
    r = onnx_cost.llm(decoder(), prompt=4, context=8, batch=2, device=device(1e21, 1e11))
    pre, dec = total(mha(2, 4, 0)), total(mha(2, 1, 8))
    assert dec[0] and r.decode.latency_basis == "floor" and r.decode.bound == "memory"
    assert r.decode.latency_s == r.decode.floor_s == pytest.approx(3e-12 * (dec[2] + dec[3]), rel=1e-12)
    assert r.prefill.latency_s == pytest.approx(3e-12 * (pre[2] + pre[3]), rel=1e-12)  # time to first token
    assert r.decode.tokens_per_s == pytest.approx(2 / (3e-12 * (dec[2] + dec[3])), rel=1e-12)  # x batch
    assert r.prefill.tokens_per_s == pytest.approx(2 * 4 / (3e-12 * (pre[2] + pre[3])), rel=1e-12)  # x prompt
    assert not any("uncalibrated" in n for n in r.notes)
    by = mha(2, 1, 8)
    for op, share in r.decode.share_by_op_type.items():
        assert share == pytest.approx((by[op][2] + by[op][3]) / (dec[2] + dec[3]), abs=1e-12)
    assert next(iter(r.decode.share_by_op_type)) == "MatMul"


def test_an_uncalibrated_prediction_is_the_latency_and_a_note_gives_its_range() -> None:
    """The test device has no efficiency table: the view predicts, uncalibrated (docs/hardware.md);
    the LLM view reads predicted_s, says so, and notes the range the view gives."""
    r = onnx_cost.llm(decoder(), prompt=4, context=8, batch=2, device=device(1e21, 1e11))
    assert r.decode.latency_basis == r.prefill.latency_basis == "predicted"
    assert r.decode.latency_s >= r.decode.floor_s > 0
    notes = [n for n in r.notes if "uncalibrated prediction" in n]
    assert [n.split(" ")[0] for n in notes] == ["decode", "prefill"] and all("range" in n for n in notes)


def test_memory_fit_and_longest_context() -> None:
    """Peak activations of the decode step, the cache apart (past inputs, present outputs and the
    Concat outputs the present Identities alias): at the scores MatMul of a layer, x (B·E·4) and
    q (B·E·4) are live with the transposed K (B·E·T·4) and the scores (B·H·T·4): B·(128 + 72·T)
    bytes, T = context + 1 (the steps before and after hold less: at Softmax x, the scores and
    the probabilities, B·(64 + 16·T)). The need is then
    weights + 256·B·c + B·(128 + 72·(c + 1)) = 12,744 + 656·c at B = 2."""
    r = onnx_cost.llm(decoder(), context=8, batch=2, device=device(1e21, 1e11, 12_744 + 656 * 1000 + 300))
    m = r.memory
    assert m.activation_bytes == 2 * (128 + 72 * 9)
    assert (m.weight_bytes, m.kv_bytes) == (12344, 256 * 2 * 8)
    assert m.needed_bytes == 12_744 + 656 * 8 and m.fits
    assert m.max_context == 1000 and m.max_context_exact
    small = onnx_cost.llm(decoder(), context=8, batch=2, device=device(1e21, 1e11, 12_744 + 656 * 5))
    assert small.memory.fits is False and small.memory.max_context == 5
    none = onnx_cost.llm(decoder(), context=8, batch=2, device=device(1e21, 1e11, 12_000))
    assert none.memory.max_context is None  # not even an empty cache fits


def test_longest_search_on_a_convex_need() -> None:
    def need(c: int) -> int:
        return 1000 + 7 * c + max(50, 3 * c)

    # 1000 + 10·c <= 50,000 from c >= 17: c = 4,900
    assert longest(need, 8, 50_000) == (4900, True)
    assert longest(need, 10_000, 50_000) == (4900, True)
    assert longest(need, 0, 1_000) == (None, True)


def test_batch_where_decode_turns_compute_bound() -> None:
    """Per batch item the decode step does f flops and moves m bytes, plus W bytes of weights
    read once whatever the batch. With ridge r = peak / bandwidth it is compute-bound once
    B·f / r >= W + B·m: B >= W / (f / r − m)."""
    bw, ridge = 1e11, 0.4
    r = onnx_cost.llm(decoder(), context=8, batch=1, device=device(ridge * bw, bw))
    w = L * 4 * E * E * F32 + E * V * F32  # the MatMuls' weights: read once per step
    one = total(mha(1, 1, 8))
    f, m = one[1], one[2] + one[3] - w
    assert f == 6248 and m == 12808  # by hand from mha(): see above
    assert r.batch_scan.crossover == math.ceil(w / (f / ridge - m)) == 4
    # per op type: MatMul alone (its flops against its bytes), Softmax and Add never (their bytes grow as fast)
    mm = mha(1, 1, 8)["MatMul"]
    fm, mm_bytes = mm[1], mm[2] + mm[3] - w
    assert r.batch_scan.by_op_type["MatMul"] == math.ceil(w / (fm / ridge - mm_bytes))
    # Softmax: per row 5T − 2 = 43 flops against 2·T·4 = 72 bytes: 43 / 0.4 >= 72 from batch 1;
    # Add: B·E flops against 3·B·E·4 bytes: never
    assert r.batch_scan.by_op_type["Softmax"] == 1 and r.batch_scan.by_op_type["Add"] is None
    assert set(r.batch_scan.by_op_type) == {"MatMul", "Softmax", "Add"}  # the op types that compute
    # tokens/s at batch 1: 1 / Σ_nodes max(ops / peak, bytes / bandwidth), in bandwidth-bytes per node:
    # projections 2E² − E = 496 flops / 0.4 = 1240 against E·4 + E²·4 + E·4 = 1152 bytes: 1240 (x4);
    # Transposes of [1, 1, E]: 128 (x4); Concat: 2·E·T·4 = 1152 (x2); Transpose of K: 1152;
    # scores: 2·T·E − H·T = 270 flops / 0.4 = 675 against E·4 + E·T·4 + H·T·4 = 712: 712;
    # Softmax 215 against 144: 215; PV: 2·H·D·T − E = 272 / 0.4 = 680 against 712: 712; Add: 192.
    layer = 4 * 1240 + 4 * 128 + 2 * 1152 + 1152 + 712 + 215 + 712 + 192
    # Gather: 64 + 8 read, 64 written; head: 2·E·V − V = 992 / 0.4 = 2480 against 64 + 2048 + 128
    assert r.batch_scan.tokens_per_s[1] == pytest.approx(bw / (136 + L * layer + 2480), rel=1e-12)
    assert r.batch_scan.basis == "floor" and 4 in r.batch_scan.tokens_per_s


def test_fixed_batch_has_no_scan() -> None:
    r = onnx_cost.llm(decoder(batch=1), context=8, device=device(1e21, 1e11))
    assert r.roles.batch_dim == 1 and r.batch_scan is None
    assert any("fixes the batch" in n for n in r.notes)
    with pytest.raises(BindingError, match="fixes the batch at 1"):
        onnx_cost.llm(decoder(batch=1), context=8, batch=4)


def test_no_kv_cache_is_refused() -> None:
    from onnx import TensorProto, helper

    g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])])
    with pytest.raises(UnsupportedModelError, match="no KV cache"):
        onnx_cost.llm(helper.make_model(g))


def test_overrides_and_a_free_dim_to_bind() -> None:
    import onnx

    m = decoder()
    for v in (*m.graph.input, *m.graph.output):  # a dynamo-style export: dims named s0, s1, s2
        for d in (d for d in v.type.tensor_type.shape.dim if d.HasField("dim_param")):
            d.dim_param = {"batch_size": "s0", "sequence_length": "s1", "past_sequence_length": "s2",
                           "past_sequence_length + sequence_length": "s2 + s1"}.get(d.dim_param, d.dim_param)
    r = onnx_cost.llm(m, prompt=4, context=8, batch=2, seq_dim="s1", past_dim="s2")
    assert (r.roles.new_dim, r.roles.past_dim, r.roles.batch_dim) == ("s1", "s2", "s0")
    assert step_numbers(r.decode) == total(mha(2, 1, 8))
    assert r.decode.dims["s2 + s1"] == 9
    with pytest.raises(BindingError, match="has no 'nope' dim"):
        onnx_cost.llm(m, seq_dim="s1", past_dim="nope")
    onnx.checker.check_model(m)


def test_result_is_frozen_and_serializable() -> None:
    import dataclasses
    import json

    r = onnx_cost.llm(decoder(), prompt=4, context=8, batch=2, device=device(1e21, 1e11, 1e9))
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.batch = 3  # type: ignore[misc]
    d = json.loads(json.dumps(r.to_dict()))
    assert d["schema"] == "onnx-cost.llm/1"
    assert d["decode"]["macs"] == 6272 and d["kv_cache"]["bytes_for_batch"] == 4096
    assert d["ideal"]["ideal_bytes"] == 16952 and d["memory"]["fits"] is True
    assert set(d) == {"schema", "model", "roles", "prompt", "context", "batch", "prefill", "prefill_note", "decode",
                      "kv_cache", "weight_bytes", "ideal", "device", "memory", "batch_scan", "measured", "notes"}


def _rename(m, names: dict[str, str]):  # type: ignore[no-untyped-def]
    for v in (*m.graph.input, *m.graph.output):
        v.name = names.get(v.name, v.name)
    for n in m.graph.node:
        for i, x in enumerate(n.input):
            n.input[i] = names.get(x, x)
        for i, x in enumerate(n.output):
            n.output[i] = names.get(x, x)
    return m


def test_past_k_present_k_names() -> None:
    names = {}
    for i in range(L):
        for kv, short in (("key", "k"), ("value", "v")):
            names[f"past_key_values.{i}.{kv}"] = f"past_{short}_{i}"
            names[f"present.{i}.{kv}"] = f"present_{short}_{i}"
    r = onnx_cost.llm(_rename(decoder(), names), prompt=4, context=8, batch=2)
    assert [c.name for c in r.roles.caches] == ["past_k_0", "past_v_0", "past_k_1", "past_v_1"]
    assert [c.present for c in r.roles.caches] == ["present_k_0", "present_v_0", "present_k_1", "present_v_1"]
    assert step_numbers(r.decode) == total(mha(2, 1, 8))


def test_cache_recognized_by_the_attention_op_it_feeds() -> None:
    """Names that say nothing (kv0a, kv0b): GroupQueryAttention's past_key and past_value slots do."""
    names = {f"past_key_values.{i}.{kv}": f"kv{i}{ab}" for i in range(L) for kv, ab in (("key", "a"), ("value", "b"))}
    r = onnx_cost.llm(_rename(decoder(attention="gqa", kv_heads=1), names), prompt=4, context=8, batch=2)
    assert [c.name for c in r.roles.caches] == ["kv0a", "kv0b", "kv1a", "kv1b"]
    assert r.roles.layout == "fused (GroupQueryAttention)"
    assert step_numbers(r.decode) == gqa(2, 1, 8)


def test_the_calibrated_prediction_is_used_when_the_view_has_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """A calibrated view: predicted_s (set to 2.5 ps per byte) is the latency, floor_s (1 ps per byte) the floor."""
    _view_with(monkeypatch, 1e-12, 2.5e-12, calibrated=True)
    r = onnx_cost.llm(decoder(), prompt=4, context=8, batch=2, device=device(1e21, 1e11))
    dec = total(mha(2, 1, 8))
    assert r.decode.latency_basis == "predicted" and r.decode.floor_s == pytest.approx(1e-12 * (dec[2] + dec[3]))
    assert r.decode.latency_s == pytest.approx(2.5e-12 * (dec[2] + dec[3]), rel=1e-12)
    assert r.decode.tokens_per_s == pytest.approx(2 / (2.5e-12 * (dec[2] + dec[3])), rel=1e-12)
    assert not any("uncalibrated" in n for n in r.notes)


def test_batch_scan_names_op_types_as_the_shares_do() -> None:
    """GroupQueryAttention per sequence at T = 9 (N = 2 heads, one KV head of D = 8): MACs N·T·2D = 288 in
    N·T + N·D = 34 dots, N·T = 18 score muls, softmax 2·(5·9 − 2) = 86: 646 FLOPs; bytes: q 64, k and v 64,
    the past 2·8·8·4 = 512, seqlens_k 4 read, output 64 and the present 2·9·8·4 = 576 written: 1,280,
    plus total_sequence_length (4 bytes) whatever the batch. Compute-bound from batch 1 when
    646 / ridge >= 1,280 + 4: at ridge 0.4 (1,615), never at 0.6 (1,076.7 < 1,280 per sequence)."""
    key = "com.microsoft::GroupQueryAttention"
    at = {ridge: onnx_cost.llm(decoder(attention="gqa", kv_heads=1), context=8, device=device(ridge * 1e11, 1e11))
          for ridge in (0.4, 0.6)}
    assert at[0.4].batch_scan.by_op_type[key] == 1
    assert at[0.6].batch_scan.by_op_type[key] is None
    assert key in at[0.4].decode.share_by_op_type
