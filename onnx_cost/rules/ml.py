"""Classic ML (domain ai.onnx.ml, as skl2onnx and onnxmltools write it): linear models, SVMs,
scalers and encoders, with their output shapes. Trees are in ``ml_trees``.

N is the number of rows of X ([N, C], or [C] as one row), C its features. Their learned
parameters live in attributes; analyzer/params.py counts them as params.
"""

from __future__ import annotations

from typing import Any

from onnx_cost.rules._dims import text
from onnx_cost.rules._ml import ML, argmax, batch_dim, classifier_shapes, labels, post_transform, rows_features, seq
from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import NodeView, RuleError
from onnx_cost.rules.registry import rule, shape_of, zero_compute


def _shape0(view: NodeView) -> Any:
    t = view.inputs[0] if view.inputs else None
    return None if t is None else t.shape


def _same(view: NodeView, dtype: str = "") -> list:
    return [(_shape0(view), dtype or view.in_dtype(0))]


# -- linear models -------------------------------------------------------------------------------


def _rows(view: NodeView, attr: str, c: int) -> int:
    """How many rows of ``c`` values the flat list attribute ``attr`` holds (coefficients,
    support vectors); RuleError when it does not split evenly."""
    n = len(seq(view.attr(attr)))
    if c <= 0 or n % c:
        raise RuleError(f"{view.op_type} '{view.name}': {n} values of {attr} do not split into rows of {c}")
    return n // c


def _linear_scores(view: NodeView, c: int) -> int:
    return _rows(view, "coefficients", c)


@rule("LinearClassifier", domain=ML)
def linear_classifier(view: NodeView) -> Cost:
    """E = len(coefficients)/C score rows: N·E·C MACs, N·E dots, N·E bias_adds with intercepts;
    a binary model (E = 1, 2 labels) writes 2 scores (−s, s): + N arith; post_transform on the N·E'
    scores (E' = 2 when binary, else E); label: E' − 1 compares per row.
    """
    n, c = rows_features(view)
    e = _linear_scores(view, c)
    cost = Cost(macs=n * e * c, dots=n * e, bias_adds=n * e if seq(view.attr("intercepts")) else 0)
    out = e
    if e == 1 and len(labels(view)) == 2:
        out = 2
        cost += Cost(arith=n)
    return cost + post_transform(view, n, out) + argmax(n, out)


@shape_of("LinearClassifier", domain=ML, first=True)
def _linear_classifier_shape(view: NodeView) -> list:
    t = view.inputs[0]
    c = t.shape[-1] if t is not None and t.shape else None
    coef = len(seq(view.attr("coefficients")))
    e = coef // c if isinstance(c, int) and c > 0 else None
    return classifier_shapes(view, 2 if e == 1 and len(labels(view)) == 2 else e)


@rule("LinearRegressor", domain=ML)
def linear_regressor(view: NodeView) -> Cost:
    """T = len(coefficients)/C targets: N·T·C MACs, N·T dots, N·T bias_adds with intercepts;
    post_transform (NONE or PROBIT) on the N·T outputs.
    """
    n, c = rows_features(view)
    t = _linear_scores(view, c)
    cost = Cost(macs=n * t * c, dots=n * t, bias_adds=n * t if seq(view.attr("intercepts")) else 0)
    return cost + post_transform(view, n, t)


@shape_of("LinearRegressor", domain=ML, first=True)
def _linear_regressor_shape(view: NodeView) -> list:
    t = view.inputs[0]
    c = t.shape[-1] if t is not None and t.shape else None
    coef = len(seq(view.attr("coefficients")))
    return [((batch_dim(view), coef // c if isinstance(c, int) and c > 0 else None), "float32")]


# -- SVMs ------------------------------------------------------------------------------------------


def _kernel(view: NodeView, rows: int, vectors: int, c: int) -> Cost:
    """Kernel evaluations of ``rows`` rows against ``vectors`` support vectors of C features:
    LINEAR x·sv (C MACs, 1 dot); POLY (γ·x·sv + c0)^d (+ 2 arith, 1 transcendental);
    SIGMOID tanh(γ·x·sv + c0) (+ 2 arith, 1 transcendental); RBF exp(−γ·‖x − sv‖²) (C subs, C
    MACs, 1 dot, + 1 arith, 1 transcendental)."""
    kind = text(view.attr("kernel_type"))
    k = rows * vectors
    dot = Cost(macs=k * c, dots=k)
    if kind == "LINEAR":
        return dot
    if kind in ("POLY", "SIGMOID"):
        return dot + Cost(arith=2 * k, transcendental=k)
    if kind == "RBF":
        return dot + Cost(arith=k * c + k, transcendental=k)
    raise RuleError(f"{view.op_type} '{view.name}': unknown kernel_type '{kind}'")


def _support(view: NodeView, c: int) -> int:
    return _rows(view, "support_vectors", c)


@rule("SVMClassifier", domain=ML)
def svm_classifier(view: NodeView) -> Cost:
    """With V = Σ vectors_per_class support vectors and E classes: the kernel per row and
    support vector (see the kernels below); one-vs-one, P = E·(E − 1)/2 decision functions
    summing the coefficients of the two classes' vectors: N·(E − 1)·V MACs, N·P dots, N·P
    bias_adds (rho); votes: N·P compare (sign) and N·P int_ops (the increments), label N·(E − 1)
    int_ops (argmax of the votes). With prob_a/prob_b (Platt scaling) per decision 1 mul + 1 add +
    sigmoid (3 arith + 1 transcendental); post_transform on the scores. Without support vectors
    (linear mode): as LinearClassifier, E·C MACs per row. Kernels: LINEAR x·sv (C MACs, 1 dot);
    POLY (γ·x·sv + c0)^d and SIGMOID tanh(γ·x·sv + c0) (+ 2 arith, 1 transcendental); RBF
    exp(−γ·‖x − sv‖²) (C subs + C MACs, 1 dot, + 1 arith, 1 transcendental).

    The pairwise coupling of the class probabilities (an iterative solve, up to 100 rounds of
    E² work in ONNX Runtime) depends on convergence and is not counted.
    """
    n, c = rows_features(view)
    per_class = [int(v) for v in seq(view.attr("vectors_per_class"))]
    e = max(len(labels(view)), len(per_class))
    if not per_class:  # linear mode: E rows of C coefficients
        rows = len(seq(view.attr("coefficients"))) // c if c else 0
        cost = Cost(macs=n * rows * c, dots=n * rows, bias_adds=n * rows)
        return cost + post_transform(view, n, rows) + argmax(n, rows)
    v = sum(per_class)
    held = _support(view, c)
    if held != v:
        raise RuleError(f"{view.op_type} '{view.name}': vectors_per_class sums to {v}, support_vectors hold {held}")
    p = e * (e - 1) // 2
    cost = _kernel(view, n, v, c) + Cost(macs=n * (e - 1) * v, dots=n * p, bias_adds=n * p)
    cost += Cost(compare=n * p, int_ops=n * p + n * (e - 1))
    proba = bool(seq(view.attr("prob_a")))
    if proba:
        cost += Cost(arith=5 * n * p, transcendental=n * p)
    return cost + post_transform(view, n, _svm_scores(e, proba))


def _svm_scores(e: int, proba: bool) -> int:
    """Score columns of an SVMClassifier: E with probabilities, else one per decision (2 when binary)."""
    return e if proba or e == 2 else e * (e - 1) // 2


@shape_of("SVMClassifier", domain=ML, first=True)
def _svm_classifier_shape(view: NodeView) -> list:
    per_class = seq(view.attr("vectors_per_class"))
    e = max(len(labels(view)), len(per_class))
    return classifier_shapes(view, _svm_scores(e, bool(seq(view.attr("prob_a")))) if per_class else e)


@rule("SVMRegressor", domain=ML)
def svm_regressor(view: NodeView) -> Cost:
    """V = n_supports support vectors: the kernel per row and vector (as SVMClassifier), then Σ
    coefficient·kernel: N·V MACs, N dots, N bias_adds (rho); one_class: + N compare (the sign);
    post_transform on the N outputs. Without support vectors (linear mode): N·C MACs, N dots,
    N bias_adds.
    """
    n, c = rows_features(view)
    v = int(view.attr("n_supports"))
    if v == 0:
        cost = Cost(macs=n * c, dots=n, bias_adds=n)
    else:
        if _support(view, c) != v:
            raise RuleError(f"{view.op_type} '{view.name}': n_supports {v}, support_vectors hold {_support(view, c)}")
        cost = _kernel(view, n, v, c) + Cost(macs=n * v, dots=n, bias_adds=n)
    if int(view.attr("one_class")):
        cost += Cost(compare=n)
    return cost + post_transform(view, n, 1)


@shape_of("SVMRegressor", domain=ML, first=True)
def _svm_regressor_shape(view: NodeView) -> list:
    return [((batch_dim(view), 1), "float32")]


# -- preprocessing -------------------------------------------------------------------------------


@rule("Scaler", domain=ML)
def scaler(view: NodeView) -> Cost:
    """Y = (X − offset)·scale: per element 1 sub (when offset is given) and 1 mul (when scale is
    given) = arith.
    """
    n = view.in_numel(0)
    return Cost(arith=n * (bool(seq(view.attr("offset"))) + bool(seq(view.attr("scale")))))


@rule("Normalizer", domain=ML)
def normalizer(view: NodeView) -> Cost:
    """Per row of C: MAX: C abs (arith), C − 1 compare, C div; L1: C abs + C − 1 add + C div
    (arith); L2: C mul + C − 1 add + C div (arith) and 1 sqrt (transcendental).
    """
    n, c = rows_features(view)
    norm = text(view.attr("norm"))
    if norm == "MAX":
        return Cost(arith=2 * n * c, compare=n * (c - 1))
    if norm == "L1":
        return Cost(arith=n * (3 * c - 1))
    if norm == "L2":
        return Cost(arith=n * (3 * c - 1), transcendental=n)
    raise RuleError(f"Normalizer '{view.name}': unknown norm '{norm}'")


@rule("Binarizer", domain=ML)
def binarizer(view: NodeView) -> Cost:
    """Y = X > threshold: 1 compare per element."""
    return Cost(compare=view.in_numel(0))


@rule("Imputer", domain=ML)
def imputer(view: NodeView) -> Cost:
    """Per element: 1 compare (x is replaced_value, or NaN) and 1 select = 2 compare."""
    return Cost(compare=2 * view.in_numel(0))


@rule("OneHotEncoder", domain=ML, doc=None)
def one_hot_encoder(view: NodeView) -> Cost:
    """Per input element 1 lookup of its category (1 int_op); the K output entries per element
    are written, not computed (K = number of categories).
    """
    return Cost(int_ops=view.in_numel(0))


@rule("LabelEncoder", "CategoryMapper", domain=ML)
def lookup(view: NodeView) -> Cost:
    """Per element 1 lookup in the key → value table (1 int_op)."""
    return Cost(int_ops=view.in_numel(0))


for _op in ("Imputer", "Binarizer", "Scaler", "Normalizer"):
    shape_of(_op, domain=ML, first=True)(lambda view: _same(view, "float32"))


@shape_of("OneHotEncoder", domain=ML)
def _one_hot_shape(view: NodeView) -> list:
    x = _shape0(view)
    k = len(seq(view.attr("cats_int64s"))) or len(seq(view.attr("cats_strings")))
    return [(None if x is None else (*x, k), "float32")]


@shape_of("LabelEncoder", domain=ML)
def _label_encoder_shape(view: NodeView) -> list:
    for name, dt in (("values_strings", "string"), ("values_int64s", "int64"), ("values_floats", "float32")):
        if seq(view.attr(name)):
            return _same(view, dt)
    return _same(view, "")  # values_tensor: its dtype is the tensor's


@shape_of("CategoryMapper", domain=ML)
def _category_mapper_shape(view: NodeView) -> list:
    return _same(view, "int64" if view.in_dtype(0) == "string" else "string")


# -- data movement ---------------------------------------------------------------------------------

zero_compute(
    "ArrayFeatureExtractor", "FeatureVectorizer", "DictVectorizer", "CastMap", "ZipMap",
    reason="data movement: selects (ArrayFeatureExtractor), concatenates (FeatureVectorizer), scatters "
    "a map into a dense row (DictVectorizer, CastMap) or wraps scores into maps (ZipMap)",
    domain=ML,
    module=__name__,
)


@shape_of("ArrayFeatureExtractor", domain=ML, first=True)
def _afe_shape(view: NodeView) -> list:
    x = _shape0(view)
    idx = view.inputs[1].shape if len(view.inputs) > 1 and view.inputs[1] is not None else None
    if x is None or idx is None:
        return [(None, view.in_dtype(0))]
    k: int | None = 1
    for d in idx:
        k = k * d if isinstance(d, int) and k is not None else None
    return [((1, k) if len(x) == 1 else (*x[:-1], k), view.in_dtype(0))]


@shape_of("FeatureVectorizer", domain=ML, first=True)
def _feature_vectorizer_shape(view: NodeView) -> list:
    dims = [int(d) for d in seq(view.attr("inputdimensions"))]
    return [((batch_dim(view), sum(dims) if dims else None), "float32")]
