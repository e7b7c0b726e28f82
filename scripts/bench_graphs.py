"""More graphs for the bench ladder (scripts/bench.py): shape-arithmetic-heavy exports.

Each builder takes bench.Builder (``b``) and writes the graph the way torch.onnx's
TorchScript exporter does: shapes computed at run time with Shape/Gather/Div/Unsqueeze/
Concat chains, one Constant node per literal. Swin-T follows transformers' SwinLayer
(maybe_pad, window_partition/reverse, torch.roll, query/key/value apart, the shifted
windows' mask built by nine slice assignments), as its TorchScript export does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from onnx import TensorProto, numpy_helper


def _dim(b: Any, x: str, axis: int) -> str:
    """x.shape[axis] as a 1-element int64 tensor (Shape -> Gather -> Unsqueeze)."""
    d = b.node("Gather", [b.node("Shape", [x]), b.const(axis)], axis=0)
    return b.node("Unsqueeze", [d, b.const([0])])


def _div(b: Any, d: str, k: int) -> str:
    """d // k as TorchScript exports it: through float, floored, back to int64."""
    f = b.node("Div", [b.node("Cast", [d], to=TensorProto.FLOAT), b.const([float(k)], np.float32)])
    return b.node("Cast", [b.node("Floor", [f])], to=TensorProto.INT64)


def _pad_to(b: Any, d: str, k: int) -> str:
    """(k - d % k) % k: the padding that makes d a multiple of k."""
    return b.node("Mod", [b.node("Sub", [b.const([k]), b.node("Mod", [d, b.const([k])])]), b.const([k])])


def _target(b: Any, parts: Sequence[str | int]) -> str:
    """Concat of run-time dims (names) and literals (ints) into a shape tensor."""
    return b.node("Concat", [p if isinstance(p, str) else b.const([p]) for p in parts], axis=0)


def _linear(b: Any, x: str, fin: int, fout: int, name: str) -> str:
    y = b.node("MatMul", [x, b.weight(f"{name}.weight", (fin, fout))])
    return b.node("Add", [b.weight(f"{name}.bias", (fout,)), y])


def _ln(b: Any, x: str, c: int, name: str) -> str:
    return b.node("LayerNormalization", [x, b.weight(f"{name}.weight", (c,)), b.weight(f"{name}.bias", (c,))],
                  axis=-1, epsilon=1e-5)


def _gelu(b: Any, x: str) -> str:
    g = b.node("Erf", [b.node("Div", [x, b.const(1.4142135, np.float32)])])
    return b.node("Mul", [b.node("Mul", [x, b.node("Add", [g, b.const(1.0, np.float32)])]), b.const(0.5, np.float32)])


def _roll(b: Any, x: str, shift: int, axis: int) -> str:
    """torch.roll along one axis, as exported: two Slices and a Concat."""
    a = b.node("Slice", [x, b.const([-shift]), b.const([2**62]), b.const([axis])])
    c = b.node("Slice", [x, b.const([0]), b.const([-shift]), b.const([axis])])
    return b.node("Concat", [a, c], axis=axis)


def _torch_pad(b: Any, x: str, pads: Sequence[str | int]) -> str:
    """torch.nn.functional.pad with run-time pads (last dim first, begin/end pairs), as
    torch.onnx writes it: padded with zeros to 2·rank, reversed pairwise, transposed."""
    p = _target(b, pads)
    extend = b.node("Sub", [b.const([8]), b.node("Shape", [p])])
    p = b.node("Concat", [p, b.node("ConstantOfShape", [extend], value=_int_tensor(0))], axis=0)
    p = b.node("Reshape", [p, b.const([-1, 2])])
    p = b.node("Slice", [p, b.const([-1]), b.const([-(2**63)]), b.const([0]), b.const([-1])])  # flip
    p = b.node("Reshape", [b.node("Transpose", [p], perm=[1, 0]), b.const([-1])])
    return b.node("Pad", [x, b.node("Cast", [p], to=TensorProto.INT64)], mode="constant")


def _int_tensor(v: int) -> TensorProto:
    return numpy_helper.from_array(np.array([v], np.int64))


def _window_partition(b: Any, x: str, win: int) -> str:
    """transformers' window_partition: [B, H, W, C] -> [B·nW, w, w, C], every dim read from the shape."""
    bsz, hh, ww, cc = (_dim(b, x, i) for i in range(4))
    y = b.node("Reshape", [x, _target(b, [bsz, _div(b, hh, win), win, _div(b, ww, win), win, cc])])
    y = b.node("Transpose", [y], perm=[0, 1, 3, 2, 4, 5])
    return b.node("Reshape", [y, _target(b, [-1, win, win, cc])])


def _window_reverse(b: Any, w: str, win: int, hp: str, wp: str) -> str:
    """transformers' window_reverse: [B·nW, w, w, C] -> [B, H, W, C]."""
    cc = _dim(b, w, 3)
    y = b.node("Reshape", [w, _target(b, [-1, _div(b, hp, win), _div(b, wp, win), win, win, cc])])
    y = b.node("Transpose", [y], perm=[0, 1, 3, 2, 4, 5])
    return b.node("Reshape", [y, _target(b, [-1, hp, wp, cc])])


def _scores(b: Any, x: str, heads: int, dh: int) -> str:
    """transpose_for_scores: x.size()[:-1] + (heads, head_size), then heads first."""
    shape = b.node("Slice", [b.node("Shape", [x]), b.const([0]), b.const([-1]), b.const([0])])
    y = b.node("Reshape", [x, b.node("Concat", [shape, b.const([heads]), b.const([dh])], axis=0)])
    return b.node("Transpose", [y], perm=[0, 2, 1, 3])


def _self_attention(b: Any, h: str, c: int, heads: int, win: int, mask: str | None) -> str:
    """transformers' SwinSelfAttention on windows h [B·nW, w·w, C] (query, key, value apart)."""
    n, dh = win * win, c // heads
    bsz, dim = _dim(b, h, 0), _dim(b, h, 1)
    q, k, v = (_scores(b, _linear(b, h, c, c, name), heads, dh) for name in ("query", "key", "value"))
    att = b.node("Div", [b.node("MatMul", [q, b.node("Transpose", [k], perm=[0, 1, 3, 2])]),
                         b.const(math.sqrt(dh), np.float32)])
    # relative position bias: the table gathered by the flattened static index
    table = b.weight("relative_position_bias_table", ((2 * win - 1) ** 2, heads))
    coords = np.stack(np.meshgrid(np.arange(win), np.arange(win), indexing="ij")).reshape(2, -1)
    rel = (coords[:, :, None] - coords[:, None, :]).transpose(1, 2, 0) + (win - 1)
    index = b.const(rel[:, :, 0] * (2 * win - 1) + rel[:, :, 1])
    bias = b.node("Gather", [table, b.node("Reshape", [index, b.const([-1])])], axis=0)
    bias = b.node("Transpose", [b.node("Reshape", [bias, b.const([n, n, -1])])], perm=[2, 0, 1])
    att = b.node("Add", [att, b.node("Unsqueeze", [bias, b.const([0])])])
    if mask is not None:  # [nW, n, n], broadcast over the batch
        nw = _dim(b, mask, 0)
        att = b.node("Reshape", [att, _target(b, [b.node("Div", [bsz, nw]), nw, heads, dim, dim])])
        m = b.node("Unsqueeze", [b.node("Unsqueeze", [mask, b.const([1])]), b.const([0])])
        att = b.node("Reshape", [b.node("Add", [att, m]), _target(b, [-1, heads, dim, dim])])
    ctx = b.node("MatMul", [b.node("Softmax", [att], axis=-1), v])
    ctx = b.node("Transpose", [ctx], perm=[0, 2, 1, 3])
    shape = b.node("Slice", [b.node("Shape", [ctx]), b.const([0]), b.const([-2]), b.const([0])])
    ctx = b.node("Reshape", [ctx, b.node("Concat", [shape, b.const([c])], axis=0)])
    return _linear(b, ctx, c, c, "output.dense")


def _slice_assign(b: Any, img: str, hp: str, wp: str, rows: slice, cols: slice, value: float) -> str:
    """img[:, rows, cols, :] = value (img [1, H, W, 1]) as torch.onnx writes an in-place slice
    assignment (index_put): one Range of indices per dim, broadcast against each other,
    stacked into ScatterND's indices; the value expanded to the slice's shape."""
    def bound(d: str, v: int | None, end: bool) -> str:
        if v is None:
            return b.node("Squeeze", [d, b.const([0])]) if end else b.const(0)
        return b.node("Squeeze", [b.node("Add", [d, b.const([v])]), b.const([0])]) if v < 0 else b.const(v)

    def whole(axis: int) -> str:  # ':' on one dim: 0 to the dim, read from the shape
        return b.node("Gather", [b.node("Shape", [img]), b.const(axis)], axis=0)

    spans = [(b.const(0), whole(0)), (bound(hp, rows.start, False), bound(hp, rows.stop, True)),
             (bound(wp, cols.start, False), bound(wp, cols.stop, True)), (b.const(0), whole(3))]
    index = []
    for axis, (lo, hi) in enumerate(spans):
        view = [1, 1, 1, 1]
        view[axis] = -1
        index.append(b.node("Reshape", [b.node("Range", [lo, hi, b.const(1)]), b.const(view)]))
    total = index[0]
    for t in index[1:]:
        total = b.node("Add", [total, t])
    shape = b.node("Shape", [total])
    idx = b.node("Concat", [b.node("Unsqueeze", [b.node("Expand", [t, shape]), b.const([-1])]) for t in index], axis=-1)
    rest = b.node("Slice", [b.node("Shape", [img]), b.const([4]), b.const([2**62]), b.const([0])])
    upd = b.node("Expand", [b.const(value, np.float32), b.node("Concat", [shape, rest], axis=0)])
    return b.node("ScatterND", [img, idx, upd])


def _attn_mask(b: Any, hp: str, wp: str, win: int, shift: int) -> str:
    """transformers' get_attn_mask at the run-time padded size: 9 regions numbered by slice
    assignment, partitioned into windows, -100 where two positions' regions differ."""
    img = b.node("ConstantOfShape", [_target(b, [1, hp, wp, 1])],
                 value=numpy_helper.from_array(np.array([0.0], np.float32)))
    regions = (slice(0, -win), slice(-win, -shift), slice(-shift, None))
    for k, (rows, cols) in enumerate((r, c) for r in regions for c in regions):
        img = _slice_assign(b, img, hp, wp, rows, cols, float(k))
    m = b.node("Reshape", [_window_partition(b, img, win), b.const([-1, win * win])])
    m = b.node("Sub", [b.node("Unsqueeze", [m, b.const([1])]), b.node("Unsqueeze", [m, b.const([2])])])
    differ = b.node("Not", [b.node("Equal", [m, b.const(0.0, np.float32)])])
    m = b.node("Where", [differ, b.const(-100.0, np.float32), m])
    return b.node("Where", [b.node("Equal", [m, b.const(0.0, np.float32)]), b.const(0.0, np.float32), m])


def _roll2(b: Any, x: str, shift: int) -> str:
    """torch.roll(x, (shift, shift), dims=(1, 2))."""
    return _roll(b, _roll(b, x, shift, 1), shift, 2)


def _swin_layer(b: Any, x: str, c: int, heads: int, win: int, shifted: bool) -> str:
    """transformers' SwinLayer on x [B, L, C] (L = H·W, H and W read back from the shape),
    as TorchScript exports it: every view's dims recomputed from shapes at run time."""
    shift = win // 2 if shifted else 0
    bsz, chans = _dim(b, x, 0), _dim(b, x, 2)
    length = b.node("Cast", [_dim(b, x, 1)], to=TensorProto.FLOAT)
    side = b.node("Cast", [b.node("Sqrt", [length])], to=TensorProto.INT64)
    h = b.node("Reshape", [_ln(b, x, c, "layernorm_before"), _target(b, [bsz, side, side, chans])])
    h = _torch_pad(b, h, [0, 0, 0, _pad_to(b, side, win), 0, _pad_to(b, side, win)])  # maybe_pad
    hp, wp = _dim(b, h, 1), _dim(b, h, 2)
    if shift:
        h = _roll2(b, h, -shift)
    w = b.node("Reshape", [_window_partition(b, h, win), _target(b, [-1, win * win, chans])])
    mask = _attn_mask(b, hp, wp, win, shift) if shift else None
    b_scope, b.scope = b.scope, b.scope + "/attention"
    w = _self_attention(b, w, c, heads, win, mask)
    b.scope = b_scope
    h = _window_reverse(b, b.node("Reshape", [w, _target(b, [-1, win, win, chans])]), win, hp, wp)
    if shift:
        h = _roll2(b, h, shift)
    h = b.node("Slice", [h, b.const([0, 0]), _target(b, [side, side]), b.const([1, 2]), b.const([1, 1])])  # unpad
    x = b.node("Add", [x, b.node("Reshape", [h, _target(b, [bsz, b.node("Mul", [side, side]), chans])])])
    y = _gelu(b, _linear(b, _ln(b, x, c, "layernorm_after"), c, 4 * c, "intermediate.dense"))
    return b.node("Add", [x, _linear(b, y, 4 * c, c, "output.dense")])


def _patch_merging(b: Any, x: str, c: int, side: int) -> str:
    bsz = _dim(b, x, 0)
    x = b.node("Reshape", [x, _target(b, [bsz, side, side, c])])
    parts = [b.node("Slice", [x, b.const([i, j]), b.const([2**62, 2**62]), b.const([1, 2]), b.const([2, 2])])
             for i, j in ((0, 0), (1, 0), (0, 1), (1, 1))]
    x = b.node("Reshape", [b.node("Concat", parts, axis=-1), _target(b, [bsz, -1, 4 * c])])
    return b.node("MatMul", [_ln(b, x, 4 * c, "norm"), b.weight("reduction.weight", (4 * c, 2 * c))])


def swin_t(b: Any) -> None:
    """Swin-T (depths 2-2-6-2, heads 3-6-12-24, window 7, 224x224): 28 M params, 6,329
    nodes (the export of transformers' model has 6,170), most of them shape arithmetic
    (padding, window partition and reverse, roll, relative position index, the mask)."""
    x = b.input("pixel_values", TensorProto.FLOAT, [1, 3, 224, 224])
    b.scope = "/patch_embed"
    x = b.node("Conv", [x, b.weight("proj.weight", (96, 3, 4, 4)), b.weight("proj.bias", (96,))],
               kernel_shape=[4, 4], strides=[4, 4])
    x = b.node("Transpose", [b.node("Reshape", [x, _target(b, [_dim(b, x, 0), _dim(b, x, 1), -1])])], perm=[0, 2, 1])
    x = _ln(b, x, 96, "norm")
    c, side = 96, 56
    for stage, (depth, heads) in enumerate(zip((2, 2, 6, 2), (3, 6, 12, 24))):
        for i in range(depth):
            b.scope = f"/layers.{stage}/blocks.{i}"
            x = _swin_layer(b, x, c, heads, 7, shifted=i % 2 == 1 and side > 7)
        if stage < 3:
            b.scope = f"/layers.{stage}/downsample"
            x = _patch_merging(b, x, c, side)
            c, side = 2 * c, side // 2
    b.scope = "/head"
    x = b.node("ReduceMean", [_ln(b, x, c, "norm"), b.const([1])], keepdims=0)
    x = b.node("Gemm", [x, b.weight("weight", (1000, c)), b.weight("bias", (1000,))], transB=1)
    b.output(x, TensorProto.FLOAT)


def gpt2(b: Any, layers: int = 12, h: int = 768, heads: int = 12, vocab: int = 50257, ctx: int = 1024) -> None:
    """GPT-2 small (124 M params) as a decoder without KV cache, batch and sequence symbolic,
    weights as external data: fused c_attn split in three, causal mask from the run-time
    sequence length, GELU in its tanh form."""
    dh = h // heads
    ids = b.input("input_ids", TensorProto.INT64, ["batch", "sequence"])
    pos = b.input("position_ids", TensorProto.INT64, ["batch", "sequence"])
    b.scope = "/transformer"
    seq = _dim(b, ids, 1)
    x = b.node("Add", [b.node("Gather", [b.weight("wte.weight", (vocab, h)), ids]),
                       b.node("Gather", [b.weight("wpe.weight", (ctx, h)), pos])])
    ones = b.node("ConstantOfShape", [b.node("Concat", [seq, seq], axis=0)],
                  value=numpy_helper.from_array(np.array([1], np.uint8)))
    causal = b.node("Cast", [b.node("Trilu", [ones], upper=0)], to=TensorProto.BOOL)
    for layer in range(layers):
        b.scope = f"/transformer/h.{layer}/attn"
        a = _linear(b, _ln(b, x, h, "ln_1"), h, 3 * h, "c_attn")
        q, k, v = b.node("Split", [a, b.const([h, h, h])], n_out=3, axis=2)
        bsz, s = _dim(b, x, 0), _dim(b, x, 1)
        heads_of = [b.node("Transpose", [b.node("Reshape", [t, _target(b, [bsz, s, heads, dh])])],
                           perm=[0, 2, 3, 1] if t is k else [0, 2, 1, 3]) for t in (q, k, v)]
        att = b.node("Div", [b.node("MatMul", heads_of[:2]), b.const(math.sqrt(dh), np.float32)])
        att = b.node("Where", [causal, att, b.const(-3.4e38, np.float32)])
        y = b.node("Transpose", [b.node("MatMul", [b.node("Softmax", [att], axis=-1), heads_of[2]])], perm=[0, 2, 1, 3])
        y = _linear(b, b.node("Reshape", [y, _target(b, [bsz, s, h])]), h, h, "c_proj")
        x = b.node("Add", [x, y])
        b.scope = f"/transformer/h.{layer}/mlp"
        y = _linear(b, _ln(b, x, h, "ln_2"), h, 4 * h, "c_fc")
        cube = b.node("Mul", [b.node("Pow", [y, b.const(3.0, np.float32)]), b.const(0.044715, np.float32)])
        t = b.node("Tanh", [b.node("Mul", [b.node("Add", [y, cube]), b.const(math.sqrt(2 / math.pi), np.float32)])])
        y = b.node("Mul", [b.node("Mul", [y, b.const(0.5, np.float32)]), b.node("Add", [t, b.const(1.0, np.float32)])])
        x = b.node("Add", [x, _linear(b, y, 4 * h, h, "c_proj")])
    b.scope = "/transformer"
    x = _ln(b, x, h, "ln_f")
    b.scope = "/lm_head"
    b.output(b.node("MatMul", [x, b.weight("weight", (h, vocab))]), TensorProto.FLOAT)
