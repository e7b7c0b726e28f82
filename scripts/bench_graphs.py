"""More graphs for the bench ladder (scripts/bench.py): shape-arithmetic-heavy exports.

Each builder takes bench.Builder (``b``) and writes the graph the way torch.onnx's
TorchScript exporter does: shapes computed at run time with Shape/Gather/Div/Unsqueeze/
Concat chains, one Constant node per literal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from onnx import TensorProto


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


def _window_attention(b: Any, x: str, c: int, heads: int, win: int, shifted: bool) -> str:
    """x [B, H, W, C] -> windows of win x win -> attention with relative position bias -> back."""
    n = win * win
    h0, w0 = _dim(b, x, 1), _dim(b, x, 2)
    pads = _target(b, [0, 0, 0, 0, 0, 0, _pad_to(b, h0, win), _pad_to(b, w0, win)])
    x = b.node("Pad", [x, b.node("Reshape", [pads, b.const([-1])])], mode="constant")
    bsz, hh, ww = _dim(b, x, 0), _dim(b, x, 1), _dim(b, x, 2)
    if shifted:
        x = _roll(b, _roll(b, x, win // 2, 1), win // 2, 2)
    # window partition: [B, H/w, w, W/w, w, C] -> [B, H/w, W/w, w, w, C] -> [B*nW, w*w, C];
    # every view re-reads the shape it needs, as the exporter writes it (no common subexpressions)
    y = b.node("Reshape", [x, _target(b, [bsz, _div(b, hh, win), win, _div(b, ww, win), win, _dim(b, x, 3)])])
    y = b.node("Transpose", [y], perm=[0, 1, 3, 2, 4, 5])
    y = b.node("Reshape", [y, _target(b, [-1, b.node("Mul", [_dim(b, y, 3), _dim(b, y, 4)]), _dim(b, y, 5)])])
    b_ = _dim(b, y, 0)
    qkv = _linear(b, y, c, 3 * c, "qkv")
    qkv = b.node("Reshape", [qkv, _target(b, [_dim(b, qkv, 0), _dim(b, qkv, 1), 3, heads, _div(b, _dim(b, y, 2), heads)])])
    qkv = b.node("Transpose", [qkv], perm=[2, 0, 3, 1, 4])
    q, k, v = (b.node("Gather", [qkv, b.const(i)], axis=0) for i in range(3))
    q = b.node("Mul", [q, b.const(1 / math.sqrt(c // heads), np.float32)])
    att = b.node("MatMul", [q, b.node("Transpose", [k], perm=[0, 1, 3, 2])])
    # relative position bias: a table gathered by a static index, as Swin's export keeps it
    table = b.weight("relative_position_bias_table", ((2 * win - 1) ** 2, heads))
    coords = np.stack(np.meshgrid(np.arange(win), np.arange(win), indexing="ij")).reshape(2, -1)
    rel = (coords[:, :, None] - coords[:, None, :]).transpose(1, 2, 0) + (win - 1)
    index = b.const((rel[:, :, 0] * (2 * win - 1) + rel[:, :, 1]).reshape(-1))
    bias = b.node("Reshape", [b.node("Gather", [table, index], axis=0), b.const([n, n, -1])])
    bias = b.node("Unsqueeze", [b.node("Transpose", [bias], perm=[2, 0, 1]), b.const([0])])
    att = b.node("Add", [att, bias])
    if shifted:  # the shift mask, [nW, 1, n, n], broadcast over the batch
        nw = b.node("Div", [b_, bsz])
        att = b.node("Reshape", [att, _target(b, [-1, nw, heads, n, n])])
        att = b.node("Add", [att, _shift_mask(b, x, win)])
        att = b.node("Reshape", [att, _target(b, [-1, heads, n, n])])
    att = b.node("Softmax", [att], axis=-1)
    y = b.node("Transpose", [b.node("MatMul", [att, v])], perm=[0, 2, 1, 3])
    y = b.node("Reshape", [y, _target(b, [_dim(b, y, 0), _dim(b, y, 1), -1])])
    y = _linear(b, y, c, c, "proj")
    # window reverse
    y = b.node("Reshape", [y, _target(b, [_dim(b, x, 0), _div(b, _dim(b, x, 1), win), _div(b, _dim(b, x, 2), win), win, win, _dim(b, y, 2)])])
    y = b.node("Transpose", [y], perm=[0, 1, 3, 2, 4, 5])
    y = b.node("Reshape", [y, _target(b, [_dim(b, x, 0), _dim(b, x, 1), _dim(b, x, 2), _dim(b, y, 5)])])
    if shifted:
        y = _roll(b, _roll(b, y, -(win // 2), 1), -(win // 2), 2)
    return b.node("Slice", [y, b.const([0, 0]), _target(b, [h0, w0]), b.const([1, 2]), b.const([1, 1])])


def _partition(b: Any, x: str, win: int) -> str:
    """[B, H, W, C] -> [B*nW, w*w, C], the view dims read from x's shape."""
    y = b.node("Reshape", [x, _target(b, [_dim(b, x, 0), _div(b, _dim(b, x, 1), win), win, _div(b, _dim(b, x, 2), win), win,
                                          _dim(b, x, 3)])])
    y = b.node("Transpose", [y], perm=[0, 1, 3, 2, 4, 5])
    return b.node("Reshape", [y, _target(b, [-1, win * win, _dim(b, y, 5)])])


def _shift_mask(b: Any, x: str, win: int) -> str:
    """Swin's shifted-window mask, recomputed from the run-time shape of x [B, Hp, Wp, C]:
    region ids of rows and columns, partitioned into windows, -100 where two differ."""
    shift = win // 2
    ids = []
    for axis in (1, 2):
        d = b.node("Squeeze", [_dim(b, x, axis), b.const([0])])
        r = b.node("Range", [b.const(0), d, b.const(1)])
        a1 = b.node("Cast", [b.node("GreaterOrEqual", [r, b.node("Sub", [d, b.const(win)])])], to=TensorProto.INT64)
        a2 = b.node("Cast", [b.node("GreaterOrEqual", [r, b.node("Sub", [d, b.const(shift)])])], to=TensorProto.INT64)
        ids.append(b.node("Add", [a1, a2]))
    img = b.node("Add", [b.node("Mul", [b.node("Unsqueeze", [ids[0], b.const([1])]), b.const(3)]),
                         b.node("Unsqueeze", [ids[1], b.const([0])])])
    img = b.node("Unsqueeze", [img, b.const([0, 3])])
    m = b.node("Reshape", [_partition(b, img, win), b.const([-1, win * win])])
    diff = b.node("Sub", [b.node("Unsqueeze", [m, b.const([1])]), b.node("Unsqueeze", [m, b.const([2])])])
    mask = b.node("Where", [b.node("Equal", [diff, b.const(0)]), b.const(0.0, np.float32), b.const(-100.0, np.float32)])
    return b.node("Unsqueeze", [mask, b.const([0, 2])])


def _swin_block(b: Any, x: str, c: int, heads: int, win: int, shifted: bool) -> str:
    """x [B, L, C] with L = H·W; H and W come back from the shape at run time."""
    bsz, length = _dim(b, x, 0), _dim(b, x, 1)
    side = b.node("Cast", [b.node("Sqrt", [b.node("Cast", [length], to=TensorProto.FLOAT)])], to=TensorProto.INT64)
    h = _ln(b, x, c, "norm1")
    h = b.node("Reshape", [h, _target(b, [bsz, side, side, c])])
    h = _window_attention(b, h, c, heads, win, shifted)
    x = b.node("Add", [x, b.node("Reshape", [h, _target(b, [bsz, -1, c])])])
    h = _linear(b, _gelu(b, _linear(b, _ln(b, x, c, "norm2"), c, 4 * c, "mlp.fc1")), 4 * c, c, "mlp.fc2")
    return b.node("Add", [x, h])


def _patch_merging(b: Any, x: str, c: int, side: int) -> str:
    bsz = _dim(b, x, 0)
    x = b.node("Reshape", [x, _target(b, [bsz, side, side, c])])
    parts = [b.node("Slice", [x, b.const([i, j]), b.const([2**62, 2**62]), b.const([1, 2]), b.const([2, 2])])
             for i, j in ((0, 0), (1, 0), (0, 1), (1, 1))]
    x = b.node("Reshape", [b.node("Concat", parts, axis=-1), _target(b, [bsz, -1, 4 * c])])
    return b.node("MatMul", [_ln(b, x, 4 * c, "norm"), b.weight("reduction.weight", (4 * c, 2 * c))])


def swin_t(b: Any) -> None:
    """Swin-T (depths 2-2-6-2, heads 3-6-12-24, window 7, 224x224): 28 M params, ~6,000
    nodes, most of them shape arithmetic (window partition, roll, relative position index)."""
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
            x = _swin_block(b, x, c, heads, 7, shifted=i % 2 == 1 and side > 7)
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
                  value=__import__("onnx").numpy_helper.from_array(np.array([1], np.uint8)))
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
