"""``--measure``: run the model with onnxruntime on this CPU and put the measured time
beside the prediction (optional extra ``onnx-cost[runtime]``).

Random inputs of the bound shapes; warm-up runs, then timed runs: the median latency.
A second session with graph optimizations off and onnxruntime's profiler gives the
time per node, matched to our nodes by name (optimizations rename and fuse nodes;
turned off, every node keeps its name). docs/hardware.md says what this cannot show.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from onnx_cost.errors import OnnxCostError, printable

if TYPE_CHECKING:
    from onnx_cost.model.report import Report

_NP_DTYPES = {
    "float32": "float32", "float16": "float16", "float64": "float64", "int8": "int8", "uint8": "uint8",
    "int16": "int16", "uint16": "uint16", "int32": "int32", "int64": "int64", "uint32": "uint32",
    "uint64": "uint64", "bool": "bool",
}


class MeasureError(OnnxCostError):
    """The model cannot be run: onnxruntime missing, weights missing, dims unbound."""


@dataclass(frozen=True)
class Measured:
    """One measured model: seconds, and mean seconds per node name (profiled run)."""

    median_s: float
    runs: int
    warmup: int
    per_node_s: dict[str, float] = field(default_factory=dict)
    onnxruntime: str = ""
    threads: int = 0  # onnxruntime's intra-op threads (0: its default, all cores)


def _ort() -> Any:
    import importlib

    try:
        return importlib.import_module("onnxruntime")  # untyped: no stubs to check against
    except ImportError:
        raise MeasureError("--measure needs onnxruntime: pip install 'onnx-cost[runtime]'") from None


def check_weights(path: str) -> None:
    """Refuse a model whose external weight files are missing (the run needs them)."""
    import onnx
    from onnx.external_data_helper import uses_external_data

    try:
        model = onnx.load(path, load_external_data=False)
    except Exception as e:  # not ours to diagnose: the analysis already loaded it
        raise MeasureError(f"{path}: cannot load for --measure ({str(e).splitlines()[0][:200]})") from None
    base = os.path.dirname(os.path.abspath(path))
    for t in model.graph.initializer:
        if uses_external_data(t):
            loc = next((e.value for e in t.external_data if e.key == "location"), "")
            if not loc or not os.path.isfile(os.path.join(base, loc)):
                raise MeasureError(
                    f"--measure: weights of '{printable(t.name, 80)}' are in external file "
                    f"'{printable(loc, 120)}', missing beside the model: the run needs them"
                )


def check_inputs(report: Report) -> None:
    """MeasureError when the graph inputs' random arrays would not fit this machine (before
    anything is allocated or calibrated)."""
    _check_input_sizes(report)


def random_inputs(report: Report, seed: int = 0) -> dict[str, Any]:
    """Random arrays of the graph inputs' bound shapes and dtypes."""
    import numpy as np

    rng = np.random.default_rng(seed)
    _check_input_sizes(report)
    feeds: dict[str, Any] = {}
    for name, dtype, shape in report.model.inputs:
        if shape is None or not all(isinstance(d, int) for d in shape):
            raise MeasureError(
                f"--measure: input '{printable(name, 80)}' has shape {shape}: bind its dims with --dim or --input"
            )
        if dtype not in _NP_DTYPES:
            raise MeasureError(f"--measure: input '{printable(name, 80)}' has type {dtype}: cannot fill it")
        dt = np.dtype(_NP_DTYPES[dtype])
        dims = [int(d) for d in shape if d is not None]
        if dt.kind == "f":
            feeds[name] = rng.standard_normal(dims).astype(dt)
        else:  # 0 or 1: safe as indices, token ids and booleans
            feeds[name] = rng.integers(0, 2, dims).astype(dt)
    return feeds


def _memory_bytes() -> int | None:
    """This machine's physical memory in bytes (None where the system does not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, OSError, ValueError):
        return None


def _check_input_sizes(report: Report) -> None:
    """MeasureError, before anything is allocated, when the random inputs would take more
    than half this machine's memory (a float input is drawn as float64, then cast)."""
    import numpy as np

    from onnx_cost.text import to_float

    need, big = 0, ("", 0)
    for name, dtype, shape in report.model.inputs:
        if shape is None or dtype not in _NP_DTYPES or not all(isinstance(d, int) for d in shape):
            continue  # random_inputs says what is wrong with it
        n = 1
        for d in shape:
            n *= int(d)  # type: ignore[arg-type]  # checked above: every dim is an int
        dt = np.dtype(_NP_DTYPES[dtype])
        size = n * (dt.itemsize + 8)
        need += size
        big = max(big, (name, size), key=lambda x: x[1])
    memory = _memory_bytes()
    if memory is not None and need > memory // 2:
        raise MeasureError(
            f"--measure: the random inputs need {to_float(need) / 1e9:.3g} GB ('{printable(big[0], 80)}' the most), "
            f"more than half of this machine's {memory / 1e9:.3g} GB; bind smaller dims with --dim or --input"
        )


def _profile(ort: Any, path: str, feeds: dict[str, Any], runs: int) -> dict[str, float]:
    """Median seconds per kernel name over ``runs`` profiled runs, with onnxruntime's default
    optimizations (as the timed runs): fused kernels are mapped back to our nodes by
    ``kernel_times``."""
    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.enable_profiling = True
    with tempfile.TemporaryDirectory() as tmp:
        so.profile_file_prefix = os.path.join(tmp, "onnx_cost")
        sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        for _ in range(runs):
            sess.run(None, feeds)
        with open(sess.end_profiling(), encoding="utf-8") as fh:
            events = json.load(fh)
    return per_node_times(events)


def per_node_times(events: list[dict[str, Any]]) -> dict[str, float]:
    """Seconds per node name from an onnxruntime profile: each node's time summed within
    each run (``model_run`` event), then the median over runs, so that the first,
    cold run does not weigh in."""
    runs = sorted((e["ts"], e["ts"] + e.get("dur", 0)) for e in events if e.get("name") == "model_run")
    per_run: dict[str, list[float]] = {}
    for e in events:
        name = e.get("name", "")
        if e.get("cat") != "Node" or not name.endswith("_kernel_time"):
            continue
        ts = e.get("ts", 0)
        i = next((k for k, (a, b) in enumerate(runs) if a <= ts <= b), 0)
        times = per_run.setdefault(name[: -len("_kernel_time")], [0.0] * max(len(runs), 1))
        times[i] += e.get("dur", 0) * 1e-6  # the profile is in microseconds
    return {k: statistics.median(v) for k, v in per_run.items()}


def measure(path: str, report: Report, *, warmup: int = 3, repeats: int = 20, profile_runs: int = 5) -> Measured:
    """Run ``path`` with onnxruntime on the CPU: median latency and time per node."""
    ort = _ort()
    check_weights(path)
    feeds = random_inputs(report)
    try:
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        for _ in range(warmup):
            sess.run(None, feeds)
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            sess.run(None, feeds)
            times.append(time.perf_counter() - t0)
        per_node = _profile(ort, path, feeds, profile_runs) if profile_runs else {}
    except MeasureError:
        raise
    except Exception as e:  # onnxruntime refused the model: its verdict, one line
        raise MeasureError(f"--measure: onnxruntime cannot run the model ({str(e).splitlines()[0][:300]})") from None
    return Measured(statistics.median(times), repeats, warmup, per_node, ort.__version__)


def compare(report: Report, measured: Measured, roof: Any, pred: Any = None) -> list[dict[str, Any]]:
    """Per node: measured seconds beside the predicted floor, largest measured first. With
    ``pred`` (a Prediction): per kernel, under its head node's name, the profiled time of
    the kernels onnxruntime ran for it beside the kernel's prediction and floor."""
    if pred is not None:
        return _compare_kernels(measured, roof, pred)
    rows = []
    for n in roof.nodes:
        t = measured.per_node_s.get(n.name)
        if t is None:
            continue
        rows.append(
            {
                "name": n.name,
                "op_type": n.op_type,
                "measured_s": t,
                "floor_s": n.floor_s,
                "ratio": t / n.floor_s if n.floor_s else None,
                "bound": n.bound,
                "achieved_ops_per_s": n.ops / t if t else None,
            }
        )
    rows.sort(key=lambda r: -r["measured_s"])
    return rows


def _compare_kernels(measured: Measured, roof: Any, pred: Any) -> list[dict[str, Any]]:
    times = map_kernels(measured.per_node_s, pred)
    by_head = {kt.kernel.head.name: kt for kt in pred.kernels}
    ops = dict(zip(roof.cols["name"], roof.cols["ops"]))
    rows = []
    for name, (p, t) in times.items():
        kt = by_head.get(name)
        if kt is None or t <= 0:
            continue
        k = kt.kernel
        rows.append({
            "name": name,
            "op_type": "+".join(dict.fromkeys(m.op_type for m in k.members)),
            "measured_s": t,
            "predicted_s": p,
            "floor_s": kt.floor_s,
            "ratio": t / kt.floor_s if kt.floor_s else None,
            "predicted_ratio": t / p if p else None,
            "bound": kt.bound,
            "fused": [m.name for m in k.members if m is not k.head],
            "achieved_ops_per_s": sum(ops.get(m.name, 0) for m in k.members) / t,
        })
    rows.sort(key=lambda r: -r["measured_s"])
    return rows


def kernel_times(events: list[dict[str, Any]], prediction: Any) -> dict[str, tuple[float, float]]:
    """Per kernel of ``prediction`` (by its head node's name): (predicted, measured) seconds,
    from a profile taken with onnxruntime's default optimizations. A fused or renamed
    node is mapped back to ours by name: exactly, else the longest of our node names its
    or output names its name starts with (onnxruntime names a fusion after a member,
    a layout-rewritten node after its output tensor); what maps to no
    node of ours (layout reorders it inserts) is under "(runtime-inserted)"."""
    return map_kernels(per_node_times(events), prediction)


def map_kernels(measured: dict[str, float], prediction: Any) -> dict[str, tuple[float, float]]:
    """``kernel_times`` from per-name profiled seconds."""
    head_of: dict[str, str] = {}
    pred: dict[str, float] = {}
    for kt in prediction.kernels:
        if kt.bound == "folded":
            continue
        h = kt.kernel.head.name
        pred[h] = kt.predicted_s
        for m in kt.kernel.members:
            head_of[m.name] = h
            for t in m.output_names:  # layout rewrites name a node after its output (..._nchwc)
                head_of.setdefault(t, h)
    names = sorted(head_of, key=len, reverse=True)
    out: dict[str, list[float]] = {h: [p, 0.0] for h, p in pred.items()}
    unmapped: dict[str, float] = {}
    for name, t in measured.items():
        h = head_of.get(name)
        if h is None:
            h = next((head_of[n] for n in names if n and name.startswith(n)), None)
        if h is None:
            unmapped[name] = t
        else:
            out[h][1] += t
    for name, h in _by_fusion_order(unmapped, prediction).items():
        out[h][1] += unmapped.pop(name)
    if unmapped:
        out.setdefault("(runtime-inserted)", [0.0, 0.0])[1] += sum(unmapped.values())
    return {k: (v[0], v[1]) for k, v in out.items()}


# onnxruntime's name for a fused node it names after its op type -> our fusion rule
_FUSED_NAMES = {"SkipLayerNormalization": "skip_layer_norm", "Gelu": "gelu", "BiasGelu": "bias_gelu",
                "LayerNormalization": "layer_norm"}
_TOKEN = re.compile(r"^(?P<base>[A-Za-z]+?)(?:_token_(?P<n>\d+))?$")


def _by_fusion_order(unmapped: dict[str, float], prediction: Any) -> dict[str, str]:
    """Profiled names onnxruntime gave its fused nodes after their op type, not a member
    (``SkipLayerNormalization``, ``SkipLayerNormalization_token_3``: ``Graph::GenerateNodeName``
    adds a growing counter), mapped to our kernels of that fusion: the n-th name in the
    counter's order to the n-th such kernel in graph order (the fusions walk the graph in
    order). Returns profiled name -> our head node's name."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for name in unmapped:
        m = _TOKEN.match(name)
        if m and m.group("base") in _FUSED_NAMES:
            groups.setdefault(m.group("base"), []).append((-1 if m.group("n") is None else int(m.group("n")), name))
    found: dict[str, str] = {}
    for base, got in groups.items():
        ours = [kt.kernel.head.name for kt in prediction.kernels
                if kt.bound != "folded" and kt.kernel.fusion == _FUSED_NAMES[base]]
        for (_, name), head in zip(sorted(got), ours):
            found[name] = head
    return found


def rank_correlation(a: list[float], b: list[float]) -> float | None:
    """Spearman's rank correlation of two equally long lists (ties ranked by position);
    None under three pairs or when one side is constant."""
    n = len(a)
    if n < 3 or n != len(b):
        return None

    def ranks(v: list[float]) -> list[float]:
        r = [0.0] * n
        for i, k in enumerate(sorted(range(n), key=v.__getitem__)):
            r[k] = float(i)
        return r

    ra, rb = ranks(a), ranks(b)
    m = (n - 1) / 2.0
    cov = sum((x - m) * (y - m) for x, y in zip(ra, rb))
    var = sum((x - m) ** 2 for x in ra)
    if len(set(a)) == 1 or len(set(b)) == 1 or not var:
        return None
    return cov / var


def kernel_stats(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-kernel agreement of ``compare``'s rows: rank correlation of predicted and measured
    times, and the median of measured / predicted (the profiler's own time inflates small ones)."""
    pairs = [(r["predicted_s"], r["measured_s"]) for r in rows if r.get("predicted_s") and r["measured_s"] > 0]
    return {
        "rank_correlation": rank_correlation([p for p, _ in pairs], [m for _, m in pairs]),
        "median_measured_over_predicted": statistics.median(m / p for p, m in pairs) if pairs else None,
    }
