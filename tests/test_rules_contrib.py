"""ONNX Runtime contrib ops (com.microsoft): norms, GELUs, fused ops and attention.

Every expected number is worked out by hand from the op's formula (see the rule docstrings)
and the shapes, with the arithmetic next to it. Reference counts used below:
LayerNorm row of D: 6·D + 3 arith (+ D with bias), 1 transcendental (+ 1 with inv_std_var);
RMS row: 4·D + 1 arith, 1 transcendental (+ 1 with inv_std_var); softmax row of L: L − 1
compare, 3·L − 1 arith, L transcendental.
"""

from __future__ import annotations

import pytest
from onnx import helper

import onnx_cost
from onnx_cost.rules.cost import COUNT_FIELDS

from helpers import init, make_model, one_node

MS = "com.microsoft"
F = "float32"


def counts(rec) -> dict[str, int]:
    return {f: getattr(rec.cost, f) for f in COUNT_FIELDS}


def expect(rec, **parts: int) -> None:
    """The node is counted with exactly these parts (unnamed parts are 0)."""
    assert rec.status == "counted", rec.detail
    assert counts(rec) == {f: parts.get(f, 0) for f in COUNT_FIELDS}


def ms(op, inputs, outputs, initializers=(), **attrs):
    return one_node(op, inputs, outputs, initializers, domain=MS, **attrs)


X234 = ("x", F, (2, 3, 4))  # 24 elements

# -- GELUs and elementwise fusions ---------------------------------------------------------


@pytest.mark.parametrize(
    "op, inputs, attrs, parts",
    [
        # 24 elements × (4 arith + 1 erf)
        ("Gelu", [X234], {}, dict(arith=96, transcendental=24)),
        # 24 × (1 bias add + 4 arith) = 120 arith, 24 erf
        ("BiasGelu", [X234, ("b", F, (4,))], {}, dict(arith=120, transcendental=24)),
        # 24 × 8 arith, 24 tanh
        ("FastGelu", [X234], {}, dict(arith=192, transcendental=24)),
        # 24 × (8 + 1 bias add) = 216 arith
        ("FastGelu", [X234, ("b", F, (4,))], {}, dict(arith=216, transcendental=24)),
        # 24 × (alpha·x 1 + sigmoid 3 + ·x 1) = 120 arith, 24 exp
        ("QuickGelu", [X234], {"alpha": 1.702}, dict(arith=120, transcendental=24)),
        # alpha = 1 still multiplies: same count
        ("QuickGelu", [X234], {"alpha": 1.0}, dict(arith=120, transcendental=24)),
        # X (1,4,8) = 32 elements × 2 adds (bias, skip)
        ("BiasAdd", [("x", F, (1, 4, 8)), ("b", F, (8,)), ("s", F, (1, 4, 8))], {}, dict(arith=64)),
    ],
)
def test_gelus(op, inputs, attrs, parts):
    rec = ms(op, inputs, [("y", F, inputs[0][2])], **attrs)
    expect(rec, **parts)


def test_bias_split_gelu():
    # X (1,4,8) = 32 elements: 32 bias adds; 16 outputs × (4 GELU arith + 1 mul) = 80; 16 erf
    rec = ms("BiasSplitGelu", [("x", F, (1, 4, 8)), ("b", F, (8,))], [("y", F, (1, 4, 4))])
    expect(rec, arith=32 + 80, transcendental=16)


def test_bias_split_gelu_odd_hidden_is_invalid():
    rec = ms("BiasSplitGelu", [("x", F, (1, 4, 7)), ("b", F, (7,))], [("y", F, None)])
    assert rec.status == "invalid" and "odd" in rec.detail


def test_symbolic_dim_is_shape_unknown_and_propagates():
    rec = ms("Gelu", [("x", F, ("batch", 4))], [("y", F, ("batch", 4))])
    assert rec.status == "shape_unknown"
    assert rec.missing == ("batch",)


# -- layer norms ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "domain, opset",
    [(MS, 21), ("", 14)],  # ORT writes it in both domains; "" at opset 14 has no ONNX schema
)
def test_layer_normalization(domain, opset):
    # X (2,3,8): 6 rows of D = 8, with bias: 6 × (7·8 + 3) = 6 × 59 = 354 arith;
    # 6 sqrt + 6 reciprocals for the requested inv_std_var output
    rec = one_node(
        "LayerNormalization",
        [("x", F, (2, 3, 8)), ("s", F, (8,)), ("b", F, (8,))],
        [("y", F, (2, 3, 8)), ("mean", F, (2, 3, 1)), ("inv", F, (2, 3, 1))],
        opset=opset,
        domain=domain,
    )
    if domain == "":  # the rule itself belongs to the norms family: only the shapes are ours
        assert rec.outputs == ((2, 3, 8), (2, 3, 1), (2, 3, 1))
        return
    expect(rec, arith=354, transcendental=12)


def test_layer_normalization_axis_and_no_bias():
    # axis 1 of (2,3,8): 2 rows of D = 24, no bias: 2 × (6·24 + 3) = 2 × 147 = 294 arith; 2 sqrt
    rec = ms(
        "LayerNormalization",
        [("x", F, (2, 3, 8)), ("s", F, (3, 8))],
        [("y", F, (2, 3, 8)), ("mean", F, (2, 1, 1))],
        axis=1,
    )
    expect(rec, arith=294, transcendental=2)


@pytest.mark.parametrize("domain", [MS, ""])
def test_simplified_layer_normalization(domain):
    # 6 rows of D = 8: 6 × (4·8 + 1) = 6 × 33 = 198 arith; 6 sqrt + 6 reciprocals (inv_std_var)
    rec = one_node(
        "SimplifiedLayerNormalization",
        [("x", F, (2, 3, 8)), ("s", F, (8,))],
        [("y", F, (2, 3, 8)), ("inv", F, (2, 3, 1))],
        opset=14,
        domain=domain,
    )
    expect(rec, arith=198, transcendental=12)


@pytest.mark.parametrize(
    "extra, parts",
    [
        # beta and bias: 48 elements × 2 adds = 96; LN 6 × (7·8 + 3) = 354 -> 450
        ([("beta", F, (8,)), ("bias", F, (8,))], dict(arith=450, transcendental=6)),
        # no beta, no bias: 48 adds; LN 6 × (6·8 + 3) = 306 -> 354
        ([], dict(arith=354, transcendental=6)),
        # bias only (beta absent): 96 adds + 306 = 402
        ([None, ("bias", F, (8,))], dict(arith=402, transcendental=6)),
    ],
)
def test_skip_layer_normalization(extra, parts):
    inputs = [("x", F, (2, 3, 8)), ("skip", F, (2, 3, 8)), ("g", F, (8,)), *extra]
    expect(ms("SkipLayerNormalization", inputs, [("y", F, (2, 3, 8))]), **parts)


def test_skip_layer_normalization_all_outputs():
    # mean and input_skip_bias_sum are intermediates; inv_std_var adds 6 reciprocals: 354, 12
    inputs = [("x", F, (2, 3, 8)), ("skip", F, (2, 3, 8)), ("g", F, (8,))]
    outputs = [("y", F, (2, 3, 8)), ("mean", F, (2, 3, 1)), ("inv", F, (2, 3, 1)), ("sum", F, (2, 3, 8))]
    expect(ms("SkipLayerNormalization", inputs, outputs), arith=354, transcendental=12)


def test_skip_simplified_layer_normalization():
    # 48 skip adds + 48 bias adds + RMS 6 × 33 = 198 -> 294 arith
    inputs = [("x", F, (2, 3, 8)), ("skip", F, (2, 3, 8)), ("g", F, (8,)), ("bias", F, (8,))]
    rec = ms("SkipSimplifiedLayerNormalization", inputs, [("y", F, (2, 3, 8))])
    expect(rec, arith=294, transcendental=6)
    # without bias: 48 + 198 = 246
    rec = ms("SkipSimplifiedLayerNormalization", inputs[:3], [("y", F, (2, 3, 8))])
    expect(rec, arith=246, transcendental=6)


def test_skip_layer_norm_keeps_symbolic_batch():
    inputs = [("x", F, ("batch", 3, 8)), ("skip", F, ("batch", 3, 8)), ("g", F, (8,))]
    rec = ms("SkipLayerNormalization", inputs, [("y", F, ("batch", 3, 8))])
    assert rec.status == "shape_unknown" and rec.missing == ("batch",)


def test_embed_layer_normalization():
    I32 = "int32"
    inputs = [
        ("ids", I32, (2, 3)),
        ("seg", I32, (2, 3)),
        ("word", F, (10, 8)),
        ("pos", F, (16, 8)),
        ("segemb", F, (2, 8)),
        ("gamma", F, (8,)),
        ("beta", F, (8,)),
        ("mask", I32, (2, 3)),
    ]
    rec = ms("EmbedLayerNormalization", inputs, [("y", F, (2, 3, 8)), ("mask_index", I32, (2,))])
    # 6 tokens × 8: word + pos + seg = 2 adds per element = 96; LN 6 × 59 = 354 -> 450 arith;
    # mask index: 2 sequences × (3 − 1) int adds = 4
    expect(rec, arith=450, transcendental=6, int_ops=4)
    # reads: ids 6·4 + seg 6·4 + 3 tables × 6 rows × 8 × 4 B + gamma 32 + beta 32 + mask 24
    #      = 24 + 24 + 576 + 32 + 32 + 24 = 712 (not the whole tables)
    assert rec.cost.read_bytes == 712


def test_embed_layer_normalization_without_segment_or_mask():
    inputs = [("ids", "int32", (2, 3)), None, ("word", F, (10, 8)), ("pos", F, (16, 8)), None]
    inputs += [("gamma", F, (8,)), ("beta", F, (8,))]
    rec = ms("EmbedLayerNormalization", inputs, [("y", F, (2, 3, 8))])
    # 48 adds (word + pos) + LN 354 = 402 arith
    expect(rec, arith=402, transcendental=6)
    # reads: ids 24 + word 192 + pos 192 + gamma 32 + beta 32 = 472
    assert rec.cost.read_bytes == 472


# -- rotary embedding ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "x, cos, attrs, arith, read",
    [
        # 4-D (B1, N2, S3, H8), cos (16, 4): rot 8 = head, 48 rotated × 3 = 144;
        # reads x 192 + position_ids 3·8 = 24 + 2 caches × 3 tokens × 4 × 4 B = 96 -> 312
        ((1, 2, 3, 8), (16, 4), {}, 144, 312),
        # 3-D (1, 3, 16), num_heads 2 -> head 8, rot 4: 6 heads·tokens × 4 = 24 rotated × 3 = 72;
        # reads 192 + 24 + 2 × 3 tokens × 2 × 4 B = 48 -> 264
        ((1, 3, 16), (16, 2), {"num_heads": 2, "rotary_embedding_dim": 4}, 72, 264),
        # 3-D without num_heads: head = rot = 8, all 48 elements rotated: 144; reads 192 + 24 + 96
        ((1, 3, 16), (16, 4), {}, 144, 312),
    ],
)
def test_rotary_embedding(x, cos, attrs, arith, read):
    inputs = [("x", F, x), ("pos", "int64", (1, 3)), ("cos", F, cos), ("sin", F, cos)]
    rec = ms("RotaryEmbedding", inputs, [("y", F, x)], **attrs)
    expect(rec, arith=arith)
    assert rec.cost.read_bytes == read


def test_rotary_dim_larger_than_head_is_invalid():
    inputs = [("x", F, (1, 2, 3, 8)), ("pos", "int64", (1, 3)), ("cos", F, (16, 5)), ("sin", F, (16, 5))]
    rec = ms("RotaryEmbedding", inputs, [("y", F, None)], rotary_embedding_dim=10)
    assert rec.status == "invalid"


# -- fused contractions ------------------------------------------------------------------------


def test_fused_conv_relu_with_bias():
    # X (1,3,8,8), W (4,3,3,3), pads 1: Y (1,4,8,8) = 256 outputs × 3·9 = 27 MACs = 6912;
    # 256 dots, 256 bias adds, 256 ReLU compares
    inputs = [("x", F, (1, 3, 8, 8)), ("w", F, (4, 3, 3, 3)), ("b", F, (4,))]
    rec = ms("FusedConv", inputs, [("y", F, (1, 4, 8, 8))], pads=[1, 1, 1, 1], activation="Relu")
    expect(rec, macs=6912, dots=256, bias_adds=256, compare=256)


def test_fused_conv_sum_and_sigmoid():
    # no pads: Y (1,4,6,6) = 144 outputs × 27 = 3888 MACs; Z add 144 + sigmoid 3·144 = 576 arith
    inputs = [("x", F, (1, 3, 8, 8)), ("w", F, (4, 3, 3, 3)), None, ("z", F, (1, 4, 6, 6))]
    rec = ms("FusedConv", inputs, [("y", F, (1, 4, 6, 6))], activation="Sigmoid")
    expect(rec, macs=3888, dots=144, arith=576, transcendental=144)


def test_fused_conv_group_stride_leaky():
    # X (1,4,8,8), W (4,2,3,3), group 2, stride 2, pads 1: Hout = (8 + 2 − 3)//2 + 1 = 4;
    # Y (1,4,4,4) = 64 outputs × 2·9 = 18 -> 1152 MACs; LeakyRelu 64 compare + 64 mul
    inputs = [("x", F, (1, 4, 8, 8)), ("w", F, (4, 2, 3, 3))]
    rec = ms(
        "FusedConv", inputs, [("y", F, (1, 4, 4, 4))],
        group=2, strides=[2, 2], pads=[1, 1, 1, 1], activation="LeakyRelu", activation_params=[0.1],
    )
    expect(rec, macs=1152, dots=64, compare=64, arith=64)


def test_fused_conv_unknown_activation_is_invalid():
    rec = ms("FusedConv", [("x", F, (1, 3, 8, 8)), ("w", F, (4, 3, 3, 3))], [("y", F, None)], activation="Mish")
    assert rec.status == "invalid" and "Mish" in rec.detail


def test_nhwc_conv():
    # X (1,8,8,3) channels last, W (4,3,3,3), pads 1: Y (1,8,8,4) = 256 × 27 = 6912 MACs; + bias
    inputs = [("x", F, (1, 8, 8, 3)), ("w", F, (4, 3, 3, 3)), ("b", F, (4,))]
    rec = ms("NhwcConv", inputs, [("y", F, (1, 8, 8, 4))], pads=[1, 1, 1, 1])
    expect(rec, macs=6912, dots=256, bias_adds=256)


@pytest.mark.parametrize(
    "op, a, b, attrs, out, parts",
    [
        # op(B) = (2,4,5): out (2,3,5) = 30 × K 4 = 120 MACs; alpha 0.5: 30 muls
        ("FusedMatMul", (2, 3, 4), (2, 5, 4), {"transB": 1, "alpha": 0.5}, (2, 3, 5),
         dict(macs=120, dots=30, arith=30)),
        # op(A) = (2,3,4): 30 × 4 = 120 MACs, alpha 1: no scaling
        ("FusedMatMul", (2, 4, 3), (4, 5), {"transA": 1}, (2, 3, 5), dict(macs=120, dots=30)),
        # transBatchA: A (3,2,4) is read as batch 2 of (3,4): out (2,3,5), 120 MACs
        ("FusedMatMul", (3, 2, 4), (2, 4, 5), {"transBatchA": 1}, (2, 3, 5), dict(macs=120, dots=30)),
        # TransposeMatMul is the same op: (3,4)·(4,5) = 15 outputs × 4 = 60 MACs
        ("TransposeMatMul", (4, 3), (4, 5), {"transA": 1}, (3, 5), dict(macs=60, dots=15)),
    ],
)
def test_fused_matmul(op, a, b, attrs, out, parts):
    rec = ms(op, [("a", F, a), ("b", F, b)], [("y", F, out)], **attrs)
    expect(rec, **parts)


def test_fused_gemm():
    # A (3,4)·B(5,4)ᵀ: 15 outputs × 4 = 60 MACs; C (5): 15 bias adds; ReLU 15
    inputs = [("a", F, (3, 4)), ("b", F, (5, 4)), ("c", F, (5,))]
    rec = ms("FusedGemm", inputs, [("y", F, (3, 5))], transB=1, activation="Relu")
    expect(rec, macs=60, dots=15, bias_adds=15, compare=15)
    # alpha 2: 15 muls; beta 0.5: 5 muls on C -> 20 arith
    rec = ms("FusedGemm", inputs, [("y", F, (3, 5))], transB=1, alpha=2.0, beta=0.5)
    expect(rec, macs=60, dots=15, bias_adds=15, arith=20)


# -- attention -----------------------------------------------------------------------------------

ATT_IN = [("x", F, (2, 4, 8)), ("w", F, (8, 24)), ("bias", F, (24,))]
# B 2, S 4, Din 8, hidden 8 (Q, K, V), N 2, D 4, T 4 (no past):
#   projection 2·4·8·24 = 1536 MACs, 2·4·24 = 192 dots, 192 bias adds;
#   scores 2·2·4·4 = 64, rows 2·2·4 = 16; QKᵀ 64·4 = 256 MACs, PV 16·4·4 = 256 MACs;
#   dots 64 + 16·4 = 128; scale 64 muls; softmax 16 × (3 compare, 11 arith, 4 exp)
ATT_BASE = dict(macs=2048, dots=320, bias_adds=192, arith=64 + 176, compare=48, transcendental=64)


def test_attention():
    rec = ms("Attention", ATT_IN, [("y", F, (2, 4, 8))], num_heads=2)
    expect(rec, **ATT_BASE)


def test_attention_unidirectional_is_counted_in_full():
    # every score is computed; the causal mask is one add per score: + 64
    rec = ms("Attention", ATT_IN, [("y", F, (2, 4, 8))], num_heads=2, unidirectional=1)
    expect(rec, **{**ATT_BASE, "arith": 240 + 64})


def test_attention_mask_and_bias_add_per_score():
    # mask_index: + 64 adds; attention_bias (1,2,4,4): + 64 adds
    inputs = [*ATT_IN, ("mask", "int32", (2, 4)), None, ("ab", F, (1, 2, 4, 4))]
    rec = ms("Attention", inputs, [("y", F, (2, 4, 8))], num_heads=2)
    expect(rec, **{**ATT_BASE, "arith": 240 + 128})
    # mask_index with unidirectional: one combined additive mask, still + 64
    rec = ms("Attention", inputs[:4], [("y", F, (2, 4, 8))], num_heads=2, unidirectional=1)
    expect(rec, **{**ATT_BASE, "arith": 240 + 64})


def test_attention_with_past():
    # past (2,2,2,3,4): T = 3 + 4 = 7; scores 2·2·4·7 = 112; QKᵀ 448 + PV 16·4·7 = 448 MACs;
    # dots 112 + 64 = 176; scale 112 + softmax 16 × 20 = 320 arith; 16 × 6 = 96 compare; 112 exp
    inputs = [*ATT_IN, None, ("past", F, (2, 2, 2, 3, 4))]
    rec = ms("Attention", inputs, [("y", F, (2, 4, 8)), ("present", F, (2, 2, 2, 7, 4))], num_heads=2)
    expect(rec, macs=1536 + 896, dots=192 + 176, bias_adds=192, arith=432, compare=96, transcendental=112)


def test_attention_qkv_hidden_sizes():
    # weights (8, 8+8+4): projection 2·4·8·20 = 1280 MACs, 160 dots, 160 bias adds;
    # Dv = 2: PV 16·2·4 = 128 MACs, dots 64 + 16·2 = 96; output (2, 4, 4)
    inputs = [("x", F, (2, 4, 8)), ("w", F, (8, 20)), ("bias", F, (20,))]
    rec = ms("Attention", inputs, [("y", F, (2, 4, 4))], num_heads=2, qkv_hidden_sizes=[8, 8, 4])
    expect(rec, macs=1280 + 256 + 128, dots=160 + 96, bias_adds=160, arith=240, compare=48, transcendental=64)


def test_attention_rotary():
    # do_rotary: B·S·(Hq + Hk)/D = 2·4·16/4 = 32 head-rows × rot 4 = 128 elements × 3 = 384 arith
    rec = ms("Attention", ATT_IN, [("y", F, (2, 4, 8))], num_heads=2, do_rotary=1)
    expect(rec, **{**ATT_BASE, "arith": 240 + 384})


def test_attention_without_num_heads_is_invalid():
    rec = ms("Attention", ATT_IN, [("y", F, None)])
    assert rec.status == "invalid" and "num_heads" in rec.detail


def test_attention_symbolic_batch():
    inputs = [("x", F, ("batch", 4, 8)), ("w", F, (8, 24)), ("bias", F, (24,))]
    rec = ms("Attention", inputs, [("y", F, ("batch", 4, 8))], num_heads=2)
    assert rec.status == "shape_unknown" and rec.missing == ("batch",)


def test_attention_shape_feeds_a_default_domain_node():
    """Attention's output shape (from our shape function) lets the next node be counted."""
    nodes = [
        helper.make_node("Attention", ["x", "w", "bias"], ["a"], domain=MS, num_heads=2),
        helper.make_node("QuantizeLinear", ["a", "s"], ["q"]),
    ]
    model = make_model(
        nodes,
        [("x", F, (2, 4, 8))],
        [("q", "uint8", None)],
        [init("w", F, (8, 24)), init("bias", F, (24,)), init("s", F, (), 0.5)],
        extra_opsets={MS: 1},
    )
    report = onnx_cost.analyze(model)
    att, q = report.nodes
    expect(att, **ATT_BASE)
    assert q.inputs[0] == (2, 4, 8)
    # 64 elements × (1 div + 1 round) = 128 arith, 64 × 2 saturate compares = 128
    expect(q, arith=128, compare=128)


def test_shape_function_feeds_a_default_domain_relu():
    nodes = [
        helper.make_node("SkipLayerNormalization", ["x", "skip", "g"], ["n"], domain=MS),
        helper.make_node("Relu", ["n"], ["r"]),
    ]
    model = make_model(
        nodes,
        [("x", F, (2, 3, 8)), ("skip", F, (2, 3, 8))],
        [("r", F, None)],
        [init("g", F, (8,))],
        extra_opsets={MS: 1},
    )
    relu = onnx_cost.analyze(model).nodes[1]
    assert relu.inputs[0] == (2, 3, 8) and relu.outputs[0] == (2, 3, 8)
    if relu.status == "counted":  # once the elementwise family is in: 48 ReLU compares
        expect(relu, compare=48)
    else:  # its rule is another family's; the shape is what ours provides
        assert relu.status == "uncounted"


MHA_QKV = [("q", F, (2, 4, 8)), ("k", F, (2, 6, 8)), ("v", F, (2, 6, 8))]
# B 2, S 4, L 6, N 2, D 4: scores 2·2·4·6 = 96, rows 16; QKᵀ 384 + PV 16·4·6 = 384 MACs;
# dots 96 + 64 = 160; scale 96 + softmax 16 × 17 = 272 arith; 16 × 5 = 80 compare; 96 exp
MHA_BASE = dict(macs=768, dots=160, arith=368, compare=80, transcendental=96)


def test_multi_head_attention():
    rec = ms("MultiHeadAttention", MHA_QKV, [("y", F, (2, 4, 8))], num_heads=2)
    expect(rec, **MHA_BASE)


def test_multi_head_attention_bias_and_padding_mask():
    # bias: Q 2·4·8 = 64 + K and V 2·6·16 = 192 -> 256 bias adds; key_padding_mask: + 96 adds
    inputs = [*MHA_QKV, ("bias", F, (24,)), ("kpm", "int32", (2, 6))]
    rec = ms("MultiHeadAttention", inputs, [("y", F, (2, 4, 8))], num_heads=2)
    expect(rec, **{**MHA_BASE, "bias_adds": 256, "arith": 368 + 96})


def test_multi_head_attention_packed_qkv():
    # query (2,4,2,3,4): L = S = 4: as Attention's core (512 MACs, 128 dots, 240 arith, ...);
    # bias: 3·2·4·2·4 = 192 bias adds
    inputs = [("q", F, (2, 4, 2, 3, 4)), None, None, ("bias", F, (24,))]
    rec = ms("MultiHeadAttention", inputs, [("y", F, (2, 4, 8))], num_heads=2)
    expect(rec, macs=512, dots=128, bias_adds=192, arith=240, compare=48, transcendental=64)


def test_multi_head_attention_with_past():
    # past_key/value (2,2,3,4): T = 3 + 6 = 9; scores 2·2·4·9 = 144; MACs 144·4 + 16·4·9 = 1152;
    # dots 144 + 64 = 208; arith 144 + 16·26 = 560; compare 16·8 = 128; exp 144
    inputs = [*MHA_QKV, None, None, None, ("pk", F, (2, 2, 3, 4)), ("pv", F, (2, 2, 3, 4))]
    outputs = [("y", F, (2, 4, 8)), ("present_k", F, (2, 2, 9, 4)), ("present_v", F, (2, 2, 9, 4))]
    rec = ms("MultiHeadAttention", inputs, outputs, num_heads=2)
    expect(rec, macs=1152, dots=208, arith=560, compare=128, transcendental=144)


def test_multi_head_attention_cached_cross_attention():
    # key/value already (B, N, L, D) = (2,2,6,4): same core; bias only on Q: 64 bias adds
    inputs = [("q", F, (2, 4, 8)), ("k", F, (2, 2, 6, 4)), ("v", F, (2, 2, 6, 4)), ("bias", F, (24,))]
    rec = ms("MultiHeadAttention", inputs, [("y", F, (2, 4, 8))], num_heads=2)
    expect(rec, **{**MHA_BASE, "bias_adds": 64})


def test_multi_head_attention_needs_key():
    rec = ms("MultiHeadAttention", [("q", F, (2, 4, 8))], [("y", F, None)], num_heads=2)
    assert rec.status == "invalid"


GQA_IN = [("q", F, (1, 4, 16)), ("k", F, (1, 4, 8)), ("v", F, (1, 4, 8)), None, None, ("seqlens", "int32", (1,))]
GQA_INIT = [init("total", "int32", (), 4)]
# B 1, S 4, N 4, Nkv 2, D 4, T 4: scores 1·4·4·4 = 64, rows 16: as Attention's core
GQA_BASE = dict(macs=512, dots=128, arith=240, compare=48, transcendental=64)


def gqa(inputs, outputs, initializers=GQA_INIT, **attrs):
    return ms("GroupQueryAttention", inputs, outputs, initializers, num_heads=4, kv_num_heads=2, **attrs)


def test_group_query_attention():
    outputs = [("y", F, (1, 4, 16)), ("pk", F, (1, 2, 4, 4)), ("pv", F, (1, 2, 4, 4))]
    expect(gqa([*GQA_IN, ("total", "int32", ())], outputs), **GQA_BASE)


def test_group_query_attention_packed_qkv():
    # query (1, 4, (4 + 2·2)·4 = 32): D = 4, same core
    inputs = [("q", F, (1, 4, 32)), None, None, None, None, ("seqlens", "int32", (1,)), ("total", "int32", ())]
    expect(gqa(inputs, [("y", F, (1, 4, 16))]), **GQA_BASE)


def test_group_query_attention_with_past():
    # past (1,2,3,4), total_sequence_length unknown (a graph input): T = 3 + 4 = 7;
    # scores 1·4·4·7 = 112; MACs 448 + 16·4·7 = 896; dots 112 + 64 = 176;
    # arith 112 + 16·20 = 432; compare 16·6 = 96; exp 112
    inputs = [*GQA_IN[:3], ("pk", F, (1, 2, 3, 4)), ("pv", F, (1, 2, 3, 4)), GQA_IN[5], ("total", "int32", ())]
    outputs = [("y", F, (1, 4, 16)), ("pk2", F, (1, 2, 7, 4)), ("pv2", F, (1, 2, 7, 4))]
    expect(gqa(inputs, outputs, initializers=()), macs=896, dots=176, arith=432, compare=96, transcendental=112)


def test_group_query_attention_shared_buffer():
    # past buffer of max length 16 with total_sequence_length 7: T = 7, present keeps (1,2,16,4)
    inputs = [*GQA_IN[:3], ("pk", F, (1, 2, 16, 4)), ("pv", F, (1, 2, 16, 4)), GQA_IN[5], ("total", "int32", ())]
    outputs = [("y", F, (1, 4, 16)), ("pk2", F, (1, 2, 16, 4)), ("pv2", F, (1, 2, 16, 4))]
    rec = gqa(inputs, outputs, initializers=[init("total", "int32", (), 7)])
    expect(rec, macs=896, dots=176, arith=432, compare=96, transcendental=112)


@pytest.mark.parametrize(
    "extra, attrs, delta",
    [
        # softcap: per score 1 div + 1 mul + 1 tanh: + 128 arith, + 64 transcendental
        ([], {"softcap": 30.0}, dict(arith=128, transcendental=64)),
        # smooth_softmax: per row 1 compare + 2 arith + 1 exp: + 16, + 32, + 16
        ([], {"smooth_softmax": 1}, dict(compare=16, arith=32, transcendental=16)),
        # rotary with cos (16, 2): rot 4; B·S·(N + Nkv) = 1·4·6 = 24 head-rows × 4 = 96 × 3 = 288
        ([("cos", F, (16, 2)), ("sin", F, (16, 2))], {"do_rotary": 1}, dict(arith=288)),
    ],
)
def test_group_query_attention_options(extra, attrs, delta):
    rec = gqa([*GQA_IN, ("total", "int32", ()), *extra], [("y", F, (1, 4, 16))], **attrs)
    expect(rec, **{k: v + delta.get(k, 0) for k, v in GQA_BASE.items()})


def test_group_query_attention_bad_kv_heads():
    rec = ms("GroupQueryAttention", [*GQA_IN, ("total", "int32", ())], [("y", F, None)], GQA_INIT,
             num_heads=4, kv_num_heads=3)
    assert rec.status == "invalid" and "kv_num_heads" in rec.detail


# packed attention: 5 real tokens of a (B 2, S 3) padded batch, hidden 8, N 2, D 4;
# core over padded scores 2·2·3·3 = 36, rows 12: MACs 36·4 + 12·4·3 = 288; dots 36 + 48 = 84;
# arith 36 + 12·8 = 132; compare 12·2 = 24; exp 36
PACKED_CORE = dict(macs=288, dots=84, arith=132, compare=24, transcendental=36)


def test_packed_attention():
    # projection 5·8·24 = 960 MACs, 5·24 = 120 dots and bias adds
    inputs = [("x", F, (5, 8)), ("w", F, (8, 24)), ("bias", F, (24,)), ("off", "int32", (2, 3)), ("cum", "int32", (3,))]
    rec = ms("PackedAttention", inputs, [("y", F, (5, 8))], num_heads=2)
    expect(rec, **{**PACKED_CORE, "macs": 960 + 288, "dots": 120 + 84, "bias_adds": 120})


def test_packed_multi_head_attention():
    # bias on Q, K, V: 5·24 = 120 bias adds
    inputs = [("q", F, (5, 8)), ("k", F, (5, 8)), ("v", F, (5, 8)), ("bias", F, (24,))]
    inputs += [("off", "int32", (2, 3)), ("cum", "int32", (3,))]
    rec = ms("PackedMultiHeadAttention", inputs, [("y", F, (5, 8))], num_heads=2)
    expect(rec, **PACKED_CORE, bias_adds=120)


def test_multi_head_attention_unidirectional_adds_the_causal_mask():
    # the full core, plus one add per score for the causal mask: 368 + 96 = 464 arith
    rec = ms("MultiHeadAttention", MHA_QKV, [("y", F, (2, 4, 8))], num_heads=2, unidirectional=1)
    expect(rec, **{**MHA_BASE, "arith": 368 + 96})


def test_nhwc_fused_conv():
    # Y (1,8,8,4) = 256 outputs × 27 = 6912 MACs; 256 bias adds; Z 256 adds; ReLU 256 compares
    inputs = [("x", F, (1, 8, 8, 3)), ("w", F, (4, 3, 3, 3)), ("b", F, (4,)), ("z", F, (1, 8, 8, 4))]
    rec = ms("NhwcFusedConv", inputs, [("y", F, (1, 8, 8, 4))], pads=[1, 1, 1, 1], activation="Relu")
    expect(rec, macs=6912, dots=256, bias_adds=256, arith=256, compare=256)


@pytest.mark.parametrize(
    "x, attrs, parts",
    [
        # NHWC (1,4,4,8), 2 groups: 2 groups of D = 4·4·4 = 64: 2 × (5·64 + 3) = 646 arith, 2 sqrt;
        # gamma, beta: 2 × 128 = 256; SiLU 4 × 128 = 512 arith, 128 exp -> 1414 arith, 130
        ((1, 4, 4, 8), {"groups": 2, "activation": 1}, dict(arith=1414, transcendental=130)),
        # NCHW (1,8,4,4), no activation: 646 + 256 = 902 arith, 2 sqrt
        ((1, 8, 4, 4), {"groups": 2, "activation": 0, "channels_last": 0}, dict(arith=902, transcendental=2)),
    ],
)
def test_group_norm(x, attrs, parts):
    inputs = [("x", F, x), ("gamma", F, (8,)), ("beta", F, (8,))]
    expect(ms("GroupNorm", inputs, [("y", F, x)], **attrs), **parts)


def test_group_norm_groups_must_divide_channels():
    inputs = [("x", F, (1, 4, 4, 8)), ("gamma", F, (8,)), ("beta", F, (8,))]
    rec = ms("GroupNorm", inputs, [("y", F, None)], groups=3, activation=0)
    assert rec.status == "invalid" and "groups" in rec.detail


def test_skip_group_norm():
    # GroupNorm without activation 902 arith + skip add 128 + bias add 128 = 1158; 2 sqrt
    inputs = [("x", F, (1, 4, 4, 8)), ("gamma", F, (8,)), ("beta", F, (8,)), ("skip", F, (1, 4, 4, 8))]
    inputs.append(("bias", F, (8,)))
    outputs = [("y", F, (1, 4, 4, 8)), ("s", F, (1, 4, 4, 8))]
    expect(ms("SkipGroupNorm", inputs, outputs, groups=2, activation=0), arith=1158, transcendental=2)


def test_attention_shared_past_buffer():
    # past (2,2,2,16,4) is a max-length buffer; past_sequence_length 3: T = 3 + 4 = 7 (as
    # test_attention_with_past), and present keeps the buffer's shape
    inputs = [*ATT_IN, None, ("past", F, (2, 2, 2, 16, 4)), None, ("plen", "int32", ())]
    outputs = [("y", F, (2, 4, 8)), ("present", F, (2, 2, 2, 16, 4))]
    rec = ms("Attention", inputs, outputs, [init("plen", "int32", (), 3)], num_heads=2, past_present_share_buffer=1)
    expect(rec, macs=1536 + 896, dots=192 + 176, bias_adds=192, arith=432, compare=96, transcendental=112)


def test_group_query_attention_qk_norm():
    # RMS norm of Q heads: B·S·N = 16 rows of D 4: 16 × (4·4 + 1) = 272 arith, 16 sqrt;
    # of K heads: 8 rows: 136 arith, 8 sqrt -> + 408 arith, + 24 transcendental
    inputs = [*GQA_IN, ("total", "int32", ()), None, None, None, None, None, None, None]
    inputs += [("qn", F, (4,)), ("kn", F, (4,))]
    rec = gqa(inputs, [("y", F, (1, 4, 16))])
    expect(rec, **{**GQA_BASE, "arith": 240 + 408, "transcendental": 64 + 24})


def test_dynamic_quantize_lstm_has_the_macs_of_lstm_in_integer():
    # X [T 3, N 2, I 4], hidden 5, forward; W uint8 [1, 4, 20], R [1, 5, 20] (as ONNX Runtime's
    # quantizer stores them), B [1, 40]; per-tensor scales and zero points

    u8 = "uint8"
    inits = [
        init("W", u8, (1, 4, 20)), init("R", u8, (1, 5, 20)), init("B", "float32", (1, 40)),
        init("ws", "float32", (1,), [0.1]), init("wz", u8, (1,), [128]),
        init("rs", "float32", (1,), [0.1]), init("rz", u8, (1,), [128]),
    ]
    node = helper.make_node(
        "DynamicQuantizeLSTM", ["x", "W", "R", "B", "", "", "", "", "ws", "wz", "rs", "rz"], ["y", "yh"],
        domain=MS, hidden_size=5,
    )
    after = helper.make_node("Relu", ["yh"], ["out"])
    model = make_model([node, after], [("x", "float32", (3, 2, 4))], [("y", "float32", None), ("out", "float32", None)],
                       inits, extra_opsets={MS: 1})
    r = onnx_cost.analyze(model)
    rec = r.nodes[0]
    assert rec.status == "counted", rec.detail
    assert rec.outputs == ((3, 1, 2, 5), (1, 2, 5))
    # 6 cells (T·N·D): 4·5·(4 + 5) = 180 MACs each, 1080, all integer, as for LSTM
    # int_ops: 2·1080 − 8·5·6 (two integer products per gate element) = 1920
    # per cell: bias 8·5 = 40; cell 4·5 = 20 arith; sigmoid on 15 (45 arith, 15 exp), tanh on 10;
    # dequantize and join 12·5 = 60 arith; quantize X_t and H_t−1: 9·3 = 27 arith, 9·4 = 36 compare
    assert {f: getattr(rec.cost, f) for f in COUNT_FIELDS} == dict(
        macs=1080, dots=0, bias_adds=240, arith=6 * (20 + 45 + 60 + 27), transcendental=6 * 25,
        compare=6 * 36, int_macs=1080, int_ops=1920,
    )
    # the graph behind it is counted: Relu on Y_h (1·2·5 = 10 compares)
    assert r.nodes[1].status == "counted" and r.nodes[1].cost.compare == 10
    # params: W 80 + R 100 + B 40; the 4 scales and zero points are quant params
    assert r.total.params == 80 + 100 + 40
    assert sorted(r.quant_params) == ["rs", "rz", "ws", "wz"]


def _scalars(*specs):
    return [init(n, d, (), v) for n, d, v in specs]


@pytest.mark.parametrize("channels_last, x, y", [(0, (1, 2, 4, 4), (1, 2, 2, 2)), (1, (1, 4, 4, 2), (1, 2, 2, 2))])
def test_qlinear_average_pool(channels_last, x, y):
    inits = _scalars(("xs", "float32", 0.1), ("xz", "uint8", 128), ("ys", "float32", 0.1), ("yz", "uint8", 0))
    rec = one_node("QLinearAveragePool", [("x", "uint8", x), ("xs", "float32", ()), ("xz", "uint8", ()),
                                          ("ys", "float32", ()), ("yz", "uint8", ())],
                   [("y", "uint8", y)], inits, domain=MS, kernel_shape=[2, 2], strides=[2, 2],
                   channels_last=channels_last)
    # dequantize 32 elements (x_zero_point 128 active): 64 arith; 8 outputs of a 2×2 window:
    # 3 adds + 1 div = 32 arith; quantize 8 (y_zero_point 0 inactive): 16 arith, 16 compares
    expect(rec, arith=64 + 32 + 16, compare=16)


def test_qlinear_where():
    inits = _scalars(("xs", "float32", 0.1), ("xz", "uint8", 0), ("ys", "float32", 0.2), ("yz", "uint8", 5),
                     ("zs", "float32", 0.1), ("zz", "uint8", 0))
    ins = [("c", "bool", (2, 3)), ("x", "uint8", (2, 3)), ("xs", "float32", ()), ("xz", "uint8", ()),
           ("y", "uint8", (1, 3)), ("ys", "float32", ()), ("yz", "uint8", ()), ("zs", "float32", ()),
           ("zz", "uint8", ())]
    rec = one_node("QLinearWhere", ins, [("z", "uint8", (2, 3))], inits, domain=MS)
    # dequantize X 6 (1 mul each), Y 3 (zero point 5: 2 each) = 12 arith; 6 selects; quantize 6:
    # 12 arith + 12 compares
    expect(rec, arith=6 + 6 + 12, compare=6 + 12)


def test_qembed_layer_normalization():
    u8, f = "uint8", "float32"
    inits = [init("word", u8, (10, 4)), init("pos", u8, (8, 4)), init("seg", u8, (2, 4)),
             init("gamma", u8, (4,)), init("beta", u8, (4,))]
    inits += _scalars(*[(f"{n}_s", f, 0.1) for n in ("word", "pos", "seg", "gamma", "beta")])
    inits += _scalars(("word_z", u8, 128), *[(f"{n}_z", u8, 0) for n in ("pos", "seg", "gamma", "beta")])
    ins = [("ids", "int32", (2, 3)), ("sids", "int32", (2, 3)), ("word", u8, (10, 4)), ("pos", u8, (8, 4)),
           ("seg", u8, (2, 4)), ("gamma", u8, (4,)), ("beta", u8, (4,)), ("mask", "int32", (2, 3))]
    ins += [(f"{n}_s", f, ()) for n in ("word", "pos", "seg", "gamma", "beta")]
    ins += [(f"{n}_z", u8, ()) for n in ("word", "pos", "seg", "gamma", "beta")]
    rec = one_node("QEmbedLayerNormalization", ins, [("out", f, (2, 3, 4)), ("mi", "int32", (2,))], inits,
                   domain=MS)
    # 6 tokens, H 4: dequantize the gathered rows, word (zero point 128) 24·2, position and
    # segment 24 each, gamma and beta 4 each = 104; add the three rows 6·4·2 = 48; LayerNorm
    # 6·(7·4 + 3) = 186 arith, 6 reciprocal square roots; mask index 2·(3 − 1) = 4 int_ops
    expect(rec, arith=104 + 48 + 186, transcendental=6, int_ops=4)
