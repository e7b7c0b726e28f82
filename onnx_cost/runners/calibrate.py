"""``onnx-cost devices calibrate``: fit the device model to this machine.

A few dozen single-kernel onnxruntime models (built in memory with onnx.helper) across
the op classes and size regimes of ``efficiency.CLASSES``, plus chains of tiny nodes
for the dispatch cost, each timed with onnxruntime's default optimizations and threads.
Their operations and bytes come from our own analysis (``fusion.kernels``), so the fit
and the prediction count alike. ``fit`` turns the timings into the efficiency table
(a pure function: tests feed it synthetic timings); ``calibrate`` runs rounds until the
run-to-run spread is small (keeping each benchmark's best round) and refuses a result
it cannot trust; ``save`` writes the device file (preset format plus ``[efficiency]``
and ``[calibration]``) whole, in the user cache (``cache_path``).
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from onnx_cost.errors import OnnxCostError
from onnx_cost.runners.stream_probe import FOOTPRINTS_MIB, probe
from onnx_cost.views.hardware.efficiency import CLASSES, COMPUTE, Curve, Efficiency

OVERHEAD = "overhead"  # the pseudo-class of the chains of tiny nodes
STREAM = "stream"  # the pseudo-class of the chain of GEMVs reading more weights than the caches hold
MAX_SPREAD = 0.5  # median (median / best - 1) above which a calibration is not saved
GOOD_SPREAD = 0.15  # below this one round is enough
ROUNDS = 3
MIN_ROUNDS = 2  # each benchmark keeps its best of at least two rounds: one slow round is an outlier
# a benchmark whose work (its time less the fitted run and dispatch costs) is under this
# share of its time is not resolved: a microsecond of scatter in the run cost moves its rate
# several-fold (a 48 KiB QLinearAdd came out at 89 GB/s); its class's curve keeps only the
# resolved points when it has any, holding their end value below them
RESOLVED = 0.25
# the integer linear layers' shapes (M, K, N), dynamic and QDQ alike: read by operations
# alone, an integer GEMM's rate also depends on its shape (a 64x128x512 layer ran at two
# thirds of the rate read between 32x256x256 and 48x512x512), so the shapes fill the
# operations between them with a transformer's aspect (N = 4K) as well as square ones
INT_LINEAR_SHAPES = ((48, 96, 192), (32, 160, 320), (32, 256, 256), (80, 128, 512), (48, 512, 512), (96, 192, 768),
                     (160, 320, 1280), (192, 768, 768), (256, 256, 1024))
FLOOR_HEADROOM = 1.5  # the floor's peaks: the best rate any benchmark reached, times this
MERGE_RATIO = 1.5  # benchmarks of one class whose sizes are within this factor make one point of its curve


class CalibrationError(OnnxCostError):
    """onnxruntime is missing, or the machine was too noisy to calibrate (exit 2)."""


@dataclass(frozen=True)
class Sample:
    """One benchmark's timing: ``kernels`` kernels moving ``bytes`` and doing ``ops``."""

    name: str
    cls: str  # an efficiency class, or OVERHEAD
    ops: float
    bytes: float
    kernels: int
    seconds: float  # the typical time (median of a round; the best round's)
    best_s: float = 0.0  # the fastest single run: what the machine can reach (floor peaks)
    units: int = 1  # how many of the kernels are of ``cls`` (a chain of four convolutions: 4)
    size: float = 0.0  # where on the class's curve (efficiency.curve_size); 0: the amount of one unit
    pre_ops: float = 0.0  # of ``ops``, those run as a GEMM first (a recurrent cell's input projection)
    # the benchmark's kernels of other classes, (class, amount, curve size) each: their time,
    # read on their own curves, is taken off (a QuantizeLinear beside the BatchNormalization
    # it feeds, as a QDQ network runs them)
    others: tuple[tuple[str, float, float], ...] = ()


def _lstsq_line(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    """(intercept, slope) of the least-squares line, both clamped at 0."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0
    slope = max(slope, 0.0)
    return max(my - slope * mx, 0.0), slope


def _merge_close(pts: dict[float, list[float]], ratio: float = MERGE_RATIO) -> tuple[tuple[float, float], ...]:
    """A curve's points from its samples (size -> rates): sizes within ``ratio`` of the
    group's first are one point, at their geometric mean size and the rate that does their
    summed amount in their summed time (the harmonic mean: each sample's time weighs in).
    Two shapes of nearly the same size (a GEMM with K = 256 and one with K = 1024) make one
    point of their average behaviour, not a jump of the curve between neighbours."""
    flat = sorted((a, r) for a, rs in pts.items() for r in rs)
    groups: list[list[tuple[float, float]]] = []
    for a, r in flat:
        if groups and a <= groups[-1][0][0] * ratio:
            groups[-1].append((a, r))
        else:
            groups.append([(a, r)])
    return tuple((g[0][0] if len(g) == 1 else math.exp(statistics.fmean(math.log(a) for a, _ in g)),
                  sum(a for a, _ in g) / sum(a / r for a, r in g)) for g in groups)


def _others_time(others: Sequence[tuple[str, float, float]], eff: Efficiency) -> float | None:
    """The time of a mixed benchmark's kernels of other classes, (class, amount, curve size)
    each, on ``eff``'s curves; a view costs its dispatch only (taken off with every kernel's).
    None when a class has no curve."""
    total = 0.0
    for c, amt, size in others:
        if c == "view" or amt <= 0:
            continue
        rate = eff.rate(c, size)
        if not rate:
            return None
        total += amt / rate
    return total


def fit(samples: Sequence[Sample]) -> tuple[Efficiency, dict[str, Any]]:
    """The efficiency table from benchmark timings, and the floor figures.

    Dispatch: the slope of time against kernel count over the chains of tiny nodes; the
    run cost: its intercept. Per class and size, rate = amount / (time - run - dispatch ·
    kernels), amount being ops for compute classes and bytes for the others; samples of
    the same class and amount are averaged. A recurrent cell's input projection and a
    mixed benchmark's kernels of other classes are taken off first, on the curves of the
    single-class benchmarks. Floor figures (from the best runs): the
    fp32 and int8 peaks, the largest bandwidth seen (cache-resident) and the one at the
    largest working set (DRAM-like)."""
    chains = [s for s in samples if s.cls == OVERHEAD]
    if len(chains) >= 2:
        run_s, dispatch_s = _lstsq_line([s.kernels for s in chains], [s.seconds for s in chains])
    else:
        run_s, dispatch_s = 0.0, 0.0
    by: dict[str, dict[float, list[float]]] = {}
    unresolved: dict[str, dict[float, list[float]]] = {}
    peaks: dict[str, float] = {}
    mem_rates: list[tuple[float, float]] = []
    streams: list[tuple[float, float]] = []  # (bytes streamed per run, B/s)
    # a recurrent cell's input projection runs as one GEMM (efficiency.input_projection_ops),
    # and a benchmark mixing classes has kernels of other classes: such samples come after
    # the others, the GEMM's and the other kernels' time taken off on the curves of the
    # single-class benchmarks (one snapshot of them, so the order among such samples does not
    # matter)
    ordered = [s for s in samples if not s.pre_ops and not s.others] + [s for s in samples if s.pre_ops or s.others]
    single: Efficiency | None = None
    for s in ordered:
        if s.cls == STREAM and s.bytes > 0:  # a run's weights streamed from beyond the caches
            work = max(s.seconds - run_s - dispatch_s * s.kernels, 0.05 * s.seconds)
            streams.append((s.bytes, s.bytes / work))
        if s.cls == OVERHEAD or s.cls not in CLASSES:
            continue
        compute = s.cls in COMPUTE
        amount = s.ops if compute else s.bytes
        if amount <= 0:
            continue
        work = s.seconds - run_s - dispatch_s * s.kernels
        if (s.pre_ops or s.others) and single is None:
            single = Efficiency({c: Curve(_merge_close(pts)) for c, pts in by.items()}, dispatch_s, run_s)
        gemm_rate = single.rate("gemm", s.pre_ops) if single and s.pre_ops else None
        if gemm_rate:
            work -= s.pre_ops / gemm_rate
            amount -= s.pre_ops
        others_s = _others_time(s.others, single) if single else 0.0
        if others_s is None:  # a class of its other kernels has no curve: the sample says nothing
            continue
        work -= others_s
        resolved = work >= RESOLVED * s.seconds
        work = max(work, 0.05 * s.seconds)  # a kernel faster than the overheads' scatter: 5 % of its time
        # the curve's size is one kernel's: a chain of four convolutions is four points of a quarter
        size = s.size or amount / max(s.units, 1)
        (by if resolved else unresolved).setdefault(s.cls, {}).setdefault(size, []).append(amount / work)
        best = max((s.best_s or s.seconds) - run_s - dispatch_s * s.kernels, 0.05 * (s.best_s or s.seconds))
        if compute and s.ops > 0:
            key = "int8" if s.cls.startswith(("int_", "dyn_")) else "fp32"
            peaks[key] = max(peaks.get(key, 0.0), s.ops / best)
        elif s.cls in ("elementwise", "movement") and s.bytes > 0:
            mem_rates.append((s.bytes, s.bytes / best))
    for c, pts in unresolved.items():  # kept only for a class with no resolved point
        if c not in by:
            by[c] = pts
    curves = {c: Curve(_merge_close(pts)) for c, pts in by.items()}
    # A floor must hold for kernels faster than any benchmark: the peaks and the cache
    # bandwidth get FLOOR_HEADROOM on top of the best rate seen (docs/hardware.md).
    figures: dict[str, Any] = {k: v * FLOOR_HEADROOM for k, v in peaks.items()}
    if streams:
        streams.sort()
        figures["stream_bandwidth"] = streams[-1][1]  # at the largest footprint
        figures["stream_points"] = [list(p) for p in streams]
    if mem_rates:
        figures["cache_bandwidth"] = max(r for _, r in mem_rates) * FLOOR_HEADROOM
        figures["bandwidth"] = max(mem_rates)[1]  # at the largest working set
    return Efficiency(curves, dispatch_s, run_s, calibrated=True), figures


# -- the benchmarks ------------------------------------------------------------------


def _ort() -> Any:
    import importlib

    try:
        return importlib.import_module("onnxruntime")
    except ImportError:
        raise CalibrationError("calibration needs onnxruntime: pip install 'onnx-cost[runtime]'") from None


def benchmarks() -> list[tuple[str, str, Any, dict[str, Any]]]:
    """(name, class, ModelProto, feeds) for every micro-benchmark."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    out: list[tuple[str, str, Any, dict[str, Any]]] = []

    def model(nodes: list[Any], ins: list[tuple[str, Any]], outs: list[str], inits: dict[str, Any],
              opset: int = 17) -> Any:
        g = helper.make_graph(
            nodes, "bench",
            [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(a.dtype), a.shape) for n, a in ins],
            [helper.make_tensor_value_info(o, TensorProto.UNDEFINED, None) for o in outs],
            [numpy_helper.from_array(v, k) for k, v in inits.items()],
        )
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
        m.ir_version = 8
        return onnx.shape_inference.infer_shapes(m)

    def f32(*shape: int) -> Any:
        return rng.standard_normal(shape).astype(np.float32)

    def layer_dims(i: int, k: int, n: int) -> tuple[int, int]:
        """Layer ``i``'s weight shape in a chain of linear layers K -> N -> K -> ..."""
        return (k, n) if i % 2 == 0 else (n, k)

    def add(name: str, cls: str, m: Any, feeds: dict[str, Any]) -> None:
        out.append((name, cls, m, feeds))

    for n in (1, 16, 64):  # dispatch: chains of tiny Adds
        x = f32(1, 16)
        nodes = [helper.make_node("Add", [f"t{i}", "c"], [f"t{i + 1}"]) for i in range(n)]
        add(f"chain{n}", OVERHEAD, model(nodes, [("t0", x)], [f"t{n}"], {"c": f32(1, 16)}), {"t0": x})
    for n in (4096, 65536, 1 << 20, 8 << 20):
        a, b = f32(n), f32(n)
        add(f"add{n}", "elementwise", model([helper.make_node("Add", ["a", "b"], ["y"])], [("a", a), ("b", b)],
                                             ["y"], {}), {"a": a, "b": b})
        add(f"sigmoid{n}", "elementwise", model([helper.make_node("Sigmoid", ["a"], ["y"])], [("a", a)], ["y"], {}),
            {"a": a})
    # small kernels in chains of sixteen: alone, their work is lost in the run cost's scatter
    # (dropped as unresolved, their curve held the larger sizes' rate, while a 64 KiB Sigmoid
    # and a 16 KiB LayerNormalization ran at half that rate and less in a chain); the layer
    # norm over rows of 256 (its per-row cost: rows of 128 ran slower per byte than of 512)
    for n in (4096, 16384, 65536):
        x = f32(n // 256, 256)
        add(f"sigmoidchain{n}", "elementwise",
            model([helper.make_node("Sigmoid", [f"x{i}"], [f"x{i + 1}"]) for i in range(16)], [("x0", x)], ["x16"], {}),
            {"x0": x})
        add(f"layernormchain{n}", "norm",
            model([helper.make_node("LayerNormalization", [f"x{i}", "g", "b"], [f"x{i + 1}"], axis=-1)
                   for i in range(16)], [("x0", x)], ["x16"], {"g": f32(256), "b": f32(256)}), {"x0": x})
    for n in (65536, 1 << 20, 8 << 20):
        x = f32(n // 256, 256)
        add(f"reducemean{n}", "reduction",
            model([helper.make_node("ReduceMean", ["x"], ["y"], axes=[1])], [("x", x)], ["y"], {}, opset=13),
            {"x": x})
        x4 = f32(4, n // 4096, 16, 64)
        add(f"transpose{n}", "movement",
            model([helper.make_node("Transpose", ["x"], ["y"], perm=[0, 2, 1, 3])], [("x", x4)], ["y"], {}), {"x": x4})
    for n in (65536, 1 << 20, 4 << 20):
        x = f32(n // 512, 512)
        add(f"softmax{n}", "norm", model([helper.make_node("Softmax", ["x"], ["y"], axis=-1)], [("x", x)], ["y"], {}),
            {"x": x})
        add(f"layernorm{n}", "norm",
            model([helper.make_node("LayerNormalization", ["x", "g", "b"], ["y"], axis=-1)], [("x", x)], ["y"],
                  {"g": f32(512), "b": f32(512)}), {"x": x})
    for n in (65536, 1 << 20):  # a residual Add into a layer norm (onnxruntime: SkipLayerNormalization)
        a, b = f32(1, n // 512, 512), f32(1, n // 512, 512)  # 3-D: the fusion wants [batch, seq, hidden]
        add(f"skiplayernorm{n}", "skip_norm",
            model([helper.make_node("Add", ["a", "b"], ["s"]),
                   helper.make_node("LayerNormalization", ["s", "g", "be"], ["y"], axis=-1)],
                  [("a", a), ("b", b)], ["y"], {"g": f32(512), "be": f32(512)}), {"a": a, "b": b})
    for n in (16384, 262144, 2 << 20):  # exact GELU (onnxruntime: Gelu)
        x = f32(n // 256, 256)
        add(f"gelu{n}", "gelu", model([
            helper.make_node("Div", ["x", "sq2"], ["t"]), helper.make_node("Erf", ["t"], ["e"]),
            helper.make_node("Add", ["e", "one"], ["e1"]), helper.make_node("Mul", ["x", "e1"], ["m"]),
            helper.make_node("Mul", ["m", "half"], ["y"])], [("x", x)], ["y"],
            {"sq2": np.array(1.4142135, np.float32), "one": np.array(1.0, np.float32),
             "half": np.array(0.5, np.float32)}), {"x": x})
    table = f32(8192, 256)
    for k in (16, 256, 4096):
        idx = rng.integers(0, 8192, (k,)).astype(np.int64)
        add(f"gather{k}", "gather", model([helper.make_node("Gather", ["t", "i"], ["y"])], [("i", idx)], ["y"],
                                          {"t": table}), {"i": idx})
    # linear layers as exporters write them: a 3-D activation [1, M, K] times a weight plus a
    # bias (onnxruntime: Gemm between two Reshapes, matmul_add_fusion.cc), in chains of four
    # (K -> N -> K ...): a lone 64x512x512 MatMul ran at 1.3-1.5x the rate of a 128x384x384 layer
    # inside a network (289 against 190-230 Gop/s), and the run cost's scatter is small beside
    # a chain; a transformer's shapes, and larger ones
    for m_, k_, n_ in ((16, 256, 256), (48, 160, 160), (80, 128, 512), (96, 320, 320), (64, 512, 512),
                       (160, 320, 1280), (128, 768, 768), (256, 1024, 1024), (384, 1024, 2048)):
        x = f32(1, m_, k_)
        nodes, inits, cur = [], {}, "x"
        for i in range(4):
            a, b = layer_dims(i, k_, n_)
            inits[f"w{i}"], inits[f"b{i}"] = f32(a, b) * (a ** -0.5), f32(b)
            nodes += [helper.make_node("MatMul", [cur, f"w{i}"], [f"h{i}"]),
                      helper.make_node("Add", [f"h{i}", f"b{i}"], [f"y{i}"])]
            cur = f"y{i}"
        add(f"linear{m_}x{k_}x{n_}", "gemm", model(nodes, [("x", x)], [cur], inits), {"x": x})
    # attention's MatMuls: both operands computed (scores q·kᵀ with k stored [tokens, head dim],
    # onnxruntime's FusedMatMul with transB; context p·v), batched over heads, in chains of four
    # (scores, context, scores, context): a lone one ran up to a third faster than inside a
    # network, as the linear layers do
    for h, s, dh in ((4, 48, 32), (8, 128, 64), (12, 256, 64)):
        nodes, ins, cur = [], [("x", f32(1, h, s, dh))], "x"
        for i in range(4):
            if i % 2 == 0:  # scores: [s, dh] · kᵀ -> [s, s]
                ins.append((f"k{i}", f32(1, h, s, dh) * dh ** -0.5))
                nodes += [helper.make_node("Transpose", [f"k{i}"], [f"kt{i}"], perm=[0, 1, 3, 2]),
                          helper.make_node("MatMul", [cur, f"kt{i}"], [f"y{i}"])]
            else:  # context: [s, s] · v -> [s, dh]
                ins.append((f"v{i}", f32(1, h, s, dh) * s ** -0.5))
                nodes.append(helper.make_node("MatMul", [cur, f"v{i}"], [f"y{i}"]))
            cur = f"y{i}"
        add(f"attention{h}x{s}x{dh}", "gemm_act", model(nodes, ins, [cur], {}), dict(ins))
    # one row per head: a decoder step over its cache
    for h, s, t, dh in ((6, 1, 320, 64), (12, 1, 1024, 64)):
        cls = "gemm_act_skinny"
        a, b = f32(1, h, s, dh), f32(1, h, t, dh)
        add(f"scores{h}x{s}x{t}x{dh}", cls,
            model([helper.make_node("Transpose", ["b"], ["bt"], perm=[0, 1, 3, 2]),
                   helper.make_node("MatMul", ["a", "bt"], ["y"])], [("a", a), ("b", b)], ["y"], {}),
            {"a": a, "b": b})
        p, v = f32(1, h, s, t), f32(1, h, t, dh)
        add(f"context{h}x{s}x{t}x{dh}", cls,
            model([helper.make_node("MatMul", ["p", "v"], ["y"])], [("p", p), ("v", v)], ["y"], {}), {"p": p, "v": v})
    # a decoder step's scores with the scale fused in (FusedMatMul alpha): MLAS packs the cache
    for h, t, dh in ((6, 320, 64), (8, 512, 64), (12, 1024, 64)):
        a, b = f32(1, h, 1, dh), f32(1, h, t, dh)
        add(f"scaledscores{h}x{t}x{dh}", "gemm_act_scaled",
            model([helper.make_node("Transpose", ["b"], ["bt"], perm=[0, 1, 3, 2]),
                   helper.make_node("MatMul", ["a", "bt"], ["m"]), helper.make_node("Mul", ["m", "sc"], ["y"])],
                  [("a", a), ("b", b)], ["y"], {"sc": np.array(0.125, np.float32)}), {"a": a, "b": b})
    for k_, n_ in ((256, 256), (768, 768), (1024, 4096)):
        x = f32(1, k_)
        add(f"gemv{k_}x{n_}", "gemm_skinny",
            model([helper.make_node("MatMul", ["x", "w"], ["y"])], [("x", x)], ["y"], {"w": f32(k_, n_)}), {"x": x})
    # the streams of weights larger than the caches run in a process of their own (stream_probe)
    # convolutions in chains of four: a network keeps onnxruntime's blocked layout between them
    for c, h, k in ((16, 56, 3), (64, 28, 3), (64, 56, 3), (128, 28, 3), (256, 14, 3), (64, 56, 1)):
        x = f32(1, c, h, h)
        nodes = [helper.make_node("Conv", [f"c{i}", f"w{i}", f"b{i}"], [f"c{i + 1}"], pads=[k // 2] * 4)
                 for i in range(4)]
        inits = {**{f"w{i}": f32(c, c, k, k) * 0.1 for i in range(4)}, **{f"b{i}": f32(c) for i in range(4)}}
        add(f"conv{c}x{h}k{k}", "conv", model(nodes, [("c0", x)], ["c4"], inits), {"c0": x})
    stems: list[tuple[int, int, int, dict[str, Any], Any]] = []
    for co, h, k in ((16, 128, 3), (32, 224, 3), (64, 224, 7)):  # stems: an image of 3 channels, stride 2
        x, xq = f32(1, 3, h, h), rng.integers(0, 255, (1, 3, h, h)).astype(np.uint8)
        conv: dict[str, Any] = {"pads": [k // 2] * 4, "strides": [2, 2]}
        add(f"stem{co}x{h}k{k}", "conv_stem", model([helper.make_node("Conv", ["x", "w"], ["y"], **conv)], [("x", x)],
                                                     ["y"], {"w": f32(co, 3, k, k) * 0.1}), {"x": x})
        stems.append((co, h, k, conv, xq))
    for c, h in ((32, 112), (96, 56), (256, 14), (960, 7)):
        x = f32(1, c, h, h)
        nodes = [helper.make_node("Conv", [f"c{i}", f"w{i}", f"b{i}"], [f"c{i + 1}"], pads=[1] * 4, group=c)
                 for i in range(4)]
        inits = {**{f"w{i}": f32(c, 1, 3, 3) * 0.3 for i in range(4)}, **{f"b{i}": f32(c) for i in range(4)}}
        add(f"dwconv{c}x{h}", "conv_dw", model(nodes, [("c0", x)], ["c4"], inits), {"c0": x})

    # Integer kernels, isolated: uint8 in and uint8 out, so that onnxruntime runs the integer
    # kernel alone (no QuantizeLinear of a float input, no DequantizeLinear of the result:
    # those are the "quant" class, below).
    def u8(*shape: int) -> Any:
        return rng.integers(0, 255, shape).astype(np.uint8)

    qinit = {"xs": np.array(0.05, np.float32), "xz": np.array(128, np.uint8), "ws": np.array(0.01, np.float32),
             "wz": np.array(0, np.int8), "ys": np.array(0.1, np.float32), "yz": np.array(128, np.uint8)}

    def dq(src: str, dst: str, w: bool = False) -> Any:
        return helper.make_node("DequantizeLinear", [src, "ws" if w else "xs", "wz" if w else "xz"], [dst])

    def q(src: str, dst: str) -> Any:
        return helper.make_node("QuantizeLinear", [src, "ys", "yz"], [dst])

    def qdq(ops: list[Any], ins: dict[str, Any], weights: dict[str, Any]) -> Any:
        """DequantizeLinear of every uint8 input ``i`` (as ``i_d``) and int8 weight ``w`` (as
        ``w_d``), ``ops`` from those to ``yf``, QuantizeLinear to the uint8 output."""
        nodes = [dq(n, n + "_d") for n in ins] + [dq(n, n + "_d", w=True) for n in weights] + ops + [q("yf", "y")]
        return model(nodes, list(ins.items()), ["y"], {**qinit, **weights})

    def i8(*shape: int) -> Any:
        return rng.integers(-127, 127, shape).astype(np.int8)

    for m_, k_, n_ in ((1, 768, 768), (1, 1024, 4096)):  # one row: reads its weights once
        x = u8(m_, k_)
        add(f"qmatmul{m_}x{k_}x{n_}", "int_gemm_skinny",
            qdq([helper.make_node("MatMul", ["x_d", "w_d"], ["yf"])], {"x": x}, {"w": i8(k_, n_)}), {"x": x})
    # integer linear layers in chains of four as a QDQ network runs them (uint8 between the
    # layers, K -> N -> K), at the dynamic chains' shapes: a lone 2-D QLinearMatMul ran up to
    # a third faster than in such a chain, and at the same operations a deep reduction
    # (32x768x768) ran at 1.6x the rate of a transformer's (128x384x384)
    for m_, k_, n_ in INT_LINEAR_SHAPES:
        x = u8(1, m_, k_)
        nodes, ws, cur = [], {}, "x_d"
        for i in range(4):
            a, b = layer_dims(i, k_, n_)
            ws[f"w{i}"] = i8(a, b)
            dst = "yf" if i == 3 else f"h{i}"
            nodes.append(helper.make_node("MatMul", [cur, f"w{i}_d"], [dst]))
            if i < 3:
                nodes += [q(dst, f"q{i}"), helper.make_node("DequantizeLinear", [f"q{i}", "ys", "yz"], [f"q{i}_d"])]
                cur = f"q{i}_d"
        add(f"qlinear{m_}x{k_}x{n_}", "int_gemm", qdq(nodes, {"x": x}, ws), {"x": x})
    for h, s, dh in ((4, 48, 32), (8, 128, 64), (12, 256, 64)):  # attention: scores, then context
        a, b = u8(1, h, s, dh), u8(1, h, dh, s)
        add(f"qscores{h}x{s}x{dh}", "int_gemm_act",
            qdq([helper.make_node("MatMul", ["a_d", "b_d"], ["yf"])], {"a": a, "b": b}, {}), {"a": a, "b": b})
        p, v = u8(1, h, s, s), u8(1, h, s, dh)
        add(f"qcontext{h}x{s}x{dh}", "int_gemm_act",
            qdq([helper.make_node("MatMul", ["p_d", "v_d"], ["yf"])], {"p": p, "v": v}, {}), {"p": p, "v": v})
    for n in (16384, 262144, 2 << 20):  # QLinearAdd, QLinearMul, QLinearSoftmax
        a, b = u8(n // 256, 256), u8(n // 256, 256)
        add(f"qadd{n}", "int_elementwise", qdq([helper.make_node("Add", ["a_d", "b_d"], ["yf"])], {"a": a, "b": b},
                                               {}), {"a": a, "b": b})
        add(f"qmul{n}", "int_mul", qdq([helper.make_node("Mul", ["a_d", "b_d"], ["yf"])], {"a": a, "b": b}, {}),
            {"a": a, "b": b})
        add(f"qsoftmax{n}", "int_softmax",
            qdq([helper.make_node("Softmax", ["a_d"], ["yf"], axis=-1)], {"a": a}, {}), {"a": a})
    for rows, n in ((64, 256), (128, 768), (256, 1536)):  # a bias [N] broadcast over rows, and a scalar
        a, bias = u8(1, rows, n), u8(n)
        add(f"qbias{rows}x{n}", "int_broadcast",
            model([dq("a", "a_d"), dq("b", "b_d"), helper.make_node("Add", ["a_d", "b_d"], ["yf"]), q("yf", "y")],
                  [("a", a)], ["y"], {**qinit, "b": bias}), {"a": a})
    a = u8(1, 128, 1536)
    add("qscale128x1536", "int_broadcast",
        model([dq("a", "a_d"), dq("c", "c_d"), helper.make_node("Mul", ["a_d", "c_d"], ["yf"]), q("yf", "y")],
              [("a", a)], ["y"], {**qinit, "c": np.array(3, np.uint8)}), {"a": a})
    for n in (16384, 262144, 2 << 20):  # standalone quantization at a float/int8 boundary
        x, xq = f32(n // 256, 256), u8(n // 256, 256)
        add(f"quantize{n}", "quant", model([helper.make_node("QuantizeLinear", ["x", "ys", "yz"], ["y"])],
                                           [("x", x)], ["y"], qinit), {"x": x})
        add(f"dequantize{n}", "quant", model([helper.make_node("DequantizeLinear", ["x", "xs", "xz"], ["y"])],
                                             [("x", xq)], ["y"], qinit), {"x": xq})
        add(f"dynquantize{n}", "quant", model([helper.make_node("DynamicQuantizeLinear", ["x"], ["y", "s", "z"])],
                                              [("x", x)], ["y"], {}), {"x": x})
    # dynamic quantization (onnxruntime: DynamicQuantizeMatMul with its bias) in linear layers
    # chained as a network runs them, K -> N -> K ...: one kernel alone in a session ran up to
    # twice as fast as the same kernel inside a chain on this class of machine. The weight
    # scale keeps each layer's output at unit variance, so every layer quantizes zero-centred
    # data as a network does (a growing signal changed the kernel's speed). The skinny ones (a
    # decoder step) read more weights than the private caches hold, as a decoder does.
    for m_, k_, n_, layers in (*((*s, 4) for s in INT_LINEAR_SHAPES), (1, 1024, 1024, 8), (1, 768, 3072, 4),
                               (1, 256, 1024, 32)):
        x = f32(1, m_, k_)
        nodes, inits, cur = [], {"wz": np.array(0, np.int8)}, "x"
        for i in range(layers):
            a, b = layer_dims(i, k_, n_)
            w = i8(a, b)
            inits |= {f"w{i}": w, f"ws{i}": np.array(1 / (float(w.std()) * a ** 0.5), np.float32),
                      f"b{i}": f32(b) * 0.1}
            nodes += [helper.make_node("DynamicQuantizeLinear", [cur], [f"q{i}", f"s{i}", f"z{i}"]),
                      helper.make_node("MatMulInteger", [f"q{i}", f"w{i}", f"z{i}", "wz"], [f"a{i}"]),
                      helper.make_node("Cast", [f"a{i}"], [f"f{i}"], to=1),
                      helper.make_node("Mul", [f"s{i}", f"ws{i}"], [f"sc{i}"]),
                      helper.make_node("Mul", [f"f{i}", f"sc{i}"], [f"m{i}"]),
                      helper.make_node("Add", [f"m{i}", f"b{i}"], [f"y{i}"])]
            cur = f"y{i}"
        add(f"dynlinear{m_}x{k_}x{n_}", "dyn_gemm" if m_ > 8 else "dyn_gemm_skinny",
            model(nodes, [("x", x)], [cur], inits), {"x": x})
    # integer convolutions in chains of four (onnxruntime keeps NHWC between them), dense and depthwise
    for c, h, k, dw in ((16, 14, 3, False), (16, 28, 3, False), (32, 28, 3, False), (64, 56, 3, False),
                        (128, 28, 3, False), (64, 56, 1, False), (32, 112, 3, True), (96, 56, 3, True),
                        (256, 14, 3, True), (960, 7, 3, True)):
        x = u8(1, c, h, h)
        nodes, ws = [], {}
        for i in range(4):
            src = "x_d" if i == 0 else f"q{i}_d"
            ws[f"w{i}"] = i8(c, 1 if dw else c, k, k)
            nodes.append(helper.make_node("Conv", [src, f"w{i}_d"], [f"c{i}" if i < 3 else "yf"], pads=[k // 2] * 4,
                                          group=c if dw else 1))
            if i < 3:
                nodes += [q(f"c{i}", f"q{i + 1}"), helper.make_node("DequantizeLinear", [f"q{i + 1}", "ys", "yz"],
                                                                     [f"q{i + 1}_d"])]
        add(f"qconv{'dw' if dw else ''}{c}x{h}k{k}", "int_conv_dw" if dw else "int_conv",
            qdq(nodes, {"x": x}, ws), {"x": x})
    for co, h, k, conv, xq in stems:
        add(f"qstem{co}x{h}k{k}", "int_conv_stem", qdq([helper.make_node("Conv", ["x_d", "w_d"], ["yf"], **conv)],
                                                       {"x": xq}, {"w": i8(co, 3, k, k)}), {"x": xq})
    # the layout Transposes around an integer convolution: uint8, the channel axis moved in
    # and out (onnxruntime: transpose_helper.cc, one axis moved)
    for c, h in ((64, 56), (128, 28), (256, 14), (512, 7)):
        xq = u8(1, c, h, h)
        for d, perm in (("nhwc", [0, 2, 3, 1]), ("nchw", [0, 3, 1, 2])):
            add(f"layout{c}x{h}{d}", "layout", model([helper.make_node("Transpose", ["x"], ["y"], perm=perm)],
                                                    [("x", xq)], ["y"], {}), {"x": xq})
    # a BatchNormalization left standalone (after a QDQ Conv), in chains of four so that the run
    # cost's scatter is small beside them (alone, the smallest came out at twice its rate), at
    # working sets on both sides of a core's private cache: the rate falls by half across it;
    # the two smallest as small as the quantization chains' (below), whose BatchNormalizations
    # are read on this curve
    for c, h in ((640, 7), (320, 14), (32, 56), (16, 112), (24, 112), (64, 112), (128, 112)):
        x = f32(1, c, h, h)
        bn = {"g": f32(c), "b": f32(c), "m": f32(c), "v": np.abs(f32(c)) + 1}
        add(f"batchnorm{c}x{h}", "batchnorm",
            model([helper.make_node("BatchNormalization", [f"x{i}", "g", "b", "m", "v"], [f"x{i + 1}"])
                   for i in range(4)], [("x0", x)], ["x4"], bn), {"x0": x})
    # the quantization at a float/int8 boundary as a QDQ CNN runs it: DequantizeLinear, the
    # BatchNormalization left standalone, QuantizeLinear, four times (a scale of its own each,
    # or onnxruntime drops the Q->DQ pairs); the BatchNormalizations' time is read on their
    # curve and the rest is the quantizations': such chains at the validation QDQ MobileNet's
    # own shapes (a diagnosis, not benchmarks) ran 2 to 16 % slower (median 11 %) than the lone
    # quantizations and the BatchNormalization chains predicted; these are MobileNetV2-224's
    for c, h in ((24, 112), (48, 112), (64, 56), (128, 28), (320, 14), (640, 7)):
        xq, nodes, inits, cur = u8(1, c, h, h), [], {}, "x"
        for i in range(4):
            inits |= {f"s{i}": np.array(0.05 * (1 + 0.1 * i), np.float32), f"t{i}": np.array(0.06 * (1 + 0.1 * i),
                                                                                          np.float32),
                      f"z{i}": np.array(128, np.uint8), f"g{i}": f32(c), f"b{i}": f32(c), f"m{i}": f32(c),
                      f"v{i}": np.abs(f32(c)) + 1}
            nodes += [helper.make_node("DequantizeLinear", [cur, f"s{i}", f"z{i}"], [f"d{i}"]),
                      helper.make_node("BatchNormalization", [f"d{i}", f"g{i}", f"b{i}", f"m{i}", f"v{i}"], [f"n{i}"]),
                      helper.make_node("QuantizeLinear", [f"n{i}", f"t{i}", f"z{i}"], [f"q{i}"])]
            cur = f"q{i}"
        add(f"quantbn{c}x{h}", "quant", model(nodes, [("x", xq)], [cur], inits), {"x": xq})
    for hsz, seq in ((48, 16), (68, 16), (96, 16), (136, 16), (192, 16), (272, 16), (384, 24)):  # sqrt(2) apart
        x = f32(seq, 1, hsz)
        add(f"lstm{hsz}x{seq}", "recurrent",
            model([helper.make_node("LSTM", ["x", "W", "R", "B"], ["y"], hidden_size=hsz)], [("x", x)], ["y"],
                  {"W": f32(1, 4 * hsz, hsz) * 0.1, "R": f32(1, 4 * hsz, hsz) * 0.1, "B": f32(1, 8 * hsz) * 0.1}),
            {"x": x})
    return out


def _amounts(m: Any, cls: str) -> tuple[float, float, int, int, float, float, tuple[tuple[str, float, float], ...]]:
    """(ops, bytes, kernels, kernels of ``cls``, curve size of one, ops run as a GEMM first,
    the other kernels' (class, amount, curve size)) of a benchmark model, as the prediction
    counts them."""
    from onnx_cost import api
    from onnx_cost.views.hardware.fusion import kernels
    from onnx_cost.views.hardware.roofline import _COUNTED_STATES

    report = api.analyze(m)
    ks = [k for k in kernels(report, [r for r in report.nodes if r.status in _COUNTED_STATES]) if not k.folded]
    if cls == OVERHEAD:
        return 0.0, 0.0, len(ks), len(ks), 0.0, 0.0, ()
    if cls == STREAM:
        return 0.0, sum(k.weight_bytes for k in ks), len(ks), len(ks), 0.0, 0.0, ()
    from onnx_cost.views.hardware.efficiency import amount, curve_size, input_projection_ops, kernel_class

    # a layout benchmark is a lone 8-bit Transpose: what _layout_transposes prices on that curve
    main = [k for k in ks if (k.head.op_type == "Transpose" if cls == "layout" else kernel_class(k) == cls)]
    if not main:  # the analysis and the class table disagree: a bug, not a verdict on the machine
        raise AssertionError(f"calibration benchmark of class {cls} has no kernel of that class")
    ops = sum(k.ops for k in main)
    nbytes = sum(amount(k, cls) if cls not in COMPUTE else k.bytes for k in main)
    mine = {id(k) for k in main}
    others = tuple((c, amount(k, c), curve_size(k, c)) for k in ks if id(k) not in mine for c in [kernel_class(k)])
    return (ops, nbytes, len(ks), len(main), curve_size(main[0], cls), sum(input_projection_ops(k) for k in main),
            others)


def _time(sess: Any, feeds: dict[str, Any], budget_s: float, min_runs: int = 5,
          clock: Callable[[], float] = time.perf_counter) -> tuple[float, float]:
    """(median, best) seconds of ``sess.run`` after two warm-up runs."""
    for _ in range(2):
        sess.run(None, feeds)
    times: list[float] = []
    spent = 0.0
    while len(times) < min_runs or (spent < budget_s and len(times) < 200):
        t0 = clock()
        sess.run(None, feeds)
        dt = clock() - t0
        times.append(dt)
        spent += dt
    return statistics.median(times), min(times)


def bench_sessions(threads: int = 0) -> list[tuple[Any, ...]]:
    """Every benchmark, ready to time: (name, class, serialized model, feeds, ops, bytes,
    kernels, units, size, pre_ops, others); the streams (timed by ``stream_probe``) with no model
    and the thread count as their feeds."""
    sessions: list[tuple[Any, ...]] = []
    for name, cls, m, feeds in benchmarks():
        sessions.append((name, cls, m.SerializeToString(), feeds, *_amounts(m, cls)))
    for mib in FOOTPRINTS_MIB:  # timed by stream_probe in a fresh process: no model here
        n = mib // 4
        sessions.append((f"stream{mib}M", STREAM, None, {"threads": threads}, 0.0, float(mib * 2**20), n, n, 0.0, 0.0,
                         ()))
    return sessions


def ort_session(data: bytes, threads: int, profile_prefix: str | None = None) -> Any:
    """An onnxruntime CPU session with its default optimizations, ``threads`` intra-op threads
    (profiling into files starting ``profile_prefix`` when given)."""
    so = _ort().SessionOptions()
    so.log_severity_level = 3
    so.intra_op_num_threads = threads  # 0: onnxruntime's default (one per physical core)
    if profile_prefix:
        so.enable_profiling = True
        so.profile_file_prefix = profile_prefix
    return _ort().InferenceSession(data, so, providers=["CPUExecutionProvider"])


def bench_round(sessions: Sequence[tuple[Any, ...]], budget_s: float, threads: int = 0,
                clock: Callable[[], float] = time.perf_counter) -> dict[str, tuple[float, float]]:
    """One round: every benchmark timed once, name -> (median, best) seconds. Each runs in a
    session made for it and dropped after: on the development VM a kernel ran up to 4x
    slower in a process holding the hundred other benchmarks' sessions than in one holding
    only its own, as a deployed model's process does. The streams run in a fresh process
    (``stream_probe``), wall clock."""
    timed: dict[str, tuple[float, float]] = {}
    for s in sessions:
        if s[2] is not None:
            sess = ort_session(s[2], threads)
            timed[s[0]] = _time(sess, s[3], budget_s, clock=clock)
            del sess
    streams = {s[5]: s[0] for s in sessions if s[2] is None}
    if streams:
        try:
            got = probe(threads, budget_s)
        except (OSError, subprocess.SubprocessError, ValueError, KeyError) as e:  # its process failed or lied
            raise CalibrationError(f"calibration not saved: the stream benchmark's process failed "
                                   f"({type(e).__name__})") from None
        for nbytes, med, lo, _n in got:
            if nbytes in streams:
                timed[streams[nbytes]] = (med, lo)
    return timed


def samples_of(sessions: Sequence[tuple[Any, ...]], timed: dict[str, tuple[float, float]]) -> list[Sample]:
    """The fit's samples from one (median, best) per benchmark."""
    return [Sample(name, cls, ops, nbytes, n, *timed[name], units=u, size=sz, pre_ops=pre, others=oth)
            for name, cls, _s, _f, ops, nbytes, n, u, sz, pre, oth in sessions]


def run_benchmarks(budget_s: float = 0.12, rounds: int = ROUNDS, progress: Callable[[str], None] | None = None,
                   threads: int = 0, cpu_time: bool = False) -> tuple[list[Sample], float, int]:
    """Every benchmark timed; rounds repeat while the spread is above GOOD_SPREAD, each
    benchmark keeping its best round. Returns (samples, spread, rounds run). ``cpu_time``
    (with ``threads`` 1: onnxruntime computes on the calling thread) times the thread's CPU
    time instead of the wall clock: what a run costs without the waits a busy machine adds."""
    clock = time.thread_time if cpu_time and threads == 1 else time.perf_counter
    sessions = bench_sessions(threads)
    best: dict[str, tuple[float, float]] = {}
    spread = float("inf")
    done = 0
    for r in range(rounds):
        timed = bench_round(sessions, budget_s, threads, clock)
        spread = statistics.median(med / lo - 1.0 for med, lo in timed.values())
        for name, (med, lo) in timed.items():
            old = best.get(name)
            best[name] = (min(med, old[0]), min(lo, old[1])) if old else (med, lo)
        done = r + 1
        if progress:
            progress(f"round {done}: run-to-run spread {spread:.0%}")
        if spread <= GOOD_SPREAD and done >= MIN_ROUNDS:
            break
    return samples_of(sessions, best), spread, done


# -- the device file -----------------------------------------------------------------


def llc_bytes(level: int | None = None) -> int | None:
    """The largest CPU cache (sysfs), or the cache of ``level``, in bytes (of one core's view)."""
    best = 0
    base = Path("/sys/devices/system/cpu/cpu0/cache")
    try:
        for d in base.glob("index*"):
            if level is not None and (d / "level").read_text().strip() != str(level):
                continue
            s = (d / "size").read_text().strip().upper()
            mult = {"K": 1024, "M": 2**20, "G": 2**30}.get(s[-1:], 1)
            best = max(best, int(s.rstrip("KMG")) * mult)
    except (OSError, ValueError):
        return None
    return best or None


def cache_path() -> Path:
    """Where ``--device local`` keeps this machine's calibration: the user cache
    (``$XDG_CACHE_HOME/onnx-cost``, else ``~/.cache/onnx-cost``), one file per CPU model."""
    from onnx_cost.runners.local import _slug, cache_dir, cpu_model

    return cache_dir() / f"local-{_slug(cpu_model())}.toml"


def _q(s: str) -> str:
    """A TOML basic string."""
    return '"' + "".join(c if c.isprintable() and c not in '"\\' else f"\\u{ord(c):04x}" for c in s) + '"'


def device_toml(eff: Efficiency, figures: dict[str, Any], info: dict[str, Any]) -> str:
    """The device file: the preset format plus ``[efficiency]`` and ``[calibration]``."""
    src = f"calibrated on this machine on {info['date']} (onnx-cost devices calibrate)"
    lines = [
        "# Written by `onnx-cost devices calibrate`: figures achieved on this machine with onnxruntime,",
        "# not datasheet peaks. docs/hardware.md explains every table.",
        f"name = {_q('this machine: ' + str(info['cpu']))}",
        'aliases = ["local"]',
        f"note = {_q('calibrated: fp32/int8 peaks are the best kernel rates seen, bandwidth the largest copy')}",
        "",
        "[peaks]",
    ]
    for p in ("fp32", "int8"):
        if figures.get(p):
            where = _q(f"{src}: best run of the {p} kernels x {FLOOR_HEADROOM} (headroom)")
            lines.append(f"{p} = {{ value = {figures[p] / 1e12:.6g}, source = {where} }}")
    lines += ["", "[memory]"]
    if figures.get("bandwidth"):
        lines.append(f"bandwidth = {{ value = {figures['bandwidth'] / 1e9:.6g}, source = "
                     f"{_q(src + ': elementwise kernels at the largest working set, read + write bytes')} }}")
    if info.get("memory_bytes"):
        lines.append(f"capacity = {{ value = {info['memory_bytes'] / 2**30:.6g}, source = \"physical memory\" }}")
    if info.get("llc_bytes"):
        lines.append(f"cache = {{ value = {info['llc_bytes'] / 2**20:.6g}, source = \"sysfs: largest CPU cache\" }}")
    lines += ["", "[calibration]"]
    for k in ("date", "cpu", "threads", "onnxruntime", "spread", "rounds", "seconds", "clock", "hot_cache",
              "cache_bandwidth", "stream_bandwidth", "stream_points"):
        v = info.get(k) if k not in figures else figures.get(k)
        if v is None:
            continue
        if isinstance(v, list):  # stream_points: [bytes per run, B/s] pairs
            text = "[" + ", ".join(f"[{a:.6g}, {r:.6g}]" for a, r in v) + "]"
        else:
            text = _q(v) if isinstance(v, str) else f"{v:.6g}" if isinstance(v, float) else str(v)
        lines.append(f"{k} = {text}")
    lines += ["", "[efficiency]", f"dispatch_us = {eff.dispatch_s * 1e6:.6g}", f"run_us = {eff.run_s * 1e6:.6g}"]
    for c, curve in eff.curves.items():
        unit = "op/s" if c in COMPUTE else "B/s"
        pts = ", ".join(f"[{a:.6g}, {r:.6g}]" for a, r in curve.points)
        lines += ["", f"[efficiency.{c}]  # [{CLASSES[c][0]}, {unit}]", f"points = [{pts}]"]
    return "\n".join(lines) + "\n"


def device_info(threads: int, cpu_clock: bool, spread: float, rounds: int, seconds: float) -> dict[str, Any]:
    """The ``[calibration]`` table's facts about this machine and this calibration run."""
    from onnx_cost.runners.local import cpu_model

    try:
        mem = float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        mem = 0.0
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpu": cpu_model() or platform.machine(),
        "threads": threads or os.cpu_count() or 0,
        "onnxruntime": str(_ort().__version__),
        "spread": float(spread),
        "rounds": rounds,
        "clock": "thread CPU time" if cpu_clock else "wall",
        "seconds": seconds,
        "memory_bytes": mem,
        "llc_bytes": llc_bytes(),
        # what stays hot between runs: the private L2 of each core the kernels run on
        "hot_cache": (llc_bytes(2) or 0) * (threads or os.cpu_count() or 1),
    }


def calibrate(path: Path | None = None, progress: Callable[[str], None] | None = None,
              budget_s: float = 0.12, threads: int = 0, cpu_time: bool = False) -> tuple[Path, str]:
    """Run the benchmarks, fit, and save the device file (whole or not at all).
    Returns (path, its text). Refuses (CalibrationError) when the spread stays above
    MAX_SPREAD after every round."""
    _ort()  # onnxruntime missing: say so before any work

    t0 = time.perf_counter()
    samples, spread, rounds = run_benchmarks(budget_s, progress=progress, threads=threads, cpu_time=cpu_time)
    if not math.isfinite(spread) or spread > MAX_SPREAD:
        raise CalibrationError(
            f"calibration not saved: the run-to-run spread stayed at {spread:.0%} after {rounds} rounds "
            f"(at most {MAX_SPREAD:.0%} is trusted): the machine is too busy; try again when it is quieter"
        )
    eff, figures = fit(samples)
    info = device_info(threads, cpu_time and threads == 1, spread, rounds, time.perf_counter() - t0)
    text = device_toml(eff, figures, info)
    path = path or cache_path()
    from onnx_cost.views.hardware.devices import _read_toml, parse_device

    parse_device(_read_toml(text, str(path)), "local", str(path))  # what we write must load
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path, text


def load_local(recalibrate: bool = False) -> Any:
    """``--device local``: this machine's calibration from the cache; on first use (or with
    ``recalibrate``) calibrated now and saved. Without onnxruntime, or when the machine is
    too noisy to calibrate, the numpy measurement of ``local`` (uncalibrated), said on stderr."""
    import sys

    from onnx_cost.views.hardware.devices import DeviceError, load_device_file

    path = cache_path()
    if not recalibrate and path.is_file():
        try:
            return _as_local(load_device_file(str(path)))
        except DeviceError as e:
            sys.stderr.write(f"onnx-cost: note: {e}: calibrating again\n")
    try:
        _ort()
    except CalibrationError:
        if recalibrate:
            raise
        from onnx_cost.runners.local import local_device

        return local_device()
    sys.stderr.write(f"onnx-cost: calibrating this machine with onnxruntime (once, well under a minute; "
                     f"saved in {path}; --recalibrate redoes it)\n")
    try:
        calibrate(path)
    except CalibrationError as e:
        if recalibrate:
            raise
        from onnx_cost.runners.local import local_device

        sys.stderr.write(f"onnx-cost: note: {e}; using the uncalibrated numpy measurement\n")
        return local_device()
    return _as_local(load_device_file(str(path)))


def _as_local(d: Any) -> Any:
    from dataclasses import replace

    return replace(d, key="local", measured=True)


def save_band(path: Path, band: float) -> None:
    """Record the validation's error band (a fraction) in the calibration file at ``path``
    (``make validate --save-band``): the prediction's band is read from there."""
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = [ln for ln in lines if not ln.startswith("validated_band = ")]
    i = lines.index("[calibration]") + 1
    lines.insert(i, f"validated_band = {band:.4g}")
    text = "\n".join(lines) + "\n"
    from onnx_cost.views.hardware.devices import _read_toml, parse_device

    parse_device(_read_toml(text, str(path)), "local", str(path))
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
