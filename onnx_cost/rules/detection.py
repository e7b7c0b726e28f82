"""Detection post-processing: NonMaxSuppression (a bounded estimate: its work depends on the data)."""

from __future__ import annotations

from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import NodeView, RuleError, ShapeUnknown
from onnx_cost.rules.registry import rule

IOU_ARITH = 6  # ih = ymax − ymin, iw = xmax − xmin, inter = ih·iw, union = a1 + a2 − inter (2), iou = inter/union
IOU_COMPARE = 7  # 2 max + 2 min for the intersection corners, 2 clamps at 0, 1 test against iou_threshold


def _limit(view: NodeView, n: int) -> int:
    """k = boxes that can be selected per class: min(max_output_boxes_per_class, n); n when not known."""
    if not view.has_input(2):
        return 0  # the spec's default max_output_boxes_per_class is 0: nothing is selected
    try:
        m = int(view.in_value(2).reshape(-1)[0])
    except ShapeUnknown:
        return n
    return max(0, min(m, n))


@rule("NonMaxSuppression")
def non_max_suppression(view: NodeView) -> Cost:
    """Bounded estimate (greedy NMS with no box suppressed), B batches, C classes, n boxes, k =
    min(max_output_boxes_per_class, n) (n when not known; 0 when absent, the spec's default, and then nothing is
    computed): per batch per box, corners and area (center_point_box=0: 4 compares ordering the corners + 3 arith;
    center_point_box=1: 7 arith); per batch per class: n compares with score_threshold (when given), a sort of
    n·ceil(log2 n) compares, and P = (k − 1)·(2n − k)/2 IoUs (candidate i compared with at most min(i, k − 1) kept
    boxes; n·(n − 1)/2 when k = n), each 6 arith + 7 compares. write_bytes = B·C·k·3·8 (at most k selected (batch,
    class, box) int64 triples per class).

    The real count depends on the scores and overlaps: suppressed boxes and boxes below the
    score threshold are never compared, so this is an upper bound, as is the output size.
    onnxruntime keeps candidates in a priority queue rather than sorting all n.
    """
    boxes, scores = view.in_shape(0), view.in_shape(1)
    if len(boxes) != 3 or boxes[2] != 4 or len(scores) != 3 or scores[0] != boxes[0] or scores[2] != boxes[1]:
        raise RuleError(f"NonMaxSuppression boxes {list(boxes)} and scores {list(scores)}: need (B, n, 4) and (B, C, "
                        f"n)")
    b, c, n = scores
    k = _limit(view, n)
    if k == 0:
        return Cost(write_bytes=0)
    center = int(view.attr("center_point_box"))
    if center not in (0, 1):
        raise RuleError(f"NonMaxSuppression center_point_box={center} must be 0 or 1")
    box_arith, box_cmp = (7, 0) if center else (3, 4)
    pairs = (k - 1) * (2 * n - k) // 2
    sort = n * (n - 1).bit_length() if n > 1 else 0  # n·ceil(log2 n)
    score = n if view.has_input(4) else 0
    return Cost(
        arith=b * n * box_arith + b * c * pairs * IOU_ARITH,
        compare=b * n * box_cmp + b * c * (score + sort + pairs * IOU_COMPARE),
        write_bytes=b * c * k * 3 * 8,
    )
