"""Normalizations of the default domain: the operations of the spec's formula (or, where the
schema defines the op as a function, of that function body), counted exactly.

One shared step, *standardize* a group of D elements to zero mean and unit variance, is
counted the way the function bodies of LayerNormalization, GroupNormalization and
MeanVarianceNormalization write it (variance as E[x²] − E[x]²):
mean D (D−1 adds, 1 div), squares D, mean of squares D, square of the mean 1, variance sub 1,
add epsilon 1, deviation x − mean D, divide by the std D: arith 5D + 3 and 1 sqrt per group.
InstanceNormalization and BatchNormalization in training mode use the same step, so that
GroupNormalization with G = C counts exactly as InstanceNormalization.

Not counted: the casts of ``stash_type`` (precision only), shape arithmetic, constant folding
of attribute expressions (1 − momentum, alpha/size). Epsilon, momentum, alpha, beta and bias
values never change a count. Peers: fvcore counts BatchNormalization in eval as 1 FLOP per
element (2 with affine) and layer/group/instance norms as 4 or 5 per element; thop counts 2
per element; torchvision's counters ignore BatchNormalization (it folds into the conv).
"""

from __future__ import annotations

from math import prod

from onnx_cost.rules._norm import layernorm, rmsnorm, standardize
from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import NodeView, RuleError, ShapeUnknown
from onnx_cost.rules.registry import rule


def norm_axis(view: NodeView, axis: int, rank: int, what: str = "axis") -> int:
    """``axis`` in [0, rank), or RuleError naming the node's op and the rank."""
    if not -rank <= axis < rank:
        raise RuleError(f"{view.op_type}: {what}={axis} is out of range for an input of rank {rank}")
    return axis + rank if axis < 0 else axis


def _bn_training(view: NodeView) -> tuple[bool, int]:
    """(training?, running statistics written) of a BatchNormalization node."""
    extra = [i for i in range(1, 5) if view.has_output(i)]
    if view.opset >= 14:
        training = view.attr("training_mode", 0) == 1
        if extra and not training:
            raise RuleError("BatchNormalization: training_mode=0 admits only the output Y")
    else:  # opset 1-9: the output case decides the mode (opset 1/6 also by is_test)
        training = bool(extra) and (view.opset >= 7 or view.attr("is_test", 0) == 0)
    running = sum(1 for i in (1, 2) if view.has_output(i)) if training else 0
    return training, running


@rule("BatchNormalization")
def batch_normalization(view: NodeView) -> Cost:
    """Inference (training_mode=0; before opset 14, only the output Y): Y = (X − mean) /
    sqrt(var + eps) · scale + B, per element 1 sub, 1 div, 1 mul, 1 add, per statistic 1 add of eps
    and 1 sqrt: arith = 4·N + K, transcendental = K, where N = elements of X and K = elements of
    input_var (C; C·D1·…·Dn for spatial=0 before opset 9). Training mode adds the batch statistics
    (over M = N/K elements each, the standardize step's mean and variance: 3M + 2 arith) and 3 arith
    (2 mul, 1 add) per statistic for each running statistic written (r of running_mean,
    running_var): arith = 7·N + 3·K + 3·K·r, transcendental = K.

    The scale, bias, mean and var inputs are four stored tensors of K elements: the file's
    params are 4·K, of which the seeds' 2·K (scale, bias) are the learned ones. saved_mean and
    saved_var (opset 7-9 outputs) are the batch statistics, already counted. Peers: fvcore
    counts 1 (2 with affine) per element in eval; thop 2 per element; torchvision ignores BN.
    """
    if not view.has_input(4):
        raise RuleError("BatchNormalization needs 5 inputs (X, scale, B, mean, var)")
    x = view.in_shape(0)
    if len(x) < 2:
        raise RuleError(f"BatchNormalization: X of shape {list(x)} has no channel axis")
    n, k = prod(x), view.in_numel(4)
    if k == 0 or n % k:
        raise RuleError(f"BatchNormalization: {k} statistics do not divide X of shape {list(x)}")
    training, running = _bn_training(view)
    arith = 4 * n + k
    if training:
        m = n // k
        arith += k * (3 * m + 2) + 3 * k * running
    return Cost(arith=arith, transcendental=k)


def _split(view: NodeView) -> tuple[int, int]:
    """(N groups, D elements per group) of a normalization over axes [axis, rank)."""
    x = view.in_shape(0)
    a = norm_axis(view, view.attr("axis", -1), len(x))
    return prod(x[:a]), prod(x[a:])


@rule("LayerNormalization")
def layer_normalization(view: NodeView) -> Cost:
    """Per the opset-17 function body, over N = d0·…·d(axis−1) groups of D = d(axis)·…·d(r−1):
    standardize (5D + 3 arith, 1 sqrt per group), scale D mul, bias D add when B is given, and 1
    reciprocal per group when the InvStdDev output is requested: arith = N·(5D + 3) + N·D (+ N·D
    with B), transcendental = N (+ N with InvStdDev).

    The Mean output is computed anyway (no extra count). stash_type only sets the precision.
    Peers: fvcore counts 5 per element with affine, 4 without.
    """
    n, d = _split(view)
    return layernorm(n, d, bias=view.has_input(2), inv_std=view.has_output(2))


@rule("RMSNormalization")
def rms_normalization(view: NodeView) -> Cost:
    """Per the opset-23 function body, over N = d0·…·d(axis−1) groups of D = d(axis)·…·d(r−1): squares
    D, mean D (D−1 adds, 1 div), add eps 1, sqrt 1, divide D, scale D mul: arith = N·(4D + 1),
    transcendental = N.

    stash_type only sets the precision (casts not counted).
    """
    n, d = _split(view)
    return rmsnorm(n, d)


@rule("InstanceNormalization")
def instance_normalization(view: NodeView) -> Cost:
    """y = scale·(x − mean)/sqrt(var + eps) + B per instance and channel: over N·C groups of D =
    D1·…·Dk elements, standardize (5D + 3 arith, 1 sqrt per group), then scale 1 mul and B 1 add per
    element: arith = N·C·(5D + 3) + 2·N·C·D, transcendental = N·C.

    Same standardize step as LayerNormalization's function body, so GroupNormalization with
    num_groups = C counts the same. Peers: fvcore counts 5 per element with affine.
    """
    x = view.in_shape(0)
    if len(x) < 2:
        raise RuleError(f"InstanceNormalization: input of shape {list(x)} has no channel axis")
    groups, d = x[0] * x[1], prod(x[2:])
    return standardize(groups, d) + Cost(arith=2 * groups * d)


@rule("GroupNormalization")
def group_normalization(view: NodeView) -> Cost:
    """Per the function body (opset 18: scale/bias per group; 21: per channel, same count), over N·G
    groups of D = (C/G)·D1·…·Dk elements with G = num_groups: standardize (5D + 3 arith, 1 sqrt per
    group), then scale 1 mul and bias 1 add per element: arith = N·G·(5D + 3) + 2·N·C·D1·…·Dk,
    transcendental = N·G.

    Invalid when num_groups is absent, not positive or does not divide C, or when the scale
    has the wrong length for the opset (G before 21, C from 21).
    """
    x = view.in_shape(0)
    g = view.attr("num_groups")
    if len(x) < 2:
        raise RuleError(f"GroupNormalization: X of shape {list(x)} has no channel axis")
    c = x[1]
    if g is None or g <= 0 or c % g:
        raise RuleError(f"GroupNormalization: num_groups={g} does not divide C={c} of X {list(x)}")
    want = g if view.opset < 21 else c
    try:
        got = view.in_numel(1)
    except ShapeUnknown:  # only a check: an unknown scale length does not block the count
        got = want
    if got != want:
        raise RuleError(f"GroupNormalization (opset {view.opset}): scale has {got} elements, expected {want}")
    spatial = prod(x[2:])
    return standardize(x[0] * g, (c // g) * spatial) + Cost(arith=2 * prod(x))


@rule("LpNormalization")
def lp_normalization(view: NodeView) -> Cost:
    """output = x / ‖x‖p along axis, per line of L = d(axis) elements (lines = elements / L): p=2: L
    squares, L−1 adds, 1 sqrt, L divs; p=1: L abs, L−1 adds, L divs: arith = lines·(3L − 1),
    transcendental = lines for p=2, 0 for p=1.

    The zero-norm guard (output 0 where the norm is 0) is not counted. p other than 1 or 2 is
    invalid.
    """
    p = view.attr("p")
    if p not in (1, 2):
        raise RuleError(f"LpNormalization: p={p}, only 1 and 2 are defined")
    x = view.in_shape(0)
    length = x[norm_axis(view, view.attr("axis"), len(x))]
    if length == 0:
        return Cost()
    lines = prod(x) // length
    return Cost(arith=lines * (3 * length - 1), transcendental=lines if p == 2 else 0)


@rule("MeanVarianceNormalization")
def mean_variance_normalization(view: NodeView) -> Cost:
    """(X − E[X]) / (sqrt(E[X²] − E[X]²) + eps) over the axes (default 0, 2, 3), per the function body:
    per group of R = product of the reduced dims (groups = elements / R), the standardize step:
    arith = groups·(5R + 3), transcendental = groups.

    The body squares with Pow(·, 2): counted as one multiply each, like Mul(X, X) in the other
    normalizations; its epsilon is added to the std rather than to the variance (same count).
    """
    x = view.in_shape(0)
    axes = [norm_axis(view, int(a), len(x), "axes") for a in view.attr("axes", [0, 2, 3])]
    if len(set(axes)) != len(axes):
        raise RuleError(f"MeanVarianceNormalization: repeated axes {view.attr('axes')}")
    r = prod(x[a] for a in axes)
    if r == 0:
        return Cost()
    return standardize(prod(x) // r, r)


@rule("LRN")
def lrn(view: NodeView) -> Cost:
    """Y = X / (bias + alpha/size · Σ X²)^beta with the sum over a window of channels clipped at the
    edges (w(c) channels for channel c): per element of X (N·C·S, S = D1·…·Dk) 1 square, 1 mul by
    alpha/size, 1 add of bias, 1 div, 1 pow; per output w(c) − 1 adds: arith = 4·N·C·S + N·S·Σc
    (w(c) − 1), transcendental = N·C·S.

    Each square is computed once and shared by the windows; the window sums are not assumed
    to slide (no reuse of partial sums). size is required and positive.
    """
    size = view.attr("size")
    if size is None or size < 1:
        raise RuleError(f"LRN: size={size} must be a positive number of channels")
    x = view.in_shape(0)
    if len(x) < 2:
        raise RuleError(f"LRN: X of shape {list(x)} has no channel axis")
    c, lo = x[1], (size - 1) // 2
    hi = size - 1 - lo
    window_adds = sum(min(c - 1, i + hi) - max(0, i - lo) for i in range(c))
    n = prod(x)
    return Cost(arith=4 * n + x[0] * prod(x[2:]) * window_adds, transcendental=n)
