"""NonMaxSuppression: the bounded estimate, worked out by hand.

Per batch per box: corners + area (corner boxes 3 arith + 4 compares, center boxes 7 arith).
Per batch per class: n compares with a score threshold, n·ceil(log2 n) sort compares,
P = (k − 1)·(2n − k)/2 IoUs of 6 arith + 7 compares, k = min(max_output_boxes_per_class, n).
"""

from __future__ import annotations

import pytest

from helpers import init, one_node

F = "float32"


def _nms(n=4, classes=2, max_out=3, score_thr=False, boxes_batch=1, **attrs):
    ins = [("boxes", F, [boxes_batch, n, 4]), ("scores", F, [1, classes, n])]
    inits = []
    if max_out == "runtime":
        ins.append(("max_out", "int64", [1]))
    elif max_out is not None:
        ins.append(("max_out", "int64", [1]))
        inits.append(init("max_out", "int64", [1], [max_out]))
    if score_thr:
        ins += [("iou", F, [1]), ("score", F, [1])]
        inits += [init("iou", F, [1], [0.5]), init("score", F, [1], [0.1])]
    elif max_out is not None:
        ins.append(("iou", F, [1]))
        inits.append(init("iou", F, [1], [0.5]))
    return one_node("NonMaxSuppression", ins, [("sel", "int64", None)], inits, opset=11, **attrs)


NMS = [
    # B = 1, C = 2, n = 4, k = 3: P = (3−1)·(8−3)/2 = 5 (candidates compare with 0, 1, 2, 2 kept boxes);
    # sort 4·ceil(log2 4) = 8. arith = 4·3 + 2·5·6 = 72; compare = 4·4 + 2·(8 + 5·7) = 16 + 86 = 102;
    # write = 1·2·3 triples · 3 · 8 bytes = 144
    ("k3", dict(), 72, 102, 144),
    # score threshold: + n = 4 compares per class: 102 + 2·4 = 110
    ("score_threshold", dict(score_thr=True), 72, 110, 144),
    # center_point_box = 1: 4 boxes · 7 arith = 28 + 60 = 88; compare 2·(8 + 35) = 86
    ("center_boxes", dict(center_point_box=1), 88, 86, 144),
    # max_output unknown at build time: k = n = 4, P = 4·3/2 = 6: arith 12 + 2·6·6 = 84;
    # compare 16 + 2·(8 + 42) = 116; write 2·4·3·8 = 192
    ("k_unknown", dict(max_out="runtime"), 84, 116, 192),
    # max_output 10 > n: k = n = 4, as above
    ("k_above_n", dict(max_out=10), 84, 116, 192),
    # max_output 1: P = 0 (the first box is kept, then stop): arith 12; compare 16 + 2·8 = 32; write 2·1·24 = 48
    ("k1", dict(max_out=1), 12, 32, 48),
    # max_output_boxes_per_class absent (the spec's default 0) or 0: nothing is selected
    ("absent", dict(max_out=None), 0, 0, 0),
    ("zero", dict(max_out=0), 0, 0, 0),
    # n = 5: sort 5·ceil(log2 5) = 15, k = 3: P = 2·(10−3)/2 = 7: arith 5·3 + 2·7·6 = 99;
    # compare 5·4 + 2·(15 + 49) = 148; write 144
    ("n5", dict(n=5), 99, 148, 144),
]


@pytest.mark.parametrize("case", NMS, ids=[c[0] for c in NMS])
def test_nms(case):
    _, kw, arith, compare, write = case
    rec = _nms(**kw)
    assert rec.status == "counted", rec.detail
    c = rec.cost
    assert (c.arith, c.compare, c.macs, c.write_bytes) == (arith, compare, 0, write)


def test_nms_symbolic_boxes_is_shape_unknown():
    rec = one_node(
        "NonMaxSuppression",
        [("boxes", F, [1, "n", 4]), ("scores", F, [1, 2, "n"])],
        [("sel", "int64", None)],
        opset=11,
    )
    assert rec.status == "shape_unknown" and "n" in rec.missing


def test_nms_mismatched_shapes_are_invalid():
    rec = _nms(boxes_batch=2)  # boxes batch 2, scores batch 1
    assert rec.status == "invalid"
