"""Attribute defaults and input names of the contrib ops we count: the schema onnx.defs lacks.

Pure data. For the default domain the analyzer takes attribute defaults from ``onnx.defs`` at the
model's opset; contrib ops (com.microsoft, and the few that onnxruntime registers in the default
domain without an onnx schema) have no schema there, so their defaults are written here, once, and
the analyzer applies them the same way (analyzer/walk.py ``node_attrs``). Rules read
``view.attr("transA")`` and never restate a default; they name inputs by the schema's name
(``input_index``) instead of a bare position.

Source: onnxruntime's docs/ContribOperators.md (input order and names; the defaults it states),
and for the defaults the document leaves out (it prints empty descriptions for FusedConv, NhwcConv,
QLinearConv...) the schema definitions it is generated from (onnxruntime/core/graph/contrib_ops/
*_defs.cc). Only defaults a schema gives are listed: a required attribute (num_heads, K, N,
block_size of MatMulNBits...) or an optional one without a default (qkv_hidden_sizes, scale) is
absent, and a rule decides what its absence means.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

MS = "com.microsoft"


class ContribSchema(NamedTuple):
    """One op: its inputs in schema order (a variadic tail is not listed) and its attribute defaults."""

    inputs: tuple[str, ...]
    defaults: Mapping[str, Any]


def _s(inputs: str, **defaults: Any) -> ContribSchema:
    return ContribSchema(tuple(inputs.split()), defaults)


_CONV = {"auto_pad": "NOTSET", "group": 1}  # as onnx Conv: FusedConv, NhwcConv... share its schema
_GEMM = {"alpha": 1.0, "beta": 1.0, "transA": 0, "transB": 0}
_FUSED_MATMUL = {"alpha": 1.0, "transA": 0, "transB": 0, "transBatchA": 0, "transBatchB": 0}
_LAYER_NORM = {"axis": -1, "epsilon": 1e-5, "stash_type": 1}
_GROUP_NORM = {"channels_last": 1, "epsilon": 1e-5}
_MASK_FILTER = -10000.0

SCHEMAS: Mapping[tuple[str, str], ContribSchema] = {
    # -- normalization ------------------------------------------------------------------------
    (MS, "LayerNormalization"): _s("X Scale B", **_LAYER_NORM),
    (MS, "SimplifiedLayerNormalization"): _s("X scale", **_LAYER_NORM),
    ("", "SimplifiedLayerNormalization"): _s("X scale", **_LAYER_NORM),  # onnxruntime's, default domain
    (MS, "SkipLayerNormalization"): _s("input skip gamma beta bias"),
    (MS, "SkipSimplifiedLayerNormalization"): _s("input skip gamma bias"),
    (MS, "EmbedLayerNormalization"): _s(
        "input_ids segment_ids word_embedding position_embedding segment_embedding gamma beta mask position_ids"
    ),
    (MS, "GroupNorm"): _s("X gamma beta", **_GROUP_NORM),
    (MS, "SkipGroupNorm"): _s("X gamma beta skip bias", **_GROUP_NORM),
    # -- activations --------------------------------------------------------------------------
    (MS, "Gelu"): _s("X"),
    (MS, "BiasGelu"): _s("A B"),
    (MS, "FastGelu"): _s("X bias"),
    (MS, "QuickGelu"): _s("X", alpha=1.702),
    (MS, "BiasAdd"): _s("X bias skip"),
    (MS, "BiasSplitGelu"): _s("X bias"),
    (MS, "RotaryEmbedding"): _s(
        "input position_ids cos_cache sin_cache",
        interleaved=0,
        is_packed_batching=0,
        num_heads=0,
        rotary_embedding_dim=0,
        scale=1.0,
    ),
    # -- convolution and matrix products ------------------------------------------------------
    (MS, "FusedConv"): _s("X W B Z", **_CONV),
    (MS, "NhwcConv"): _s("X W B", **_CONV),
    (MS, "NhwcFusedConv"): _s("X W B Z", **_CONV),
    (MS, "FusedGemm"): _s("A B C", **_GEMM),
    (MS, "FusedMatMul"): _s("A B", **_FUSED_MATMUL),
    (MS, "TransposeMatMul"): _s("A B", alpha=1.0, transA=0, transB=0),
    # -- attention ----------------------------------------------------------------------------
    (MS, "Attention"): _s(
        "input weights bias mask_index past attention_bias past_sequence_length",
        do_rotary=0,
        mask_filter_value=_MASK_FILTER,
        past_present_share_buffer=0,
        unidirectional=0,
    ),
    (MS, "MultiHeadAttention"): _s(
        "query key value bias key_padding_mask attention_bias past_key past_value past_sequence_length"
        " cache_indirection",
        mask_filter_value=_MASK_FILTER,
        unidirectional=0,
    ),
    (MS, "GroupQueryAttention"): _s(
        "query key value past_key past_value seqlens_k total_sequence_length cos_cache sin_cache position_ids"
        " attention_bias head_sink k_scale v_scale q_norm_weight k_norm_weight",
        causal=1,
        do_rotary=0,
        local_window_size=-1,
        qk_norm_epsilon=1e-6,
        qk_output=0,
        rotary_interleaved=0,
        sliding_window_cache=0,
        smooth_softmax=-1,  # the schema's "unset"; only 1 turns it on
        softcap=0.0,
    ),
    (MS, "PackedAttention"): _s("input weights bias token_offset cumulative_sequence_length attention_bias"),
    (MS, "PackedMultiHeadAttention"): _s(
        "query key value bias token_offset cumulative_sequence_length attention_bias",
        mask_filter_value=_MASK_FILTER,
    ),
    # -- quantized ----------------------------------------------------------------------------
    (MS, "QuantizeLinear"): _s("x y_scale y_zero_point"),
    (MS, "DequantizeLinear"): _s("x x_scale x_zero_point"),
    (MS, "MatMulNBits"): _s("A B scales zero_points g_idx bias", bits=4, accuracy_level=0, weight_prepacked=0),
    (MS, "GatherBlockQuantized"): _s(
        "data indices scales zero_points", bits=4, block_size=128, gather_axis=0, quantize_axis=1
    ),
    (MS, "MatMulIntegerToFloat"): _s("A B a_scale b_scale a_zero_point b_zero_point bias"),
    (MS, "DynamicQuantizeMatMul"): _s("A B b_scale b_zero_point bias"),
    (MS, "QGemm"): _s(
        "A a_scale a_zero_point B b_scale b_zero_point C y_scale y_zero_point", alpha=1.0, transA=0, transB=0
    ),
    (MS, "QLinearConv"): _s(
        "x x_scale x_zero_point w w_scale w_zero_point y_scale y_zero_point B", channels_last=0, **_CONV
    ),
    (MS, "QAttention"): _s(
        "input weight bias input_scale weight_scale mask_index input_zero_point weight_zero_point past",
        do_rotary=0,
        mask_filter_value=_MASK_FILTER,
        past_present_share_buffer=0,
        unidirectional=0,
    ),
    (MS, "QLinearAdd"): _s("A A_scale A_zero_point B B_scale B_zero_point C_scale C_zero_point"),
    (MS, "QLinearMul"): _s("A A_scale A_zero_point B B_scale B_zero_point C_scale C_zero_point"),
    (MS, "QLinearSigmoid"): _s("X X_scale X_zero_point Y_scale Y_zero_point"),
    (MS, "QLinearLeakyRelu"): _s("X X_scale X_zero_point Y_scale Y_zero_point", alpha=0.01),
    (MS, "QLinearSoftmax"): _s("X X_scale x_zero_point y_scale y_zero_point", axis=-1),
    (MS, "QLinearGlobalAveragePool"): _s("X x_scale x_zero_point y_scale y_zero_point", channels_last=0),
    (MS, "QLinearConcat"): _s("Y_scale Y_zero_point"),  # then (tensor, scale, zero point) per input
    (MS, "QLinearAveragePool"): _s(
        "X x_scale x_zero_point y_scale y_zero_point", auto_pad="NOTSET", ceil_mode=0, channels_last=0,
        count_include_pad=0,
    ),
    (MS, "QLinearWhere"): _s("condition X x_scale x_zero_point Y y_scale y_zero_point z_scale z_zero_point"),
    (MS, "QEmbedLayerNormalization"): _s(
        "input_ids segment_ids word_embedding_quant position_embedding_quant segment_embedding gamma_quant "
        "beta_quant mask word_embedding_scale position_embedding_scale segment_embedding_scale gamma_scale "
        "beta_scale word_embedding_zero_point position_embedding_zero_point segment_embedding_zero_point "
        "gamma_zero_point beta_zero_point"
    ),
    (MS, "DynamicQuantizeLSTM"): _s(
        "X W R B sequence_lens initial_h initial_c P W_scale W_zero_point R_scale R_zero_point",
        direction="forward",
        input_forget=0,
    ),
}


def defaults(domain: str, op_type: str) -> Mapping[str, Any]:
    """The attribute defaults of a contrib op; empty when the table does not know the op."""
    s = SCHEMAS.get((domain, op_type))
    return s.defaults if s is not None else {}


def input_index(domain: str, op_type: str, name: str) -> int:
    """Position of the input the schema calls ``name``; a KeyError names a typo at import time."""
    try:
        return SCHEMAS[(domain, op_type)].inputs.index(name)
    except (KeyError, ValueError):
        raise KeyError(f"{domain}::{op_type} has no input named {name!r} in rules/_contrib_schema.py") from None
