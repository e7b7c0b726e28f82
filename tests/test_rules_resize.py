"""Resize, Upsample, GridSample, AffineGrid, RoiAlign: expected numbers worked out by hand.

Per output index of a resized axis: coordinate transform (asymmetric 1, tf_half_pixel_for_nn 2,
align_corners 2, half_pixel 3, half_pixel_symmetric 4, tf_crop_and_resize 6 + 2 compares) plus
weights (nearest floor/ceil 1, round_prefer_* 2; linear 3; cubic 27, 34 with exclude_outside).
Per output element: linear 3·(2^r − 1), cubic 7·(4^r − 1)/3.
"""

from __future__ import annotations

import pytest

from helpers import init, one_node

F = "float32"


def _resize(x, y, *, scales=None, sizes=None, roi=None, opset=21, xdt=F, **attrs):
    """A Resize with scales or sizes as initializers (opset ≥ 11 input layout)."""
    inits = []
    ins = [("x", xdt, x)]
    if roi is not None:
        ins.append(("roi", F, [len(roi)]))
        inits.append(init("roi", F, [len(roi)], roi))
    else:
        ins.append(None)
    if scales is not None:
        ins.append(("scales", F, [len(scales)]))
        inits.append(init("scales", F, [len(scales)], scales))
    else:
        ins.append(None)
    if sizes is not None:
        ins.append(("sizes", "int64", [len(sizes)]))
        inits.append(init("sizes", "int64", [len(sizes)], sizes))
    return one_node("Resize", ins, [("y", xdt, y)], inits, opset=opset, **attrs)


RESIZE = [
    # linear, half_pixel (default), 2×2 -> 4×4: 16 outputs × 3·(2²−1)=9 = 144; 2 axes × 4 idx × (3 + 3) = 48
    ("linear_scales", dict(x=[1, 1, 2, 2], y=[1, 1, 4, 4], scales=[1, 1, 2, 2], mode="linear"), 192, 0),
    # nearest round_prefer_floor half_pixel: 0 per element; 2 axes × 8 idx × (3 + 2) = 80
    ("nearest_default", dict(x=[1, 3, 4, 4], y=[1, 3, 8, 8], scales=[1, 1, 2, 2]), 80, 0),
    # nearest floor asymmetric: 2 axes × 8 idx × (1 + 1) = 32
    (
        "nearest_floor_asym",
        dict(
            x=[1, 3, 4, 4],
            y=[1, 3, 8, 8],
            scales=[1, 1, 2, 2],
            nearest_mode="floor",
            coordinate_transformation_mode="asymmetric",
        ),
        32,
        0,
    ),
    # cubic with sizes 2×2 -> 3×5: 15 outputs × 7·(4²−1)/3=35 = 525; H 3 × (3 + 27) = 90; W 5 × 30 = 150
    ("cubic_sizes", dict(x=[1, 1, 2, 2], y=[1, 1, 3, 5], sizes=[1, 1, 3, 5], mode="cubic"), 765, 0),
    # exclude_outside: weights 27 + 7 = 34: 525 + 3 × 37 + 5 × 37 = 525 + 111 + 185
    (
        "cubic_exclude",
        dict(x=[1, 1, 2, 2], y=[1, 1, 3, 5], sizes=[1, 1, 3, 5], mode="cubic", exclude_outside=1),
        821,
        0,
    ),
    # align_corners linear 2×2 -> 3×3: 9 × 9 = 81; 2 axes × 3 idx × (2 + 3) = 30
    (
        "linear_align_corners",
        dict(
            x=[1, 1, 2, 2], y=[1, 1, 3, 3], sizes=[1, 1, 3, 3], mode="linear", coordinate_transformation_mode="align_corners"
        ),
        111,
        0,
    ),
    # pytorch_half_pixel 4 -> 1 on H only: out length 1 so the coordinate is 0 (0 arith), weights 3:
    # 1 idx × 3 = 3; 4 outputs × 3·(2¹−1) = 12
    (
        "pytorch_half_pixel_len1",
        dict(
            x=[1, 1, 4, 4],
            y=[1, 1, 1, 4],
            sizes=[1, 1, 1, 4],
            mode="linear",
            coordinate_transformation_mode="pytorch_half_pixel",
        ),
        15,
        0,
    ),
    # half_pixel_symmetric (opset 19): 144 + 2 axes × 4 idx × (4 + 3) = 144 + 56
    (
        "half_pixel_symmetric",
        dict(
            x=[1, 1, 2, 2],
            y=[1, 1, 4, 4],
            scales=[1, 1, 2, 2],
            mode="linear",
            coordinate_transformation_mode="half_pixel_symmetric",
        ),
        200,
        0,
    ),
    # tf_crop_and_resize, H cropped to [0.25, 0.75] and resized to 4 (sizes), W untouched:
    # r = 1: 16 outputs × 3 = 48; H 4 idx × (6 + 3) = 36 arith and 4 × 2 = 8 compares
    (
        "tf_crop_and_resize",
        dict(
            x=[1, 1, 4, 4],
            y=[1, 1, 4, 4],
            sizes=[1, 1, 4, 4],
            roi=[0, 0, 0.25, 0, 1, 1, 0.75, 1],
            mode="linear",
            coordinate_transformation_mode="tf_crop_and_resize",
        ),
        84,
        8,
    ),
    # antialias linear ×0.5 on H and W (8×8 -> 4×4): k = 2·ceil(1/0.5) = 4 taps per axis;
    # per element (2·4−1) + 4·(2·4−1) = 35 → 16 × 35 = 560; per idx 3 + 2 + 4·4 + 7 = 28 →
    # 2 axes × 4 × 28 = 224 arith; compares 2·4 = 8 per idx → 2 × 4 × 8 = 64
    (
        "antialias_linear",
        dict(x=[1, 1, 8, 8], y=[1, 1, 4, 4], scales=[1, 1, 0.5, 0.5], mode="linear", antialias=1),
        784,
        64,
    ),
    # antialias cubic ×0.5 on W only (4×8 -> 4×4): k = 2·ceil(2/0.5) = 8 taps; per element 2·8−1 = 15
    # → 16 × 15 = 240; per idx 3 + 2 + 11·8 + 15 = 108 → 4 × 108 = 432; compares 4 × 16 = 64
    (
        "antialias_cubic",
        dict(x=[1, 1, 4, 8], y=[1, 1, 4, 4], scales=[1, 1, 1, 0.5], mode="cubic", antialias=1),
        672,
        64,
    ),
    # antialias has no effect when upscaling: as linear_scales
    ("antialias_upscale", dict(x=[1, 1, 2, 2], y=[1, 1, 4, 4], scales=[1, 1, 2, 2], mode="linear", antialias=1), 192, 0),
    # axes (opset 18): scales for H, W only: as linear_scales
    ("axes", dict(x=[1, 1, 2, 2], y=[1, 1, 4, 4], scales=[2, 2], axes=[2, 3], mode="linear"), 192, 0),
    # trilinear 2×2×2 -> 4×4×4: 64 × 3·(2³−1)=21 = 1344; 3 axes × 4 idx × 6 = 72
    ("trilinear", dict(x=[1, 1, 2, 2, 2], y=[1, 1, 4, 4, 4], scales=[1, 1, 2, 2, 2], mode="linear"), 1416, 0),
    # uint8 image, nearest: still float coordinates: 2 axes × 4 idx × (3 + 2) = 40
    ("uint8_nearest", dict(x=[1, 1, 2, 2], y=[1, 1, 4, 4], scales=[1, 1, 2, 2], xdt="uint8"), 40, 0),
    # opset 11 tf_half_pixel_for_nn, nearest round_prefer_floor: 2 axes × 8 idx × (2 + 2) = 64
    (
        "tf_half_pixel_for_nn",
        dict(
            x=[1, 1, 4, 4],
            y=[1, 1, 8, 8],
            scales=[1, 1, 2, 2],
            opset=11,
            coordinate_transformation_mode="tf_half_pixel_for_nn",
        ),
        64,
        0,
    ),
]


@pytest.mark.parametrize("case", RESIZE, ids=[c[0] for c in RESIZE])
def test_resize(case):
    _, kw, arith, compare = case
    rec = _resize(**kw)
    assert rec.status == "counted", rec.detail
    c = rec.cost
    assert (c.macs, c.arith, c.compare, c.transcendental) == (0, arith, compare, 0)
    assert c.flops == arith + compare


@pytest.mark.parametrize(
    "mode, expected",
    [
        # opset 10 (X, scales): asymmetric, floor. nearest: 2 axes × 8 idx × (1 + 1) = 32
        ("nearest", 32),
        # linear: 64 × 9 = 576; 2 axes × 8 idx × (1 + 3) = 64
        ("linear", 640),
    ],
)
def test_resize_opset10(mode, expected):
    rec = one_node(
        "Resize",
        [("x", F, [1, 1, 4, 4]), ("scales", F, [4])],
        [("y", F, [1, 1, 8, 8])],
        [init("scales", F, [4], [1, 1, 2, 2])],
        opset=10,
        mode=mode,
    )
    assert rec.status == "counted", rec.detail
    assert rec.cost.arith == expected


def test_resize_symbolic_batch_is_shape_unknown():
    rec = _resize(x=["N", 1, 2, 2], y=None, scales=[1, 1, 2, 2], mode="linear")
    assert rec.status == "shape_unknown"
    assert "N" in rec.missing


def test_resize_runtime_scales_is_shape_unknown():
    rec = one_node(
        "Resize", [("x", F, [1, 1, 2, 2]), None, ("scales", F, [4])], [("y", F, None)], mode="linear"
    )
    assert rec.status == "shape_unknown"


@pytest.mark.parametrize(
    "attrs",
    [dict(mode="area"), dict(mode="linear", coordinate_transformation_mode="diagonal")],
    ids=["bad_mode", "bad_coordinate_mode"],
)
def test_resize_invalid(attrs):
    rec = _resize(x=[1, 1, 2, 2], y=None, scales=[1, 1, 2, 2], **attrs)
    assert rec.status == "invalid"


@pytest.mark.parametrize(
    "opset, mode, expected",
    [
        (9, "nearest", 16),  # asymmetric + floor: 2 axes × 4 idx × (1 + 1) = 16
        (9, "linear", 176),  # 16 × 9 = 144; 2 axes × 4 idx × (1 + 3) = 32
    ],
)
def test_upsample(opset, mode, expected):
    rec = one_node(
        "Upsample",
        [("x", F, [1, 1, 2, 2]), ("scales", F, [4])],
        [("y", F, [1, 1, 4, 4])],
        [init("scales", F, [4], [1, 1, 2, 2])],
        opset=opset,
        mode=mode,
    )
    assert rec.status == "counted", rec.detail
    assert rec.cost.arith == expected


def test_upsample_opset7_scales_attribute():
    # nearest: 2 axes × 4 idx × (1 + 1) = 16
    rec = one_node("Upsample", [("x", F, [1, 1, 2, 2])], [("y", F, [1, 1, 4, 4])], opset=7, scales=[1.0, 1.0, 2.0, 2.0])
    assert rec.status == "counted", rec.detail
    assert rec.cost.arith == 16


# GridSample, X (1, 3, 4, 4), grid (1, 2, 2, 2): L = 4 locations, E = 12 outputs, r = 2.
GRID = [
    # bilinear, align_corners 0, zeros: per location per axis 4 + 3 = 7 → 4 × 2 × 7 = 56; 12 × 9 = 108
    ("bilinear", 16, dict(), 164, 0),
    # align_corners 1: (3 + 3) × 8 = 48 + 108
    ("align_corners", 16, dict(align_corners=1), 156, 0),
    # nearest: (4 + 1) × 8 = 40, no value arithmetic
    ("nearest", 16, dict(mode="nearest"), 40, 0),
    # bicubic: (4 + 27) × 8 = 248; 12 × 35 = 420
    ("bicubic", 16, dict(mode="bicubic"), 668, 0),
    # border: 164 arith + 2 compares × 8 = 16
    ("border", 16, dict(padding_mode="border"), 164, 16),
    # reflection: (4 + 6 + 3) × 8 = 104 + 108 = 212; 2 compares × 8 = 16
    ("reflection", 16, dict(padding_mode="reflection"), 212, 16),
    # opset 20 names: linear = bilinear, cubic = bicubic
    ("linear_opset20", 20, dict(mode="linear"), 164, 0),
    ("cubic_opset20", 20, dict(mode="cubic"), 668, 0),
]


@pytest.mark.parametrize("case", GRID, ids=[c[0] for c in GRID])
def test_grid_sample(case):
    _, opset, attrs, arith, compare = case
    rec = one_node(
        "GridSample",
        [("x", F, [1, 3, 4, 4]), ("grid", F, [1, 2, 2, 2])],
        [("y", F, [1, 3, 2, 2])],
        opset=opset,
        **attrs,
    )
    assert rec.status == "counted", rec.detail
    assert (rec.cost.arith, rec.cost.compare) == (arith, compare)


def test_grid_sample_3d():
    # X (1, 2, 3, 3, 3), grid (1, 2, 2, 2, 3): L = 8, E = 16, r = 3.
    # per location per axis 4 + 3 = 7 → 8 × 3 × 7 = 168; 16 × 3·(2³−1)=21 = 336
    rec = one_node(
        "GridSample", [("x", F, [1, 2, 3, 3, 3]), ("grid", F, [1, 2, 2, 2, 3])], [("y", F, [1, 2, 2, 2, 2])], opset=20
    )
    assert rec.status == "counted", rec.detail
    assert rec.cost.arith == 504


def test_grid_sample_symbolic_and_invalid():
    rec = one_node("GridSample", [("x", F, [1, 3, 4, 4]), ("grid", F, ["n", 2, 2, 2])], [("y", F, None)], opset=16)
    assert rec.status == "shape_unknown" and "n" in rec.missing
    rec = one_node("GridSample", [("x", F, [1, 3, 4, 4]), ("grid", F, [1, 2, 2, 3])], [("y", F, None)], opset=20)
    assert rec.status == "invalid"


@pytest.mark.parametrize(
    "theta, size, grid, macs, dots, arith",
    [
        # 2-D: P = 2·4·5 = 40 points, s = 2: macs 40·2·2 = 160, dots = bias = 40·2 = 80; base 2·(4 + 5) = 18
        ([2, 2, 3], [2, 3, 4, 5], [2, 4, 5, 2], 160, 80, 18),
        # 3-D: P = 2·3·4 = 24, s = 3: macs 24·9 = 216, dots = bias = 72; base 2·(2 + 3 + 4) = 18
        ([1, 3, 4], [1, 1, 2, 3, 4], [1, 2, 3, 4, 3], 216, 72, 18),
    ],
    ids=["2d", "3d"],
)
def test_affine_grid(theta, size, grid, macs, dots, arith):
    rec = one_node(
        "AffineGrid",
        [("theta", F, theta), ("size", "int64", [len(size)])],
        [("grid", F, grid)],
        [init("size", "int64", [len(size)], size)],
        opset=20,
    )
    assert rec.status == "counted", rec.detail
    c = rec.cost
    assert (c.macs, c.dots, c.bias_adds, c.arith) == (macs, dots, dots, arith)
    assert c.flops == 2 * macs - dots + dots + arith


def test_affine_grid_runtime_size_is_shape_unknown():
    rec = one_node("AffineGrid", [("theta", F, [1, 2, 3]), ("size", "int64", [4])], [("grid", F, None)], opset=20)
    assert rec.status == "shape_unknown"


def _roi(opset=16, rois=None, **attrs):
    inits = [init("rois", F, [2, 4], rois)] if rois is not None else []
    return one_node(
        "RoiAlign",
        [("x", F, [1, 3, 8, 8]), ("rois", F, [2, 4]), ("bi", "int64", [2])],
        [("y", F, [2, 3, 2, 2])],
        inits,
        opset=opset,
        output_height=2,
        output_width=2,
        **attrs,
    )


# RoiAlign X (1, 3, 8, 8), 2 rois, 2×2 bins, C = 3. ΣS = sample points per bin summed over rois.
ROI = [
    # half_pixel (opset 16 default), sampling_ratio 2: S = 4 per roi, ΣS = 8.
    # arith: rois 2·12 = 24; samples 4 bins · 8 · 20 = 640; avg 3·4·(8·8 + 2) = 792 → 1456
    # compare: 4 · 8 · 6 = 192
    ("avg", dict(sampling_ratio=2), 1456, 192),
    # max: 24 + 640 + 3·4·4·8 = 384 → 1048; compare 192 + 3·4·(4·8 − 2) = 360 → 552
    ("max", dict(sampling_ratio=2, mode="max"), 1048, 552),
    # opset 10 (output_half_pixel): rois 2·8 = 16 arith and 2·2 = 4 compares: 16 + 640 + 792; 4 + 192
    ("opset10", dict(opset=10, sampling_ratio=2), 1448, 196),
    # adaptive, known rois [0,0,4,4] → ceil(4/2)·ceil(4/2) = 4 and [0,0,6,2] (x2=6, y2=2) →
    # ceil(2/2)·ceil(6/2) = 3: ΣS = 7. arith 24 + 4·7·20 = 560 + 3·4·(8·7 + 2) = 696 → 1280; compare 4·7·6 = 168
    ("adaptive_known", dict(rois=[0, 0, 4, 4, 0, 0, 6, 2]), 1280, 168),
    # adaptive, unknown rois: bound ceil(8/2)·ceil(8/2) = 16 per roi, ΣS = 32.
    # arith 24 + 4·32·20 = 2560 + 3·4·(8·32 + 2) = 3096 → 5680; compare 4·32·6 = 768
    ("adaptive_bound", dict(), 5680, 768),
]


@pytest.mark.parametrize("case", ROI, ids=[c[0] for c in ROI])
def test_roi_align(case):
    _, kw, arith, compare = case
    rec = _roi(**kw)
    assert rec.status == "counted", rec.detail
    assert (rec.cost.arith, rec.cost.compare, rec.cost.macs) == (arith, compare, 0)


def test_roi_align_invalid_mode():
    rec = _roi(mode="min")
    assert rec.status == "invalid"
