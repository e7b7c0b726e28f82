"""The device model's efficiency table: what rate a kernel of each class reaches at each size.

Every kernel falls in one op class (``kernel_class``). A compute class (dense conv and
GEMM, depthwise/grouped conv, integer kernels, recurrent cells) has a curve of achieved
operations per second against the kernel's operations; a memory class (elementwise,
reductions, softmax and norms, data movement, gather, skinny GEMM) a curve of achieved
bytes per second against the bytes it moves: the curve is where the cache shows (a
working set that fits the last-level cache moves faster than DRAM). Between calibrated
points the rate is interpolated linearly in log(size), beyond them held at the end value.
The kernel's time is ``dispatch + amount / rate(amount)``. docs/hardware.md explains it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from onnx_cost.views.hardware.fusion import Kernel

# class -> (axis, what it covers)
CLASSES: dict[str, tuple[str, str]] = {
    "gemm": ("ops", "MatMul/Gemm with more than 8 rows, fp32"),
    "gemm_skinny": ("bytes", "MatMul/Gemm with at most 8 rows (a GEMV: reads its weights once)"),
    "conv": ("ops", "dense convolution (group 1), fp32"),
    "conv_dw": ("ops", "depthwise and grouped convolution, fp32"),
    "conv_stem": ("ops", "dense convolution reading fewer than 8 channels (a stem on the image), fp32"),
    "gemm_act": ("ops", "MatMul of two computed operands (attention's scores and context), more than 8 rows "
                        "per batch: no packed weights"),
    "gemm_act_skinny": ("bytes", "MatMul of two computed operands with at most 8 rows per batch (a decoder step's "
                                 "attention over its cache)"),
    "gemm_act_scaled": ("bytes", "a decoder step's attention scores with the scale fused in (FusedMatMul, alpha "
                                 "not 1) and one row per batch: MLAS packs the cache instead of its one-row kernel"),
    "int_gemm": ("ops", "integer MatMul kernels of a QDQ group (QLinearMatMul, QGemm), more than 8 rows"),
    "int_gemm_skinny": ("bytes", "integer MatMul kernels of a QDQ group with at most 8 rows"),
    "int_gemm_act": ("ops", "integer MatMul of two computed operands (a QDQ attention's scores and context)"),
    "dyn_gemm": ("ops", "dynamic quantization's MatMul (DynamicQuantizeMatMul, MatMulIntegerToFloat, "
                        "MatMulInteger), more than 8 rows"),
    "dyn_gemm_skinny": ("bytes", "dynamic quantization's MatMul with at most 8 rows"),
    "int_conv": ("ops", "integer convolutions (QDQ Conv, QLinearConv, ConvInteger)"),
    "int_conv_dw": ("ops", "integer depthwise and grouped convolution"),
    "int_conv_stem": ("ops", "integer convolution reading fewer than 8 channels (a stem on the image)"),
    "recurrent": ("ops", "LSTM, GRU, RNN"),
    "int_elementwise": ("bytes", "QDQ groups of other ops (QLinearAdd, pooling, ...): int8 bytes"),
    "int_mul": ("bytes", "a QDQ Mul of two same-shape tensors (QLinearMul): int8 bytes"),
    "int_broadcast": ("bytes", "QDQ Add/Mul/Sub/Div with one input broadcast (a bias [N], a scalar): "
                               "QLinearAdd/QLinearMul's broadcasting loop, int8 bytes"),
    "int_softmax": ("bytes", "a QDQ Softmax (QLinearSoftmax): int8 bytes"),
    "quant": ("bytes", "standalone QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear"),
    "elementwise": ("bytes", "unary and binary elementwise, activations, casts"),
    "reduction": ("bytes", "Reduce*, pooling, ArgMax/ArgMin"),
    "norm": ("bytes", "Softmax, LayerNormalization (and its decomposed form), other norms"),
    "batchnorm": ("bytes", "a BatchNormalization left standalone (not folded into a convolution)"),
    "skip_norm": ("bytes", "a residual Add fused into a layer norm (SkipLayerNormalization)"),
    "gelu": ("bytes", "GELU and BiasGelu fusions, Erf"),
    "movement": ("bytes", "Transpose, Concat, Slice, Split, Pad, Expand, Tile, Resize and other copies"),
    "layout": ("bytes", "8-bit Transposes: those onnxruntime inserts around an integer convolution (NCHW<->NHWC, "
                        "one axis moved) and a QDQ group's own (a head split)"),
    "gather": ("bytes", "Gather, GatherElements, GatherND, Scatter* (bytes: twice the rows written)"),
    "view": ("bytes", "Reshape, Flatten, Squeeze, Unsqueeze, Shape: dispatch only"),
}
# a class split off later -> the class a device file written before the split priced it with
FALLBACK: dict[str, str] = {"gemm_act": "gemm", "gemm_act_skinny": "gemm_skinny", "int_gemm_act": "int_gemm",
                            "dyn_gemm": "int_gemm",
                            "dyn_gemm_skinny": "int_gemm_skinny", "int_conv_dw": "conv_dw", "quant": "elementwise",
                            "conv_stem": "conv", "int_conv_stem": "int_conv",
                            "batchnorm": "norm", "layout": "movement", "gemm_act_scaled": "gemm_act_skinny",
                            "int_broadcast": "int_elementwise", "int_mul": "int_elementwise"}
COMPUTE = frozenset(c for c, (axis, _) in CLASSES.items() if axis == "ops")

_REDUCTION = {"ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
              "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare", "GlobalAveragePool", "GlobalMaxPool",
              "MaxPool", "AveragePool", "ArgMax", "ArgMin", "LpPool", "GlobalLpPool"}
_NORM = {"Softmax", "LogSoftmax", "LayerNormalization", "BatchNormalization", "InstanceNormalization",
         "GroupNormalization", "SkipLayerNormalization", "SimplifiedLayerNormalization", "RMSNormalization",
         "LpNormalization", "MeanVarianceNormalization"}
_MOVEMENT = {"Transpose", "Concat", "Slice", "Split", "Pad", "Expand", "Tile", "Resize", "Upsample",
             "DepthToSpace", "SpaceToDepth", "ReverseSequence", "Trilu", "CumSum"}
_GATHER = {"Gather", "GatherElements", "GatherND", "ScatterND", "ScatterElements", "Scatter", "OneHot"}
_BINARY = {"Add", "Mul", "Sub", "Div"}
_VIEW = {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Shape", "Size", "Identity", "Dropout"}
_RECURRENT = {"LSTM", "GRU", "RNN"}


def _rows(r: Any) -> int | None:
    """Rows of a MatMul/Gemm's output: all dims but the last, multiplied."""
    shp = r.outputs[0] if r.outputs else None
    if shp is None or not shp:
        return None
    n = 1
    for d in shp[:-1]:
        if not isinstance(d, int):
            return None
        n *= d
    return n


def amount(k: Kernel, cls: str) -> float:
    """What a kernel's time scales with: its operations (compute classes), else its bytes;
    a gather moves the rows it picks (read and written), not its whole table."""
    if cls in COMPUTE:
        return k.ops
    if cls == "gather":
        return 2.0 * k.write_bytes
    return k.bytes


STEM_CHANNELS = 8  # a dense convolution reading fewer input channels is a stem (conv_stem)
_DYNAMIC = {"MatMulInteger", "DynamicQuantizeMatMul", "MatMulIntegerToFloat"}
_QUANT = {"QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear"}


def input_projection_ops(k: Kernel) -> float:
    """Of a recurrent cell's operations, the input projection: onnxruntime multiplies the
    inputs of every time step by the input weights in one GEMM before the steps
    (deep_cpu_lstm.cc, deep_cpu_gru.cc, rnn.cc: ``ComputeGemm`` over seq_length·batch rows),
    so that part runs at a GEMM's rate and only the recurrent product waits on the previous
    step. ``2·seq·batch·|W|`` (W: [directions, gates·hidden, input]; layout 0), at most the
    kernel's operations; 0 when a dim is unknown or the op is not recurrent."""
    h = k.head
    if h.op_type not in _RECURRENT or len(h.inputs) < 2:
        return 0.0
    x, w = h.inputs[0], h.inputs[1]
    dims = [d for d in (*(x or ())[:2], *(w or ())) if isinstance(d, int) and d > 0]
    if not x or not w or len(x) < 2 or len(dims) != 2 + len(w):
        return 0.0
    return min(2.0 * math.prod(dims), float(k.ops))  # seq · batch · |W|


def curve_size(k: Kernel, cls: str) -> float:
    """Where a kernel reads its class's curve: ``amount``, except a recurrent cell, read at
    its recurrent operations per time step: it runs its steps one after the other
    (onnxruntime's deep_cpu_lstm.cc: one GEMM of the recurrent weights per step), so a
    longer sequence of the same cell is not a larger, more efficient kernel; its input
    projection (``input_projection_ops``) is one GEMM of its own, read on the gemm curve.
    The steps are the first dim of its input (layout 0, what exporters write)."""
    if cls == "recurrent":
        x = k.head.inputs[0] if k.head.inputs else None
        steps = x[0] if x and isinstance(x[0], int) and x[0] > 0 else 1
        return (k.ops - input_projection_ops(k)) / steps
    return amount(k, cls)


def kernel_class(k: Kernel) -> str:
    """The op class of a kernel, from its head node (and its fusion)."""
    h = k.head
    op = h.op_type
    integer = k.precision == "int8" or op in ("QLinearConv", "QLinearMatMul", "ConvInteger") or op in _DYNAMIC
    if op in ("Conv", "ConvTranspose", "QLinearConv", "ConvInteger"):
        return _conv_class(h, op, integer)
    if op in ("MatMul", "Gemm", "QLinearMatMul", "FusedMatMul") or op in _DYNAMIC:
        return _gemm_class(k, op, integer)
    if op in _QUANT and not k.fusion:
        return "quant"
    if op in _RECURRENT:
        return "recurrent"
    if op == "Transpose" and k.precision == "int8" and not _reshape_like(h):
        # a QDQ group's 8-bit Transpose (a transformer's head split): its cost goes by the
        # blocks or elements it moves, not its bytes, as the layout Transposes' does; on the
        # fp32 movement curve by bytes it came out at about half its time
        return "layout"
    if k.fusion == "qdq" and op not in _VIEW and op not in _MOVEMENT:
        if op == "Softmax":
            return "int_softmax"
        if op in _BINARY and len(h.inputs) >= 2 and h.inputs[0] != h.inputs[1]:
            return "int_broadcast"  # qlinear_binary_op.cc: a loop over the broadcast spans
        if op == "Mul":
            return "int_mul"  # MLAS's QLinearMul: twice QLinearAdd's time at the same size
        return "int_elementwise"
    if k.fusion == "skip_layer_norm":
        return "skip_norm"
    if k.fusion == "layer_norm":
        return "norm"
    if k.fusion in ("gelu", "bias_gelu") or op == "Erf":
        return "gelu"
    if op == "BatchNormalization":
        return "batchnorm"
    if op in _NORM:
        return "norm"
    if op in _REDUCTION:
        return "reduction"
    if op in _MOVEMENT:
        return "movement"
    if op in _GATHER:
        return "gather"
    if op in _VIEW:
        return "view"
    return "elementwise"


def _reshape_like(h: Any) -> bool:
    """A Transpose that keeps the order of its dims other than 1 (a decoder step's head split
    of one row): onnxruntime copies it as a Reshape would (transpose.cc: IsTransposeReshape).
    Read from the shapes (a record keeps no perm): the dims other than 1 in the same order,
    all different (else a swap of two equal dims could give the same shapes)."""
    x = h.inputs[0] if h.inputs else None
    y = h.outputs[0] if h.outputs else None
    if x is None or y is None:
        return False
    big = [d for d in x if d != 1]
    return big == [d for d in y if d != 1] and len(set(big)) == len(big) and all(isinstance(d, int) for d in big)


def _conv_class(h: Any, op: str, integer: bool) -> str:
    """Dense, grouped (depthwise) or a stem (few input channels), fp32 or integer: six
    curves. MLAS has a depthwise kernel of its own (qlinearconv.cc: MlasConvDepthwise);
    a stem reduces over a handful of channels, too few to fill the GEMM's vectors, and
    onnxruntime's NCHWc layout starts after it (nchwc_transformer.cc)."""
    w = h.inputs[3 if op == "QLinearConv" else 1] if len(h.inputs) > 1 else None
    x = h.inputs[0] if h.inputs else None
    grouped = (w is not None and x is not None and len(w) > 1 and len(x) > 1 and isinstance(w[1], int)
               and isinstance(x[1], int) and w[1] < x[1] and op != "ConvTranspose")
    if grouped:
        return "int_conv_dw" if integer else "conv_dw"
    if w is not None and len(w) > 1 and isinstance(w[1], int) and w[1] < STEM_CHANNELS and op != "ConvTranspose":
        return "int_conv_stem" if integer else "conv_stem"
    return "int_conv" if integer else "conv"


def _batch_rows(r: Any) -> int:
    """Rows of one matrix of a batched MatMul's output (the second-to-last dim; 9 when unknown)."""
    shp = r.outputs[0] if r.outputs else None
    d = shp[-2] if shp is not None and len(shp) >= 2 else None
    return d if isinstance(d, int) else 9


def _gemm_class(k: Kernel, op: str, integer: bool) -> str:
    """A MatMul's class: dynamic quantization's kernels apart from the QDQ integer ones (they
    quantize their float input every run and dequantize their output), two computed
    operands (no weights packed at load: attention) apart from a constant weight, and
    at most 8 rows (a GEMV, bound by reading its weights) apart from more; and one row per
    batch with a scale fused in (FusedMatMul's alpha) apart: MLAS's one-row kernel runs
    only for alpha 1 (sgemm.cpp), else the other operand is packed first."""
    rows = _rows(k.head)
    skinny = rows is not None and rows <= 8
    if op in _DYNAMIC:
        return "dyn_gemm_skinny" if skinny else "dyn_gemm"
    if k.computed_operands:
        if integer:
            return "int_gemm_act"
        rows = _batch_rows(k.head)
        if rows == 1 and k.fusion == "matmul_scale":
            return "gemm_act_scaled"  # MLAS's one-row kernel wants alpha 1 (sgemm.cpp): it packs instead
        return "gemm_act_skinny" if rows <= 8 else "gemm_act"
    if integer:
        return "int_gemm_skinny" if skinny else "int_gemm"
    return "gemm_skinny" if skinny else "gemm"


@dataclass(frozen=True)
class Curve:
    """Achieved rate against size: ``points`` as (size, rate) with sizes increasing."""

    points: tuple[tuple[float, float], ...]

    def rate(self, size: float) -> float:
        pts = self.points
        if size <= pts[0][0] or len(pts) == 1:
            return pts[0][1]
        if size >= pts[-1][0]:
            return pts[-1][1]
        ls = math.log(size)
        for (s0, r0), (s1, r1) in pairwise(pts):
            if s0 <= size <= s1:
                f = (ls - math.log(s0)) / (math.log(s1) - math.log(s0)) if s1 > s0 else 0.0
                return r0 + f * (r1 - r0)
        return pts[-1][1]


@dataclass(frozen=True)
class Efficiency:
    """A device's fitted model: per class a curve, dispatch cost per kernel, and per run.

    ``calibrated`` is False for a table of generic defaults (a preset without
    published efficiency data): predictions from it are shown as a range."""

    curves: Mapping[str, Curve]
    dispatch_s: float  # per kernel
    run_s: float  # once per inference (session.run's own work)
    calibrated: bool = True
    band: float | None = None  # the validation's error band (a fraction), when one was measured
    info: Mapping[str, Any] = field(default_factory=dict)  # date, cpu, threads, onnxruntime, spread

    def rate(self, cls: str, size: float) -> float | None:
        c = self.curves.get(cls) or self.curves.get(FALLBACK.get(cls, ""))
        return c.rate(size) if c is not None else None


def default_efficiency(peak_fp32: float | None, peak_int8: float | None, bandwidth: float | None,
                       gpu: bool) -> Efficiency:
    """Generic fractions of the datasheet figures, for a device nobody calibrated: GEMMs at
    half the peak, depthwise at a tenth, memory classes at 60 % of the bandwidth, a dispatch
    of 5 us (GPU launch) or 2 us (CPU). Labelled uncalibrated: shown as a range."""
    p32 = peak_fp32 or 1e12
    p8 = peak_int8 or p32
    bw = bandwidth or 1e11
    compute = {"gemm": (0.1, 0.6, p32), "conv": (0.1, 0.5, p32), "conv_dw": (0.02, 0.1, p32),
               "gemm_act": (0.1, 0.6, p32), "int_gemm": (0.1, 0.5, p8), "int_gemm_act": (0.1, 0.5, p8),
               "dyn_gemm": (0.05, 0.4, p8), "int_conv": (0.1, 0.4, p8), "int_conv_dw": (0.02, 0.1, p8),
               "conv_stem": (0.02, 0.2, p32), "int_conv_stem": (0.02, 0.2, p8),
               "recurrent": (0.02, 0.2, p32)}
    curves = {c: Curve(((1e6, lo * p), (1e9, hi * p))) for c, (lo, hi, p) in compute.items()}
    for c in CLASSES:
        if c not in curves:
            curves[c] = Curve(((1e4, 0.1 * bw), (1e7, 0.6 * bw)))
    return Efficiency(curves, 5e-6 if gpu else 2e-6, 2e-5 if gpu else 1e-5, calibrated=False, band=1.0)


def parse_efficiency(data: Any, calibration: Any, where: str) -> Efficiency:
    """The ``[efficiency]`` and ``[calibration]`` tables of a device file (written by
    ``devices calibrate``), validated; errors name the bad field."""
    from onnx_cost.views.hardware.device_error import DeviceError

    if not isinstance(data, dict):
        raise DeviceError(f"{where}: efficiency: expected a table")
    cal = calibration if isinstance(calibration, dict) else {}
    curves: dict[str, Curve] = {}
    dispatch = run = 0.0
    for key, v in data.items():
        if key in ("dispatch_us", "run_us"):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v < 1e6:
                raise DeviceError(f"{where}: efficiency.{key}: expected a number of microseconds")
            if key == "dispatch_us":
                dispatch = float(v) * 1e-6
            else:
                run = float(v) * 1e-6
            continue
        if key not in CLASSES:
            raise DeviceError(f"{where}: efficiency.{key[:40]!r}: unknown class (known: {', '.join(CLASSES)})")
        pts = v.get("points") if isinstance(v, dict) else None
        if not isinstance(pts, list) or not pts:
            raise DeviceError(f"{where}: efficiency.{key}.points: expected a list of [size, rate] pairs")
        out = []
        for p in pts:
            if (not isinstance(p, list) or len(p) != 2
                    or not all(isinstance(x, (int, float)) and not isinstance(x, bool) and 0 < x < 1e30 for x in p)):
                raise DeviceError(f"{where}: efficiency.{key}.points: expected [size, rate] pairs of positive numbers")
            out.append((float(p[0]), float(p[1])))
        curves[key] = Curve(tuple(sorted(out)))
    pts = cal.get("stream_points")
    if pts is not None:  # [bytes streamed per run, B/s] pairs: the stream's rate by footprint
        if not isinstance(pts, list) or not pts or not all(
                isinstance(p, list) and len(p) == 2 and all(
                    isinstance(x, (int, float)) and not isinstance(x, bool) and 0 < x < 1e30 for x in p) for p in pts):
            raise DeviceError(f"{where}: calibration.stream_points: expected a list of [bytes, B/s] pairs")
        cal = {**cal, "stream_points": Curve(tuple(sorted((float(a), float(r)) for a, r in pts)))}
    band = cal.get("validated_band")
    band = float(band) if isinstance(band, (int, float)) and not isinstance(band, bool) and band > 0 else None
    return Efficiency(curves, dispatch, run, calibrated=True, band=band, info=dict(cal))
