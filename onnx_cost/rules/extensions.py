"""onnxruntime-extensions ops (domain ai.onnx.contrib) that pre- and post-processing graphs
ship: tokenizers, their decoders and string ops.

They do no floating-point or integer arithmetic we count: a tokenizer splits text and
looks pieces up in its vocabulary, a string op edits strings. Each reads its inputs and
writes its outputs once. Their output shapes are given here in terms of the token
count, a data-dependent dim: the shape function leaves it unknown and the analyzer names
it after the node (``tokens@<node>``, analyzer/derived.py), which ``--dim`` binds.
"""

from __future__ import annotations

from typing import Any

from onnx_cost.rules._dims import shape
from onnx_cost.rules.node import NodeView
from onnx_cost.rules.registry import shape_of, zero_compute

EXT = "ai.onnx.contrib"  # onnxruntime-extensions' custom-op domain

TOKENIZERS_FLAT = ("SentencepieceTokenizer", "BertTokenizer")  # one flat token row for the whole batch
TOKENIZERS_2D = ("GPT2Tokenizer", "CLIPTokenizer", "RobertaTokenizer")  # [batch, tokens], padded
DECODERS = ("SentencepieceDecoder", "BpeDecoder", "BertTokenizerDecoder")
STRING_SAME = ("StringLower", "StringUpper", "StringRegexReplace", "StringECMARegexReplace", "StringStrip")
STRING_TO_INT = ("StringLength", "StringToHashBucket", "StringToHashBucketFast")

zero_compute(
    *TOKENIZERS_FLAT, *TOKENIZERS_2D,
    reason="No arithmetic: splits text into pieces and looks them up in the vocabulary (string work, no FLOPs); "
           "its output length is the token count, a data-dependent dim (tokens@<node>, bind it with --dim).",
    domain=EXT, module=__name__,
)  # fmt: skip
zero_compute(
    *DECODERS,
    reason="No arithmetic: looks token ids up in the vocabulary and joins the pieces into text (string work).",
    domain=EXT, module=__name__,
)  # fmt: skip
zero_compute(
    *STRING_SAME, *STRING_TO_INT,
    reason="No arithmetic: edits, measures or hashes each string of its input (string work, no FLOPs).",
    domain=EXT, module=__name__,
)  # fmt: skip

Out = list[tuple[tuple[Any, ...] | None, str] | None]


def _batch(view: NodeView) -> Any:
    """The number of texts: the input's leading dim (1 for a scalar string)."""
    s = shape(view, 0)
    if s is None:
        return None
    return s[0] if len(s) >= 1 else 1


@shape_of("SentencepieceTokenizer", domain=EXT)
def _sentencepiece_shape(view: NodeView) -> Out:
    """ids int32 [tokens] for the whole batch, and each text's start in them int64 [batch + 1]."""
    n = _batch(view)
    return [((None,), "int32"), ((n + 1,) if type(n) is int else (None,), "int64")]


@shape_of("BertTokenizer", domain=EXT)
def _bert_shape(view: NodeView) -> Out:
    """input_ids, token_type_ids, attention_mask int64 [tokens]; offset_mapping int64 [tokens, 2]."""
    return [((None,), "int64"), ((None,), "int64"), ((None,), "int64"), ((None, 2), "int64")]


@shape_of(*TOKENIZERS_2D, domain=EXT)
def _bpe_shape(view: NodeView) -> Out:
    """input_ids, attention_mask int64 [batch, tokens] (padded to the longest); offset_mapping [batch, tokens, 2]."""
    n = _batch(view)
    return [((n, None), "int64"), ((n, None), "int64"), ((n, None, 2), "int64")]


@shape_of(*DECODERS, domain=EXT)
def _decoder_shape(view: NodeView) -> Out:
    """One text per row of ids: string [batch] for [batch, tokens] ids, [1] for a flat row."""
    s = shape(view, 0)
    return [((s[0],) if s is not None and len(s) == 2 else (1,), "string")]


@shape_of(*STRING_SAME, domain=EXT)
def _string_same_shape(view: NodeView) -> Out:
    return [(shape(view, 0), "string")]


@shape_of(*STRING_TO_INT, domain=EXT)
def _string_int_shape(view: NodeView) -> Out:
    return [(shape(view, 0), "int64")]
