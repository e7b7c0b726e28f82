"""Resampling: Resize, Upsample, GridSample, AffineGrid, RoiAlign.

Convention for every interpolating op here. The VALUE arithmetic is counted per output element:
a separable weighted sum over the k_a taps of each interpolated axis a, reducing the last axis
first, costs Σ_j (k_0·…·k_{j−1})·(2·k_j − 1) arith (a sum of k weighted taps is k muls and k−1
adds); for 2 taps on r axes that is 3·(2^r − 1) (the (2^r − 1) lerps of n-linear interpolation,
3 arith each), for 4 taps 7·(4^r − 1)/3. Nearest is a pure gather: 0 value arithmetic.
The COORDINATE arithmetic (transform, rounding, tap weights) is counted once per output index of
each interpolated axis for Resize (it depends on that index only) and once per sampled location
for GridSample and RoiAlign (shared by every channel), as implementations precompute it. Integer
index arithmetic (clamping tap indices, flat offsets) is not counted. Everything is float
arithmetic even for integer data: the weights are float.

The cubic (Keys) tap weights with the constants folded (5a, 8a, 4a, a+2, a+3) cost 25 arith per
coordinate (7 + 5 + 6 + 7 for the four taps, the reference's expressions).
"""

from __future__ import annotations

from fractions import Fraction
from math import ceil, prod

from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import NodeView, RuleError, ShapeUnknown
from onnx_cost.rules.registry import rule

CUBIC_COEFFS = 25  # arith of the four Keys cubic weights of one coordinate

# arith per output index of the coordinate transform x_resized -> x_original (spec formulas)
_COORD = {
    "asymmetric": 1,  # x / scale
    "tf_half_pixel_for_nn": 2,  # (x + 0.5) / scale
    "align_corners": 2,  # x · (in − 1) / (out − 1)
    "half_pixel": 3,  # (x + 0.5) / scale − 0.5
    "pytorch_half_pixel": 3,  # same, 0 when out = 1
    "half_pixel_symmetric": 4,  # offset + (x + 0.5) / scale − 0.5
    "tf_crop_and_resize": 6,  # start·(in−1) + x·(end − start)·(in − 1)/(out − 1)
}


def tap_sum_arith(taps: list[int]) -> int:
    """Arith of one output element's separable weighted sum over axes with ``taps`` taps each."""
    total, outer = 0, 1
    for k in taps:
        total += outer * (2 * k - 1)
        outer *= k
    return total


def _coord_cost(mode: str, n_in: int, n_out: int) -> tuple[int, int]:
    """(arith, compare) of one output index's coordinate transform."""
    if mode == "tf_crop_and_resize":  # 2 compares: the extrapolation test
        return (3 if n_out == 1 else 6), 2
    if mode in ("align_corners", "pytorch_half_pixel") and n_out == 1:
        return 0, 0
    return _COORD[mode], 0


def _weight_cost(mode: str, nearest: str, s: Fraction, antialias: bool, exclude: bool) -> tuple[int, int, int]:
    """(taps, arith, compare) of one output index along an interpolated axis of scale ``s``."""
    if mode == "nearest":
        return 1, (1 if nearest in ("floor", "ceil") else 2), 0
    if mode == "linear":
        if antialias and s < 1:  # 2·ceil(1/s) taps: sub, mul, abs, 1 − · and a clip each; normalize
            k = 2 * ceil(1 / s)
            return k, 2 + 4 * k + (2 * k - 1), 2 * k
        return 2, 3, 0  # floor, frac, 1 − frac
    if antialias and s < 1:  # cubic, 2·ceil(2/s) taps: sub, mul, abs, x², x³, 6 for the kernel; normalize
        k = 2 * ceil(2 / s)
        return k, 2 + 11 * k + (2 * k - 1), 2 * k
    return 4, 2 + CUBIC_COEFFS + (7 if exclude else 0), 0  # cubic: floor, frac, weights (+ renormalize)


def _per_axis(view: NodeView, rank: int, name: str) -> list[float] | None:
    """A scales/roi-like input expanded to every axis (via ``axes``), or None when absent/unknown/empty."""
    idx = {"roi": 1, "scales": 2 if view.op_type == "Resize" and view.opset >= 11 else 1}[name]
    if not view.has_input(idx):
        return None
    try:
        vals = [float(v) for v in view.in_value(idx).reshape(-1)]
    except ShapeUnknown:
        return None
    if not vals:
        return None
    axes = [a % rank for a in (view.attr("axes") or range(rank))]
    per = 2 if name == "roi" else 1
    if len(vals) != per * len(axes):
        raise RuleError(f"{view.op_type} {name} has {len(vals)} values for {len(axes)} axes")
    if name == "roi":
        full = [0.0] * rank + [1.0] * rank
        for i, a in enumerate(axes):
            full[a], full[rank + a] = vals[i], vals[len(axes) + i]
        return full
    full = [1.0] * rank
    for i, a in enumerate(axes):
        full[a] = vals[i]
    return full


def _resample(view: NodeView, mode: str, coord: str, nearest: str) -> Cost:
    x, y = view.in_shape(0), view.out_shape(0)
    if len(x) != len(y):
        raise RuleError(f"{view.op_type} output rank {len(y)} differs from input rank {len(x)}")
    mode = "linear" if mode == "bilinear" else mode
    if mode not in ("nearest", "linear", "cubic"):
        raise RuleError(f"{view.op_type} mode '{mode}' is not nearest, linear or cubic")
    if coord not in _COORD:
        raise RuleError(f"{view.op_type} coordinate_transformation_mode '{coord}' is not known")
    if mode == "nearest" and nearest not in ("floor", "ceil", "round_prefer_floor", "round_prefer_ceil"):
        raise RuleError(f"{view.op_type} nearest_mode '{nearest}' is not known")
    antialias = bool(view.attr("antialias", 0))
    exclude = bool(view.attr("exclude_outside", 0))
    scales = _per_axis(view, len(x), "scales")
    roi = _per_axis(view, len(x), "roi") if coord == "tf_crop_and_resize" else None
    taps: list[int] = []
    arith = compare = 0
    for a, (n_in, n_out) in enumerate(zip(x, y)):
        cropped = roi is not None and (roi[a], roi[len(x) + a]) != (0.0, 1.0)
        if n_in == n_out and not cropped:
            continue
        if n_in == 0 or n_out == 0:
            return Cost()
        s = Fraction(scales[a]) if scales is not None and scales[a] > 0 else Fraction(n_out, n_in)
        ca, cc = _coord_cost(coord, n_in, n_out)
        k, wa, wc = _weight_cost(mode, nearest, s, antialias, exclude)
        taps.append(k)
        arith += n_out * (ca + wa)
        compare += n_out * (cc + wc)
    if mode == "nearest":
        return Cost(arith=arith, compare=compare)
    return Cost(arith=prod(y) * tap_sum_arith(taps) + arith, compare=compare)


@rule("Resize")
def resize(view: NodeView) -> Cost:
    """Over the r resized axes (output size ≠ input size, or cropped by a known roi in tf_crop_and_resize), per output
    element: nearest 0; linear 3·(2^r − 1) arith; cubic 7·(4^r − 1)/3 arith (Σ_j (k_0…k_{j−1})·(2k_j − 1) for k taps per
    axis). Plus, per output index of each resized axis: the coordinate transform (asymmetric 1, tf_half_pixel_for_nn 2,
    align_corners 2, half_pixel 3, pytorch_half_pixel 3, half_pixel_symmetric 4, tf_crop_and_resize 6 arith + 2
    compares) and the weights (nearest: floor/ceil 1, round_prefer_* 2; linear 3; cubic 27, +7 with exclude_outside).
    Antialias (opset 18) on a downscaled axis of scale s: linear 2·ceil(1/s) taps, cubic 2·ceil(2/s) taps, each tap
    weight 4 (linear) or 11 (cubic) arith + 2 compares, then 2k − 1 to normalize, +2 for floor/frac.

    The output shape comes from inference (scales or sizes; onnx's inference ignores the roi of
    tf_crop_and_resize with scales); the scale of an axis from the known scales input, else
    output/input size. Opset 10 is asymmetric with floor rounding.
    Antialias is an upper bound: taps falling outside the input are still counted. Axes of
    scale 1 are not interpolated (the reference interpolates every axis with trivial weights).
    Peers: fvcore counts a flat 1 per output element for upsample_nearest2d and 4 for
    upsample_bilinear2d, with no coordinate arithmetic.
    """
    coord = view.attr("coordinate_transformation_mode", "asymmetric")
    nearest = view.attr("nearest_mode", "floor")
    return _resample(view, view.attr("mode"), coord, nearest)


@rule("Upsample")
def upsample(view: NodeView) -> Cost:
    """As Resize with coordinate_transformation_mode asymmetric (x_original = x / scale, 1 arith per output index of
    each resized axis): nearest rounds with floor (1 arith per index, 0 per element); linear (bilinear) 3 arith per
    index and 3·(2^r − 1) arith per output element over the r resized axes.

    Deprecated since opset 10 in favour of Resize; scales come from the attribute (opset 7)
    or the input (opset 9), through the inferred output shape.
    """
    return _resample(view, view.attr("mode"), "asymmetric", "floor")


_GS_MODES = {"bilinear": "linear", "bicubic": "cubic", "linear": "linear", "cubic": "cubic", "nearest": "nearest"}


@rule("GridSample")
def grid_sample(view: NodeView) -> Cost:
    """With L = N·∏Dout sampled locations, r spatial axes and E = L·C output elements: per location per axis,
    unnormalize (align_corners=1: (g + 1)/2·(d − 1), 3 arith; 0: ((g + 1)·d − 1)/2, 4 arith), padding (zeros 0; border:
    clamp, 2 compares; reflection: 6 arith + 2 compares, bound), weights (nearest: round, 1 arith; linear: floor, frac,
    1 − frac, 3 arith; cubic: floor, frac, 25 for the weights, 27 arith); per output element: nearest 0, linear 3·(2^r −
    1) arith, cubic 7·(4^r − 1)/3 arith.

    Coordinates are computed once per location and shared over the C channels (PyTorch's
    kernel; the reference recomputes them per channel). Reflection is counted as if every
    coordinate fell outside (an upper bound) and is applied to the coordinate, not per tap.
    Opset 16 names the modes bilinear/bicubic and allows 2-D only; opset 20 adds N-D grids.
    Peers: fvcore counts grid_sampler as a flat 4 per output element, assuming bilinear.
    """
    x, g = view.in_shape(0), view.in_shape(1)
    r = len(x) - 2
    if r < 1 or len(g) != r + 2 or g[-1] != r or g[0] != x[0]:
        raise RuleError(f"GridSample grid {list(g)} does not match input {list(x)}: need (N, D1_out..Dr_out, {r})")
    mode = _GS_MODES.get(view.attr("mode", "linear"))
    if mode is None:
        raise RuleError(f"GridSample mode '{view.attr('mode')}' is not nearest, linear or cubic")
    pad = view.attr("padding_mode")
    if pad not in ("zeros", "border", "reflection"):
        raise RuleError(f"GridSample padding_mode '{pad}' is not zeros, border or reflection")
    locations = prod(g[:-1])
    elements = locations * x[1]
    a = 3 if view.attr("align_corners") else 4
    c = {"zeros": 0, "border": 2, "reflection": 2}[pad]
    a += 6 if pad == "reflection" else 0
    a += {"nearest": 1, "linear": 3, "cubic": 2 + CUBIC_COEFFS}[mode]
    k = {"nearest": 1, "linear": 2, "cubic": 4}[mode]
    value = 0 if mode == "nearest" else elements * tap_sum_arith([k] * r)
    return Cost(arith=value + locations * r * a, compare=locations * r * c)


@rule("AffineGrid")
def affine_grid(view: NodeView) -> Cost:
    """Per output point (P = N·∏spatial of the grid, s = 2 or 3 axes): theta (s × (s+1)) times (x, y[, z], 1): macs =
    P·s·s, dots = P·s, bias_adds = P·s (the translation column); plus the base grid, 2 arith (start + i·step) per index
    of each spatial axis.

    align_corners only moves the base grid's start and step, not the count.
    """
    theta, grid = view.in_shape(0), view.out_shape(0)
    s = len(grid) - 2
    if s not in (2, 3) or grid[-1] != s or list(theta) != [grid[0], s, s + 1]:
        raise RuleError(f"AffineGrid theta {list(theta)} and grid {list(grid)}: need theta (N, 2, 3) or (N, 3, 4)")
    points = prod(grid[:-1])
    return Cost(macs=points * s * s, dots=points * s, bias_adds=points * s, arith=2 * sum(grid[1:-1]))


def _roi_grid(view: NodeView, oh: int, ow: int) -> list[tuple[int, int]]:
    """(grid_h, grid_w) sampling points per bin, per roi."""
    rois = view.in_shape(1)[0]
    sr = int(view.attr("sampling_ratio", 0))
    if sr > 0:
        return [(sr, sr)] * rois
    h, w = view.in_shape(0)[2:]
    try:
        boxes = view.in_value(1).reshape(-1, 4)
    except ShapeUnknown:  # adaptive on unknown boxes: bounded by rois spanning the whole map
        return [(ceil(h / oh), ceil(w / ow))] * rois
    scale = float(view.attr("spatial_scale", 1.0))
    half = view.attr("coordinate_transformation_mode", "output_half_pixel") == "half_pixel"
    out = []
    for x1, y1, x2, y2 in boxes.tolist():
        rh, rw = (y2 - y1) * scale, (x2 - x1) * scale
        if not half:
            rh, rw = max(rh, 1.0), max(rw, 1.0)
        out.append((max(ceil(rh / oh), 0), max(ceil(rw / ow), 0)))
    return out


@rule("RoiAlign")
def roi_align(view: NodeView) -> Cost:
    """Per roi: scaled box 4 muls (+4 subs with half_pixel; output_half_pixel: +2 compares forcing ≥ 1), 2 subs (size),
    2 divs (bin size). Per sample point (S = grid_h·grid_w per bin, shared by all C channels): 12 arith for its (y, x),
    6 compares (bounds, ≥ 0), 4 for ly, lx, hy, hx, 4 muls for the four weights: 20 arith + 6 compares. Per channel per
    bin: avg: S·(4 muls + 3 adds) + S accumulate adds + 1 div = 8S + 1 arith; max: 4S muls + 3S compares (max of 4) + S
    − 1 compares.

    sampling_ratio > 0 gives S = ratio²; 0 is adaptive, ceil(roi_h/out_h)·ceil(roi_w/out_w) per
    roi: exact when the rois are known, else a bound taking every roi as the whole feature map.
    Max mode follows the reference and onnxruntime (max of the weighted corners), not max of
    the interpolated values. Bilinear by weighted corners (7 arith) rather than 3 lerps (9).
    """
    x, rois = view.in_shape(0), view.in_shape(1)
    view.out_shape(0)  # the count does not use it, but an unknown output stays 'unknown' as before
    if len(x) != 4 or len(rois) != 2 or rois[1] != 4:
        raise RuleError(f"RoiAlign needs X (N, C, H, W) and rois (R, 4), got {list(x)} and {list(rois)}")
    oh, ow = int(view.attr("output_height")), int(view.attr("output_width"))
    if oh < 1 or ow < 1:
        raise RuleError(f"RoiAlign output_height {oh} and output_width {ow} must be ≥ 1")
    mode = view.attr("mode")
    if mode not in ("avg", "max"):
        raise RuleError(f"RoiAlign mode '{mode}' is not avg or max")
    half = view.attr("coordinate_transformation_mode", "output_half_pixel") == "half_pixel"
    c, bins = x[1], oh * ow
    samples = sum(gh * gw for gh, gw in _roi_grid(view, oh, ow))  # per bin, summed over rois
    arith = rois[0] * (12 if half else 8) + bins * samples * 20
    compare = (0 if half else 2 * rois[0]) + bins * samples * 6
    if mode == "avg":
        arith += c * bins * (8 * samples + rois[0])
    else:
        arith += c * bins * 4 * samples
        compare += c * bins * (4 * samples - rois[0])
    return Cost(arith=arith, compare=compare)
