"""ai.onnx.ml: every op counted from its attributes and shapes (docs/counting.md), with output
shapes that let the graph behind it be counted. Models are built with onnx.helper, attributes
as skl2onnx writes them; expected numbers are worked out by hand; output shapes are checked
against onnx's reference evaluator where it implements the op."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper
from onnx.reference import ReferenceEvaluator

import onnx_cost
from onnx_cost.analyzer.walk import node_attrs
from onnx_cost.rules.cost import COUNT_FIELDS
from onnx_cost.rules.ml_trees import tree_depths
from onnx_cost.rules.node import NodeView

from helpers import make_model

ML = "ai.onnx.ml"
F, I64 = "float32", "int64"


def ml_model(op: str, x: tuple, x_dtype: str, outputs: list[tuple[str, str]], **attrs) -> onnx.ModelProto:
    node = helper.make_node(op, ["X"], [n for n, _ in outputs], domain=ML, name="n0", **attrs)
    return make_model([node], [("X", x_dtype, x)], [(n, d, None) for n, d in outputs], opset=17,
                      extra_opsets={ML: 5 if op == "TreeEnsemble" else 3})


def run(model: onnx.ModelProto, check_reference: bool = True):
    """The record of node 0, after checking our output shapes against the reference evaluator."""
    r = onnx_cost.analyze(model)
    rec = r.nodes[0]
    assert rec.status == "counted", rec.detail
    if check_reference:
        x = model.graph.input[0]
        shape = [d.dim_value for d in x.type.tensor_type.shape.dim]
        dt = helper.tensor_dtype_to_np_dtype(x.type.tensor_type.elem_type)
        outs = ReferenceEvaluator(model).run(None, {x.name: (np.random.rand(*shape) * 4).astype(dt)})
        assert [tuple(o.shape) for o in outs] == [s for _, _, s in r.model.outputs]
    return r, rec


def parts(rec) -> dict[str, int]:
    return {f: getattr(rec.cost, f) for f in COUNT_FIELDS if getattr(rec.cost, f)}


# -- linear models ---------------------------------------------------------------------------------


def test_linear_classifier_multiclass():
    m = ml_model("LinearClassifier", (2, 4), F, [("label", I64), ("scores", F)],
                 coefficients=[0.1] * 12, intercepts=[0.0] * 3, classlabels_ints=[0, 1, 2],
                 multi_class=1, post_transform="LOGISTIC")
    r, rec = run(m)
    # N 2, C 4, E 12/4 = 3: 24 MACs, 6 dots, 6 bias adds; LOGISTIC 3·6 = 18 arith + 6 exp;
    # label: 2 rows · (3 − 1) = 4 compares
    assert parts(rec) == dict(macs=24, dots=6, bias_adds=6, arith=18, transcendental=6, compare=4)
    # learned: 12 coefficients + 3 intercepts, float32
    assert (r.total.params, r.total.param_bytes) == (15, 60)


def test_linear_classifier_binary_writes_two_scores():
    m = ml_model("LinearClassifier", (2, 4), F, [("label", I64), ("scores", F)],
                 coefficients=[0.1] * 4, intercepts=[0.0], classlabels_ints=[0, 1])
    _, rec = run(m)
    # E 1: 8 MACs, 2 dots, 2 bias adds; the second score −s: 2 arith; label 2 · 1 compare
    assert parts(rec) == dict(macs=8, dots=2, bias_adds=2, arith=2, compare=2)
    assert rec.outputs[1] == (2, 2)


def test_linear_regressor():
    m = ml_model("LinearRegressor", (3, 4), F, [("y", F)], coefficients=[0.5] * 4, intercepts=[1.0])
    r, rec = run(m)
    # N 3, T 1: 12 MACs, 3 dots, 3 bias adds; params 4 + 1
    assert parts(rec) == dict(macs=12, dots=3, bias_adds=3)
    assert r.total.params == 5


# -- SVMs -------------------------------------------------------------------------------------------


def test_svm_classifier_rbf_one_vs_one():
    m = ml_model("SVMClassifier", (2, 4), F, [("label", I64), ("scores", F)],
                 classlabels_ints=[0, 1, 2], vectors_per_class=[2, 1, 2], support_vectors=[0.1] * 20,
                 coefficients=[0.2] * 10, rho=[0.0] * 3, kernel_type="RBF", kernel_params=[0.5, 0.0, 3.0])
    r, rec = run(m)
    # V 5, C 4, N 2: 10 kernels of 4 subs + 4 MACs + 1 dot + 1 mul + 1 exp: 40 MACs, 10 dots,
    # 50 arith, 10 exp; P 3 decisions: N·(E − 1)·V = 2·2·5 = 20 MACs, 6 dots, 6 rho adds;
    # votes: 6 compares, 6 increments + 2·2 argmax int_ops
    assert parts(rec) == dict(macs=60, dots=16, bias_adds=6, arith=50, transcendental=10, compare=6, int_ops=10)
    assert rec.outputs[1] == (2, 3)
    # learned: 20 support vector values + 10 coefficients + 3 rho
    assert r.total.params == 33


def test_svm_classifier_linear_kernel_binary_with_probabilities():
    m = ml_model("SVMClassifier", (1, 2), F, [("label", I64), ("scores", F)],
                 classlabels_ints=[0, 1], vectors_per_class=[1, 2], support_vectors=[0.1] * 6,
                 coefficients=[0.2] * 3, rho=[0.0], prob_a=[-1.0], prob_b=[0.0], kernel_type="LINEAR")
    r, rec = run(m)
    # 3 kernels of 2 MACs: 6 MACs, 3 dots; 1 decision: 1·1·3 = 3 MACs, 1 dot, 1 rho; 1 vote compare,
    # 1 + 1 int_ops; Platt: 1 mul + 1 add + sigmoid (3 arith + 1 exp) = 5 arith, 1 exp
    assert parts(rec) == dict(macs=9, dots=4, bias_adds=1, compare=1, int_ops=2, arith=5, transcendental=1)
    assert rec.outputs[1] == (1, 2)
    assert r.total.params == 6 + 3 + 1 + 2


def test_svm_regressor_poly():
    m = ml_model("SVMRegressor", (4, 2), F, [("y", F)], n_supports=3, support_vectors=[0.1] * 6,
                 coefficients=[0.3] * 3, rho=[0.1], kernel_type="POLY", kernel_params=[0.5, 1.0, 3.0])
    r, rec = run(m)
    # 12 kernels: 24 MACs, 12 dots, 2·12 arith, 12 pow; Σ coef·k: 4·3 = 12 MACs, 4 dots, 4 rho adds
    assert parts(rec) == dict(macs=36, dots=16, bias_adds=4, arith=24, transcendental=12)
    assert r.total.params == 6 + 3 + 1


# -- preprocessing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "op, attrs, expected",
    [
        # (X − offset)·scale on 2·3 elements: 12 arith
        ("Scaler", dict(offset=[0.0] * 3, scale=[1.0] * 3), dict(arith=12)),
        # per row of 3: L2 3 mul + 2 add + 3 div = 8 arith, 1 sqrt; 2 rows
        ("Normalizer", dict(norm="L2"), dict(arith=16, transcendental=2)),
        # MAX: 3 abs + 3 div arith, 2 compares per row
        ("Normalizer", dict(norm="MAX"), dict(arith=12, compare=4)),
        # L1: 3 abs + 2 add + 3 div per row
        ("Normalizer", dict(norm="L1"), dict(arith=16)),
        ("Binarizer", dict(threshold=0.5), dict(compare=6)),
        # test + select per element
        ("Imputer", dict(imputed_value_floats=[0.0] * 3, replaced_value_float=np.nan), dict(compare=12)),
    ],
)
def test_preprocessing(op, attrs, expected):
    _, rec = run(ml_model(op, (2, 3), F, [("y", F)], **attrs))
    assert parts(rec) == expected
    assert rec.outputs[0] == (2, 3)


def test_encoders_are_lookups():
    m = ml_model("OneHotEncoder", (2, 3), I64, [("y", F)], cats_int64s=[1, 2, 3, 4], zeros=1)
    _, rec = run(m)
    assert parts(rec) == dict(int_ops=6)  # one lookup per input element
    assert rec.outputs[0] == (2, 3, 4)
    m = ml_model("LabelEncoder", (5,), I64, [("y", I64)], keys_int64s=[1, 2], values_int64s=[7, 8], default_int64=0)
    _, rec = run(m)
    assert parts(rec) == dict(int_ops=5)


def test_array_feature_extractor_is_data_movement():
    node = helper.make_node("ArrayFeatureExtractor", ["X", "idx"], ["y"], domain=ML)
    idx = numpy_helper.from_array(np.array([0, 2], np.int64), "idx")
    m = make_model([node], [("X", F, (3, 4))], [("y", F, None)], [idx], opset=17, extra_opsets={ML: 3})
    rec = onnx_cost.analyze(m).nodes[0]
    assert rec.status == "zero" and rec.outputs[0] == (3, 2)


# -- trees ----------------------------------------------------------------------------------------------

# Tree 0: node 0 splits to leaf 1 and node 2, node 2 to leaves 3 and 4 (leaf depths 1, 2, 2);
# tree 1: node 0 splits to leaves 1 and 2 (depths 1, 1). One target weight per leaf.
TREES = dict(
    nodes_treeids=[0, 0, 0, 0, 0, 1, 1, 1],
    nodes_nodeids=[0, 1, 2, 3, 4, 0, 1, 2],
    nodes_featureids=[0, 0, 1, 0, 0, 2, 0, 0],
    nodes_modes=["BRANCH_LEQ", "LEAF", "BRANCH_LEQ", "LEAF", "LEAF", "BRANCH_LT", "LEAF", "LEAF"],
    nodes_values=[0.5, 0.0, 1.5, 0.0, 0.0, 2.0, 0.0, 0.0],
    nodes_truenodeids=[1, 0, 3, 0, 0, 1, 0, 0],
    nodes_falsenodeids=[2, 0, 4, 0, 0, 2, 0, 0],
)


def test_tree_ensemble_regressor_worst_case_and_average():
    m = ml_model("TreeEnsembleRegressor", (3, 3), F, [("y", F)], **TREES, n_targets=1,
                 target_treeids=[0, 0, 0, 1, 1], target_nodeids=[1, 3, 4, 1, 2], target_ids=[0] * 5,
                 target_weights=[1.0, 2.0, 3.0, 4.0, 5.0], base_values=[0.5], aggregate_function="SUM")
    r, rec = run(m)
    # worst case 2 + 1 = 3 compares a row, 3 rows: 9; one leaf weight per tree: 2 adds a row + 1
    # base value: 3 arith a row = 9
    assert parts(rec) == dict(compare=9, arith=9)
    # learned: 8 thresholds + 5 leaf weights + 1 base value = 14 floats, 56 B
    assert (r.total.params, r.total.param_bytes) == (14, 56)
    # the other bound: tree 0 averages (1 + 2 + 2)/3 over its leaves, tree 1 (1 + 1)/2
    node = m.graph.node[0]
    view = NodeView("n0", node.op_type, ML, 3, node_attrs(node, 3), (), ())
    assert tree_depths(view) == [(2, 5 / 3), (1, 1.0)]


def test_tree_ensemble_classifier_random_forest_style():
    m = ml_model("TreeEnsembleClassifier", (2, 3), F, [("label", I64), ("scores", F)],
                 nodes_treeids=[0, 0, 0], nodes_nodeids=[0, 1, 2], nodes_featureids=[0, 0, 0],
                 nodes_modes=["BRANCH_LEQ", "LEAF", "LEAF"], nodes_values=[0.5, 0.0, 0.0],
                 nodes_truenodeids=[1, 0, 0], nodes_falsenodeids=[2, 0, 0], classlabels_int64s=[0, 1, 2],
                 class_treeids=[0] * 6, class_nodeids=[1, 1, 1, 2, 2, 2], class_ids=[0, 1, 2, 0, 1, 2],
                 class_weights=[0.2, 0.3, 0.5, 0.6, 0.3, 0.1])
    r, rec = run(m)
    # 1 compare a row (depth 1), 3 class weights added at the leaf, label 3 − 1 compares; 2 rows
    assert parts(rec) == dict(compare=2 + 4, arith=6)
    assert rec.outputs[1] == (2, 3)
    assert r.total.params == 3 + 6


def test_tree_ensemble_classifier_binary_gradient_boosting_style():
    m = ml_model("TreeEnsembleClassifier", (2, 3), F, [("label", I64), ("scores", F)],
                 nodes_treeids=[0, 0, 0], nodes_nodeids=[0, 1, 2], nodes_featureids=[1, 0, 0],
                 nodes_modes=["BRANCH_LEQ", "LEAF", "LEAF"], nodes_values=[0.5, 0.0, 0.0],
                 nodes_truenodeids=[1, 0, 0], nodes_falsenodeids=[2, 0, 0], classlabels_int64s=[0, 1],
                 class_treeids=[0, 0], class_nodeids=[1, 2], class_ids=[0, 0], class_weights=[-0.4, 0.4],
                 base_values=[0.1], post_transform="LOGISTIC")
    _, rec = run(m)
    # a row: 1 compare, 1 leaf add + 1 base add + 1 to fill the second score; LOGISTIC on 2 scores
    # 6 arith + 2 exp; label 1 compare. 2 rows: compare 4, arith 2·(3 + 6) = 18, 4 exp
    assert parts(rec) == dict(compare=4, arith=18, transcendental=4)
    assert rec.outputs[1] == (2, 2)


def test_tree_ensemble_opset5():
    def t(name, values, dtype):
        return numpy_helper.from_array(np.array(values, dtype=dtype), name)

    m = ml_model("TreeEnsemble", (4, 2), F, [("y", F)], tree_roots=[0], nodes_featureids=[0, 1],
                 nodes_splits=t("s", [0.5, 0.2], np.float32), nodes_modes=t("m", [0, 0], np.uint8),
                 nodes_truenodeids=[0, 1], nodes_trueleafs=[1, 1], nodes_falsenodeids=[1, 2],
                 nodes_falseleafs=[0, 1], leaf_targetids=[0, 0, 0], leaf_weights=t("w", [1, 2, 3], np.float32),
                 n_targets=1, aggregate_function=1, post_transform=0)
    r, rec = run(m)
    # leaves at depths 1 (node 0 true), 2, 2 (node 1): worst 2 compares a row, 1 leaf add; 4 rows
    assert parts(rec) == dict(compare=8, arith=4)
    # learned: 2 splits + 3 leaf weights (float32)
    assert (r.total.params, r.total.param_bytes) == (5, 20)


def test_a_broken_tree_is_invalid():
    # node 0 splits to leaf 1 and node 2; node 2 to leaf 3 and to itself
    m = ml_model("TreeEnsembleRegressor", (3, 3), F, [("y", F)], nodes_treeids=[0] * 4, nodes_nodeids=[0, 1, 2, 3],
                 nodes_featureids=[0] * 4, nodes_modes=["BRANCH_LEQ", "LEAF", "BRANCH_LEQ", "LEAF"],
                 nodes_values=[0.0] * 4, nodes_truenodeids=[1, 0, 3, 0], nodes_falsenodeids=[2, 0, 2, 0],
                 n_targets=1, target_treeids=[0], target_nodeids=[1], target_ids=[0], target_weights=[1.0])
    rec = onnx_cost.analyze(m).nodes[0]
    assert rec.status == "invalid" and "cycle" in rec.detail


# -- the graph behind an ml op is counted ----------------------------------------------------------------


def test_pipeline_behind_a_scaler_is_counted():
    nodes = [
        helper.make_node("Scaler", ["X"], ["s"], domain=ML, offset=[0.0] * 4, scale=[1.0] * 4),
        helper.make_node("MatMul", ["s", "pca"], ["p"]),
        helper.make_node("LinearClassifier", ["p"], ["label", "scores"], domain=ML, coefficients=[0.1] * 6,
                         intercepts=[0.0, 0.0, 0.0], classlabels_ints=[0, 1, 2]),
    ]
    pca = numpy_helper.from_array(np.ones((4, 2), np.float32), "pca")
    m = make_model(nodes, [("X", F, (5, 4))], [("label", I64, None), ("scores", F, None)], [pca],
                   opset=17, extra_opsets={ML: 3})
    r = onnx_cost.analyze(m)
    assert r.coverage.complete
    # Scaler 5·4·2 = 40 arith; MatMul 5·2·4 = 40 MACs; LinearClassifier E 3, C 2: 30 MACs
    assert r.total.macs == 40 + 30
    # params: scaler 8 + PCA 8 + classifier 6 + 3
    assert r.total.params == 8 + 8 + 9


def test_real_skl2onnx_pipeline():
    pytest.importorskip("sklearn")
    skl2onnx = pytest.importorskip("skl2onnx")
    from sklearn.datasets import make_classification
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = make_classification(60, 6, n_informative=4, n_classes=3, random_state=0)
    x = x.astype(np.float32)
    pipe = make_pipeline(StandardScaler(), PCA(3), LogisticRegression()).fit(x, y)
    model = skl2onnx.to_onnx(pipe, x[:1], target_opset={"": 17, ML: 3})
    r = onnx_cost.analyze(model, inputs={model.graph.input[0].name: (5, 6)})
    assert r.coverage.uncounted == r.coverage.shape_unknown == r.coverage.invalid == 0
    # N 5: PCA projection 5·3·6 = 90 MACs; LinearClassifier 3 classes of 3 features: 45 MACs
    assert r.total.macs == 90 + 45
    # scaler offset and scale 2·6, PCA mean 6 and components 6·3, coefficients 9 + intercepts 3
    assert r.total.params == 12 + 6 + 18 + 12
