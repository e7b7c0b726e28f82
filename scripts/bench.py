#!/usr/bin/env python
"""make bench: time onnx-cost against a bare onnx.load process on a ladder of generated models.

Builds, under a temporary folder, ResNet-50-, VGG-16- and BERT-base-shaped models with
real (random) weights embedded, a Swin-T-shaped graph of ~4,000 nodes of shape arithmetic
(scripts/bench_graphs.py), GPT-2- and Llama-7B-shaped decoders with symbolic batch and
sequence whose weights are external data (sparse files: no byte is written), and
synthetic chains of 25k, 100k and 1M nodes. For each model it measures, every process
fresh so peak RSS belongs to it alone:

  bare     `python -c "import onnx; onnx.load(path, load_external_data=False)"`, whole
  command  the whole default `onnx-cost model.onnx` (and, with symbolic dims, bound with --dim)
  load     onnx.load in a warm process (the parse alone)
  ours     onnx_cost.analyze(path) in a warm process (imports and rule loading done first)
  tool     onnx_tool.model_profile(path) as a whole process, when onnx-tool is installed

and prints every target of issue 26 as met or missed, by how much; writes docs/performance.md
(generated; never edit it by hand).

    python scripts/bench.py                 # the whole ladder, writes docs/performance.md
    python scripts/bench.py --only swin-t --no-write
    python scripts/bench.py --profile swin-t   # cProfile of analyze() on one model
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from bench_graphs import gpt2, swin_t  # noqa: E402

DOC = ROOT / "docs" / "performance.md"
OPSET = 18

# Targets from issue 26 (the table marks each row against them, with the margin).
MAX_COMMAND_RATIO = 1.3  # whole command / whole bare onnx.load process (dims bound where the model has free ones)
MAX_POLY_RATIO = 1.5  # the default command on free dims: the polynomial path
MAX_RSS_RATIO = 1.2  # peak RSS, command / bare load process
US_PER_NODE = {"swin-t": 30.0, "chain-100k": 15.0}  # analysis beyond the parse, the first in its process
MAX_STARTUP_S = 0.3  # onnx-cost --version, --help
MAX_CHAIN_EXPONENT = 1.15  # d log(analysis time) / d log(nodes) over the chain ladder
TIME_TARGETS = ("resnet50", "vgg16", "bert-base", "swin-t", "gpt2", "llama7b", "chain-25k", "chain-100k", "chain-1m")
TOOL_TIMEOUT_S = 120  # onnx-tool on the big chains takes minutes


# -- building models ------------------------------------------------------------------


# Random weights, cut from one pool: generating 138 M fresh normals per model would
# dominate the benchmark's own run time, and parse time does not depend on the values.
_POOL = np.random.default_rng(0).standard_normal(1 << 22, dtype=np.float32)


class Builder:
    """A graph under construction, named the way exporters name things.

    Weights are random and embedded, or (``external`` set) external-data references
    into one file that is later made sparse: dims, offsets and lengths, no bytes.
    """

    def __init__(self, external: str | None = None, seed: int = 0) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[TensorProto] = []
        self.inputs: list[onnx.ValueInfoProto] = []
        self.outputs: list[onnx.ValueInfoProto] = []
        self.external = external
        self.offset = 0  # bytes of external data so far
        self.rng = np.random.default_rng(seed)
        self.scope = ""
        self._k = 0

    def input(self, name: str, dtype: int, shape: Sequence[int | str]) -> str:
        self.inputs.append(helper.make_tensor_value_info(name, dtype, list(shape)))
        return name

    def output(self, name: str, dtype: int) -> None:
        self.outputs.append(helper.make_tensor_value_info(name, dtype, None))

    def weight(self, name: str, shape: Sequence[int], dtype: Any = np.float32) -> str:
        name = f"{self.scope.strip('/').replace('/', '.')}.{name}" if self.scope else name
        if self.external is None:
            n = math.prod(shape)
            start = int(self.rng.integers(0, _POOL.size - n)) if n < _POOL.size else 0
            arr = (_POOL[start : start + n] if n < _POOL.size else np.resize(_POOL, n)).reshape(shape)
            self.inits.append(numpy_helper.from_array(arr.astype(dtype, copy=False), name))
            return name
        t = TensorProto()
        t.name = name
        t.data_type = helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
        t.dims.extend(shape)
        t.data_location = TensorProto.EXTERNAL
        length = math.prod(shape) * np.dtype(dtype).itemsize
        for k, v in (("location", self.external), ("offset", str(self.offset)), ("length", str(length))):
            e = t.external_data.add()
            e.key, e.value = k, v
        self.offset += (length + 4095) // 4096 * 4096  # page-aligned, as onnx's writer does
        self.inits.append(t)
        return name

    def const(self, value: Any, dtype: Any = np.int64) -> str:
        """An exporter-style Constant node (TorchScript emits one per literal)."""
        return self.node("Constant", [], value=numpy_helper.from_array(np.asarray(value, dtype=dtype)))

    def node(self, op: str, inputs: Sequence[str], n_out: int = 1, **attrs: Any) -> Any:
        self._k += 1
        name = f"{self.scope}/{op}_{self._k}"
        outs = [f"{name}_output_{i}" for i in range(n_out)]
        self.nodes.append(helper.make_node(op, list(inputs), outs, name=name, **attrs))
        return outs[0] if n_out == 1 else outs

    def model(self) -> onnx.ModelProto:
        g = helper.make_graph(self.nodes, "bench", self.inputs, self.outputs, initializer=self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=9)
        m.producer_name = "onnx-cost bench"
        return m

    def save(self, path: Path) -> None:
        m = self.model()
        path.write_bytes(m.SerializeToString())
        if self.external is not None:
            with open(path.parent / self.external, "wb") as f:
                f.truncate(self.offset)  # sparse: the size is there, no block is written


def _conv(b: Builder, x: str, cin: int, cout: int, k: int, stride: int = 1, relu: bool = True) -> str:
    w = b.weight(f"conv{b._k}.weight", (cout, cin, k, k))
    bias = b.weight(f"conv{b._k}.bias", (cout,))  # batch norm folded into the conv, as exporters do
    y = b.node("Conv", [x, w, bias], kernel_shape=[k, k], strides=[stride, stride], pads=[k // 2] * 4)
    return b.node("Relu", [y]) if relu else y


def resnet50(b: Builder) -> None:
    """ResNet-50 v1.5 with batch norms folded: 25.5 M params."""
    x = b.input("input", TensorProto.FLOAT, [1, 3, 224, 224])
    b.scope = "/conv1"
    x = _conv(b, x, 3, 64, 7, 2)
    x = b.node("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    cin = 64
    for stage, (blocks, width) in enumerate(zip((3, 4, 6, 3), (64, 128, 256, 512))):
        for i in range(blocks):
            b.scope = f"/layer{stage + 1}/layer{stage + 1}.{i}"
            stride = 2 if i == 0 and stage > 0 else 1
            y = _conv(b, x, cin, width, 1)
            y = _conv(b, y, width, width, 3, stride)
            y = _conv(b, y, width, width * 4, 1, relu=False)
            short = _conv(b, x, cin, width * 4, 1, stride, relu=False) if i == 0 else x
            x = b.node("Relu", [b.node("Add", [y, short])])
            cin = width * 4
    b.scope = "/fc"
    x = b.node("Flatten", [b.node("GlobalAveragePool", [x])])
    x = b.node("Gemm", [x, b.weight("weight", (1000, 2048)), b.weight("bias", (1000,))], transB=1)
    b.output(x, TensorProto.FLOAT)


def vgg16(b: Builder) -> None:
    """VGG-16: 138.4 M params, 553 MB (528 MiB) of float32 weights."""
    x = b.input("input", TensorProto.FLOAT, [1, 3, 224, 224])
    cin = 3
    for block, (n, c) in enumerate(zip((2, 2, 3, 3, 3), (64, 128, 256, 512, 512))):
        b.scope = f"/features/block{block}"
        for _ in range(n):
            x = _conv(b, x, cin, c, 3)
            cin = c
        x = b.node("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2])
    x = b.node("Flatten", [x])
    for i, (fin, fout) in enumerate(((25088, 4096), (4096, 4096), (4096, 1000))):
        b.scope = f"/classifier/{i}"
        x = b.node("Gemm", [x, b.weight("weight", (fout, fin)), b.weight("bias", (fout,))], transB=1)
        if i < 2:
            x = b.node("Relu", [x])
    b.output(x, TensorProto.FLOAT)


def _dyn_shape(b: Builder, x: str, tail: Sequence[int]) -> str:
    """Exporter-style target shape [x.shape[0], x.shape[1], *tail] built with Shape/Gather/Concat."""
    parts = []
    for axis in (0, 1):
        s = b.node("Shape", [x])
        d = b.node("Gather", [s, b.const(axis)], axis=0)
        parts.append(b.node("Unsqueeze", [d, b.const([0])]))
    return b.node("Concat", [*parts, *(b.const([t]) for t in tail)], axis=0)


def bert_base(b: Builder) -> None:
    """BERT-base (12 layers, hidden 768, 12 heads, vocabulary 30522): 109 M params."""
    ids = b.input("input_ids", TensorProto.INT64, ["batch", "sequence"])
    mask = b.input("attention_mask", TensorProto.INT64, ["batch", "sequence"])
    h, heads, dh, ff = 768, 12, 64, 3072
    b.scope = "/embeddings"
    we = b.weight("word_embeddings.weight", (30522, h))
    pe = b.weight("position_embeddings.weight", (512, h))
    x = b.node("Gather", [we, ids])
    seq = b.node("Gather", [b.node("Shape", [ids]), b.const(1)], axis=0)
    pos = b.node("Range", [b.const(0), seq, b.const(1)])
    x = b.node("Add", [x, b.node("Gather", [pe, pos])])
    x = b.node("LayerNormalization", [x, b.weight("LayerNorm.weight", (h,)), b.weight("LayerNorm.bias", (h,))], axis=-1)
    m = b.node("Unsqueeze", [b.node("Unsqueeze", [mask, b.const([1])]), b.const([2])])
    m = b.node("Cast", [m], to=TensorProto.FLOAT)
    m = b.node("Mul", [b.node("Sub", [b.const(1.0, np.float32), m]), b.const(-10000.0, np.float32)])

    def dense(x: str, fin: int, fout: int, name: str) -> str:
        y = b.node("MatMul", [x, b.weight(f"{name}.weight", (fin, fout))])
        return b.node("Add", [y, b.weight(f"{name}.bias", (fout,))])

    for layer in range(12):
        b.scope = f"/encoder/layer.{layer}/attention"
        heads_of = []
        for proj in ("query", "key", "value"):
            y = dense(x, h, h, f"self.{proj}")
            y = b.node("Reshape", [y, _dyn_shape(b, y, (heads, dh))])
            heads_of.append(b.node("Transpose", [y], perm=[0, 2, 3, 1] if proj == "key" else [0, 2, 1, 3]))
        q, k, v = heads_of
        s = b.node("Div", [b.node("MatMul", [q, k]), b.const(8.0, np.float32)])
        p = b.node("Softmax", [b.node("Add", [s, m])], axis=-1)
        c = b.node("Transpose", [b.node("MatMul", [p, v])], perm=[0, 2, 1, 3])
        c = b.node("Reshape", [c, _dyn_shape(b, c, (h,))])
        y = b.node("Add", [dense(c, h, h, "output.dense"), x])
        x = b.node("LayerNormalization", [y, b.weight("output.LayerNorm.weight", (h,)),
                                          b.weight("output.LayerNorm.bias", (h,))], axis=-1)
        b.scope = f"/encoder/layer.{layer}/intermediate"
        y = dense(x, h, ff, "dense")
        # GELU, unfused as exporters write it: x · 0.5 · (1 + erf(x / √2))
        g = b.node("Erf", [b.node("Div", [y, b.const(1.4142135, np.float32)])])
        y = b.node("Mul", [b.node("Mul", [y, b.node("Add", [g, b.const(1.0, np.float32)])]), b.const(0.5, np.float32)])
        b.scope = f"/encoder/layer.{layer}/output"
        y = b.node("Add", [dense(y, ff, h, "dense"), x])
        x = b.node("LayerNormalization", [y, b.weight("LayerNorm.weight", (h,)), b.weight("LayerNorm.bias", (h,))], axis=-1)
    b.scope = "/pooler"
    first = b.node("Gather", [x, b.const(0)], axis=1)
    pooled = b.node("Tanh", [b.node("Gemm", [first, b.weight("dense.weight", (h, h)), b.weight("dense.bias", (h,))], transB=1)])
    b.output(x, TensorProto.FLOAT)
    b.output(pooled, TensorProto.FLOAT)


def _rms_norm(b: Builder, x: str, h: int) -> str:
    """HF's LlamaRMSNorm, unfused: in float32, x · 1/√(mean(x²) + ε), back to fp16, times the weight."""
    x32 = b.node("Cast", [x], to=TensorProto.FLOAT)
    var = b.node("ReduceMean", [b.node("Pow", [x32, b.const(2.0, np.float32)]), b.const([-1])], keepdims=1)
    r = b.node("Div", [b.const(1.0, np.float32), b.node("Sqrt", [b.node("Add", [var, b.const(1e-6, np.float32)])])])
    y = b.node("Cast", [b.node("Mul", [x32, r])], to=TensorProto.FLOAT16)
    return b.node("Mul", [b.weight("weight", (h,), np.float16), y])


def _rotate_half(b: Builder, x: str, half: int) -> str:
    x1 = b.node("Slice", [x, b.const([0]), b.const([half]), b.const([-1]), b.const([1])])
    x2 = b.node("Slice", [x, b.const([half]), b.const([2**62]), b.const([-1]), b.const([1])])
    return b.node("Concat", [b.node("Neg", [x2]), x1], axis=-1)


def llama(b: Builder, layers: int = 32, h: int = 4096, heads: int = 32, ff: int = 11008, vocab: int = 32000) -> None:
    """A Llama-2-7B-shaped decoder (prefill, no KV cache), exported TorchScript-style:
    unfused RMSNorm, rotary embeddings and SiLU, one Constant node per literal, shapes
    computed with Shape/Gather/Concat. 32 layers: 6.74 B fp16 params (13.5 GB, 12.6 GiB)."""
    dh, max_pos = h // heads, 4096
    ids = b.input("input_ids", TensorProto.INT64, ["batch", "sequence"])
    pos = b.input("position_ids", TensorProto.INT64, ["batch", "sequence"])
    b.scope = "/model/embed_tokens"
    x = b.node("Gather", [b.weight("weight", (vocab, h), np.float16), ids])
    b.scope = "/model/rotary_emb"
    cos_cache = b.weight("cos_cached", (max_pos, dh), np.float16)
    sin_cache = b.weight("sin_cached", (max_pos, dh), np.float16)
    b.scope = "/model/causal_mask"
    seq = b.node("Unsqueeze", [b.node("Gather", [b.node("Shape", [ids]), b.const(1)], axis=0), b.const([0])])
    ones = b.node("ConstantOfShape", [b.node("Concat", [seq, seq], axis=0)],
                  value=numpy_helper.from_array(np.array([1.0], np.float16)))
    above = b.node("Sub", [ones, b.node("Trilu", [ones], upper=0)])
    mask = b.node("Mul", [above, b.const(-65504.0, np.float16)])
    for layer in range(layers):
        b.scope = f"/model/layers.{layer}/input_layernorm"
        hn = _rms_norm(b, x, h)
        b.scope = f"/model/layers.{layer}/self_attn"
        qkv = []
        for proj in ("q_proj", "k_proj", "v_proj"):
            y = b.node("MatMul", [hn, b.weight(f"{proj}.weight", (h, h), np.float16)])
            y = b.node("Reshape", [y, _dyn_shape(b, y, (heads, dh))])
            qkv.append(b.node("Transpose", [y], perm=[0, 2, 1, 3]))
        q, k, v = qkv
        # rotary: cos/sin rows of the positions, as the legacy HF export recomputes them per layer
        s = b.node("Unsqueeze", [b.node("Gather", [b.node("Shape", [v]), b.const(2)], axis=0), b.const([0])])
        trig = []
        for cache in (cos_cache, sin_cache):
            c = b.node("Slice", [cache, b.const([0]), s, b.const([0])])
            trig.append(b.node("Unsqueeze", [b.node("Gather", [c, pos], axis=0), b.const([1])]))
        cos, sin = trig
        q = b.node("Add", [b.node("Mul", [q, cos]), b.node("Mul", [_rotate_half(b, q, dh // 2), sin])])
        k = b.node("Add", [b.node("Mul", [k, cos]), b.node("Mul", [_rotate_half(b, k, dh // 2), sin])])
        att = b.node("MatMul", [q, b.node("Transpose", [k], perm=[0, 1, 3, 2])])
        att = b.node("Add", [b.node("Div", [att, b.const(math.sqrt(dh), np.float16)]), mask])
        att = b.node("Cast", [b.node("Softmax", [b.node("Cast", [att], to=TensorProto.FLOAT)], axis=-1)],
                     to=TensorProto.FLOAT16)
        o = b.node("Transpose", [b.node("MatMul", [att, v])], perm=[0, 2, 1, 3])
        o = b.node("Reshape", [o, _dyn_shape(b, o, (h,))])
        x = b.node("Add", [x, b.node("MatMul", [o, b.weight("o_proj.weight", (h, h), np.float16)])])
        b.scope = f"/model/layers.{layer}/post_attention_layernorm"
        hn = _rms_norm(b, x, h)
        b.scope = f"/model/layers.{layer}/mlp"
        gate = b.node("MatMul", [hn, b.weight("gate_proj.weight", (h, ff), np.float16)])
        gate = b.node("Mul", [gate, b.node("Sigmoid", [gate])])  # SiLU
        up = b.node("MatMul", [hn, b.weight("up_proj.weight", (h, ff), np.float16)])
        y = b.node("MatMul", [b.node("Mul", [gate, up]), b.weight("down_proj.weight", (ff, h), np.float16)])
        x = b.node("Add", [x, y])
    b.scope = "/model/norm"
    x = _rms_norm(b, x, h)
    b.scope = "/lm_head"
    logits = b.node("MatMul", [x, b.weight("weight", (h, vocab), np.float16)])
    b.output(logits, TensorProto.FLOAT16)


def chain(b: Builder, n: int) -> None:
    """n nodes: Add of its own 64-float bias, then Relu, alternately."""
    x = b.input("x", TensorProto.FLOAT, [1, 64])
    for i in range(n):
        b.scope = f"/block{i // 2}"
        x = b.node("Add", [x, b.weight("bias", (64,))]) if i % 2 == 0 else b.node("Relu", [x])
    b.output(x, TensorProto.FLOAT)


@dataclass
class Case:
    name: str
    build: Callable[[Builder], None]
    external: bool = False
    dims: dict[str, int] = field(default_factory=dict)
    repeat: int = 3
    chain_nodes: int = 0


CASES = [
    Case("resnet50", resnet50),
    Case("vgg16", vgg16, repeat=2),
    Case("bert-base", bert_base, dims={"batch": 1, "sequence": 128}, repeat=2),
    Case("swin-t", swin_t, repeat=3),
    Case("gpt2", gpt2, external=True, dims={"batch": 1, "sequence": 128}, repeat=3),
    Case("llama7b", llama, external=True, dims={"batch": 1, "sequence": 128}, repeat=2),
    Case("chain-25k", lambda b: chain(b, 25_000), repeat=2, chain_nodes=25_000),
    Case("chain-100k", lambda b: chain(b, 100_000), repeat=2, chain_nodes=100_000),
    Case("chain-1m", lambda b: chain(b, 1_000_000), repeat=1, chain_nodes=1_000_000),
]


# -- measuring (each phase in its own subprocess) --------------------------------------


def _peak_rss_kb() -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KB on Linux


def _case(name: str) -> Case:
    return next(c for c in CASES if c.name == name)


def build(case: Case, path: Path) -> dict[str, Any]:
    """Build and save one model; its weight bytes and node count."""
    b = Builder(external=f"{case.name}.data" if case.external else None)
    case.build(b)
    b.save(path)
    weights = sum(math.prod(t.dims) * np.dtype(helper.tensor_dtype_to_np_dtype(t.data_type)).itemsize for t in b.inits)
    inputs = {i.name: [d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim] for i in b.inputs}
    return {"weight_bytes": weights, "nodes": len(b.nodes), "inputs": inputs}


def child(mode: str, path: str, arg: str) -> None:
    """One phase in a fresh interpreter: print {seconds, peak_kb, ...} as JSON on stdout.

    VmHWM belongs to this process's own address space (exec starts a new one), so the
    peak is this phase's alone, whatever the parent holds.
    """
    if mode == "build":
        t0 = time.perf_counter()
        out = build(_case(arg), Path(path))
        print(json.dumps({"seconds": time.perf_counter() - t0, **out}))
        return
    dims = json.loads(arg)
    if mode == "load":
        t0 = time.perf_counter()
        m = onnx.load(path, load_external_data=False)
        dt = time.perf_counter() - t0
        out = {"nodes": len(m.graph.node)}
    else:
        import onnx_cost.analyzer as analyzer
        from onnx_cost.rules import load_all

        load_all()
        phases = _time_phases()
        t0 = time.perf_counter()
        r = analyzer.analyze(path, dims=dims)
        dt = time.perf_counter() - t0
        out = {"nodes": r.coverage.nodes, "flops": r.total.flops, "params": r.total.params,
               "coverage": r.coverage.fraction, "warnings": r.warnings, "phases": phases}
    print(json.dumps({"seconds": dt, "peak_kb": _peak_rss_kb(), **out}))


PHASES = (  # where analyze() spends its time: (label, module, attribute)
    ("load and checks", "onnx_cost.analyzer", "prepare"),
    ("shape pass", "onnx_cost.analyzer.shapes", "ShapeEngine.run"),
    ("params split", "onnx_cost.analyzer", "split_statics"),
    ("walk (rules, records)", "onnx_cost.analyzer.walk", "Walker.walk"),
    ("aggregation", "onnx_cost.analyzer", "_aggregate"),
)


def _time_phases() -> dict[str, float]:
    """Wrap the analysis's phases with timers; the returned dict fills in as they run
    (a subgraph's nested calls count once, in their outermost phase)."""
    import importlib

    spent: dict[str, float] = {}
    depth = [0]
    for label, module, attr in PHASES:
        owner: Any = importlib.import_module(module)
        name = attr
        if "." in attr:
            cls, name = attr.split(".")
            owner = getattr(owner, cls)

        def timed(*a: Any, _f: Any = getattr(owner, name), _label: str = label, **k: Any) -> Any:
            depth[0] += 1
            t0 = time.perf_counter()
            try:
                return _f(*a, **k)
            finally:
                depth[0] -= 1
                if depth[0] == 0:
                    spent[_label] = spent.get(_label, 0.0) + time.perf_counter() - t0

        setattr(owner, name, timed)
    return spent


def _phase(mode: str, path: Path, arg: str) -> dict[str, Any]:
    argv = [sys.executable, __file__, "--child", mode, str(path), arg]
    p = subprocess.run(argv, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{mode} {path.name} failed ({p.returncode}): {p.stderr.strip()[-800:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


# The whole command is timed by a minimal launcher (python -S, stdlib only) that
# posix_spawns it and reads its rusage with wait4. Linux starts a spawned process's
# ru_maxrss at its spawner's peak RSS, so the spawner must be small: the benchmark
# itself, having built models, is not.
_LAUNCHER = """\
import os, sys, time
argv = sys.argv[1:]
out = os.open(os.devnull, os.O_WRONLY)
t0 = time.perf_counter()
pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=[(os.POSIX_SPAWN_DUP2, out, 1)])
limit = float(os.environ.get("BENCH_TIMEOUT_S", "0"))
while limit:  # a time limit (onnx-tool): poll, and stop the process itself past it
    done, status, usage = os.wait4(pid, os.WNOHANG)
    if done:
        break
    if time.perf_counter() - t0 > limit:
        os.kill(pid, 9)
        os.wait4(pid, 0)
        sys.exit(124)
    time.sleep(0.002)
else:
    _, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - t0
print(wall, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def _command(argv: list[str], timeout: float | None = None) -> tuple[float, int]:
    """The whole command: wall seconds and peak RSS (KB) of that process alone."""
    env = {**os.environ, "BENCH_TIMEOUT_S": str(timeout or 0)}
    p = subprocess.run([sys.executable, "-S", "-c", _LAUNCHER, *argv], capture_output=True, text=True, env=env)
    if p.returncode == 124:
        raise subprocess.TimeoutExpired(argv, timeout or 0)
    if p.returncode != 0 or not p.stdout.strip():
        raise RuntimeError(f"launcher failed for {' '.join(argv)}: {p.stderr.strip()[-800:]}")
    wall, rss, code = p.stdout.split()
    if int(code) != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {code}: {p.stderr.strip()[-800:]}")
    return float(wall), int(rss)


def _cli() -> str:
    exe = Path(sys.executable).with_name("onnx-cost")
    return str(exe) if exe.exists() else shutil.which("onnx-cost") or "onnx-cost"


_BARE = "import onnx, sys; onnx.load(sys.argv[1], load_external_data=False)"
_TOOL = """\
import json, sys
import numpy as np
import onnx_tool
shapes = json.loads(sys.argv[2])
onnx_tool.model_profile(sys.argv[1], dynamic_shapes={k: np.zeros(v, np.int64) for k, v in shapes.items()} or None)
"""


def _tool_available() -> bool:
    p = subprocess.run([sys.executable, "-c", "import onnx_tool"], capture_output=True)
    return p.returncode == 0


@dataclass
class Result:
    case: Case
    file_mb: float
    weight_mb: float
    nodes: int
    load_s: float  # onnx.load in a warm process (imports done): the parse alone
    ours_s: float  # analyze() in a warm process, parse included
    ours_mb: float
    bare_s: float  # the whole bare `python -c "import onnx; onnx.load(...)"` process
    bare_mb: float
    cmd_s: float  # the whole default command (no dims bound)
    cmd_mb: float
    bound_s: float | None  # the whole command with the case's dims bound (--dim ...)
    tool_s: float | None  # onnx-tool's model_profile as a whole process (None: not run or failed)
    tool_note: str
    flops: int
    params: int
    coverage: float
    build_s: float
    warnings: list[str]
    phases: dict[str, float]  # analyze()'s phases, seconds (the best run)

    @property
    def ratio(self) -> float:
        return self.cmd_s / self.bare_s

    @property
    def rss_ratio(self) -> float:
        return self.cmd_mb / self.bare_mb

    @property
    def us_per_node(self) -> float:
        """Analysis beyond the parse, per node."""
        return max(self.ours_s - self.load_s, 0.0) / max(self.nodes, 1) * 1e6


def _best(runs: list[tuple[float, int]]) -> tuple[float, float]:
    """Best wall time, largest peak RSS (MiB)."""
    return min(r[0] for r in runs), max(r[1] for r in runs) / 1024


def measure(case: Case, folder: Path, log: Callable[[str], None], tool: bool) -> Result:
    path = folder / f"{case.name}.onnx"
    built = _phase("build", path, case.name)
    file_mb = path.stat().st_size / 2**20
    log(f"  {case.name}: {built['nodes']:,} nodes, built in {built['seconds']:.1f} s "
        f"({file_mb:.1f} MiB file, {built['weight_bytes'] / 2**20:,.0f} MiB of weights)")
    dims = json.dumps(case.dims)
    loads = [_phase("load", path, dims) for _ in range(case.repeat)]
    ours = [_phase("analyze", path, dims) for _ in range(case.repeat)]
    reps = 1 if case.chain_nodes >= 1_000_000 else case.repeat + 2  # whole processes: best of several
    bare_s, bare_mb = _best([_command([sys.executable, "-c", _BARE, str(path)]) for _ in range(reps)])
    cmd_s, cmd_mb = _best([_command([_cli(), str(path)]) for _ in range(reps)])
    bound_s = None
    if case.dims:
        argv = [_cli(), str(path)] + [a for k, v in case.dims.items() for a in ("--dim", f"{k}={v}")]
        bound_s = min(_command(argv)[0] for _ in range(reps))
    tool_s, note = None, "not installed" if not tool else ""
    if tool and case.chain_nodes <= 25_000 and not case.name.startswith("llama"):
        shapes = {i: [case.dims.get(str(d), d) for d in dd] for i, dd in built["inputs"].items()}
        try:  # once: it is the slower by far, and a comparison, not a target of its own
            tool_s = _command([sys.executable, "-c", _TOOL, str(path), json.dumps(shapes)], timeout=TOOL_TIMEOUT_S)[0]
        except subprocess.TimeoutExpired:
            tool_s, note = float(TOOL_TIMEOUT_S), f"> {TOOL_TIMEOUT_S} s (stopped)"
        except RuntimeError as e:
            note = f"failed: {str(e).splitlines()[-1][:80] if str(e) else 'error'}"
    elif tool:
        note = "not run (13 GB of external data, or a chain past 25k nodes)"
    best = min(ours, key=lambda r: r["seconds"])
    res = Result(
        case=case, file_mb=file_mb, weight_mb=built["weight_bytes"] / 2**20, nodes=loads[0]["nodes"],
        load_s=min(r["seconds"] for r in loads), ours_s=best["seconds"],
        ours_mb=max(r["peak_kb"] for r in ours) / 1024, bare_s=bare_s, bare_mb=bare_mb, cmd_s=cmd_s, cmd_mb=cmd_mb,
        bound_s=bound_s, tool_s=tool_s, tool_note=note, flops=best["flops"], params=best["params"],
        coverage=best["coverage"], build_s=built["seconds"], warnings=best["warnings"], phases=best["phases"],
    )
    log(f"    bare load {res.bare_s:.3f} s {res.bare_mb:.0f} MiB | command {res.cmd_s:.3f} s {res.cmd_mb:.0f} MiB "
        f"(x{res.ratio:.2f}, RSS x{res.rss_ratio:.2f})" + (f" | bound {bound_s:.3f} s" if bound_s else "")
        + (f" | onnx-tool {tool_s:.3f} s" if tool_s else f" | onnx-tool {note}")
        + f" | analysis {res.us_per_node:.1f} us/node")
    for w in res.warnings:
        log(f"    warning: {w}")
    path.unlink()
    if case.external:
        (folder / f"{case.name}.data").unlink()
    return res


def startup() -> tuple[float, float]:
    """Best wall times of `onnx-cost --version` and `onnx-cost --help` over 7 runs each."""
    return (min(_command([_cli(), "--version"])[0] for _ in range(7)),
            min(_command([_cli(), "--help"])[0] for _ in range(7)))


# -- reporting -------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    import onnx_cost

    try:
        from importlib.metadata import version

        ml_dtypes = version("ml_dtypes")
    except Exception:  # not installed, or no metadata
        ml_dtypes = "?"
    imp = min(_command([sys.executable, "-c", "import onnx"])[0] for _ in range(3))
    return {
        "CPU": cpu,
        "cores": f"{usable} usable ({os.cpu_count()} online)",
        "RAM": ram,
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "onnx": onnx.__version__,
        "numpy": np.__version__,
        "ml_dtypes": f"{ml_dtypes} (a whole `python -c 'import onnx'` takes {imp:.3f} s here: onnx imports it, "
                     "and importing ml_dtypes 0.7.0 took 0.93 s of CPU against 0.14 s for 0.6.0, which would flatter every ratio; "
                     "`make bench` holds it below 0.7)",
        "onnx-cost": onnx_cost.__version__,
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _ok(good: bool) -> str:
    return "met" if good else "**missed**"


def chain_exponent(results: list[Result]) -> float | None:
    """Least-squares slope of log(analysis time beyond the parse) against log(nodes), chains."""
    pts = [(math.log(r.case.chain_nodes), math.log(max(r.ours_s - r.load_s, 1e-6))) for r in results if r.case.chain_nodes]
    if len(pts) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    return sum((x - mx) * (y - my) for x, y in pts) / sum((x - mx) ** 2 for x, _ in pts)


def _s(v: float | None) -> str:
    return "–" if v is None else f"{v:.3f} s"


def margin(value: float, limit: float, unit: str = "×", base: float | None = None) -> str:
    """How far ``value`` is from ``limit`` (a ceiling): "met, 0.12× to spare" or "missed by
    0.12×"; with ``base`` (the bare load's seconds) a ratio's margin in seconds too."""
    gap = abs(value - limit)
    secs = f", {gap * base * 1e3:.0f} ms" if base is not None else ""
    return f"{gap:.2f}{unit}{secs} to spare" if value <= limit else f"missed by {gap:.2f}{unit}{secs}"


def _largest_phase(r: Result) -> str:
    """The phase of the analysis that took the most time, per node."""
    if not r.phases:
        return "no phase timing"
    beyond = dict(r.phases)
    if "load and checks" in beyond:  # the parse is the floor, not left: the checks beyond it
        beyond["load checks beyond the parse"] = max(beyond.pop("load and checks") - r.load_s, 0.0)
    label, t = max(beyond.items(), key=lambda kv: kv[1])
    return f"its largest phase {label}, {t / max(r.nodes, 1) * 1e6:.1f} µs/node"


def left(r: Result, what: str, cmd_s: float | None = None) -> str:
    """What the profile shows is left of a missed target: where the time (or memory) beyond
    the bare load goes (``cmd_s``: the command timed, by default the default command)."""
    if what == "time":
        over = (r.cmd_s if cmd_s is None else cmd_s) - r.bare_s
        analysis = max(r.ours_s - r.load_s, 0.0)
        rest = max(over - analysis, 0.0)
        poly = " and the grid of analyses behind the polynomials" if r.case.dims and cmd_s is None else ""
        return (f"left: {over * 1e3:.0f} ms beyond the bare load, of which the analysis beyond the parse "
                f"{analysis * 1e3:.0f} ms ({_largest_phase(r)}), the rest ({rest * 1e3:.0f} ms) imports, "
                f"rendering{poly}")
    if what == "node":
        return f"left: {_largest_phase(r)}"
    return (f"left: {r.cmd_mb - r.bare_mb:.0f} MiB above the bare load's {r.bare_mb:.0f} MiB "
            f"(the analysis's records, tensor facts and shape pass over the parsed model)")


def targets(results: list[Result], start: tuple[float, float] | None) -> list[tuple[str, str, bool]]:
    """(target, measured, met) for every target of the issue that the run measured; the
    measured text ends with the margin (to spare, or missed by)."""
    out: list[tuple[str, str, bool]] = []
    for r in results:
        if r.case.name in TIME_TARGETS:
            limit = MAX_POLY_RATIO if r.case.dims else MAX_COMMAND_RATIO
            what = " (default command: free dims as polynomials)" if r.case.dims else ""
            out.append((f"{r.case.name}: whole command ≤ {limit}× bare load process{what}",
                        f"{r.ratio:.2f}× ({r.cmd_s:.3f} s vs {r.bare_s:.3f} s): {margin(r.ratio, limit, base=r.bare_s)}"
                        + ("" if r.ratio <= limit else f"; {left(r, 'time')}"),
                        r.ratio <= limit))
            if r.bound_s is not None:
                ratio = r.bound_s / r.bare_s
                out.append((f"{r.case.name}: whole command with --dim bound ≤ {MAX_COMMAND_RATIO}×",
                            f"{ratio:.2f}× ({r.bound_s:.3f} s): {margin(ratio, MAX_COMMAND_RATIO, base=r.bare_s)}"
                            + ("" if ratio <= MAX_COMMAND_RATIO else f"; {left(r, 'time', r.bound_s)}"),
                            ratio <= MAX_COMMAND_RATIO))
    for r in results:
        if r.case.name in US_PER_NODE:
            cap = US_PER_NODE[r.case.name]
            out.append((f"{r.case.name}: analysis beyond the parse ≤ {cap:.0f} µs/node (the first in a fresh process)",
                        f"{r.us_per_node:.1f} µs/node: {margin(r.us_per_node, cap, ' µs/node')}"
                        + ("" if r.us_per_node <= cap else f"; {left(r, 'node')}"), r.us_per_node <= cap))
    exp = chain_exponent(results)
    if exp is not None:
        top = max(r.case.chain_nodes for r in results if r.case.chain_nodes)
        out.append((f"linear to {top:,} nodes: slope of log(analysis) vs log(nodes) over the chains ≤ {MAX_CHAIN_EXPONENT}",
                    f"{exp:.2f}: {margin(exp, MAX_CHAIN_EXPONENT, '')}", exp <= MAX_CHAIN_EXPONENT))
    for r in results:
        if r.case.name in TIME_TARGETS:
            out.append((f"{r.case.name}: peak RSS ≤ {MAX_RSS_RATIO}× the bare load's", f"{r.rss_ratio:.2f}× "
                        f"({r.cmd_mb:.0f} vs {r.bare_mb:.0f} MiB): {margin(r.rss_ratio, MAX_RSS_RATIO)}"
                        + ("" if r.rss_ratio <= MAX_RSS_RATIO else f"; {left(r, 'rss')}"),
                        r.rss_ratio <= MAX_RSS_RATIO))
    for r in results:
        if r.tool_s is not None:
            ours = r.bound_s if r.bound_s is not None else r.cmd_s
            out.append((f"{r.case.name}: faster than onnx-tool 1.0.1 (whole processes{', dims bound' if r.bound_s else ''})",
                        f"{r.tool_s / ours:.2f}× faster ({ours:.3f} s vs {r.tool_s:.3f} s): "
                        f"{margin(ours, r.tool_s, ' s')}", ours < r.tool_s))
    if start is not None:
        for what, t in (("--version", start[0]), ("--help", start[1])):
            out.append((f"start-up: `onnx-cost {what}` < {MAX_STARTUP_S} s",
                        f"{t:.3f} s: {margin(t, MAX_STARTUP_S, ' s')}", t < MAX_STARTUP_S))
    return out


def render(results: list[Result], start: tuple[float, float] | None, total_s: float,
           loadavg: tuple[float | None, float | None] = (None, None)) -> str:
    m = machine()
    if loadavg[0] is not None:
        m["load average"] = (f"{loadavg[0]:.2f} before, {loadavg[1]:.2f} after the run "
                             "(other work on the machine inflates the times)")
    if os.environ.get("BENCH_NOTE"):
        m["note"] = os.environ["BENCH_NOTE"]
    lines = [
        "<!-- Generated by scripts/bench.py (`make bench`). Do not edit by hand: rerun the benchmark. -->",
        "# Performance",
        "",
        "`make bench` builds a ladder of models under a temporary folder and measures onnx-cost on",
        "each against a bare `python -c \"import onnx; onnx.load(path, load_external_data=False)\"`",
        "process on the same file, every measurement in a fresh process (so the peak RSS is that",
        "process's alone), all ratios from one run. The models are generated, not downloaded:",
        "shapes and node counts follow the real architectures, weights are random.",
        "",
        "## Machine",
        "",
        *(f"- {k}: {v}" for k, v in m.items()),
        f"- benchmark wall time: {total_s:.0f} s",
        "",
        "## Targets",
        "",
        "| target | measured | met |",
        "|---|---|---|",
        *(f"| {t} | {v} | {_ok(ok)} |" for t, v, ok in targets(results, start)),
        "",
        "## Results",
        "",
        "| model | nodes | weights | file | bare load | its RSS | command | its RSS | ratio | RSS ratio "
        "| bound dims | onnx-tool | parse | analysis | µs/node | GFLOPs | coverage |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        where = "external (sparse file)" if r.case.external else "embedded"
        tool = r.tool_note if r.tool_note else _s(r.tool_s)
        lines.append(
            f"| {r.case.name} | {r.nodes:,} | {r.weight_mb:,.0f} MiB {where} | {r.file_mb:,.1f} MiB | "
            f"{r.bare_s:.3f} s | {r.bare_mb:.0f} MiB | {r.cmd_s:.3f} s | {r.cmd_mb:.0f} MiB | {r.ratio:.2f} | "
            f"{r.rss_ratio:.2f} | {_s(r.bound_s)} | {tool} | {r.load_s:.3f} s | {max(r.ours_s - r.load_s, 0):.3f} s | "
            f"{r.us_per_node:.1f} | {r.flops / 1e9:,.1f} | {r.coverage:.1%} |"
        )
    lines += [
        "",
        "- *bare load*: the whole `python -c \"import onnx; onnx.load(path, load_external_data=False)\"`",
        "  process (interpreter start-up and `import onnx` included): the floor the command is held to.",
        "- *command*: the whole default `onnx-cost model.onnx` run (the table), start-up, imports and",
        "  rendering included, output discarded, no dim bound: models with symbolic dims (bert-base,",
        "  gpt2, llama7b) run the default path for free dims. *bound dims*: the same command with",
        "  `--dim batch=1 --dim sequence=128`.",
        "- *onnx-tool*: `onnx_tool.model_profile(path)` (1.0.1, when installed: `make bench` tries",
        "  `pip install onnx-tool==1.0.1`) as a whole process, given the bound input shapes for",
        "  models with symbolic dims; compared with our bound command there.",
        "- *parse*: `onnx.load` in a warm process; *analysis*: the first `onnx_cost.analyze(path)` of a",
        "  fresh process (cold: only the package and its rule modules imported before) minus that",
        "  parse; *µs/node*: analysis per node.",
        "- RSS: peak resident set of the process (wait4's ru_maxrss for whole processes; VmHWM in",
        "  process). Times are the best of several processes, RSS the largest. A loaded machine",
        "  (see the load average above) inflates times, not RSS.",
    ]
    lines += [
        "",
        "## Where the analysis time goes",
        "",
        "µs per node of each phase of `onnx_cost.analyze(path)`, in the best warm run above (load",
        "and checks include the parse; models with symbolic dims are analyzed with them bound, as above).",
        "",
        "| model | " + " | ".join(label for label, _, _ in PHASES) + " | total |",
        "|---|" + "---:|" * (len(PHASES) + 1),
    ]
    for r in results:
        per = [r.phases.get(label, 0.0) / max(r.nodes, 1) * 1e6 for label, _, _ in PHASES]
        lines.append(f"| {r.case.name} | " + " | ".join(f"{v:.1f}" for v in per) + f" | {r.ours_s / max(r.nodes, 1) * 1e6:.1f} |")
    lines += [
        "",
        "## Start-up",
        "",
        "`onnx-cost --help` imports typer, the CLI modules and the hardware package's light",
        "modules, not onnx; the analysis imports onnx, the analyzer, the rule modules of the ops the",
        "model holds (found in rules/_index.py when an op is first met) and the renderer the format",
        "needs. typer is held below 0.29: from 0.29 it depends on pydantic and builds a",
        "pydantic `TypeAdapter` for every option on every run, which cost 0.10-0.11 s per command",
        "here (measured from the CLI's entry to the model load, typer 0.29.2 against 0.28.0).",
    ]
    lines += ["", "Limits (2 GB, external data, what is never read): [limits.md](limits.md).", ""]
    return "\n".join(lines)


def profile(name: str, top: int) -> None:
    import cProfile
    import pstats

    import onnx_cost.analyzer as analyzer
    from onnx_cost.rules import load_all

    case = _case(name)
    load_all()
    with tempfile.TemporaryDirectory(prefix="onnx-cost-bench-") as d:
        path = Path(d) / f"{case.name}.onnx"
        build(case, path)
        prof = cProfile.Profile()
        prof.enable()
        analyzer.analyze(path, dims=case.dims)
        prof.disable()
    st = pstats.Stats(prof)
    st.sort_stats("cumulative").print_stats(top)
    st.sort_stats("tottime").print_stats(top)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", action="append", help="run only this model (repeatable): " + ", ".join(c.name for c in CASES))
    ap.add_argument("--no-write", action="store_true", help="print the table, do not write docs/performance.md")
    ap.add_argument("--profile", metavar="MODEL", help="cProfile analyze() on one model and print the top functions")
    ap.add_argument("--top", type=int, default=40, help="--profile: how many functions to list")
    ap.add_argument("--child", nargs=3, metavar=("MODE", "PATH", "DIMS"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    if args.profile:
        profile(args.profile, args.top)
        return 0
    cases = [c for c in CASES if not args.only or c.name in args.only]
    if args.only and len(cases) != len(set(args.only)):
        ap.error(f"unknown model in --only; choose from {', '.join(c.name for c in CASES)}")
    log = lambda s: print(s, flush=True)  # noqa: E731
    # Measure as after any install: bytecode caches written once, then reused.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    t0 = time.perf_counter()
    results = []
    tool = _tool_available()
    log(f"  onnx-tool: {'installed' if tool else 'not installed (pip install onnx-tool==1.0.1 for its column)'}")
    with tempfile.TemporaryDirectory(prefix="onnx-cost-bench-") as d:
        for case in cases:
            results.append(measure(case, Path(d), log, tool))
    start_s = startup()
    log(f"  start-up: --version {start_s[0]:.3f} s, --help {start_s[1]:.3f} s")
    load_after = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    text = render(results, start_s, time.perf_counter() - t0, (load_before, load_after))
    if not args.only:  # the batch section (scripts/bench_batch.py): onnx-cost batch over the backend-test models
        import bench_batch

        text += "\n".join(bench_batch.section(bench_batch.measure(log))) + "\n"
        import bench_hardware  # the hardware view's cost over the analysis (docs/hardware.md)

        text += "\n".join(bench_hardware.section(bench_hardware.measure(log))) + "\n"
    print()
    print(text)
    if not args.no_write and not args.only:
        DOC.write_text(text)
        print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
