"""Tiny decoder graphs built in memory for the ``onnx-cost llm`` tests (tests/test_llm*.py).

One layer is written out op by op so that the tests can derive every count by hand:
q/k/v projections, Reshape to heads, Transpose, Concat with the past cache, scores,
Softmax, context, output projection and residual Add; the embedding is a Gather and the
head a MatMul. ``attention="gqa"`` uses com.microsoft GroupQueryAttention instead.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F = TensorProto.FLOAT
I64 = TensorProto.INT64
MS = "com.microsoft"


def _init(name: str, arr: np.ndarray) -> TensorProto:
    return numpy_helper.from_array(arr, name)


class Builder:
    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[TensorProto] = []
        self.n = 0

    def node(self, op: str, ins: list[str], domain: str = "", **attrs: object) -> str:
        self.n += 1
        out = f"t{self.n}"
        self.nodes.append(helper.make_node(op, ins, [out], name=f"{op}_{self.n}", domain=domain, **attrs))
        return out

    def const(self, name: str, arr: np.ndarray) -> str:
        if not any(t.name == name for t in self.inits):
            self.inits.append(_init(name, arr))
        return name

    def linear(self, x: str, k: int, n: int, name: str, weights: str) -> str:
        """x @ W (K x N) in fp32, int8 through QDQ, or int4 through MatMulNBits (block 16)."""
        rng = np.random.default_rng(self.n)
        if weights == "fp32":
            return self.node("MatMul", [x, self.const(name, rng.standard_normal((k, n)).astype(np.float32))])
        if weights == "qdq8":
            w = self.const(name, rng.integers(-8, 8, (k, n)).astype(np.int8))
            s = self.const("w_scale", np.array(0.05, dtype=np.float32))
            zp = self.const("w_zp", np.array(0, dtype=np.int8))
            return self.node("MatMul", [x, self.node("DequantizeLinear", [w, s, zp])])
        assert weights == "nbits4"
        blocks = k // 16
        packed = self.const(name, rng.integers(0, 255, (n, blocks, 8)).astype(np.uint8))
        scales = self.const(name + "_scales", np.full((n * blocks,), 0.05, dtype=np.float32))
        return self.node("MatMulNBits", [x, packed, scales], domain=MS, K=k, N=n, bits=4, block_size=16)


def decoder(
    *, layers: int = 2, hidden: int = 16, heads: int = 2, kv_heads: int | None = None, vocab: int = 32,
    layout: str = "per-layer", attention: str = "mha", weights: str = "fp32", decode_only: bool = False,
    merged: bool = False, batch: str | int = "batch_size", genai: bool = False,
) -> onnx.ModelProto:
    """A decoder of ``layers`` layers with its KV cache as graph inputs and outputs.

    layout: "per-layer" (past_key_values.L.key/.value [B, H, P, D]) or "stacked"
    (past_L [2, B, H, P, D], K and V in one tensor). attention: "mha" (written out) or
    "gqa" (com.microsoft GroupQueryAttention with ``kv_heads``). merged: an optimum-style
    use_cache_branch input whose If runs the layers with the cache (then) or with an empty
    one (else: the same layers, the past sliced to nothing). decode_only: input_ids [B, 1].
    """
    kv_heads = kv_heads or heads
    d = hidden // heads
    b = Builder()
    seq: str | int = 1 if decode_only else "sequence_length"
    past, total = "past_sequence_length", "past_sequence_length + sequence_length"
    if decode_only:
        total = "past_sequence_length + 1"
    inputs = [helper.make_tensor_value_info("input_ids", I64, [batch, seq])]
    outputs = []
    emb = b.const("embed", np.random.default_rng(0).standard_normal((vocab, hidden)).astype(np.float32))
    x = b.node("Gather", [emb, "input_ids"])
    shape4 = b.const("shape_heads", np.array([0, 0, heads, d], dtype=np.int64))
    shape4kv = b.const("shape_kv_heads", np.array([0, 0, kv_heads, d], dtype=np.int64)) if kv_heads != heads else shape4
    shape3 = b.const("shape_hidden", np.array([0, 0, hidden], dtype=np.int64))
    if attention == "gqa" and genai:
        total = "total_sequence_length"
        inputs.append(helper.make_tensor_value_info("attention_mask", I64, [batch, total]))
        rs = b.node("ReduceSum", ["attention_mask", b.const("axes1", np.array([1], dtype=np.int64))], keepdims=0)
        sub = b.node("Sub", [rs, b.const("one", np.array(1, dtype=np.int64))])
        b.nodes.append(helper.make_node("Cast", [sub], ["seqlens_k"], name="Cast_seqlens", to=TensorProto.INT32))
        tot = b.node("Gather", [b.node("Shape", ["attention_mask"]), b.const("one", np.array(1, dtype=np.int64))],
                     axis=0)
        b.nodes.append(helper.make_node("Cast", [tot], ["total_sequence_length"], name="Cast_total",
                                        to=TensorProto.INT32))
    elif attention == "gqa":
        inputs += [helper.make_tensor_value_info("seqlens_k", TensorProto.INT32, [batch]),
                   helper.make_tensor_value_info("total_sequence_length", TensorProto.INT32, [])]
    for layer in range(layers):
        if layout == "per-layer":
            names = [f"past_key_values.{layer}.key", f"past_key_values.{layer}.value"]
            for nm in names:
                inputs.append(helper.make_tensor_value_info(nm, F, [batch, kv_heads, past, d]))
            outs = [f"present.{layer}.key", f"present.{layer}.value"]
            pk, pv = names
        else:
            name = f"past_{layer}"
            inputs.append(helper.make_tensor_value_info(name, F, [2, batch, kv_heads, past, d]))
            pk = b.node("Gather", [name, b.const("zero", np.array(0, dtype=np.int64))], axis=0)
            pv = b.node("Gather", [name, b.const("one", np.array(1, dtype=np.int64))], axis=0)
        q = b.linear(x, hidden, hidden, f"wq{layer}", weights)
        k = b.linear(x, hidden, kv_heads * d, f"wk{layer}", weights)
        v = b.linear(x, hidden, kv_heads * d, f"wv{layer}", weights)
        if attention == "gqa":
            gqa = helper.make_node(
                "GroupQueryAttention", [q, k, v, pk, pv, "seqlens_k", "total_sequence_length"],
                [f"attn{layer}", f"gqa_k{layer}", f"gqa_v{layer}"], name=f"GroupQueryAttention_{layer}",
                domain=MS, num_heads=heads, kv_num_heads=kv_heads,
            )
            b.nodes.append(gqa)
            ctx, kc, vc = f"attn{layer}", f"gqa_k{layer}", f"gqa_v{layer}"
        else:
            qh = b.node("Transpose", [b.node("Reshape", [q, shape4])], perm=[0, 2, 1, 3])
            kh = b.node("Transpose", [b.node("Reshape", [k, shape4kv])], perm=[0, 2, 1, 3])
            vh = b.node("Transpose", [b.node("Reshape", [v, shape4kv])], perm=[0, 2, 1, 3])
            kc = b.node("Concat", [pk, kh], axis=2)
            vc = b.node("Concat", [pv, vh], axis=2)
            scores = b.node("MatMul", [qh, b.node("Transpose", [kc], perm=[0, 1, 3, 2])])
            probs = b.node("Softmax", [scores], axis=-1)
            c = b.node("MatMul", [probs, vc])
            ctx = b.node("Reshape", [b.node("Transpose", [c], perm=[0, 2, 1, 3]), shape3])
        o = b.linear(ctx, hidden, hidden, f"wo{layer}", weights)
        x = b.node("Add", [x, o])
        if layout == "per-layer":
            for src, out in zip((kc, vc), outs):
                b.nodes.append(helper.make_node("Identity", [src], [out], name=f"id_{out}"))
                outputs.append(helper.make_tensor_value_info(out, F, [batch, kv_heads, total, d]))
        else:
            ax = b.const("axis0", np.array([0], dtype=np.int64))
            st = b.node("Concat", [b.node("Unsqueeze", [kc, ax]), b.node("Unsqueeze", [vc, ax])], axis=0)
            b.nodes.append(helper.make_node("Identity", [st], [f"present_{layer}"], name=f"id_present_{layer}"))
            outputs.append(helper.make_tensor_value_info(f"present_{layer}", F, [2, batch, kv_heads, total, d]))
    logits = b.linear(x, hidden, vocab, "lm_head", weights)
    b.nodes.append(helper.make_node("Identity", [logits], ["logits"], name="id_logits"))
    outputs.insert(0, helper.make_tensor_value_info("logits", F, [batch, seq, vocab]))
    opsets = [helper.make_opsetid("", 17)]
    if attention == "gqa" or weights == "nbits4":
        opsets.append(helper.make_opsetid(MS, 1))
    if merged:
        return _merged(b, inputs, outputs, opsets)
    g = helper.make_graph(b.nodes, "decoder", inputs, outputs, b.inits)
    return helper.make_model(g, opset_imports=opsets, producer_name="onnx-cost-tests")


def _merged(b: Builder, inputs: list, outputs: list, opsets: list) -> onnx.ModelProto:
    """optimum's merged decoder: If(use_cache_branch) with the layers in the then branch
    (the cache used) and the same layers in the else branch (no cache: the past inputs are
    replaced by their first 0 positions, so the else branch attends over the new tokens only)."""
    out_names = [o.name for o in outputs]
    then_nodes = list(b.nodes)
    cache = [i.name for i in inputs if i.name.startswith("past")]
    # else: the same graph with each past input sliced to length 0 along the past axis
    rename = {c: f"{c}__empty" for c in cache}
    else_nodes = []
    zero = helper.make_tensor("slice_zero", I64, [1], [0])
    axis = helper.make_tensor("slice_axis", I64, [1], [2])
    else_nodes.append(helper.make_node("Constant", [], ["slice_zero"], value=zero))
    else_nodes.append(helper.make_node("Constant", [], ["slice_axis"], value=axis))
    for c in cache:
        else_nodes.append(helper.make_node("Slice", [c, "slice_zero", "slice_zero", "slice_axis"], [rename[c]],
                                           name=f"empty_{c}"))
    for n in b.nodes:
        m = onnx.NodeProto()
        m.CopyFrom(n)
        m.name = "else_" + n.name
        for i, nm in enumerate(m.input):
            if nm in rename:
                m.input[i] = rename[nm]
        for i, nm in enumerate(m.output):
            m.output[i] = nm if nm not in out_names else nm + "__else"
        else_nodes.append(m)
    else_nodes += [helper.make_node("Identity", [o + "__else"], [o + "_e"]) for o in out_names]
    then_outs = [helper.make_tensor_value_info(o.name, o.type.tensor_type.elem_type, None) for o in outputs]
    else_outs = [helper.make_tensor_value_info(o + "_e", o_.type.tensor_type.elem_type, None)
                 for o, o_ in zip(out_names, outputs)]
    then_g = helper.make_graph(then_nodes, "with_past", [], then_outs)
    else_g = helper.make_graph(else_nodes, "without_past", [], else_outs)
    flag = helper.make_tensor_value_info("use_cache_branch", TensorProto.BOOL, [1])
    iff = helper.make_node("If", ["use_cache_branch"], out_names, name="optimum::if", then_branch=then_g,
                           else_branch=else_g)
    g = helper.make_graph([iff], "merged_decoder", [*inputs, flag], outputs, b.inits)
    return helper.make_model(g, opset_imports=opsets, producer_name="onnx-cost-tests")
