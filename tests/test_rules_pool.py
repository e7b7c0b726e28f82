"""Pooling rules: one-node models, every expected count worked out by hand.

outputs = N·C·prod(out), k = prod(kernel_shape):
MaxPool compare = outputs·(k − 1); AveragePool arith = outputs·k ((k − 1) adds + 1 div);
LpPool arith = outputs·(2k − 1), transcendental = outputs·(k + 1).
"""

from __future__ import annotations

import pytest

from helpers import init, one_node


def pool(op, x, dtype="float32", opset=21, outputs=None, **attrs):
    return one_node(op, [("x", dtype, x)], outputs or [("y", dtype, None)], opset=opset, **attrs)


# (id, op, x, attrs, output spatial, compare, arith, transcendental)
POOL = [
    # 2×2 stride 2: out 16×16; 3·256 = 768 outputs × (4−1) = 2,304 compares.
    ("max-2x2", "MaxPool", [1, 3, 32, 32], {"kernel_shape": [2, 2], "strides": [2, 2]}, (16, 16), 2_304, 0, 0),
    # ResNet's stem pool: 3×3 s2 p1 on 112: floor((112+2−3)/2)+1 = 56; 64·56·56 = 200,704 × 8
    # = 1,605,632.
    ("max-resnet-stem", "MaxPool", [1, 64, 112, 112], {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]},
     (56, 56), 1_605_632, 0, 0),
    # dilation 2: extent 5, out 7−5+1 = 3; 9 outputs × 8 = 72.
    ("max-dilated", "MaxPool", [1, 1, 7, 7], {"kernel_shape": [3, 3], "dilations": [2, 2]}, (3, 3), 72, 0, 0),
    # 3×3 s2 p1 on 6, floor: (6+2−3)//2+1 = 3 → 9 × 8 = 72.
    ("max-floor", "MaxPool", [1, 1, 6, 6], {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]},
     (3, 3), 72, 0, 0),
    # same with ceil_mode: ceil(5/2)+1 = 4, the last window starts at 3·2−1 = 5 < 6 (kept) → 16 × 8 = 128.
    ("max-ceil", "MaxPool", [1, 1, 6, 6],
     {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "ceil_mode": 1}, (4, 4), 128, 0, 0),
    # storage_order changes nothing: 768 × 3 = 2,304.
    ("max-storage-order", "MaxPool", [1, 3, 32, 32], {"kernel_shape": [2, 2], "strides": [2, 2], "storage_order": 1},
     (16, 16), 2_304, 0, 0),
    # SAME_UPPER s2: out ceil(7/2) = 4; 16 × 8 = 128. SAME_LOWER the same. VALID: (7−3)//2+1 = 3 → 72.
    ("max-same-upper", "MaxPool", [1, 1, 7, 7], {"kernel_shape": [3, 3], "strides": [2, 2], "auto_pad": "SAME_UPPER"},
     (4, 4), 128, 0, 0),
    ("max-same-lower", "MaxPool", [1, 1, 7, 7], {"kernel_shape": [3, 3], "strides": [2, 2], "auto_pad": "SAME_LOWER"},
     (4, 4), 128, 0, 0),
    ("max-valid", "MaxPool", [1, 1, 7, 7], {"kernel_shape": [3, 3], "strides": [2, 2], "auto_pad": "VALID"},
     (3, 3), 72, 0, 0),
    # 1-D: k 3 s 1 on 10 → 8; 2·4·8 = 64 outputs × 2 = 128.
    ("max-1d", "MaxPool", [2, 4, 10], {"kernel_shape": [3]}, (8,), 128, 0, 0),
    # 3-D: 2×2×2 s2 on 4³ → 2³; 2·8 = 16 outputs × 7 = 112.
    ("max-3d", "MaxPool", [1, 2, 4, 4, 4], {"kernel_shape": [2, 2, 2], "strides": [2, 2, 2]}, (2, 2, 2), 112, 0, 0),
    # AveragePool 2×2 s2: 768 outputs × (3 adds + 1 div) = 3,072.
    ("avg-2x2", "AveragePool", [1, 3, 32, 32], {"kernel_shape": [2, 2], "strides": [2, 2]}, (16, 16), 0, 3_072, 0),
    # 3×3 s1 p1 on 8: out 8; 2·64 = 128 outputs × 9 = 1,152, whatever count_include_pad says.
    ("avg-pad-exclude", "AveragePool", [1, 2, 8, 8], {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]}, (8, 8), 0, 1_152, 0),
    ("avg-pad-include", "AveragePool", [1, 2, 8, 8],
     {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1], "count_include_pad": 1}, (8, 8), 0, 1_152, 0),
    # 2×2 s2 on 5: floor → 2 (4 outputs × 4 = 16); ceil → 3, the window at 4 starts inside (9 × 4 = 36).
    ("avg-floor", "AveragePool", [1, 1, 5, 5], {"kernel_shape": [2, 2], "strides": [2, 2]}, (2, 2), 0, 16, 0),
    ("avg-ceil", "AveragePool", [1, 1, 5, 5], {"kernel_shape": [2, 2], "strides": [2, 2], "ceil_mode": 1},
     (3, 3), 0, 36, 0),
    # dilations (opset 19+): 2×2 dilated 3 spans 4, out 7−4+1 = 4; 16 outputs × 4 = 64.
    ("avg-dilated", "AveragePool", [1, 1, 7, 7], {"kernel_shape": [2, 2], "dilations": [3, 3]}, (4, 4), 0, 64, 0),
    # SAME_UPPER s2 on 7: 4×4 = 16 outputs × 9 = 144.
    ("avg-same-upper", "AveragePool", [1, 1, 7, 7], {"kernel_shape": [3, 3], "strides": [2, 2], "auto_pad": "SAME_UPPER"},
     (4, 4), 0, 144, 0),
    # The seeds' (Sh·Sw − 1 + 1)·Hout·Wout with Sh = Sw = 7 on a 7×7 map (ResNet's head): (49−1+1)·1·1
    # = 49 per channel; 2,048 channels → 100,352.
    ("avg-seeds-7x7", "AveragePool", [1, 2048, 7, 7], {"kernel_shape": [7, 7]}, (1, 1), 0, 100_352, 0),
    # LpPool 2×2 s2 on 6: out 3×3; 2·9 = 18 outputs; k 4: arith 18·(2·4−1) = 126, transcendental 18·5 = 90.
    ("lp-p2", "LpPool", [1, 2, 6, 6], {"kernel_shape": [2, 2], "strides": [2, 2]}, (3, 3), 0, 126, 90),
    ("lp-p3", "LpPool", [1, 2, 6, 6], {"kernel_shape": [2, 2], "strides": [2, 2], "p": 3}, (3, 3), 0, 126, 90),
    # LpPool ceil_mode (opset 18+): 2×2 s2 on 5 → 3×3 = 9 outputs: arith 9·7 = 63, transcendental 9·5 = 45.
    ("lp-ceil", "LpPool", [1, 1, 5, 5], {"kernel_shape": [2, 2], "strides": [2, 2], "ceil_mode": 1}, (3, 3), 0, 63, 45),
]


@pytest.mark.parametrize("case", POOL, ids=[c[0] for c in POOL])
def test_pool(case):
    _id, op, x, attrs, out, compare, arith, trans = case
    rec = pool(op, x, **attrs)
    assert rec.status == "counted", rec.detail
    assert rec.outputs[0] == (x[0], x[1], *out)
    c = rec.cost
    assert (c.compare, c.arith, c.transcendental) == (compare, arith, trans)
    assert c.macs == c.dots == c.bias_adds == c.int_ops == 0


def test_max_pool_ceil_drops_window_in_right_pad():
    # 1-D, in 6, k 2, s 2, pads [0, 1], ceil_mode: ceil((6+1−2)/2)+1 = 4, but the 4th window
    # would start at 3·2 = 6 ≥ 6 + 0, inside the right padding: dropped by the spec → 3 outputs,
    # 3 × (2−1) = 3 compares (onnx's inference keeps 4; the spec's windows are counted).
    rec = pool("MaxPool", [1, 1, 6], kernel_shape=[2], strides=[2], pads=[0, 1], ceil_mode=1)
    assert rec.status == "counted", rec.detail
    assert rec.cost.compare == 3


def test_max_pool_indices_output():
    # The Indices output adds no compares: 768 × 3 = 2,304.
    rec = pool("MaxPool", [1, 3, 32, 32], outputs=[("y", "float32", None), ("i", "int64", None)],
               kernel_shape=[2, 2], strides=[2, 2])
    assert rec.status == "counted", rec.detail
    assert rec.cost.compare == 2_304


def test_max_pool_int8():
    # int8 MaxPool (opset 12+): 2×2 s2 on 4×4 → 4 outputs × 3 = 12 integer compares.
    rec = pool("MaxPool", [1, 1, 4, 4], dtype="int8", kernel_shape=[2, 2], strides=[2, 2])
    assert rec.status == "counted", rec.detail
    assert (rec.cost.int_ops, rec.cost.compare) == (12, 0)


@pytest.mark.parametrize("op,opset", [("MaxPool", 8), ("MaxPool", 10), ("AveragePool", 7), ("AveragePool", 19)])
def test_pool_old_opsets(op, opset):
    # 2×2 s2 on 4×4: 4 outputs; MaxPool 4 × 3 = 12 compares, AveragePool 4 × 4 = 16 arith.
    rec = pool(op, [1, 1, 4, 4], opset=opset, kernel_shape=[2, 2], strides=[2, 2])
    assert rec.status == "counted", rec.detail
    assert (rec.cost.compare, rec.cost.arith) == ((12, 0) if op == "MaxPool" else (0, 16))


# (id, op, x, compare, arith, transcendental)
GLOBAL = [
    # N·C = 2·3 = 6, S = 49: 6 × (48 adds + 1 div) = 294.
    ("gap-2d", "GlobalAveragePool", [2, 3, 7, 7], 0, 294, 0),
    # 3-D: N·C = 4, S = 2·3·5 = 30: 4 × 30 = 120.
    ("gap-3d", "GlobalAveragePool", [1, 4, 2, 3, 5], 0, 120, 0),
    # 1-D: N·C = 3, S = 10: 30.
    ("gap-1d", "GlobalAveragePool", [1, 3, 10], 0, 30, 0),
    # N·C = 6, S − 1 = 48: 288 compares.
    ("gmp-2d", "GlobalMaxPool", [2, 3, 7, 7], 288, 0, 0),
    # N·C = 2, S = 9: arith 2·(2·9 − 1) = 34, transcendental 2·(9 + 1) = 20.
    ("glp-2d", "GlobalLpPool", [1, 2, 3, 3], 0, 34, 20),
]


@pytest.mark.parametrize("case", GLOBAL, ids=[c[0] for c in GLOBAL])
def test_global_pool(case):
    _id, op, x, compare, arith, trans = case
    rec = pool(op, x)
    assert rec.status == "counted", rec.detail
    assert rec.outputs[0] == (x[0], x[1], *([1] * (len(x) - 2)))
    assert (rec.cost.compare, rec.cost.arith, rec.cost.transcendental) == (compare, arith, trans)


def roi_pool(rois, pooled=(2, 2), scale=None, x=(1, 2, 8, 8)):
    attrs = {"pooled_shape": list(pooled)}
    if scale is not None:
        attrs["spatial_scale"] = scale
    r = init("rois", "float32", [len(rois), 5], rois)
    return one_node("MaxRoiPool", [("x", "float32", list(x)), ("rois", "float32", [len(rois), 5])],
                    [("y", "float32", None)], [r], **attrs)


# (id, rois, pooled, spatial_scale, compares)
ROI = [
    # ROI (0,0)-(3,3): 4×4, bins of 2.0 → four 2×2 bins, 3 compares each → 12 per channel × C 2 = 24.
    ("square", [[0, 0, 0, 3, 3]], (2, 2), None, 24),
    # ROI x 1..5, y 1..3: height 3 (bins of 1.5: [0,2), [1,3) → 2, 2 rows), width 5 (bins of 2.5:
    # [0,3), [2,5) → 3, 3 cols); four 2×3 bins, 5 compares each → 20 × 2 = 40.
    ("overlapping-bins", [[0, 1, 1, 5, 3]], (2, 2), None, 40),
    # both ROIs: 24 + 40 = 64.
    ("two-rois", [[0, 0, 0, 3, 3], [0, 1, 1, 5, 3]], (2, 2), None, 64),
    # ROI 6..11 on an 8×8 map: 6 long, bins [6,9) → clipped [6,8) = 2 and [9,12) → empty;
    # only bin (0,0) of 2×2 counts: 3 compares × 2 = 6.
    ("clipped", [[0, 6, 6, 11, 11]], (2, 2), None, 6),
    # scale 0.5: corners 0 and round(5·0.5 = 2.5) = 3 (half away from zero): 4×4 in one 1×1 bin:
    # 16 − 1 = 15 compares × 2 = 30.
    ("scaled-round-half", [[0, 0, 0, 5, 5]], (1, 1), 0.5, 30),
]


@pytest.mark.parametrize("case", ROI, ids=[c[0] for c in ROI])
def test_max_roi_pool(case):
    _id, rois, pooled, scale, compares = case
    rec = roi_pool(rois, pooled, scale)
    assert rec.status == "counted", rec.detail
    assert rec.outputs[0] == (len(rois), 2, *pooled)
    assert rec.cost.compare == compares


def test_max_roi_pool_runtime_rois():
    # ROIs computed at run time: their bins are unknown, nothing is guessed.
    rec = one_node("MaxRoiPool", [("x", "float32", [1, 2, 8, 8]), ("rois", "float32", [3, 5])],
                   [("y", "float32", None)], pooled_shape=[2, 2])
    assert rec.status == "shape_unknown"
    assert "rois" in rec.detail


def test_max_unpool_zero():
    rec = one_node("MaxUnpool", [("x", "float32", [1, 1, 2, 2]), ("i", "int64", [1, 1, 2, 2])],
                   [("y", "float32", None)], kernel_shape=[2, 2], strides=[2, 2])
    assert rec.status == "zero"
    assert rec.outputs[0] == (1, 1, 4, 4)
    assert rec.cost.flops == 0


# (id, op, x, attrs, reason fragment)
POOL_INVALID = [
    ("no-kernel", "MaxPool", [1, 1, 4, 4], {}, "kernel_shape"),
    ("kernel-too-large", "MaxPool", [1, 1, 2, 2], {"kernel_shape": [3, 3]}, "larger than the padded input"),
    ("kernel-rank", "AveragePool", [1, 1, 4, 4], {"kernel_shape": [2]}, "spatial axes"),
    ("strides-length", "MaxPool", [1, 1, 4, 4], {"kernel_shape": [2, 2], "strides": [2]}, "strides"),
    ("negative-pads", "AveragePool", [1, 1, 4, 4], {"kernel_shape": [2, 2], "pads": [-1, 0, 0, 0]}, "pads"),
    ("input-rank", "GlobalAveragePool", [3, 4], {}, "rank 3 or more"),
]


@pytest.mark.parametrize("case", POOL_INVALID, ids=[c[0] for c in POOL_INVALID])
def test_pool_invalid(case):
    _id, op, x, attrs, reason = case
    rec = pool(op, x, **attrs)
    assert rec.status == "invalid"
    assert reason in rec.detail


@pytest.mark.parametrize("op", ["MaxPool", "AveragePool", "LpPool", "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool"])
def test_pool_shape_unknown(op):
    attrs = {"kernel_shape": [2, 2]} if not op.startswith("Global") else {}
    rec = pool(op, ["N", 3, 8, 8], **attrs)
    assert rec.status == "shape_unknown"
    assert "N" in rec.missing
